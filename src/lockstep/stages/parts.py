"""Partitioned Parquet for the data stages' dask engine (``data.engine: dask``).

A partitioned table is a folder of ``part-00000.parquet``, ``part-00001.parquet``, ... read in
name order. Each part is written by one task, and the folder is published at once: the parts go
to a hidden sibling folder that replaces the output when every task has succeeded, so a failed or
killed run leaves the previous output or none, never a mix. The parts' bytes depend only on the
rows (fixed partitioning, see ``dask_ingest``), never on the scheduler or the number of workers.

Tasks run on a dask.distributed scheduler when ``data.dask.scheduler`` names one, on a
LocalCluster of ``data.dask.workers`` processes on 127.0.0.1 when that is above 0, and otherwise
on dask's in-process thread pool. The data stages do no BLAS work, so the numerics pin has nothing
to hold here; worker processes inherit the pinned environment of the stage that starts them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ..cluster import client
from ..config import build
from ..contract.dataconfig import ENGINES, DaskSpec
from ..errors import LockstepError
from ..io import TMP_MARK, read_parquet, write_parquet

PART = "part-{:05d}.parquet"


def dask_spec(params: dict[str, Any]) -> DaskSpec | None:
    """``data.dask`` when ``data.engine`` is dask, None for the pandas engine."""
    data = params.get("data") or {}
    engine = data.get("engine", "pandas")
    if engine not in ENGINES:
        raise LockstepError(f"data.engine: '{engine}' is not one of {', '.join(ENGINES)}")
    return build(DaskSpec, data.get("dask") or {}, "data.dask") if engine == "dask" else None


def require() -> Any:
    """dask.dataframe, or a clear error naming the extra to install."""
    try:
        import dask.dataframe as dd
    except ImportError as exc:
        raise LockstepError(
            f"data.engine dask needs Dask ({exc}): pip install 'lockstep[scale]'"
        ) from exc
    return dd


@contextlib.contextmanager
def scheduler(spec: DaskSpec) -> Iterator[None]:
    """Run the dask computations inside on the scheduler ``spec`` names."""
    require()
    import dask

    if spec.scheduler or spec.workers:
        with client(spec.scheduler, spec.workers or None):
            yield
        return
    with dask.config.set(scheduler="threads", num_workers=spec.threads):
        yield


def part_files(path: str | os.PathLike[str]) -> list[Path]:
    """The Parquet files of a table: the file itself, or a folder's visible parts in name order."""
    path = Path(path)
    if not path.exists():
        raise LockstepError(
            f"input {path} does not exist: run `dvc repro` (or `dvc checkout`) to create it"
        )
    if path.is_file():
        return [path]
    files = sorted(
        p for p in path.iterdir() if p.suffix == ".parquet" and not p.name.startswith((".", "_"))
    )
    if not files:
        raise LockstepError(f"{path} is a folder without Parquet files (*.parquet)")
    return files


def row_counts(files: Sequence[Path]) -> list[int]:
    """Rows per file, from the Parquet footers (no data is read)."""
    import pyarrow.parquet as pq

    return [pq.ParquetFile(f).metadata.num_rows for f in files]


def read_parts(path: str | os.PathLike[str]) -> Any:
    """A Dask DataFrame with one partition per part file, in order."""
    import pyarrow.parquet as pq

    dd = require()
    files = part_files(path)
    meta = pq.read_schema(files[0]).empty_table().to_pandas()
    return dd.from_map(read_parquet, files, meta=meta, enforce_metadata=False)


def with_offsets(frame: Any, offset: int) -> Any:
    """``frame`` indexed by row number in the whole table (0-based), for messages and keys."""
    import pandas as pd

    return frame.set_axis(pd.RangeIndex(offset, offset + len(frame)))


def offsets(counts: Sequence[int]) -> list[int]:
    out, total = [], 0
    for n in counts:
        out.append(total)
        total += n
    return out


def _staging(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{path.name}{TMP_MARK}*"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)
    tmp = path.with_name(f".{path.name}{TMP_MARK}{os.getpid()}")
    tmp.mkdir()
    return tmp


def _publish(tmp: Path, path: Path) -> None:
    old = path.with_name(f".{path.name}{TMP_MARK}old-{os.getpid()}")
    if path.is_dir():
        os.replace(path, old)
    elif path.exists():
        path.unlink()
    os.replace(tmp, path)
    shutil.rmtree(old, ignore_errors=True)


def write_part(folder: str, number: int, frame: Any) -> None:
    write_parquet(Path(folder) / PART.format(number), frame)


@contextlib.contextmanager
def publishing(*paths: str | os.PathLike[str]) -> Iterator[list[str]]:
    """Staging folders for ``paths``; each replaces its path when the block ends without error."""
    targets = [Path(p) for p in paths]
    staged = [_staging(p) for p in targets]
    try:
        yield [str(s) for s in staged]
    except BaseException:
        for s in staged:
            shutil.rmtree(s, ignore_errors=True)
        raise
    for s, target in zip(staged, targets, strict=True):
        _publish(s, target)


def run(task: Callable[..., Any], partitions: Any, *args: Any) -> list[Any]:
    """``task(partition, number, *args)`` for each partition of a Dask DataFrame, in order."""
    import dask

    delayed = dask.delayed(task, pure=False)
    parts = partitions.to_delayed() if hasattr(partitions, "to_delayed") else partitions
    return list(dask.compute(*[delayed(p, i, *args) for i, p in enumerate(parts)]))
