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
# # 03 · AdamW, from its update rule
#
# **What you'll do:** read AdamW's update line by line, watch bias correction fix Adam's
# first steps, see why decoupled weight decay is not the same as L2 regularisation, and
# check our optimiser against `torch.optim.AdamW`.
#
# **What you'll learn:** first and second moments; why they need bias correction; what
# "decoupled" means and why it matters under Adam's per-coordinate scaling; the same
# update over all tensors at once.
#
# **What you'll need:** notebook 02. `bert_core.bert.optim`.

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
import time

import matplotlib.pyplot as plt
import torch

from bert_core.bert.model import BertModel
from bert_core.bert.optim import AdamW
from bert_core.course import plots
from bert_core.course.notebook import setup, show_source, versions

profile = setup(seed=0)
print(f"profile {profile.name} (this notebook runs the same in every profile)")

# %%
# NBVAL_IGNORE_OUTPUT
print(versions())

# %% [markdown]
# ## 1. The update rule
#
# For a parameter θ with gradient $g_t$ at step t (Kingma and Ba 2015; Loshchilov and
# Hutter 2019):
#
# $$\theta \leftarrow \theta - \eta\lambda\theta \qquad \text{(decoupled weight decay)}$$
# $$m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2$$
# $$\hat m_t = \frac{m_t}{1-\beta_1^t}, \qquad \hat v_t = \frac{v_t}{1-\beta_2^t}, \qquad
#   \theta \leftarrow \theta - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}$$
#
# m is a running mean of the gradient (momentum), v a running mean of its square; the
# step divides one by the square root of the other, so every coordinate moves about η
# per step whatever its gradient's scale.

# %%
# NBVAL_CHECK_OUTPUT
show_source(AdamW.step)

# %% [markdown]
# ## 2. Bias correction
#
# m and v start at zero, so early on they are biased towards zero: with a constant
# gradient g = 1, $m_t = 1 - \beta_1^t$, only 0.1 after the first step. Dividing by
# $1 - \beta_1^t$ removes the bias exactly. We read m from the optimiser's own state:

# %%
# NBVAL_CHECK_OUTPUT
theta = torch.nn.Parameter(torch.zeros(1))
optimizer = AdamW([theta], lr=1e-3)
m, m_hat = [], []
for t in range(1, 61):
    theta.grad = torch.ones(1)
    optimizer.step()
    m.append(optimizer.state[theta]["exp_avg"].item())
    m_hat.append(m[-1] / (1 - 0.9**t))
assert abs(m[0] - 0.1) < 1e-7 and max(abs(x - 1) for x in m_hat) < 1e-6
print(f"m_1 = {m[0]:.3f}, m_10 = {m[9]:.3f}, m_60 = {m[59]:.3f}; corrected: all {m_hat[0]:.3f}")

# %% [markdown]
# v is biased far longer ($\beta_2$ = 0.999: $1 - 0.999^{100} \approx 0.1$). Without
# correction, v is tiny early on, so $m / \sqrt{v}$ is large: the first steps would be
# several times η. The course's `correct_bias=False` lets you try this.

# %%
fig, ax = plt.subplots(figsize=(6, 3.2))
ax.plot(range(1, 61), m, label="$m_t$ (biased)")
ax.plot(range(1, 61), m_hat, label=r"$\hat m_t$ (corrected)")
ax.set_xlabel("step t")
ax.set_title("Constant gradient g = 1")
ax.legend()
plots.save_figure(fig, "03_bias_correction", profile.name)
plt.show()

# %% [markdown]
# ## 3. Decoupled weight decay is not L2 regularisation
#
# L2 regularisation adds $\frac{\lambda}{2}\|\theta\|^2$ to the loss, so $\lambda\theta$
# joins the gradient, and then Adam divides it by $\sqrt{\hat v}$ like everything else.
# Take a loss with zero gradient, so that only the regulariser acts:
#
# - **AdamW** shrinks θ by the factor $(1 - \eta\lambda)$ every step: a geometric decay
#   whose speed is set by λ.
# - **Adam + L2** sees the gradient $\lambda\theta$, normalises it to about ±1, and moves
#   θ by about η per step towards 0, whatever λ is. The decay's strength has vanished
#   into the normalisation. Loshchilov and Hutter (2019) show this is why L2 works worse
#   with Adam than with SGD, and why AdamW decouples the two.

