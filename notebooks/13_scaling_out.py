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
# # 13 · Beyond one CPU: GPUs, bf16, and several processes at once
#
# **What you'll do:** split a batch across processes and prove, with two real processes
# on this machine, that they end with the weights one process ends with, PCGrad
# included; see why PCGrad must sum the processes' per-task gradients *before* it
# projects; count a training step's FLOPs and read a benchmark's throughput and model
# FLOPs utilisation; and find the commands for one GPU, a machine of several GPUs, and a
# cluster.
#
# **What you'll learn:** what data parallelism all-reduces and why the sum of the
# processes' gradients is the one-process gradient; which parts of a method survive the
# split unchanged (per-example means) and which need care (in-batch negatives, a
# projection, random draws); why bf16 needs no loss scaling; how batch size and learning
# rate go together when you add GPUs.
#
# **What you'll need:** notebooks 05 (the training loop), 08 (SMART) and 09 (PCGrad).
# `bert_core.training.distributed`, `bert_core.device`, `bert_core.bert.flops`,
# `benchmarks/bench_throughput.py`.

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

import pandas as pd
import torch
from safetensors.torch import load_file

from bert_core.bert.config import BertConfig
from bert_core.bert.flops import PEAK_TFLOPS, training_flops
from bert_core.bert.model import BertModel
from bert_core.course.notebook import setup, show_source, versions
from bert_core.device import autocast_for, compute_dtype
from bert_core.experiments import make_config
from bert_core.files import PROJECT_ROOT, temporary_runs
from bert_core.multitask.data import sample_data_dir
from bert_core.training.distributed import World, run_in_processes
from bert_core.training.loop import train_run
from bert_core.training.pcgrad import project_conflicting
from bert_core.training.run_folder import run_dir
from bert_core.training.smart_terms import example_noise

profile = setup(seed=0)
print(profile)

# %%
# NBVAL_IGNORE_OUTPUT
print(versions())

# %% [markdown]
# ## 1. One global batch, N shards
#
# Data parallelism keeps a full copy of the model in each of N processes (ranks) and
# gives each a part of every batch. Here every rank reads all the data and draws the
# *same* global batch of B examples from the same sampler stream (notebook 05: the order
# is a function of the seed and the step), then keeps its contiguous shard of n_r
# examples. `batch_size` stays the global batch: a run's data order does not depend on
# how many processes share it.

# %%
# NBVAL_CHECK_OUTPUT
batch = [f"ex{i}" for i in range(8)]
pd.DataFrame({f"rank {r} of 3": World(r, 3).shard(batch) for r in range(3)}, index=["examples", "n_r / B"]).T

# %% [markdown]
# A rank whose shard would be empty (a last batch smaller than the world) computes the
# first example at weight 0, so that every rank still makes the same collective calls:

# %%
# NBVAL_CHECK_OUTPUT
pd.DataFrame({f"rank {r} of 3": World(r, 3).shard(batch[:2]) for r in range(3)}, index=["examples", "n_r / B"]).T

# %% [markdown]
# ## 2. Why the sum of the gradients is the one-process gradient
#
# A task's loss is a mean over the batch, L = (1/B) Σᵢ ℓᵢ = Σ_r (n_r/B) L_r, where L_r is
# the mean over rank r's shard. So ∇L = Σ_r (n_r/B) ∇L_r: each rank back-propagates its
# share, one all-reduce sums the gradients, and every rank takes the same AdamW step.
# Nothing else is sent: the weights stay equal because the updates are.
#
# The loop does more than that, because our losses are not always used as they are: DWA
# weighs them by their history, report 003's squared loss squares them, SMART adds
# penalties. Each rank therefore builds the *global* loss as a tensor whose value is L
# (one all-reduce of a number) and whose gradient reaches only its own shard:

# %%
# NBVAL_CHECK_OUTPUT
show_source(World.global_mean)

# %% [markdown]
# For any function f of the per-task losses, ∇f(L̂_r) = f′(L) (n_r/B) ∇L_r, and the
# sum over the ranks is f′(L) ∇L: the one-process gradient of f. The gradients are then
# summed in one flat buffer:

# %%
# NBVAL_CHECK_OUTPUT
show_source(World.sync_gradients)

