"""Stage featurize: data/split/{train,test}.parquet → data/features/{train,test}.parquet.

Params: ``featurize`` (``derived``: the dataset's derived-feature specs, see lockstep.features).
Row-wise and stateless: the same ``derive`` runs inside the saved model at scoring time.
"""

from __future__ import annotations

import click

from ..config import load_params, read_section
from ..features import FeaturizeParams, check_specs, derive
from ..io import read_parquet, write_parquet
from ..options import params_option
from ..paths import FEATURES_DIR, SPLIT_DIR
from .parts import dask_spec

# The params this stage reads: its `params:` in dvc.yaml (tests/stages/test_dvc_lock.py).
PARAMS = ("featurize", "data.engine", "data.dask")


@click.command("featurize")
@params_option()
@click.option("--input-dir", default=SPLIT_DIR, show_default=True)
@click.option("--output-dir", default=FEATURES_DIR, show_default=True)
def command(params_path: str, input_dir: str, output_dir: str) -> None:
    """Add the configured row-wise derived features to both splits."""
    everything = load_params(params_path, PARAMS)
    params = read_section(FeaturizeParams, everything)
    dask = dask_spec(everything)
    if dask is not None:  # parts in, parts out (lockstep.stages.dask_featurize)
        from .dask_featurize import featurize_parts

        featurize_parts(input_dir, output_dir, params.derived, dask)
        click.echo(f"featurize: {len(params.derived)} derived feature(s) -> {output_dir}/ (parts)")
        return
    for part in ("train", "test"):
        frame = read_parquet(f"{input_dir}/{part}.parquet")
        check_specs(params.derived, list(frame.columns))
        write_parquet(f"{output_dir}/{part}.parquet", derive(frame, params.derived))
    click.echo(f"featurize: {len(params.derived)} derived feature(s) -> {output_dir}/")
