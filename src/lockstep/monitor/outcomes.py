"""`lockstep outcomes add FILE`: ground-truth labels into an append-only outcome store.

An outcome file (CSV, Parquet or JSONL) holds an id, a label and when it was observed. Ids are
pseudonymized with the data contract's keyed hash (as ingest and serve do), so the store never
holds a raw id. The store's contract: a row is rejected, and counted, when its id is missing or
unknown to the prediction log, its label is not one of the target's classes, its time is missing
or earlier than the id's first prediction, or its label conflicts with another label for the id.
An exact repeat of a stored outcome is counted as a duplicate and skipped. By default any
rejection refuses the whole file and the store is left unchanged; ``--accept-partial`` keeps the
good rows. Each accepted file becomes one new Parquet part, written atomically under a lock.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from ..contract.dataconfig import DataConfig
from ..contract.pseudonym import pseudonym_key, pseudonymize_values
from ..errors import LockstepError
from ..io import write_parquet
from .config import MonitorParams
from .logs import read_predictions

STORE_COLUMNS = ("id", "label", "observed_at")
REJECTIONS = (
    "missing_id",
    "bad_label",
    "bad_time",
    "conflicting",
    "unknown_id",
    "before_prediction",
)


def _read_jsonl(file: Path) -> pd.DataFrame:
    return pd.read_json(file, lines=True, dtype=False)


def read_outcome_file(path: str) -> pd.DataFrame:
    file = Path(path)
    if not file.is_file():
        raise LockstepError(f"outcome file {path} does not exist")
    suffix = file.suffix.lower()
    readers = {
        ".csv": lambda f: pd.read_csv(f, dtype=str, keep_default_na=False),
        ".parquet": pd.read_parquet,
        ".jsonl": _read_jsonl,
        ".ndjson": _read_jsonl,
    }
    if suffix not in readers:
        raise LockstepError(f"outcome file {path}: use .csv, .parquet or .jsonl")
    try:
        frame = readers[suffix](file)
    except Exception as exc:
        raise LockstepError(
            f"outcome file {path} could not be read as {suffix[1:]}: {exc}"
        ) from exc
    if frame.empty:
        raise LockstepError(f"outcome file {path} has no rows")
    return frame


def columns_of(data: DataConfig, cfg: MonitorParams, frame: pd.DataFrame, path: str) -> tuple:
    """(id, label, time) column names of the file; an error naming what is missing."""

    def pick(configured: str | None, *defaults: str) -> str:
        options = [configured] if configured else list(defaults)
        found = next((c for c in options if c in frame.columns), None)
        if found is None:
            raise LockstepError(
                f"outcome file {path} has no column {' or '.join(map(repr, options))} (it has: "
                f"{', '.join(map(str, frame.columns))}); set monitor.id_column / label_column / "
                "time_column for other names"
            )
        return found

    return (
        pick(cfg.id_column, data.id_column, "id"),
        pick(cfg.label_column, data.target, "label"),
        pick(cfg.time_column),
    )


def classes(data: DataConfig) -> dict[str, int]:
    """Label text -> 0/1 for the target's classes (the contract's allowed list)."""
    allowed = data.columns[data.target].allowed
    if not allowed:
        raise LockstepError(f"data.columns.{data.target}.allowed must list the target's classes")
    return {str(v): int(str(v) == str(data.positive_class)) for v in allowed}


def normalise(frame: pd.DataFrame, names: tuple, data: DataConfig, key: bytes | None) -> tuple:
    """(rows with id/label/observed_at, per-row rejection reason or None)."""
    id_col, label_col, time_col = names
    ids = frame[id_col].astype(object).where(frame[id_col].notna(), None).tolist()
    ids = [None if v is None or str(v).strip() == "" else str(v) for v in ids]
    hashed = pseudonymize_values(ids, key) if key is not None else ids
    mapping = classes(data)
    labels = [mapping.get(str(v)) if pd.notna(v) else None for v in frame[label_col]]
    times = pd.to_datetime(frame[time_col], utc=True, errors="coerce", format="ISO8601")
    reason = [
        "missing_id"
        if i is None
        else "bad_label"
        if lab is None
        else "bad_time"
        if pd.isna(t)
        else None
        for i, lab, t in zip(hashed, labels, times, strict=True)
    ]
    rows = pd.DataFrame({"id": hashed, "label": labels, "observed_at": times})
    return rows, reason


def check(
    rows: pd.DataFrame, reason: list, stored: pd.DataFrame, first_seen: pd.Series
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The new rows to store and the counts of every kind of row in the file."""
    rows = rows.assign(reason=reason)
    ok = rows["reason"].isna()
    # Conflicts: two labels for one id in the file, or a label that differs from the stored one.
    labels = pd.concat([rows.loc[ok, ["id", "label"]], stored[["id", "label"]]])
    conflicted = labels.groupby("id")["label"].nunique()
    conflicted = set(conflicted[conflicted > 1].index)
    rows.loc[ok & rows["id"].isin(conflicted), "reason"] = "conflicting"
    ok = rows["reason"].isna()
    known = rows["id"].map(first_seen)
    rows.loc[ok & known.isna(), "reason"] = "unknown_id"
    ok = rows["reason"].isna()
    rows.loc[ok & (rows["observed_at"] < known), "reason"] = "before_prediction"
    ok = rows["reason"].isna()
    repeat = rows["id"].isin(set(stored["id"])) | rows.duplicated(["id", "label"])
    rows.loc[ok & repeat, "reason"] = "duplicate"
    counts = {k: int((rows["reason"] == k).sum()) for k in (*REJECTIONS, "duplicate")}
    counts["rows"], counts["accepted"] = len(rows), int(rows["reason"].isna().sum())
    return rows.loc[rows["reason"].isna(), list(STORE_COLUMNS)], counts


def read_store(folder: str | Path) -> pd.DataFrame:
    parts = sorted(Path(folder).glob("part-*.parquet"))
    if not parts:
        return pd.DataFrame(
            {
                "id": pd.Series(dtype=str),
                "label": pd.Series(dtype="int64"),
                "observed_at": pd.Series(dtype="datetime64[ns, UTC]"),
            }
        )
    return pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """One writer at a time: the next part's number is chosen and written under the lock."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def add(
    path: str,
    data: DataConfig,
    cfg: MonitorParams,
    pseudonymized: bool,
    partial: bool,
    log_dir: str,
    store: str,
) -> dict[str, Any]:
    """Check ``path`` and append its good rows as a new part; the counts and the part's name."""
    frame = read_outcome_file(path)
    names = columns_of(data, cfg, frame, path)
    hashing = names[0] in data.pseudonymize.columns or data.id_column in data.pseudonymize.columns
    key = pseudonym_key(data.pseudonymize) if hashing and not pseudonymized else None
    predictions, _ = read_predictions(log_dir)
    first_seen = predictions.groupby("id")["ts"].min()
    folder = Path(store)
    with locked(folder):
        accepted, counts = check(
            *normalise(frame, names, data, key), read_store(folder), first_seen
        )
        rejected = sum(counts[k] for k in REJECTIONS)
        counts["part"] = None
        if rejected and not partial:
            return counts
        if len(accepted):
            number = len(list(folder.glob("part-*.parquet"))) + 1
            part = folder / f"part-{number:06d}.parquet"
            write_parquet(part, accepted.sort_values(["observed_at", "id"]).reset_index(drop=True))
            counts["part"] = str(part)
    return counts