# %% [markdown]
# PyTorch's `DistributedDataParallel` wrapper does the same sum (it averages, over
# equal shards), overlapped with the backward pass in buckets. We do it by hand, once
# per step, for two reasons: a step here makes several forward passes (one per task,
# SMART's extra ones), and PCGrad needs something the wrapper does not give (section 4).
#
# Two things are not per-example means, and the library says so in the source:
#
# - the ranking loss (notebook 06) uses the other pairs of the batch as negatives, so a
#   shard would change the loss; its source is marked `shardable=False` and every rank
#   computes the whole batch at weight 1/N (the same gradient, computed N times);
# - random draws. SMART's random start is drawn per example from (seed, epoch, task,
#   example id), so a split batch starts from the same points (notebook 08):

# %%
# NBVAL_CHECK_OUTPUT
mask = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0]])
both = example_noise(["sst:17", "sst:42"], mask, 3)
alone = example_noise(["sst:42"], torch.tensor([[1, 1]]), 3)  # another batch, other padding
print("example 42's start, in a batch of two and alone, equal:", torch.equal(both[1, :2], alone[0]))

# %% [markdown]
# Dropout cannot be drawn per example without rewriting every layer, so under N > 1
# each rank reseeds its generator every step from (seed, step, rank): different masks on
# different ranks (as one process would draw different masks for different rows), the
# same ones after a resume. A run with dropout therefore matches the one-process run in
# distribution; a run without dropout matches it to float rounding.
#
# ## 3. Two processes against one, on this machine
#
# `run_in_processes` starts N local processes in a gloo group, as `torchrun` would, and
# runs a function in each. We train the same small config (PCGrad on, every dropout off)
# once in this process and once in two, and compare the final weights. (The config is
# tiny and reads the sample set the package ships, in every profile: this is a check of
# the arithmetic, not a result, and it prints the same everywhere. Both runs train in a
# temporary runs folder that goes away after the cell, so running the cell again trains
# them again from scratch.)

# %%
demo = dict(train_limit=32, dev_limit=16, epochs=1, batch_size=8, max_length=64, predict_test=False,
            finetune_lr=1e-4, scheduler="constant", warmup_steps=0, pcgrad=True, hidden_dropout=0.0, attention_dropout=0.0, head_dropout=0.0, eval_batch_size=32)
one = make_config("scaling-one-process", profile.name, **demo)
two = make_config("scaling-two-processes", profile.name, **demo)
with temporary_runs():
    alone = train_run(one, 0, sample_data_dir(), progress=False)
    together = run_in_processes(2, train_run, two, 0, sample_data_dir(), "cpu", True, False)
    weights_one = load_file(str(run_dir(one, 0) / "last.safetensors"))
    weights_two = load_file(str(run_dir(two, 0) / "last.safetensors"))

# %%
# NBVAL_CHECK_OUTPUT
largest = max((weights_one[k] - weights_two[k]).abs().max().item() for k in weights_one)
start = BertModel.from_pretrained(profile.checkpoint).state_dict()  # the encoder before training
moved = max((weights_one[f"bert.{k}"] - w).abs().max().item() for k, w in start.items())
print(f"rank 1 returned {together[1]}; rank 0's record has world_size {together[0]['world_size']}")
print("training moved the encoder's weights by more than 1e-4:", moved > 1e-4)
print("the two runs' weights differ by less than 1% of that:", largest < 0.01 * moved)

# %%
# NBVAL_IGNORE_OUTPUT
print(f"largest difference {largest:.1e}; largest change by training {moved:.1e}")
print(f"seconds: one process {alone['wall_seconds']}, two processes {together[0]['wall_seconds']} "
      "(a toy: starting processes and all-reducing cost more than its few steps)")

# %% [markdown]
# ## 4. PCGrad under data parallelism: sum first, then project
#
# PCGrad (notebook 09) is defined on each task's gradient of the *whole batch*,
# gᵢ = Σ_r gᵢʳ. Its projection is not linear in g: projecting each rank's gᵢʳ and
# summing the results is another algorithm. Two ranks, three tasks, random gradients of
# 10 parameters (few dimensions, so that they conflict often; notebook 09 measures how
# often real ones do):

# %%
# NBVAL_CHECK_OUTPUT
generator = torch.Generator().manual_seed(0)
per_rank = [torch.randn(3, 10, generator=generator) for _ in range(2)]  # [task, parameter] per rank
summed_first = torch.stack(project_conflicting(list(per_rank[0] + per_rank[1]),
                                               torch.Generator().manual_seed(1))).sum(0)
projected_first = sum(torch.stack(project_conflicting(list(g), torch.Generator().manual_seed(1))).sum(0)
                      for g in per_rank)
cosine = torch.nn.functional.cosine_similarity(summed_first, projected_first, dim=0).item()
print(f"the two updates differ: relative distance "
      f"{((summed_first - projected_first).norm() / summed_first.norm()).item():.2f}, cosine {cosine:.2f}")

