"""Peak memory of a block of code, the figure every run records beside its time."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import torch

__all__ = ["PeakMemory"]


class PeakMemory:
    """Peak memory of a block: CUDA's allocator peak on a GPU; on a CPU, the process's
    resident set size, sampled every 50 ms by a background thread (Linux's /proc)."""

    def __init__(self, device: torch.device):
        self.device, self.peak_mb, self.kind = device, 0.0, ""
        self._stop = threading.Event()

    def _rss_mb(self) -> float:
        try:
            pages = int(Path("/proc/self/statm").read_text().split()[1])
            return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
        except (OSError, ValueError, IndexError):
            import resource

            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self.peak_mb = max(self.peak_mb, self._rss_mb())

    def __enter__(self) -> PeakMemory:
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
            self.kind = "CUDA allocated"
        else:
            self.kind = "process RSS"
            self.peak_mb = self._rss_mb()
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.device.type == "cuda":
            self.peak_mb = torch.cuda.max_memory_allocated(self.device) / 2**20
        else:
            self._stop.set()
            self._thread.join()
            self.peak_mb = max(self.peak_mb, self._rss_mb())
