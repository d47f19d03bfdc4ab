"""Task adapters: a few task-specific parameters inside or above one shared BERT.

Report 003 ("Multi-BERT: Projected Attention", section 4) compares four ways to give each
task t its own parameters while the encoder stays shared; any combination is one
``adapters`` string (``"low_rank+top"``, report 003's best)::

    pal        P_t^l(h) = V_D^t MH_t^l(V_E^t h)       in parallel with every layer l
    low_rank   P_t^l(h) = V_D^{t,l} V_E^{t,l} h       in parallel (the attention replaced by I)
    houlsby    S(z) = z + V_D GELU(V_E z)             in series, twice a layer
    top        a BERT layer of task t above the shared stack (before the pooler)

``V_E`` projects the hidden size d_m down to d_s, ``V_D`` back up. Where the branches go
(``bert.layers``)::

    a = LN(h + S_1(Drop(W_o MH(h))))
    y = LN(a + S_2(Drop(W_2 GELU(W_1 a))) + P_t(h))

A parallel branch reads the layer's *input* h and is added inside the feed-forward
residual, before that residual's LayerNorm (Stickland and Murray 2019, "BERT and PALs",
section 3, and their code; never after the LayerNorm). For PAL, V_E^t and V_D^t are
shared by all layers of task t and each layer has its own attention in d_s dimensions:
``adapter_heads`` heads (6 in Stickland and Murray's code), queries, keys and values but
no output matrix. The Houlsby adapter (Houlsby et al. 2019, section 2.1) sits after each
sublayer's projection, before the residual sum; when the encoder is frozen, the paper
also trains the layer norms (``MultitaskBERT`` does).

At the start every branch is the identity: each ``V_D`` is zero (weights and bias), so
P_t = 0 and S(z) = z and the model computes exactly what the plain model computes. The
top layer starts as a copy of the encoder's last layer (a pretrained layer, rather than
a random one, on top of pretrained features), so it does change the outputs.

Parameters (report 003, Table 1, weights only, T tasks, L layers)::

    pal        T (2 d_m d_s + L 3 d_s²)
    low_rank   T L 2 d_m d_s
    houlsby    T L 4 d_m d_s
    top        T 12 d_m²              (with d_ff = 4 d_m)

``formula_parameters`` gives these and ``count_parameters`` what the modules hold, biases
and (for ``top``) layer norms included. Differences from the references, on purpose:
Stickland and Murray's code ends the PAL and low-rank branches with a GELU and puts one
inside the low-rank one; report 003's formulas have none, and we follow the report.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch.nn.functional as F
from torch import Tensor, nn

from bert_core.bert.attention import fused_scaled_dot_product
from bert_core.bert.config import BertConfig
from bert_core.bert.layers import BertLayer, LayerAdapters
from bert_core.bert.model import EncoderAdapters

__all__ = ["ADAPTERS", "REPORT_RATIO", "adapter_methods", "adapter_size", "formula_parameters",
           "count_parameters", "parameter_rows", "ProjectedAttention", "TaskAdapters"]

ADAPTERS = ("pal", "low_rank", "houlsby", "top")
# d_s = 204 for BERT-base's d_m = 768 (report 003, section 5; Stickland and Murray): the same
# ratio on a smaller encoder (MiniLM's 384 -> 102)
REPORT_RATIO = 204 / 768


def adapter_methods(adapters: str | None) -> tuple[str, ...]:
    """``"low_rank+top"`` -> ``("low_rank", "top")``; None -> ``()``. Unknown or repeated
    parts are an error that names the choices."""
    if adapters is None:
        return ()
    parts = tuple(part.strip() for part in adapters.split("+"))
    unknown = [p for p in parts if p not in ADAPTERS]
    if unknown or len(set(parts)) != len(parts):
        raise ValueError(f"adapters={adapters!r}: join distinct methods of {list(ADAPTERS)} with '+', "
                         "e.g. 'low_rank+top'")
    return parts


def adapter_size(hidden_size: int, size: int | None = None, heads: int = 6) -> int:
    """d_s: ``size``, or the report's ratio of ``hidden_size`` rounded to a multiple of
    ``heads`` (PAL splits d_s among its heads)."""
    if size is None:
        size = max(heads, round(hidden_size * REPORT_RATIO / heads) * heads)
    if size % heads:
        raise ValueError(f"adapter_size {size} must be a multiple of adapter_heads {heads}")
    return size


def formula_parameters(method: str, hidden_size: int, layers: int, size: int, tasks: int) -> int:
    """Report 003's Table 1: the weights a method adds (no biases, no layer norms)."""
    d_m, d_s, T, L = hidden_size, size, tasks, layers
    return {"pal": T * (2 * d_m * d_s + L * 3 * d_s ** 2), "low_rank": T * L * 2 * d_m * d_s,
            "houlsby": T * L * 4 * d_m * d_s, "top": T * 12 * d_m ** 2}[method]


