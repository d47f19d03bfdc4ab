"""The course as a book: a static site of the committed notebooks, never executed here.

    make book            (= python -m sphinx -b html -c book . runs/book/html -W --keep-going)

The repository root is Sphinx's source folder, this folder its configuration: the pages are
the committed notebooks (their ``cpu`` outputs, as committed), the README, ``docs/``, the
benchmarks' page, and the API of ``bert_core`` from its docstrings. Warnings are errors
(``-W``); the few kinds let through are listed in ``suppress_warnings`` with the reason.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

project = "multitask-minbert"
author = "the multitask-minbert course"
copyright = "2026, the multitask-minbert course"
root_doc = "book/index"

extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx-mathjax-offline"]  # MathJax from the package, no CDN
include_patterns = ["book/**", "README.md", "docs/*.md", "benchmarks/README.md",
                    "notebooks/*.ipynb", "notebooks/solutions/*.ipynb"]
exclude_patterns = ["book/conf.py", "book/_extra"]

nb_execution_mode = "off"  # the committed outputs are the course's results
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
nb_merge_streams = True

html_theme = "sphinx_book_theme"
html_title = "multitask minBERT, a course companion"
html_theme_options = {"show_toc_level": 2, "home_page_in_toc": True}
html_static_path: list[str] = []
html_extra_path = ["_extra"]  # index.html at the site's root: a redirect to book/index.html

suppress_warnings = [
    # The README and docs link to files that are not pages (pyproject.toml, the Makefile,
    # source files): on the repository page they open the file; in the book they stay text.
    "myst.xref_missing",
    # Notebook outputs carry widget and plotly mimetypes the static site cannot render;
    # their text/plain fallback is shown instead.
    "mystnb.unknown_mime_type",
]

autodoc_member_order = "bysource"
autodoc_typehints = "none"  # the signatures stay short; the docstrings say what goes in


def _modules() -> list[str]:
    """Every module of bert_core but command-line entry points, in package order."""
    import bert_core

    names = ["bert_core"]
    for info in pkgutil.walk_packages(bert_core.__path__, "bert_core."):
        if not info.name.endswith("__main__"):
            names.append(info.name)
    return names


def _api_page(app, docname: str, source: list[str]) -> None:
    """The API page lists one automodule per module, so no generated file is committed."""
    if docname != "book/api":
        return
    blocks = []
    for name in _modules():
        importlib.import_module(name)
        blocks.append(f"## `{name}`\n\n```{{eval-rst}}\n.. automodule:: {name}\n   :members:\n"
                      f"   :undoc-members: false\n```\n")
    source[0] += "\n" + "\n".join(blocks)


def _literal_docstring(app, what, name, obj, options, lines: list[str]) -> None:
    """Docstrings are written as plain text with ``code`` and formulas, not reStructuredText:
    shown as preformatted text, exactly as help() shows them."""
    if lines:
        lines[:] = ["::", ""] + ["    " + line for line in lines] + [""]


def setup(app):
    app.connect("source-read", _api_page)
    app.connect("autodoc-process-docstring", _literal_docstring)
