"""Presets and configs: the named starting points, and configs made in a profile.

A config's fields are resolved in three layers: the dataclass defaults (the reports'
settings, ``bert_core.training.config``), then the profile's caps
(``bert_core.experiments.profiles``), then what the caller passes. ``preset`` adds a named
starting point (``PRESETS``, plain data) in between::

    config = preset("multitask-baseline", profile="cpu", seeds=(0, 1, 2))
    config = make_config("mine", "cpu", pooling="mean", epochs=1)
    in_profile(config, "cpu")       # the same experiment under the cpu caps
"""

from __future__ import annotations

import difflib
from dataclasses import fields
from typing import Any

from bert_core.errors import ConfigError
from bert_core.experiments.profiles import get_profile
from bert_core.training.config import ExperimentConfig

__all__ = ["PRESETS", "HEADLINE_BUDGET", "FINAL", "make_config", "preset", "in_profile"]

# Named starting points, as plain data: ExperimentConfig fields over the defaults and the
# profile's caps. The pieces several presets share are named first.
_SBERT_HEADS = {"heads": {"paraphrase": "siamese", "similarity": "cosine_fc"}}
_SWAP = {"augmentation": ("sts_swap",)}  # "SMART Surgery": stsAug
# notebook 07: every run keeps the tasks' real size ratio under the profile's cap
# (train_limit_mode "total") and trains on as many batches per epoch as the data holds
# ("sum"), so the samplers differ in which task each batch comes from, not in how many
# batches there are.
_IMBALANCED = {"train_limit_mode": "total", "epoch_length": "sum"}
# "Projected Attention" Tables 3-4 start from its model: mean pooling, the siamese
# paraphrase head and the cosine-of-two-layers STS head (notebook 06's sbert-heads-mean)
_REPORT_003 = {**_SBERT_HEADS, "pooling": "mean"}
# notebooks 08 and 09: "SMART Surgery"'s SMART settings (section 4.3)
_SMART = {"smart": "smart-surgery"}
_CPU_BEST = {"pooling": "mean", "pair_encoding": {"paraphrase": "cross"},
             "heads": {"similarity": "cosine_fc"}}
# notebook 05's headline budget: all the offline data, one pass over each task in batches
# of 32, the full dev sets, with the test-student files; the headline is cpu-best under it
HEADLINE_BUDGET = {"train_limit": None, "dev_limit": None, "sampling": "proportional",
                   "epoch_length": "sum", "epochs": 1, "batch_size": 32, "finetune_lr": 5e-5,
                   "warmup_steps": 50, "predict_test": True}
_HEADLINE = {**_CPU_BEST, **HEADLINE_BUDGET}
# ... and with notebook 06's STS head (5 cos): the recipe the final model's rule starts from
_HEADLINE_SCALED = {**_HEADLINE, "heads": {"similarity": "scaled_cosine"}}

