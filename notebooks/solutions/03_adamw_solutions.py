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
# # 03 · Solutions to the exercises
#
# Worked solutions to the exercises of notebook 03 (AdamW). Try each exercise first; then
# compare.

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

from bert_core.bert.model import BertModel
from bert_core.bert.optim import AdamW
from bert_core.course.notebook import setup

profile = setup(seed=0)
print(profile)

# %% [markdown]
# ## 1. Step sizes without bias correction
#
# Section 2's loop (a constant gradient g = 1, η = 1e-3), with and without
# `correct_bias`, the size of each of the first ten steps in units of η:

# %%
# NBVAL_CHECK_OUTPUT
def step_sizes(correct_bias: bool, steps: int = 10, lr: float = 1e-3) -> list[float]:
    theta = torch.nn.Parameter(torch.zeros(1))
    optimizer = AdamW([theta], lr=lr, correct_bias=correct_bias)
    sizes = []
    for _ in range(steps):
        before = theta.item()
        theta.grad = torch.ones(1)
        optimizer.step()
        sizes.append(abs(theta.item() - before) / lr)
    return sizes


print("corrected:  ", [f"{s:.2f}" for s in step_sizes(True)])
print("uncorrected:", [f"{s:.2f}" for s in step_sizes(False)])

# %% [markdown]
# Without correction the step is m_t / √v_t = (1 - β1^t) / √(1 - β2^t) in units of η:
# 0.1 / √0.001 = 3.16 at t = 1, and it *grows* over the first steps, because m_t's bias
# fades in tens of steps and v_t's only in thousands: about 6.6 η near t = 12, still 3.2 η
# at t = 100, 1.3 η at t = 1,000. The early steps are several times too large exactly when
# the model knows least; a warm-up of the learning rate does part of the correction's
# job, and fine-tuning recipes usually have both.
#
# ## 2. The handout's "efficient" form
#
# With α_t = η √(1 - β2^t) / (1 - β1^t) and θ ← θ - α_t m_t / (√v_t + ε), multiply out:
# the step is η m̂_t / (√v̂_t + ε / √(1 - β2^t)). It is ours with ε replaced by
# ε / √(1 - β2^t), a larger ε early on (31.6 ε at t = 1). The two differ only where ε is
# not small against √v̂: early steps, and coordinates whose gradients are tiny. Measured
# with a gradient of 1e-7 (so √v̂ = 1e-7, against ε = 1e-6):

# %%
# NBVAL_CHECK_OUTPUT
def first_step(grad: float, efficient: bool, lr: float = 1e-3, eps: float = 1e-6,
               beta1: float = 0.9, beta2: float = 0.999) -> float:
    m, v = (1 - beta1) * grad, (1 - beta2) * grad**2  # after one step, t = 1
    if efficient:
        alpha = lr * (1 - beta2) ** 0.5 / (1 - beta1)
        return alpha * m / (v**0.5 + eps)
    return lr * (m / (1 - beta1)) / ((v / (1 - beta2)) ** 0.5 + eps)


for grad in (1.0, 1e-7):
    ours = first_step(grad, efficient=False)
    theta = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    optimizer = AdamW([theta], lr=1e-3, eps=1e-6)
    theta.grad = torch.full((1,), grad, dtype=torch.float64)
    optimizer.step()
    assert abs(-theta.item() - ours) < 1e-12  # the formula is our optimiser's first step
    print(f"g = {grad:g}: ours {ours / 1e-3:.4f} η, efficient form {first_step(grad, True) / 1e-3:.4f} η")

# %% [markdown]
# For an ordinary gradient the two agree to four digits. For the tiny one, ours takes a
# step of about 0.09 η and the efficient form about 0.003 η: the larger effective ε damps
# small-gradient coordinates in the first steps. It matters for rarely updated parameters
# (an embedding row of a rare word), and it is one reason two "AdamW"s can train slightly
# differently.
#
# ## 3. Two parameter groups: no decay for biases and LayerNorm weights
#
# A bias or a LayerNorm gain sets a scale or an offset; pulling it to 0 has no
# regularising meaning (a LayerNorm gain of 0 switches the features off). The groups,
# by parameter name:

# %%
# NBVAL_CHECK_OUTPUT
model = BertModel.from_pretrained("minilm-l6")
no_decay = [p for name, p in model.named_parameters() if name.endswith("bias") or "layer_norm" in name]
decay = [p for name, p in model.named_parameters() if not (name.endswith("bias") or "layer_norm" in name)]
optimizer = AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=2e-5)
assert len(decay) + len(no_decay) == len(list(model.parameters()))
print(f"decayed: {len(decay)} tensors, {sum(p.numel() for p in decay):,} parameters; "
      f"not decayed: {len(no_decay)} tensors, {sum(p.numel() for p in no_decay):,}")
