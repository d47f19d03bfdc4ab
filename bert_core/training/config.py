"""What defines one training run: ``ExperimentConfig``, a frozen dataclass.

Every extension of the five reports is one of its fields, so a combination from any
report is one line; its defaults are the reports' baseline. A config checks itself when
it is made, so a wrong value fails with a message naming the field and the choices before
any work is spent. ``run_hash`` names what a stored run was trained with.

The profiles' caps, the presets and the result store sit one layer up
(``bert_core.experiments``); the training loop (``bert_core.training.loop``) reads this.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from bert_core.device import PRECISIONS
from bert_core.errors import ConfigError
from bert_core.multitask.adapters import adapter_methods
from bert_core.multitask.extra import EXTRA
from bert_core.multitask.heads import HEADS
from bert_core.multitask.model import PAIR_ENCODINGS, default_heads, pair_encodings
from bert_core.multitask.pooling import POOLINGS
from bert_core.multitask.tasks import TASKS
from bert_core.training.augmentation import AUGMENTATIONS
from bert_core.training.sampling import CURRICULA, SAMPLINGS

__all__ = ["ExperimentConfig", "MODES", "STS_LOSSES", "SCHEDULERS", "LIMIT_MODES", "POOLER_INITS",
           "PRECISIONS", "is_number", "require_one_of"]

MODES = ("pretrain", "finetune")
STS_LOSSES = ("mse", "mnr_then_mse")
SCHEDULERS = ("constant", "linear")
LIMIT_MODES = ("per_task", "total")
POOLER_INITS = ("pretrained", "reset")
# what a --set of each mapping field looks like, for the message when one is not a mapping
MAPPING_EXAMPLES = {"heads": '{"similarity": "scaled_cosine"}', "subsample": '{"quora": 0.1}',
                    "smart_options": '{"weight": 3}', "task_weights": '{"sts": 0.2}',
                    "extra_data": '{"yelp": 0.5}'}


def is_number(value: object) -> bool:
    """An int or a float, not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def require_one_of(field: str, value: object, allowed: tuple) -> None:
    """A ValueError naming ``field`` unless ``value`` is among ``allowed``."""
    if value not in allowed:
        raise ValueError(f"{field}={value!r} is not available; choose one of {list(allowed)}")


