"""The pandera schema built from the data contract, and the failures it reports, summarized.

The contract itself (``DataConfig`` and its parts) is typed config in lockstep.contract.dataconfig.
pandera is imported only when a schema is built (``lockstep validate``), not by the stages and the
server that only read the config.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .dataconfig import BOOL_TEXT, DTYPES, ColumnSpec, DataConfig
from .text import cut, cut_repr

if TYPE_CHECKING:
    import pandera.pandas as pa

__all__ = ["DataConfig", "build_schema", "pandas_dtype", "summarize_failures", "validate_frame"]


def _finite(values: pd.Series) -> pd.Series:
    """True where a number is finite (or missing: nulls are the ``nullable`` rule's business)."""
    return values.isna() | np.isfinite(values.astype("float64"))


def _checks(spec: ColumnSpec) -> list[pa.Check]:
    import pandera.pandas as pa

    checks = []
    if spec.dtype == "float":  # inf passes every min/max that is left unset; models cannot fit it
        checks.append(pa.Check(_finite, name="finite"))
    if spec.min is not None:
        checks.append(pa.Check.ge(spec.min))
    if spec.max is not None:
        checks.append(pa.Check.le(spec.max))
    if spec.allowed is not None:
        checks.append(pa.Check.isin(list(spec.allowed)))
    return checks


def _keep_fractions(values: pd.Series) -> pd.Series:
    """Turn non-whole numbers into text, so coercion to int fails instead of truncating them."""
    numbers = pd.to_numeric(values, errors="coerce")
    fraction = values.notna() & numbers.notna() & (numbers % 1 != 0)
    return values.astype(object).mask(fraction, values.astype(str)) if fraction.any() else values


def _parse_bools(values: pd.Series) -> pd.Series:
    """Map yes/no, true/false, 1/0 (any case) to booleans; leave anything else to fail coercion."""

    def parse(value: Any) -> Any:
        if isinstance(value, bool) or pd.isna(value):
            return value
        return BOOL_TEXT.get(str(value).strip().lower(), value)

    return values.astype(object).map(parse)


PARSERS = {"int": _keep_fractions, "bool": _parse_bools}


def pandas_dtype(spec: ColumnSpec) -> str:
    """The pandas dtype of a validated column (a nullable int is Int64)."""
    return "Int64" if spec.dtype == "int" and spec.nullable else DTYPES[spec.dtype]


def build_schema(cfg: DataConfig) -> pa.DataFrameSchema:
    """The pandera schema for validated rows: dtypes (coerced), ranges, categories, nulls, ids."""
    import pandera.pandas as pa

    columns = {}
    for name, spec in cfg.columns.items():
        dtype = pandas_dtype(spec)
        checks = _checks(spec)
        if name == cfg.target:
            checks.append(
                pa.Check(lambda s: s.notna().any(), element_wise=False, name="target_not_all_null")
            )
        columns[name] = pa.Column(
            dtype,
            checks=checks,
            nullable=spec.nullable and name != cfg.target,
            unique=spec.unique or name == cfg.id_column,
            coerce=True,
            parsers=[pa.Parser(PARSERS[spec.dtype])] if spec.dtype in PARSERS else None,
            required=True,
        )
    return pa.DataFrameSchema(columns, strict=True, ordered=False, name=cfg.name)


def summarize_failures(
    failures: pd.DataFrame, frame: pd.DataFrame, id_column: str | None, examples: int = 3
) -> list[dict[str, Any]]:
    """One row per (column, check): how many rows fail, a few row numbers, ids and values.

    Row numbers count data rows from 1 (a CSV's header line is not a row). With no id column,
    the row numbers are all there is. Values and names are cut to ``text.LIMIT`` characters.
    When a column's type cannot be coerced, the checks that then fail on the uncoerced text are
    left out: they repeat the same bad values.
    """
    rows = []
    failures = failures.copy()
    text = failures["failure_case"].map(lambda v: cut(str(v)))
    uncoerced = set(
        failures.loc[failures["check"].astype(str).str.startswith("coerce_dtype"), "column"]
    )
    echo = failures["column"].isin(uncoerced) & (
        failures["check"].astype(str).str.startswith("dtype(") | text.str.startswith("TypeError(")
    )
    failures = failures[~echo]
    failures["column"] = failures["column"].fillna("<table>").astype(str)
    failures["check"] = failures["check"].astype(str)
    # pandera names the schema, not the column, when a column is missing or not in the contract.
    presence = failures["check"].isin(["column_in_dataframe", "column_in_schema"])
    failures.loc[presence, "column"] = failures.loc[presence, "failure_case"].astype(str)
    has_ids = id_column is not None and id_column in frame.columns
    for (column, check), group in failures.groupby(["column", "check"], sort=True):
        shown = group.head(examples)
        where = [idx for idx in shown["index"] if pd.notna(idx) and idx in frame.index]
        ids = [cut(str(frame.at[idx, id_column])) for idx in where] if has_ids else []
        rows.append(
            {
                "column": cut(column),
                "check": check,
                "failing": len(group),
                "example_rows": ", ".join(str(int(idx) + 1) for idx in where) or "-",
                "example_ids": ", ".join(ids) or "-",
                "example_values": ", ".join(cut_repr(v) for v in shown["failure_case"]),
            }
        )
    return rows


def validate_frame(frame: pd.DataFrame, cfg: DataConfig) -> pd.DataFrame:
    """Coerce and check ``frame``; raise ``pa.errors.SchemaErrors`` with every failure (lazy)."""
    return build_schema(cfg).validate(frame, lazy=True)
