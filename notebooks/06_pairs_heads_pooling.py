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
# # 06 · Sentence pairs: encodings, heads, pooling, a ranking loss and augmentation
#
# **What you'll do:** encode a sentence pair in one pass (a cross-encoder) instead of
# two, try the reports' pair heads (cosine, siamese, a learned cosine mix, three-layer
# heads), pool with [CLS], mean or max, pre-train STS with a ranking loss, and double the
# STS data by swapping each pair. Then you'll run each comparison the reports ran, three
# seeds each, beside their published numbers.
#
# **What you'll learn:** why the cross-encoder wins on pairs, and what it costs at
# inference time (measured); which heads are symmetric and which promise the 0-5 range;
# how in-batch negatives turn a few positive pairs into a classification problem; why
# a head matters most when the encoder barely moves; and why fine-tuning can leave STS
# below the untrained checkpoint, and which head lifts it above.
#
# **What you'll need:** notebook 05 (the multitask baseline). `bert_core.multitask.model`,
# `bert_core.multitask.heads`, `bert_core.multitask.pooling`, `bert_core.training.losses`,
# `bert_core.training.augmentation`, `bert_core.experiments`, `bert_core.course.tables`;
# `benchmarks/bench_pair_encoding.py`.

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

import matplotlib.pyplot as plt
import pandas as pd
import torch

from bert_core.bert.tokenizer import Tokenizer
from bert_core.course import plots
from bert_core.course.comparison import comparison_table
from bert_core.course.notebook import setup, show_source, versions
from bert_core.course.sts_geometry import READ_BACK, checkpoint_cosines, geometry_table, head_cosines
from bert_core.course.significance import compared_table
from bert_core.course.tables import (
    ours,
    provenance_line,
    published_rows,
    results_table,
    results_to_show,
    settings_table,
    side_by_side,
)
from bert_core.course.zero_shot import stored_pairs
from bert_core.experiments import preset, run_experiment
from bert_core.experiments.grid import table
from bert_core.files import PROJECT_ROOT
from bert_core.multitask.data import load_task
from bert_core.multitask.examples import PairExample
from bert_core.multitask.heads import HEADS, CosineMixHead, CrossTanhHead, build_head, head_encoding
from bert_core.multitask.model import MultitaskBERT
from bert_core.multitask.pooling import pool
from bert_core.training.augmentation import AUGMENTATIONS, sts_swap
from bert_core.training.losses import multiple_negatives_ranking_loss
from bert_core.training.ranking import RANKING_MIN_SCORE

profile = setup(seed=0)
print(profile)

# %%
# NBVAL_IGNORE_OUTPUT
print(versions())

# %% [markdown]
# ## 1. Two ways to encode a pair
#
# The baseline of notebook 05 is a **bi-encoder**: each sentence goes through BERT on
# its own, and the head sees two vectors u and v. A **cross-encoder** ("A SMARTer
# minBERT", 3.4; "lexicon encoding" in "Maximizing MinBert", 4.2; the STS
# "concatenation" of "Multi-BERT: Investigating Methods", 4.2) joins the pair into one
# sequence,
#
# $$\texttt{[CLS]}\ a_1 \dots a_m\ \texttt{[SEP]}\ b_1 \dots b_n\ \texttt{[SEP]}$$
#
# with **token types** (segment ids) 0 for the first part and 1 for the second, which
# BERT adds to the token and position embeddings (notebook 02). Every token of one
# sentence then attends to every token of the other, in every layer, and the head reads
# one pooled vector h. The tokenizer builds the pair:

# %%
# NBVAL_CHECK_OUTPUT
tokenizer = Tokenizer.from_pretrained(profile.checkpoint)
a, b = "A man is playing a guitar.", "Someone plays music on a guitar."
batch = tokenizer([a], [b])
length = int(batch["attention_mask"].sum())
tokens = tokenizer.convert_ids_to_tokens(batch["input_ids"][0, :length])
pd.DataFrame({"token": tokens, "token type": batch["token_type_ids"][0, :length].tolist()}).T

# %% [markdown]
# `MultitaskBERT` takes `pair_encoding="cross"` (both pair tasks) or a mapping per task
# kind (`{"similarity": "cross"}`). A cross-encoded task gets a head that reads one
# vector: `cross_linear` for paraphrase (a logit) and, for STS, report 002's head, which
# squashes a linear score with tanh and maps it onto the 0-5 scale,
#
# $$\hat y = 2.5\,(\tanh(w^\top \mathrm{dropout}(h) + b) + 1) \in [0, 5].$$

