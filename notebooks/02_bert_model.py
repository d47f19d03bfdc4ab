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
# # 02 · The BERT layer, the full model, and pretrained weights
#
# **What you'll do:** assemble a BERT layer from notebook 01's attention, stack layers
# into `BertModel`, load pretrained weights into it, prove in the open that it computes
# what transformers' BertModel computes, and take a first look at whether its sentence
# vectors know which sentences mean the same.
#
# **What you'll learn:** the post-LayerNorm residual block and the feed-forward network;
# the pooler; how checkpoint names map to ours; why a parity test is the strongest test
# for the least code; [CLS] against mean pooling as a sentence embedding.
#
# **What you'll need:** notebook 01. `bert_core.bert.layers`, `bert_core.bert.model`,
# `bert_core.bert.weights`, `bert_core.multitask.pooling`; `transformers` (a test extra,
# `pip install -e .[test]`) as the reference.

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
import numpy as np
import pandas as pd
import torch

from bert_core.bert import weights
from bert_core.bert.layers import BertLayer
from bert_core.bert.model import BertModel
from bert_core.bert.tokenizer import Tokenizer
from bert_core.course import plots
from bert_core.course.notebook import setup, show_source, versions
from bert_core.experiments.store import load_artefact, save_artefact
from bert_core.multitask import data
from bert_core.multitask.pooling import sentence_embeddings

profile = setup(seed=0)
print(profile)

# %%
# NBVAL_IGNORE_OUTPUT
print(versions())

# %% [markdown]
# ## 1. The BERT layer
#
# Attention mixes information across tokens; a feed-forward network then transforms each
# token on its own. Each block is wrapped in a residual connection and normalised after
# the sum ("post-LN", as in the original Transformer):
#
# $$a = \mathrm{LN}\big(x + \mathrm{Dropout}(W_O\,\mathrm{MultiHead}(x))\big), \qquad
#   y = \mathrm{LN}\big(a + \mathrm{Dropout}(W_2\,\mathrm{GELU}(W_1 a))\big)$$
#
# $W_1$ widens each token to 4C, $W_2$ narrows it back.

# %%
# NBVAL_CHECK_OUTPUT
show_source(BertLayer.forward)

# %% [markdown]
# The same by hand for layer 0 of the pretrained model, checked against the module:

# %%
# NBVAL_CHECK_OUTPUT
model = BertModel.from_pretrained(profile.checkpoint).eval()
tokenizer = Tokenizer.from_pretrained(profile.checkpoint)
batch = tokenizer(["A man is playing a guitar.", "Two dogs run across a field of grass."])
layer = model.bert_layers[0]
with torch.no_grad():
    x = model.embed(batch["input_ids"])
    context, _ = layer.self_attention(x, batch["attention_mask"])
    a = layer.attention_layer_norm(x + layer.attention_dense(context))
    y = layer.out_layer_norm(a + layer.out_dense(torch.nn.functional.gelu(layer.interm_dense(a))))
    torch.testing.assert_close(y, layer(x, batch["attention_mask"])[0])
print(f"layer output {tuple(y.shape)} (B, T, C) - by hand == BertLayer")

# %% [markdown]
# ## 2. The full model
#
# Embeddings, L layers, and the **pooler**: a dense layer with tanh on the final [CLS]
# vector, trained on next-sentence prediction. `forward` returns a dict, as the
# course's starter code does.

# %%
# NBVAL_CHECK_OUTPUT
show_source(BertModel.forward)

# %%
# NBVAL_CHECK_OUTPUT
n_params = sum(p.numel() for p in model.parameters())
per_part = {
    "embeddings": sum(p.numel() for p in model.embeddings.parameters()),
    "one layer": sum(p.numel() for p in model.bert_layers[0].parameters()),
    "pooler": sum(p.numel() for p in model.pooler_dense.parameters()),
}
print(f"{profile.checkpoint}: {n_params / 1e6:.1f}M parameters; "
      + ", ".join(f"{k} {v / 1e6:.2f}M" for k, v in per_part.items()))

# %% [markdown]
# ## 3. Loading pretrained weights
#
# A checkpoint names its tensors after the original release
# (`encoder.layer.3.attention.self.query.weight`); minBERT keeps the course's names
# (`bert_layers.3.self_attention.query.weight`). The translation lives in one constant,
# and loading reports every key it could not place instead of ignoring it: a silently
# missing LayerNorm is a model that trains, badly, for reasons no one finds.

# %%
# NBVAL_CHECK_OUTPUT
pd.DataFrame(weights.CHECKPOINT_TO_MINBERT, columns=["checkpoint pattern", "minBERT name"])

# %%
# NBVAL_CHECK_OUTPUT
print(model.load_report)

# %% [markdown]
# ## 4. The parity check, in the open
#
# The strongest test of a from-scratch model: load the same weights into the reference
# implementation, feed both the same padded batch of sentence pairs (with token types),
# and compare every real token's final vector and the pooler output. The unit tests do
# this too (`tests/bert/test_model.py`); here it is where you can see it.

# %%
# NBVAL_CHECK_OUTPUT
import transformers  # the reference; a test extra, never used by bert_core

transformers.utils.logging.disable_progress_bar()
folder = weights.resolve_checkpoint(profile.checkpoint)
reference = transformers.BertModel.from_pretrained(folder, attn_implementation="eager").eval()
pairs = tokenizer(["How do I learn chess?", "Is it raining?", "A man plays a guitar on stage."],
                  ["What is the best way to learn chess?", "Yes.", "Someone is performing music."])
