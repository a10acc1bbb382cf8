"""lockstep.tune.search: seeded, resumable ask-and-tell; pruning; failed and interrupted trials."""

from __future__ import annotations

import math

import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState

from lockstep.tune.objective import score_fold
from lockstep.tune.search import LocalExecutor, Search, finished, open_study
from lockstep.tune.space import TuneParams
from tests.tune.conftest import tiny_cv

SPACE = {"C": FloatDistribution(0.001, 100.0, log=True)}
BASE = {"family": "logistic_regression", "max_iter": 500}


class Scripted:
    """An executor whose fold score is a function of the params: fast and fully known."""

    slots = 1

    def __init__(self, score, interrupt_at: int | None = None) -> None:
        self.score, self.queue, self.calls, self.interrupt_at = score, [], 0, interrupt_at

    def submit(self, tag, model, fold):
        self.queue.append((tag, model, fold))

    def next(self):
        self.calls += 1
        if self.calls == self.interrupt_at:
            raise KeyboardInterrupt
        tag, model, fold = self.queue.pop(0)
        value = self.score(model, fold)
        return (tag, None, value) if isinstance(value, str) else (tag, value, None)

    def cancel(self):
        self.queue.clear()


def peak(model, fold):
    """Best at C = 1; fold 0 scores a little higher than the others."""
    return 1.0 - abs(math.log10(model["C"])) / 5 + (0.01 if fold == 0 else 0.0)


def tune_params(**more) -> TuneParams:
    settings = {"space": {"C": {}}, "n_trials": 8, "cv_folds": 3, "seed": 5, "startup_trials": 3}
    return TuneParams(**{**settings, **more})


def run(journal, executor, **more) -> optuna.Study:
    params = tune_params(**more)
    storage = JournalStorage(JournalFileBackend(str(journal)))
    study = open_study(storage, "test", params)
    Search(study, params, SPACE, BASE, executor).run()
    return study


def trail(study):
    return [(t.number, t.state, t.params, t.value) for t in finished(study)]


def test_same_seed_and_budget_give_the_same_trials(tmp_path):
    first = run(tmp_path / "a.journal", Scripted(peak))
    second = run(tmp_path / "b.journal", Scripted(peak))
    assert len(finished(first)) == 8
    assert trail(first) == trail(second)
    other = run(tmp_path / "c.journal", Scripted(peak), seed=6)
    assert [t[2] for t in trail(other)] != [t[2] for t in trail(first)]


def test_a_larger_budget_resumes_and_matches_one_uninterrupted_run(tmp_path):
    run(tmp_path / "a.journal", Scripted(peak), n_trials=4)
    resumed = run(tmp_path / "a.journal", Scripted(peak), n_trials=8)
    whole = run(tmp_path / "b.journal", Scripted(peak), n_trials=8)
    assert trail(resumed) == trail(whole)


def test_an_interrupted_run_keeps_finished_trials_and_resumes_the_same(tmp_path):
    journal = tmp_path / "a.journal"
    with pytest.raises(KeyboardInterrupt):
        run(journal, Scripted(peak, interrupt_at=11))  # during the fourth trial's second fold
    storage = JournalStorage(JournalFileBackend(str(journal)))
    study = optuna.load_study(study_name="test", storage=storage)
    states = [t.state for t in study.get_trials()]
    assert states[:3] == [TrialState.COMPLETE] * 3
    assert TrialState.RUNNING not in states
    assert states[3:] == [TrialState.FAIL, TrialState.WAITING]  # the interrupted one, queued again
    resumed = run(journal, Scripted(peak))
    whole = run(tmp_path / "b.journal", Scripted(peak))
    # the same states, params and values; numbers differ by the failed and requeued trial
    assert [t[1:] for t in trail(resumed)] == [t[1:] for t in trail(whole)]


def test_a_trial_left_running_by_a_killed_run_is_queued_again(tmp_path):
    journal = tmp_path / "a.journal"
    params = tune_params()
    study = open_study(JournalStorage(JournalFileBackend(str(journal))), "test", params)
    killed = study.ask(SPACE)  # as a killed process leaves it: running, never told
    study = run(journal, Scripted(peak))
    assert study.trials[killed.number].state == TrialState.FAIL
    assert killed.params in [t.params for t in finished(study)]
    assert len(finished(study)) == 8