# %%
# NBVAL_CHECK_OUTPUT
show_source(CrossTanhHead)

# %%
# NBVAL_CHECK_OUTPUT
cross = MultitaskBERT.from_pretrained(profile.checkpoint, pair_encoding="cross")
print("encodings:", cross.pair_encoding)
print("heads:", cross.head_names)

# %% [markdown]
# Training and prediction share one encode-and-dispatch, so a cross-encoded model is
# trained and evaluated on exactly the same input. `task_batch` tokenizes a batch in the
# layout its encoding needs; `head_outputs` runs BERT, pools, and splits a bi-encoded
# batch back into u and v for the head:

# %%
# NBVAL_CHECK_OUTPUT
show_source(MultitaskBERT.task_batch)

# %%
# NBVAL_CHECK_OUTPUT
show_source(MultitaskBERT.head_outputs)

# %% [markdown]
# ## 2. What a cross-encoder costs
#
# Scoring a given pair costs about the same either way: two short passes or one pass of
# about the same total length. The difference is what can be **reused**. A bi-encoder's
# sentence embedding does not depend on the partner, so comparing n sentences with each
# other (finding duplicate questions among n, as Quora needs) costs n BERT passes and
# n(n-1)/2 cosines. A cross-encoder has no sentence embedding: it needs one pass per
# pair, n(n-1)/2 passes. Measured by `python benchmarks/bench_pair_encoding.py` (512 STS
# dev pairs, and all pairs among 100 sentences; untrained heads, since the cost does not
# depend on the weights; medians of 3 rounds on this project's 2-core CPU; run it again
# to measure your machine):

# %%
# NBVAL_CHECK_OUTPUT
bench = json.loads((PROJECT_ROOT / "benchmarks" / "results" / "bench_pair_encoding.json").read_text())
pd.DataFrame({
    "bi-encoder": [bench["tokens_per_pair_bi"], bench["ms_per_pair_bi"], bench["seconds_all_pairs_bi"]],
    "cross-encoder": [bench["tokens_per_pair_cross"], bench["ms_per_pair_cross"], bench["seconds_all_pairs_cross"]],
}, index=["tokens per pair (given pairs)", "ms per given pair",
          f"s for all {bench['all_pairs']} pairs of {bench['sentences']} sentences"]).round(2)

# %%
# NBVAL_CHECK_OUTPUT
print(f"cross / bi: {bench['cross_over_bi_per_pair']:.2f}x per given pair, "
      f"{bench['cross_over_bi_all_pairs']:.0f}x for all pairs of {bench['sentences']} sentences "
      f"({bench['machine']}, torch {bench['torch']}, {bench['threads']} threads)")

# %% [markdown]
# ## 3. Heads for a pair of embeddings
#
# For a bi-encoder the head decides how u and v meet. The registry holds the reports'
# heads (formulas in `bert_core.multitask.heads`); here each one is checked for two promises on
# random vectors: does it give (a, b) and (b, a) the same score, and what range do its
# outputs stay in?

# %%
# NBVAL_CHECK_OUTPUT
u, v = torch.randn(256, 32) * 3, torch.randn(256, 32) * 3
rows = {}
for kind in ("paraphrase", "similarity"):
    for name in HEADS[kind]:
        head = build_head(kind, name, 32, dropout=0.0).eval()
        with torch.no_grad():
            if head_encoding(kind, name) == "cross":
                out, symmetric = head(torch.cat([u, 100 * u])), "n/a (one sequence)"
            else:
                out, symmetric = head(u, v), bool(torch.allclose(head(u, v), head(v, u)))
        rows[(kind, name)] = {"reads": head_encoding(kind, name), "symmetric": symmetric,
                              "parameters": sum(p.numel() for p in head.parameters()),
                              "min": round(out.min().item(), 2), "max": round(out.max().item(), 2)}
pd.DataFrame(rows).T

# %% [markdown]
# Only the cosine heads and the dot product are symmetric by construction. The
# concatenation [u; v] gives the two positions different weights, so the model has to
# *learn* that order does not matter (section 6's swap augmentation teaches it). The
# STS heads that promise the gold range (cosine, cosine_fc, cross_tanh) stay in [0, 5];
# the linear ones can predict -3 or 9 and are only pulled back by the loss.
#
# "Maximizing MinBert" mixes a linear head with the cosine score and learns the split
# (it started from a fixed 0.5; we start the learned weight there):

# %%
# NBVAL_CHECK_OUTPUT
show_source(CosineMixHead)

# %% [markdown]
# Its three-layer heads stack [linear, BatchNorm, GELU, dropout] blocks before the output
# layer; the depth is `head_layers` in the config (3 by default):

