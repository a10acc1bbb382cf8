"""Stage validate on the dask engine: data/raw/<name>.parquet parts → data/validated.parquet parts.

pandera validates each partition of the Dask DataFrame with the pandas schema of the data
contract, lazily, so every failing check of every partition is reported, with row numbers counted
in the whole table. A check on one partition cannot see the others, so uniqueness (``unique``
columns and the id) is checked on the whole table instead: each partition returns a 64-bit hash
per value, equal hashes are looked up again and only equal values count as duplicates. The parts
keep the raw parts' partitioning, and are published only when every check has passed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pandera.errors

from ..contract.columns import split_extra_columns
from ..contract.dataconfig import DataConfig
from ..contract.schema import build_schema, summarize_failures
from ..contract.text import cut, cut_repr
from . import parts


class Failed(Exception):
    """Raised inside the publishing block so that nothing is published; carries the failures."""


def unique_columns(cfg: DataConfig) -> list[str]:
    return [c for c, spec in cfg.columns.items() if spec.unique or c == cfg.id_column]


def value_hashes(values: pd.Series) -> np.ndarray:
    return pd.util.hash_pandas_object(values, index=False).to_numpy()


def check_part(frame: pd.DataFrame, number: int, starts: list[int], cfg: DataConfig, folder: str):
    """Validate one partition; write it when it passes. Returns what the whole-table checks need."""
    frame, dropped = split_extra_columns(parts.with_offsets(frame, starts[number]), cfg)
    unique = unique_columns(cfg)
    schema = build_schema(cfg).update_columns({c: {"unique": False} for c in unique})
    try:
        valid = schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        failures = summarize_failures(exc.failure_cases, frame, cfg.id_column)
        return {"rows": len(frame), "dropped": dropped, "failures": failures}
    parts.write_part(folder, number, valid.reset_index(drop=True))
    return {
        "rows": len(frame),
        "dropped": dropped,
        "failures": [],
        "counts": valid[cfg.target].value_counts(sort=False),
        "hashes": {c: value_hashes(valid[c].dropna()) for c in unique},
    }


def merge_failures(results: list[dict]) -> list[dict]:
    """One row per (column, check) over all partitions: rows summed, the first examples kept."""
    merged: dict[tuple[str, str], dict] = {}
    for result in results:
        for row in result["failures"]:
            key = (row["column"], row["check"])
            if key in merged:
                merged[key]["failing"] += row["failing"]
            else:
                merged[key] = dict(row)
    return [merged[k] for k in sorted(merged)]


def find_values(frame: pd.DataFrame, number: int, starts: list[int], column: str, wanted):
    """Row numbers (from 1) and values of ``column`` in one partition whose hash is wanted."""
    frame = parts.with_offsets(frame, starts[number])
    values = frame[column].dropna()
    hit = values[np.isin(value_hashes(values), wanted)]
    return [(int(i) + 1, v) for i, v in hit.items()]


def duplicates(folder: str, starts: list[int], cfg: DataConfig, results: list[dict]) -> list[dict]:
    """Failure rows for values that occur more than once in a ``unique`` column of the validated
    parts in ``folder``."""
    rows = []
    for column in unique_columns(cfg):
        hashes, counts = np.unique(
            np.concatenate([r["hashes"][column] for r in results]), return_counts=True
        )
        if (counts > 1).any():
            validated = parts.read_parts(folder)[[column]]
            found = parts.run(find_values, validated, starts, column, hashes[counts > 1])
            hits = pd.DataFrame([h for part in found for h in part], columns=["row", "value"])
            hits = hits[hits.duplicated("value", keep=False)]  # equal hashes, equal values
            if len(hits):
                shown = hits.head(3)
                ids = cut(", ".join(map(str, shown["value"]))) if column == cfg.id_column else "-"
                rows.append(
                    {
                        "column": cut(column),
                        "check": "field_uniqueness",
                        "failing": len(hits),
                        "example_rows": ", ".join(map(str, shown["row"])),
                        "example_ids": ids,
                        "example_values": ", ".join(cut_repr(v) for v in shown["value"]),
                    }
                )
    return rows


def validate_parts(
    input_path: str,
    output: str,
    cfg: DataConfig,
    class_failures: Callable[[pd.Series], list[dict]],
) -> tuple[bool, dict]:
    """Validate and write the parts; return (passed, report), the report as `validate` writes it.

    ``class_failures(counts)`` gives the failure rows for the target's class counts."""
    raw = parts.read_parts(input_path)
    starts = parts.offsets(parts.row_counts(parts.part_files(input_path)))
    results: list[dict] = []
    try:
        with parts.scheduler(cfg.dask), parts.publishing(output) as (folder,):
            results = parts.run(check_part, raw, starts, cfg, folder)
            rows = merge_failures(results)
            if not rows:
                rows = duplicates(folder, starts, cfg, results)
            if not rows:
                rows = class_failures(sum_counts([r["counts"] for r in results]))
            if rows:
                raise Failed(rows)
            failed: list[dict] = []
    except Failed as exc:
        failed = exc.args[0]
    report: dict[str, Any] = {
        "rows_checked": sum(r["rows"] for r in results),
        "dropped_columns": results[0]["dropped"] if results else [],
        "failures": {f"{r['column']}: {r['check']}": r["failing"] for r in failed},
        "passed": not failed,
    }
    if failed:
        report["failure_cases"] = failed
    return not failed, report


def sum_counts(counts: list[pd.Series]) -> pd.Series:
    return pd.concat(counts).groupby(level=0, sort=True).sum()
