"""Stage ingest: the configured source → data/raw/<name>.parquet + reports/ingest.json.

Params: ``data``. Source kinds: ``package`` (a dataset bundled in an installed package),
``file`` (CSV or Parquet, local path or URL), ``sql`` (a query through SQLAlchemy), each read by
lockstep.stages.readers; then the labelled production rows in ``data.feedback`` when that file
exists. Columns listed in ``data.pseudonymize.columns`` are replaced by a keyed hash (HMAC-SHA256)
before anything is written; the key comes from the environment variable named by ``key_env``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import click
import pandas as pd

from ..config import load_params, read_section
from ..contract.columns import rename_columns
from ..contract.dataconfig import DataConfig, SourceSpec
from ..contract.pseudonym import PUBLIC_SOURCE_KINDS, key_check, pseudonym_key, pseudonymize
from ..errors import LockstepError
from ..io import write_json, write_parquet
from ..options import params_option
from ..paths import INGEST_FILE
from .readers import READERS, redact

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


def content_hash(frame: pd.DataFrame) -> str:
    digest = hashlib.sha256("\x1f".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def ingest(cfg: DataConfig) -> pd.DataFrame:
    frame = rename_columns(READERS[cfg.source.kind](cfg.source), cfg.rename)
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
