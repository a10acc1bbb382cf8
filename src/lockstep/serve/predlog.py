"""The prediction log of `lockstep serve`: every answered record, one JSON line each.

Lines go to ``predictions.jsonl`` in the log folder, which rotates by size to
``predictions.1.jsonl`` (newest) … ``predictions.N.jsonl`` (oldest). Every rotated file is kept
unless ``keep`` says how many to keep; each deletion is reported on stderr. Appends and rotation
hold one lock, so concurrent requests never interleave lines. `lockstep drift` and `lockstep
monitor` read these files.

A batch is written with one ``os.write`` of whole lines before its answer is sent. When the write
fails (disk full, read-only folder) the part written is cut off again, the request is answered 503
and ``error`` says why until a write works again. A torn last line left by a killed process is cut
off when the log is opened, so the next line is never glued to it.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import sys
import threading
from pathlib import Path
from typing import Any

ROTATED = re.compile(r"^predictions\.(\d+)\.jsonl$")
REASONS = {errno.ENOSPC: "disk full", errno.EDQUOT: "disk quota exceeded", errno.EROFS:
           "read-only file system", errno.EACCES: "permission denied", errno.EPERM:
           "permission denied"}  # fmt: skip


class LogUnavailable(Exception):
    """The log cannot be written: the records were not logged and must not be answered 2xx."""


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte (the one place the log writes; tests replace it to fill the disk)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _say(message: str) -> None:
    print(f"serve: prediction log: {message}", file=sys.stderr, flush=True)


def cut_torn_tail(fd: int) -> int:
    """Truncate an open file after its last newline; the number of bytes cut (0: none torn)."""
    size = os.lseek(fd, 0, os.SEEK_END)
    end = size
    while end > 0:
        start = max(0, end - 65_536)
        chunk = os.pread(fd, end - start, start)
        at = chunk.rfind(b"\n")
        if at >= 0:
            end = start + at + 1
            break
        end = start
    if end < size:
        os.ftruncate(fd, end)
    return size - end


class PredictionLog:
    """Append-only JSONL in ``folder``; predictions.jsonl → predictions.1.jsonl … by size."""

    def __init__(self, folder: str, max_bytes: int = 50_000_000, keep: int | None = None) -> None:
        if keep is not None and keep < 1:
            raise ValueError("keep must be at least 1 rotated file (or None: keep all)")
        self.path = Path(folder) / "predictions.jsonl"
        self.max_bytes, self.keep = max_bytes, keep
        self.error: str | None = None  # why the last write failed; None once one works
        self.torn_lines = 0  # torn last lines cut off on opening
        self.deleted: list[str] = []  # rotated files removed by ``keep``
        self._lock = threading.Lock()
        self._fd: int | None = None

    def _rotated(self, n: int) -> Path:
        return self.path.with_name(f"predictions.{n}.jsonl")

    def _open(self) -> int:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o640)
            try:
                cut = cut_torn_tail(fd)
            except OSError:
                os.close(fd)
                raise
            if cut:
                self.torn_lines += 1
                _say(f"cut a torn last line of {cut} bytes from {self.path} (a write was cut off)")
            self._fd = fd
        return self._fd

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Append ``rows`` whole, or raise LogUnavailable with none of them in the log."""
        data = "".join(json.dumps(r, sort_keys=True, allow_nan=False) + "\n" for r in rows)
        with self._lock:
            try:
                fd = self._open()
                start = os.lseek(fd, 0, os.SEEK_END)
                try:
                    _write_all(fd, data.encode())
                except OSError:
                    self._undo(fd, start)
                    raise
            except OSError as exc:
                self.error = self._reason(exc)
                raise LogUnavailable(self.error) from exc
            self.error = None
            if start + len(data) >= self.max_bytes:
                self._rotate()

    def _undo(self, fd: int, start: int) -> None:
        """Cut a partly written batch off; if even that fails, the next open cuts the torn line."""
        with contextlib.suppress(OSError):
            os.ftruncate(fd, start)
        os.close(fd)
        self._fd = None

    def _reason(self, exc: OSError) -> str:
        why = REASONS.get(exc.errno or 0, exc.strerror or type(exc).__name__)
        return f"cannot write the prediction log {self.path} ({why}): predictions are refused"

    def _rotate(self) -> None:
        """Shift predictions.N → N+1 (from the oldest down), then drop files beyond ``keep``."""
        try:
            numbers = sorted(
                (
                    int(m.group(1))
                    for p in self.path.parent.iterdir()
                    if (m := ROTATED.match(p.name))
                ),
                reverse=True,
            )
            for n in numbers:
                os.replace(self._rotated(n), self._rotated(n + 1))
            os.close(self._fd)  # type: ignore[arg-type]
            self._fd = None
            os.replace(self.path, self._rotated(1))
        except OSError as exc:  # the lines are written; rotation is tried again after the next
            _say(f"could not rotate {self.path}: {exc}")
            return
        for n in (n + 1 for n in numbers if self.keep is not None and n + 1 > self.keep):
            old = self._rotated(n)
            try:
                size = old.stat().st_size
                old.unlink()
            except OSError as exc:
                _say(f"could not delete {old.name} beyond the {self.keep} kept: {exc}")
                continue
            self.deleted.append(old.name)
            _say(f"deleted {old.name} ({size} bytes): only {self.keep} rotated file(s) are kept")

    def probe(self) -> bool:
        """After a failed write: can the folder take a write again? Clears ``error`` if so."""
        probe = self.path.with_name(".write-probe")
        try:
            with self._lock:
                self._open()
                fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                try:
                    _write_all(fd, b"\n" * 4096)
                finally:
                    os.close(fd)
                    probe.unlink(missing_ok=True)
        except OSError as exc:
            self.error = self._reason(exc)
            return False
        self.error = None
        return True

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