# %%
# NBVAL_CHECK_OUTPUT
build_head("sentiment", "mlp", hidden_size=384, dropout=0.3, num_labels=5, depth=3)

# %% [markdown]
# ## 4. Pooling: which vector stands for the sentence
#
# Notebook 02 compared [CLS] with mean pooling as a ready-made sentence embedding.
# "Multi-BERT: Projected Attention" trains with each of three:
#
# - `cls`: the pooler output, tanh(W h_[CLS] + b);
# - `mean`: the average of the final vectors of the real tokens;
# - `max`: the per-dimension maximum over the real tokens.
#
# "Real" matters: a batch pads short sentences, and padding must not change a sentence's
# vector. The same sentence alone and in a batch beside a longer one: the vectors agree to
# float32 rounding (differences of order 1e-7, whose exact size changes with the machine
# and its thread count), far below the 1e-5 the assert allows; a pooling that read the
# padding would move them by about 2 (mean or max over every position, padding included).

# %%
# NBVAL_CHECK_OUTPUT
encoder = MultitaskBERT.from_pretrained(profile.checkpoint).bert.eval()
sentence = "The film is a quiet triumph."
alone = tokenizer([sentence])
padded = tokenizer([sentence, "A much longer sentence that forces several padding positions onto the first one."])
with torch.no_grad():
    out_alone, out_padded = encoder(**alone), encoder(**padded)
for name in ("cls", "mean", "max"):
    gap = (pool(out_alone, alone["attention_mask"], name)[0]
           - pool(out_padded, padded["attention_mask"], name)[0]).abs().max().item()
    assert gap < 1e-5, (name, gap)
    print(f"{name:>4}: padded to {padded['input_ids'].shape[1]} tokens instead of "
          f"{alone['input_ids'].shape[1]}, max |difference| < 1e-5")

# %% [markdown]
# ## 5. A ranking loss with in-batch negatives
#
# "Multi-BERT: Investigating Methods" (4.2, after Henderson et al. 2017) pre-trains the
# STS encoder on **positive pairs only**: K pairs (x_i, y_i) in a batch, scored by the dot
# product of their embeddings, each x_i's partner y_i to be ranked above the other K-1
# sentences y_j of the batch:
#
# $$\mathcal{L}_{\text{MNR}} = -\frac{1}{K}\sum_{i=1}^{K} \log
#   \frac{\exp(u_i \cdot v_i)}{\sum_{j=1}^{K} \exp(u_i \cdot v_j)}$$
#
# which is the cross-entropy of the score matrix U Vᵀ against its diagonal. By hand on
# three tiny pairs:

# %%
# NBVAL_CHECK_OUTPUT
U = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
V = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
scores = U @ V.T
by_hand = -torch.stack([scores[i, i] - torch.logsumexp(scores[i], 0) for i in range(3)]).mean()
print("scores:\n", scores)
print(f"by hand {by_hand.item():.4f}, bert_core {multiple_negatives_ranking_loss(U, V).item():.4f}")

# %% [markdown]
# The STS scores are graded, not positive or negative, so the report keeps the pairs
# scored 4 or more, trains on them with this loss for the first half of the epochs, then
# switches to the cosine head's squared error (`sts_loss="mnr_then_mse"`):

# %%
sts_train = load_task("sts", "train", profile.data_dir)
positives = [e for e in sts_train if e.label >= RANKING_MIN_SCORE]
ranking = preset("sts-cosine-mnr", profile.name)
print(f"{len(positives)} of {len(sts_train)} STS training pairs score {RANKING_MIN_SCORE:g} or more; "
      f"{profile.name}: the ranking loss trains the first {ranking.ranking_epochs} of {ranking.epochs} epochs")

# %% [markdown]
# ## 6. Augmentation: the swapped pair
#
# Similarity is symmetric, so (b, a) with a's score is a free extra example, and one that
# teaches an order-sensitive head (concatenation) to ignore the order ("SMART Surgery",
# section 3). An augmentation is a named function of one task's training list, applied
# before training and never to dev or test:

# %%
# NBVAL_CHECK_OUTPUT
example = [PairExample("p1", "A dog runs on the beach.", "A dog is running.", 3.8)]
pd.DataFrame([vars(e) for e in sts_swap("sts", example)])

# %%
# NBVAL_CHECK_OUTPUT
print("available:", list(AUGMENTATIONS))

