"""Verification rows for the reproduce tests: one per outcome, named stage<i>/out<i>."""

from __future__ import annotations

from lockstep.reproduce.verdicts import DIFFERENT, EQUIVALENT, Verdict
from lockstep.reproduce.verify import Row


def rows_with(*outcomes: str) -> list[Row]:
    """A row per outcome: "identical", "equivalent", or anything else for different."""
    verdicts = {"identical": None, "equivalent": Verdict(EQUIVALENT, 1e-12)}
    out = []
    for i, outcome in enumerate(outcomes):
        verdict = verdicts.get(outcome, Verdict(DIFFERENT, 0.5, "beyond"))
        got = "a" if outcome == "identical" else "b"
        out.append(Row(f"stage{i}", f"out{i}", "a", got, verdict))
    return out
