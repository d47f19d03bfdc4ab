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
# # 01 · From text to vectors: tokens, embeddings, self-attention
#
# **What you'll do:** turn a sentence into WordPiece ids, look up its embeddings, and
# build one head of self-attention by hand, line by line, until it matches minBERT's;
# then look at where a pretrained model's heads attend.
#
# **What you'll learn:** what `[CLS]`, `[SEP]`, token types and the attention mask are
# for; the attention equation and its padding mask; that the explicit version and
# PyTorch's fused kernel compute the same thing.
#
# **What you'll need:** notebook 00. `bert_core.bert.tokenizer`,
# `bert_core.bert.embeddings`, `bert_core.bert.attention`, `bert_core.bert.model`.

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

from bert_core.bert import attention
from bert_core.bert.embeddings import BertEmbeddings
from bert_core.bert.model import BertModel
from bert_core.bert.tokenizer import Tokenizer
from bert_core.course import plots
from bert_core.course.notebook import setup, show_source, versions

profile = setup(seed=0)
checkpoint = "minilm-l6"  # small and offline in every profile: this notebook only reads it
tokenizer = Tokenizer.from_pretrained(checkpoint)
model = BertModel.from_pretrained(checkpoint, attn_implementation="explicit").eval()
print(f"profile {profile.name}; {checkpoint}: {model.config.num_hidden_layers} layers, "
      f"hidden {model.config.hidden_size}, {model.config.num_attention_heads} heads")

# %%
# NBVAL_IGNORE_OUTPUT
print(versions())

# %% [markdown]
# ## 1. Tokens
#
# BERT reads WordPiece pieces, not words: a vocabulary of 30,522 frequent words and word
# pieces, where a piece that continues a word starts with `##`. Any word splits into
# known pieces, so nothing is out of vocabulary. The uncased vocabulary lowercases and
# strips accents first.

# %%
# NBVAL_CHECK_OUTPUT
sentence = "The acting was unbelievably wooden, but I loved the soundtrack."
print(tokenizer.tokenize(sentence))

# %% [markdown]
# The model's input adds `[CLS]` at the start (its final vector will summarise the
# sequence) and `[SEP]` at the end. A pair is `[CLS] a [SEP] b [SEP]`, with
# **token type** 0 for the first segment and 1 for the second. A batch is padded with
# `[PAD]` (id 0) to its longest member, and the **attention mask** marks the real tokens.

# %%
# NBVAL_CHECK_OUTPUT
batch = tokenizer(["Is it raining?", "How do I learn chess?"], ["Yes, all day.", "Where can I learn chess?"])
pd.DataFrame({
    "token": tokenizer.convert_ids_to_tokens(batch["input_ids"][0]),
    "id": batch["input_ids"][0].tolist(),
    "token type": batch["token_type_ids"][0].tolist(),
    "mask": batch["attention_mask"][0].tolist(),
}).T

# %% [markdown]
# ## 2. Embeddings
#
# Each position t gets the sum of three learned vectors, then LayerNorm (and dropout
# while training):
#
# $$e_t = \mathrm{LayerNorm}\big(W_\text{word}[x_t] + W_\text{pos}[t] + W_\text{type}[s_t]\big)$$

# %%
# NBVAL_CHECK_OUTPUT
show_source(BertEmbeddings.forward)

# %% [markdown]
# By hand, from the pretrained tables, checked against the module:

# %%
# NBVAL_CHECK_OUTPUT
emb = model.embeddings
ids, types = batch["input_ids"], batch["token_type_ids"]
T = ids.shape[1]
summed = emb.word_embedding.weight[ids] + emb.pos_embedding.weight[:T] + emb.tk_type_embedding.weight[types]
by_hand = torch.nn.functional.layer_norm(summed, (model.config.hidden_size,), emb.layer_norm.weight,
                                         emb.layer_norm.bias, model.config.layer_norm_eps)
with torch.no_grad():
    torch.testing.assert_close(by_hand, model.embed(ids, types))
print(f"embeddings: {tuple(by_hand.shape)} (B, T, C) - by hand == model.embed")

# %% [markdown]
# ## 3. Self-attention, one step at a time
#
# Every token asks a question (its **query** $q_i = W_Q x_i$), advertises what it holds
# (its **key** $k_j = W_K x_j$), and offers content (its **value** $v_j = W_V x_j$). Token
# i's output is a weighted average of all values, weighted by how well its query matches
# each key:
#
# $$\mathrm{Attention}(Q, K, V) = \mathrm{softmax}\!\Big(\frac{QK^\top}{\sqrt{D}} + M\Big)V$$
#
# where D is the head size and M is 0 at real tokens and a huge negative number at
# padding, so padding gets zero weight. H heads do this in parallel on D = C/H-sized
# slices; their outputs are concatenated. Here is the library's version:

# %%
# NBVAL_CHECK_OUTPUT
show_source(attention.scaled_dot_product)

# %% [markdown]
# Now by hand, for layer 0 of the pretrained model, on the embeddings above. First the
# projections, split into heads: `[B, T, C]` -> `[B, H, T, D]`.

