"""What an STS head asks of the encoder's similarity geometry (notebook 06).

The three cosine heads of ``multitask.heads`` score a pair by a fixed map of a cosine, so
a trained head's dev predictions give back the cosine it computed, and the squared error
says which cosine it asks for a gold score y ∈ [0, 5]:

    head            score s                  cosine read back      cosine asked for y
    cosine          2.5 (cos(u, v) + 1)      s / 2.5 - 1           y / 2.5 - 1  ∈ [-1, 1]
    scaled_cosine   5 cos(u, v)              s / 5                 y / 5        ∈ [0, 1]
    cosine_fc       5 ReLU(cos(f u, f v))    s / 5 (of f's space,  y / 5
                                             0 where clipped)

The checkpoint, untrained, puts unrelated sentences near cos 0.1-0.3 and paraphrases
near 0.9 (``zero_shot``): the ``scaled_cosine`` asks for nearly the geometry it already
has, while the ``cosine`` head asks that every pair scored 0 be pulled to cos = -1, which
the encoder can only do by reshaping its whole space. ``geometry_table`` measures where
each model puts the unrelated pairs and the paraphrases.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from bert_core.course.zero_shot import stored_pairs
from bert_core.experiments.result import ExperimentResult

__all__ = ["READ_BACK", "head_cosines", "checkpoint_cosines", "geometry_table"]

# head -> (a, b): the cosine read back from a score s is a·s + b, and, the head's score being
# regressed onto the gold y, the cosine it asks for y is a·y + b
READ_BACK: Mapping[str, tuple[float, float]] = {"cosine": (0.4, -1.0), "scaled_cosine": (0.2, 0.0),
                                                "cosine_fc": (0.2, 0.0)}

UNRELATED, PARAPHRASE = 1.0, 4.0  # gold ≤ 1: unrelated; gold ≥ 4: (nearly) the same meaning


def head_cosines(result: ExperimentResult, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(gold, cosine)`` over the STS dev pairs of one seed's run (the first stored by
    default), the cosine read back from the head's predictions (``READ_BACK``)."""
    head = result.config.head_map.get("similarity", "concat")
    if head not in READ_BACK:
        raise ValueError(f"{result.config.name}: its STS head {head!r} is not a fixed map of a cosine; "
                         f"choose a run with one of {sorted(READ_BACK)}")
    run = result.runs[seed if seed is not None else next(iter(result.runs))]
    sts = run["dev_predictions"]["sts"]
    a, b = READ_BACK[head]
    return np.asarray(sts["labels"], dtype=float), a * np.asarray(sts["predictions"], dtype=float) + b


def checkpoint_cosines(result: ExperimentResult, seed: int | None = None,
                       profile: str = "cpu") -> tuple[np.ndarray, np.ndarray]:
    """``(gold, cosine)`` of the untrained checkpoint (``zero_shot.stored_pairs``) on the
    STS dev pairs one seed's run was scored on, in the run's order."""
    run = result.runs[seed if seed is not None else next(iter(result.runs))]
    stored = stored_pairs(profile)
    by_id = dict(zip(stored["ids"], zip(stored["gold"], stored["cosine"])))
    gold, cosine = zip(*(by_id[i] for i in run["dev_predictions"]["sts"]["ids"]))
    return np.array(gold), np.array(cosine)


def geometry_table(panels: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> pd.DataFrame:
    """Per labelled ``(gold, cosine)``: Pearson r, the mean cosine of the unrelated pairs
    (gold ≤ 1) and of the paraphrases (gold ≥ 4), and the gap between the two."""
    rows = {}
    for label, (gold, cosine) in panels.items():
        unrelated, same = cosine[gold <= UNRELATED].mean(), cosine[gold >= PARAPHRASE].mean()
        rows[label] = {"Pearson r": float(np.corrcoef(gold, cosine)[0, 1]),
                       f"mean cos, gold ≤ {UNRELATED:g}": float(unrelated),
                       f"mean cos, gold ≥ {PARAPHRASE:g}": float(same), "gap": float(same - unrelated)}
    return pd.DataFrame.from_dict(rows, orient="index")
