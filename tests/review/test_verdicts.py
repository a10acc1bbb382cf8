"""The report's statistical sections: verdict table, headline counts, CV spread, family switch."""

from __future__ import annotations

from lockstep.paired import Comparison
from lockstep.paths import CV_FILE, METRICS_FILE
from lockstep.review import report
from lockstep.review.diffs import param_changes
from lockstep.review.revisions import Snapshot
from lockstep.review.verdicts import Review, cv_table, headline_counts, param_rows, verdict_table

WAYS = {"roc_auc": "higher", "log_loss": "lower", "accuracy": "higher"}


def review(paired: bool = True) -> Review:
    return Review(
        {
            "roc_auc": Comparison(
                "roc_auc",
                0.845,
                0.844,
                -0.001,
                -0.0068,
                0.0049,
                "DeLong (paired)",
                paired,
                0.95,
                0.73,
            ),
            "log_loss": Comparison(
                "log_loss", 0.417, 0.45, 0.033, 0.02, 0.046, "bootstrap", paired, 0.95
            ),
            "accuracy": Comparison(
                "accuracy", 0.80, 0.81, 0.01, 0.001, 0.02, "McNemar", paired, 0.95, 0.03
            ),
        },
        paired,
        0.95,
    )


def test_headline_counts_verdicts_not_signs() -> None:
    text = headline_counts(review(), WAYS)
    assert text == "1 better, 1 worse, 1 indistinguishable (paired tests, 95% intervals)"
    assert "unpaired tests" in headline_counts(review(paired=False), WAYS)


def test_verdict_table_shows_the_interval_and_the_test() -> None:
    text = "\n".join(verdict_table(review(), WAYS))
    assert "| `roc_auc` | 0.8450 | 0.8440 | \u22120.0010 [\u22120.0068, +0.0049] |" in text
    assert "≈ indistinguishable | DeLong (paired), p = 0.73 |" in text
    assert "| `log_loss` |" in text and "🔻 worse" in text


def test_render_uses_the_review_and_says_when_rows_differ() -> None:
    params = {"metrics": WAYS, "gate": {"tolerances": {}, "mode": "significance"}}
    base = Snapshot("main", "main", {METRICS_FILE: {"roc_auc": 0.845}}, params)
    head = Snapshot("workspace", "workspace", {METRICS_FILE: {"roc_auc": 0.844}}, params)
    text = report.render(base, head, review=review(paired=False))
    assert "**Metrics:** 1 better, 1 worse, 1 indistinguishable (unpaired tests" in text
    assert "The test rows differ between the revisions" in text
    assert "Mode: `significance`." in text
    missing = report.render(base, head, review=Review(missing="no file at main"))
    assert "No test of the changes" in missing and "no file at main" in missing


def test_cv_rows_show_the_fold_spread() -> None:
    base = {"cv": {"roc_auc": {"mean": 0.8472, "std": 0.011}}}
    head = {"cv": {"roc_auc": {"mean": 0.8450, "std": 0.010}}}
    text = "\n".join(cv_table(base, head))
    assert "| `roc_auc` | 0.8472 ± 0.0110 | 0.8450 ± 0.0100 | -0.0022 (0.2 fold SD) |" in text
    assert "_No cross-validation" in cv_table({}, {})[0]


def test_a_family_switch_shows_once_with_the_new_family_params() -> None:
    base = {"model": {"family": "logistic_regression", "C": 1.0, "max_iter": 2000}, "seed": 1}
    head = {"model": {"family": "random_forest", "n_estimators": 300}, "seed": 2}
    rows = param_rows(base, head, param_changes(base, head))
    assert rows == [
        ["`model.family`", "`logistic_regression`", "`random_forest`"],
        ["`model.n_estimators`", "(new family)", "`300`"],
        ["`seed`", "`1`", "`2`"],
    ]
    same = {"model": {"family": "random_forest", "n_estimators": 100}}
    assert param_rows(same, head, param_changes(same, head))[0][0] == "`model.n_estimators`"


def test_render_reads_cv_spread_from_the_cv_file() -> None:
    cv = {CV_FILE: {"cv": {"roc_auc": {"mean": 0.8, "std": 0.01}}}}
    snap = Snapshot("main", "main", cv, {"metrics": WAYS})
    assert "0.8000 ± 0.0100" in report.render(snap, snap)