# %% [markdown]
# So `GradientSurgery` all-reduces the T × P matrix of per-task gradients (T buffers
# instead of one: the price of PCGrad under data parallelism), then every rank computes
# the same projection of the sums; the heads' own gradients are summed after it. The
# run of section 3 had PCGrad on, and matched one process.

# %% [markdown]
# ## 5. The GPU path: bf16, fused attention, compile
#
# On CUDA the forward passes run under bf16 autocast (`precision="auto"`; `"bf16"` or
# `"fp32"` ask for one everywhere). The weights, AdamW's moments and the reductions
# autocast keeps in float32 (softmax, layer norm, the losses) stay float32: bf16 is the
# compute type, float32 the master copy.
#
# Why no loss scaling? fp16 has a 5-bit exponent: anything below about 6e-8 becomes 0,
# and small gradients vanish unless the loss is multiplied up first. bf16 keeps
# float32's 8-bit exponent and drops mantissa bits instead: its smallest normal number is
# float32's, about 1e-38, so gradients do not underflow; what it loses is precision
# (about 3 significant digits), which the float32 master weights absorb.

# %%
# NBVAL_CHECK_OUTPUT
rows = {}
for dtype in (torch.float16, torch.bfloat16, torch.float32):
    info = torch.finfo(dtype)
    rows[str(dtype).replace("torch.", "")] = {"smallest normal": f"{info.tiny:.1e}", "largest": f"{info.max:.1e}",
                                              "relative precision": f"{info.eps:.1e}",
                                              "1e-9 survives": bool(torch.tensor(1e-9, dtype=dtype) != 0)}
pd.DataFrame(rows).T

# %%
# NBVAL_CHECK_OUTPUT
print("compute dtype, auto:", {d: str(compute_dtype(d)) for d in ("cpu", "cuda")})
with autocast_for("cpu", "bf16"):
    print("under bf16 autocast on a CPU, a matrix product is",
          torch.nn.functional.linear(torch.ones(2, 3), torch.ones(4, 3)).dtype)

# %% [markdown]
# Attention goes through `scaled_dot_product_attention` (notebook 02), which picks
# FlashAttention or memory-efficient kernels on a GPU. `compile=True` traces the encoder
# with `torch.compile` (dynamic shapes: every batch has its own padded length); the
# first steps pay for compilation (about a minute even on a CPU), so it is for long GPU
# runs. It keeps the eager model's dropout draws (inductor's `fallback_random`; left to
# itself, inductor draws its own random numbers), so a compiled run computes what the
# eager one does, to float rounding, and shares its config hash. Batches are copied to the GPU from pinned memory without blocking
# (`bert_core.device.to_device`). A run on CUDA records the allocator's peak memory.
#
# ## 6. How fast, and how close to the hardware's limit
#
# A training step costs about 3 × the forward pass's matrix products (backward computes
# two products for every one of the forward: the input's gradient and the weights').
# Model FLOPs utilisation (MFU, from the PaLM paper) divides the FLOPs the model needs by
# the time taken and by the device's peak:

# %%
# NBVAL_CHECK_OUTPUT
base = BertConfig()  # bert-base's sizes
flops = training_flops(base, 32, 128)
print(f"bert-base, a training step on 32 x 128 tokens: {flops / 1e12:.2f} TFLOP")
print(f"at 40% MFU on an H100 or H200 (bf16 peak {PEAK_TFLOPS['H100']['bf16']:.0f} TFLOPS): "
      f"{flops / (0.4 * PEAK_TFLOPS['H100']['bf16'] * 1e12) * 1e3:.1f} ms a step")

# %% [markdown]
# `benchmarks/bench_throughput.py` measures minBERT against transformers' `BertModel`
# with the same random weights, in fp32 and bf16, on whatever device it runs. The
# figures committed so far:

# %%
# NBVAL_IGNORE_OUTPUT
benchmarks = sorted((PROJECT_ROOT / "benchmarks" / "results").glob("bench_throughput-*.json"))
table = []
for path in benchmarks:
    run = json.loads(path.read_text())
    for dtype, models in run["results"].items():
        for model, figures in models.items():
            if "mfu" in figures:
                table.append({"device": run["device"], "model": run["model"].split(" (")[0], "batch": run["batch"],
                              "dtype": dtype, "implementation": model, "sequences/s": figures["sequences_per_second"],
                              "MFU": figures["mfu"]})
pd.DataFrame(table) if table else print("no benchmark results yet: run benchmarks/bench_throughput.py")

