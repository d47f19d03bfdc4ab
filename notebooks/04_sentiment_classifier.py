# ---
# jupyter:
#   jupytext:
#     formats: notebooks///ipynb,notebooks///py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 04 · Sentiment classification: pretrain against finetune
#
# **What you'll do:** put a classifier on BERT's sentence vector, train it on SST-5 and
# CFIMDB in the course's two modes (BERT frozen, or everything trained), and read the
# results beside the reports' numbers, with training curves.
#
# **What you'll learn:** what a classification head is; cross-entropy; why fine-tuning
# the whole encoder beats training a head on frozen features; how one experiment API
# (`ExperimentConfig` → `run_experiment`) runs every table of this course.
#
# **What you'll need:** notebooks 02 (the model) and 03 (AdamW).
# `bert_core.multitask.heads`, `bert_core.multitask.model`, `bert_core.training.losses`,
# `bert_core.experiments`, `bert_core.training.loop`, `bert_core.multitask.evaluate`,
# `bert_core.course.tables`.

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
import matplotlib.pyplot as plt
import pandas as pd
import torch

from bert_core.bert.tokenizer import Tokenizer
from bert_core.course import plots
from bert_core.course.comparison import comparison_table
from bert_core.course.notebook import setup, show_source, versions
from bert_core.course.tables import (
    provenance_line,
    published_rows,
    results_table,
    results_to_show,
    side_by_side,
)
from bert_core.experiments import caps_table, run_experiment
from bert_core.experiments.grid import table
from bert_core.multitask import data
from bert_core.multitask.heads import SentimentHead
from bert_core.multitask.model import MultitaskBERT
from bert_core.multitask.pooling import sentence_embeddings
from bert_core.training.losses import task_loss

profile = setup(seed=0)
print(profile)

# %%
# NBVAL_IGNORE_OUTPUT
print(versions())

# %% [markdown]
# ## 1. A head on the sentence vector
#
# BERT turns a sentence into a vector u ∈ R^C (here the pooler output over `[CLS]`,
# notebook 02). The course's classifier is one linear layer after dropout:
#
# $$z = W\,\mathrm{dropout}(u) + b, \qquad W \in \mathbb{R}^{K \times C},\quad
#   p(y \mid x) = \mathrm{softmax}(z)$$
#
# with K = 5 classes for SST (very negative … very positive) and K = 2 for CFIMDB.

# %%
# NBVAL_CHECK_OUTPUT
show_source(SentimentHead)

# %% [markdown]
# The single-task classifier of the course's part 1 is `MultitaskBERT` with one task.
# Its `predict_sentiment` returns the logits z, one row per sentence:

# %%
# NBVAL_CHECK_OUTPUT
tokenizer = Tokenizer.from_pretrained(profile.checkpoint)
model = MultitaskBERT.from_pretrained(profile.checkpoint, tasks=("sst",)).eval()
batch = tokenizer(["A gorgeous, witty film.", "Two hours I will never get back."])
with torch.no_grad():
    logits = model.predict_sentiment(batch["input_ids"], batch["attention_mask"])
assert logits.shape == (2, 5)
print("logits shape", tuple(logits.shape), "| untrained probabilities:",
      logits.softmax(-1).double().numpy().round(2).tolist())

# %% [markdown]
# Untrained, the head's probabilities are near uniform: its weights are random. Training
# can change two things. In **pretrain** mode BERT is frozen and only W, b learn (the
# course uses lr 1e-3); in **finetune** mode every weight learns (lr 1e-5).

# %%
# NBVAL_CHECK_OUTPUT
frozen = MultitaskBERT.from_pretrained(profile.checkpoint, tasks=("sst",), freeze_bert=True)
print(f"pretrain mode trains {frozen.num_parameters(trainable_only=True):,} parameters; "
      f"finetune mode trains {model.num_parameters(trainable_only=True):,}")
assert frozen.num_parameters(trainable_only=True) == 5 * model.bert.config.hidden_size + 5

# %% [markdown]
# ## 2. The loss: cross-entropy
#
# $$\mathcal{L} = -\frac{1}{B}\sum_{i=1}^{B} \log \mathrm{softmax}(z_i)_{y_i}$$
#
# the negative log-probability of the gold class, averaged over the batch. A check by
# hand on the two sentences above (gold labels 4 and 0):

# %%
# NBVAL_CHECK_OUTPUT
show_source(task_loss)

