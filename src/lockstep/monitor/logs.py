"""Reading the prediction log of `lockstep serve` for monitoring.

``predictions.N.jsonl`` (oldest) … ``predictions.1.jsonl``, then ``predictions.jsonl`` are read in
that order. A line that is not a complete record (a torn last line of a killed server, or text
that is not JSON) is skipped and counted, never guessed at.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import LockstepError

FIELDS = ("ts", "model", "version", "id", "score", "label")
ROTATED = re.compile(r"^predictions\.(\d+)\.jsonl$")


def log_files(folder: str | Path) -> list[Path]:
    """The log's files, oldest first."""
    root = Path(folder)
    rotated = [
        (int(m.group(1)), p)
        for p in root.glob("predictions.*.jsonl")
        if (m := ROTATED.match(p.name))
    ]
    files = [p for _, p in sorted(rotated, reverse=True)]
    return [*files, root / "predictions.jsonl"] if (root / "predictions.jsonl").exists() else files


def json_objects(file: Path) -> tuple[list[dict[str, Any]], int]:
    """(the JSON objects of a JSONL file, how many non-blank lines were not one): a torn last
    line or a line of garbage is skipped and counted, never guessed at."""
    objects, skipped = [], 0
    with open(file, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if isinstance(record, dict):
                objects.append(record)
            else:
                skipped += 1
    return objects, skipped


def _record(record: dict[str, Any]) -> dict[str, Any] | None:
    if any(k not in record for k in FIELDS):
        return None
    if not isinstance(record["score"], int | float) or not isinstance(record["id"], str):
        return None
    return record


def read_predictions(folder: str | Path) -> tuple[pd.DataFrame, dict[str, int]]:
    """(one row per logged prediction with its features as columns, counts of lines read)."""
    files = log_files(folder)
    if not files:
        raise LockstepError(
            f"no prediction log in {folder}/ (predictions.jsonl): point --log-dir at the folder "
            "`lockstep serve --log-dir` writes"
        )
    rows, skipped = [], 0
    for file in files:
        objects, bad = json_objects(file)
        skipped += bad
        for record in filter(None, map(_record, objects)):
            features = record.get("features") if isinstance(record.get("features"), dict) else {}
            rows.append({**features, **{k: record[k] for k in FIELDS}})
    frame = pd.DataFrame.from_records(rows)
    if frame.empty:
        raise LockstepError(f"the prediction log in {folder}/ holds no complete record")
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True, format="ISO8601")
    frame["score"] = frame["score"].astype(float)
    frame = frame.sort_values(["ts", "id"], kind="mergesort").reset_index(drop=True)
    return frame, {"records": len(frame), "skipped_lines": skipped, "files": len(files)}
