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
# # 00 · Solutions to the exercises
#
# Worked solutions to the exercises of notebook 00 (the three tasks and their data). Try
# each exercise first; then compare. On this page the course data, in the `cpu` profile.

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
import warnings
from collections import Counter

import numpy as np

from bert_core.bert.tokenizer import Tokenizer
from bert_core.course import describe
from bert_core.course.notebook import setup
from bert_core.multitask import data

profile = setup(seed=0)
warnings.simplefilter("ignore", data.DataWarning)  # Quora's two unusable rows: notebook 00, section 2
print(profile)

# %% [markdown]
# ## 1. The majority-class baseline
#
# A model that always answers the training set's most frequent class scores, on dev, the
# share of dev examples in that class. Any model must beat this before its accuracy means
# anything (notebook 05 calls a run that does not "stuck at the majority class").

# %%
for task in ("sst", "quora"):
    train_labels = [e.label for e in data.load_task(task, "train", profile.data_dir)]
    majority, _ = Counter(train_labels).most_common(1)[0]
    dev_labels = [e.label for e in data.load_task(task, "dev", profile.data_dir)]
    print(f"{task}: training majority class {majority:g}; dev accuracy of always answering it "
          f"{np.mean([label == majority for label in dev_labels]):.3f} ({len(dev_labels)} dev examples)")

# %% [markdown]
# On SST the majority class is only about a quarter of dev: five classes, none dominant.
# On Quora it is the "not duplicate" class at over 60%: an accuracy of 0.6 on Quora says
# nothing by itself.
#
# ## 2. Why STS scores cluster at whole numbers
#
# The share of gold scores that are whole numbers, and the most frequent fractional parts:

# %%
scores = np.array([e.label for e in data.load_task("sts", "train", profile.data_dir)])
fractions = np.round(scores - np.floor(scores), 2)
print(f"{np.mean(fractions == 0):.1%} of {len(scores)} training scores are whole numbers")
print("most frequent fractional parts:", Counter(fractions.tolist()).most_common(6))

# %% [markdown]
# Each STS-B pair was rated by several annotators on a whole-number scale from 0 to 5,
# and the gold score is their mean (Cer et al. 2017): pairs on which the raters agree land
# on a whole number, and five raters give steps of 0.2. So the gold is itself noisy by a
# fraction of a point: a regression head that misses a whole-number pair by 0.2-0.4 may be
# within the raters' own disagreement, and Pearson's r, which ignores the scale, cannot
# tell a small miss from that noise.
#
# ## 3. CFIMDB reviews and a 512-token limit

# %%
tokenizer = Tokenizer.from_pretrained(profile.checkpoint if profile.name != "gpu" else "minilm-l6")
reviews = data.load_task("cfimdb", "train", profile.data_dir)
lengths = describe.token_lengths(reviews, tokenizer)
cut = lengths > 512
print(f"{cut.sum()} of {len(reviews)} training reviews ({cut.mean():.1%}) are longer than 512 tokens; "
      f"the longest has {lengths.max()}, the median {int(np.median(lengths))}")

# %% [markdown]
# The course's CFIMDB reviews are short: a 512-token limit cuts almost none of them (the
# count above), and the `cpu` profile's 128 tokens is the limit that bites. For reviews
# that are cut, Sun et al. (2019, *How to Fine-Tune BERT for Text Classification?*)
# compared what to keep of long IMDb reviews: the head alone, the tail alone, or both; the
# first 128 and the last 382 tokens did best. A review often opens with the plot and ends
# with the verdict, so the end carries much of the sentiment. `Tokenizer.with_max_length`
# keeps the start; keeping both ends is a change to the tokenizer's truncation.