# %%
# NBVAL_CHECK_OUTPUT
gold = torch.tensor([4, 0])
by_hand = -(logits.log_softmax(-1)[0, 4] + logits.log_softmax(-1)[1, 0]) / 2
torch.testing.assert_close(task_loss("sst", logits, gold), by_hand)
print(f"cross-entropy {by_hand:.4f}; a uniform guess would give ln 5 = {torch.log(torch.tensor(5.0)):.4f}")

# %% [markdown]
# ## 3. One experiment API
#
# Every run in this course is a frozen `ExperimentConfig` passed to `run_experiment`.
# Its fields are filled in three layers: the reports' settings (the dataclass defaults),
# then your profile's caps, then what you pass. Here are the caps:

# %%
# NBVAL_CHECK_OUTPUT
pd.DataFrame(caps_table()).T.fillna("")

# %% [markdown]
# The `cpu` caps keep a run to a few minutes on two CPU cores: a fixed subset of 1,600
# training examples per task (the same subset for every seed), 600 dev examples per task,
# sequences cut at 128 tokens (CFIMDB reviews have a median of about 210, so the
# `cpu` runs see their first 128), batches of 16 in which sentences of similar length
# travel together (less padding), 2 epochs, a learning rate of 1e-4 for the encoder
# (ten times the course's 1e-5: 200 steps at 1e-5 barely move it) and 1e-3 for the
# freshly initialised head, warmed up over 20 steps and then decayed linearly to 0, and
# the word-embedding matrix frozen (it is half of MiniLM's parameters and a batch touches
# a few hundred of its 30,522 rows). Notebook 05 shows why each of these is there. The
# `gpu` profile uses the reports' settings throughout.
#
# The course's part 1 is four configurations, named presets, each over three seeds: the
# grid's table "04" (`bert_core.experiments.grid`, the same table the results page,
# `docs/results.md`, is generated from; in `smoke`, each row's first seed):

# %%
grid_04 = table("04")
configs = grid_04.configs(profile.name)
show = ["tasks", "mode", "learning_rate", "epochs", "batch_size", "train_limit", "max_length", "seeds"]
pd.DataFrame([{f: getattr(c, f) for f in show} for c in configs], index=[c.name for c in configs])

# %% [markdown]
# ## 4. The experiment
#
# `run_experiment` trains each configuration (or loads it, when a run with the same
# settings is stored in `results/<profile>/`; pass `reuse=False` to train anyway). It
# evaluates on dev after every epoch, keeps the best epoch's weights, and writes
# `runs/<profile>/<name>/seed-<N>/`: the config, the metrics, the checkpoints and the
# prediction files for dev and test in the starter code's format. The same runs from a
# shell: `python -m bert_core.train sst-finetune --profile cpu --seeds 0,1,2`.

# %%
# NBVAL_IGNORE_OUTPUT
results = {config.name: run_experiment(config) for config in configs}

# %% [markdown]
# Dev accuracy of the best epoch, in the profile you execute in (on this page the `cpu`
# runs; in `smoke`, a few sentences of the sample set, which only show that the code ran):

# %%
results_table(results, resources=False)

# %%
for name, result in results.items():
    run = result.runs[0]
    assert run["best"] == run["epochs"][run["best_epoch"] - 1]["dev"]
    print(f"{name}: best epoch {run['best_epoch']} of {len(run['epochs'])}, "
          f"{run['trainable_parameters']:,} trainable parameters, files in {run['run_dir']}")

# %% [markdown]
# ## 5. Results beside the reports
#
# The committed `cpu` runs (made by `python -m bert_core.experiments.grid --tables 04`;
# mean ± standard deviation over seeds 0-2, with the wall time and peak memory of a run on
# the machine named below) and the one published single-task number: "SMART Surgery"
# fine-tuned BERT-base on all of SST. None of the five reports gives CFIMDB or a frozen
# single-task SST number.

# %%
# NBVAL_CHECK_OUTPUT
cpu = grid_04.committed()
side_by_side(
    results_table({f"ours, cpu: {name}": r for name, r in cpu.items()}),
    published_rows([("SMART Surgery", "baseline finetuned single-task (SST only)", "finetune")]),
)

# %%
# NBVAL_CHECK_OUTPUT
print(provenance_line(cpu))

# %% [markdown]
# Is fine-tuning's gain beyond the seed noise? `comparison_table` (the same table as the
# results page's) puts after each finetune value its difference from the pretrain row of the
# same task (*against*), starred where Welch's t-test over the three seeds of each gives
# p < 0.05 (`bert_core.course.comparison`); "learned" counts the seeds whose SST accuracy
# clears the dev subset's majority class.