# %%
# NBVAL_CHECK_OUTPUT
def decay_only(make_optimizer, steps: int = 400) -> list[float]:
    theta = torch.nn.Parameter(torch.ones(1))
    opt = make_optimizer([theta])
    values = []
    for _ in range(steps):
        theta.grad = torch.zeros(1)  # a loss with zero gradient: only the decay acts
        opt.step()
        values.append(theta.item())
    return values


runs = {}
for lam in (0.1, 1.0):
    runs[f"AdamW, λ = {lam}"] = decay_only(lambda p, lam=lam: AdamW(p, lr=0.01, weight_decay=lam))
    runs[f"Adam + L2, λ = {lam}"] = decay_only(lambda p, lam=lam: torch.optim.Adam(p, lr=0.01, weight_decay=lam))
for name, values in runs.items():
    print(f"{name:18s} |θ| after 50 steps {abs(values[49]):.3f}, after 400 {abs(values[399]):.3f}")

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.4))
for name, values in runs.items():
    ax.plot(values, label=name, linestyle="-" if name.startswith("AdamW") else "--")
ax.set_xlabel("step")
ax.set_ylabel("θ")
ax.set_title("Weight decay alone, lr 0.01")
ax.legend()
plots.save_figure(fig, "03_decoupled_vs_l2", profile.name)
plt.show()

# %% [markdown]
# With Adam + L2, λ = 0.1 and λ = 1.0 give nearly the same path: λ no longer sets the
# strength of the decay. With AdamW, ten times the λ is ten times the shrinking rate.
#
# ## 4. The check: our AdamW against torch's
#
# The same small network, the same data, 200 steps, with weight decay. Our operations
# are ordered as torch's are, so the two agree to float rounding (the unit tests also
# run the course's own optimiser check, `tests/bert/test_optim.py`).

