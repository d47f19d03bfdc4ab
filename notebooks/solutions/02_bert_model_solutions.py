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
# # 02 · Solutions to the exercises
#
# Worked solutions to the exercises of notebook 02 (the BERT model and its weights). Try
# each exercise first; then compare.

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

from bert_core.bert.config import BertConfig
from bert_core.bert.model import BertModel
from bert_core.bert.tokenizer import Tokenizer
from bert_core.course.notebook import setup

profile = setup(seed=0)
print(profile)

# %% [markdown]
# ## 1. Pre-LN: the LayerNorm before each block
#
# Post-LN (BERT): x ← LN(x + F(x)). Pre-LN: x ← x + F(LN(x)), and one more LN at the end.
# Written with the pretrained layer's own modules, so only the order changes:

# %%
# NBVAL_CHECK_OUTPUT
tokenizer = Tokenizer.from_pretrained("minilm-l6")
model = BertModel.from_pretrained("minilm-l6").eval()
batch = tokenizer(["A dog is running on the beach.", "How do I learn chess?"])


def pre_ln_layer(layer, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """One layer of ``model`` with its two LayerNorms moved before the blocks."""
    normed = layer.attention_layer_norm(x)
    x = x + layer.attention_dense(layer.self_attention(normed, mask)[0])
    normed = layer.out_layer_norm(x)
    return x + layer.out_dense(layer.interm_af(layer.interm_dense(normed)))


with torch.no_grad():
    post = model(**batch)["last_hidden_state"]
    x = model.embeddings(batch["input_ids"], batch["token_type_ids"])
    for layer in model.bert_layers:
        x = pre_ln_layer(layer, x, batch["attention_mask"])
    pre = torch.nn.functional.layer_norm(x, x.shape[-1:])
cosine = torch.nn.functional.cosine_similarity(pre, post, dim=-1)
print(f"token vectors, pre-LN against the trained post-LN: mean cosine {cosine.mean():.2f}")

# %% [markdown]
# The parity check (our model against transformers' with the same weights) would still
# pass if both implemented pre-LN: it tests that two implementations agree. But the
# pretrained weights no longer fit: each block was trained to read a normalised input and
# to have its output normalised after the residual sum; in pre-LN the residual stream is
# never normalised between layers, its scale grows layer by layer, and the vectors that
# come out are no longer the ones the checkpoint learned (the cosine above). Weights are
# trained for an architecture, and the order of the operations is part of it (Xiong et
# al. 2020 compare the two for training from scratch).
#
# ## 2. Pooling with `bert-base-uncased`
#
# It needs the hub (online) or a local copy of the checkpoint; offline, the cell says so.

# %%
# NBVAL_IGNORE_OUTPUT
try:
    base = BertModel.from_pretrained("bert-base-uncased").eval()
    print("loaded: run section 5 of notebook 02 with `model = base`")
except Exception as error:  # offline: no hub
    print(f"bert-base-uncased is not available here ({type(error).__name__}); run this online")

# %% [markdown]
# What to expect: Reimers and Gurevych (2019, *Sentence-BERT*, Table 1) measured
# untrained BERT-base on STS-B by the cosine of sentence vectors: the mean of the last
# layer's tokens reached a Spearman correlation of 46.35 and the [CLS] vector 16.50
# (average GloVe vectors: 58.02). Plain BERT's [CLS] was trained for next-sentence
# prediction, not for comparing sentences, so mean pooling wins there too, by far more
# than with MiniLM, which was trained to make mean-pooled cosines meaningful.
#
# ## 3. Where BERT-base's parameters live
#
# By hand, with C = 768, L = 12, the intermediate size 4C, vocabulary V = 30,522 and 512
# positions: embeddings (V + 512 + 2)·C + 2C for the LayerNorm; per layer, attention
# 4(C² + C) (query, key, value, output), feed-forward 2·4C² + 4C + C, two LayerNorms 4C;
# the pooler C² + C. Counted on the model itself:

# %%
# NBVAL_CHECK_OUTPUT
config = BertConfig()  # BERT-base's sizes; random weights, only counted
bert_base = BertModel(config)
groups = {"embeddings": 0, "attention": 0, "feed-forward": 0, "layer norms": 0, "pooler": 0}
for name, p in bert_base.named_parameters():
    if "layer_norm" in name:
        groups["layer norms"] += p.numel()
    elif name.startswith("embeddings"):
        groups["embeddings"] += p.numel()
    elif "self_attention" in name or "attention_dense" in name:
        groups["attention"] += p.numel()
    elif "interm_dense" in name or "out_dense" in name:
        groups["feed-forward"] += p.numel()
    else:
        groups["pooler"] += p.numel()
C, L, V = config.hidden_size, config.num_hidden_layers, config.vocab_size
by_hand = {"embeddings": (V + 512 + 2) * C, "attention": L * 4 * (C * C + C),
           "feed-forward": L * (8 * C * C + 5 * C), "layer norms": 2 * C + L * 4 * C, "pooler": C * C + C}
assert groups == by_hand
total = sum(groups.values())
for name, count in groups.items():
    print(f"{name:13s} {count / 1e6:6.2f}M  {count / total:5.1%}")
print(f"{'total':13s} {total / 1e6:6.2f}M")

# %% [markdown]
# The feed-forward blocks hold the most (about half), attention a quarter, the
# embeddings a fifth, almost all of it the word embeddings. In MiniLM, with its hidden
# size of 384, the same vocabulary is half of all the parameters (11.7M of 22.7M), which
# is why freezing the word embeddings (the `cpu` profile does) halves the optimiser's work.