# %%
# NBVAL_CHECK_OUTPUT
layer = model.bert_layers[0].self_attention
x = by_hand.detach()
B, T, C = x.shape
H, D = model.config.num_attention_heads, model.config.head_size


def split_heads(t):
    return t.view(B, T, H, D).transpose(1, 2)  # (B, H, T, D)


q, k, v = (split_heads(lin(x)) for lin in (layer.query, layer.key, layer.value))
print(f"q, k, v: {tuple(q.shape)} (B, H, T, D)")

# %% [markdown]
# Scores, the padding mask, the softmax, the weighted sum:

# %%
# NBVAL_CHECK_OUTPUT
scores = q @ k.transpose(-1, -2) / D**0.5  # (B, H, T, T)
mask = batch["attention_mask"][:, None, None, :]  # (B, 1, 1, T)
scores = scores.masked_fill(mask == 0, torch.finfo(scores.dtype).min)
probs = scores.softmax(dim=-1)
context = (probs @ v).transpose(1, 2).reshape(B, T, C)  # heads concatenated: (B, T, C)
print(f"each row of probs sums to 1: {torch.allclose(probs.sum(-1), torch.ones(B, H, T))}")
print(f"weight on padding: {probs[0, :, :, mask[0, 0, 0] == 0].abs().max().item():.1f}")

# %% [markdown]
# The check: our hand-built attention against minBERT's module, and both against
# PyTorch's fused `scaled_dot_product_attention` (one kernel, no T×T matrix kept for
# the backward pass; training uses it).

# %%
# NBVAL_CHECK_OUTPUT
with torch.no_grad():
    library, library_probs = layer(x, batch["attention_mask"], output_attentions=True)
    fused = attention.fused_scaled_dot_product(q, k, v, batch["attention_mask"])
fused = fused.transpose(1, 2).reshape(B, T, C)
real = batch["attention_mask"].bool()
torch.testing.assert_close(context, library)
torch.testing.assert_close(probs, library_probs)
torch.testing.assert_close(fused[real], context[real], atol=1e-5, rtol=0)
print("by hand == BertSelfAttention (explicit) == fused kernel (at real tokens)")

# %% [markdown]
# ## 4. Where a pretrained model attends
#
# The attention probabilities of every layer and head, for one sentence. Some heads look
# at the previous or next token, some at `[CLS]` or `[SEP]` (a "no-op" that heads fall back
# to), some link words that belong together. Rows are the attending tokens.

# %%
# NBVAL_CHECK_OUTPUT
example = tokenizer(sentence)
with torch.no_grad():
    out = model(**example, output_attentions=True)
tokens = tokenizer.convert_ids_to_tokens(example["input_ids"][0])
maps = torch.stack(out["attentions"])[:, 0]  # (L, H, T, T)
print(f"attention maps: {tuple(maps.shape)} (layers, heads, T, T)")

# %%
fig, axes = plt.subplots(1, 3, figsize=(20, 7))
for ax, (lay, head) in zip(axes, [(0, 0), (2, 5), (5, 3)]):
    plots.plot_attention(maps[lay, head].numpy(), tokens, f"layer {lay + 1}, head {head + 1}", ax=ax)
fig.tight_layout()
plots.save_figure(fig, "01_attention_maps", profile.name)
plt.show()

# %% [markdown]
# Where does each head put its weight on average? Share of attention that goes to
# `[CLS]`, to `[SEP]`, and to the token itself, per layer (mean over heads and tokens):

# %%
# NBVAL_CHECK_OUTPUT
sep = [i for i, t in enumerate(tokens) if t == "[SEP]"]
share = pd.DataFrame({
    "to [CLS]": maps[..., 0].mean(dim=(1, 2)),
    "to [SEP]": maps[..., sep].sum(-1).mean(dim=(1, 2)),
    "to itself": maps.diagonal(dim1=-2, dim2=-1).mean(dim=(1, 2)),
}, index=[f"layer {i + 1}" for i in range(maps.shape[0])])
share.round(3)

# %% [markdown]
# ## Summary
#
# - Text becomes WordPiece ids framed by `[CLS]` and `[SEP]`; token types tell the two
#   sentences of a pair apart; the attention mask hides padding.
# - Embeddings are a sum of word, position and type vectors, normalised.
# - Self-attention is four lines: scores, mask, softmax, weighted sum. The explicit
#   version and the fused kernel agree to 1e-5.
#
# ## Exercises
#
# Worked solutions, to open after trying: [`solutions/01_text_to_vectors_solutions.ipynb`](solutions/01_text_to_vectors_solutions.ipynb).
#
# 1. Remove the division by $\sqrt{D}$. What happens to the softmax's rows as D grows?
#    (Try random q and k with D = 32 and D = 512.)
# 2. What goes wrong if the mask uses `-inf` instead of the dtype's minimum and a row is
#    all padding?
# 3. Find a head that attends mostly to the previous token. Is it the same head for other
#    sentences?
#
# ## Further reading
#
# - Vaswani et al. 2017, "Attention Is All You Need", section 3.2.
# - Devlin et al. 2019, "BERT", section 3 and Figure 2 (input representation).
# - Clark et al. 2019, "What Does BERT Look At? An Analysis of BERT's Attention".
