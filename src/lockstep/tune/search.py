"""The ask-and-tell loop: this process owns the study; executors only score folds.

The study lives in an Optuna journal file that only this process writes. It asks the sampler for
a trial, sends the trial's folds one at a time to an executor (in this process, or a Dask cluster),
reports the running mean after each fold, prunes a trial the median pruner judges hopeless, and
tells the study the result. With one slot the loop is sequential: the same seed, budget and
journal history give the same trials. The sampler is re-seeded before each ask from the seed and
the number of finished and running trials, so a resumed run proposes what an uninterrupted one
would have, and trials asked at the same time on a cluster never share a seed.

A trial that was running when a run stopped (Ctrl-C, a killed process) is marked failed and its
params are queued again, so it is re-run, not lost. A fold that raises (bad params, a worker lost
more often than dask retries) fails its trial with the error kept in the trial's ``error`` attr.
"""

from __future__ import annotations

import collections
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from .objective import CVData, score_fold
from .space import TuneParams

DONE = (TrialState.COMPLETE, TrialState.PRUNED)


def finished(study: optuna.Study) -> list[FrozenTrial]:
    """Trials that count against the budget: complete, pruned, or failed with an error."""
    return [
        t
        for t in study.get_trials(deepcopy=False)
        if t.state in DONE or (t.state == TrialState.FAIL and "error" in t.user_attrs)
    ]


def open_study(storage: Any, name: str, params: TuneParams) -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    pruner = optuna.pruners.MedianPruner(
        n_startup_trials=params.prune_after_trials, n_warmup_steps=params.prune_after_folds
    )
    return optuna.create_study(
        study_name=name,
        storage=storage,
        direction="maximize",
        pruner=pruner,
        load_if_exists=True,
    )


def requeue(study: optuna.Study, numbers: list[int]) -> None:
    """Mark unfinished trials failed (no ``error`` attr: not counted) and queue their params."""
    trials = {t.number: t for t in study.get_trials(deepcopy=False)}
    for number in sorted(numbers):
        trial = trials[number]
        if trial.state == TrialState.RUNNING:
            study.tell(number, state=TrialState.FAIL)
        study.enqueue_trial(dict(trial.params), user_attrs={"requeued_from": number})


def stale(study: optuna.Study) -> list[int]:
    return [t.number for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))]


class LocalExecutor:
    """Scores folds in this process, one at a time, in the order they were submitted."""

    slots = 1

    def __init__(self, cv: CVData) -> None:
        self.cv = cv
        self.queue: collections.deque = collections.deque()

    def submit(self, tag: int, model: dict[str, Any], fold: int) -> None:
        self.queue.append((tag, model, fold))

    def next(self) -> tuple[int, float | None, str | None]:
        tag, model, fold = self.queue.popleft()
        try:
            return tag, score_fold(self.cv, model, fold), None
        except Exception as exc:
            return tag, None, f"{type(exc).__name__}: {exc}"

    def cancel(self) -> None:
        self.queue.clear()


@dataclass
class Running:
    trial: optuna.Trial
    model: dict[str, Any]
    scores: list[float] = field(default_factory=list)


@dataclass
class Search:
    study: optuna.Study
    params: TuneParams
    distributions: dict[str, Any]
    base_model: dict[str, Any]
    executor: Any
    on_trial: Callable[[FrozenTrial], None] = lambda trial: None
    running: dict[int, Running] = field(default_factory=dict)

    def run(self) -> None:
        """Run trials until the budget is met; on any interruption, requeue running trials."""
        for number in stale(self.study):
            requeue(self.study, [number])
        try:
            while True:
                while (
                    len(self.running) < self.executor.slots
                    and len(finished(self.study)) + len(self.running) < self.params.n_trials
                ):
                    self._start()
                if not self.running:
                    return
                self._step(*self.executor.next())
        except BaseException:
            self.executor.cancel()
            requeue(self.study, list(self.running))
            raise

    def _start(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            self.study.sampler = optuna.samplers.TPESampler(
                seed=self.params.seed + len(finished(self.study)) + len(self.running),
                n_startup_trials=self.params.startup_trials,
                multivariate=True,
                constant_liar=True,
            )
        trial = self.study.ask(self.distributions)
        model = {**self.base_model, **trial.params}
        self.running[trial.number] = Running(trial, model)
        self.executor.submit(trial.number, model, 0)

    def _step(self, number: int, score: float | None, error: str | None) -> None:
        run = self.running[number]
        if error is None and (score is None or not math.isfinite(score)):
            error = f"{self.params.metric} is undefined on fold {len(run.scores)} (one class?)"
        if error is not None:
            self._finish(run, TrialState.FAIL, error=error)
            return
        run.scores.append(score)
        mean = sum(run.scores) / len(run.scores)
        run.trial.report(mean, step=len(run.scores) - 1)
        if len(run.scores) == self.params.cv_folds * self.params.cv_repeats:
            self._finish(run, TrialState.COMPLETE, value=mean)
        elif run.trial.should_prune():
            self._finish(run, TrialState.PRUNED)
        else:
            self.executor.submit(number, run.model, len(run.scores))

    def _finish(self, run: Running, state: TrialState, value: float | None = None, **attrs) -> None:
        run.trial.set_user_attr("fold_scores", run.scores)
        for key, text in attrs.items():
            run.trial.set_user_attr(key, text)
        frozen = self.study.tell(run.trial, value, state=state)
        del self.running[run.trial.number]
        self.on_trial(frozen)
