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
# # 00 · The three tasks and their data
#
# **What you'll do:** read the course's data files, count them, look at how their labels
# are spread and how long their sentences are in tokens, and read a few examples of
# each label.
#
# **What you'll learn:** what SST-5, Quora and STS-B ask of a model; why SST accuracy,
# Quora accuracy and STS correlation sit on such different scales; why STS scores pile
# up at whole numbers; what the data costs in tokens.
#
# **What you'll need:** nothing before this notebook. `bert_core.multitask.data` (the
# readers), `bert_core.multitask.examples` (the records), `bert_core.course.describe`
# (the statistics), `bert_core.course.plots`.
#
# The profile (`BERT_CORE_PROFILE`) picks the data: `cpu` and `gpu` read the course's
# files from `$BERT_CORE_DATA` (this page shows the `cpu` execution); `smoke` reads the
# tiny sample set the package ships, which only proves that the code runs. Section 6
# shows the course files' numbers from the committed `cpu` run in every profile.

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
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image, display

from bert_core.bert.tokenizer import Tokenizer
from bert_core.course import describe, plots
from bert_core.course.notebook import setup, show_source, versions
from bert_core.experiments.store import load_artefact, save_artefact
from bert_core.files import PROJECT_ROOT
from bert_core.multitask import data, examples

profile = setup(seed=0)
print(f"profile {profile.name}: {'the sample set' if profile.uses_sample_data else 'the course data'}")

# %%
# NBVAL_IGNORE_OUTPUT
print(versions())

# %% [markdown]
# ## 1. Three tasks, four datasets
#
# | task | data | input | label | metric |
# |---|---|---|---|---|
# | sentiment | SST-5 (Stanford Sentiment Treebank, movie-review phrases) | one sentence | 0 very negative ... 4 very positive | accuracy |
# | paraphrase | Quora Question Pairs | two questions | 1 if they ask the same thing | accuracy |
# | similarity | STS-B (Semantic Textual Similarity Benchmark) | two sentences | 0.0 (unrelated) ... 5.0 (equivalent) | Pearson correlation |
# | (part 1) | CFIMDB (IMDB reviews, binary) | one review | 0 negative, 1 positive | accuracy |
#
# The files are tab-separated with a header. A reader (`bert_core.multitask.data`) turns
# each row into a typed record (`bert_core.multitask.examples`):

# %%
# NBVAL_CHECK_OUTPUT
show_source(examples.PairExample)

# %% [markdown]
# Each split of each task, read from the profile's folder, counted and measured
# (`describe_tasks` tokenises every input with the checkpoint's WordPiece vocabulary;
# notebook 01 opens the tokenizer up):

# %%
tokenizer = Tokenizer.from_pretrained(profile.checkpoint if profile.name != "gpu" else "minilm-l6")
with warnings.catch_warnings(record=True) as skipped:  # rows a reader could not use (section 2)
    warnings.simplefilter("always", data.DataWarning)
    summary = describe.describe_tasks(profile.data_dir, tokenizer)
for warning in skipped:
    print(str(warning.message).replace(str(profile.data_dir) + "/", ""))
save_artefact(profile.name, "data_summary", summary)
describe.summary_table(summary)

# %% [markdown]
# ## 2. Bad rows: a clear message, nothing lost
#
# Real files have flaws: the course's Quora training file has two rows with an empty
# label. A reader that crashes loses a night's run; one that drops rows silently changes
# your dataset without telling you. `bert_core.multitask.data` skips rows it cannot use and says,
# once, how many and where. Here on a small file with three flawed rows:

# %%
# NBVAL_CHECK_OUTPUT
bad_file = "\tid\tsentence1\tsentence2\tis_duplicate\n" \
    "0\tq1\tHow do I learn chess?\tWhat is the best way to learn chess?\t1.0\n" \
    "1\tq2\tIs tea healthy?\tIs coffee healthy?\t\n" \
    "2\tq3\tWhy is the sky blue?\t\t0.0\n" \
    "3\tq4\tWhat is love?\tWhat is hate?\t0.0\textra\n" \
    "4\tq5\tHow tall is Everest?\tHow high is Mount Everest?\t1.0\n"
with tempfile.TemporaryDirectory() as folder:
    Path(folder, "quora-train.csv").write_text(bad_file)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rows = data.load_task("quora", "train", folder)
    message = str(caught[0].message).replace(str(Path(folder)) + "/", "")
print(f"{len(rows)} rows read: {[r.id for r in rows]}")
print(message)

# %% [markdown]
# Some flaws would lose data whatever the reader did next, so they stop the reading with
# one line that names the line to fix: a quote that is never closed (the csv format would
# read the rest of the file as one field: 8,544 SST rows become 4), an id that appears
# twice, a byte that is not UTF-8, a comma-separated file. A training run reads every file
# it needs before it does any work, so such a file fails in seconds, not after an epoch.

# %%
# NBVAL_CHECK_OUTPUT
unclosed = bad_file.replace("How do I learn chess?", '"How do I learn chess?')
with tempfile.TemporaryDirectory() as folder:
    Path(folder, "quora-train.csv").write_text(unclosed)
    try:
        data.load_task("quora", "train", folder)
    except data.DataError as error:
        print(str(error).replace(str(Path(folder)) + "/", ""))

# %% [markdown]
# ## 3. How the labels are spread
#
# Three things to notice in the course data (section 6): SST's five classes are not
# balanced (the two extremes are the rarest, "very negative" least of all; what is the
# accuracy of always answering the largest class?); Quora has more non-duplicates than
# duplicates (63% to 37%); and STS scores, averages of a few annotators' whole numbers,
# spike at 0, 1, 3, 4 and 5 (31% of training scores are whole numbers). The sample
# set's spread below is whatever its authors wrote.

