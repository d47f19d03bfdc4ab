"""Data-parallel training over several processes (``torchrun``), equal to one process.

N processes (ranks) each hold a full copy of the model. Every rank reads all the data and
draws the same global batch of every task from the same sampler stream (the streams are
pure functions of the seed and the step, ``bert_core.training.sampling``); rank r keeps
its contiguous shard of n_r of the batch's B examples. The one-process loss of a task is
the batch mean L = (1/B) Σ_i ℓ_i = Σ_r (n_r / B) L_r, with L_r the mean over rank r's shard.
Each rank builds the *global* L as a tensor whose value is L and whose gradient reaches
only its own shard (``World.global_mean``):

    L̂_r = (n_r / B) L_r  +  stop_gradient(L - (n_r / B) L_r)          (L by an all-reduce)

so that for any function f of the per-task losses (a task weight, DWA's weights, the
squared loss, SMART's added penalties) ∇f(L̂_r) = f'(L) (n_r / B) ∇L_r, and the *sum* of
the ranks' gradients (one all-reduce, ``World.sync_gradients``) is f'(L) ∇L: the
one-process gradient. Every rank then takes the same AdamW step, so the weights stay
equal without being sent again. That sum is what DistributedDataParallel's all-reduce
computes too (it averages, over loss means of equal shards); we do it by hand because a
training step here makes several forward passes (one per task, SMART's extra ones) and
PCGrad needs each task's gradient summed across ranks *before* it projects
(``bert_core.training.pcgrad``: Yu et al.'s rule on the global per-task gradients, not
on each rank's), which the module wrapper does not expose.

What is not a per-example mean does not shard: the ranking loss's in-batch negatives are
the whole batch, so its source is marked ``shardable=False`` and every rank computes the
whole batch with weight 1/N (the same gradient, computed N times).

Random numbers. SMART's random start is drawn per example (``smart.example_noise``), so it
does not depend on the split. Dropout does: under N > 1 each rank's generator is reseeded
every step from (seed, step, rank) (``step_seed``), so ranks draw different masks and a
resumed job draws the same ones; a run with dropout matches the one-process run in
distribution, one without dropout to float tolerance (``tests/training/test_distributed.py``).

Launch: ``torchrun --nproc_per_node N -m bert_core.train PRESET``; the command line calls
``init_from_env`` (gloo on CPU, NCCL on CUDA, one GPU per rank by ``LOCAL_RANK``). Rank 0
alone evaluates, checkpoints and writes results; a checkpoint holds no per-rank state, so
a job resumes under any number of processes. ``run_in_processes`` starts N local ranks
without torchrun (the tests, notebook 13).
"""

from __future__ import annotations

import os
import socket
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
import torch.distributed as dist
from torch import Tensor, nn

__all__ = ["World", "SINGLE", "current_world", "init_from_env", "step_seed", "run_in_processes"]

T = TypeVar("T")


