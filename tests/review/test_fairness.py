"""lockstep.review.fairness: a disparity flagged only when significantly worse."""

from __future__ import annotations

from lockstep.review.fairness import changes, report_section
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
