"""The `lockstep` command. Subcommands load on first use, so `lockstep --help` stays instant."""

from __future__ import annotations

import importlib
import os

import click

from . import __version__
from .errors import LockstepError

# name -> ("module:attribute", one-line help); pipeline stages first, in pipeline order.
COMMANDS = {
    "code": (
        "lockstep.stages.code:command",
        "Write code/<stage>.sha256: the modules each stage runs, by hash.",
    ),
    "params": (
        "lockstep.compose:command",
        "Compose conf/ into params.yaml, or --check it is current.",
    ),
    "ingest": ("lockstep.stages.ingest:command", "Read the configured source into data/raw/."),
    "validate": ("lockstep.stages.validate:command", "Check raw data against the data contract."),
    "split": ("lockstep.stages.split:command", "Stratified train/test split by seed."),
    "featurize": ("lockstep.stages.featurize:command", "Add row-wise derived features."),
    "train": ("lockstep.stages.train:command", "Cross-validate, fit and save the model pipeline."),
    "evaluate": ("lockstep.stages.evaluate:command", "Test-set metrics and plot data."),
    "fairness": ("lockstep.stages.fairness:command", "Group rates and disparities with intervals."),
    "model_card": ("lockstep.stages.model_card:command", "Write reports/model_card.md."),
    "report": (
        "lockstep.review.report:command",
        "Markdown metric/param/data diff between two revisions.",
    ),
    "plots": ("lockstep.review.plots:command", "Render dvc plots to HTML that needs no network."),
    "gate": ("lockstep.review.gate:command", "Exit 1 when a metric regresses past its tolerance."),
    "bisect": (
        "lockstep.review.bisect_run:command",
        "Find the first commit where a metric went bad (binary search).",
    ),
    "explain": (
        "lockstep.review.explain_run:command",
        "Split a metric's change between data, params and code (Shapley).",
    ),
    "comment": ("lockstep.review.comment:command", "Create or update the one sticky PR comment."),
    "registry": ("lockstep.registry.cli:command", "Model versions and stages from Git tags."),
    "promote": (
        "lockstep.registry.promote:command",
        "Champion/challenger check, then tag a version.",
    ),
    "rollback": (
        "lockstep.registry.promote:rollback",
        "Assign a stage back to its previous version.",
    ),
    "model": ("lockstep.registry.cli:model", "Fetch a registered model by stage or version."),
    "serve": ("lockstep.serve.cli:command", "Serve the promoted model over HTTP (FastAPI)."),
    "drift": (
        "lockstep.monitor.drift:command",
        "Per-column and score drift of a batch vs reference.",
    ),
    "compare": (
        "lockstep.review.compare:command",
        "One table of several experiments (e.g. a sweep) against a base revision.",
    ),
    "tune": (
        "lockstep.tune.command:command",
        "Tune a model family by CV on the training split; write conf/model/<family>_tuned.yaml.",
    ),
    "outcomes": (
        "lockstep.monitor.command:outcomes",
        "Ground-truth labels: add them to the outcome store, export labelled rows.",
    ),
    "monitor": (
        "lockstep.monitor.command:command",
        "Live performance, concept drift and A/B verdict from logged predictions + outcomes.",
    ),
    "alert": (
        "lockstep.monitor.alert:command",
        'Create, update or close the one "lockstep monitor" GitHub issue.',
    ),
    "reproduce": (
        "lockstep.reproduce.command:command",
        "Re-run a past commit in a worktree; judge every output (--attest records it).",
    ),
}

# The dvc.yaml stages that write outputs. DVC deletes a stage's outputs before running it, so a
# failed stage leaves tracked files deleted: its error says how to get them back.
STAGES = frozenset(
    {"code", "ingest", "validate", "split", "featurize", "train", "evaluate", "model_card"}
)
RECOVER = (
    "\nTo get back the committed outputs: `git checkout -- code/ reports/` and `dvc checkout` "
    "(and `git checkout -- params.yaml` after a failed `dvc exp run -S`)."
)

# Commands whose outputs depend on the BLAS kernel: they warn when it cannot be pinned.
NUMERIC_COMMANDS = frozenset({"train", "evaluate", "fairness", "model_card", "reproduce", "tune"})


def params_option(args: list[str]) -> str:
    """The value of a command's ``--params`` option in ``args``, or the default params.yaml."""
    for i, arg in enumerate(args):
        if arg == "--params" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--params="):
            return arg.split("=", 1)[1]
    return "params.yaml"


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute = COMMANDS[name][0].split(":")
        return getattr(importlib.import_module(module), attribute)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """Pin the numeric environment from the command's params file before its module loads."""
        from .numerics import pin

        path = params_option(args[1:])
        try:
            pin(path, warn=bool(args) and args[0] in NUMERIC_COMMANDS)
        except Exception as exc:  # a bad numerics section
            raise click.ClickException(f"{path}: {exc}") from exc
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context) -> object:
        """LockstepError becomes click's ``Error: ...``; anything unexpected a one-line error too
        (LOCKSTEP_DEBUG=1 shows its traceback)."""
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            if ctx.invoked_subcommand in STAGES and RECOVER not in exc.message:
                exc.message += RECOVER
            raise
        except (click.exceptions.Exit, click.Abort):
            raise
        except LockstepError as exc:
            stage = ctx.invoked_subcommand in STAGES
            hint = RECOVER if stage and exc.outputs_touched else ""
            error = click.ClickException(exc.message + hint)
            error.exit_code = exc.exit_code
            raise error from exc
        except Exception as exc:
            if os.environ.get("LOCKSTEP_DEBUG"):
                raise
            hint = RECOVER if ctx.invoked_subcommand in STAGES else ""
            raise click.ClickException(
                f"{type(exc).__name__}: {exc}\n(unexpected; set LOCKSTEP_DEBUG=1 for the "
                f"traceback){hint}"
            ) from exc

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, text) for name, (_, text) in COMMANDS.items()])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lockstep")
def main() -> None:
    """lockstep: reproducible ML pipelines with DVC, Hydra and Git.

    Each pipeline stage is a command here and a stage in dvc.yaml; run them all with `dvc repro`.
    """