# %% [markdown]
# The reports' SST augmentations (back-translation and generated paraphrases in
# "Maximizing MinBert") fit the same hook, a function `(task, examples, folder) ->
# examples` in `AUGMENTATIONS`: `sst_paraphrases` adds the paraphrases of a cache that a
# translation or text-generation model of your own fills, which an offline machine does
# not have. Notebook 12 shows the cache, and EDA, which needs no model.
#
# ## 7. The experiments
#
# Each method is one preset over the notebook 05 baseline (simultaneous sampling, the

# summed loss), three seeds each. The rows, their seeds and their baseline are the grid's
# table "06" (`bert_core.experiments.grid`; the results page, `docs/results.md`, is
# generated from the same table):

# %%
grid_06 = table("06")
configs = grid_06.configs(profile.name)
show = ["pair_encoding", "heads", "pooling", "sts_loss", "augmentation", "seeds"]
settings_table(configs, show)

# %%
# NBVAL_IGNORE_OUTPUT
# 11 smoke runs (each row's first seed) take seconds each: progress bars would only flood the notebook
results = {config.name: run_experiment(config, progress=profile.name != "smoke") for config in configs}

# %% [markdown]
# The runs of the profile you execute in: on this page the `cpu` runs, loaded from
# `results/cpu/` (in `smoke`, the sample set's runs, whose numbers only show that the code
# runs):

# %%
results_table(results, resources=False)

# %% [markdown]
# ## 8. Beside the published numbers
#
# The committed `cpu` runs (MiniLM at notebook 05's cpu caps: 1,600 training examples per
# task, 2 epochs of 100 steps in length-bucketed batches of 16; mean ± standard deviation
# over seeds 0-2, seconds and peak memory per run) next to each report's own comparison
# (BERT-base, the full data, one seed). Compare the direction of each change against the
# baseline, not the values.

# %%
# NBVAL_CHECK_OUTPUT
cpu = grid_06.committed()
print(provenance_line(cpu))

# %% [markdown]
# Which differences are beyond the seed noise (`comparison_table`, the same table as the
# results page's): after each value, the difference from the baseline, starred where Welch's
# t-test over the seeds gives p < 0.05; "learned" counts the seeds whose SST and Quora
# accuracies clear the dev subset's majority class. A row at the majority class has not
# learned that task, and comparing two such rows on it tests nothing.

# %%
# NBVAL_CHECK_OUTPUT
comparison_table(grid_06, cpu)

# %% [markdown]
# ### 8.1 Bi-encoder against cross-encoder ("A SMARTer minBERT"; "Maximizing MinBert")

# %%
# NBVAL_CHECK_OUTPUT
side_by_side(ours(cpu, "multitask-baseline", "cross-encoding"), published_rows([
    ("A SMARTer minBERT", "baseline", "finetune"),
    ("A SMARTer minBERT", "cross-encoding", "finetune"),
    ("Maximizing MinBert", "A: manual cosine 0.5 split + NN head", "finetune"),
    ("Maximizing MinBert", "D: lexicon encoding", "finetune"),
]))

# %% [markdown]
# ### 8.2 The STS head: concatenation, cosine, cosine + ranking loss ("Multi-BERT: Investigating Methods")
#
# The report's "Concat" is a cross-encoded STS pair with the tanh head (our
# `sts-cross`); its baseline used a dot-product STS head and round-robin sampling, its
# variants equitable or annealed sampling (notebook 07).

# %%
# NBVAL_CHECK_OUTPUT
side_by_side(ours(cpu, "multitask-baseline", "sts-cross", "sts-cosine", "sts-cosine-mnr"),
             published_rows([
    ("Multi-BERT: Investigating Methods", "baseline (round robin; dot-product STS)", "finetune"),
    ("Multi-BERT: Investigating Methods", "equitable sampling + concat STS head", "finetune"),
    ("Multi-BERT: Investigating Methods", "equitable sampling + cosine STS head", "finetune"),
    ("Multi-BERT: Investigating Methods", "equitable sampling + cosine + MNR", "finetune"),
]))

# %% [markdown]
# The ranking loss is a change to the cosine head, so its baseline is `sts-cosine`, not
# the table's (Δ and Welch's star as above):

# %%
# NBVAL_CHECK_OUTPUT
compared_table({name: cpu[name] for name in ("sts-cosine", "sts-cosine-mnr")}, "sts-cosine")

# %% [markdown]
# ### 8.3 Pooling, with the siamese heads ("Multi-BERT: Projected Attention")
#
# The report's model uses the siamese classifier W[u; v; |u - v|] for paraphrase and
# the cosine of two fully connected layers (x5, ReLU) for STS, under each pooling. It
# did not publish max pooling.

