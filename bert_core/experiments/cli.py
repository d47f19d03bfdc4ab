"""What the command lines share: seeds from an option, and user errors in one line.

A user's error (a config field, a data file, a checkpoint, a run folder in use: any
``bert_core.errors.InputError``, or a missing file) is printed as one line on stderr, what
is wrong, where and the fix, with exit status 2; a run that diverged
(``TrainingDiverged``) likewise, status 1, and so is an error of the machine (an
``OSError``: a full disk, a read-only folder, no permission). ``--verbose`` shows the
traceback as well.
Everything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
import sys
import traceback
from collections.abc import Callable, Sequence

from bert_core.errors import ConfigError, InputError
from bert_core.training.guard import TrainingDiverged

__all__ = ["parse_seeds", "user_errors_in_one_line", "environment_message"]

USER_ERROR, DIVERGED, ENVIRONMENT = 2, 1, 1


def environment_message(error: OSError) -> str:
    """One line for an error of the machine, naming the path and what to do."""
    where = f"{error.filename}: " if error.filename else ""
    fixes = {errno.ENOSPC: "free some disk space (each finished run keeps its weights under runs/; "
                           "a stored result does not need them), or point BERT_CORE_RUNS at a larger disk",
             errno.EROFS: "the folder is read-only; point BERT_CORE_RUNS (runs) or BERT_CORE_RESULTS "
                          "(results) at a writable folder",
             errno.EACCES: "you may not write there; point BERT_CORE_RUNS or BERT_CORE_RESULTS at a "
                           "folder of yours"}
    fix = fixes.get(error.errno or 0, "see --verbose for where it happened")
    return f"{where}{error.strerror or error}; {fix}"


def parse_seeds(text: str) -> tuple[int, ...]:
    """``"0,1,2"`` as seeds; anything else a ``ConfigError`` naming the option."""
    try:
        seeds = tuple(int(s) for s in text.split(","))
    except ValueError:
        raise ConfigError(f"--seeds {text!r}: expected whole numbers separated by commas, e.g. --seeds 0,1,2"
                          ) from None
    if any(s < 0 for s in seeds):
        raise ConfigError(f"--seeds {text!r}: seeds are 0 or more")
    return seeds


def user_errors_in_one_line(main: Callable[[list[str]], int | None]) -> Callable[[Sequence[str] | None], int]:
    """Wrap a command line's ``main(argv)``: a user's error is one line on stderr and exit
    status 2, a diverged run one line and status 1; ``--verbose`` in argv shows tracebacks."""
    def run(argv: Sequence[str] | None = None) -> int:
        args = list(sys.argv[1:] if argv is None else argv)
        verbose = "--verbose" in args
        try:
            return main([a for a in args if a != "--verbose"]) or 0
        except (InputError, FileNotFoundError, TrainingDiverged) as error:
            if verbose:
                traceback.print_exc()
            print(f"error: {error}", file=sys.stderr)
            return DIVERGED if isinstance(error, TrainingDiverged) else USER_ERROR
        except OSError as error:  # the machine's: a read-only folder, a full disk, permissions
            if verbose:
                traceback.print_exc()
            print(f"error: {environment_message(error)}", file=sys.stderr)
            return ENVIRONMENT

    return run