@dataclass(frozen=True)
class World:
    """This process's place among the training processes: its ``rank`` of ``size``.
    ``SINGLE`` (rank 0 of 1) makes every method a no-op that returns its input."""

    rank: int = 0
    size: int = 1

    @property
    def is_main(self) -> bool:
        """Rank 0: the one that evaluates, checkpoints and writes results."""
        return self.rank == 0

    def shard(self, batch: Sequence[T], shardable: bool = True) -> tuple[list[T], float]:
        """This rank's examples of a global batch and its weight n_r / B. Contiguous shards,
        sizes differing by at most one. A rank left with no example (a batch smaller than the
        world) computes the first one at weight 0, so that every rank makes the same
        collective calls. ``shardable=False``: the whole batch at weight 1 / size."""
        if self.size == 1:
            return list(batch), 1.0
        if not shardable:
            return list(batch), 1.0 / self.size
        n = len(batch)
        start, stop = self.rank * n // self.size, (self.rank + 1) * n // self.size
        if start == stop:
            return list(batch[:1]), 0.0
        return list(batch[start:stop]), (stop - start) / n

    def global_mean(self, local: Tensor, weight: float) -> Tensor:
        """L̂ = weight · local + stop_gradient(L - weight · local), with L = Σ_ranks weight ·
        local (one all-reduce): the global batch mean in value, this rank's share in gradient."""
        if self.size == 1:
            return local
        mine = local * weight
        total = mine.detach().clone()
        dist.all_reduce(total)
        return mine + (total - mine.detach())

    def all_reduce_(self, tensor: Tensor) -> Tensor:
        """Sum ``tensor`` across the ranks, in place."""
        if self.size > 1:
            dist.all_reduce(tensor)
        return tensor

    def sync_gradients(self, parameters: Iterable[nn.Parameter]) -> None:
        """Sum the gradients of ``parameters`` across the ranks: one all-reduce of one flat
        buffer. A parameter without a gradient on a rank counts as zeros there; one that no
        rank gave a gradient keeps none, so AdamW skips it as it does in one process (a
        zero gradient would still decay it and count a step)."""
        if self.size == 1:
            return
        params = [p for p in parameters if p.requires_grad]
        if not params:
            return
        device = params[0].device
        has_grad = torch.tensor([float(p.grad is not None) for p in params], device=device)
        flat = torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1).float()
                          for p in params] + [has_grad])
        dist.all_reduce(flat)
        offset, flags = 0, flat[-len(params):].tolist()
        for p, flag in zip(params, flags):
            p.grad = flat[offset:offset + p.numel()].view_as(p).to(p.dtype) if flag > 0 else None
            offset += p.numel()

    def broadcast(self, value: T) -> T:
        """Rank 0's ``value`` on every rank (any picklable object)."""
        if self.size == 1:
            return value
        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def broadcast_parameters(self, module: nn.Module) -> None:
        """Rank 0's parameters and buffers on every rank (the start of a job: equal by
        construction, made certain as DistributedDataParallel does)."""
        if self.size == 1:
            return
        with torch.no_grad():
            for tensor in [*module.parameters(), *module.buffers()]:
                dist.broadcast(tensor.data, src=0)

    def barrier(self) -> None:
        if self.size > 1:
            dist.barrier()


SINGLE = World()


def current_world() -> World:
    """The world of the initialised process group, else ``SINGLE``."""
    if dist.is_available() and dist.is_initialized():
        return World(dist.get_rank(), dist.get_world_size())
    return SINGLE


def init_from_env() -> World:
    """Join the process group that ``torchrun`` describes (``RANK``, ``WORLD_SIZE``,
    ``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``): NCCL with one GPU per rank by local
    rank when CUDA is available, else gloo. Without ``WORLD_SIZE`` > 1: ``SINGLE``."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size <= 1:
        return SINGLE
    if not dist.is_initialized():
        if torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
            dist.init_process_group("nccl")
        else:
            dist.init_process_group("gloo")
    return current_world()


def step_seed(seed: int, step: int, rank: int) -> int:
    """The seed of rank ``rank``'s generator at global step ``step`` under N > 1."""
    return zlib.crc32(f"{seed}/dropout/{step}/{rank}".encode())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, size: int, port: int, fn: Callable[..., Any], args: tuple[Any, ...],
            results: Any) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      WORLD_SIZE=str(size), LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=size)
    try:
        out = fn(*args)
        results.put((rank, out))
    finally:
        dist.destroy_process_group()


def run_in_processes(size: int, fn: Callable[..., T], *args: Any) -> list[T]:
    """``fn(*args)`` in ``size`` fresh local processes joined in a gloo group (one CPU thread
    each), as ``torchrun --nproc_per_node size`` would start them; each rank's return value,
    by rank. ``fn`` and ``args`` must pickle (a module-level function)."""
    import torch.multiprocessing as mp

    context = mp.get_context("spawn")
    results = context.SimpleQueue()
    mp.start_processes(_worker, args=(size, _free_port(), fn, args, results), nprocs=size,
                       start_method="spawn", join=True)
    out: dict[int, Any] = {}
    while not results.empty():
        rank, value = results.get()
        out[rank] = value
    return [out[r] for r in range(size)]
