"""Results tables: our runs (mean ± std over seeds) beside the reports' published numbers.

A row of ours shows each metric of the best dev checkpoint as ``mean ± std`` over its
seeds (the sample standard deviation; one seed shows the value alone), the number of
seeds, the wall time and peak memory per run. Published rows come from
``reference/published_results.csv`` (transcribed from the five reports, cited by title).
A difference smaller than the seed-to-seed spread is not a finding; the ``±`` is there
so that the table says so.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from bert_core.course.zero_shot import with_reference_rows
from bert_core.experiments.result import ExperimentResult
from bert_core.files import PROJECT_ROOT
from bert_core.multitask.evaluate import METRIC_NAMES
from bert_core.training.config import ExperimentConfig

__all__ = ["REPORTS", "published_results", "published_rows", "results_table", "ours", "settings_table",
           "side_by_side", "provenance_line", "results_to_show", "conflict_rates",
           "penalty_means", "alongside", "TRANSFORMERS_YARDSTICKS", "transformers_yardsticks"]

REPORTS = {
    "000_35687e33e67d2868": "Maximizing MinBert",
    "001_aaf416be38fa7b31": "A SMARTer minBERT",
    "002_414f6834b3e0ad99": "Multi-BERT: Investigating Methods",
    "003_a07d948001f9fa56": "Multi-BERT: Projected Attention",
    "004_7350a484433b0d64": "SMART Surgery",
}
METRICS = (*METRIC_NAMES.values(), "overall")
# benchmarks/bench_transformers_yardsticks.py's record: each task fine-tuned alone with transformers' defaults
TRANSFORMERS_YARDSTICKS = PROJECT_ROOT / "benchmarks" / "results" / "bench_transformers_yardsticks.json"


def published_results() -> pd.DataFrame:
    """Every published number, one row per report, table, method, split and mode."""
    frame = pd.read_csv(PROJECT_ROOT / "reference" / "published_results.csv", dtype={"report": str})
    frame.insert(1, "title", frame["report"].map(REPORTS))
    return frame


def published_rows(selection: Sequence[tuple[str, str, str]], split: str = "dev") -> pd.DataFrame:
    """The published rows named by ``(report title, method, mode)``, in that order, as a
    table with the same columns as ``results_table``."""
    frame = published_results()
    rows = []
    for title, method, mode in selection:
        match = frame[(frame["title"] == title) & (frame["method"] == method) & (frame["mode"] == mode)
                      & (frame["split"] == split)]
        if match.empty:
            raise KeyError(f"no published {split} row for {title!r} / {method!r} / {mode!r}")
        row = match.iloc[0]
        rows.append({"source": f"{title}: {method} ({mode})",
                     **{m: _fmt(row[m]) for m in METRICS if m in row}})
    frame = pd.DataFrame(rows).set_index("source")
    return frame.loc[:, (frame != "").any()]  # only the metrics these reports give


def _fmt(value: float, std: float | None = None, digits: int = 3) -> str:
    if value is None or pd.isna(value):
        return ""
    return f"{value:.{digits}f}" if std is None else f"{value:.{digits}f} ± {std:.{digits}f}"


def results_table(results: Mapping[str, ExperimentResult | None], digits: int = 3,
                  resources: bool = True, zero_shot: bool = True) -> pd.DataFrame:
    """One row per labelled result: metrics as ``mean ± std``, the number of seeds, and
    (``resources``) wall seconds and peak MB per run; with ``zero_shot``, a table with an
    STS column ends with the checkpoint's zero-shot r on the same dev pairs
    (``zero_shot.with_reference_rows``).

    A label mapped to None (a run nobody has made yet in that profile) shows as a row of
    blanks, so a table keeps its shape before and after the runs exist.
    """
    rows = []
    for label, result in results.items():
        row: dict[str, str | int] = {"source": label}
        if result is not None:
            summary = result.summary()
            for metric in METRICS:
                if metric in summary:
                    values = summary[metric]  # one seed has no spread to show
                    row[metric] = _fmt(values["mean"], values["std"] if values["n"] > 1 else None, digits)
            row["seeds"] = len(result.runs)
            if resources:
                row["s / run"] = f"{summary['wall_seconds']['mean']:.0f}"
                row["peak MB"] = f"{summary['peak_memory_mb']['mean']:.0f}"
        rows.append(row)
    if not rows:
        return pd.DataFrame(index=pd.Index([], name="source"))
    frame = pd.DataFrame(rows).set_index("source").astype(object).fillna("")
    ordered = [c for c in (*METRICS, "seeds", "s / run", "peak MB") if c in frame.columns]
    return with_reference_rows(frame[ordered], results) if zero_shot else frame[ordered]


def ours(results: Mapping[str, ExperimentResult | None], *names: str, profile: str = "cpu") -> pd.DataFrame:
    """``results_table`` of the named results (all of them when none is named), labelled
    ``ours, <profile>: <name>`` to stand beside ``published_rows``."""
    return results_table({f"ours, {profile}: {n}": results[n] for n in names or results})


def settings_table(configs: Sequence[ExperimentConfig], fields: Sequence[str]) -> pd.DataFrame:
    """One row per config (by name), the chosen fields as text: what a table's rows change."""
    return pd.DataFrame([{f: str(getattr(c, f)) for f in fields} for c in configs],
                        index=[c.name for c in configs])


