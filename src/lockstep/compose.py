"""`lockstep params`: compose conf/ into params.yaml with Hydra's compose API.

The output is byte-for-byte what DVC writes for `dvc exp run` with hydra.enabled (compose,
resolve interpolations, OmegaConf YAML), so both tools agree on one file.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import click

from .errors import LockstepError
from .io import write_text
from .paths import CONF_DIR, PARAMS_FILE


def compose(
    config_dir: str | Path = CONF_DIR, overrides: tuple[str, ...] = (), config_name: str = "config"
) -> str:
    """Return the YAML text of the composed, resolved config."""
    import yaml
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    config_dir = Path(config_dir).resolve()
    if not (config_dir / f"{config_name}.yaml").exists():
        raise LockstepError(f"{config_dir}/{config_name}.yaml not found: run from the project root")
    try:
        with initialize_config_dir(str(config_dir), version_base=None):
            cfg = hydra_compose(config_name=config_name, overrides=list(overrides))
        OmegaConf.resolve(cfg)
    except (HydraException, OmegaConfBaseException, yaml.YAMLError) as exc:
        raise LockstepError(f"cannot compose {config_dir}: {exc}") from exc
    return OmegaConf.to_yaml(cfg)


@click.command("params")
@click.argument("overrides", nargs=-1)
@click.option("--check", is_flag=True, help="Exit 1 and show a diff if params.yaml is stale.")
@click.option("--print", "show", is_flag=True, help="Print the composition; write nothing.")
@click.option("--config-dir", default=CONF_DIR, show_default=True)
@click.option("--output", default=PARAMS_FILE, show_default=True)
def command(
    overrides: tuple[str, ...], check: bool, show: bool, config_dir: str, output: str
) -> None:
    """Compose conf/ (plus Hydra OVERRIDES such as model=random_forest) into params.yaml."""
    text = compose(config_dir, overrides)
    out = Path(output)
    if show:
        click.echo(text, nl=False)
        return
    if not check:
        write_text(out, text)
        click.echo(f"params: wrote {out} from {config_dir}/")
        return
    current = out.read_text(encoding="utf-8") if out.exists() else ""
    if os.environ.get("DVC_EXP_NAME"):  # `dvc exp run` composed params.yaml itself (with -S)
        click.echo(f"params: {out} was composed by `dvc exp run`; not compared with {config_dir}/")
        return
    if current == text:
        click.echo(f"params: {out} matches {config_dir}/")
        return
    diff = difflib.unified_diff(
        current.splitlines(keepends=True),
        text.splitlines(keepends=True),
        fromfile=f"{out} (on disk)",
        tofile=f"{out} (from {config_dir}/)",
    )
    click.echo("".join(diff), err=True)
    raise LockstepError(
        f"{config_dir}/ changed since {out} was composed ({out} is out of date): run "
        "`lockstep params` (or `make params`) and commit the result"
    )
