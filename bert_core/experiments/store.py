"""The result store: committed artefacts of real runs, ``results/<profile>/<name>.json``.

An experiment's seeds are stored together in ``results/<profile>/experiments/<name>.json``,
each with the hash of its config (``ExperimentConfig.run_hash``); ``load_result`` returns
the seeds whose hashes match and ``store_run`` adds or replaces one. Runs of one name under
other settings (a profile's caps before and after a rescale) live side by side in the file:
a record is keyed by its seed, or by ``<seed>@<hash>`` when that key already holds a run of
other settings, so nothing stored is lost when a default moves. Each record carries its
own provenance (``meta``), so a file that holds runs of several commands says which
command made which; records stored before that take the file's ``meta`` the next time the
file is written.

Each artefact carries what produced it (the command, the profile, the machine, the
library versions, the date) beside its payload, so that a table in a notebook can say
where its numbers came from. Files are written to a temporary name and renamed, so an
interrupted run never leaves half an artefact.

Used by every notebook that shows results.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import platform
import shlex
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from bert_core.errors import ResultFileError
from bert_core.experiments.presets import in_profile
from bert_core.experiments.profiles import get_profile
from bert_core.experiments.result import ExperimentResult
from bert_core.files import PROJECT_ROOT, atomic_write, results_root, runs_root
from bert_core.training.config import ExperimentConfig

__all__ = ["load_result", "load_results", "load_experiment", "store_run", "stored_meta", "results_dir",
           "provenance", "reusing", "save_artefact", "load_artefact", "shown_path"]


def results_dir(profile: str) -> Path:
    """Where a profile's artefacts live: ``results/<profile>/`` (``$BERT_CORE_RESULTS``) for the
    profiles whose results are committed; for the smoke profile, whose numbers only prove that
    the code runs, scratch space beside the runs (``runs/results/smoke/``), so that a second
    ``make test`` in the same clone starts as fresh as the first."""
    if get_profile(profile).uses_sample_data:
        return runs_root() / "results" / profile
    return results_root() / profile


def _machine() -> str:
    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name(0)}, {os.cpu_count()} CPU cores"
    return f"{platform.machine()} CPU, {os.cpu_count()} cores ({platform.system()})"


def _program(argv0: str) -> str:
    # ``python -m bert_core.train`` sees argv[0] = .../bert_core/train.py; say it as it was typed
    path = Path(argv0).resolve()
    package = PROJECT_ROOT / "bert_core"
    if path.suffix == ".py" and path.is_relative_to(package):
        parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
        return "python -m " + ".".join(p for p in parts if p != "__main__")
    return Path(argv0).name


def provenance(profile: str) -> dict[str, Any]:
    """Where a result comes from: command, profile, machine, versions, date."""
    import bert_core

    # quoted as a shell needs it, so the command can be pasted back (--set 'heads={"sts": ...}')
    command = os.environ.get("BERT_CORE_COMMAND") or " ".join(
        [_program(sys.argv[0]), *(shlex.quote(arg) for arg in sys.argv[1:])])
    return {
        "command": command,
        "profile": profile,
        "machine": _machine(),
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "bert_core": bert_core.__version__,
        },
        "date": datetime.date.today().isoformat(),
    }


def save_artefact(profile: str, name: str, payload: dict[str, Any], keep: bool = False) -> Path:
    """Write ``{"meta": provenance, "payload": payload}`` atomically; return the path.

    A payload already stored, equal to ``SIGNIFICANT`` digits (what another thread count
    or machine changes in a float), is left as it is, with the provenance of the run that
    made it: re-executing a notebook does not rewrite its committed artefacts' dates.
    ``keep``: leave any stored artefact of this name as it is, as a stored run is loaded
    instead of retrained (for a computation whose digits depend on the machine, such as a
    fitted probe; pass ``keep=reusing()``)."""
    path = results_dir(profile) / f"{name}.json"
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))["payload"]
    except (OSError, ValueError, KeyError, TypeError):
        stored = None
    if stored is not None and (keep or _rounded(stored) == _rounded(json.loads(json.dumps(payload)))):
        return path
    text = json.dumps({"meta": provenance(profile), "payload": payload}, indent=1, sort_keys=True) + "\n"
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


SIGNIFICANT = 6


def reusing() -> bool:
    """Whether stored results are loaded instead of computed again: yes unless
    ``$BERT_CORE_REUSE`` is 0 (``make run RETRAIN=1``)."""
    return os.environ.get("BERT_CORE_REUSE", "1") != "0"


def _rounded(value: Any) -> Any:
    """``value`` (parsed JSON) with every float rounded to ``SIGNIFICANT`` digits."""
    if isinstance(value, float):
        return float(f"{value:.{SIGNIFICANT}g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def load_artefact(profile: str, name: str) -> dict[str, Any] | None:
    """The artefact ``{"meta": ..., "payload": ...}``, or None if nobody has run it yet. A
    file that is not one (damaged, a merge conflict left in it, cut short) is a
    ``ResultFileError`` naming it and the way out, never a traceback or a silent nothing."""
    path = results_dir(profile) / f"{name}.json"
    if not path.exists():
        return None
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        conflict = isinstance(error, json.JSONDecodeError) and "<<<<<<<" in error.doc
        why = "a merge conflict left in it" if conflict else str(error)
        raise ResultFileError(_damaged(path, why)) from None
    if not isinstance(stored, dict) or not {"meta", "payload"} <= set(stored):
        raise ResultFileError(_damaged(path, 'no "meta" and "payload": not a result file of this project'))
    return stored


def _damaged(path: Path, why: str) -> str:
    return (f"{path}: cannot be read as a stored result ({why}). Restore it (`git checkout -- "
            f"{shown_path(path)}` for a committed one) or move it away, then run again; nothing was "
            "trained or written")


def shown_path(path: Path) -> str:
    """``path`` relative to the project where it is inside it (as git names it), else whole."""
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


def load_experiment(config: ExperimentConfig) -> dict[str, Any] | None:
    """The stored file of ``config``'s experiment (every run of its name in its profile),
    checked to be one: its runs a mapping of records with hashes, its config of this name
    and profile (a file copied in from another profile's folder is an error, not "no runs")."""
    stored = load_artefact(config.profile, _artefact_name(config))
    if stored is None:
        return None
    path = results_dir(config.profile) / f"{_artefact_name(config)}.json"
    payload = stored["payload"]
    runs = payload.get("runs") if isinstance(payload, dict) else None
    records = isinstance(runs, dict) and all(isinstance(r, dict) and "config_hash" in r
                                             for r in runs.values())
    if not records:
        raise ResultFileError(_damaged(path, "its runs are not records with a config_hash"))
    written = payload.get("config", {})
    for field, wanted in (("profile", config.profile), ("name", config.name)):
        if field in written and written[field] != wanted:
            raise ResultFileError(
                f"{path}: holds runs of {field} {written[field]!r}, not {wanted!r} (copied from another "
                f"folder?). Move it to results/{written.get('profile', '?')}/experiments/"
                f"{written.get('name', '?')}.json, or away, then run again; nothing was trained or written")
    return stored


def _artefact_name(config: ExperimentConfig) -> str:
    return f"experiments/{config.name}"


def load_result(config: ExperimentConfig) -> ExperimentResult | None:
    """The stored runs of ``config`` whose hashes match (None if there are none), without
    training. ``load_result(in_profile(config, "cpu"))`` reads the committed ``cpu`` runs."""
    stored = load_experiment(config)
    if stored is None:
        return None
    by_hash = {run["config_hash"]: run for run in stored["payload"]["runs"].values()}
    runs = {seed: by_hash[config.run_hash(seed)] for seed in config.seeds if config.run_hash(seed) in by_hash}
    return ExperimentResult(config, runs, stored_meta(config, runs)) if runs else None


def load_results(configs: Sequence[ExperimentConfig], profile: str = "cpu",
                 **overrides: Any) -> dict[str, ExperimentResult | None]:
    """The stored runs of each config carried to ``profile`` (``in_profile``, ``overrides``
    on top), by name: what a notebook shows as the committed ``cpu`` results beside its own
    runs."""
    return {config.name: load_result(in_profile(config, profile, **overrides)) for config in configs}


def store_run(config: ExperimentConfig, seed: int, run: dict[str, Any]) -> dict[str, Any]:
    """Add (or replace) one seed's record in the experiment's stored file, with its
    provenance; the other seeds, and runs of the same name under other settings, are kept
    (with the provenance they were stored under). Returns the record as stored.

    The read, the change and the write hold a lock on the file (``_file_lock``), so two
    processes that finish seeds of one experiment at the same moment (two terminals, two
    batch jobs) both keep theirs: without it, each would write the file it read, without
    the other's seed."""
    with _file_lock(results_dir(config.profile) / f"{_artefact_name(config)}.json"):
        current = load_experiment(config)
        runs = {key: {**r, "meta": r.get("meta", current["meta"])}
                for key, r in (current["payload"]["runs"] if current else {}).items()
                if r["config_hash"] != run["config_hash"]}
        key = str(seed) if str(seed) not in runs else f"{seed}@{run['config_hash']}"
        runs[key] = record = {**run, "meta": provenance(config.profile)}
        save_artefact(config.profile, _artefact_name(config), {"config": config.to_dict(), "runs": runs})
    return record


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive ``flock`` for ``path``'s read-modify-write, held on a lock file under the
    runs folder (``.locks/``: not beside committed results); where there is no flock
    (Windows), no lock."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    name = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    lock = runs_root() / ".locks" / f"{path.stem}-{name}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def stored_meta(config: ExperimentConfig, runs: Mapping[int, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The provenance of stored runs of ``config``: that of the highest seed among ``runs``
    (the one stored last when seeds are run in order), else the file's ({} if none)."""
    if runs:
        newest = runs[max(runs)]
        if "meta" in newest:
            return newest["meta"]
    stored = load_artefact(config.profile, _artefact_name(config))
    return stored["meta"] if stored else {}
