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
# # 11 · Solutions to the exercises
#
# Worked solutions to the exercises of notebook 11 (error analysis), read from the stored
# dev predictions of the committed runs: on this page the `cpu` runs. Try each exercise
# first; then compare.

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
import re

import numpy as np
import pandas as pd
import torch

from bert_core.bert.tokenizer import Tokenizer
from bert_core.course import analysis, categories, paired, widgets
from bert_core.course.notebook import setup
from bert_core.experiments import preset, run_experiment
from bert_core.experiments.run import missing_weights_line, stored_model
from bert_core.multitask.data import load_task

profile = setup(seed=0)
pd.set_option("display.precision", 3)
print(profile)

# %%
# NBVAL_IGNORE_OUTPUT
names = ("final", "cpu-best-scaled-cosine")
results = {name: run_experiment(preset(name, profile.name), progress=False) for name in names}
dev = {task: load_task(task, "dev", profile.data_dir) for task in ("sst", "quora", "sts")}
frames = {name: {task: analysis.prediction_frame(r.runs[0], task, dev[task]) for task in dev}
          for name, r in results.items()}
final = frames["final"]

# %% [markdown]
# ## 1. An error category of your own
#
# Browsing the worst Quora errors, many pairs ask about different numbers ("... 100 ..." /
# "... 200 ...") in otherwise similar words. The rule: both questions contain a number,
# and the sets of numbers differ. Counted with `category_table` beside the reports'
# categories (the rule is added to `CATEGORIES` for this cell, then removed):

# %%
def numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+", text))


def different_numbers(row: pd.Series) -> bool:
    a, b = numbers(row["sentence1"]), numbers(row["sentence2"])
    return bool(a) and bool(b) and a != b


categories.CATEGORIES["quora"]["different numbers"] = different_numbers
try:
    table = categories.category_table(final["quora"], "quora")
finally:
    del categories.CATEGORIES["quora"]["different numbers"]
table

# %% [markdown]
# The row "different numbers": 139 pairs (3.5% of dev), an error rate of 0.151 against
# 0.163 outside, Fisher's p 0.82. Counted, the model errs no more on them than on the
# rest: a rule that looked convincing while browsing the worst errors is not beyond
# chance. (Compare word overlap, which holds a thousand pairs and is.)
#
# ## 2. Where the neutral sentences go

# %%
matrix = analysis.confusion(final["sst"], 5)
neutral = pd.Series(matrix[2], index=analysis.SST_NAMES, name="true neutral, predicted as")
print(f"recall of neutral {matrix[2, 2] / matrix[2].sum():.3f}; sentences predicted neutral: "
      f"{matrix[:, 2].sum()} of {matrix.sum()} (true neutral: {matrix[2].sum()})")
neutral

# %% [markdown]
# The final model splits the neutral sentences almost evenly between "negative" and
# "positive", and it predicts "neutral" far less often than the class occurs: the middle
# of the scale is a place it avoids. Cross-entropy rewards a confident lean to one side
# when neutral sentences carry a little sentiment, and SST's neutral class is exactly the
# sentences whose annotators disagreed about it.
#
# ## 3. Correcting the STS scale
#
# The stored predictions are dev's only (a clone has no weights to predict the training
# set), so the line is fitted on half of the dev pairs and applied to the other half:
# fitting and measuring on the same pairs would flatter it.

# %%
sts = final["sts"]
rng = np.random.default_rng(0)
fit = rng.random(len(sts)) < 0.5
slope, intercept = np.polyfit(sts["prediction"][fit], sts["label"][fit], 1)
held_out = sts[~fit]
corrected = slope * held_out["prediction"] + intercept
print(f"gold ≈ {slope:.2f} × prediction + {intercept:.2f} (fitted on {fit.sum()} pairs)")
print(f"held-out {len(held_out)} pairs: mean residual {held_out['residual'].mean():+.3f} -> "
      f"{(corrected - held_out['label']).mean():+.3f}; Pearson r "
      f"{np.corrcoef(held_out['prediction'], held_out['label'])[0, 1]:.3f} -> "
      f"{np.corrcoef(corrected, held_out['label'])[0, 1]:.3f}")

