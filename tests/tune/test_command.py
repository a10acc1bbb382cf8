"""`lockstep tune` through the CLI on the tiny dataset: outputs, determinism, bad input."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from lockstep.cli import main
from lockstep.compose import compose
from lockstep.models import labels, make_estimator, make_pipeline
from lockstep.stages.train import TrainParams, cross_validation
from lockstep.tune.command import load_config
from tests.helpers.tiny import DERIVED, data_config

OUTPUTS = (
    "conf/model/logistic_regression_tuned.yaml",
    "reports/tuning.json",
    "reports/plots/tuning_history.json",
    "reports/plots/tuning_importance.json",
)


def tune(project: Path, *args: str):
    argv = [
        "tune",
        "logistic_regression",
        "data=tiny",
        "tune.cv_folds=2",
        "tune.cv_repeats=1",  # one split: the best trial's figure is then train's CV figure
        "tune.metric=neg_log_loss",  # on 20 rows, ROC AUC is often 1.0 whatever the params
        "--trials",
        "4",
        "--config-dir",
        str(project / "conf"),
        "--input",
        str(project / "data/features/train.parquet"),
        "--journal",
        str(project / "tune.journal"),
        "--report",
        str(project / "reports/tuning.json"),
        "--plots-dir",
        str(project / "reports/plots"),
        *args,
    ]
    return CliRunner().invoke(main, argv)


def test_tune_writes_a_config_that_train_scores_as_tuning_did(tiny_project):
    result = tune(tiny_project)
    assert result.exit_code == 0, result.output
    report = json.loads((tiny_project / "reports/tuning.json").read_text())
    assert report["counts"]["complete"] + report["counts"]["pruned"] == 4
    assert [t["number"] for t in report["trials"]] == [0, 1, 2, 3]
    assert "model=logistic_regression_tuned" in result.output
    cfg = yaml.safe_load(
        compose(tiny_project / "conf", ("data=tiny", "model=logistic_regression_tuned"))
    )
    assert cfg["model"]["C"] == report["best"]["params"]["C"]
    assert cfg["model"]["max_iter"] == report["settings"]["base_model"]["max_iter"]
    frame = __import__("pandas").read_parquet(tiny_project / "data/features/train.parquet")
    X, y = frame.drop(columns=["churn"]), labels(frame, data_config())
    pipeline = make_pipeline(data_config(), DERIVED, make_estimator(cfg["model"], cfg["seed"]))
    train = TrainParams(seed=cfg["seed"], cv_folds=2, cv_metrics=("neg_log_loss",))
    log_loss = cross_validation(pipeline, X, y, train)["cv"]["log_loss"]["mean"]
    assert -log_loss == pytest.approx(report["best"]["value"], abs=1e-6)
    assert report["best"]["value"] == max(t["value"] for t in report["trials"])
    history = json.loads((tiny_project / "reports/plots/tuning_history.json").read_text())
    assert history[-1]["best"] == report["best"]["value"]
    importance = json.loads((tiny_project / "reports/plots/tuning_importance.json").read_text())
    # every param of the committed space, whatever it holds
    assert {row["param"] for row in importance} == set(report["settings"]["space"])
    assert sum(row["importance"] for row in importance) == pytest.approx(1.0, abs=1e-5)


def test_the_tuned_config_header_names_the_repeated_folds():
    from optuna.distributions import FloatDistribution
    from optuna.trial import create_trial

    from lockstep.tune.results import tuned_config

    space = {"C": FloatDistribution(0.1, 1)}
    best = create_trial(params={"C": 0.5}, distributions=space, value=0.8)
    settings = {"n_trials": 9, "seed": 4, "cv_folds": 5, "metric": "roc_auc"}
    base = {"family": "logistic_regression", "C": 1.0}
    once = tuned_config(base, best, "logistic_regression", {**settings, "cv_repeats": 1})
    thrice = tuned_config(base, best, "logistic_regression", {**settings, "cv_repeats": 3})
    assert "# 5-fold CV roc_auc 0.8000 on the training" in once
    assert "# 5-fold CV x 3 repeats roc_auc 0.8000 on the training" in thrice
    assert yaml.safe_load(thrice) == {"family": "logistic_regression", "C": 0.5}


def test_a_fresh_rerun_gives_byte_identical_outputs_and_never_reads_the_test_split(tiny_project):
    assert not (tiny_project / "data/features/test.parquet").exists()
    assert tune(tiny_project).exit_code == 0
    first = {name: (tiny_project / name).read_bytes() for name in OUTPUTS}
    assert tune(tiny_project, "--fresh").exit_code == 0
    assert {name: (tiny_project / name).read_bytes() for name in OUTPUTS} == first
    again = tune(tiny_project)  # same journal, budget met: nothing to run, same outputs
    assert again.exit_code == 0
    assert {name: (tiny_project / name).read_bytes() for name in OUTPUTS} == first


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tune.metric=auc"], "tune.metric: 'auc' is not a scikit-learn scorer"),
        (["--workers", "0"], "'--workers': 0 is not in the range x>=1"),
        (["+tune.space.depth={low:1,high:3}"], "tune.space.depth: LogisticRegression has no"),
        (["tune.space.C.low=1000.0"], "tune.space.C: empty range, low 1000.0 is not below"),
        (
            ["++tune.space.tol={low:-1.0,high:1.0}"],
            "tune.space.tol: LogisticRegression rejects -1.0",
        ),
        (["--scheduler", "127.0.0.1:8786"], "is not a scheduler address like tcp://HOST:PORT"),
        (["--scheduler", "tcp://127.0.0.1:1", "--workers", "2"], "--scheduler or --workers"),
    ],
)
def test_bad_input_fails_at_once_naming_it_and_writes_nothing(tiny_project, args, message):
    result = tune(tiny_project, *args)
    assert result.exit_code != 0
    assert message in result.output
    assert not any((tiny_project / name).exists() for name in OUTPUTS)
    assert not (tiny_project / "tune.journal").exists()


def test_an_unreachable_scheduler_fails_at_once_naming_it(tiny_project):
    address = f"tcp://127.0.0.1:{free_port()}"
    result = tune(tiny_project, "--scheduler", address)
    assert result.exit_code != 0
    assert f"cannot reach the Dask scheduler at {address}" in result.output
    assert not (tiny_project / "tune.journal").exists()


def test_a_family_without_a_space_names_the_spaces_there_are(tiny_project):
    with pytest.raises(Exception, match=r"no tune config for 'random_forest' \(there are: "):
        load_config(str(tiny_project / "conf"), "random_forest", ())