with torch.no_grad():
    ours, theirs = model(**pairs), reference(**pairs)
real = pairs["attention_mask"].bool()
hidden_gap = (ours["last_hidden_state"] - theirs.last_hidden_state)[real].abs().max().item()
pooled_gap = (ours["pooler_output"] - theirs.pooler_output).abs().max().item()
assert hidden_gap < 1e-4 and pooled_gap < 1e-4
print(f"last hidden state at real tokens, max |difference| < 1e-4: {hidden_gap < 1e-4}")
print(f"pooler output, max |difference| < 1e-4: {pooled_gap < 1e-4}")

# %% [markdown]
# Can this check fail? A model with one LayerNorm left at its initial values is far off:

# %%
# NBVAL_CHECK_OUTPUT
broken = BertModel.from_pretrained(profile.checkpoint).eval()
torch.nn.init.ones_(broken.bert_layers[2].out_layer_norm.weight)
with torch.no_grad():
    gap = (broken(**pairs)["pooler_output"] - theirs.pooler_output).abs().max().item()
print(f"one LayerNorm weight reset: pooler max |difference| > 1e-2: {gap > 1e-2}")

# %% [markdown]
# ## 5. A first look: do the sentence vectors know similarity?
#
# Before any fine-tuning: embed both sentences of each STS dev pair on their own, take
# the cosine of the two vectors, and correlate it with the gold score (Pearson r, the
# STS metric). Three sentence vectors (`bert_core.multitask.pooling`): the pooler output (BERT's
# [CLS] summary), the mean of the real tokens' final vectors, and their per-feature max.
#
# A caveat this notebook cannot hide: the offline checkpoint, all-MiniLM-L6-v2, was
# trained on sentence pairs (Quora duplicates and NLI among them) with mean pooling, so
# its mean-pooled vectors are good at this already. Plain `bert-base-uncased` (the `gpu`
# profile) scores far lower here, which is why the course fine-tunes.

# %%
sts_dev = data.load_task("sts", "dev", profile.data_dir)
gold = np.array([e.label for e in sts_dev])
first = [e.sentence1 for e in sts_dev]
second = [e.sentence2 for e in sts_dev]


def cosine(pooling: str) -> np.ndarray:
    u = sentence_embeddings(model, tokenizer, first, pooling, device=profile.device)
    v = sentence_embeddings(model, tokenizer, second, pooling, device=profile.device)
    return torch.nn.functional.cosine_similarity(u, v).numpy()


model.to(profile.device)
similarity = {"pooler ([CLS] + dense + tanh)": cosine("cls"), "mean of tokens": cosine("mean"),
              "max over tokens": cosine("max")}
pearson = {name: float(np.corrcoef(gold, s)[0, 1]) for name, s in similarity.items()}
save_artefact(profile.name, "sentence_similarity",
              {"checkpoint": profile.checkpoint, "pairs": len(gold), "pearson": pearson})
pd.Series(pearson, name=f"Pearson r on {len(gold)} STS dev pairs").round(3).to_frame()

# %%
fig = plots.plot_similarity_scatter(gold, similarity)
plots.save_figure(fig, "02_sentence_similarity", profile.name)
plt.show()

# %% [markdown]
# The same measurement on the full STS dev set, from the committed `cpu` run:

# %%
# NBVAL_CHECK_OUTPUT
committed = load_artefact("cpu", "sentence_similarity")
if committed is None:
    print("No committed cpu run yet: BERT_CORE_PROFILE=cpu make run")
else:
    meta, payload = committed["meta"], committed["payload"]
    print(f"{payload['checkpoint']}, {payload['pairs']} pairs; `{meta['command']}` on "
          f"{meta['machine']}, {meta['date']}")
    for name, r in payload["pearson"].items():
        print(f"  {name:30s} r = {r:.3f}")

# %% [markdown]
# ## Summary
#
# - A BERT layer is attention and a feed-forward network, each in a post-LN residual
#   block. BertModel stacks L of them and adds the pooler on [CLS].
# - Pretrained weights load through one name mapping that reports missing and
#   unexpected keys; minBERT then matches transformers' BertModel to 1e-4.
# - Before any fine-tuning, this checkpoint's sentence vectors already track STS
#   similarity. On the full STS dev set (the `cpu` run above) mean pooling, the way it
#   was trained, is best (r = 0.838), the pooler and max pooling trail (both 0.773).
#   Notebook 06 makes pooling a training option.
#
# ## Exercises
#
# Worked solutions, to open after trying: [`solutions/02_bert_model_solutions.ipynb`](solutions/02_bert_model_solutions.ipynb).
#
# 1. Move the LayerNorm before each block ("pre-LN"). Does the parity check still pass?
#    Why can pretrained weights not be reused across that change?
# 2. Run section 5 with `bert-base-uncased` (online, or from a local folder). Which
#    pooling wins there?
# 3. Where do most parameters live: embeddings, attention, or feed-forward? Count them
#    for BERT-base (C = 768, L = 12).
#
# ## Further reading
#
# - Devlin et al. 2019, "BERT", section 3.
# - Reimers and Gurevych 2019, "Sentence-BERT", section 3 (pooling strategies).
# - Xiong et al. 2020, "On Layer Normalization in the Transformer Architecture".
