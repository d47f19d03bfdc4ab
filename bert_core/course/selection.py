"""Choosing the final model by a rule stated before looking: screen every recipe of the
tables at the cpu caps, then confirm the leads at the headline's budget (notebook 11).

The recipe to beat is the headline recipe with notebook 06's fix of its STS head (the
diagnosis there: the ``cosine_fc`` head left STS below the untrained checkpoint, the
``scaled_cosine`` head lifts it above): at the cpu scale the row ``cpu-best-scaled-cosine``,
at the headline's budget the row ``headline-scaled-cosine``. The final model (``final``,
``presets.FINAL``) is that recipe unless a candidate is confirmed. For a row c with per-seed
overall dev scores a and its reference's b, Welch's t-test (``significance.welch_p``) gives
a two-sided p; the one-sided p that c is *ahead* is p/2 when mean(a) > mean(b), else 1 - p/2.

**Stage 1, the screen** (cpu caps, cheap, many rows): every multitask row of the grid
trained at the cpu caps (``candidate_results``) against ``REFERENCE``. A row ahead at an
uncorrected p < α is a lead; a notebook's rows are variations of one idea, so each
notebook sends at most one lead on: its ahead row with the best mean (``leads``). A screen
tolerates false leads: with about fifty rows at α = 0.05, two or three lead by chance.

**Stage 2, the confirmation** (the headline's budget, its own runs): each lead is trained
as its *twin* (``twin``: the row's preset under ``presets.HEADLINE_BUDGET``, three seeds,
full dev sets) and compared with ``HEADLINE``. With k candidates (the twins and the
variants below) each tested at α, Holm's step-down procedure (Holm 1979) keeps the chance
of any false "ahead" at α: sort the one-sided p ascending, p_(1) ≤ ... ≤ p_(k); candidate
(i) is confirmed while p_(j) ≤ α / (k - j + 1) for every j ≤ i, and the first failure
stops the procedure.

Stage 2 also confirms the recipe's own one-change variants at the headline's budget
(``VARIANTS``), named before they were trained: changes the tables cannot screen, because
they are about the budget or the single-task yardsticks of notebook 05 rather than about a
row of the cpu tables. They are tested with the twins, under the same Holm correction.

**The rule**: the final recipe is the confirmed candidate (twin or variant) with the best
mean overall score; if none is confirmed, ``HEADLINE``'s recipe is the final one. Until every
candidate is trained the rule has no answer (``final_choice`` says which are missing).

Rows that are not screened: single-task rows (04, 05-alone, 06-sts), the pinned stall
ablation (its small caps), and the rows at the headline's budget (another scale).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from bert_core.course.significance import ALPHA, welch_p
from bert_core.experiments import grid
from bert_core.experiments.grid import GRID
from bert_core.experiments.presets import PRESETS, preset
from bert_core.experiments.result import ExperimentResult
from bert_core.experiments.store import load_results
from bert_core.training.config import ExperimentConfig

__all__ = ["REFERENCE", "HEADLINE", "VARIANTS", "CONFIRMATION_SEEDS", "candidate_results", "holm_ahead",
           "selection_table", "chosen_recipe", "leads", "twin", "confirmation_results", "final_choice"]

REFERENCE = "cpu-best-scaled-cosine"  # the recipe to beat at the cpu caps
HEADLINE = "headline-scaled-cosine"  # the same recipe at the headline's budget
# its one-change variants, confirmed with the twins: a second pass over every task (SST
# alone, in the project and in transformers, gains from more passes: notebook 05) and STS's
# loss at full weight (the cpu profile's 0.2; STS alone scores above STS together)
VARIANTS = tuple(name for name in grid.table("11").names if name != HEADLINE)  # grid table 11 names them
CONFIRMATION_SEEDS = (0, 1, 2)  # stage 2 compares three seeds a side
_TWINS = {REFERENCE: HEADLINE, "cpu-best": "headline"}
_THREE_TASKS = set(ExperimentConfig.__dataclass_fields__["tasks"].default)


def candidate_results(profile: str = "cpu") -> dict[str, ExperimentResult]:
    """The committed runs of every multitask row of the grid tables trained at the cpu caps
    (single-task rows, pinned tables and rows at the headline's budget left out),
    ``REFERENCE`` included, by name, each once."""
    configs = {}
    for table in GRID:
        if table.pinned:
            continue
        for config in table.configs(profile):
            if set(config.tasks) == _THREE_TASKS and config.dev_limit is not None:
                configs.setdefault(config.name, config)
    return {name: r for name, r in load_results(list(configs.values()), profile).items() if r is not None}


def _notebook(name: str) -> str:
    return next(t.notebook for t in GRID if name in t.seeds)


def leads(screen: pd.DataFrame, alpha: float = ALPHA, metric: str = "overall") -> dict[str, str]:
    """Stage 1: per notebook, its row ahead of the reference at an uncorrected one-sided
    p < ``alpha`` with the best mean ``metric`` (``screen``: a ``selection_table``), by
    notebook."""
    ahead = screen[screen["p (ahead)"] < alpha]
    chosen: dict[str, str] = {}
    for name in ahead.sort_values(metric, ascending=False).index:
        chosen.setdefault(_notebook(str(name)), str(name))
    return dict(sorted(chosen.items()))


def twin(name: str) -> str:
    """The preset that trains row ``name`` at the headline's budget (``HEADLINE_BUDGET``)."""
    twin_name = _TWINS.get(name, f"{name}-headline")
    if twin_name not in PRESETS:
        raise KeyError(f"lead {name!r} has no preset at the headline's budget; add "
                       f"PRESETS[{twin_name!r}] = {{**PRESETS[{name!r}], **HEADLINE_BUDGET}} in "
                       "bert_core/experiments/presets.py")
    return twin_name


def confirmation_results(lead_names: list[str], profile: str = "cpu"
                         ) -> tuple[dict[str, ExperimentResult], list[str]]:
    """Stage 2's committed runs: ``HEADLINE``, each lead's twin and the ``VARIANTS``, by
    name, and the candidates with no committed runs yet."""
    names = [HEADLINE, *(twin(name) for name in lead_names), *VARIANTS]
    loaded = load_results([preset(name, profile, seeds=CONFIRMATION_SEEDS) for name in names], profile)
    return ({name: r for name, r in loaded.items() if r is not None},
            [name for name, r in loaded.items() if r is None])


def holm_ahead(p_values: Mapping[str, float], alpha: float = ALPHA) -> dict[str, tuple[float, bool]]:
    """Holm's step-down procedure over one-sided p-values: per name, its threshold
    α / (m - rank) (rank from 0 in ascending p) and whether it is rejected (ahead)."""
    order = sorted(p_values, key=lambda name: p_values[name])
    m, still = len(order), True
    decided = {}
    for rank, name in enumerate(order):
        threshold = alpha / (m - rank)
        still = still and p_values[name] <= threshold
        decided[name] = (threshold, still)
    return decided


def selection_table(results: Mapping[str, ExperimentResult], reference: str = REFERENCE,
                    metric: str = "overall", alpha: float = ALPHA) -> pd.DataFrame:
    """Every candidate against ``reference`` on ``metric``: seeds, mean, Δ, the one-sided
    Welch p that it is ahead, Holm's threshold for its rank, and the verdicts uncorrected
    (p < α) and by Holm. Sorted by p, the most promising first."""
    base = [m[metric] for m in results[reference].seed_metrics().values()]
    rows, p_ahead = {}, {}
    for name, result in results.items():
        if name == reference:
            continue
        values = [m[metric] for m in result.seed_metrics().values()]
        delta = sum(values) / len(values) - sum(base) / len(base)
        p = welch_p(values, base)
        p_ahead[name] = p / 2 if delta > 0 else 1 - p / 2
        rows[name] = {"seeds": len(values), metric: sum(values) / len(values), "Δ": delta}
    holm = holm_ahead(p_ahead, alpha)
    for name, row in rows.items():
        row["p (ahead)"] = p_ahead[name]
        row["Holm threshold"] = holm[name][0]
        row[f"ahead at p < {alpha}"] = p_ahead[name] < alpha
        row["ahead by Holm"] = holm[name][1]
    columns = ["seeds", metric, "Δ", "p (ahead)", "Holm threshold", f"ahead at p < {alpha}", "ahead by Holm"]
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    frame = frame.sort_values(["p (ahead)", "Δ"], ascending=[True, False])
    frame.index.name = f"against {reference}"
    return frame


def final_choice(profile: str = "cpu") -> tuple[pd.DataFrame, str | None, list[str]]:
    """The whole rule on the committed runs: stage 2's table (each twin and variant against
    ``HEADLINE``), the final recipe (a candidate's name, or ``HEADLINE``; None while
    candidates are missing) and the missing ones. ``presets.FINAL`` must name that recipe
    (``tests/course/test_selection.py``)."""
    screen = selection_table(candidate_results(profile))
    confirmed, missing = confirmation_results(list(leads(screen).values()), profile)
    table = selection_table(confirmed, reference=HEADLINE)
    if missing:
        return table, None, missing
    return table, chosen_recipe(table) or HEADLINE, []


def chosen_recipe(table: pd.DataFrame, metric: str = "overall") -> str | None:
    """The candidate ahead by Holm with the best mean ``metric``; None when no candidate
    is (in stage 2: the headline recipe stays)."""
    ahead = table[table["ahead by Holm"]]
    return None if ahead.empty else str(ahead[metric].idxmax())