# %% [markdown]
# No GPU has been available to this project yet, so there is no GPU row: the command
# for one is in the next section. On a CPU without AVX-512 BF16 or AMX, bf16 is slower
# than fp32 (the products are converted, not computed natively), which is why `auto`
# keeps fp32 there.
#
# ## 7. Launching
#
# **One GPU.** The `gpu` profile has the reports' settings: `bert-base-uncased`,
# batch 32, lr 1e-5, 10 epochs, dropout 0.3 before each head:
#
#     BERT_CORE_DATA=/path/to/data python -m bert_core.train headline --profile gpu
#
# **Several GPUs on one machine.** One process per GPU; `batch_size` stays the global
# batch, so 4 GPUs with batch 32 give each GPU 8 examples and the same run as one GPU:
#
#     torchrun --standalone --nproc_per_node 4 -m bert_core.train headline --profile gpu
#
# **A cluster.** The same command on every node, with a rendezvous that names the job
# and one node's address (here under SLURM, one task per node):
#
#     srun --nodes 2 --ntasks-per-node 1 torchrun --nnodes 2 --nproc_per_node 8 \
#         --rdzv_id $SLURM_JOB_ID --rdzv_backend c10d \
#         --rdzv_endpoint $(scontrol show hostnames $SLURM_JOB_NODELIST | head -n 1):29500 \
#         -m bert_core.train headline --profile gpu
#
# Rank 0 alone evaluates, checkpoints and stores the result; a checkpoint holds no
# per-process state, so a killed job resumes under any number of processes (the
# dropout masks then differ from the ones an uninterrupted job would have drawn).
#
# **Batch and learning rate.** More GPUs at the same global batch only make each step
# faster, until each GPU's share is too small to keep it busy. To use them fully, raise
# the global batch, and the learning rate with it: linearly for SGD (Goyal et al. 2017,
# "Accurate, Large Minibatch SGD", with a warm-up), by the square root of the factor for
# Adam-type optimisers (Malladi et al. 2022, "On the SDEs and Scaling Rules for Adaptive
# Gradient Algorithms"). For the reports' 32 → 128: lr 1e-5 → 2e-5, and a warm-up.
# Then check on the dev set: a scaling rule is a starting point, not a result.
#
# ## Summary
#
# - Data parallelism splits one global batch into N shards; averaging the shards'
#   gradients gives the one-process gradient, so N processes at the same global batch
#   train the same run (section 3 measured it: the weights agree to rounding).
# - Anything that mixes the whole batch (PCGrad's projection, a ranking loss over the
#   batch) must see the summed gradients or all the embeddings: project after the
#   all-reduce, not per rank (section 4).
# - On a GPU, bf16 autocast and the fused attention kernel are where the speed is; on a
#   CPU without bf16 units, fp32 is faster, and the profile picks it.
# - A training step costs about three forward passes of matrix products; MFU divides
#   what the model needs by what the device could do, and says how much is left.
# - More GPUs at a fixed global batch only shorten each step; a larger batch needs a
#   larger learning rate and a warm-up, then a check on dev.
#
# ## Exercises
#
# Worked solutions, to open after trying: [`solutions/13_scaling_out_solutions.ipynb`](solutions/13_scaling_out_solutions.ipynb).
#
# 1. Run section 3 with `hidden_dropout=0.1`. How far apart are the weights now, and
#    is that farther than two one-process runs with different seeds?
# 2. Run section 3 with `sts_loss="mnr_then_mse"`. The ranking loss is computed on the
#    whole batch by both ranks: what does that cost, and how would you shard it instead?
#    (Hint: each rank encodes its shard, `torch.distributed.all_gather` collects every
#    rank's embeddings, and each rank scores its own pairs against the whole batch.)
# 3. In section 4, make the three tasks' gradients agree (no negative dot product).
#    Does projecting per rank still differ from projecting the sum? Why?
# 4. With a GPU: run `python benchmarks/bench_throughput.py --model bert-base --batch 32
#    --length 128` and compare minBERT's MFU with transformers'. Then try `compile=True`.
#
# ## Further reading
#
# - Li et al. (2020), *PyTorch Distributed: Experiences on Accelerating Data Parallel
#   Training*: how DistributedDataParallel buckets and overlaps the all-reduce.
# - Goyal et al. (2017), *Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour*:
#   the linear scaling rule and warm-up.
# - Malladi et al. (2022), *On the SDEs and Scaling Rules for Adaptive Gradient
#   Algorithms*: the square-root rule for Adam.
# - Chowdhery et al. (2022), *PaLM*, appendix B: model FLOPs utilisation.
# - Dao et al. (2022), *FlashAttention*: why the fused attention kernel is faster.
