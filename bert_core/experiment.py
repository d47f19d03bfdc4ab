"""One experiment API: ``ExperimentConfig`` in, ``run_experiment`` trains, a result out.

Every table in the notebooks is a list of configurations run through ``run_experiment``.
A config is a frozen dataclass; every extension of the five reports is one of its
fields, so a combination from any report is one line::

    config = preset("multitask-baseline", profile="cpu", seeds=(0, 1, 2))
    result = run_experiment(config)          # loads a finished run, or trains
    result.summary()                          # mean and std over the seeds

Fields are resolved in three layers: the dataclass defaults (the reports' settings), then
the profile's caps (``PROFILE_DEFAULTS``), then what the caller passes. ``preset`` adds a
named starting point in between (``PRESETS``).

Load-or-train: each seed's run is stored in ``results/<profile>/experiments/<name>.json``
under the hash of its config (every field that changes the numbers and differs from its
default: not the name, the seed list, or the checkpoint cadence). ``run_experiment(config)``
reuses a stored seed whose hash matches and trains the others; ``reuse=False`` trains all
of them.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import torch

from bert_core.augmentation import AUGMENTATIONS
from bert_core.evaluate import METRIC_NAMES, overall_score
from bert_core.heads import HEADS
from bert_core.losses import LOSS_BALANCINGS
from bert_core.multitask import PAIR_ENCODINGS, TASK_KINDS, default_heads, pair_encodings
from bert_core.pooling import POOLINGS
from bert_core.profiles import PROFILES, get_profile
from bert_core.results import load_artefact, save_artefact
from bert_core.sampling import CURRICULA, ONE_TASK_SAMPLINGS, SAMPLINGS
from bert_core.smart import SMART_SETTINGS, SmartSettings, smart_settings

__all__ = [
    "ExperimentConfig",
    "PROFILE_DEFAULTS",
    "PRESETS",
    "make_config",
    "preset",
    "ExperimentResult",
    "run_experiment",
    "load_result",
    "load_results",
]

MODES = ("pretrain", "finetune")
STS_LOSSES = ("mse", "mnr_then_mse")
SCHEDULERS = ("constant", "linear")
LIMIT_MODES = ("per_task", "total")


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
    head_dropout: float = 0.3  # before each head ("SMART Surgery", 4.3)
    adapters: str | None = None
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
    # The schedule
    sampling: str = "simultaneous"  # round_robin, proportional, annealed; see bert_core.sampling
    epoch_length: str | int = "min"  # "min", "max", "sum" or a number of steps
    curriculum: str | None = None  # "sequential" or "hybrid" ("Projected Attention")
    epochs: int = 10
    batch_size: int = 32  # per task
    eval_batch_size: int = 64
    # The optimiser (bert_core.optim.AdamW)
    pretrain_lr: float = 1e-3  # the course's: heads only, BERT frozen
    finetune_lr: float = 1e-5  # the course's: everything trains
    weight_decay: float = 0.0
    scheduler: str = "constant"  # or "linear": warm up, then decay to 0
    warmup_steps: int = 0
    loss_balancing: str = "sum"  # "squared" or "dwa" (bert_core.losses)
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
    # Bookkeeping (not part of the hash)
    seeds: tuple[int, ...] = (0,)
    checkpoint_every: int | None = None  # steps between resumable checkpoints; epoch ends always
    predict_test: bool = True  # also write test-student prediction files

    def __post_init__(self) -> None:
        # Accept friendly types (lists, a dict of heads, one seed) and store hashable ones.
        object.__setattr__(self, "tasks", tuple(self.tasks))
        object.__setattr__(self, "augmentation", tuple(self.augmentation))
        seeds = (self.seeds,) if isinstance(self.seeds, int) else tuple(self.seeds)
        object.__setattr__(self, "seeds", seeds)
        for name in ("heads", "subsample", "smart_options"):  # mappings, stored as sorted pairs
            value = getattr(self, name)
            object.__setattr__(self, name, tuple(sorted(dict(value).items())))
        if self.smart is True or self.smart is False:
            object.__setattr__(self, "smart", "jiang2020" if self.smart else None)
        if not isinstance(self.pair_encoding, str):  # a mapping, or its (kind, value) pairs from JSON
            try:
                encodings = pair_encodings(dict(self.pair_encoding))  # type: ignore[arg-type]
            except ValueError as error:
                raise ValueError(f"ExperimentConfig({self.name!r}): {error}") from None
            values = set(encodings.values())
            # one value for both kinds is stored as the plain string, so equal configs hash equal
            stored = values.pop() if len(values) == 1 else tuple(sorted(encodings.items()))
            object.__setattr__(self, "pair_encoding", stored)
        self._validate()

    def _validate(self) -> None:
        def choose(field_name: str, value: Any, allowed: tuple) -> None:
            if value not in allowed:
                raise ValueError(f"ExperimentConfig({self.name!r}): {field_name}={value!r} is not "
                                 f"available; choose one of {list(allowed)}")

        if not self.tasks or len(set(self.tasks)) != len(self.tasks):
            raise ValueError(f"ExperimentConfig({self.name!r}): tasks must be distinct and non-empty, "
                             f"got {self.tasks}")
        for task in self.tasks:
            choose("tasks", task, tuple(TASK_KINDS))
        choose("profile", self.profile, tuple(PROFILES))
        choose("mode", self.mode, MODES)
        choose("pooling", self.pooling, POOLINGS)
        if isinstance(self.pair_encoding, str):
            choose("pair_encoding", self.pair_encoding, PAIR_ENCODINGS)
        choose("sts_loss", self.sts_loss, STS_LOSSES)
        choose("sampling", self.sampling, SAMPLINGS)
        choose("scheduler", self.scheduler, SCHEDULERS)
        choose("loss_balancing", self.loss_balancing, LOSS_BALANCINGS)
        choose("curriculum", self.curriculum, (None, *CURRICULA))
        choose("train_limit_mode", self.train_limit_mode, LIMIT_MODES)
        if self.curriculum is not None and self.sampling != "simultaneous":
            raise ValueError(f"ExperimentConfig({self.name!r}): curriculum={self.curriculum!r} decides "
                             "which tasks each step trains; leave sampling at 'simultaneous'")
        if self.curriculum == "hybrid" and self.epoch_length != "min":
            raise ValueError(f"ExperimentConfig({self.name!r}): the hybrid curriculum sets its own epoch "
                             "lengths (a pass over each task, then the smallest task's size); leave "
                             "epoch_length at 'min'")
        if self.pcgrad and (self.sampling in ONE_TASK_SAMPLINGS or self.curriculum == "sequential"):
            raise ValueError(f"ExperimentConfig({self.name!r}): pcgrad projects the gradients of tasks "
                             "trained in the same step; it needs sampling='simultaneous' (or the hybrid "
                             "curriculum's simultaneous epochs)")
        for task, fraction in self.subsample:
            choose("subsample task", task, self.tasks)
            if not 0 < fraction <= 1:
                raise ValueError(f"ExperimentConfig({self.name!r}): subsample[{task!r}] is a fraction in "
                                 f"(0, 1], got {fraction}")
        if self.dwa_temperature <= 0 or (self.dwa_window is not None and self.dwa_window < 1):
            raise ValueError(f"ExperimentConfig({self.name!r}): dwa_temperature must be positive and "
                             "dwa_window at least 1 step (or None: an epoch)")
        if self.smart is not None:
            choose("smart", self.smart, tuple(SMART_SETTINGS))
            try:
                smart_settings(self.smart, dict(self.smart_options))
            except ValueError as error:
                raise ValueError(f"ExperimentConfig({self.name!r}): {error}") from None
        elif self.smart_options:
            raise ValueError(f"ExperimentConfig({self.name!r}): smart_options need smart set to one of "
                             f"{list(SMART_SETTINGS)}")
        for kind, head in self.heads:
            choose("heads kind", kind, tuple(HEADS))
            choose(f"heads[{kind!r}]", head, tuple(HEADS[kind]))
        try:
            default_heads(self.encoding_map, self.head_map)  # a head must read its task's encoding
        except ValueError as error:
            raise ValueError(f"ExperimentConfig({self.name!r}): {error}") from None
        if self.sts_loss == "mnr_then_mse" and ("sts" not in self.tasks
                                               or self.encoding_map["similarity"] != "separate"):
            raise ValueError(f"ExperimentConfig({self.name!r}): sts_loss='mnr_then_mse' ranks separately "
                             "encoded STS sentences; it needs the sts task and pair_encoding 'separate' "
                             "for similarity")
        choose("adapters", self.adapters, (None,))
        for name in self.augmentation:
            choose("augmentation", name, tuple(AUGMENTATIONS))
        if not self.seeds:
            raise ValueError(f"ExperimentConfig({self.name!r}): name at least one seed")
        if self.head_layers < 0:
            raise ValueError(f"ExperimentConfig({self.name!r}): head_layers must be 0 or more")
        for name in ("epochs", "batch_size", "eval_batch_size", "max_length"):
            if getattr(self, name) < 1:
                raise ValueError(f"ExperimentConfig({self.name!r}): {name} must be at least 1")

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
    def smart_settings(self) -> SmartSettings | None:
        """SMART's hyper-parameters (None without SMART)."""
        return smart_settings(self.smart, dict(self.smart_options)) if self.smart else None

    @property
    def ranking_epochs(self) -> int:
        """How many first epochs train STS with the ranking loss (0 unless ``mnr_then_mse``)."""
        return self.epochs // 2 if self.sts_loss == "mnr_then_mse" else 0

    def in_profile(self, profile: str) -> ExperimentConfig:
        """The same experiment in another profile: the fields this config sets beyond its own
        profile's caps are kept, the rest take the other profile's caps. Notebooks use it to
        look up the committed ``cpu`` runs of the configs they run."""
        base = make_config(self.name, self.profile)
        kept = {f.name: getattr(self, f.name) for f in fields(self)
                if f.name not in ("name", "profile") and getattr(self, f.name) != getattr(base, f.name)}
        return make_config(self.name, profile, **kept)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> ExperimentConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown ExperimentConfig field(s) {sorted(unknown)}; "
                             f"known: {sorted(known)}")
        return cls(**values)

    def run_hash(self, seed: int) -> str:
        """The hash of one seed's run: every field that changes its numbers.

        Fields at their dataclass default are left out (the profile always counts), so a
        new option added later, at a default that keeps today's behaviour, leaves the
        stored results valid.
        """
        ignored = {"name", "seeds", "checkpoint_every", "predict_test", "eval_batch_size",
                   "pretrain_lr" if self.mode == "finetune" else "finetune_lr"}  # the unused lr
        defaults = {f.name: f.default for f in fields(self)}
        values = {k: v for k, v in self.to_dict().items()
                  if k not in ignored and (k == "profile" or v != defaults[k])}
        values["seed"] = seed
        text = json.dumps(values, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


# What each profile caps (see the README's "Profiles"). The cpu caps keep one baseline
# multitask run within about three minutes on two CPU cores (150 steps of 8 examples per
# task, 3 dev evaluations of 600 examples per task); its finetuning lr is 10x the course's
# because 150 steps at 1e-5 leave a randomly initialised head almost where it started.
PROFILE_DEFAULTS: dict[str, dict[str, Any]] = {
    "smoke": {"checkpoint": "minilm-l6", "epochs": 2, "batch_size": 8, "max_length": 64,
              "eval_batch_size": 32},
    "cpu": {"checkpoint": "minilm-l6", "epochs": 3, "batch_size": 8, "max_length": 128,
            "train_limit": 400, "dev_limit": 600, "eval_batch_size": 64, "finetune_lr": 1e-4},
    "gpu": {"checkpoint": "bert-base-uncased", "epochs": 10, "batch_size": 32, "max_length": 512},
}

# Named starting points: the course's part 1 (single-task sentiment) and part 2.
PRESETS: dict[str, dict[str, Any]] = {
    "sst-pretrain": {"tasks": ("sst",), "mode": "pretrain"},
    "sst-finetune": {"tasks": ("sst",), "mode": "finetune"},
    "cfimdb-pretrain": {"tasks": ("cfimdb",), "mode": "pretrain"},
    "cfimdb-finetune": {"tasks": ("cfimdb",), "mode": "finetune"},
    "multitask-pretrain": {"mode": "pretrain"},
    "multitask-baseline": {},
    "multitask-round-robin": {"sampling": "round_robin"},
    # notebook 06: pair encodings, heads, pooling, ranking loss, augmentation
    "cross-encoding": {"pair_encoding": "cross"},  # "A SMARTer minBERT"; "lexicon" in "Maximizing MinBert"
    "sts-cross": {"pair_encoding": {"similarity": "cross"}},  # "Investigating Methods": Concat
    "sts-cosine": {"heads": {"similarity": "cosine"}},  # "Investigating Methods": CoSim
    "sts-cosine-mnr": {"heads": {"similarity": "cosine"}, "sts_loss": "mnr_then_mse"},  # CoSim + MNR
    # "Projected Attention": the SBERT-style heads, under each pooling
    "sbert-heads-cls": {"heads": {"paraphrase": "siamese", "similarity": "cosine_fc"}},
    "sbert-heads-mean": {"heads": {"paraphrase": "siamese", "similarity": "cosine_fc"}, "pooling": "mean"},
    "sbert-heads-max": {"heads": {"paraphrase": "siamese", "similarity": "cosine_fc"}, "pooling": "max"},
    "sts-cosine-mix": {"heads": {"similarity": "cosine_mix"}},  # "Maximizing MinBert": weighted split
    "mlp-heads-cosine-mix": {"heads": {"sentiment": "mlp", "paraphrase": "mlp", "similarity": "cosine_mix"}},
    "sts-swap": {"augmentation": ("sts_swap",)},  # "SMART Surgery": stsAug
}
# notebook 07: sampling, curricula, loss balancing. Every run keeps the tasks' real size
# ratio under the profile's cap (train_limit_mode "total") and trains on as many batches
# per epoch as the data holds ("sum"), so the samplers differ in which task each batch comes
# from, not in how many batches there are.
_IMBALANCED = {"train_limit_mode": "total", "epoch_length": "sum"}
_REPORT_003 = {**PRESETS["sbert-heads-mean"]}
PRESETS.update({
    "imbalanced-simultaneous": dict(_IMBALANCED),
    # "Investigating Methods" 4.2: round robin (its baseline), equitable, annealed
    "sampling-round-robin": {**_IMBALANCED, "sampling": "round_robin"},
    "sampling-proportional": {**_IMBALANCED, "sampling": "proportional"},
    "sampling-annealed": {**_IMBALANCED, "sampling": "annealed"},
    # "A SMARTer minBERT" 3.2: a random tenth of Quora
    "quora-tenth": {**_IMBALANCED, "sampling": "proportional", "subsample": {"quora": 0.1}},
    # "Projected Attention" Tables 3-4 start from its model: mean pooling, the siamese
    # paraphrase head and the cosine-of-two-layers STS head (notebook 06's sbert-heads-mean)
    "mean-imbalanced": {**_IMBALANCED, **_REPORT_003},
    "mean-squared-loss": {**_IMBALANCED, **_REPORT_003, "loss_balancing": "squared"},
    "mean-dwa": {**_IMBALANCED, **_REPORT_003, "loss_balancing": "dwa"},
    "mean-sequential": {**_IMBALANCED, **_REPORT_003, "curriculum": "sequential"},
    "mean-hybrid": {"train_limit_mode": "total", **_REPORT_003, "curriculum": "hybrid"},
})
# notebooks 08 and 09: "SMART Surgery"'s grid of SMART, PCGrad and STS swap on its baseline
# model (CLS pooling, concatenated pair embeddings), with its SMART settings (section 4.3)
_SMART = {"smart": "smart-surgery"}
_SWAP = PRESETS["sts-swap"]
PRESETS.update({
    "smart": dict(_SMART),
    "pcgrad": {"pcgrad": True},
    "smart-pcgrad": {**_SMART, "pcgrad": True},
    "smart-swap": {**_SMART, **_SWAP},
    "pcgrad-swap": {"pcgrad": True, **_SWAP},
    "smart-pcgrad-swap": {**_SMART, "pcgrad": True, **_SWAP},
    # the same methods on a model that learns all three tasks in the cpu profile: notebook
    # 06's sbert-heads-mean (mean pooling, siamese paraphrase head, cosine_fc STS head)
    "sbert-mean-smart": {**_REPORT_003, **_SMART},
    "sbert-mean-pcgrad": {**_REPORT_003, "pcgrad": True},
    "sbert-mean-smart-pcgrad": {**_REPORT_003, **_SMART, "pcgrad": True},
    # SMART as the paper writes f: the extra passes replay the clean pass's dropout masks
    "sbert-mean-smart-shared": {**_REPORT_003, **_SMART, "smart_options": {"dropout": "shared"}},
    # "A SMARTer minBERT" Table 1: cross-encoded pairs with PCGrad and SMART at its settings
    # (section 4.3), under each of its three smoothness losses (section 3.1)
    "cross-pcgrad": {"pair_encoding": "cross", "pcgrad": True},
    "cross-pcgrad-smart-symkl": {"pair_encoding": "cross", "pcgrad": True, "smart": "smarter-minbert"},
    "cross-pcgrad-smart-kl": {"pair_encoding": "cross", "pcgrad": True, "smart": "smarter-minbert",
                              "smart_options": {"loss": "kl"}},
    "cross-pcgrad-smart-kl-then-symkl": {"pair_encoding": "cross", "pcgrad": True, "smart": "smarter-minbert",
                                         "smart_options": {"loss": "kl_then_symkl"}},
})


def make_config(name: str, profile: str | None = None, **overrides: Any) -> ExperimentConfig:
    """A config named ``name``: the defaults, then the profile's caps, then ``overrides``."""
    profile_name = get_profile(profile).name
    known = {f.name for f in fields(ExperimentConfig)} - {"name", "profile"}
    unknown = set(overrides) - known
    if unknown:
        raise ValueError(f"unknown ExperimentConfig field(s) {sorted(unknown)}; known: {sorted(known)}")
    return ExperimentConfig(name=name, profile=profile_name,
                            **{**PROFILE_DEFAULTS[profile_name], **overrides})


def preset(preset_name: str, profile: str | None = None, **overrides: Any) -> ExperimentConfig:
    """A named starting point (``PRESETS``) in a profile, with overrides on top."""
    if preset_name not in PRESETS:
        raise ValueError(f"unknown preset {preset_name!r}; choose one of {list(PRESETS)}")
    overrides.setdefault("name", preset_name)
    name = overrides.pop("name")
    return make_config(name, profile, **{**PRESETS[preset_name], **overrides})


@dataclass
class ExperimentResult:
    """What ``run_experiment`` returns: the config and one record per seed.

    A seed's record (a plain dict, as stored in the results file) holds ``epochs`` (per
    epoch: step, dev metrics by task, overall score, mean training loss per task),
    ``losses`` (per step: ``[step, task, loss]``), ``best_epoch``, ``best`` (the dev
    metrics of the best checkpoint), ``wall_seconds``, ``peak_memory_mb`` and its
    ``memory_kind``, ``trainable_parameters``, ``total_parameters``, ``dev_predictions``
    (per task: ids, predictions, labels) and ``run_dir``.
    """

    config: ExperimentConfig
    runs: dict[int, dict[str, Any]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def metric_names(self) -> list[str]:
        return [METRIC_NAMES[t] for t in self.config.tasks] + ["overall"]

    def seed_metrics(self) -> dict[int, dict[str, float]]:
        """Per seed, the best checkpoint's dev metrics by metric name (``sst_acc``, ..., ``overall``)."""
        table = {}
        for seed, run in sorted(self.runs.items()):
            row = {METRIC_NAMES[t]: run["best"][t] for t in self.config.tasks}
            row["overall"] = overall_score(run["best"])
            table[seed] = row
        return table

    def summary(self) -> dict[str, dict[str, float]]:
        """Per metric: mean, sample standard deviation (0 for one seed) and the number of seeds;
        also wall seconds and peak memory (means)."""
        per_seed = self.seed_metrics()
        out: dict[str, dict[str, float]] = {}
        for metric in self.metric_names:
            values = [row[metric] for row in per_seed.values()]
            out[metric] = _mean_std(values)
        for key in ("wall_seconds", "peak_memory_mb"):
            out[key] = _mean_std([run[key] for run in self.runs.values()])
        return out


def _mean_std(values: list[float]) -> dict[str, float]:
    n = len(values)
    mean = sum(values) / n
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    return {"mean": mean, "std": std, "n": n}


def _artefact_name(config: ExperimentConfig) -> str:
    return f"experiments/{config.name}"


def load_result(config: ExperimentConfig) -> ExperimentResult | None:
    """The stored runs of ``config`` whose hashes match (None if there are none), without
    training. ``load_result(config.in_profile("cpu"))`` reads the committed ``cpu`` runs."""
    stored = load_artefact(config.profile, _artefact_name(config))
    if stored is None:
        return None
    runs = {}
    for seed in config.seeds:
        run = stored["payload"]["runs"].get(str(seed))
        if run is not None and run["config_hash"] == config.run_hash(seed):
            runs[seed] = run
    return ExperimentResult(config, runs, stored["meta"]) if runs else None


def load_results(configs: Sequence[ExperimentConfig],
                 profile: str = "cpu") -> dict[str, ExperimentResult | None]:
    """The stored runs of each config carried to ``profile`` (``in_profile``), by name: what a
    notebook shows as the committed ``cpu`` results beside its own runs."""
    return {config.name: load_result(config.in_profile(profile)) for config in configs}


def run_experiment(
    config: ExperimentConfig,
    reuse: bool | None = None,
    device: torch.device | str | None = None,
    resume: bool = True,
    progress: bool = True,
) -> ExperimentResult:
    """Train ``config`` once per seed (or load the stored runs) and return the result.

    Args:
        reuse: load seeds already stored under a matching hash instead of training them
            (default: True, or ``$BERT_CORE_REUSE=0`` to retrain everything).
        device: default the profile's (CUDA in ``gpu`` when available, else CPU).
        resume: continue an interrupted run from its last checkpoint in ``runs/`` (when
            reusing; with ``reuse=False`` every seed trains from the start).
        progress: show progress bars.
    """
    from bert_core.train import train_run

    if reuse is None:
        reuse = os.environ.get("BERT_CORE_REUSE", "1") != "0"
    device = torch.device(device) if device is not None else PROFILES[config.profile].device
    stored = load_artefact(config.profile, _artefact_name(config)) if reuse else None
    stored_runs = stored["payload"]["runs"] if stored else {}
    result = ExperimentResult(config)
    for seed in config.seeds:
        run = stored_runs.get(str(seed))
        if run is None or run["config_hash"] != config.run_hash(seed):
            # Retraining (reuse off) must not pick up a finished run's checkpoint.
            run = train_run(config, seed, device=device, resume=resume and reuse, progress=progress)
            # Keep what is stored for other seeds; replace this one.
            current = load_artefact(config.profile, _artefact_name(config))
            all_runs = current["payload"]["runs"] if current else {}
            all_runs[str(seed)] = run
            save_artefact(config.profile, _artefact_name(config),
                          {"config": config.to_dict(), "runs": all_runs})
        result.runs[seed] = run
    stored = load_artefact(config.profile, _artefact_name(config))
    result.meta = stored["meta"] if stored else {}
    return result
