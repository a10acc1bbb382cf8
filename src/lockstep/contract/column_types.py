"""The column types validate hands on to later stages: reports/column_types.json.

The stages after validate need of the column contract (``data.columns``) only each column's
name, dtype and nullability, in the contract's order: train builds its preprocessing from the
types (numeric or categorical, in column order), the model card prints them. validate, which
declares ``data.columns`` in dvc.yaml and checks the data against it, writes that part to a small
Git-tracked file; train and model_card depend on the file instead of declaring ``data.columns``.
So ``dvc.lock`` holds the whole contract once (under validate), and a changed check bound
(``min``, ``max``, ``allowed``, ``unique``) re-runs validate but not train or the model card: the
file it writes is byte-identical. The bounds are not in the file, so a stage that reads one of
them fails with a message saying so (``config.Undeclared``), as for an undeclared param.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from ..config import Undeclared, build
from ..errors import LockstepError
from ..io import read_json, write_json
from .dataconfig import DTYPES, ColumnSpec, DataConfig

HANDED_ON = ("dtype", "nullable")  # the ColumnSpec fields written to the file


@dataclasses.dataclass(frozen=True)
class ColumnType:
    """One entry of the file: a column of ``data.columns`` and the fields it hands on."""

    name: str
    dtype: str
    nullable: bool


def column_types(cfg: DataConfig) -> dict[str, Any]:
    """The file's content: ``data.columns`` in order, each with its name, dtype and nullable."""
    return {
        "columns": [
            {"name": name, **{key: getattr(spec, key) for key in HANDED_ON}}
            for name, spec in cfg.columns.items()
        ]
    }


def write_column_types(path: str | Path, cfg: DataConfig) -> None:
    """Write the file atomically, as canonical JSON (sorted keys, fixed indent)."""
    write_json(path, column_types(cfg))


def read_column_types(path: str | Path) -> dict[str, ColumnSpec]:
    """``data.columns`` as the file at ``path`` hands it on; the other fields are Undeclared."""
    rebuild = f"rebuild it with `dvc repro validate` (validate writes {path} from data.columns)"
    found = _read(path, rebuild)
    entries = found.get("columns") if isinstance(found, dict) else None
    if not isinstance(entries, list) or not entries:
        raise LockstepError(
            f'{path}: expected {{"columns": [...]}} with one entry per column; {rebuild}'
        )
    columns: dict[str, ColumnSpec] = {}
    for i, entry in enumerate(entries):
        where = f"{path}: columns[{i}]"
        try:
            column = build(ColumnType, entry, where)
        except LockstepError as exc:
            raise LockstepError(f"{exc}; {rebuild}") from exc
        if column.dtype not in DTYPES:
            raise LockstepError(
                f"{where}.dtype: '{column.dtype}' is not one of {', '.join(DTYPES)}; {rebuild}"
            )
        if column.name in columns:
            raise LockstepError(f"{where}: column '{column.name}' is listed twice; {rebuild}")
        columns[column.name] = ColumnSpec(
            dtype=column.dtype, nullable=column.nullable, **_not_handed_on(column.name, path)
        )
    return columns


def with_column_types(data: DataConfig, path: str | Path) -> DataConfig:
    """``data`` (read without ``data.columns``) with the columns the file at ``path`` hands on;
    the contract's cross-checks (target, id and sensitive columns listed) run again with them."""
    columns = read_column_types(path)
    try:
        return dataclasses.replace(data, columns=columns)
    except LockstepError as exc:  # e.g. a file from before data.target was added to the contract
        raise LockstepError(
            f"{exc} (the columns come from {path}, which may be out of date: rebuild it with "
            "`dvc repro validate`)"
        ) from exc


def _read(path: str | Path, rebuild: str) -> Any:
    try:
        found = read_json(path)
    except LockstepError as exc:  # not JSON
        raise LockstepError(f"{exc}; {rebuild}") from exc
    if found is None:
        raise LockstepError(
            f"{path} not found: stage validate writes it (the column types of data.columns); "
            "run `dvc repro validate` (or `lockstep validate`)"
        )
    return found


def _not_handed_on(name: str, path: str | Path) -> dict[str, Any]:
    """The ColumnSpec fields the file does not hand on, each failing when a stage uses it."""
    fix = (
        f"{path} hands on only {' and '.join(HANDED_ON)} of each column; a stage that needs "
        "more of the contract declares `data.columns` in dvc.yaml and in its PARAMS"
    )
    others = [f.name for f in dataclasses.fields(ColumnSpec) if f.name not in HANDED_ON]
    return {key: Undeclared(f"data.columns.{name}.{key}", fix) for key in others}