# %%
# NBVAL_CHECK_OUTPUT
side_by_side(ours(cpu, "multitask-baseline", "sbert-heads-cls", "sbert-heads-mean",
                  "sbert-heads-max"),
             published_rows([
                 ("Multi-BERT: Projected Attention", "baseline (CLS pooling)", "finetune"),
                 ("Multi-BERT: Projected Attention", "mean pooling", "finetune"),
             ]))

# %% [markdown]
# Pooling against pooling, with the same heads (baseline `sbert-heads-cls`):

# %%
# NBVAL_CHECK_OUTPUT
compared_table({name: cpu[name] for name in ("sbert-heads-cls", "sbert-heads-mean", "sbert-heads-max")},
               "sbert-heads-cls")

# %% [markdown]
# ### 8.4 The learned cosine mix and three-layer heads ("Maximizing MinBert")

# %%
# NBVAL_CHECK_OUTPUT
side_by_side(ours(cpu, "multitask-baseline", "sts-cosine-mix", "mlp-heads-cosine-mix"), published_rows([
    ("Maximizing MinBert", "A: manual cosine 0.5 split + NN head", "finetune"),
    ("Maximizing MinBert", "B: 3-layer heads + weighted cosine split", "finetune"),
]))

# %% [markdown]
# ### 8.5 Swap augmentation ("SMART Surgery")

# %%
# NBVAL_CHECK_OUTPUT
side_by_side(ours(cpu, "multitask-baseline", "sts-swap"), published_rows([
    ("SMART Surgery", "baseline", "finetune"),
    ("SMART Surgery", "STS swap augmentation", "finetune"),
]))

# %% [markdown]
# ### 8.6 All of them, seed by seed
#
# Bars are the mean over seeds, dots the seeds, the dashed line the baseline's mean.

# %%
shown, source = results_to_show(results, cpu, profile.name)
fig = plots.plot_comparison(shown, baseline="multitask-baseline")
plots.save_figure(fig, "06_comparison", source)
plt.show()