# %%
# NBVAL_CHECK_OUTPUT
def train(make_optimizer, steps: int = 200) -> tuple[torch.nn.Module, list[float]]:
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.Tanh(), torch.nn.Linear(32, 1))
    opt, data, losses = make_optimizer(net.parameters()), torch.Generator().manual_seed(1), []
    for _ in range(steps):
        x = torch.randn(64, 8, generator=data)
        y = torch.tanh(x[:, :1] - 2 * x[:, 1:2]) + 0.1 * torch.randn(64, 1, generator=data)
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(net(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return net, losses


settings = dict(lr=1e-2, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.05)
ours, our_losses = train(lambda p: AdamW(p, **settings))
ref, ref_losses = train(lambda p: torch.optim.AdamW(p, foreach=False, **settings))
rel = max(((a - b).norm() / b.norm()).item() for a, b in zip(ours.parameters(), ref.parameters()))
assert rel <= 1e-6
print(f"after 200 steps: largest relative difference of a weight tensor <= 1e-6: {rel <= 1e-6}")
print(f"loss: {our_losses[0]:.3f} -> {our_losses[-1]:.3f} (ours), "
      f"{ref_losses[0]:.3f} -> {ref_losses[-1]:.3f} (torch)")

# %%
fig, ax = plt.subplots(figsize=(6, 3.2))
ax.plot(our_losses, label="bert_core.optim.AdamW", linewidth=3, alpha=0.6)
ax.plot(ref_losses, label="torch.optim.AdamW", linestyle="--", color="black")
ax.set_xlabel("step")
ax.set_ylabel("training loss (MSE)")
ax.set_yscale("log")
ax.legend()
plots.save_figure(fig, "03_parity_with_torch", profile.name)
plt.show()

# %% [markdown]
# ## 5. The same step for every tensor at once
#
# The loop in `AdamW.step` makes eight small operations per parameter tensor: for MiniLM's
# encoder, about a hundred tensors, so some eight hundred calls into PyTorch a step, each
# with its own dispatch and its own pass over memory. `AdamW(..., foreach=True)` writes
# the same update with PyTorch's multi-tensor operations (`torch._foreach_mul_`,
# `_foreach_lerp_`, `_foreach_addcmul_`, ...), each of which takes the whole list of
# tensors: one call per line of the update rule. Same arithmetic, same order, so the
# same numbers, not merely close ones (`torch.equal`). The training loop uses this form;
# the loop is the one to read.

# %%
# NBVAL_CHECK_OUTPUT
loop_net, _ = train(lambda p: AdamW(p, **settings))
multi_net, _ = train(lambda p: AdamW(p, foreach=True, **settings))
print("identical after 200 steps:",
      all(torch.equal(a, b) for a, b in zip(loop_net.parameters(), multi_net.parameters())))

# %% [markdown]
# What it saves, on tensors of the shapes of MiniLM's six encoder layers (width 384; the
# seconds depend on your machine, so this cell's output is not checked).
# On a CPU, expect little: PyTorch's CPU build runs a multi-tensor operation as a loop
# over the same per-tensor kernels, and each line of the update reads and writes every one
# of the 10.6M numbers of θ, m, v or the gradient anyway. The multi-tensor operations are
# made for GPUs, where each is one kernel launch instead of one per tensor.

# %%
# NBVAL_IGNORE_OUTPUT
shapes = [p.shape for p in BertModel.from_pretrained("minilm-l6").bert_layers.parameters()]
for foreach in (False, True):
    params = [torch.zeros(shape, requires_grad=True) for shape in shapes]
    for p in params:
        p.grad = torch.randn(p.shape)
    opt = AdamW(params, lr=1e-4, foreach=foreach)
    opt.step()  # the first step creates the state
    start = time.perf_counter()
    for _ in range(20):
        opt.step()
    seconds = (time.perf_counter() - start) / 20
    print(f"foreach={foreach!s:5}  {len(params)} tensors, {sum(p.numel() for p in params) / 1e6:.1f}M "
          f"parameters: {1e3 * seconds:.1f} ms a step")

# %% [markdown]
# ## Summary
#
# - AdamW keeps running means of the gradient and its square and steps by their ratio:
#   about η per coordinate, whatever the gradient's scale.
# - Bias correction undoes the zero start of m and v; without it, early steps are off.
# - Weight decay applied to θ directly (decoupled) keeps its strength; as L2 through the
#   gradient, Adam's normalisation cancels it.
# - Our AdamW matches torch's to float rounding over 200 steps.
# - `foreach=True` runs the same update as one multi-tensor operation per line of the rule
#   over all tensors: the same numbers, fewer calls (on a CPU they run as loops over the
#   per-tensor kernels, so it saves little); the training loop uses it.
#
# ## Exercises
#
# Worked solutions, to open after trying: [`solutions/03_adamw_solutions.ipynb`](solutions/03_adamw_solutions.ipynb).
#
# 1. Set `correct_bias=False` in section 2's loop and print the first ten step sizes
#    $|\Delta\theta|$. How far off are they from η?
# 2. The course handout's "efficient" form folds the bias corrections into the step
#    size: $\alpha_t = \eta\sqrt{1-\beta_2^t}/(1-\beta_1^t)$, with ε added to $\sqrt{v_t}$.
#    How does it differ from ours, and when does the difference matter?
# 3. Fine-tuning usually excludes biases and LayerNorm weights from weight decay. Write
#    the two parameter groups for a `BertModel`.
#
# ## Further reading
#
# - Kingma and Ba 2015, "Adam: A Method for Stochastic Optimization", Algorithm 1.
# - Loshchilov and Hutter 2019, "Decoupled Weight Decay Regularization".
