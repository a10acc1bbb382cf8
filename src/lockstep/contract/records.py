"""Records sent to `lockstep serve`, checked against the training data contract.

``check_records`` returns a ``Batch`` or a list of errors, each naming the record (by index),
the field and the problem. Records whose values already have their column's type and pass its
checks (the usual case, lockstep.contract.values) are taken as they are; anything else goes
through the pandera schema from ``build_schema``, which coerces what it can ("12" for an int
column) and reports the rest.
Either way the batch holds one plain value list per column, so scoring, the prediction log and
the response see the same values whichever path a request took.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from .text import cut_repr
from .values import accepted, plain_column, printable, value_problem

# A bad request gets a bounded answer: at most this many errors per record and per response, and
# each echoed name or value cut to ``text.LIMIT`` characters (a record with a million unknown
# keys, or an 8 MB value, must not become a response of the same size).
MAX_ERRORS_PER_RECORD = 20
MAX_ERRORS = 100


@dataclass
class Batch:
    """Valid records as one list per contract column (target left out); None marks a missing
    value, and pseudonymized columns already hold their hashes."""

    values: dict[str, list[Any]]
    data: Any  # DataConfig

    def __len__(self) -> int:
        return len(next(iter(self.values.values()), []))

    @property
    def ids(self) -> list[Any]:
        """The records' ids; None for each when the contract has no id column."""
        if self.data.id_column is None:
            return [None] * len(self)
        return self.values[self.data.id_column]

    @cached_property
    def columns(self) -> dict[str, np.ndarray]:
        """One array per column: float64 for numbers, objects otherwise; nan when missing."""
        out = {}
        for name, values in self.values.items():
            if self.data.columns[name].dtype in ("int", "float"):
                out[name] = np.array(values, dtype="float64")  # None becomes nan
            else:
                out[name] = np.array([np.nan if v is None else v for v in values], dtype=object)
        return out

    def frame(self) -> Any:
        """The DataFrame the schema gives for these records (what the Pipeline is fitted on)."""
        import pandas as pd

        from .schema import pandas_dtype

        return pd.DataFrame(
            {
                name: pd.Series(values, dtype=pandas_dtype(self.data.columns[name]))
                for name, values in self.values.items()
            }
        )

    def features(self) -> list[dict[str, Any]]:
        """Per record, the values of every column but the id: what the prediction log keeps."""
        names = [n for n in self.values if n != self.data.id_column]
        rows = zip(*(self.values[n] for n in names), strict=True)
        return [dict(zip(names, row, strict=True)) for row in rows]


def check_records(
    records: list[Any], data: Any, schema: Any, key: bytes | None
) -> tuple[Batch | None, list[dict[str, Any]]]:
    """(batch, []) or (None, errors). ``key`` hashes the pseudonymized columns (None: as sent)."""
    expected = [c for c in data.columns if c != data.target]
    # The usual request: records holding exactly the contract's columns, every value plain. Then
    # no field has a problem to report, so the per-field checks below are skipped.
    exact = _exact(records, expected)
    values = _plain_values(records, data, expected) if exact else None
    if values is None:
        errors = _shape_errors(records, data, expected)
        if errors:
            return None, errors
        if not exact:  # an exact batch was tried above: it is not plain
            values = _plain_values(records, data, expected)
    if values is None:
        values, errors = _schema_values(records, schema, expected)
        if values is None:
            # pandera can fail without failure cases (several nulls in a unique column)
            return None, errors or [
                {"record": None, "field": None, "message": "the batch breaks the data contract"}
            ]
    if key is not None:
        from .pseudonym import pseudonymize_values

        for name in data.pseudonymize.columns:
            if name in values:
                values[name] = pseudonymize_values(values[name], key)
    return Batch(values, data), []


def _shape_errors(records: list[Any], data: Any, expected: list[str]) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    for i, record in enumerate(records, start=1):  # counted from 1, as validate counts rows
        if len(errors) >= MAX_ERRORS:
            return _capped(errors)
        if not isinstance(record, dict):
            errors.append({"record": i, "field": None, "message": "must be a JSON object"})
            continue
        errors += _record_errors(i, record, data, expected)
    return _capped(errors)