# %% [markdown]
# What the `cpu` rows say (three seeds a row). The baseline learns SST and Quora on
# every seed (0.402 ± 0.016 and 0.695 ± 0.034, against majority rates of 0.263 and 0.632),
# so every row compares models that have learned (the "learned" column is 3/3
# throughout). Its STS is r 0.255 ± 0.008. Seed-to-seed standard
# deviations are 0.001-0.034.
#
# One caution before the list: the table makes about 40 tests at p < 0.05, so one or two
# stars are expected by chance alone. The claims below rest on differences that are
# large, or that repeat across rows.
#
# - **The STS head is most of the story.** Every head that *compares* the two sentences
#   takes STS from r 0.255 to 0.72-0.81, more than fifty times the seed spread:
#   - the cosine of the two pooled vectors, 0.722 ± 0.004 (`sts-cosine`);
#   - the cosine of two layers over them, 0.751 ± 0.009 ([CLS], `sbert-heads-cls`) and
#     0.813 ± 0.006 (mean pooling, `sbert-heads-mean`);
#   - the cross-encoded tanh head, 0.807 ± 0.002 (`sts-cross`).
#
#   The baseline's head concatenates [u; v] and has 200 steps to learn a comparison from
#   scratch. MiniLM was trained so that the cosine of two of its sentence vectors measures
#   similarity, and the cosine heads start from there. The cross-encoder learns its
#   comparison inside the encoder, in every layer, and catches up within the same 200
#   steps. Under the small caps of the first edition of this notebook (400 examples, lr
#   1e-4 for the head) it stayed below cosine (0.699 against 0.733); at these caps it is
#   above, the order report 002 saw on BERT-base (cross-encoded "Concat" 0.86, cosine
#   0.39-0.43).
#
#   Training does not beat the checkpoint on STS alone: before any training, the cosine of
#   mean-pooled vectors gives r 0.838 and the pooler's 0.773 (notebook 02, on the full dev
#   set; 0.834 on these 600, the table's last row). The plain cosine head on the pooler
#   ends at 0.722. Section 9 finds why no row here beats the untrained checkpoint, and the
#   head that does.
# - **Cross-encoding** both pairs lifts Quora from 0.695 to 0.799 ± 0.010 (+0.104\*),
#   with STS 0.805 ± 0.002 and overall 0.705 ± 0.001. Against `sts-cross`, which
#   cross-encodes STS only, Quora gains +0.101\* and STS does not move (-0.002): each pair
#   task gains from its own cross-encoding. Both reports saw the same direction: "A
#   SMARTer minBERT" Quora 0.739 → 0.830 and STS 0.356 → 0.838; "Maximizing MinBert" A
#   → D. Training time does not separate them (463-561 s against 533-655 s per run, with
#   another job on the machine): one sequence of about the same length replaces two.
#   Inference does: section 2.
# - **The ranking loss** (first epoch on the pairs scored 4 or more, then the cosine
#   head's squared error) beats cosine alone on STS, 0.749 ± 0.007 against 0.722 ± 0.004
#   (+0.027\*, the table under 8.2), and SST moves more (+0.047\*), which no mechanism
#   here predicts: read that one as a single comparison among many. The report saw no
#   STS change (0.41-0.42 against 0.39-0.43).
# - **Mean pooling** is the best single change in the notebook. With the same heads,
#   overall goes from 0.624 ± 0.009 ([CLS]) to 0.715 ± 0.007 and all three tasks gain
#   (SST +0.111\*, Quora +0.131\*, STS +0.062\*; the table under 8.3). The report saw Quora
#   and STS rise and SST dip. MiniLM was trained with mean pooling; its pooler (a dense
#   layer and tanh over [CLS]) was not, and notebook 04 measured that its output varies
#   five times less per coordinate than the mean. Max pooling lifts SST and Quora as much
#   (+0.090\*, +0.119\*) but not STS (-0.010, in the noise).
# - **[CLS] with the SBERT-style heads** has the lowest SST of the table, 0.319 ± 0.021
#   against the baseline's 0.402 (-0.083\*), with the same pooling and the same SST head:
#   only the pair heads differ, and they share the pooler with SST. A large, consistent
#   difference with no explanation measured here (exercise 7).
# - **The learned cosine mix** is worse on STS than cosine alone: 0.590 ± 0.008 against
#   0.722 (the linear half of α · linear([u; v]) + (1 - α) · cosine adds what the
#   concatenation head adds, little). Its dev r *falls* from the first epoch to the
#   second in every seed (0.62-0.64 → 0.58-0.60), while SST and Quora rise, so the best
#   epoch by the overall score is still the second. The learned weight barely moved:
#   σ(a) went from 0.500 to 0.489 in 200 steps (read from the runs' best checkpoints,
#   `heads.sts.mix`). Adam moves a parameter by about lr per step, so 200 steps at the
#   head's 1e-3 move a scalar gate by at most 0.2 in a, 0.05 in σ(a) (exercise 6). The
#   three-layer heads (`mlp-heads-cosine-mix`) end where cosine alone does on STS (0.722 ±
#   0.003) and where the baseline does on SST (0.407 ± 0.011 against 0.402).
# - **Swap augmentation**: STS 0.266 ± 0.015 against 0.255 ± 0.008 (+0.011, inside the
#   noise), on the one head that sees the order of the pair. The report's gain was 0.345
#   → 0.352, one seed.
#
# The seconds per run were measured with another training job (or, for `sts-cosine`'s
# seed 1, 3,406 s, a full test run) sharing the two cores, and the baseline's and
# `sbert-heads-mean`'s without: they compare rows of one batch, not methods (notebook 05
# measures where a step's time goes, on a quiet machine).

# %% [markdown]
# ## 9. Why fine-tuning lands STS below the untrained checkpoint
#
# Every table above ends with a row no run trained: the cosine of the checkpoint's
# mean-pooled sentence vectors, with no training at all, scores r 0.834 on the same 600
# STS dev pairs (0.838 on all 863; notebook 02). No STS column beats it. Fine-tuning on
# STS's own training pairs should not make the model worse at STS, so something in the
# recipe asks the encoder for the wrong thing. The suspect is the head's fixed map.
#
# Each cosine head turns a cosine into a score, and the squared error then asks, for a
# pair scored y, for one cosine (`bert_core.course.sts_geometry`):
#
# | head | score | cosine asked for a pair scored y |
# |---|---|---|
# | `cosine` (SBERT's, report 002) | 2.5 (cos + 1) | y / 2.5 - 1, from -1 (y = 0) to 1 |
# | `scaled_cosine` (sentence-transformers' STS recipe) | 5 cos | y / 5, from 0 to 1 |
# | `cosine_fc` (report 003; `cpu-best`'s) | 5 ReLU(cos(f u, f v)), f two layers | y / 5, in f's space |
#
# Where does the checkpoint put the pairs before any training? The committed zero-shot
# cosines of every STS dev pair (`python -m bert_core.course.zero_shot`), against the
# cosine each map asks for:

# %%
zero_shot = stored_pairs("cpu")
asked = {"cosine asks y / 2.5 - 1": READ_BACK["cosine"], "scaled_cosine asks y / 5": READ_BACK["scaled_cosine"]}
fig = plots.plot_similarity_scatter(zero_shot["gold"], {"the checkpoint, no training": zero_shot["cosine"]}, asked)
plots.save_figure(fig, "06_zero_shot_geometry", "cpu")
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
geometry_table({"the checkpoint, no training": (zero_shot["gold"], zero_shot["cosine"])}).round(3)

# %% [markdown]
# The checkpoint already ranks the pairs well (r 0.838), on a scale of its own: the 165
# unrelated pairs (gold at most 1) sit at a mean cosine of 0.24, the 219 paraphrases (gold
# 4 or more) at 0.85, and only 12 of the 863 pairs have a negative cosine (the lowest,
# -0.16). The `scaled_cosine` line runs through that cloud, a little below it at the
# bottom; the `cosine` line asks for every unrelated pair to be pulled to a cosine near -1,
# where this space has no pair of English sentences. To get there the encoder must push
# apart sentences it placed near each other for good reasons, and the ranking it had can
# suffer.
#
# The test: STS alone, under `cpu-best`'s recipe and budget (mean pooling, 1,600 training
# pairs, 2 epochs), once with each head, three seeds each (grid table "06-sts"):

# %%
grid_sts = table("06-sts")
sts_configs = grid_sts.configs(profile.name)
settings_table(sts_configs, ["tasks", "heads", "pooling", "seeds"])

# %%
# NBVAL_IGNORE_OUTPUT
sts_results = {config.name: run_experiment(config, progress=profile.name != "smoke") for config in sts_configs}

# %%
# NBVAL_CHECK_OUTPUT
sts_cpu = grid_sts.committed()
print(provenance_line(sts_cpu))
comparison_table(grid_sts, sts_cpu)

# %% [markdown]
# Where each trained model puts the pairs (seed 0: the cosine read back from each head's
# dev predictions; the checkpoint's on the same 600 pairs):

# %%
shown, source = results_to_show(sts_results, sts_cpu, profile.name)
panels = {name: head_cosines(result) for name, result in shown.items() if result is not None}
if source == "cpu":
    panels = {"the checkpoint, no training": checkpoint_cosines(shown["sts-alone-cosine"]), **panels}
geometry_table(panels).round(3)

# %%
fig = plots.plot_similarity_scatter({name: gold for name, (gold, _) in panels.items()},
                                    {name: cosine for name, (_, cosine) in panels.items()}, asked)
plots.save_figure(fig, "06_sts_head_geometry", source)
plt.show()

# %% [markdown]
# The map decides it, well beyond the seed noise (three seeds a head, spreads of
# 0.002-0.004):
#
# - **`scaled_cosine` beats the untrained checkpoint**: r 0.866 ± 0.003, every seed above
#   the zero-shot 0.834 (0.869, 0.864, 0.866). Training unrelated pairs down (their mean
#   cosine from 0.26 to 0.19, seed 0) while the paraphrases stay where they were (0.85 to
#   0.84) widens the gap between them, and the ranking improves.
# - **`cosine` makes the checkpoint worse**: r 0.720 ± 0.002, 0.096 below `cosine_fc`
#   and 0.11 below zero-shot. It asks for the unrelated pairs at -1 to -0.6 and gets them
#   only to 0.11. At the start the head scores an unrelated pair 2.5 (0.26 + 1) ≈ 3.1
#   against a gold of at most 1, an error of 2 or more, while a paraphrase's 2.5 (0.85 +
#   1) ≈ 4.6 is about right: the unrelated pairs' errors drive the updates, and what
#   lowers them moves every pair down, the paraphrases too (0.85 to 0.71). In two of the
#   three seeds the first epoch was its best; more training made it worse.
# - **`cosine_fc`** (`cpu-best`'s head), r 0.816 ± 0.004, asks for the right range but in
#   the space of two fresh layers: they start as a random map of the checkpoint's vectors,
#   and 200 steps relearn most, not all, of the geometry the checkpoint had.
#
# A fixed map that matches the geometry the encoder already has, and no fresh layers
# between the encoder and the cosine: that is sentence-transformers' recipe for this
# checkpoint, and the reports' heads (2.5 (cos + 1), or a cosine over new layers) miss one
# or the other.
#
# The same change in the multitask recipe, at the cpu caps (`cpu-best` with the
# `scaled_cosine` STS head, three seeds; its baseline is `cpu-best`):

