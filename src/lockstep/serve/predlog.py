"""The prediction log of `lockstep serve`: every scored record, one JSON line each.

Lines go to ``predictions.jsonl`` in the log folder, which rotates by size to
``predictions.1.jsonl`` … ``predictions.N.jsonl``. Appends and rotation hold one lock, so
concurrent requests never interleave lines. `lockstep drift --current` reads these files.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any


class PredictionLog:
    """Append-only JSONL in ``folder``; predictions.jsonl → predictions.1.jsonl … by size."""

    def __init__(self, folder: str, max_bytes: int = 50_000_000, backups: int = 5) -> None:
        self.path = Path(folder) / "predictions.jsonl"
        self.max_bytes, self.backups = max_bytes, backups
        self._lock = threading.Lock()
        self._handle: Any = None

    def _rotated(self, n: int) -> Path:
        return self.path.with_name(f"predictions.{n}.jsonl")

    def write(self, rows: list[dict[str, Any]]) -> None:
        text = "".join(json.dumps(r, sort_keys=True, allow_nan=False) + "\n" for r in rows)
        with self._lock:
            if self._handle is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._handle = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
            self._handle.write(text)
            self._handle.flush()
            if self._handle.tell() >= self.max_bytes:
                self._rotate()

    def _rotate(self) -> None:
        self._handle.close()
        self._handle = None
        for n in range(self.backups - 1, 0, -1):
            if self._rotated(n).exists():
                os.replace(self._rotated(n), self._rotated(n + 1))
        os.replace(self.path, self._rotated(1))

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._handle.close()
                self._handle = None
