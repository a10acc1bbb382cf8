"""The ``tune`` config section (conf/tune/<family>.yaml) and the search space it declares.

Each entry of ``space`` names an estimator parameter and is one of:

- a range ``{low: 0.01, high: 10, log: true}``: integers when both bounds are integers (and
  ``step``, if given, too), floats otherwise; ``log`` samples on a log scale; ``step`` a grid;
- a choice ``{choices: [3, 5, null]}`` of numbers, strings, booleans or null.

Everything is checked before a trial runs: an unknown parameter, an empty range, a bad log range,
a bound or choice the estimator rejects (scikit-learn's own parameter constraints), an unknown
metric each stop the run with a message naming the entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import LockstepError
from ..models import check_scorer, estimator_class, estimator_params

RANGE_KEYS = {"low", "high", "log", "step"}
CHOICE_TYPES = (type(None), bool, int, float, str)


@dataclass(frozen=True)
class TuneParams:
    """The ``tune`` section: the space, the trial budget, the metric and the CV settings."""

    space: dict[str, dict[str, Any]] = field(default_factory=dict)
    n_trials: int = 60
    metric: str = "roc_auc"
    cv_folds: int = 5
    cv_repeats: int = 1  # repeated k-fold: repeat r shuffles with seed + r (repeat 0 is train's)
    seed: int = 0
    startup_trials: int = 10
    prune_after_trials: int = 5
    prune_after_folds: int = 1

    def __post_init__(self) -> None:
        check_scorer(self.metric, "tune.metric")
        if self.n_trials < 1:
            raise LockstepError(f"tune.n_trials must be at least 1, got {self.n_trials}")
        if self.cv_folds < 2:
            raise LockstepError(f"tune.cv_folds must be at least 2, got {self.cv_folds}")
        if self.cv_repeats < 1:
            raise LockstepError(f"tune.cv_repeats must be at least 1, got {self.cv_repeats}")
        if not self.space:
            raise LockstepError("tune.space is empty: name at least one estimator parameter")
        for name in ("startup_trials", "prune_after_trials", "prune_after_folds"):
            if getattr(self, name) < 0:
                raise LockstepError(f"tune.{name} must be 0 or more, got {getattr(self, name)}")


def _number(value: Any, where: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LockstepError(f"{where} must be a number, got {value!r}")
    return value


def _choices(spec: dict[str, Any], where: str) -> Any:
    from optuna.distributions import CategoricalDistribution

    if set(spec) != {"choices"}:
        raise LockstepError(f"{where}: give either choices or low/high, not both")
    choices = spec["choices"]
    if not isinstance(choices, list) or not choices:
        raise LockstepError(f"{where}.choices is empty: list at least one value")
    for value in choices:
        if not isinstance(value, CHOICE_TYPES):
            raise LockstepError(
                f"{where}.choices: {value!r} is not a number, string, boolean or null"
            )
    return CategoricalDistribution(tuple(choices))


def _range(spec: dict[str, Any], where: str) -> Any:
    from optuna.distributions import FloatDistribution, IntDistribution

    unknown = sorted(set(spec) - RANGE_KEYS)
    if unknown or not {"low", "high"} <= set(spec):
        raise LockstepError(
            f"{where}: a range needs low and high (optional: log, step); "
            f"got {', '.join(sorted(spec)) or 'nothing'}"
        )
    low, high = _number(spec["low"], f"{where}.low"), _number(spec["high"], f"{where}.high")
    log, step = spec.get("log", False), spec.get("step")
    if not isinstance(log, bool):
        raise LockstepError(f"{where}.log must be true or false, got {log!r}")
    if low >= high:
        raise LockstepError(
            f"{where}: empty range, low {low} is not below high {high} "
            "(to fix one value, set it in conf/model/ instead)"
        )
    if log and low <= 0:
        raise LockstepError(f"{where}: a log range needs low > 0, got {low}")
    if step is not None:
        step = _number(step, f"{where}.step")
        if log or step <= 0 or step > high - low:
            raise LockstepError(f"{where}.step {step} must be > 0, fit the range, and not use log")
    if isinstance(low, int) and isinstance(high, int) and isinstance(step, int | None):
        return IntDistribution(low, high, log=log, step=step or 1)
    return FloatDistribution(float(low), float(high), log=log, step=step)


def distributions(params: TuneParams, family: str) -> dict[str, Any]:
    """Optuna distributions for the space, after checking each entry against the estimator."""
    accepted = estimator_params(family)
    name = estimator_class(family).__name__
    takes = ", ".join(sorted(accepted))
    out = {}
    for key, spec in params.space.items():
        where = f"tune.space.{key}"
        if key not in accepted:
            raise LockstepError(f"{where}: {name} has no parameter '{key}' (it takes: {takes})")
        if not isinstance(spec, dict):
            raise LockstepError(f"{where} must be a mapping: {{low, high}} or {{choices}}")
        out[key] = _choices(spec, where) if "choices" in spec else _range(spec, where)
        _check_values(estimator_class(family), key, out[key], where)
    return out


def _check_values(cls: type, key: str, distribution: Any, where: str) -> None:
    """Both bounds of a range, and every choice, must be a value the estimator accepts."""
    from sklearn.utils._param_validation import InvalidParameterError

    values = getattr(distribution, "choices", None) or (distribution.low, distribution.high)
    for value in values:
        try:
            cls(**{key: value})._validate_params()
        except InvalidParameterError as exc:
            raise LockstepError(f"{where}: {cls.__name__} rejects {value!r}: {exc}") from exc