# %%
# NBVAL_CHECK_OUTPUT
fix = table("05").committed(only=["cpu-best", "cpu-best-scaled-cosine"])
compared_table(fix, "cpu-best")

# %% [markdown]
# In the multitask model the head does the same for STS: r 0.853 ± 0.006 against
# `cpu-best`'s 0.804 (+0.049, beyond the noise), above the untrained checkpoint on every
# seed (0.849, 0.860, 0.849 against 0.834). SST (-0.009) and Quora (+0.007) move inside
# their noise, and so does the overall score (+0.007): STS is a third of it. Beside the
# other two tasks STS ends 0.013 below STS alone with the same head (0.866), the same cost
# that multitask training has with the `cosine_fc` head (notebook 05's solutions,
# exercise 7). Notebook 05 (section 11) trains this recipe on all the data, and notebook
# 11 takes it, with a second pass over the data, as the final model.
#
# ## Summary
#
# - A pair can be encoded as two sentences (a bi-encoder: u, v, then a head) or as one
#   sequence with token types (a cross-encoder: one vector h, then a head).
# - The cross-encoder lets the two sentences attend to each other and wins on paraphrase
#   and similarity. It costs one BERT pass per pair and gives no sentence embedding to
#   reuse: the same per given pair here, 54 times the bi-encoder to compare all pairs of
#   100 sentences.
# - Heads differ in what they promise: cosine and dot heads are symmetric; cosine,
#   cosine_fc and cross_tanh stay in [0, 5]; concatenation has to learn both.
# - Mean and max pooling average or take the maximum over the real tokens only, so
#   padding never changes a sentence's vector.
# - The ranking loss learns from positive pairs alone, with the rest of the batch as
#   negatives.
# - With a pretrained sentence encoder and a small budget, the head and the pooling
#   matter more than anything else in this notebook. Which way they point depends on what
#   the encoder was trained for.
# - A cosine head regresses a fixed map of the cosine onto the gold score, so it asks the
#   encoder for a geometry. The map 5 cos (`scaled_cosine`) asks for nearly the one this
#   checkpoint has and lifts STS above its untrained score (0.866 against 0.834);
#   2.5 (cos + 1) asks for unrelated pairs at cosine -1 and makes it worse (0.720).
#
# ## Exercises
#
# Worked solutions, to open after trying: [`solutions/06_pairs_heads_pooling_solutions.ipynb`](solutions/06_pairs_heads_pooling_solutions.ipynb).
#
# 1. Cross-encode paraphrase only (`preset("cross-encoding", profile.name,
#    pair_encoding={"paraphrase": "cross"}, name="quora-cross")`). Does Quora gain as
#    much as STS did?
# 2. Swap the order of 50 STS dev pairs and predict again with the baseline, the cosine
#    head and the cross-encoder (`bert_core.evaluate.predict` on the swapped examples).
#    Which models give the same scores? Which should?
# 3. The ranking loss here uses the raw dot product, as the report did. Sentence-BERT
#    uses the cosine times 20. Add a `scale` to the schedule (where?) and compare.
# 4. Pooling interacts with the head: run `mean` pooling with the baseline's
#    concatenation heads (`preset("multitask-baseline", profile.name, pooling="mean",
#    name="baseline-mean")`). Is the gain from the heads or from the pooling?
# 5. How long would a cross-encoder take to find the duplicates among 10,000 Quora
#    questions on this machine? And a bi-encoder? Use the benchmark's numbers.
# 6. Give the cosine mix's gate its own learning rate (an optimiser parameter group with
#    lr 1e-2 for `heads.sts.mix`; where in `bert_core.training.loop` would that go?). Does σ(a)
#    move, and which way?
# 7. `sbert-heads-cls` loses 0.08 SST accuracy against the baseline, with the same pooling
#    and SST head. Which pair head does it? Train each alone
#    (`preset("multitask-baseline", profile.name, heads={"similarity": "cosine_fc"},
#    name="baseline-cosine-fc")`, and the same with `{"paraphrase": "siamese"}`), three
#    seeds each, and compare SST with `compared_table`. What do the two heads ask of the
#    shared pooler that SST's head does not?
#
# ## Further reading
#
# - Reimers and Gurevych (2019), *Sentence-BERT*: siamese heads, the cosine loss, pooling.
# - Humeau et al. (2020), *Poly-encoders*: between bi- and cross-encoders.
# - Henderson et al. (2017), *Efficient Natural Language Response Suggestion for Smart
#   Reply*: the multiple negatives ranking loss.
# - Thakur et al. (2021), *Augmented SBERT*: a cross-encoder labelling pairs for a
#   bi-encoder.
