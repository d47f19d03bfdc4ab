"""The task registry: every fact about a task, in one frozen record per task.

The course's four tasks (the CS224N default project's data):

    sst     sentiment    5 classes          accuracy     cross-entropy
    cfimdb  sentiment    2 classes          accuracy     cross-entropy
    quora   paraphrase   0/1, one logit     accuracy     binary cross-entropy
    sts     similarity   0-5, one score     Pearson r    mean squared error

Data reading (``bert_core.multitask.data``), the heads (``model``), the losses
(``bert_core.training.losses``), evaluation and prediction files (``evaluate``) and the
plots all read these records instead of testing a task's name. A fifth task is one more
``Task`` here (and its head kind in ``heads``). Taught in notebook 00.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Task", "TASKS", "get_task", "KINDS"]

KINDS = ("sentiment", "paraphrase", "similarity")


@dataclass(frozen=True)
class Task:
    """One task of the course.

    Attributes:
        name: the short name used everywhere (``sst``).
        kind: ``sentiment`` (one sentence, classes), ``paraphrase`` (a pair, yes/no) or
            ``similarity`` (a pair, a graded score); the kind chooses the head.
        title: how plots and tables name it.
        file_pattern: the data file of a split (``{}`` = train, dev, test-student).
        label_column: the file's label column.
        num_labels: classes of a sentiment task; 1 (one logit or score) for a pair task.
        label_range: the labels' lowest and highest value.
        metric: ``accuracy`` or ``pearson``.
        metric_name: the reports' column name (``sst_acc``).
        loss: ``cross_entropy``, ``binary_cross_entropy`` or ``mse``.
        file_stem: the starter's prediction-file prefix (``para`` in ``para-dev-output.csv``).
        prediction_header: the starter's prediction-file header ("Similiarity" as it spells it).
    """

    name: str
    kind: str
    title: str
    file_pattern: str
    label_column: str
    num_labels: int
    label_range: tuple[float, float]
    metric: str
    metric_name: str
    loss: str
    file_stem: str
    prediction_header: str

    @property
    def is_pair(self) -> bool:
        return self.kind != "sentiment"

    def score01(self, value: float) -> float:
        """The metric on [0, 1], as the overall score averages it: Pearson's r as (r + 1) / 2."""
        return (value + 1) / 2 if self.metric == "pearson" else value

    def prediction(self, value: float) -> str:
        """One prediction as the starter's files write it: a class id, or a score clipped to
        ``label_range`` (a head such as 5 cos(u, v) can score an unrelated pair below 0; the
        course's files hold scores of the gold range, and clipping can only bring a score
        closer to its gold one)."""
        if self.metric == "pearson":
            low, high = self.label_range
            return f"{min(max(float(value), low), high):.6g}"
        return str(int(value))


_SENTIMENT_HEADER = "id \t Predicted_Sentiment "

TASKS: dict[str, Task] = {t.name: t for t in (
    Task("sst", "sentiment", "SST", "ids-sst-{}.csv", "sentiment", 5, (0, 4), "accuracy", "sst_acc",
         "cross_entropy", "sst", _SENTIMENT_HEADER),
    Task("cfimdb", "sentiment", "CFIMDB", "ids-cfimdb-{}.csv", "sentiment", 2, (0, 1), "accuracy",
         "cfimdb_acc", "cross_entropy", "cfimdb", _SENTIMENT_HEADER),
    Task("quora", "paraphrase", "Quora", "quora-{}.csv", "is_duplicate", 1, (0.0, 1.0), "accuracy",
         "para_acc", "binary_cross_entropy", "para", "id \t Predicted_Is_Paraphrase "),
    Task("sts", "similarity", "STS", "sts-{}.csv", "similarity", 1, (0.0, 5.0), "pearson", "sts_corr",
         "mse", "sts", "id \t Predicted_Similiarity "),
)}


def get_task(name: str) -> Task:
    """The registered task, or a ValueError that lists the known ones."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; choose one of {list(TASKS)}")
    return TASKS[name]
