# ---
# jupyter:
#   jupytext:
#     formats: notebooks///ipynb,notebooks///py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 05 · Solutions to the exercises
#
# Worked solutions to the exercises of notebook 05 (the multitask baseline). Most read the
# committed `cpu` runs; exercises 2 and 7 train runs of their own
# (`bert_core.experiments.exercises`): in `cpu` they are stored in `results/cpu/` and load
# in a second (to train them yourself: `python -m bert_core.experiments.exercises
# sst-alone quora-alone sts-alone no-sts no-sts-heavy --profile cpu`, about 25 minutes on
# two cores); in `smoke`, seconds on the sample set. Try each exercise first; then compare.

# %%
# Set-up for a fresh cloud kernel (Colab, a rented GPU): where the course is not installed,
# this installs it (bert_core.course.cloud explains how); where it is, it does nothing.
import importlib.util

if importlib.util.find_spec("bert_core") is None:
    import os
    import subprocess
    import sys

    source = os.environ.get("BERT_CORE_SOURCE", "")  # a git address, or a folder with the course
    if not source:
        raise RuntimeError("bert_core is not installed in this kernel: set os.environ['BERT_CORE_SOURCE'] to "
                           "the course's git address (or a folder that holds it) and run this cell again")
    if not os.path.isdir(source):
        subprocess.run(["git", "clone", "--depth", "1", source, "multitask-minbert"], check=True)
        source = "multitask-minbert"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-e", source], check=True)
    sys.path.insert(0, os.path.abspath(source))  # the kernel started before the install
    os.environ["BERT_CORE_FRESH_KERNEL"] = "1"
from bert_core.course.cloud import prepare

prepare()

# %%
import json
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from bert_core.course.notebook import setup
from bert_core.course.significance import compared_table, learned_table, task_by_task
from bert_core.course.zero_shot import zero_shot_pearson
from bert_core.experiments import load_results, preset, run_experiment
from bert_core.experiments.ablation import stall_ablation
from bert_core.experiments.exercises import exercise
from bert_core.experiments.grid import table
from bert_core.experiments.profiles import SMALL_CPU_CAPS
from bert_core.experiments.store import load_artefact, load_result
from bert_core.experiments.submission import check_submission, write_submission
from bert_core.files import PROJECT_ROOT
from bert_core.multitask import data
from bert_core.training.sampling import steps_per_epoch

profile = setup(seed=0)
warnings.simplefilter("ignore", data.DataWarning)
print(profile)
committed = table("05").committed()  # the committed cpu runs of notebook 05, every seed

# %% [markdown]
# ## 1. Round-robin against simultaneous
#
# Both rows are committed, three seeds each, so the answer is a comparison table (Δ from
# the simultaneous baseline, a star where Welch's p < 0.05, and how many seeds clear the
# majority class):

# %%
# NBVAL_CHECK_OUTPUT
pair = {name: committed[name] for name in ("multitask-baseline", "multitask-round-robin")}
compared_table(pair, "multitask-baseline")

# %% [markdown]
# Round-robin trains one task a step and so makes three times as many updates on the same
# batches. In the table it moves every score by less than the seed-to-seed spread of
# either row: no star. With three seeds a side that rules out a large effect, not a small
# one; notebook 07 asks the same question on two models and over more samplers.
#
# ## 2. Section 9's diagnosis without STS
#
# Under the small caps, the baseline stayed at the majority class on SST and Quora. If
# STS's large squared error was what steered the shared encoder, removing STS should free
# them. `no-sts` trains SST and Quora alone under the small caps, and `no-sts-heavy`
# keeps STS at weight 0.5 (the ablation's `stall-sts-weight` used 0.2); two seeds each:

# %%
# NBVAL_IGNORE_OUTPUT
mine = {name: run_experiment(exercise(name, profile.name), progress=False) for name in ("no-sts", "no-sts-heavy")}

# %%
small = load_results(stall_ablation("cpu"), "cpu", **SMALL_CPU_CAPS)  # the committed ablation
rows = {"baseline (small caps)": small["multitask-baseline"], "stall-sts-weight (0.2)": small["stall-sts-weight"],
        "no-sts-heavy (0.5)": mine["no-sts-heavy"], "no-sts": mine["no-sts"]}
