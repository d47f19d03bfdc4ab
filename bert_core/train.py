"""The training loop behind ``run_experiment``, and its command line.

One run = one config and one seed::

    for epoch e (bert_core.sampling.Schedule: the tasks of each step, a frozen encoder):
        for step s of the epoch:
            L_t = task loss of batch_t (+ λ_s R_s + μ D_Breg with SMART, bert_core.smart)
            terms = balance(L_t)                        (bert_core.losses: sum, squared, dwa)
            ∇ = ∇ Σ_t terms_t, or PCGrad's projection of the per-task gradients
                                                        (bert_core.pcgrad)
            θ ← AdamW(θ, ∇);  lr ← schedule(s)
        evaluate on dev; keep the weights if the overall score is the best so far

then the best weights predict dev and test-student, written in the starter's formats.
The run lives in ``runs/<profile>/<name>/seed-<seed>/``: ``config.json``,
``metrics.json``, ``predictions/``, ``best.safetensors``, and while it trains the last
resumable checkpoint (``bert_core.checkpoint``); once it has finished, its final weights
as ``last.safetensors``. A run that is killed resumes from that checkpoint
and ends exactly where an uninterrupted run ends: data order is a pure function of the
step, and the checkpoint holds the optimiser, the scheduler and the random state.
A loss that is NaN or infinite stops the run (``TrainingDiverged``) naming the step and
the task; the last checkpoint on disk is the last good one.

Command line (the same runs as the notebooks)::

    python -m bert_core.train multitask-baseline --profile cpu
    python -m bert_core.train sst-finetune --set epochs=1 --set finetune_lr=2e-5 --seeds 0,1,2
    python -m bert_core.train --config my_experiment.json   (or a run's config.json)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

from bert_core.augmentation import augment
from bert_core.checkpoint import (
    latest_checkpoint,
    load_checkpoint,
    load_weights,
    save_checkpoint,
    save_weights,
)
from bert_core.data import Example, load_task, task_file
from bert_core.evaluate import overall_score, predict, prediction_file_name, task_metric, write_predictions
from bert_core.experiment import ExperimentConfig
from bert_core.losses import balanced_terms, dwa_weights, multiple_negatives_ranking_loss, task_loss
from bert_core.multitask import MultitaskBERT
from bert_core.optim import AdamW
from bert_core.pcgrad import GradientSurgery
from bert_core.profiles import PROFILES
from bert_core.results import PROJECT_ROOT, atomic_write
from bert_core.sampling import Schedule, TaskStream, limited_sizes
from bert_core.smart import Smart
from bert_core.tokenizer import Tokenizer

__all__ = ["TrainingDiverged", "run_dir", "fixed_subset", "training_data", "optimisation_step", "train_run",
           "PeakMemory"]


class TrainingDiverged(RuntimeError):
    """A training loss became NaN or infinite."""


def run_dir(config: ExperimentConfig, seed: int) -> Path:
    """``runs/<profile>/<name>/seed-<seed>/`` under ``$BERT_CORE_RUNS`` (default: the repository)."""
    root = Path(os.environ["BERT_CORE_RUNS"]) if os.environ.get("BERT_CORE_RUNS") else PROJECT_ROOT / "runs"
    return root / config.profile / config.name / f"seed-{seed}"


def _shown(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


def fixed_subset(examples: Sequence[Example], limit: int | None, task: str, split: str,
                 salt: str = "") -> list[Example]:
    """At most ``limit`` examples, drawn by a shuffle that depends on the task and split
    (and ``salt``) only, so every seed and every config trains and evaluates on the same
    subset."""
    if limit is None or limit >= len(examples):
        return list(examples)
    generator = torch.Generator().manual_seed(zlib.crc32(f"{task}/{split}{salt}".encode()))
    keep = sorted(torch.randperm(len(examples), generator=generator)[:limit].tolist())
    return [examples[i] for i in keep]


class PeakMemory:
    """Peak memory of a block: CUDA's allocator peak on a GPU; on a CPU, the process's
    resident set size, sampled every 50 ms by a background thread (Linux's /proc)."""

    def __init__(self, device: torch.device):
        self.device, self.peak_mb, self.kind = device, 0.0, ""
        self._stop = threading.Event()

    def _rss_mb(self) -> float:
        try:
            pages = int(Path("/proc/self/statm").read_text().split()[1])
            return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
        except (OSError, ValueError, IndexError):
            import resource

            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self.peak_mb = max(self.peak_mb, self._rss_mb())

    def __enter__(self) -> PeakMemory:
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
            self.kind = "CUDA allocated"
        else:
            self.kind = "process RSS"
            self.peak_mb = self._rss_mb()
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.device.type == "cuda":
            self.peak_mb = torch.cuda.max_memory_allocated(self.device) / 2**20
        else:
            self._stop.set()
            self._thread.join()
            self.peak_mb = max(self.peak_mb, self._rss_mb())


def _load_split(config: ExperimentConfig, task: str, split: str, limit: int | None) -> list[Example]:
    folder = PROFILES[config.profile].data_dir
    return fixed_subset(load_task(task, split, folder), limit, task, split)


def training_data(config: ExperimentConfig) -> dict[str, list[Example]]:
    """Each task's training examples: the file, then ``subsample``'s fixed fraction, then
    ``train_limit`` under ``train_limit_mode``, then augmentation."""
    folder = PROFILES[config.profile].data_dir
    data = {t: load_task(t, "train", folder) for t in config.tasks}
    for task, fraction in config.subsample:
        data[task] = fixed_subset(data[task], max(1, round(fraction * len(data[task]))), task, "train",
                                  salt=f"/subsample-{fraction}")
    limits = limited_sizes({t: len(e) for t, e in data.items()}, config.train_limit, config.train_limit_mode)
    return {t: augment(t, fixed_subset(data[t], limits[t], t, "train"), config.augmentation)
            for t in config.tasks}


def _labels(examples: Sequence[Example]) -> list[float]:
    return [float(e.label) for e in examples]  # type: ignore[union-attr]


def _batch_loss(model: MultitaskBERT, tokenizer: Tokenizer, task: str, examples: list[Example],
                device: torch.device, ranking: bool = False, smart: Smart | None = None
                ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The task loss of one batch, and SMART's penalties of it (empty without SMART)."""
    if ranking:  # STS positives, each other's negatives: rank by the dot product of u and v
        return multiple_negatives_ranking_loss(*model.pair_embeddings(tokenizer, examples, device)), {}  # type: ignore[arg-type]
    labels = torch.tensor(_labels(examples), device=device)
    batch = model.task_batch(tokenizer, task, examples, device)
    if smart is None:
        return task_loss(task, model.head_outputs(batch), labels), {}
    outputs, penalties = smart.outputs_and_penalties(model, batch)
    return task_loss(task, outputs, labels), penalties


def _dwa_round_means(state: dict[str, Any], config: ExperimentConfig, step: int,
                     back: int) -> dict[str, float] | None:
    """Task t's mean training loss over the DWA round ``back`` rounds before the one of
    (0-based) ``step``: an epoch, or ``dwa_window`` steps; None if it is not complete."""
    if config.dwa_window is None:
        epoch = len(state["epochs"]) - back
        if epoch < 0:
            return None
        means = state["epochs"][epoch]["train_loss"]
    else:
        first = (step // config.dwa_window - back) * config.dwa_window
        if first < 0:
            return None
        rows = [r for r in state["losses"] if first < r[0] <= first + config.dwa_window]
        means = {t: _mean([r[2] for r in rows if r[1] == t]) for t in config.tasks}
    return means if all(means.get(t) is not None for t in config.tasks) else None


# "Investigating Methods" 4.2: the ranking loss trains on the STS pairs scored 4 or more
RANKING_MIN_SCORE = 4.0


def optimisation_step(model: MultitaskBERT, optimizer: torch.optim.Optimizer,
                      terms: dict[str, torch.Tensor], surgery: GradientSurgery | None = None,
                      smart: Smart | None = None, generator: torch.Generator | None = None
                      ) -> dict[str, dict[str, float]]:
    """One update from the per-task terms of a step: back-propagate their sum (or PCGrad's
    projection of their gradients, ``generator`` ordering it), step the optimiser, clear the
    gradients, move SMART's momentum copy. Returns PCGrad's gradient cosines (or {})."""
    if surgery is not None:
        cosines = surgery.backward(terms, generator)
    else:
        sum(terms.values()).backward()  # type: ignore[union-attr]
        cosines = {}
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    if smart is not None:
        smart.after_step(model)
    return cosines


def _scheduler(optimizer: torch.optim.Optimizer, config: ExperimentConfig, total_steps: int):
    def factor(step: int) -> float:
        if step < config.warmup_steps:
            return (step + 1) / config.warmup_steps
        if config.scheduler == "linear":
            return max(0.0, (total_steps - step) / max(1, total_steps - config.warmup_steps))
        return 1.0

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def _evaluate(model: MultitaskBERT, tokenizer: Tokenizer, dev: dict[str, list[Example]],
              config: ExperimentConfig, device: torch.device, progress: bool
              ) -> tuple[dict[str, float], dict[str, list[float]]]:
    metrics, predictions = {}, {}
    for task, examples in dev.items():
        pred = predict(model, tokenizer, task, examples, config.eval_batch_size, device, progress)
        metrics[task] = task_metric(task, pred, _labels(examples))
        predictions[task] = [round(float(p), 4) for p in pred]
    return metrics, predictions


def train_run(
    config: ExperimentConfig,
    seed: int,
    device: torch.device | str = "cpu",
    resume: bool = True,
    progress: bool = True,
    on_step: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Train one seed of ``config``; return its record (see ``ExperimentResult``).

    ``on_step(step)`` is called after every optimiser step (1-based global step); raising
    from it interrupts the run as a kill would, which is how the tests check resuming.
    """
    device = torch.device(device)
    folder = run_dir(config, seed)
    run_hash = config.run_hash(seed)
    latest = latest_checkpoint(folder) if resume else None
    if latest is not None and latest.get("run_hash") != run_hash:
        latest = None  # a different config under the same name: start again
    if latest is None and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _write_json(folder / "config.json", {**config.to_dict(), "seed": seed})

    train = training_data(config)
    dev = {t: _load_split(config, t, "dev", config.dev_limit) for t in config.tasks}
    tokenizer = Tokenizer.from_pretrained(config.checkpoint).with_max_length(config.max_length)

    torch.manual_seed(seed)
    model = MultitaskBERT.from_pretrained(
        config.checkpoint, hidden_dropout_prob=config.hidden_dropout, tasks=config.tasks,
        heads=config.head_map, pooling=config.pooling, head_dropout=config.head_dropout,
        freeze_bert=config.mode == "pretrain", pair_encoding=config.encoding_map,
        head_layers=config.head_layers,
    ).to(device)
    trainable = [p for p in model.parameters() if p.requires_grad]
    shared = {id(p) for p in model.bert.parameters() if p.requires_grad}
    optimizer = AdamW(trainable, lr=config.learning_rate, weight_decay=config.weight_decay)
    sizes = {t: len(examples) for t, examples in train.items()}
    schedule = Schedule(sizes, config.batch_size, config.epochs, seed, config.sampling, config.epoch_length,
                        config.curriculum)
    scheduler = _scheduler(optimizer, config, schedule.total_steps)
    smart = Smart(model, config.smart_settings) if config.smart_settings else None
    surgery = GradientSurgery(model) if config.pcgrad else None
    streams = {t: TaskStream(n, config.batch_size, seed, t) for t, n in sizes.items()}
    positives: list[Example] = []
    if config.ranking_epochs:
        positives = [e for e in train["sts"] if e.label >= RANKING_MIN_SCORE]  # type: ignore[union-attr]
        if not positives:
            raise ValueError(f"{config.name}: sts_loss='mnr_then_mse' trains on STS pairs scored "
                             f"{RANKING_MIN_SCORE:g} or more, and none of the {len(train['sts'])} training "
                             "pairs is; raise train_limit or use sts_loss='mse'")
        streams["sts-ranking"] = TaskStream(len(positives), config.batch_size, seed, "sts-ranking")

    state: dict[str, Any] = {"run_hash": run_hash, "step": 0, "drawn": dict.fromkeys(config.tasks, 0),
                             "epochs": [], "losses": [], "best_overall": -math.inf, "best_epoch": None,
                             "best": None, "dev_predictions": None, "wall_seconds": 0.0,
                             "peak_memory_mb": 0.0, "smart": [], "gradients": []}
    extras = {"smart_teacher": smart.teacher.model} if smart and smart.teacher else {}
    if latest is not None:
        state = load_checkpoint(folder, model, optimizer, scheduler, extras)
    autocast = (torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else nullcontext())

    with PeakMemory(device) as memory:
        started = time.perf_counter()
        while len(state["epochs"]) < config.epochs:
            epoch = len(state["epochs"])
            plan = schedule.plan(epoch)
            epoch_start = schedule.epoch_start(epoch)
            epoch_end = epoch_start + plan.steps
            for parameter in trainable:  # the hybrid curriculum's sequential epochs train the heads only
                if id(parameter) in shared:
                    parameter.requires_grad_(not plan.shared_frozen)
            model.train()
            bar = tqdm(total=plan.steps, initial=state["step"] - epoch_start, disable=not progress,
                       desc=f"{config.name} seed {seed} epoch {epoch + 1}/{config.epochs}", leave=False)
            while state["step"] < epoch_end:
                step = state["step"]
                losses, penalties = {}, {}
                with autocast:
                    for task in plan.step_tasks[step - epoch_start]:
                        ranking = task == "sts" and epoch < config.ranking_epochs
                        stream, source = ("sts-ranking", positives) if ranking else (task, train[task])
                        drawn = state["drawn"].get(stream, 0)
                        batch = [source[i] for i in streams[stream].batch(drawn)]
                        state["drawn"][stream] = drawn + 1
                        losses[task], penalties[task] = _batch_loss(model, tokenizer, task, batch, device,
                                                                    ranking, smart)
                for task, loss in losses.items():
                    if not torch.isfinite(loss):
                        raise TrainingDiverged(
                            f"{config.name} (seed {seed}): the {task} loss is {loss.item()} at step "
                            f"{step + 1} (epoch {epoch + 1}). The last good checkpoint is "
                            f"{_latest_path(folder)}. Try a lower lr (now {config.learning_rate:g}).")
                weights = None
                if config.loss_balancing == "dwa":
                    weights = dwa_weights(_dwa_round_means(state, config, step, 1),
                                          _dwa_round_means(state, config, step, 2),
                                          config.dwa_temperature)
                terms = balanced_terms(losses, config.loss_balancing, weights)
                if smart is not None:
                    terms = {t: term + smart.weighted(penalties[t]) if penalties[t] else term
                             for t, term in terms.items()}
                order = torch.Generator().manual_seed(zlib.crc32(f"{seed}/pcgrad/{step}".encode()))
                cosines = optimisation_step(model, optimizer, terms, surgery, smart, order)
                state["gradients"].extend([step + 1, group, pair, c] for group, pairs in cosines.items()
                                          for pair, c in pairs.items())
                scheduler.step()
                if smart is not None:
                    state["smart"].extend([step + 1, t, k, round(v.detach().item(), 8)]
                                          for t, p in penalties.items() for k, v in p.items())
                state["step"] = step + 1
                state["losses"].extend([step + 1, t, round(v.detach().item(), 5)] for t, v in losses.items())
                bar.update(1)
                bar.set_postfix({t: f"{v.detach().item():.3f}" for t, v in losses.items()})
                if (config.checkpoint_every and state["step"] % config.checkpoint_every == 0
                        and state["step"] < epoch_end):
                    _checkpoint(folder, model, optimizer, scheduler, state, started, memory, extras)
                    started = time.perf_counter()
                if on_step is not None:
                    on_step(state["step"])
            bar.close()

            metrics, dev_predictions = _evaluate(model, tokenizer, dev, config, device, progress)
            overall = overall_score(metrics)
            epoch_losses = [row for row in state["losses"] if row[0] > epoch_start]
            state["epochs"].append({
                "epoch": epoch + 1, "step": state["step"], "dev": metrics, "overall": overall,
                "train_loss": {t: _mean([r[2] for r in epoch_losses if r[1] == t]) for t in config.tasks},
            })
            if overall > state["best_overall"]:
                state.update(best_overall=overall, best_epoch=epoch + 1, best=metrics,
                             dev_predictions=dev_predictions)
                save_weights(model, folder / "best.safetensors")
            _checkpoint(folder, model, optimizer, scheduler, state, started, memory, extras)
            started = time.perf_counter()

    _finish(folder)
    load_weights(model, folder / "best.safetensors")
    _write_predictions(model, tokenizer, config, dev, state["dev_predictions"], folder, device, progress)
    record = {
        "config_hash": run_hash, "seed": seed, "epochs": state["epochs"], "losses": state["losses"],
        "best_epoch": state["best_epoch"], "best": state["best"],
        "wall_seconds": round(state["wall_seconds"], 1),
        "peak_memory_mb": round(max(state["peak_memory_mb"], memory.peak_mb), 1),
        "memory_kind": memory.kind, "device": str(device),
        "trainable_parameters": model.num_parameters(trainable_only=True),
        "total_parameters": model.num_parameters(),
        "steps_per_epoch": schedule.plan(0).steps,
        "epoch_batches": [schedule.plan(e).batches() for e in range(config.epochs)],
        "train_examples": sizes,
        **({"smart": state["smart"]} if smart is not None else {}),
        **({"gradients": state["gradients"]} if surgery is not None else {}),
        "dev_predictions": {t: {"ids": [e.id for e in dev[t]], "predictions": state["dev_predictions"][t],
                                "labels": _labels(dev[t])} for t in config.tasks},
        "run_dir": _shown(folder),
    }
    _write_json(folder / "metrics.json", {k: v for k, v in record.items() if k != "dev_predictions"})
    return record


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 5) if values else None


def _latest_path(folder: Path) -> str:
    latest = latest_checkpoint(folder)
    return str(folder / f"{latest['stem']}.safetensors") if latest else "none (no checkpoint was written yet)"


def _checkpoint(folder: Path, model, optimizer, scheduler, state: dict[str, Any], started: float,
                memory: PeakMemory, extras: dict[str, torch.nn.Module]) -> None:
    # Time and memory so far travel in the checkpoint, so a resumed run reports the total.
    state["wall_seconds"] += time.perf_counter() - started
    state["peak_memory_mb"] = max(state["peak_memory_mb"], memory.peak_mb)
    save_checkpoint(folder, state["step"], model, optimizer, scheduler, state, extras)


def _finish(folder: Path) -> None:
    """A finished run is never resumed: keep its final weights as ``last.safetensors`` and
    drop the optimiser state and the resume pointer (about half of a run's disk space)."""
    latest = latest_checkpoint(folder)
    if latest is None:
        return
    (folder / f"{latest['stem']}.safetensors").replace(folder / "last.safetensors")
    (folder / "latest.json").unlink()
    (folder / f"{latest['stem']}.pt").unlink(missing_ok=True)


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    text = json.dumps(payload, indent=1) + "\n"
    atomic_write(path, lambda tmp: tmp.write_text(text))


def _write_predictions(model: MultitaskBERT, tokenizer: Tokenizer, config: ExperimentConfig,
                       dev: dict[str, list[Example]], dev_predictions: dict[str, list[float]],
                       folder: Path, device: torch.device, progress: bool) -> None:
    """Dev and test-student prediction files of the best model, in the starter's format."""
    out = folder / "predictions"
    for task in config.tasks:
        write_predictions(out / prediction_file_name(task, "dev"), task, [e.id for e in dev[task]],
                          dev_predictions[task])
        if config.predict_test and task_file(task, "test", PROFILES[config.profile].data_dir).exists():
            test = load_task(task, "test", PROFILES[config.profile].data_dir)
            pred = predict(model, tokenizer, task, test, config.eval_batch_size, device, progress)
            write_predictions(out / prediction_file_name(task, "test"), task, [e.id for e in test], pred)


def _parse_value(text: str) -> Any:
    """``--set key=value`` values: JSON where it parses (numbers, true, null, lists), else a string."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return text
    return tuple(value) if isinstance(value, list) else value


def _main(argv: list[str] | None = None) -> int:
    from bert_core.experiment import PRESETS, ExperimentConfig, make_config, preset, run_experiment

    parser = argparse.ArgumentParser(prog="python -m bert_core.train",
                                     description="Train one experiment (a preset or a JSON config).")
    parser.add_argument("preset", nargs="?", choices=list(PRESETS), help="a named starting point")
    parser.add_argument("--config", type=Path, help="a JSON file of ExperimentConfig fields")
    parser.add_argument("--profile", choices=list(PROFILES), help="default: $BERT_CORE_PROFILE, else gpu/cpu")
    parser.add_argument("--name", help="the run's name (default: the preset's or the file's)")
    parser.add_argument("--seeds", help="comma-separated seeds, e.g. 0,1,2")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="override a config field, e.g. --set finetune_lr=2e-5 --set epochs=1")
    parser.add_argument("--no-reuse", action="store_true", help="train even if a matching result is stored")
    parser.add_argument("--no-resume", action="store_true", help="ignore a checkpoint left by a killed run")
    args = parser.parse_args(argv)
    if (args.preset is None) == (args.config is None):
        parser.error("give a preset name or --config FILE (one of them)")

    overrides: dict[str, Any] = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            parser.error(f"--set expects FIELD=VALUE, got {item!r}")
        overrides[key.strip()] = _parse_value(value.strip())
    if args.seeds:
        overrides["seeds"] = tuple(int(s) for s in args.seeds.split(","))
    if args.name:
        overrides["name"] = args.name
    try:
        if args.preset:
            config = preset(args.preset, args.profile, **overrides)
        else:
            try:
                values = json.loads(args.config.read_text())
            except (OSError, json.JSONDecodeError) as error:
                where = f", line {error.lineno}" if isinstance(error, json.JSONDecodeError) else ""
                parser.error(f"{args.config}{where}: {error}; expected a JSON object of "
                             "ExperimentConfig fields, e.g. {\"tasks\": [\"sst\"], \"epochs\": 1}")
            if "seed" in values:  # a run folder's config.json: one seed
                values["seeds"] = (values.pop("seed"),)
            values = {**values, **overrides}
            values.setdefault("name", args.config.stem)
            if "profile" in values and args.profile is None:
                args.profile = values.pop("profile")
            values.pop("profile", None)
            name = values.pop("name")
            config = make_config(name, args.profile, **values)
    except (ValueError, TypeError) as error:
        parser.error(str(error))
    assert isinstance(config, ExperimentConfig)
    result = run_experiment(config, reuse=not args.no_reuse, resume=not args.no_resume)
    print(f"{config.name} ({config.profile}), best dev checkpoint per seed:")
    for seed, row in result.seed_metrics().items():
        run = result.runs[seed]
        shown = "  ".join(f"{k} {v:.3f}" for k, v in row.items())
        print(f"  seed {seed}: {shown}  ({run['wall_seconds']:.0f} s, peak {run['peak_memory_mb']:.0f} MB)"
              f"  -> {run['run_dir']}")
    if len(result.runs) > 1:
        summary = result.summary()
        print("  mean ± std: " + "  ".join(f"{m} {summary[m]['mean']:.3f} ± {summary[m]['std']:.3f}"
                                          for m in result.metric_names))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
