"""`lockstep tune FAMILY`: search conf/tune/FAMILY.yaml, write conf/model/FAMILY_tuned.yaml.

Reads only the training split (data/features/train.parquet). The config is composed from conf/
with ``model=FAMILY +tune=FAMILY`` (plus any OVERRIDES), so the base model, the data's column
roles and the derived features are the ones `dvc exp run -S model=FAMILY` would use. The study is
named after a digest of everything that changes a trial's score (space, metric, folds, seed,
pruning, base model, the training data's hash), so a changed setting starts a new study in the
same journal while a larger ``--trials`` budget continues the old one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import yaml

from ..compose import compose
from ..config import build
from ..contract.schema import DataConfig
from ..errors import LockstepError
from ..features import FeaturizeParams
from ..io import read_parquet, sha256_file
from ..paths import CONF_DIR, PLOTS_DIR, TRAIN_FEATURES, TUNE_JOURNALS, TUNING_REPORT


def load_config(config_dir: str, family: str, overrides: tuple[str, ...]) -> dict[str, Any]:
    conf = Path(config_dir)
    for group in ("tune", "model"):
        if not (conf / group / f"{family}.yaml").exists():
            known = sorted(p.stem for p in (conf / group).glob("*.yaml"))
            raise LockstepError(
                f"{conf / group / family}.yaml not found: no {group} config for '{family}' "
                f"(there are: {', '.join(known) or 'none'})"
            )
    text = compose(config_dir, (f"model={family}", f"+tune={family}", *overrides))
    return yaml.safe_load(text)


def study_name(family: str, settings: dict[str, Any]) -> str:
    fixed = {k: v for k, v in settings.items() if k != "n_trials"}
    digest = hashlib.sha256(json.dumps(fixed, sort_keys=True).encode()).hexdigest()[:12]
    return f"{family}-{digest}"


def journal_storage(path: Path, fresh: bool) -> Any:
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    if fresh:
        path.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    return JournalStorage(JournalFileBackend(str(path)))


@contextlib.contextmanager
def executor_for(scheduler: str | None, workers: int | None, cv: Any) -> Iterator[Any]:
    """In this process when no cluster is asked for; else on a Dask client's workers."""
    if not scheduler and workers is None:
        from .search import LocalExecutor

        yield LocalExecutor(cv)
        return
    from ..cluster import client
    from .dask_executor import DaskExecutor

    with client(scheduler, workers) as dask_client:
        yield DaskExecutor(dask_client, cv)


def best_text(study: Any) -> str:
    values = [t.value for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    return f"best {max(values):.4f}" if values else "no trial complete yet"


@click.command("tune")
@click.argument("family")
@click.argument("overrides", nargs=-1)
@click.option("--trials", type=click.IntRange(min=1), help="Trial budget (default: n_trials).")
@click.option("--scheduler", help="Run trials on this Dask scheduler (tcp://HOST:PORT).")
@click.option(
    "--workers", type=click.IntRange(min=1), help="Run trials on a LocalCluster of N workers."
)
@click.option(
    "--journal", type=click.Path(path_type=Path), help=f"[{TUNE_JOURNALS}/FAMILY.journal]"
)
@click.option("--fresh", is_flag=True, help="Delete the journal first; start over.")
@click.option("--config-dir", default=CONF_DIR, show_default=True)
@click.option("--input", "input_path", default=TRAIN_FEATURES, show_default=True)
@click.option("--report", default=TUNING_REPORT, show_default=True)
@click.option("--plots-dir", default=PLOTS_DIR, show_default=True)
@click.pass_context
def command(ctx: click.Context, family: str, overrides: tuple[str, ...], **opts: Any) -> None:
    """Tune FAMILY's hyperparameters by CV on the training split; write a model config."""
    from ..cluster import probe
    from .results import write_outputs
    from .search import Search, finished, open_study

    if opts["scheduler"] and opts["workers"] is not None:
        raise LockstepError("give --scheduler or --workers, not both")
    if opts["scheduler"]:
        probe(opts["scheduler"])
    cfg, params, space, cv, settings = prepare(family, overrides, opts)
    journal = opts["journal"] or Path(TUNE_JOURNALS) / f"{family}.journal"
    storage = journal_storage(journal, opts["fresh"])
    study = open_study(storage, study_name(family, settings), params)
    with executor_for(opts["scheduler"], opts["workers"], cv) as executor:
        search = Search(study, params, space, cfg["model"], executor)
        try:
            run_with_progress(search, study, params.n_trials, len(finished(study)))
        except KeyboardInterrupt:
            click.echo(
                f"\ntune: interrupted; {len(finished(study))} finished trial(s) kept in {journal}: "
                "run the same command to resume",
                err=True,
            )
            ctx.exit(130)
    paths = {
        "config": Path(opts["config_dir"]) / "model" / f"{family}_tuned.yaml",
        "report": Path(opts["report"]),
        "history": Path(opts["plots_dir"]) / "tuning_history.json",
        "importance": Path(opts["plots_dir"]) / "tuning_importance.json",
    }
    summary = write_outputs(study, family, cfg["model"], settings, paths)
    best = summary["best"]
    click.echo(
        f"tune: best {params.metric} {best['value']:.4f} (trial {best['trial']}, "
        f"{summary['counts']}) -> {paths['config']}; next: dvc exp run -S model={family}_tuned"
    )


def prepare(family: str, overrides: tuple[str, ...], opts: dict[str, Any]) -> tuple:
    """The composed config, tune params, search space, CV data and the study's settings."""
    from .objective import cv_data
    from .space import TuneParams, distributions

    cfg = load_config(opts["config_dir"], family, overrides)
    section = dict(cfg["tune"], **({"n_trials": opts["trials"]} if opts["trials"] else {}))
    params = build(TuneParams, section, "tune")
    space = distributions(params, cfg["model"].get("family"))
    data = build(DataConfig, cfg["data"], "data")
    derived = list(build(FeaturizeParams, cfg["featurize"], "featurize").derived)
    frame = read_parquet(opts["input_path"])
    cv = cv_data(
        frame, data, derived, params.cv_folds, params.seed, params.metric, params.cv_repeats
    )
    settings = {
        **{k: v for k, v in cfg["tune"].items() if k != "n_trials"},
        "n_trials": params.n_trials,
        "base_model": cfg["model"],
        "training_data_sha256": sha256_file(opts["input_path"]),
    }
    return cfg, params, space, cv, settings


def run_with_progress(search: Any, study: Any, total: int, done: int) -> None:
    with click.progressbar(
        length=total, label="tune", show_pos=True, item_show_func=lambda item: item
    ) as bar:
        bar.update(done, best_text(study))
        search.on_trial = lambda trial: bar.update(1, best_text(study))
        search.run()
