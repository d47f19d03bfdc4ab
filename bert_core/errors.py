"""The errors a user can fix, and how the command lines show them.

``InputError`` (a ``ValueError``) is bad input: a config field, a data file, a checkpoint.
Its message is the whole story in one line (what is wrong, where: file and line or field,
and the fix), so a command line prints it alone, without a traceback
(``bert_core.experiments.__main__``: exit status 2; ``--verbose`` shows the traceback).
A base module: every layer may import it.
"""

from __future__ import annotations

__all__ = ["InputError", "ConfigError", "DataError", "DataWarning", "CheckpointError", "ModelNotFound",
           "ResultFileError"]


class InputError(ValueError):
    """Bad input the user can fix; the message names where and how."""


class ConfigError(InputError):
    """A field of an ``ExperimentConfig`` (or a command-line option) is wrong."""


class DataError(InputError):
    """A data file cannot be read as its task's format, or would lose rows."""


class DataWarning(UserWarning):
    """Rows of a data file were skipped (the reader counts them by reason); the message says
    which and why. Training goes on with the rows that were read."""


class CheckpointError(InputError):
    """A run folder's checkpoint is corrupt, truncated, or from an incompatible version."""


class ModelNotFound(InputError):
    """A pretrained model named by a config (a known name, a hub id, a folder) is not on
    this machine and cannot be fetched: a typo, or a machine offline."""


class ResultFileError(InputError):
    """A stored result file cannot be trusted: damaged (not JSON, a merge conflict, cut
    short), not a result file, or another experiment's or profile's."""
