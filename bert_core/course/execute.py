"""The main job: execute the course notebooks top to bottom in a profile.

``python -m bert_core.course.execute --profile cpu`` runs every ``notebooks/NN_*.py`` (the
jupytext source) in a fresh kernel with ``BERT_CORE_PROFILE`` set. Notebooks write their
artefacts to ``results/<profile>/`` and figures to ``figures/<profile>/``.

- ``cpu``: the executed notebooks replace ``notebooks/NN_*.ipynb``. These are the
  committed notebooks, the course's textbook: every table and figure in them comes from
  the course data at the ``cpu`` profile. Training runs load the committed results in
  ``results/cpu/`` whose settings match, so the pass takes minutes, not hours.
- ``smoke`` / ``gpu``: the executed notebooks go to ``runs/notebooks/<profile>/``; the
  committed notebooks are left as they are. ``pytest --nbval-lax`` executes the committed
  notebooks in ``smoke`` (every cell must run) and compares the cells marked
  ``# NBVAL_CHECK_OUTPUT``, whose output is the same in every profile.

Training runs (notebooks 04 on) load a stored result whose settings match instead of
training again; ``--retrain`` trains every run afresh (``BERT_CORE_REUSE=0``).

Without the course data (a fresh machine, nothing set) the job says so in one line, with
how to get the data, and runs the ``smoke`` profile on the sample set the package ships.
A smoke pass trains in a temporary runs folder that is removed afterwards: its runs only
prove that the code runs, and would otherwise leave gigabytes of weights behind.

A smoke pass also runs two notebooks at a time (``--workers``; ``default_workers``), each
kernel on its share of the cores: its models are small, and two one-thread kernels get
more from two cores than one two-thread kernel does. A notebook and its solutions run in
order in one worker (a solution loads the runs its notebook trained). The other profiles
run one notebook at a time: ``cpu`` writes the committed notebooks, whose unchecked cells
should not change with a thread count, and ``gpu`` would share one accelerator.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from contextlib import contextmanager, nullcontext
from pathlib import Path

from bert_core.device import threads_per_worker, usable_cores
from bert_core.experiments.profiles import PROFILES, get_profile
from bert_core.files import PROJECT_ROOT, temporary_runs
from bert_core.multitask.data import DOWNLOAD_COMMAND, task_file

__all__ = ["notebook_sources", "notebook_chains", "missing_data", "profile_to_run", "scratch_runs",
           "stable_cell_ids", "execute_notebook", "notebook_target", "default_workers", "execute_all",
           "COMMITTED_PROFILE"]

NOTEBOOKS = PROJECT_ROOT / "notebooks"
COMMITTED_PROFILE = "cpu"  # the profile whose executions are the committed notebooks


def notebook_sources(only: list[str] | None = None) -> list[Path]:
    """The jupytext sources in teaching order, then their exercises' solutions
    (``notebooks/solutions/``); ``only``: those whose number it names."""
    pattern = "[0-9][0-9]_*.py"
    sources = sorted(NOTEBOOKS.glob(pattern)) + sorted((NOTEBOOKS / "solutions").glob(pattern))
    if only:
        sources = [p for p in sources if p.name[:2] in only]
    return sources


def notebook_chains(sources: Sequence[Path]) -> list[list[Path]]:
    """``sources`` grouped by notebook number, in their order: each notebook, then its
    solutions. One chain runs in one worker, in order."""
    chains: dict[str, list[Path]] = {}
    for source in sources:
        chains.setdefault(source.name[:2], []).append(source)
    return list(chains.values())


def execute_notebook(source: Path, profile: str, target: Path, timeout: int = 3600) -> float:
    """Execute one jupytext source in ``profile``; write the executed ``.ipynb``; seconds."""
    import jupytext
    from nbclient import NotebookClient

    nb = jupytext.read(source)
    stable_cell_ids(nb)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["bert_core"] = {"profile": profile}  # what a reader of the file sees the results of
    old = os.environ.get("BERT_CORE_PROFILE")
    os.environ["BERT_CORE_PROFILE"] = profile  # the kernel inherits the environment
    start = time.perf_counter()
    try:
        client = NotebookClient(
            nb, kernel_name="python3", timeout=timeout, record_timing=False,
            resources={"metadata": {"path": str(source.parent)}},
            # the kernel's own start-up log ("running over TCP without encryption", a
            # local kernel's normal state) says nothing a reader can act on
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
        client.execute()
    finally:
        if old is None:
            os.environ.pop("BERT_CORE_PROFILE", None)
        else:
            os.environ["BERT_CORE_PROFILE"] = old
    target.parent.mkdir(parents=True, exist_ok=True)
    jupytext.write(nb, target, fmt="ipynb")
    return time.perf_counter() - start


def missing_data(profile: str) -> str | None:
    """None if ``profile`` has its data; else one line that says what is missing and how to
    get it."""
    folder = PROFILES[profile].data_dir
    if task_file("sst", "train", folder).exists():
        return None
    return (f"The {profile} profile reads the course data and {folder} has none: running the smoke "
            f"profile on the sample set instead. For the course data: {DOWNLOAD_COMMAND} (online), "
            "or BERT_CORE_DATA=/path/to/the/data (on the course machines: ../shared/data/cs224n).")


def profile_to_run(profile: str) -> str:
    """``profile``, or ``smoke`` (with its one-line notice on stderr) when its data is missing."""
    notice = missing_data(profile)
    if notice is None:
        return profile
    print(notice, file=sys.stderr, flush=True)
    return "smoke"


@contextmanager
def scratch_runs() -> Iterator[Path]:
    """A temporary runs folder (``BERT_CORE_RUNS``) for the block, removed afterwards, unless
    the caller has set ``BERT_CORE_RUNS`` already (then that folder, kept)."""
    if os.environ.get("BERT_CORE_RUNS"):
        yield Path(os.environ["BERT_CORE_RUNS"])
        return
    with temporary_runs() as folder:  # the kernels inherit it
        yield folder


def stable_cell_ids(nb) -> None:
    """Cell ids from the cells' content, not random: a rerun that changes nothing leaves
    the committed .ipynb byte for byte as it was."""
    seen: dict[str, int] = {}
    for cell in nb.cells:
        digest = hashlib.sha1(f"{cell.cell_type}:{cell.source}".encode()).hexdigest()[:8]
        seen[digest] = seen.get(digest, 0) + 1
        cell.id = digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"


def notebook_target(source: Path, profile: str) -> Path:
    """Where the execution of ``source`` in ``profile`` is written: the committed notebook
    beside it for ``cpu``, else ``runs/notebooks/<profile>/``."""
    if profile == COMMITTED_PROFILE:
        return source.with_suffix(".ipynb")
    return PROJECT_ROOT / "runs" / "notebooks" / profile / source.with_suffix(".ipynb").name


def default_workers(profile: str) -> int:
    """Notebooks at a time: two in ``smoke`` where there are two cores, else one (the
    module's docstring says why)."""
    return min(2, usable_cores()) if profile == "smoke" else 1


def _execute_chain(chain: Sequence[Path], profile: str, threads: int | None = None) -> None:
    """Execute a chain's notebooks in order, each line printed as it finishes. ``threads`` is
    given in a worker process: the kernels' ``OMP_NUM_THREADS`` unless the user set one, and
    a failure comes back as a ``RuntimeError`` naming the notebook."""
    if threads is not None:
        os.environ.setdefault("OMP_NUM_THREADS", str(threads))  # this worker process's kernels
    for source in chain:
        target = notebook_target(source, profile)
        try:
            seconds = execute_notebook(source, profile, target)
        except Exception as error:
            if threads is None:
                raise
            # nbclient's CellExecutionError does not survive the trip back to the parent
            # (its __init__ takes three arguments, pickle gives it one): its text does
            raise RuntimeError(f"{source.name} failed:\n{error}") from None
        shown = target.relative_to(PROJECT_ROOT)
        print(f"[{profile}] {source.name}: {seconds:.0f} s -> {shown}", flush=True)


def execute_all(profile: str, only: list[str] | None = None, workers: int | None = None) -> None:
    """Execute the notebooks in ``profile``, each to ``notebook_target``; ``workers``
    notebooks at a time (``default_workers``), each chain of ``notebook_chains`` in one."""
    # Kernels run in notebooks/: a relative BERT_CORE_DATA must not change meaning there.
    if os.environ.get("BERT_CORE_DATA"):
        os.environ["BERT_CORE_DATA"] = str(Path(os.environ["BERT_CORE_DATA"]).expanduser().resolve())
    os.environ.setdefault("BERT_CORE_COMMAND", f"BERT_CORE_PROFILE={profile} make run")
    chains = notebook_chains(notebook_sources(only))
    workers = min(workers or default_workers(profile), len(chains))
    with scratch_runs() if profile == "smoke" else nullcontext():
        if workers <= 1:
            for chain in chains:
                _execute_chain(chain, profile)
            return
        threads = threads_per_worker(workers)
        # spawn, not fork: this process has imported torch and its thread pools
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = [pool.submit(_execute_chain, chain, profile, threads) for chain in chains]
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            failed = [f for f in done if f.exception() is not None]
            if failed:
                for future in futures:
                    future.cancel()  # the chains not started; a running chain runs to its end
                raise failed[0].exception()


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bert_core.course.execute",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default=None, choices=list(PROFILES),
                        help="default: $BERT_CORE_PROFILE, else gpu with CUDA, else cpu")
    parser.add_argument("--only", default=None, help="comma-separated notebook numbers, e.g. 00,02")
    parser.add_argument("--workers", type=int, default=None,
                        help="notebooks at a time (default: 2 in smoke with two cores, else 1)")
    parser.add_argument("--retrain", action="store_true",
                        help="train every run again instead of loading stored results with the same settings")
    args = parser.parse_args(argv)
    if args.retrain:
        os.environ["BERT_CORE_REUSE"] = "0"  # the kernels inherit it
    profile = profile_to_run(get_profile(args.profile).name)
    only = args.only.split(",") if args.only else None
    execute_all(profile, only, args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(_main())