# %%
sst = data.load_task("sst", "train", profile.data_dir)
quora = data.load_task("quora", "train", profile.data_dir)
sts = data.load_task("sts", "train", profile.data_dir)
sst_counts = np.bincount([e.label for e in sst], minlength=5)
print(f"SST train: class shares {np.round(sst_counts / sst_counts.sum(), 3).tolist()}, "
      f"majority-class accuracy {sst_counts.max() / sst_counts.sum():.3f}")
print(f"Quora train: {np.mean([e.label for e in quora]):.3f} duplicates")
sts_scores = np.array([e.label for e in sts])
print(f"STS train: mean {sts_scores.mean():.2f}, {np.mean(sts_scores == np.round(sts_scores)):.3f} "
      "of scores are whole numbers")

# %%
fig = plots.plot_label_distributions([e.label for e in sst], [e.label for e in quora], sts_scores)
plots.save_figure(fig, "00_label_distributions", profile.name)
plt.show()

# %% [markdown]
# ## 4. How long the inputs are, in tokens
#
# Cost grows with the number of tokens T (attention compares every pair: T² scores per
# head), and batches are padded to their longest member. A sentence costs
# `[CLS] s [SEP]`; a pair fed to one encoder (the cross-encoder of notebook 06) costs
# `[CLS] a [SEP] b [SEP]`.

# %%
cfimdb = data.load_task("cfimdb", "train", profile.data_dir)
lengths = {
    "SST sentences": describe.token_lengths(sst, tokenizer),
    "Quora pairs": describe.token_lengths(quora, tokenizer),
    "STS pairs": describe.token_lengths(sts, tokenizer),
    "CFIMDB reviews": describe.token_lengths(cfimdb, tokenizer),
}
for name, values in lengths.items():
    print(f"{name:15s} median {int(np.median(values)):4d}   90th percentile "
          f"{int(np.percentile(values, 90)):4d}   longest {values.max():4d}")

# %%
fig = plots.plot_token_lengths(lengths)
plots.save_figure(fig, "00_token_lengths", profile.name)
plt.show()

# %% [markdown]
# ## 5. Examples of each label
#
# Read these before trusting any number. Where would *you* put the line between
# "negative" and "very negative"? The models learn the annotators' lines, noise included.

# %%
for label, name in enumerate(plots.SST_NAMES):
    example = next(e for e in sst if e.label == label)
    print(f"SST {label} ({name}): {example.sentence}")
for label in (1.0, 0.0):
    example = next(e for e in quora if e.label == label)
    print(f"Quora {'duplicate' if label else 'different'}: {describe.pair_or_sentence(example)}")

# %%
for target in (5.0, 4.0, 3.0, 2.0, 1.0, 0.0):
    example = min(sts, key=lambda e: abs(e.label - target))
    print(f"STS {example.label:.1f}: {describe.pair_or_sentence(example)}")

# %% [markdown]
# ## 6. The real data, from the committed `cpu` run
#
# The cells above use the profile's data. The course files' numbers below come from
# `results/cpu/data_summary.json`, written when this notebook last ran in the `cpu`
# profile (the command is shown); rerun it in your profile to get your own. Note that
# the offline Quora files are an 80/20 split of the public Quora dev set
# (`../shared/data/README.md`); the full training set has 141,506 pairs.

# %%
# NBVAL_CHECK_OUTPUT
real = load_artefact("cpu", "data_summary")
if real is None:
    print("No committed cpu run yet: BERT_CORE_PROFILE=cpu make run")
else:
    meta = real["meta"]
    print(f"from `{meta['command']}` on {meta['machine']}, {meta['date']}")
    labels = {k: v["labels"].get("counts", {}) for k, v in real["payload"].items()}
    print("SST train classes:", labels["sst/train"], "| Quora train:", labels["quora/train"])
    print("STS train: share of whole-number scores",
          real["payload"]["sts/train"]["labels"]["share_whole_numbers"])
    display(describe.summary_table(real["payload"]))

# %%
figure = PROJECT_ROOT / "figures" / "cpu" / "00_label_distributions.png"
if figure.exists():
    display(Image(filename=str(figure)))

# %% [markdown]
# ## Summary
#
# - Three tasks on three scales: SST-5 accuracy (5 classes, chance about 0.2, majority
#   class about 0.27), Quora accuracy (2 classes, majority about 0.63), STS Pearson
#   correlation (-1 to 1). The course's overall score puts them on one scale:
#   (SST acc + Quora acc + (STS r + 1) / 2) / 3.
# - The data are not clean: the readers skip unusable rows and say where.
# - Inputs are short: a median of 24 tokens for an SST sentence and 23-27 for a pair,
#   the longest 160. CFIMDB reviews are the exception: a median of 205 tokens, and a few
#   reach BERT's limit of 512.
#
# ## Exercises
#
# Worked solutions, to open after trying: [`solutions/00_tasks_and_data_solutions.ipynb`](solutions/00_tasks_and_data_solutions.ipynb).
#
# 1. What accuracy does a model reach on SST dev that always predicts the training set's
#    majority class? On Quora dev?
# 2. STS scores cluster at whole numbers. What does that suggest about how they were
#    made, and about a regression head's errors near those values?
# 3. How many CFIMDB reviews does a 512-token limit cut? What part of a review would you
#    keep: its start, its end, or both?
#
# ## Further reading
#
# - Socher et al. 2013, "Recursive Deep Models for Semantic Compositionality Over a
#   Sentiment Treebank" (SST).
# - Cer et al. 2017, "SemEval-2017 Task 1: Semantic Textual Similarity" (STS-B).
# - The Quora Question Pairs release notes (2017).