PRESETS: dict[str, dict[str, Any]] = {
    # the course's part 1 (single-task sentiment) and part 2
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
    "sbert-heads-cls": dict(_SBERT_HEADS),
    "sbert-heads-mean": {**_SBERT_HEADS, "pooling": "mean"},
    "sbert-heads-max": {**_SBERT_HEADS, "pooling": "max"},
    "sts-cosine-mix": {"heads": {"similarity": "cosine_mix"}},  # "Maximizing MinBert": weighted split
    "mlp-heads-cosine-mix": {"heads": {"sentiment": "mlp", "paraphrase": "mlp", "similarity": "cosine_mix"}},
    "sts-swap": dict(_SWAP),
    # notebook 07: sampling, curricula, loss balancing
    "imbalanced-simultaneous": dict(_IMBALANCED),
    # "Investigating Methods" 4.2: round robin (its baseline), equitable, annealed
    "sampling-round-robin": {**_IMBALANCED, "sampling": "round_robin"},
    "sampling-proportional": {**_IMBALANCED, "sampling": "proportional"},
    "sampling-annealed": {**_IMBALANCED, "sampling": "annealed"},
    # "A SMARTer minBERT" 3.2: a random tenth of Quora
    "quora-tenth": {**_IMBALANCED, "sampling": "proportional", "subsample": {"quora": 0.1}},
    "mean-imbalanced": {**_IMBALANCED, **_REPORT_003},
    # the samplers again on report 003's model, which learns all three tasks at the cpu
    # caps (the reports' baseline above leaves Quora's majority class on some seeds only)
    "mean-round-robin": {**_IMBALANCED, **_REPORT_003, "sampling": "round_robin"},
    "mean-proportional": {**_IMBALANCED, **_REPORT_003, "sampling": "proportional"},
    "mean-annealed": {**_IMBALANCED, **_REPORT_003, "sampling": "annealed"},
    "mean-squared-loss": {**_IMBALANCED, **_REPORT_003, "loss_balancing": "squared"},
    # DWA over rounds of 25 steps, not epochs (Liu et al.; report 003): the course's cpu
    # runs have 2 epochs, and epoch rounds would leave λ = 1 for the whole run (the first
    # two rounds have no ratio). 25 steps is a quarter of a cpu epoch; dwa_window=None
    # gives epoch rounds for long runs.
    "mean-dwa": {**_IMBALANCED, **_REPORT_003, "loss_balancing": "dwa", "dwa_window": 25},
    "mean-sequential": {**_IMBALANCED, **_REPORT_003, "curriculum": "sequential"},
    "mean-hybrid": {"train_limit_mode": "total", **_REPORT_003, "curriculum": "hybrid"},
    # notebooks 08 and 09: "SMART Surgery"'s grid of SMART, PCGrad and STS swap on its
    # baseline model (CLS pooling, concatenated pair embeddings)
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
    # notebook 05, section 10: the pieces notebook 06 found best at the cpu scale, together
    # (mean pooling, a cross-encoded paraphrase pair, the cosine-of-two-layers STS head) ...
    "cpu-best": dict(_CPU_BEST),
    # ... and the same model on all the offline data, one pass over each task in batches of
    # 32 (each example once per epoch in expectation), with the test-student files: the
    # one model against three single-task fine-tunings (README)
    "headline": dict(_HEADLINE),
    # ... and each task alone under the headline's recipe and budget (the same checkpoint,
    # pooling, heads, learning rates, warm-up, one pass over all of the task's data): the
    # single-task yardsticks "does multitask help?" is measured against
    "sst-alone-headline": {**_HEADLINE, "tasks": ("sst",), "predict_test": False},
    "quora-alone-headline": {**_HEADLINE, "tasks": ("quora",), "predict_test": False},
    "sts-alone-headline": {**_HEADLINE, "tasks": ("sts",), "predict_test": False},
    # notebook 06, section 7: why fine-tuning lands STS below the checkpoint's zero-shot r.
    # STS alone under cpu-best's recipe with each cosine head: the cosine of two learned
    # layers (cpu-best's), SBERT's 2.5 (cos + 1) and sentence-transformers' 5 cos ...
    "sts-alone-cosine-fc": {**_CPU_BEST, "tasks": ("sts",)},
    "sts-alone-cosine": {**_CPU_BEST, "tasks": ("sts",), "heads": {"similarity": "cosine"}},
    "sts-alone-scaled-cosine": {**_CPU_BEST, "tasks": ("sts",), "heads": {"similarity": "scaled_cosine"}},
    # ... and the fix in the multitask recipe, at the cpu caps and at the headline's budget,
    # with its STS yardstick (SST's and Quora's are the ones above: their heads are unchanged)
    "cpu-best-scaled-cosine": {**_CPU_BEST, "heads": {"similarity": "scaled_cosine"}},
    "headline-scaled-cosine": dict(_HEADLINE_SCALED),
    "sts-alone-headline-scaled-cosine": {**_HEADLINE_SCALED, "tasks": ("sts",), "predict_test": False},
    # notebook 11: the recipe to beat, one change at a time (the rule's variants,
    # course.selection): a second pass over every task (SST under-trains in one: notebook
    # 05's library yardstick), and STS's loss at full weight (the profile's 0.2; STS alone
    # beats STS together)
    "headline-scaled-cosine-two-epochs": {**_HEADLINE_SCALED, "epochs": 2},
    "headline-scaled-cosine-sts-weight-1": {**_HEADLINE_SCALED, "task_weights": {}},
    # ... and the final recipe's own single-task yardsticks: each task alone for two passes
    "sst-alone-headline-two-epochs": {**_HEADLINE, "tasks": ("sst",), "predict_test": False, "epochs": 2},
    "quora-alone-headline-two-epochs": {**_HEADLINE, "tasks": ("quora",), "predict_test": False, "epochs": 2},
    "sts-alone-headline-scaled-cosine-two-epochs": {**_HEADLINE_SCALED, "tasks": ("sts",),
                                                    "predict_test": False, "epochs": 2},
    # notebook 12: EDA on the fly for SST (bert_core.training.eda) on cpu-best: Wei and Zou's
    # suggested strength for small data (alpha 0.1) and a strong one (0.3), half of the SST
    # examples replaced by a variant each epoch
    "eda": {**_CPU_BEST, "eda_alpha": 0.1},
    "eda-strong": {**_CPU_BEST, "eda_alpha": 0.3},
    # notebook 10: report 003's Table 5, its adapters on its own model (mean pooling, the
    # siamese and cosine_fc heads: sbert-heads-mean), encoder and adapters fine-tuned
    # together; and its best combination over a frozen encoder (the parameter-efficient use)
    "adapters-pal": {**_REPORT_003, "adapters": "pal"},
    "adapters-low-rank": {**_REPORT_003, "adapters": "low_rank"},
    "adapters-houlsby": {**_REPORT_003, "adapters": "houlsby"},
    "adapters-top": {**_REPORT_003, "adapters": "top"},
    "adapters-low-rank-top": {**_REPORT_003, "adapters": "low_rank+top"},
    "adapters-low-rank-top-frozen": {**_REPORT_003, "adapters": "low_rank+top", "mode": "pretrain"},
}