def side_by_side(*tables: pd.DataFrame) -> pd.DataFrame:
    """Stack tables (ours, then published), blank where a table has no such column."""
    return pd.concat([t.astype(object) for t in tables]).astype(object).fillna("")


def provenance_line(results: Mapping[str, ExperimentResult | None], profile: str = "cpu") -> str:
    """Where stored runs come from: ``<profile> runs: <command> on <machine>, <date>``, or how
    to make them when there are none."""
    metas = [r.meta for r in results.values() if r is not None]
    if not metas:
        return f"No committed {profile} runs yet: BERT_CORE_PROFILE={profile} make run"
    commands = list(dict.fromkeys(m.get("command", "-") for m in metas))
    machines = ", ".join(dict.fromkeys(m.get("machine", "-") for m in metas))
    dates = sorted({m.get("date", "-") for m in metas})
    date = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
    if len(commands) == 1:
        return f"{profile} runs: {commands[0]} on {machines}, {date}"
    shown = "\n".join(f"  {name}: {r.meta.get('command', '-')}"
                      for name, r in results.items() if r is not None)
    return (f"{profile} runs on {machines}, {date}, each by its own command "
            f"(BERT_CORE_PROFILE={profile} RETRAIN=1 make run repeats them all):\n{shown}")


Results = Mapping[str, "ExperimentResult | None"]


def results_to_show(own: Results, committed: Results, profile: str) -> tuple[Results, str]:
    """Which runs a notebook's plots show, and their profile: in ``smoke`` (the sample set,
    numbers that mean nothing) the committed ``cpu`` runs when there are any; else your own."""
    if profile == "smoke" and any(committed.values()):
        return committed, "cpu"
    return own, profile


def conflict_rates(rows: Sequence[Sequence], below: float = 0.0) -> pd.DataFrame:
    """From a PCGrad run's ``record["gradients"]`` rows ``[step, group, pair, cosine]``: per
    layer group (``all`` first, then the groups in the encoder's order) and task pair, the
    fraction of steps whose two task gradients conflict (cosine < ``below``; 0 is Yu et al.'s
    definition, a negative ``below`` ignores conflicts that are noise around orthogonal),
    the mean cosine, the mean of its absolute value (how far from orthogonal the two are,
    whatever the sign), and the number of steps."""
    frame = pd.DataFrame(list(rows), columns=["step", "group", "pair", "cosine"])
    if frame.empty:
        return pd.DataFrame(columns=["conflict", "mean cosine", "mean |cosine|", "steps"])
    named = {"conflict": ("conflict", "mean"), "mean cosine": ("cosine", "mean"),
             "mean |cosine|": ("size", "mean"), "steps": ("step", "nunique")}
    # sort=False keeps the order in which the run recorded the groups and pairs
    return frame.assign(conflict=frame["cosine"] < below, size=frame["cosine"].abs()).groupby(
        ["group", "pair"], sort=False).agg(**named)


def penalty_means(runs: Mapping[str, Sequence[Sequence]]) -> pd.DataFrame:
    """From SMART runs' ``record["smart"]`` rows ``[step, task, term, value]`` (by label): the
    mean of each penalty (``adversarial`` R_s, ``bregman`` D_Breg) per task, one column per run."""
    columns = ["step", "task", "term", "value"]
    return pd.DataFrame({label: pd.DataFrame(list(rows), columns=columns).groupby(["term", "task"])["value"]
                         .mean() for label, rows in runs.items()})


def alongside(committed: Mapping[str, ExperimentResult | None], *names: str,
              mine: Sequence[ExperimentResult] = ()) -> dict[str, ExperimentResult | None]:
    """The rows of a comparison: the committed results named ``names`` (in that order), then
    runs of one's own (an exercise's) under their configs' names."""
    return {**{name: committed[name] for name in names}, **{r.config.name: r for r in mine}}


def transformers_yardsticks(path: str | Path = TRANSFORMERS_YARDSTICKS) -> dict[str, list[float]]:
    """Per task, the recorded seeds' dev scores of the transformers benchmark (accuracy for
    SST and Quora, Pearson r for STS), in seed order; empty when it has not been run."""
    path = Path(path)
    if not path.exists():
        return {}
    runs = json.loads(path.read_text(encoding="utf-8")).get("runs", {})
    return {task: [seeds[seed].get("accuracy", seeds[seed].get("pearson")) for seed in sorted(seeds, key=int)]
            for task, seeds in runs.items()}
