"""lockstep.review.compare: one table of several experiments against a base."""

from __future__ import annotations

from click.testing import CliRunner

from lockstep.cli import main
from lockstep.paths import CV_FILE, METRICS_FILE
from lockstep.review.compare import render
from lockstep.review.revisions import Snapshot

PARAMS = {
    "metrics": {"roc_auc": "higher", "log_loss": "lower"},
    "model": {"family": "logistic_regression", "C": 1.0},
}


def snap(rev, roc, loss, cv, **model):
    params = {**PARAMS, "model": {**PARAMS["model"], **model}}
    metrics = {
        METRICS_FILE: {"roc_auc": roc, "log_loss": loss},
        CV_FILE: {"cv": {"roc_auc": {"mean": cv}}},
    }
    return Snapshot(rev=rev, label=rev, metrics=metrics, params=params)


def test_each_experiment_is_a_row_with_changes_verdicts_and_changed_params():
    base = snap("main", 0.84, 0.42, 0.85)
    heads = {
        "refs/exps/ab/cd/tuned": snap("tuned (1234abcd)", 0.86, 0.40, 0.87, C=0.05),
        "feature": snap("feature", 0.83, 0.45, 0.84),
    }
    text = render(base, heads)
    lines = text.splitlines()
    assert lines[0] == "<!-- lockstep:compare -->"
    assert "2 experiment(s) against `main`" in text
    header = next(line for line in lines if line.startswith("| experiment"))
    assert header == "| experiment | `roc_auc` | `log_loss` | CV `roc_auc` | params changed |"
    tuned = next(line for line in lines if line.startswith("| tuned"))
    assert "0.8600 (+0.0200) ✅" in tuned and "0.4000 (-0.0200) ✅" in tuned
    assert "0.8700" in tuned and "`model.C=0.05`" in tuned
    worse = next(line for line in lines if line.startswith("| feature"))
    assert "0.8300 (-0.0100) 🔻" in worse and "0.4500 (+0.0300) 🔻" in worse
    assert worse.endswith("| none |")


def test_a_revision_without_metrics_shows_a_dash():
    base = snap("main", 0.84, 0.42, 0.85)
    empty = Snapshot(rev="x", label="x", params=PARAMS)
    row = next(line for line in render(base, {"x": empty}).splitlines() if line.startswith("| x"))
    assert row.count("—") == 3


def test_compare_needs_at_least_one_revision():
    result = CliRunner().invoke(main, ["compare", "HEAD"])
    assert result.exit_code != 0
    assert "Missing argument 'REVS...'" in result.output