pd.concat([compared_table(rows, "baseline (small caps)", learned=False), learned_table(rows)], axis=1)

# %% [markdown]
# Read the "> majority" columns first. Without STS both classification tasks leave the
# majority class on both seeds (SST 0.367 and 0.355, Quora 0.710 and 0.680): in a two-task
# model SST and Quora learn under exactly the caps that stalled the three-task one. That
# supports the diagnosis (STS's loss, five to ten times larger than the others', took the
# encoder), and `stall-sts-weight` says the same from the other side: at weight 0.2 each
# task leaves the majority class on two seeds of three. At weight 0.5 SST stays at the
# majority class on both seeds (0.257) and Quora on one (0.632; the other reaches 0.650,
# barely above): the largest weight that frees them lies between 0.2 and 0.5, and halving the
# interval again (0.35) is the next run. Two seeds are few; the pattern across the four
# rows is what makes it a finding.
#
# ## 3. `epoch_length="max"` at the cpu caps
#
# Before training, count the steps. Under the cpu caps every task is cut to the same
# number of examples, and `min`, `max` and `sum` differ only when the sizes differ:

# %%
# NBVAL_CHECK_OUTPUT
run = committed["multitask-baseline"].runs[0]
sizes = run["train_examples"]
summary = load_artefact("cpu", "data_summary")["payload"]
full = {task: summary[f"{task}/train"]["examples"] for task in ("sst", "quora", "sts")}
pd.DataFrame({f"{where}: {dict(s)}": {rule: steps_per_epoch(s, batch, "simultaneous", rule)
                                       for rule in ("min", "max", "sum")}
              for where, s, batch in (("cpu caps", sizes, 16), ("all the data", full, 32))}).rename_axis("epoch_length")

# %% [markdown]
# At the cpu caps the three tasks hold 1,600 examples each, so `"max"` gives the same 100
# steps an epoch as `"min"`: the run would be the same run under another name, and nothing
# gains or loses. The exercise only means something without the caps (the `gpu` profile,
# or `train_limit=None`): there `"min"` stops each epoch at STS's 6,040 examples and
# `"max"` runs to Quora's 16,258, cycling SST (8,544) and STS about twice and 2.7 times.
# Such a run costs 2.7 times the steps; Quora sees all of its data, SST and STS repeat
# theirs, and with the reports' unweighted loss STS's larger share of updates is the
# risk section 9 describes.
#
# ## 4. Why STS's loss starts near 10
#
# An untrained head outputs scores near 0. Its squared error is then the mean of the gold
# score squared, E[y²] = Var(y) + E[y]²:

# %%
scores = np.array([e.label for e in data.load_task("sts", "train", profile.data_dir)])
print(f"{len(scores)} training pairs: mean gold {scores.mean():.2f}, variance {scores.var():.2f}, "
      f"E[y²] = {np.mean(scores ** 2):.2f}")

# %% [markdown]
# (On the course data the mean gold score is 2.6 and the variance 2.2, so E[y²] is 9.0.) The first few steps of the baseline's STS loss sit near that value,
# against about 1.6 and 0.7 for SST's and Quora's cross-entropies (ln 5 and a bit under
# ln 2): in the unweighted sum, STS's gradient is the largest, which is section 9's
# diagnosis.
#
# ## 5. Submission files
#
# The table runs of the `cpu` profile skip the test-student predictions; the `final`
# preset makes them (`predict_test=True`), and its stored record keeps them beside the dev
# predictions. A training run writes them to `runs/<profile>/<name>/seed-<n>/predictions/`;
# `write_submission` writes the same files from the stored record, and `check_submission`
# reads them back against the data:

# %%
# NBVAL_CHECK_OUTPUT
final = load_result(preset("final", "cpu"))  # the committed final run, seed 0
checked = None
if final is None:
    print("No committed final run: python -m bert_core.experiments final --profile cpu --seeds 0")
else:
    with tempfile.TemporaryDirectory() as folder:
        paths = write_submission(final.runs[0], folder)
        print("files:", ", ".join(sorted(p.name for p in paths)))
        print("".join((Path(folder) / "sst-test-output.csv").read_text().splitlines(keepends=True)[:3]))
        checked = None if profile.uses_sample_data else check_submission(folder, profile.data_dir)