def _record_errors(i: int, record: dict, data: Any, expected: list[str]) -> list[dict[str, Any]]:
    missing = [n for n in expected if n not in record]
    found = [{"record": i, "field": n, "message": "field required"} for n in missing]
    for name, value in record.items():
        problem = value_problem(name, value, data)
        if problem:
            found.append({"record": i, "field": printable(name), "message": problem})
        if len(found) > MAX_ERRORS_PER_RECORD:
            more = {"record": i, "field": None, "message": "more problems in this record not shown"}
            return [*found[:MAX_ERRORS_PER_RECORD], more]
    return found


def _capped(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(errors) <= MAX_ERRORS:
        return errors
    more = {"record": None, "field": None, "message": f"only the first {MAX_ERRORS} errors shown"}
    return [*errors[:MAX_ERRORS], more]


def _exact(records: list[Any], expected: list[str]) -> bool:
    """Every record a JSON object holding exactly the ``expected`` fields."""
    names = set(expected)
    return all(type(r) is dict and len(r) == len(names) and names.issuperset(r) for r in records)


def _plain_values(records: list[dict], data: Any, expected: list[str]) -> dict | None:
    """The value lists when every value is plainly valid (a problem-free field, as
    ``value_problem`` sees it) and unique where it must be; else None."""
    values = {}
    for name, spec, allowed, unique in _columns(data, expected):
        column = [r[name] for r in records]
        if not plain_column(column, spec, allowed):
            return None
        if unique and len(set(column)) != len(column):
            return None
        if spec.dtype == "float":
            column = [None if v is None else float(v) for v in column]
        values[name] = column
    return values


# id(data) -> (data, the expected columns, their _columns rows)
_COLUMNS: dict[int, tuple[Any, list[str], list[tuple]]] = {}


def _columns(data: Any, expected: list[str]) -> list[tuple[str, Any, frozenset | None, bool]]:
    """(name, spec, ``values.accepted(spec)``, unique) per expected column, kept per contract."""
    held = _COLUMNS.get(id(data))
    if held is None or held[0] is not data or held[1] != expected:
        if len(_COLUMNS) > 64:  # contracts long gone
            _COLUMNS.clear()
        specs = data.columns
        held = _COLUMNS[id(data)] = (data, list(expected), [
            (n, specs[n], accepted(specs[n]), specs[n].unique or n == data.id_column)
            for n in expected
        ])  # fmt: skip
    return held[2]


def _schema_values(
    records: list[dict], schema: Any, expected: list[str]
) -> tuple[dict | None, list[dict[str, Any]]]:
    import pandas as pd
    import pandera.errors

    frame = pd.DataFrame.from_records(records, columns=expected)
    try:
        valid = schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        return None, _failures(exc.failure_cases)
    values = {}
    for name in expected:
        column = valid[name].astype(object).where(valid[name].notna(), None).tolist()
        values[name] = [v.item() if isinstance(v, np.generic) else v for v in column]
    return values, []


def _failures(cases: Any) -> list[dict[str, Any]]:
    import pandas as pd

    uncoerced = {
        c
        for c, k in zip(cases["column"], cases["check"], strict=True)
        if str(k).startswith("coerce_dtype")
    }
    errors = []
    for column, index, check, value in zip(
        cases["column"], cases["index"], cases["check"], cases["failure_case"], strict=True
    ):
        check = str(check)
        if column in uncoerced and not check.startswith("coerce_dtype"):
            continue  # checks run on text that failed coercion: they repeat the same bad values
        record = None if pd.isna(index) else int(index) + 1
        errors.append({"record": record, "field": column, "message": _message(check, value)})
    errors.sort(key=lambda e: (e["record"] is None, e["record"] or 0, str(e["field"])))
    return _capped(errors)


def _message(check: str, value: Any) -> str:
    if check.startswith("coerce_dtype"):
        dtype = check[len("coerce_dtype") :].strip(chr(39) + "()")
        return f"cannot be read as {dtype}: {cut_repr(value)}"
    if check == "not_nullable":
        return "must not be null"
    if check == "field_uniqueness":
        return f"duplicate value {cut_repr(value)} in this batch"
    return f"fails {check}: {cut_repr(value)}"