def count_parameters(method: str, config: BertConfig, size: int, tasks: int) -> dict[str, int]:
    """What our modules of ``method`` hold for ``tasks`` tasks on an encoder of ``config``:
    ``weights`` (the matrices the formula counts) and ``total`` (biases and layer norms too)."""
    d_m, d_s, T, L, d_ff = config.hidden_size, size, tasks, config.num_hidden_layers, config.intermediate_size
    biases = {"pal": T * (d_s + d_m + L * 3 * d_s), "low_rank": T * L * (d_s + d_m),
              "houlsby": T * L * 2 * (d_s + d_m)}
    if method in biases:  # the formula counts exactly these modules' matrices
        weights = formula_parameters(method, d_m, L, d_s, T)
        return {"weights": weights, "total": weights + biases[method]}
    weights = T * (4 * d_m ** 2 + 2 * d_m * d_ff)  # the formula's 12 d_m² assumes d_ff = 4 d_m
    return {"weights": weights, "total": weights + T * (4 * d_m + d_ff + d_m + 2 * 2 * d_m)}


def parameter_rows(configs: dict[str, BertConfig], tasks: int = 3) -> list[dict[str, object]]:
    """Per encoder and method: d_s, report 003's formula, our modules' weights and total, and
    the total as a share of the encoder's own parameters (embeddings excluded)."""
    rows = []
    for name, config in configs.items():
        size = adapter_size(config.hidden_size)
        d_m, d_ff = config.hidden_size, config.intermediate_size
        layer = 4 * d_m * d_m + 2 * d_m * d_ff + 4 * d_m + d_ff + d_m + 4 * d_m
        encoder = config.num_hidden_layers * layer
        for method in ADAPTERS:
            counted = count_parameters(method, config, size, tasks)
            formula = formula_parameters(method, d_m, config.num_hidden_layers, size, tasks)
            rows.append({"encoder": name, "method": method, "d_s": size, "Table 1 formula": formula,
                         "our weights": counted["weights"], "our total": counted["total"],
                         "share of the layers": round(counted["total"] / encoder, 3)})
    return rows


def _bottleneck(hidden: int, size: int, std: float) -> nn.ModuleDict:
    """V_E (N(0, std²), bias 0) and V_D (all zeros: the branch starts at 0)."""
    down, up = nn.Linear(hidden, size), nn.Linear(size, hidden)
    nn.init.normal_(down.weight, 0.0, std)
    nn.init.zeros_(down.bias)
    nn.init.zeros_(up.weight)
    nn.init.zeros_(up.bias)
    return nn.ModuleDict({"down": down, "up": up})


