"""What a search leaves behind: a model config, a report and plot data, all deterministic.

- ``conf/model/<family>_tuned.yaml``: the family's config with the best trial's params, a normal
  group option (`dvc exp run -S model=<family>_tuned`). Values are written exactly as they were
  scored, so `lockstep train` with it reproduces the trial's CV figure.
- ``reports/tuning.json``: the settings, the best trial and every finished trial (by number).
- ``reports/plots/tuning_history.json``: each finished trial's value and the best so far.
- ``reports/plots/tuning_importance.json``: fANOVA parameter importances (seeded).
No timestamps or durations go into these files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from optuna.trial import FrozenTrial, TrialState

from ..errors import LockstepError
from ..io import rounded, write_json, write_text


def best_trial(trials: list[FrozenTrial]) -> FrozenTrial:
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    if not complete:
        errors = [t.user_attrs["error"] for t in trials if "error" in t.user_attrs]
        hint = f"; the first error: {errors[0]}" if errors else ""
        raise LockstepError(f"no trial completed ({len(trials)} finished){hint}")
    return max(complete, key=lambda t: (t.value, -t.number))


def trial_record(trial: FrozenTrial) -> dict[str, Any]:
    scores = trial.user_attrs.get("fold_scores", [])
    record = {
        "number": trial.number,
        "state": trial.state.name.lower(),
        "params": dict(sorted(trial.params.items())),
        "folds_scored": len(scores),
        "value": rounded(sum(scores) / len(scores)) if scores else None,
    }
    if "error" in trial.user_attrs:
        record["error"] = trial.user_attrs["error"]
    return record


def history(trials: list[FrozenTrial]) -> list[dict[str, Any]]:
    """Complete trials in order of number, with the best value so far (optimisation history)."""
    rows, best = [], None
    for trial in sorted(trials, key=lambda t: t.number):
        if trial.state != TrialState.COMPLETE:
            continue
        best = trial.value if best is None else max(best, trial.value)
        rows.append({"trial": trial.number, "value": rounded(trial.value), "best": rounded(best)})
    return rows


def importances(study: Any, seed: int) -> list[dict[str, Any]]:
    """fANOVA importance of each param over the complete trials; empty when it is undefined
    (fewer than two complete trials, or all of them scored the same)."""
    import optuna

    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if len({t.value for t in complete}) < 2:
        return []
    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=seed)
    scores = optuna.importance.get_param_importances(study, evaluator=evaluator, normalize=True)
    return [{"param": k, "importance": rounded(v)} for k, v in sorted(scores.items())]


def report(trials: list[FrozenTrial], settings: dict[str, Any], family: str) -> dict[str, Any]:
    best = best_trial(trials)
    counts = {s: sum(t.state.name.lower() == s for t in trials) for s in ("complete", "pruned")}
    counts["fail"] = len(trials) - counts["complete"] - counts["pruned"]
    return {
        "family": family,
        "tuned_config": f"conf/model/{family}_tuned.yaml",
        "settings": settings,
        "best": {
            "trial": best.number,
            "value": rounded(best.value),
            "params": dict(sorted(best.params.items())),
        },
        "counts": counts,
        "trials": [trial_record(t) for t in sorted(trials, key=lambda t: t.number)],
    }


def tuned_config(base: dict[str, Any], best: FrozenTrial, family: str, settings: dict) -> str:
    """The family's model config with the best params, under a header saying where it came from."""
    model = {**base, **best.params}
    repeats = settings.get("cv_repeats", 1)
    cv = f"{settings['cv_folds']}-fold CV" + (f" x {repeats} repeats" if repeats > 1 else "")
    header = (
        f"# Written by `lockstep tune {family}`: the best of {settings['n_trials']} trials "
        f"(seed {settings['seed']}), trial {best.number},\n"
        f"# {cv} {settings['metric']} {best.value:.4f} on the training "
        "split (reports/tuning.json).\n"
        f"# Review it, then `dvc exp run -S model={family}_tuned`; commit it if the test set "
        "agrees.\n"
    )
    return header + yaml.safe_dump(model, sort_keys=False, default_flow_style=False)


def write_outputs(
    study: Any,
    family: str,
    base: dict[str, Any],
    settings: dict[str, Any],
    paths: dict[str, Path],
) -> dict[str, Any]:
    """Write the tuned config, the report and both plot files; return the report."""
    from .search import finished

    trials = finished(study)
    summary = report(trials, settings, family)
    best = best_trial(trials)
    write_json(paths["history"], history(trials))
    write_json(paths["importance"], importances(study, settings["seed"]))
    write_json(paths["report"], summary)
    write_text(paths["config"], tuned_config(base, best, family, settings))
    return summary