# %%
# NBVAL_CHECK_OUTPUT
comparison_table(grid_04, cpu)

# %% [markdown]
# What the `cpu` rows say (three seeds each). Fine-tuning learns both tasks within 200
# steps, on every seed: SST 0.432 ± 0.009 (the published 0.515 is BERT-base on all of SST)
# and CFIMDB 0.898 ± 0.007, far better than SST-5, whose five graded classes are harder to
# tell apart. Its gain over the frozen encoder is far outside the seed noise on both tasks
# (+0.174 and +0.278, starred above). The frozen encoder learns little: on SST the head
# never leaves the most frequent class on any seed (0.258 ± 0.001; "learned" 0/3), on
# CFIMDB it gets 0.620 ± 0.021, some ten points above chance. MiniLM's pooler output,
# which sentence-transformers never trained, is a poor feature for a linear head (notebook
# 05, section 9, measures how little it varies); the reports' frozen BERT-base, trained
# for 10 epochs on all the data, reached about 0.40 on SST in multitask training ("SMART
# Surgery"). Exercise 3 tries a better frozen feature. One symptom, measured here: how
# much each coordinate of the sentence vector varies from sentence to sentence. A head
# that starts small needs large weights to turn small variations into different classes.

# %%
sentences = [e.sentence for e in data.load_task("sst", "dev", profile.data_dir)][:200]
variation = {p: sentence_embeddings(model.bert, tokenizer, sentences, p).std(dim=0).mean().item()
             for p in ("cls", "mean")}
print(f"mean per-coordinate std over {len(sentences)} SST dev sentences: pooler output "
      f"{variation['cls']:.3f}, mean pooling {variation['mean']:.3f}")

# %% [markdown]
# ## 6. Training curves
#
# Loss per step (a 10-step moving mean) and dev accuracy per epoch of the committed
# `cpu` runs (in another profile, your own runs once you have made them):

# %%
shown, source = results_to_show(results, cpu, profile.name)
fig = plots.plot_training_curves({name: r.runs[0] for name, r in shown.items() if r is not None
                                  and r.config.tasks == ("sst",)})
plots.save_figure(fig, "04_training_curves_sst", source)
plt.show()

# %%
fig = plots.plot_training_curves({name: r.runs[0] for name, r in shown.items() if r is not None
                                  and r.config.tasks == ("cfimdb",)})
plots.save_figure(fig, "04_training_curves_cfimdb", source)
plt.show()

# %% [markdown]
# ## Summary
#
# - A classification head is one linear layer over the sentence vector, trained with
#   cross-entropy; `MultitaskBERT` with one task is the course's part-1 classifier.
# - Pretrain mode trains a few thousand parameters on frozen features; finetune mode
#   trains all of them. Compare the two rows of each task in the table above.
# - CFIMDB (two polar classes) is far easier than SST-5 (five graded classes, where
#   neighbours like "negative" and "very negative" are easily confused; notebook 11's
#   confusion matrices show where).
# - Every run is an `ExperimentConfig` through `run_experiment`, stored by a hash of its
#   settings: a re-run with the same settings loads, a changed setting trains.
#
# ## Exercises
#
# Worked solutions, to open after trying: [`solutions/04_sentiment_classifier_solutions.ipynb`](solutions/04_sentiment_classifier_solutions.ipynb).
#
# 1. Re-run section 4 with `reuse=False` in your profile. Do you get the committed numbers?
#    (On the same machine and torch version, to the last digit; see notebook 05 on seeds.)
# 2. Train `sst-finetune` at the course's lr: `preset("sst-finetune", profile.name,
#    finetune_lr=1e-5, name="sst-finetune-1e-5")`. What happens in three epochs, and why?
# 3. Pretrain mode with mean pooling instead of `[CLS]` (`pooling="mean"`): does a frozen
#    encoder's mean vector carry more sentiment than its pooler output?
# 4. Open `runs/<profile>/sst-finetune/seed-0/predictions/sst-dev-output.csv`: which
#    sentences does the model get wrong?
#
# ## Further reading
#
# - Devlin et al. (2019), *BERT*, section 4.1: fine-tuning for sentence classification.
# - Sun et al. (2019), *How to Fine-Tune BERT for Text Classification?*
# - "SMART Surgery: Combining Finetuning Methods for Multitask BERT", sections 3 and 4.
