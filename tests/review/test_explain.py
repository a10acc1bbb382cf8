"""Pure parts of lockstep explain: factors of a change, coalitions, Shapley values, intervals."""

from __future__ import annotations

import numpy as np
import pytest

from lockstep.bootstrap import roc_auc
from lockstep.errors import LockstepError
from lockstep.review.explain import (
    Explanation,
    coalitions,
    paired_intervals,
    report_section,
    shapley,
    split_changes,
)
from lockstep.review.explain_run import report_settings
from lockstep.review.report import render
from lockstep.review.revisions import Snapshot


def test_changed_files_split_into_data_params_code() -> None:
    paths = [
        "src/lockstep/a.py",
        "conf/model/x.yaml",
        "params.yaml",
        "data/source/t.csv",
        "README.md",
        "dvc.lock",
        "reports/metrics.json",
        "dvc.yaml",
        "code/train.sha256",
    ]
    assert split_changes(paths) == {
        "data": ["data/source/t.csv"],
        "params": ["conf/model/x.yaml", "params.yaml"],
        "code": ["code/train.sha256", "dvc.yaml", "src/lockstep/a.py"],
    }


def test_coalitions_cover_every_subset_once() -> None:
    subsets = coalitions(["data", "params", "code"])
    assert len(subsets) == 8 == len(set(subsets))
    assert subsets[0] == frozenset() and subsets[-1] == frozenset({"data", "params", "code"})


def test_shapley_parts_sum_to_the_total_with_interactions() -> None:
    table = {
        frozenset(): 0.80,
        frozenset({"data"}): 0.82,
        frozenset({"params"}): 0.79,
        frozenset({"code"}): 0.80,
        frozenset({"data", "params"}): 0.84,
        frozenset({"data", "code"}): 0.83,
        frozenset({"params", "code"}): 0.78,
        frozenset({"data", "params", "code"}): 0.86,
    }
    parts = shapley(["data", "params", "code"], table.__getitem__)
    assert sum(parts.values()) == pytest.approx(0.86 - 0.80, abs=1e-12)
    # an additive game gives each factor its own effect
    effects = {"data": 0.02, "params": -0.01}
    additive = shapley(list(effects), lambda s: 0.8 + sum(effects[f] for f in s))
    assert additive == pytest.approx(effects, abs=1e-12)


def test_a_factor_without_effect_gets_zero() -> None:
    parts = shapley(["data", "code"], lambda s: 0.9 if "data" in s else 0.8)
    assert parts == pytest.approx({"data": 0.1, "code": 0.0}, abs=1e-12)


def test_paired_intervals_hold_each_part() -> None:
    rng = np.random.default_rng(0)
    y = (rng.random(300) < 0.3).astype(int)
    base = 1 / (1 + np.exp(-(2 * y - 1 + rng.normal(0, 1.5, 300))))
    better = 1 / (1 + np.exp(-(2 * y - 1 + rng.normal(0, 0.5, 300))))
    proba = {
        frozenset(): base,
        frozenset({"params"}): better,
        frozenset({"code"}): base,
        frozenset({"params", "code"}): better,
    }
    bounds = paired_intervals(["params", "code"], y, proba, roc_auc, 0.5, 200, 0.95, seed=1)
    assert bounds["code"] == (0.0, 0.0)  # switching code never changed a score
    assert bounds["params"][0] > 0  # the better scores are better on every resample's interval


def explanation(bounds: dict | None) -> Explanation:
    values = {
        frozenset(): 0.80,
        frozenset({"params"}): 0.83,
        frozenset({"code"}): 0.82,
        frozenset({"params", "code"}): 0.85,
    }
    parts = shapley(["params", "code"], values.__getitem__)
    changes = {"params": ["conf/model/x.yaml", "params.yaml"], "code": ["src/lockstep/a.py"]}
    return Explanation("roc_auc", changes, values, parts, bounds, 0.9)


def test_the_report_section_shows_each_part_with_its_paired_interval() -> None:
    bounds = {"params": (0.01, 0.05), "code": (-0.004, 0.04)}
    lines = report_section(explanation(bounds))
    text = "\n".join(lines)
    assert "`roc_auc` 0.8000 → 0.8500 (+0.0500)" in text
    assert "4 pipeline runs (2 mixing base and head)" in text
    assert "| params | +0.0300 | [+0.0100, +0.0500] | 2 |" in lines
    assert "| code | +0.0200 | [-0.0040, +0.0400] | 1 |" in lines
    assert "| **total** | +0.0500 | | |" in lines and "90% paired interval" in text
    unpaired = "\n".join(report_section(explanation(None)))
    assert "| code | +0.0200 | — | 1 |" in unpaired and "No paired intervals" in unpaired


def test_a_failed_explain_is_a_note_in_the_report_not_a_failure() -> None:
    lines = report_section(None, "explain could not split the change: no file changed")
    assert lines[-2] == "_explain could not split the change: no file changed_"


def test_report_explain_is_off_by_default_and_a_misspelt_key_is_refused() -> None:
    assert report_settings({}).explain is False
    assert report_settings({"report": {"explain": True}}).explain is True
    with pytest.raises(LockstepError, match=r"report: unknown key 'explian' \(allowed: "):
        report_settings({"report": {"explian": True}})


def test_render_places_the_explain_section_when_given() -> None:
    snap = Snapshot("base", "base")
    lines = report_section(explanation(None))
    text = render(snap, Snapshot("head", "head"), explained=lines)
    assert "### What moved the metric (explain)" in text
    assert text.index("(explain)") < text.index("### Params")
    assert "(explain)" not in render(snap, Snapshot("head", "head"))
