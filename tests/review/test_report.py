"""lockstep report: number formatting, metric/param diffs, Mermaid charts, the rendered markdown."""

from __future__ import annotations

import pytest

from lockstep.paths import INGEST_FILE, METRICS_FILE, PLOT_FILES, VALIDATION_FILE
from lockstep.review import charts, report
from lockstep.review.diffs import fmt_change, fmt_value, metric_rows, param_changes
from lockstep.review.revisions import (
    Snapshot,
    stale_stages,
)

PARAMS = {
    "metrics": {"roc_auc": "higher", "log_loss": "lower"},
    "gate": {"tolerances": {"roc_auc": {"abs": 0.005, "rel": 0.01}}},
    "model": {"C": 1.0, "max_iter": 2000},
}
ROC = [{"fpr": 0.0, "tpr": 0.0}, {"fpr": 0.2, "tpr": 0.7}, {"fpr": 1.0, "tpr": 1.0}]
PR = [
    {"recall": 1.0, "precision": 0.3},
    {"recall": 0.5, "precision": 0.7},
    {"recall": 0.0, "precision": 1.0},
]


@pytest.mark.parametrize(
    ("base", "head", "change", "relative"),
    [
        (0.82, 0.81, "-0.0100", "-1.2%"),
        (0.8446, 0.8446, "0", ""),
        (0.41, 0.41002, "+2e-05", "<0.1%"),
        (7043, 7000, "-43", "-0.6%"),
        (None, 0.5, "", ""),
    ],
)
def test_change_is_rounded_for_people(base, head, change, relative):
    assert fmt_change(base, head) == (change, relative)


def test_values_are_short():
    assert fmt_value(0.844625) == "0.8446"
    assert fmt_value(7043) == "7,043"
    assert fmt_value(None) == "—"
    assert fmt_value(True) == "true"
    assert fmt_value([1, 2]) == "[1, 2]"


def test_metric_rows_judge_by_direction_and_list_judged_first():
    rows = metric_rows(
        {"rows": 10, "log_loss": 0.40, "roc_auc": 0.80},
        {"rows": 10, "log_loss": 0.38, "roc_auc": 0.79},
        {"roc_auc": "higher", "log_loss": "lower"},
    )
    assert [(r.name, r.verdict) for r in rows] == [
        ("roc_auc", "worse"),
        ("log_loss", "better"),
        ("rows", ""),
    ]


def test_cv_rows_are_judged_through_the_alias():
    rows = metric_rows(
        {"cv": {"log_loss": {"mean": 0.4, "std": 0.01}}},
        {"cv": {"log_loss": {"mean": 0.5, "std": 0.01}}},
        {"log_loss": "lower"},
        alias="cv.{}.mean",
    )
    assert {r.name: r.verdict for r in rows} == {"cv.log_loss.mean": "worse", "cv.log_loss.std": ""}


def test_param_changes_lists_only_what_changed():
    head = {**PARAMS, "model": {"C": 0.1, "max_iter": 2000, "penalty": "l1"}}
    assert param_changes(PARAMS, head) == [("model.C", 1.0, 0.1), ("model.penalty", None, "l1")]


def test_curves_are_resampled_onto_a_fixed_grid():
    roc = charts.roc_series(ROC)
    assert len(roc) == charts.GRID_POINTS and roc[0] == 0.0 and roc[-1] == 1.0
    assert roc[2] == pytest.approx(0.35) and roc[4] == pytest.approx(0.7)  # fpr 0.1 and 0.2
    pr = charts.pr_series(PR)
    assert pr[0] == 1.0 and pr[10] == pytest.approx(0.7) and pr[-1] == pytest.approx(0.3)
    assert charts.roc_series([]) is None


def test_xychart_block_has_one_line_per_revision():
    block = charts.xychart("ROC", "fpr", "tpr", [0.0] * 21, [1.0] * 21)
    assert block.startswith("```mermaid\n") and block.endswith("\n```")
    assert "xychart-beta" in block and block.count("    line [") == 2
    assert "#9e9e9e, #1f6feb" in block
    assert charts.xychart("ROC", "x", "y", None, None) == ""


def snapshot(rev: str, auc: float, loss: float, c: float, rows: int, hashed: str) -> Snapshot:
    files = {
        INGEST_FILE: {"rows": rows, "content_hash": hashed, "columns": ["a", "b"]},
        VALIDATION_FILE: {"passed": True, "rows_checked": rows, "failures": {}},
        PLOT_FILES[0]: ROC,
        PLOT_FILES[1]: PR,
    }
    params = {**PARAMS, "model": {"C": c, "max_iter": 2000}}
    return Snapshot(rev, rev, {METRICS_FILE: {"roc_auc": auc, "log_loss": loss}}, params, files)


def test_render_has_every_section_and_the_marker():
    base = snapshot("main", 0.80, 0.40, 1.0, 7043, "a" * 64)
    head = snapshot("workspace", 0.78, 0.39, 0.1, 7000, "b" * 64)
    text = report.render(base, head, run_url="https://ci.example/run/1")
    assert text.startswith(report.MARKER + "\n")
    assert "**Metrics:** 1 better, 1 worse, 0 unchanged · **Params:** 1 changed" in text
    assert "### ❌ Gate failed: `roc_auc`" in text
    assert "| `roc_auc` | 0.8000 | 0.7800 | -0.0200 | -2.5% | 🔻 worse |" in text
    assert "| `log_loss` | 0.4000 | 0.3900 | -0.0100 | -2.5% | ✅ better |" in text
    assert "| `model.C` | `1.0` | `0.1` |" in text
    assert "| raw rows | 7,043 | 7,000 | -43 |" in text and "**changed**" in text
    assert text.count("xychart-beta") == 2
    assert "(https://ci.example/run/1)" in text


def test_a_stale_workspace_is_flagged():
    base = snapshot("main", 0.80, 0.40, 1.0, 7043, "a" * 64)
    head = Snapshot("workspace", "workspace", base.metrics, base.params, base.files, ("train",))
    assert "> The working tree is not reproduced (`train` changed" in report.render(base, head)
    assert "[!WARNING]" not in report.render(base, base)


def test_only_real_changes_make_the_workspace_stale():
    status = {
        "train": [{"changed deps": {"params.yaml": {"model": "modified"}}}],
        "evaluate": [{"changed deps": {"models/model.skops": "deleted"}}],
        "ingest": [{"changed outs": {"data/raw/telco.parquet": "not in cache"}}],
        "split": ["always changed"],
        "featurize": [{"changed command": True}],
    }
    assert stale_stages(status) == ("featurize", "train")


def test_render_without_metrics_or_plots_still_reads_well():
    empty = Snapshot("main", "main")
    text = report.render(empty, empty)
    assert "_No metrics at either revision" in text and "_No plot data" in text
    assert "No params changed." in text


def test_drift_summary_shows_only_when_a_revision_has_one():
    from lockstep.review.diffs import drift_section

    assert drift_section({}, {}) == []
    lines = drift_section({}, {"columns_drifted": 2, "share": 0.105263, "dataset_drift": False})
    text = "\n".join(lines)
    assert "reports/drift.json" in text
    assert "| `columns_drifted` |" in text and "| 2 |" in text
    assert "false" in text


def test_monitoring_summary_shows_only_when_a_revision_has_one():
    from lockstep.review.diffs import monitoring_section

    assert monitoring_section({}, {}) == []
    text = "\n".join(monitoring_section({}, {"degraded": True, "coverage": 0.5, "labelled": 9}))
    assert "reports/monitoring.json" in text and "| `degraded` |" in text and "| 9 |" in text