# %%
if checked is not None:  # the final run's ids are the course data's, not the sample set's
    for name, rows in checked.items():
        print(f"{name}: {rows} rows, valid")

# %% [markdown]
# One file per task and split, named as the starter code names them (`sst-dev-output.csv`,
# `sts-test-output.csv`, ...): a header line with a tab (`id \t Predicted_Sentiment`), then
# `id , value` per line. They are the starter code's `predictions/` files line for line;
# the Quora test file is missing because the offline data has no Quora test split.
#
# ## 6. How much does the benchmark vary?
#
# One committed measurement of section 10's benchmark, its speed-ups against the small
# recipe:

# %%
# NBVAL_CHECK_OUTPUT
bench = json.loads((PROJECT_ROOT / "benchmarks" / "results" / "bench_cpu_training.json").read_text())
pd.DataFrame({name: {"sentences / training s": v["sentences_per_training_second"],
                     "training speed-up": v["training_speedup"], "padding share": v["padding_share"]}
              for name, v in bench["variants"].items()}).T

# %% [markdown]
# A run-to-run variation of 10-15% means a ratio between two rows moves by up to about
# 20% from one run to the next, and more from one machine to another. Batches of 32
# (1.99x here) stay far outside that in every record so far (1.66x, 2.13x and 1.93x in
# the three before this one, on other machines or earlier code). Length buckets alone are
# 1.37x here, 1.25x, 1.59x and 1.40x before: the order holds, the size does not. A row
# within 1.2x of another does not survive until repeated measurements show the same
# order: frozen word embeddings are 1.03x faster than the batch-32 row here (157.9
# against 153.8 sentences/s), 1.11x and 1.14x in the two records before, and were 10%
# slower in the one before those (55.4 against 61.4). The padding share is no timing: it
# counts tokens and does not vary between runs at all.
#
# ## 7. Does multitask help each task?
#
# Each task alone with `cpu-best`'s recipe and budget (the same 1,600 training examples,
# two epochs, heads, pooling, learning rates), three seeds each, beside `cpu-best`'s
# column for that task:

# %%
# NBVAL_IGNORE_OUTPUT
alone = {task: run_experiment(exercise(f"{task}-alone", profile.name), progress=False)
         for task in ("sst", "quora", "sts")}

# %%
task_by_task(committed["cpu-best"], alone).round(3)

# %% [markdown]
# And the checkpoint with no training at all: the cosine of the mean-pooled vectors, on
# the same STS dev pairs as the runs are scored on (notebook 02 measured it on all 863):

# %%
ids = alone["sts"].runs[0]["dev_predictions"]["sts"]["ids"]
by_id = {e.id: e for e in data.load_task("sts", "dev", profile.data_dir)}
pairs = [by_id[i] for i in ids]
zero_shot = zero_shot_pearson(profile.checkpoint, pairs)
alone_r = [m["sts_corr"] for m in alone["sts"].seed_metrics().values()]
print(f"zero-shot r on these {len(pairs)} pairs: {zero_shot:.3f}; STS alone: "
      f"{np.mean(alone_r):.3f} (seeds {', '.join(f'{r:.3f}' for r in alone_r)})")

# %% [markdown]
# What the `cpu` runs say (three seeds a side):
#
# - **SST and Quora**: trained together or alone, the same score to within a few
#   thousandths, far inside the seed spread (no star). At this budget the other two tasks
#   neither help nor hurt them.
# - **STS**: multitask costs it about 0.012 in r, starred (Welch p ≈ 0.03): the one
#   difference beyond the noise. Alone, with the same head and budget, STS reaches about
#   0.816; beside SST and Quora, 0.804.
# - **And both lie below the checkpoint with no training at all** (0.834 on these 600
#   pairs). Fine-tuning itself costs STS, with or without the other tasks. The checkpoint
#   was trained by sentence-transformers on sentence pairs with mean pooling; two epochs of
#   a squared error through the `cosine_fc` head's two fresh layers move the encoder away
#   from a geometry that was already good at this task. Beating zero-shot needs a recipe
#   that keeps that geometry: a head without fresh layers, the target the checkpoint's own
#   training used (the cosine against score / 5), a smaller learning rate for the encoder.
# - One caution on fairness: a single-task run keeps its best epoch by its own task's
#   score, the multitask run by the overall score, a small advantage to "alone".
