"""Trials and CV folds on a Dask LocalCluster (127.0.0.1, started and stopped here)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import dask
import pytest
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState

from lockstep.cluster import client, fold_backend
from lockstep.models import make_estimator, make_pipeline
from lockstep.stages.train import TrainParams, cross_validation
from lockstep.tune.dask_executor import DaskExecutor
from lockstep.tune.objective import score_fold
from lockstep.tune.search import LocalExecutor, Search, finished, open_study
from tests.helpers.tiny import DERIVED, data_config
from tests.tune.conftest import tiny_cv
from tests.tune.test_command import OUTPUTS, tune
from tests.tune.test_search import BASE, SPACE, tune_params

pytestmark = pytest.mark.slow

MODELS = [{**BASE, "C": c} for c in (0.01, 1.0, 50.0)]


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes; a task may lose its worker once and is then run again."""
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 1}),
        client(workers=2) as dask_client,
    ):
        yield dask_client


def address(dask_client) -> str:
    return dask_client.scheduler.address


def drain(executor, n):
    return sorted(executor.next() for _ in range(n))


def test_workers_score_folds_exactly_as_this_process_does(cluster):
    cv = tiny_cv()
    assert all(w.startswith("tcp://127.0.0.1:") for w in cluster.nthreads())
    remote, local = DaskExecutor(cluster, cv), LocalExecutor(cv)
    assert remote.slots == 2
    for tag, model in enumerate(MODELS):
        for fold in (0, 1):
            remote.submit(tag * 2 + fold, model, fold)
            local.submit(tag * 2 + fold, model, fold)
    assert drain(remote, 6) == drain(local, 6)


def test_a_search_on_two_workers_finishes_every_trial(cluster, tmp_path):
    cv, params = tiny_cv(), tune_params(n_trials=6, cv_folds=2, prune_after_trials=10)
    storage = JournalStorage(JournalFileBackend(str(tmp_path / "a.journal")))
    study = open_study(storage, "dask", params)
    Search(study, params, SPACE, BASE, DaskExecutor(cluster, cv)).run()
    trials = finished(study)
    assert len(trials) == 6 and {t.state for t in trials} == {TrialState.COMPLETE}
    for trial in trials:
        model = {**BASE, **trial.params}
        assert trial.user_attrs["fold_scores"] == [score_fold(cv, model, f) for f in (0, 1)]


def test_tune_command_runs_on_an_existing_scheduler(cluster, tiny_project):
    result = tune(tiny_project, "--scheduler", address(cluster), "--trials", "2")
    assert result.exit_code == 0, result.output
    report = json.loads((tiny_project / OUTPUTS[1]).read_text())
    assert len(report["trials"]) == 2


def test_train_folds_on_the_cluster_give_the_local_metrics(cluster):
    cv = tiny_cv(folds=3, seed=7)
    params = TrainParams(seed=7, cv_folds=3, cv_metrics=("roc_auc", "neg_log_loss"))
    pipeline = make_pipeline(data_config(), DERIVED, make_estimator(BASE, 7))
    local = cross_validation(pipeline, cv.X, cv.y, params)
    with fold_backend(address(cluster)):
        remote = cross_validation(pipeline, cv.X, cv.y, params)
    assert remote == local


def killer(marker: Path, always: bool):
    """A fold function that kills its worker process: once (then scores), or every time."""

    def fold(cv, model, number):
        if always or not marker.exists():
            marker.touch()
            os._exit(1)
        return score_fold(cv, model, number)

    return fold


def test_a_lost_workers_fold_is_run_again(cluster, tmp_path):
    executor = DaskExecutor(cluster, tiny_cv(), fold=killer(tmp_path / "died", always=False))
    executor.submit(0, MODELS[1], 0)
    tag, score, error = executor.next()
    assert (tmp_path / "died").exists()
    assert (tag, error) == (0, None)
    assert score == score_fold(tiny_cv(), MODELS[1], 0)


def test_a_fold_that_keeps_killing_workers_fails_its_trial_by_name(cluster, tmp_path):
    params = tune_params(n_trials=1, cv_folds=2)
    study = open_study(JournalStorage(JournalFileBackend(str(tmp_path / "j"))), "k", params)
    fold = killer(tmp_path / "died", always=True)
    Search(study, params, SPACE, BASE, DaskExecutor(cluster, tiny_cv(), fold)).run()
    (trial,) = finished(study)
    assert trial.state == TrialState.FAIL
    assert trial.user_attrs["error"].startswith("KilledWorker")
