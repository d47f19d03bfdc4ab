"""``python -m bert_core.train``: the experiments' command line (``bert_core.experiments``)
under the name that every stored result's provenance records, so its commands paste back."""

import runpy

if __name__ == "__main__":
    runpy.run_module("bert_core.experiments", run_name="__main__", alter_sys=True)