# %% [markdown]
# A linear map of the predictions leaves Pearson's r exactly as it was (r is invariant to
# a positive scale and a shift), and it takes the mean residual from +0.21 to -0.07 on
# pairs it was not fitted on. The over-estimate is a matter of offset and scale, not of
# ranking, and the course's metric cannot see it; a leaderboard that scored the squared
# error would.
#
# ## 4. `final` against `cpu-best-scaled-cosine`: what the extra data buys
#
# The same recipe, on all the data (`final`) and on 1,600 examples a task
# (`cpu-best-scaled-cosine`), compared on the dev examples both predicted (the small
# run's 600 a task):

# %%
small = frames["cpu-best-scaled-cosine"]
rows = {task: paired.compare_pair(final[task], small[task], "accuracy") for task in ("sst", "quora")}
rows["sts"] = paired.compare_pair(final["sts"], small["sts"], "pearson")
pd.DataFrame(rows).T

# %% [markdown]
# On these 600 examples a task the extra data buys 0.060 on SST (0.485 against 0.425;
# right on 85 sentences the small run gets wrong, wrong on 49 it gets right, McNemar p
# 0.002) and 0.034 on Quora (0.827 against 0.793, 54 against 34, p 0.042), both beyond
# chance. On STS (r 0.858 against 0.849, +0.009, bootstrap interval -0.004 to 0.021) the
# difference is not beyond chance. These are two trained models on one set of examples; notebook 05's
# three seeds per recipe say it of the two recipes.
#
# ## 5. Does a head of layer 0 link "not" to "bad"?
#
# This needs the final model's weights (see notebook 11, section 10):

# %%
# NBVAL_IGNORE_OUTPUT
config = preset("final", profile.name)
model = stored_model(config, 0)
if model is None:
    print(missing_weights_line(config, 0))
else:
    tokenizer = Tokenizer.from_pretrained(config.checkpoint).with_max_length(config.max_length)
    sentence = widgets.SAMPLE_ATTENTION["sentence"]
    _, tokens = widgets.attention_map(model, tokenizer, sentence)
    source, target = tokens.index("not"), tokens.index("bad")
    weights = torch.tensor([[widgets.attention_map(model, tokenizer, sentence, layer=0, head=h)[0][s, t]
                             for h in range(model.bert.config.num_attention_heads)]
                            for s, t in ((source, target), (target, source))])
    print(pd.DataFrame(weights.numpy(), index=["not -> bad", "bad -> not"]).round(2).to_string())

# %% [markdown]
# Each column is a head of layer 0; a weight near 1 would be a head in which one word
# reads the other. Compare the two rows with the previous-token head of notebook 01's
# solutions: "bad" follows "not", so a head that looks one token back links them without
# knowing anything about negation.
#
# ## 6. Adapters on the final recipe
#
# This is a batch job (three runs of about 2.5 minutes on two quiet cores, the time
# `cpu-best-scaled-cosine`'s runs took):
#
#     config = preset("cpu-best-scaled-cosine", "cpu", adapters="low_rank", name="fixed-low-rank")
#     screen = selection_table({**candidate_results(), "fixed-low-rank": run_experiment(config)})
#
# What to expect before running it: on report 003's model the low-rank adapters moved the
# overall score by +0.007 (notebook 10, inside the noise), and the final recipe's overall
# score has a seed spread of 0.007. A gain of that size over three seeds a side gives a
# one-sided Welch p of about 0.1-0.2: most likely not a lead. If it does lead, its twin
# (`{**PRESETS["fixed-low-rank"], **HEADLINE_BUDGET}` as a preset) costs three runs of
# about 13 minutes, and is then compared with `headline-scaled-cosine` by the second stage.
