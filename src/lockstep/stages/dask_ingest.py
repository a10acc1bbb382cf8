"""Stage ingest on the dask engine: the source → data/raw/<name>.parquet as a folder of parts.

Fixed partitioning: part k holds rows k·P to (k+1)·P − 1 of the source, in the source's order,
with P = ``data.dask.partition_rows``; so the parts' bytes depend on the rows only, never on how
the source itself is partitioned. A Parquet source (a file, or a folder of part files read in name
order) is read row group by row group and never held whole; other sources are read whole by the
pandas reader, then cut into parts. Rename and pseudonymize run part by part. The content hash is
the one `lockstep ingest` records for the same rows in one frame.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from ..contract.columns import rename_columns
from ..contract.dataconfig import DataConfig, SourceSpec
from ..contract.pseudonym import pseudonym_key, pseudonymize
from ..errors import LockstepError
from . import parts

Piece = tuple[str, int, int, int]  # file, row group, first row, row after the last


def parquet_files(spec: SourceSpec) -> list[Path] | None:
    """The source's Parquet files when it is a local Parquet file or folder, else None."""
    if spec.kind != "file" or not spec.path or spec.path.startswith(("http://", "https://")):
        return None
    path = Path(spec.path)
    if path.is_dir() or (spec.format or path.suffix.lstrip(".").lower()) == "parquet":
        return parts.part_files(path)
    return None


def chunks(files: list[Path], rows: int) -> list[list[Piece]]:
    """The row-group slices that make up each part of ``rows`` rows."""
    import pyarrow.parquet as pq

    out: list[list[Piece]] = []
    current: list[Piece] = []
    room = rows
    for file in files:
        meta = pq.ParquetFile(file).metadata
        for group in range(meta.num_row_groups):
            start, size = 0, meta.row_group(group).num_rows
            while start < size:
                take = min(room, size - start)
                current.append((str(file), group, start, start + take))
                start, room = start + take, room - take
                if room == 0:
                    out.append(current)
                    current, room = [], rows
    return [*out, current] if current else out


def read_chunk(pieces: list[Piece]) -> pd.DataFrame:
    import pyarrow.parquet as pq

    frames = [
        pq.ParquetFile(file).read_row_group(group).slice(start, stop - start).to_pandas()
        for file, group, start, stop in pieces
    ]
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def slice_rows(frame: pd.DataFrame, bounds: tuple[int, int]) -> pd.DataFrame:
    return frame.iloc[bounds[0] : bounds[1]].reset_index(drop=True)


def source_frame(cfg: DataConfig, read_whole: Callable[[SourceSpec], pd.DataFrame]) -> Any:
    """The source as a Dask DataFrame of ``partition_rows``-row partitions."""
    dd = parts.require()
    rows = cfg.dask.partition_rows
    files = parquet_files(cfg.source)
    if files is not None:
        pieces = chunks(files, rows)
        if not pieces:
            raise LockstepError(f"data.source ({cfg.source.path}) gave no rows: nothing to ingest")
        meta = read_chunk(pieces[0]).iloc[:0]
        return dd.from_map(read_chunk, pieces, meta=meta, enforce_metadata=False)
    frame = read_whole(cfg.source)
    if frame.empty:
        raise LockstepError(f"data.source ({cfg.source.kind}) gave no rows: nothing to ingest")
    bounds = [(i, min(i + rows, len(frame))) for i in range(0, len(frame), rows)]
    reader = functools.partial(slice_rows, frame)
    return dd.from_map(reader, bounds, meta=frame.iloc[:0], enforce_metadata=False)


def write_raw(frame: pd.DataFrame, number: int, folder: str) -> tuple[int, bytes]:
    """Write one part; return its rows and row hashes (for the content hash)."""
    parts.write_part(folder, number, frame)
    return len(frame), pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()


def ingest_parts(
    cfg: DataConfig, output: str, read_whole: Callable[[SourceSpec], pd.DataFrame]
) -> tuple[int, list[str], str]:
    """Write the parts to ``output``; return rows, columns and the content hash."""
    if cfg.feedback and Path(cfg.feedback).is_file():
        raise LockstepError(
            f"data.feedback ({cfg.feedback}) is not merged by data.engine dask yet: append the "
            "feedback rows to the source, or use data.engine pandas"
        )
    frame = rename_columns(source_frame(cfg, read_whole), cfg.rename)
    if cfg.pseudonymize.columns:
        key = pseudonym_key(cfg.pseudonymize)
        frame = frame.map_partitions(pseudonymize, cfg.pseudonymize.columns, key)
    columns = list(map(str, frame.columns))
    with parts.scheduler(cfg.dask), parts.publishing(output) as (folder,):
        written = parts.run(write_raw, frame, folder)
    digest = hashlib.sha256("\x1f".join(columns).encode())
    for _, hashes in written:
        digest.update(hashes)
    return sum(n for n, _ in written), columns, digest.hexdigest()
