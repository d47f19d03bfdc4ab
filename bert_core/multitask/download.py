"""Fetch the course's data files from the CS224N starter repository (online).

``python -m bert_core.multitask.data download`` calls it; each file is written whole or
not at all.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path

from bert_core.multitask.data import SPLITS, STARTER_DATA_URL, data_dir, task_file
from bert_core.multitask.tasks import TASKS

__all__ = ["download"]


def download(to: str | Path | None = None, base_url: str = STARTER_DATA_URL,
             overwrite: bool = False) -> list[Path]:
    """Fetch the starter repository's public data files into ``to`` (default ``data_dir()``).

    Each file is written to a temporary name and renamed when complete, so an interrupted
    download never leaves a half file behind.
    """
    folder = Path(to) if to is not None else data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for task in TASKS:
        for split in SPLITS:
            target = task_file(task, split, folder)
            if target.exists() and not overwrite:
                continue
            url = base_url + target.name
            partial = target.with_suffix(".csv.part")
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    partial.write_bytes(response.read())
            except OSError as err:
                partial.unlink(missing_ok=True)
                raise ConnectionError(
                    f"could not download {url} ({err}). Offline? Copy the course's data files "
                    f"into {folder} by hand, or set BERT_CORE_DATA to a folder that has them."
                ) from None
            partial.replace(target)
            written.append(target)
    return written
