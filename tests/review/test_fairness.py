"""lockstep.review.fairness: a disparity flagged only when significantly worse."""

from __future__ import annotations

from lockstep.paths import FAIRNESS_FILE
from lockstep.review import gate, report
from lockstep.review.fairness import changes, report_section
from lockstep.review.revisions import Snapshot
from tests.helpers.fairness import entry, report_of


def test_a_change_is_flagged_only_when_significantly_worse():
    base = report_of(equalized_odds_difference=entry(0.10, 0.08, 0.12))
    much = report_of(equalized_odds_difference=entry(0.20, 0.18, 0.22))
    noise = report_of(equalized_odds_difference=entry(0.11, 0.09, 0.13))
    assert [r["worse"] for r in changes(base, much)] == [True]
    assert [r["worse"] for r in changes(base, noise)] == [False]
    assert [r["worse"] for r in changes(much, base)] == [False]  # better is never flagged
    text = "\n".join(report_section(base, much, {}))
    assert "🔻 `senior` equalized_odds_difference is significantly worse" in text
    assert report_section(None, None, {}) == []


def snapshots(limits: dict) -> tuple[Snapshot, Snapshot]:
    params = {
        "metrics": {"roc_auc": "higher"},
        "gate": {"tolerances": {}, "fairness_limits": limits},
    }
    base = report_of(equalized_odds_difference=entry(0.10, 0.08, 0.12))
    head = report_of(equalized_odds_difference=entry(0.30, 0.25, 0.35))
    return (
        Snapshot("main", "main", {FAIRNESS_FILE: base}, params),
        Snapshot("workspace", "workspace", {FAIRNESS_FILE: head}, params),
    )


def test_the_pr_report_shows_the_fairness_section_with_the_bases_limits():
    base, head = snapshots({"equalized_odds_difference": 0.2})
    text = report.render(base, head)
    section = text[text.index("### Fairness") :]
    assert "❌ fairness: equalized_odds_difference for `senior`" in section
    assert "🔻 `senior` equalized_odds_difference is significantly worse" in section
    assert "| `senior` | equalized_odds_difference | 0.1000 (0.0800–0.1200) |" in section
    assert "### Fairness" not in report.render(Snapshot("a", "a"), Snapshot("b", "b"))


def test_the_gate_fails_on_a_breached_limit_and_ignores_none():
    base, head = snapshots({"equalized_odds_difference": 0.2})
    lines, reasons = gate.fairness_gate(base.params, head.params, head.metric_file(FAIRNESS_FILE))
    assert reasons and "wholly above the limit 0.2" in reasons[0] and lines[0].endswith("FAIL")
    loose, _ = snapshots({"equalized_odds_difference": 0.3})  # 0.25–0.35 straddles 0.3
    assert gate.fairness_gate(loose.params, head.params, head.metric_file(FAIRNESS_FILE))[1] == []
    none, _ = snapshots({})
    assert gate.fairness_gate(none.params, head.params, head.metric_file(FAIRNESS_FILE)) == ([], [])