@dataclass(frozen=True)
class ExperimentConfig:
    """Everything that defines a run. Defaults are the reports' baseline settings.

    Extension fields (``pair_encoding``, ``heads``, ``head_layers``, ``pooling``,
    ``sampling``, ``curriculum``, ``subsample``, ``train_limit_mode``, ``loss_balancing``,
    ``sts_loss``, ``smart``, ``pcgrad``, ``adapters``, ``augmentation``) hold the baseline
    here; each later notebook adds its values.
    """

    name: str
    profile: str = "gpu"
    # The model
    checkpoint: str = "bert-base-uncased"
    tasks: tuple[str, ...] = ("sst", "quora", "sts")
    mode: str = "finetune"  # "pretrain": BERT frozen, heads learn; "finetune": everything learns
    pooling: str = "cls"  # the pooler output over [CLS]
    # "separate" (bi-encoder) or "cross" for both pair tasks, or per kind: {"similarity": "cross"}
    pair_encoding: str | tuple[tuple[str, str], ...] = "separate"
    heads: tuple[tuple[str, str], ...] = ()  # (task kind, head name) over the baseline heads
    head_layers: int = 3  # hidden blocks of the "mlp" heads ("Maximizing MinBert": 3)
    hidden_dropout: float = 0.1  # inside BERT
    attention_dropout: float | None = None  # on BERT's attention probabilities; None: the checkpoint's
    head_dropout: float = 0.3  # before each head ("SMART Surgery", 4.3)
    # task adapters (report 003): "pal", "low_rank", "houlsby", "top", or a "+" of them
    # ("low_rank+top"); d_s (None: report 003's 204/768 of the hidden size) and PAL's heads
    adapters: str | None = None
    adapter_size: int | None = None
    adapter_heads: int = 6
    # "reset": the pooler's dense layer drawn afresh (BERT's init, N(0, 0.02), bias 0) instead
    # of the checkpoint's; MiniLM's pooler was never trained (notebook 05, section 7)
    pooler_init: str = "pretrained"
    train_word_embeddings: bool = True  # False: the word-embedding matrix stays as loaded
    # The data
    train_limit: int | None = None  # examples per task: a fixed subset, the same for every seed
    # "per_task": each task at most train_limit; "total": T * train_limit together, each task
    # its share of the data (bert_core.sampling.limited_sizes)
    train_limit_mode: str = "per_task"
    # (task, fraction): keep a fixed random fraction of a task's training data, before the
    # limit ("A SMARTer minBERT" 3.2: {"quora": 0.1})
    subsample: tuple[tuple[str, float], ...] = ()
    dev_limit: int | None = None  # dev examples per task, likewise
    max_length: int = 512  # tokens per sequence (pair: both sentences together)
    augmentation: tuple[str, ...] = ()
    # EDA on the fly for the sentiment tasks (bert_core.training.eda): strength α (0: off)
    # and the share of examples replaced by a variant each epoch
    eda_alpha: float = 0.0
    eda_share: float = 0.5
    # (extra dataset, ratio): that many extra examples per example of its task's training
    # set mixed in, e.g. {"yelp": 0.5} (bert_core.multitask.extra: "yelp" -> sst, "snli" -> sts)
    extra_data: tuple[tuple[str, float], ...] = ()
    # The schedule
    sampling: str = "simultaneous"  # round_robin, proportional, annealed; see bert_core.sampling
    epoch_length: str | int = "min"  # "min", "max", "sum" or a number of steps
    curriculum: str | None = None  # "sequential" or "hybrid" ("Projected Attention")
    epochs: int = 10
    batch_size: int = 32  # per task
    # batches of similar lengths: each pass's shuffle is cut into windows of 50 batches,
    # sorted by length inside a window, and the batches shuffled (less padding, same data)
    length_buckets: bool = False
    eval_batch_size: int = 64
    # The optimiser (bert_core.optim.AdamW)
    pretrain_lr: float = 1e-3  # the course's: heads only, BERT frozen
    finetune_lr: float = 1e-5  # the course's: everything trains
    head_lr: float | None = None  # the task heads' own lr (None: the mode's lr, like the encoder's)
    weight_decay: float = 0.0
    scheduler: str = "constant"  # or "linear": warm up, then decay to 0
    warmup_steps: int = 0
    loss_balancing: str = "sum"  # "squared" or "dwa" (bert_core.losses)
    # (task, w): a fixed weight on a task's loss, e.g. {"sts": 0.2} (STS's MSE on a 0-5
    # scale starts 5-10x larger than the cross-entropies); a task the run does not train
    # is ignored, so a profile can set it for every config
    task_weights: tuple[tuple[str, float], ...] = ()
    dwa_temperature: float = 2.0  # τ of dynamic weight average (Liu et al. 2019)
    dwa_window: int | None = None  # steps per DWA round; None: an epoch
    # "mse", or "mnr_then_mse": the multiple negatives ranking loss on STS pairs scored >= 4
    # for the first half of the epochs (epochs // 2), then MSE ("Investigating Methods", 4.2)
    sts_loss: str = "mse"
    # None, or the name of a set of SMART settings (bert_core.smart.SMART_SETTINGS;
    # True means "jiang2020"), with smart_options on top: {"loss": "kl", "weight": 3}
    smart: str | None = None
    smart_options: tuple[tuple[str, Any], ...] = ()
    pcgrad: bool = False  # project conflicting gradients (bert_core.pcgrad)
    # "auto": bf16 autocast on CUDA, fp32 elsewhere; "bf16" or "fp32" on any device
    # (bert_core.device)
    precision: str = "auto"
    # Bookkeeping (not part of the hash)
    seeds: tuple[int, ...] = (0,)
    checkpoint_every: int | None = None  # steps between resumable checkpoints; epoch ends always
    predict_test: bool = True  # also write test-student prediction files
    compile: bool = False  # torch.compile the encoder (the same numbers to float tolerance:
    # inductor keeps the eager dropout draws, bert_core.device.compiled)

    def __post_init__(self) -> None:
        # Accept friendly types (lists, a dict of heads, one seed) and store hashable ones.
        for name in ("tasks", "augmentation"):  # a string is names separated by commas, not letters
            value = getattr(self, name)
            names = [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else value
            object.__setattr__(self, name, tuple(names))
        seeds = (self.seeds,) if isinstance(self.seeds, int) else tuple(self.seeds)
        object.__setattr__(self, "seeds", seeds)
        # mappings, stored as sorted pairs
        for name in ("heads", "subsample", "smart_options", "task_weights", "extra_data"):
            value = getattr(self, name)
            try:
                pairs = tuple(sorted(dict(value).items()))
            except (TypeError, ValueError):
                raise ConfigError(f"ExperimentConfig({self.name!r}): {name}={value!r} is not a mapping; "
                                  "write it as a JSON object, e.g. "
                                  f"--set '{name}={MAPPING_EXAMPLES[name]}'") from None
            object.__setattr__(self, name, pairs)
        if self.smart is True or self.smart is False:
            object.__setattr__(self, "smart", "jiang2020" if self.smart else None)
        if not isinstance(self.pair_encoding, str):  # a mapping, or its (kind, value) pairs from JSON
            try:
                encodings = pair_encodings(dict(self.pair_encoding))  # type: ignore[arg-type]
            except ValueError as error:
                raise ConfigError(f"ExperimentConfig({self.name!r}): {error}") from None
            values = set(encodings.values())
            # one value for both kinds is stored as the plain string, so equal configs hash equal
            stored = values.pop() if len(values) == 1 else tuple(sorted(encodings.items()))
            object.__setattr__(self, "pair_encoding", stored)
        self._validate()

    def _check_types(self) -> None:
        """Every scalar field has its annotated type (an int is a float too; a bool is
        neither), and every number is finite: ``--set epochs=abc`` names the field."""
        allowed = {"int": (int,), "float": (int, float), "bool": (bool,), "str": (str,),
                   "None": (type(None),)}
        for f in fields(self):
            kinds = [k.strip() for k in str(f.type).split("|")]
            if not all(k in allowed for k in kinds):
                continue  # tuples and mappings: checked by value below
            value = getattr(self, f.name)
            ok = any(isinstance(value, allowed[k]) and not (k in ("int", "float") and isinstance(value, bool))
                     for k in kinds)
            if not ok:
                raise ConfigError(f"ExperimentConfig({self.name!r}): {f.name}={value!r} must be "
                                  f"{' or '.join(kinds)}, not {type(value).__name__}")
            if isinstance(value, float) and not math.isfinite(value):
                raise ConfigError(f"ExperimentConfig({self.name!r}): {f.name}={value!r} must be a finite "
                                  "number")
        if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in self.seeds):
            raise ConfigError(f"ExperimentConfig({self.name!r}): seeds must be whole numbers 0 or more, "
                              f"got {list(self.seeds)}")

    def _check_ranges(self) -> None:
        """Numbers inside the range where they mean something."""
        def at_least(value: int | float | None, low: int, name: str, none: str = "") -> None:
            if value is not None and value < low:
                raise ConfigError(f"ExperimentConfig({self.name!r}): {name} must be at least {low}"
                                  f"{none}, got {value}")

        for name in ("hidden_dropout", "head_dropout", "attention_dropout"):
            if getattr(self, name) is not None and not 0 <= getattr(self, name) < 1:
                raise ConfigError(f"ExperimentConfig({self.name!r}): {name} is a probability in [0, 1), "
                                  f"got {getattr(self, name)}")
        for name in ("pretrain_lr", "finetune_lr"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"ExperimentConfig({self.name!r}): {name} must be positive, "
                                  f"got {getattr(self, name)}")
        for name in ("epochs", "batch_size", "eval_batch_size", "max_length"):
            at_least(getattr(self, name), 1, name)
        for name in ("train_limit", "dev_limit", "checkpoint_every"):
            at_least(getattr(self, name), 1, name, " (or None: no limit)" if "limit" in name else
                     " (or None: at epoch ends only)")
        at_least(self.weight_decay, 0, "weight_decay")
        at_least(self.warmup_steps, 0, "warmup_steps")
        at_least(self.head_layers, 0, "head_layers")
        if self.max_length > 512:
            raise ConfigError(f"ExperimentConfig({self.name!r}): max_length={self.max_length} is more than "
                              "BERT's 512 position embeddings")
        if isinstance(self.epoch_length, str):
            if self.epoch_length not in ("min", "max", "sum"):
                raise ConfigError(f"ExperimentConfig({self.name!r}): epoch_length={self.epoch_length!r} is "
                                  "not available; choose 'min', 'max', 'sum' or a number of steps")
        else:
            at_least(self.epoch_length, 1, "epoch_length", " steps (or 'min', 'max', 'sum')")

    def _validate(self) -> None:
        self._check_types()
        self._check_ranges()

        def choose(field_name: str, value: Any, allowed: tuple) -> None:
            try:
                require_one_of(field_name, value, allowed)
            except ValueError as error:
                raise ConfigError(f"ExperimentConfig({self.name!r}): {error}") from None

        if not self.tasks or len(set(self.tasks)) != len(self.tasks):
            raise ConfigError(f"ExperimentConfig({self.name!r}): tasks must be distinct and non-empty, "
                             f"got {self.tasks}")
        for task in self.tasks:
            choose("tasks", task, tuple(TASKS))
        choose("mode", self.mode, MODES)
        choose("pooling", self.pooling, POOLINGS)
        if isinstance(self.pair_encoding, str):
            choose("pair_encoding", self.pair_encoding, PAIR_ENCODINGS)
        choose("sts_loss", self.sts_loss, STS_LOSSES)
        choose("sampling", self.sampling, SAMPLINGS)
        choose("scheduler", self.scheduler, SCHEDULERS)
        choose("curriculum", self.curriculum, (None, *CURRICULA))
        choose("train_limit_mode", self.train_limit_mode, LIMIT_MODES)
        choose("precision", self.precision, PRECISIONS)
        if self.curriculum is not None and self.sampling != "simultaneous":
            raise ConfigError(f"ExperimentConfig({self.name!r}): curriculum={self.curriculum!r} decides "
                             "which tasks each step trains; leave sampling at 'simultaneous'")
        if self.curriculum == "hybrid" and self.epoch_length != "min":
            raise ConfigError(f"ExperimentConfig({self.name!r}): the hybrid curriculum sets its own epoch "
                             "lengths (a pass over each task, then the smallest task's size); leave "
                             "epoch_length at 'min'")
        for task, fraction in self.subsample:
            choose("subsample task", task, self.tasks)
            if not is_number(fraction) or not 0 < fraction <= 1:
                raise ConfigError(f"ExperimentConfig({self.name!r}): subsample[{task!r}] is a fraction in "
                                 f"(0, 1], got {fraction}")
        choose("pooler_init", self.pooler_init, POOLER_INITS)
        if self.head_lr is not None and not self.head_lr > 0:
            raise ConfigError(f"ExperimentConfig({self.name!r}): head_lr must be positive (or None: the "
                             f"mode's lr), got {self.head_lr}")
        for kind, head in self.heads:
            choose("heads kind", kind, tuple(HEADS))
            choose(f"heads[{kind!r}]", head, tuple(HEADS[kind]))
        try:
            default_heads(self.encoding_map, self.head_map)  # a head must read its task's encoding
        except ValueError as error:
            raise ConfigError(f"ExperimentConfig({self.name!r}): {error}") from None
        try:
            adapter_methods(self.adapters)
        except ValueError as error:
            raise ConfigError(f"ExperimentConfig({self.name!r}): {error}") from None
        if self.adapter_heads < 1 or (self.adapter_size is not None
                                      and (self.adapter_size < 1 or self.adapter_size % self.adapter_heads)):
            raise ConfigError(f"ExperimentConfig({self.name!r}): adapter_size ({self.adapter_size}) must "
                              f"be a positive multiple of adapter_heads ({self.adapter_heads})")
        for name in self.augmentation:
            choose("augmentation", name, tuple(AUGMENTATIONS))
        for extra, ratio in self.extra_data:
            choose("extra_data dataset", extra, tuple(EXTRA))
            if EXTRA[extra].task not in self.tasks or not ratio > 0:
                raise ConfigError(f"ExperimentConfig({self.name!r}): extra_data[{extra!r}] feeds "
                                  f"{EXTRA[extra].task}, which the run must train, at a positive ratio; got "
                                  f"tasks {list(self.tasks)} and ratio {ratio}")
        if not self.seeds:
            raise ConfigError(f"ExperimentConfig({self.name!r}): name at least one seed")
        from bert_core.training.plugins import check_config  # here: the plugins' modules read this one

        try:  # each extension checks its own fields (bert_core.training.plugins)
            check_config(self)
        except ValueError as error:
            raise ConfigError(f"ExperimentConfig({self.name!r}): {error}") from None

    @property
    def learning_rate(self) -> float:
        """The learning rate of this config's mode."""
        return self.pretrain_lr if self.mode == "pretrain" else self.finetune_lr

    @property
    def head_map(self) -> dict[str, str]:
        return dict(self.heads)

    @property
    def encoding_map(self) -> dict[str, str]:
        """The pair encoding of each pair task kind."""
        enc = self.pair_encoding
        return pair_encodings(enc if isinstance(enc, str) else dict(enc))

    @property
    def ranking_epochs(self) -> int:
        """How many first epochs train STS with the ranking loss (0 unless ``mnr_then_mse``)."""
        return self.epochs // 2 if self.sts_loss == "mnr_then_mse" else 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> ExperimentConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ConfigError(f"unknown ExperimentConfig field(s) {sorted(unknown)}; "
                             f"known: {sorted(known)}")
        return cls(**values)

    def run_hash(self, seed: int) -> str:
        """The hash of one seed's run: every field that changes its numbers.

        Fields at their dataclass default are left out (the profile always counts), so a
        new option added later, at a default that keeps today's behaviour, leaves the
        stored results valid.
        """
        ignored = {"name", "seeds", "checkpoint_every", "predict_test", "eval_batch_size", "compile",
                   "pretrain_lr" if self.mode == "finetune" else "finetune_lr"}  # the unused lr
        defaults = {f.name: f.default for f in fields(self)}
        values = {k: v for k, v in self.to_dict().items()
                  if k not in ignored and (k == "profile" or v != defaults[k])}
        values["seed"] = seed
        text = json.dumps(values, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]