# notebook 11: the final model is the recipe course.selection's rule chose, stored under that
# recipe's own name (``preset("final")`` returns it): the headline recipe with notebook 06's
# STS head and a second pass over every task (its one variant the rule confirmed)
FINAL = "headline-scaled-cosine-two-epochs"
PRESETS["final"] = PRESETS[FINAL]


def make_config(name: str, profile: str | None = None, **overrides: Any) -> ExperimentConfig:
    """A config named ``name``: the defaults, then the profile's caps, then ``overrides``."""
    profile_name = get_profile(profile).name
    known = {f.name for f in fields(ExperimentConfig)} - {"name", "profile"}
    unknown = set(overrides) - known
    if unknown:
        raise ValueError(f"unknown ExperimentConfig field(s) {sorted(unknown)}; known: {sorted(known)}")
    return ExperimentConfig(name=name, profile=profile_name,
                            **{**get_profile(profile_name).caps, **overrides})


def preset(preset_name: str, profile: str | None = None, **overrides: Any) -> ExperimentConfig:
    """A named starting point (``PRESETS``) in a profile, with overrides on top; ``"final"``
    is the recipe ``FINAL`` under its own name, so that its stored runs are that recipe's."""
    if preset_name not in PRESETS:
        close = difflib.get_close_matches(preset_name, list(PRESETS), n=3)
        hint = f"did you mean {' or '.join(close)}? " if close else ""
        raise ConfigError(f"unknown preset {preset_name!r}; {hint}(every preset: "
                          "python -m bert_core.experiments --help)")
    overrides.setdefault("name", FINAL if preset_name == "final" else preset_name)
    name = overrides.pop("name")
    return make_config(name, profile, **{**PRESETS[preset_name], **overrides})


def in_profile(config: ExperimentConfig, profile: str, **overrides: Any) -> ExperimentConfig:
    """The same experiment in another profile: the fields ``config`` sets beyond its own
    profile's caps, and those its preset sets (when its name is a preset's: a preset may
    set a field to its default, as ``headline`` sets ``train_limit=None``), are kept; the
    rest take the other profile's caps, with ``overrides`` on the caps (what the config
    chose still wins). A config already in ``profile`` is returned as it is. Notebooks use
    it to look up the committed ``cpu`` runs of the configs they run."""
    if get_profile(profile).name == config.profile:
        return config
    base = make_config(config.name, config.profile)
    chosen = set(PRESETS.get(config.name, {}))
    kept = {f.name: getattr(config, f.name) for f in fields(config)
            if f.name not in ("name", "profile")
            and (f.name in chosen or getattr(config, f.name) != getattr(base, f.name))}
    return make_config(config.name, profile, **{**overrides, **kept})
