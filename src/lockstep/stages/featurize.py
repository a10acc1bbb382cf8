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

# The params this stage reads: its `params:` in dvc.yaml (tests/stages/test_dvc_lock.py).
PARAMS = ("featurize",)


@click.command("featurize")
@params_option()
@click.option("--input-dir", default=SPLIT_DIR, show_default=True)
@click.option("--output-dir", default=FEATURES_DIR, show_default=True)
def command(params_path: str, input_dir: str, output_dir: str) -> None:
    """Add the configured row-wise derived features to both splits."""
    params = read_section(FeaturizeParams, load_params(params_path, PARAMS))
    for part in ("train", "test"):
        frame = read_parquet(f"{input_dir}/{part}.parquet")
        check_specs(params.derived, list(frame.columns))
        write_parquet(f"{output_dir}/{part}.parquet", derive(frame, params.derived))
    click.echo(f"featurize: {len(params.derived)} derived feature(s) -> {output_dir}/")
