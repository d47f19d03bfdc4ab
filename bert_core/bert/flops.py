"""How much arithmetic a BERT training step is, and what fraction of a device's peak that
is: model FLOPs utilisation (MFU; Chowdhery et al. 2022, "PaLM", appendix B).

Counting a multiply-add as 2 FLOPs, the forward pass of one sequence of T tokens through
L layers of width C (feed-forward width F) multiplies by every weight matrix once per
token and computes two T × T attention products per layer:

    per layer:  Q, K, V, output projections    4 · 2 · T · C²
                feed-forward (two matrices)    2 · 2 · T · C · F
                scores Q Kᵀ and probs · V       2 · 2 · T² · C
    pooler:     2 · C²  (the [CLS] token only)

The backward pass costs twice the forward (a gradient for the input and one for the
weights of every product), so a training step is 3 × forward. Embedding look-ups, layer
norms, softmax and GELU are left out, as MFU conventionally does: they are memory-bound,
and counting only the products makes the figure comparable across implementations.
MFU = (FLOPs of the step / seconds) / the device's peak for the dtype (``peak_flops``).
``tests/bert/test_flops.py`` checks the count against ``torch.utils.flop_counter``.
"""

from __future__ import annotations

from bert_core.bert.config import BertConfig

__all__ = ["forward_flops", "training_flops", "PEAK_TFLOPS", "peak_flops"]


def forward_flops(config: BertConfig, batch: int, length: int) -> int:
    """Matrix-product FLOPs of one forward pass over ``batch`` sequences of ``length`` tokens."""
    C, F, L, T = config.hidden_size, config.intermediate_size, config.num_hidden_layers, length
    per_layer = 8 * T * C * C + 4 * T * C * F + 4 * T * T * C
    return batch * (L * per_layer + 2 * C * C)


def training_flops(config: BertConfig, batch: int, length: int) -> int:
    """Forward and backward: 3 × ``forward_flops``."""
    return 3 * forward_flops(config, batch, length)


# Dense peak TFLOPS by device name fragment and dtype, from the vendors' data sheets
# (NVIDIA H100/H200 SXM: 989 bf16 tensor-core, 67 fp32 without TF32; A100: 312 and 19.5;
# L4: 121 and 30; RTX 4090: 165 and 83). ``peak_flops`` reads them for a CUDA device.
PEAK_TFLOPS: dict[str, dict[str, float]] = {
    "H200": {"bf16": 989.0, "fp32": 67.0},
    "H100": {"bf16": 989.0, "fp32": 67.0},
    "A100": {"bf16": 312.0, "fp32": 19.5},
    "L4": {"bf16": 121.0, "fp32": 30.3},
    "4090": {"bf16": 165.2, "fp32": 82.6},
}


def peak_flops(device_name: str, dtype: str, cpu_cores: int | None = None, cpu_ghz: float | None = None,
               flops_per_cycle: int = 32) -> tuple[float | None, str]:
    """The device's dense peak in FLOP/s for ``dtype`` ("bf16" or "fp32"), and how it was
    found. A GPU by the table above; a CPU as cores × clock × FLOPs per cycle (32 for AVX2
    with two FMA units: 2 units × 8 fp32 lanes × 2 FLOPs; bf16 has no faster path on a CPU
    without AVX-512 BF16 or AMX, so it gets the same peak). None when unknown."""
    for fragment, peaks in PEAK_TFLOPS.items():
        if fragment in device_name:
            return peaks[dtype] * 1e12, f"{fragment} data sheet, dense {dtype}"
    if cpu_cores and cpu_ghz:
        peak = cpu_cores * cpu_ghz * 1e9 * flops_per_cycle
        return peak, f"{cpu_cores} cores x {cpu_ghz:.2f} GHz x {flops_per_cycle} FLOPs/cycle (AVX2 FMA)"
    return None, "unknown device: pass --peak-tflops"
