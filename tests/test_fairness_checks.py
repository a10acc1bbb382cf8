"""lockstep.fairness_checks: limits breached only by a whole interval beyond them."""

from __future__ import annotations

import pytest

from lockstep.errors import LockstepError
from lockstep.fairness_checks import breaches, check_limits
from tests.helpers.fairness import entry, report_of


def test_a_limit_is_breached_only_by_an_interval_wholly_beyond_it():
    above = report_of(equalized_odds_difference=entry(0.3, 0.2, 0.4))
    straddles = report_of(equalized_odds_difference=entry(0.15, 0.05, 0.25))
    _, reasons = breaches(above, {"equalized_odds_difference": 0.1})
    assert len(reasons) == 1
    assert "equalized_odds_difference for `senior`" in reasons[0]
    assert "tpr of group 1 vs 0" in reasons[0] and "wholly above the limit 0.1" in reasons[0]
    assert breaches(straddles, {"equalized_odds_difference": 0.1})[1] == []
    ratio = report_of(demographic_parity_ratio=entry(0.5, 0.4, 0.6))
    assert "wholly below" in breaches(ratio, {"demographic_parity_ratio": 0.8})[1][0]
    assert breaches(ratio, {"demographic_parity_ratio": 0.5})[1] == []


def test_unmeasured_disparities_breach_nothing_and_bad_limits_are_named():
    report = {"columns": {"senior": {"groups": {}}}}
    lines, reasons = breaches(report, {"equalized_odds_difference": 0.1})
    assert reasons == [] and "not measured" in lines[0]
    with pytest.raises(LockstepError, match=r"promote\.fairness_limits: 'eod'"):
        check_limits({"eod": 0.1}, "promote")