@pytest.mark.parametrize(("folds", "repeats"), [(5, 1), (2, 3)])
def test_hopeless_trials_are_pruned_fold_by_fold(tmp_path, folds, repeats):
    study = run(
        tmp_path / "a.journal",
        Scripted(peak),
        n_trials=20,
        cv_folds=folds,
        cv_repeats=repeats,
        prune_after_trials=3,
        prune_after_folds=1,
    )
    complete = [t for t in finished(study) if t.state == TrialState.COMPLETE]
    pruned = [t for t in finished(study) if t.state == TrialState.PRUNED]
    assert pruned and complete
    assert all(len(t.user_attrs["fold_scores"]) == folds * repeats for t in complete)
    for trial in pruned:
        assert 2 <= len(trial.user_attrs["fold_scores"]) < folds * repeats
        assert trial.value is None or trial.value < study.best_value


def test_a_failing_trial_is_recorded_with_its_error_and_counted(tmp_path):
    def fails_for_large_c(model, fold):
        return "ValueError: too large" if model["C"] > 1 else peak(model, fold)

    study = run(tmp_path / "a.journal", Scripted(fails_for_large_c))
    failed = [t for t in finished(study) if t.state == TrialState.FAIL]
    assert failed and all(t.params["C"] > 1 for t in failed)
    assert all(t.user_attrs["error"] == "ValueError: too large" for t in failed)
    assert len(finished(study)) == 8


def test_a_non_finite_score_fails_the_trial(tmp_path):
    study = run(tmp_path / "a.journal", Scripted(lambda model, fold: float("nan")), n_trials=2)
    assert [t.state for t in finished(study)] == [TrialState.FAIL] * 2
    assert "roc_auc is undefined on fold 0" in finished(study)[0].user_attrs["error"]


def test_local_executor_scores_real_folds_in_order(tmp_path):
    cv = tiny_cv()
    study = run(tmp_path / "a.journal", LocalExecutor(cv), n_trials=3, cv_folds=2)
    assert_fold_scores(study, cv, 2)


def assert_fold_scores(study, cv, folds: int) -> None:
    """Each finished trial holds the real scores of its params on every fold, and their mean."""
    trials = finished(study)
    assert trials
    for trial in trials:
        model = {**BASE, **trial.params}
        expected = [score_fold(cv, model, fold) for fold in range(folds)]
        assert trial.user_attrs["fold_scores"] == expected
        assert trial.value == pytest.approx(sum(expected) / folds)


def test_repeated_folds_start_with_the_train_stage_split_and_reshuffle_after(tmp_path):
    from lockstep.models import cv_folds

    cv = tiny_cv(repeats=3)
    assert len(cv.folds) == 6
    for repeat in range(3):
        expected = list(cv_folds(2, 3 + repeat).split(cv.X, cv.y))
        for fold, (train, test) in enumerate(expected):
            got_train, got_test = cv.folds[repeat * 2 + fold]
            assert (got_train.tolist(), got_test.tolist()) == (train.tolist(), test.tolist())
    assert sorted(cv.folds[0][1].tolist()) != sorted(cv.folds[2][1].tolist())
    study = run(tmp_path / "a.journal", LocalExecutor(cv), n_trials=1, cv_folds=2, cv_repeats=3)
    assert_fold_scores(study, cv, 6)


def test_local_executor_reports_an_estimator_error():
    executor = LocalExecutor(tiny_cv())
    executor.submit(7, {**BASE, "C": -1.0}, 0)
    tag, score, error = executor.next()
    assert (tag, score) == (7, None)
    assert "model.C" in error and "LogisticRegression" in error  # the param is named


def test_trials_asked_together_on_two_slots_get_different_params(tmp_path):
    executor = Scripted(peak)
    executor.slots = 2  # two trials in flight, as on a two-worker cluster
    study = run(tmp_path / "a.journal", executor, n_trials=6, startup_trials=10)
    params = [t.params["C"] for t in finished(study)]
    assert len(params) == 6 and len(set(params)) == 6
