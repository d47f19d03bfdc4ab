"""Small helpers every notebook's first cells use: set-up, versions, showing source.

``setup`` reads the profile once and seeds every generator, so that a notebook's
numbers are a function of the profile alone. ``show_source`` renders a ``bert_core``
object's source as highlighted code, so that a notebook shows the one implementation
it runs instead of a copy that could drift.
"""

from __future__ import annotations

import inspect
import platform
import random

import numpy as np
import torch

from bert_core.experiments.profiles import Profile, get_profile

__all__ = ["setup", "versions", "show_source"]


def setup(seed: int = 0) -> Profile:
    """Seed python, numpy and torch; return the profile (``$BERT_CORE_PROFILE``)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    import matplotlib

    matplotlib.rcParams.update({"figure.dpi": 80, "axes.grid": False})
    return get_profile()


def versions() -> str:
    import bert_core

    return (
        f"python {platform.python_version()}, torch {torch.__version__}, "
        f"bert_core {bert_core.__version__}, device: "
        + ("cuda " + torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu")
    )


def show_source(obj: object) -> object:
    """The source of a function, class or method, as a Markdown code block."""
    from IPython.display import Markdown

    return Markdown(f"```python\n{inspect.getsource(obj).rstrip()}\n```")
