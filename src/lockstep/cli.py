"""The `lockstep` command. Subcommands load on first use, so `lockstep --help` stays instant."""

from __future__ import annotations

import importlib

import click

from . import __version__

# name -> (module, one-line help); pipeline stages in pipeline order.
COMMANDS = {
    "params": ("lockstep.params", "Compose conf/ into params.yaml, or --check it is current."),
    "ingest": ("lockstep.stages.ingest", "Read the configured source into data/raw/."),
    "validate": ("lockstep.stages.validate", "Check raw data against the data contract."),
    "split": ("lockstep.stages.split", "Stratified train/test split by seed."),
    "featurize": ("lockstep.stages.featurize", "Add row-wise derived features."),
    "train": ("lockstep.stages.train", "Cross-validate, fit and save the model pipeline."),
    "evaluate": ("lockstep.stages.evaluate", "Test-set metrics and plot data."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        return importlib.import_module(COMMANDS[name][0]).command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, text) for name, (_, text) in COMMANDS.items()])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lockstep")
def main() -> None:
    """lockstep: reproducible ML pipelines with DVC, Hydra and Git.

    Each pipeline stage is a command here and a stage in dvc.yaml; run them all with `dvc repro`.
    """
