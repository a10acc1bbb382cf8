"""Stage featurize: data/split/{train,test}.parquet → data/features/{train,test}.parquet.

Params: ``featurize`` (``derived``: the dataset's derived-feature specs, see lockstep.features).
Row-wise and stateless: the same ``derive`` runs inside the saved model at scoring time.
"""

from __future__ import annotations

import click

from ..config import build, load_params, section
from ..features import FeaturizeParams, check_specs, derive
from ..io import read_parquet, write_parquet


@click.command("featurize")
@click.option("--params", "params_path", default="params.yaml", show_default=True)
@click.option("--input-dir", default="data/split", show_default=True)
@click.option("--output-dir", default="data/features", show_default=True)
def command(params_path: str, input_dir: str, output_dir: str) -> None:
    """Add the configured row-wise derived features to both splits."""
    params = build(FeaturizeParams, section(load_params(params_path), "featurize"), "featurize")
    for part in ("train", "test"):
        frame = read_parquet(f"{input_dir}/{part}.parquet")
        check_specs(params.derived, list(frame.columns))
        write_parquet(f"{output_dir}/{part}.parquet", derive(frame, params.derived))
    click.echo(f"featurize: {len(params.derived)} derived feature(s) -> {output_dir}/")
