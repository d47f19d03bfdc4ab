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
# # 01 · Solutions to the exercises
#
# Worked solutions to the exercises of notebook 01 (from text to vectors: the tokenizer,
# the embeddings, attention). Try each exercise first; then compare.

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
import torch

from bert_core.bert import attention
from bert_core.bert.model import BertModel
from bert_core.bert.tokenizer import Tokenizer
from bert_core.course.notebook import setup

profile = setup(seed=0)
print(profile)

# %% [markdown]
# ## 1. Attention without the division by √D
#
# With q and k of independent unit-variance coordinates, q · k is a sum of D products: its
# variance is D. Unscaled, the scores spread further as D grows, and the softmax of a row
# approaches a one-hot vector (its largest weight near 1), whose gradient is near zero.
# Measured on random q and k, 16 tokens, 1,000 rows:

# %%
generator = torch.Generator().manual_seed(0)
for D in (32, 512):
    q = torch.randn(1000, 16, D, generator=generator)
    k = torch.randn(1000, 16, D, generator=generator)
    scores = q @ k.transpose(-1, -2)  # (rows, T, T)
    for name, s in (("scaled by 1/√D", scores / D**0.5), ("unscaled", scores)):
        top = s.softmax(-1).max(-1).values.mean().item()
        print(f"D = {D:3d}, {name:15s}: score std {s.std().item():5.1f}, mean largest weight {top:.2f}")

# %% [markdown]
# Scaled, the rows look the same at D = 32 and D = 512: the division keeps the scores'
# spread at 1 whatever the head size. Unscaled, the largest weight grows with D, and at
# D = 512 a row is almost all on one token.
#
# ## 2. `-inf` in the mask and a row of padding only
#
# A query whose every key is masked gets scores of -inf everywhere; softmax then computes
# exp(-inf) / Σ exp(-inf) = 0 / 0:

# %%
# NBVAL_CHECK_OUTPUT
q = k = v = torch.randn(1, 1, 3, 4)  # (B, H, T, D)
no_real_token = torch.zeros(1, 3)  # every position is padding
with_inf = (1.0 - no_real_token)[:, None, None, :] * -torch.inf  # (B, 1, 1, T)
library = attention.extended_attention_mask(no_real_token, torch.float32)
print("-inf mask:      ", attention.scaled_dot_product(q, k, v, with_inf)[0][0, 0, 0].tolist())
print("dtype minimum:  ", [round(x, 4) for x in attention.scaled_dot_product(q, k, v, library)[0][0, 0, 0].tolist()])

# %% [markdown]
# With -inf the output is NaN, and a NaN spreads through every later layer and into the
# loss: one empty row ruins the batch. With the dtype's most negative finite value the
# scores stay finite, the row's softmax is uniform, and the padded position's output is a
# harmless average that the loss never reads.
#
# ## 3. A head that attends to the previous token
#
# For each layer and head, the mean weight that token i gives to token i - 1, over the
# real tokens of a few sentences:

# %%
# NBVAL_CHECK_OUTPUT
tokenizer = Tokenizer.from_pretrained("minilm-l6")
model = BertModel.from_pretrained("minilm-l6", attn_implementation="explicit").eval()
texts = ["The acting was unbelievably wooden, but I loved the soundtrack.",
         "How do I learn chess quickly?", "A dog is running on the beach with a ball."]


def previous_token_weight(text: str) -> torch.Tensor:
    """[L, H]: the mean over i >= 1 of attention weight from token i to token i - 1."""
    with torch.no_grad():
        maps = torch.stack(model(**tokenizer(text), output_attentions=True)["attentions"])[:, 0]  # (L, H, T, T)
    return maps.diagonal(offset=-1, dim1=-2, dim2=-1).mean(-1)


weights = torch.stack([previous_token_weight(t) for t in texts])  # (sentences, L, H)
for text, w in zip(texts, weights):
    layer, head = divmod(int(w.argmax()), w.shape[1])
    print(f"layer {layer}, head {head}: {w.max().item():.2f}   {text}")

# %% [markdown]
# The head with the most weight on the previous token is the same for all three
# sentences, and it gives that token nearly all of its weight: a positional head, which
# reads word order rather than meaning. Clark et al. (2019, *What Does BERT Look At?*) found
# such heads in BERT-base's early layers too.
