"""Atomic, deterministic file output.

Every output goes to a temporary file in the destination folder and is moved into place with
``os.replace``, so a killed process leaves the previous file or none, never half a file. Stale
temporary files from a killed run are removed by the next write to the same path.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

TMP_MARK = ".lockstep-tmp-"


def _tmp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}{TMP_MARK}{os.getpid()}")


def _remove_stale(path: Path) -> None:
    for stale in path.parent.glob(f".{path.name}{TMP_MARK}*"):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temporary sibling of ``path`` for writing; move it over ``path`` on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(target)
    tmp = _tmp_name(target)
    encoding = None if "b" in mode else "utf-8"
    newline = None if "b" in mode else "\n"
    try:
        with open(tmp, mode, encoding=encoding, newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if target.is_dir() and all(p.suffix == ".parquet" for p in target.iterdir()):
            shutil.rmtree(target)  # parts written by the dask engine (lockstep.stages.parts)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    with atomic_open(path, "wb") as handle:
        handle.write(data)


def write_text(path: str | os.PathLike[str], text: str) -> None:
    with atomic_open(path, "w") as handle:
        handle.write(text)


def dumps_json(obj: Any) -> str:
    """Stable JSON: sorted keys, two-space indent, trailing newline."""
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def write_json(path: str | os.PathLike[str], obj: Any) -> None:
    write_text(path, dumps_json(obj))


def write_parquet(path: str | os.PathLike[str], frame: Any) -> None:
    """Write a DataFrame as Parquet (no index, fixed compression) atomically."""
    with atomic_open(path, "wb") as handle:
        frame.to_parquet(handle, index=False, compression="zstd")


def read_json(path: str | os.PathLike[str]) -> Any:
    """A JSON file's content, None when the file does not exist; bad JSON is an error naming it."""
    import json

    from .errors import LockstepError

    path = Path(path)
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise LockstepError(f"{path} is not valid JSON: {exc}") from exc


def read_parquet(path: str | os.PathLike[str]) -> Any:
    import pandas as pd

    from .errors import LockstepError

    if not Path(path).exists():
        raise LockstepError(
            f"input {path} does not exist: run `dvc repro` (or `dvc checkout`) to create it"
        )
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises its own types for a damaged file
        raise LockstepError(
            f"{path} is not a readable Parquet file ({exc}); rebuild it with `dvc repro`"
        ) from exc


def file_hash(path: str | os.PathLike[str], algorithm: str = "sha256") -> str:
    """Hex digest of a file's bytes (md5 gives the hash DVC records in dvc.lock)."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, algorithm).hexdigest()


def sha256_file(path: str | os.PathLike[str]) -> str:
    return file_hash(path, "sha256")


def rounded(value: float, digits: int = 6) -> float:
    """Round for human-facing metric files; keeps JSON short and stable."""
    return float(round(float(value), digits))