class ProjectedAttention(nn.Module):
    """Multi-head self-attention in the adapter's d_s dimensions: queries, keys, values and
    the softmax, no output matrix (PAL's MH; Stickland and Murray 2019)."""

    def __init__(self, size: int, heads: int, dropout: float, std: float):
        super().__init__()
        self.heads = heads
        self.dropout = dropout
        self.query, self.key, self.value = (nn.Linear(size, size) for _ in range(3))
        for linear in (self.query, self.key, self.value):
            nn.init.normal_(linear.weight, 0.0, std)
            nn.init.zeros_(linear.bias)

    def forward(self, x: Tensor, attention_mask: Tensor) -> Tensor:
        B, T, S = x.shape

        def split(linear: nn.Linear) -> Tensor:
            return linear(x).view(B, T, self.heads, S // self.heads).transpose(1, 2)  # (B, H, T, S/H)

        out = fused_scaled_dot_product(split(self.query), split(self.key), split(self.value), attention_mask,
                                       self.dropout, self.training)
        return out.transpose(1, 2).reshape(B, T, S)


class TaskAdapters(nn.Module):
    """Every task's adapters for one encoder; ``for_task(t)`` is what one call of the
    encoder for task t plugs in (``BertModel.forward(adapters=...)``)."""

    def __init__(self, methods: Sequence[str], config: BertConfig, tasks: Sequence[str], size: int,
                 heads: int = 6, last_layer: BertLayer | None = None):
        super().__init__()
        self.methods = tuple(methods)
        self.tasks = tuple(tasks)
        self.size = size
        d_m, L, std = config.hidden_size, config.num_hidden_layers, config.initializer_range
        if "pal" in self.methods:
            self.pal = nn.ModuleDict({t: _bottleneck(d_m, size, std) for t in self.tasks})
            self.pal_attention = nn.ModuleList(
                nn.ModuleDict({t: ProjectedAttention(size, heads, config.attention_probs_dropout_prob, std)
                               for t in self.tasks}) for _ in range(L))
        if "low_rank" in self.methods:
            self.low_rank = nn.ModuleList(nn.ModuleDict({t: _bottleneck(d_m, size, std) for t in self.tasks})
                                          for _ in range(L))
        if "houlsby" in self.methods:
            self.houlsby = nn.ModuleList(
                nn.ModuleDict({f"{t}/{where}": _bottleneck(d_m, size, std)
                               for t in self.tasks for where in ("attention", "output")}) for _ in range(L))
        if "top" in self.methods:
            if last_layer is None:
                raise ValueError("the top adapter starts from the encoder's last layer: pass last_layer")
            self.top = nn.ModuleDict({t: copy.deepcopy(last_layer) for t in self.tasks})
            for parameter in self.top.parameters():
                parameter.requires_grad_(True)  # a copy of a frozen layer still learns
        self.num_layers = L

    @staticmethod
    def _series(bottleneck: nn.ModuleDict):
        def apply(z: Tensor) -> Tensor:
            return z + bottleneck["up"](F.gelu(bottleneck["down"](z)))
        return apply

    def _parallel(self, task: str, layer: int):
        branches = []
        if "pal" in self.methods:
            shared, attention = self.pal[task], self.pal_attention[layer][task]
            branches.append(lambda h, mask: shared["up"](attention(shared["down"](h), mask)))
        if "low_rank" in self.methods:
            own = self.low_rank[layer][task]
            branches.append(lambda h, mask: own["up"](own["down"](h)))
        if not branches:
            return None
        return lambda h, mask: sum(branch(h, mask) for branch in branches)

    def for_task(self, task: str) -> EncoderAdapters:
        """Task ``task``'s adapters for one encoder call."""
        if task not in self.tasks:
            raise KeyError(f"no adapters for task {task!r}; this model has them for {list(self.tasks)}")
        layers = []
        for layer in range(self.num_layers):
            houlsby = self.houlsby[layer] if "houlsby" in self.methods else None
            layers.append(LayerAdapters(
                after_attention=self._series(houlsby[f"{task}/attention"]) if houlsby is not None else None,
                after_output=self._series(houlsby[f"{task}/output"]) if houlsby is not None else None,
                parallel=self._parallel(task, layer)))
        return EncoderAdapters(layers, self.top[task] if "top" in self.methods else None)

    def parameter_count(self) -> dict[str, int]:
        """Per method, the parameters our modules hold (for the notebook's table)."""
        parts = {"pal": ("pal", "pal_attention"), "low_rank": ("low_rank",), "houlsby": ("houlsby",),
                 "top": ("top",)}
        return {m: sum(p.numel() for name in parts[m] for p in getattr(self, name).parameters())
                for m in self.methods}
