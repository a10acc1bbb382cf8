"""The statistical part of the PR report: verdicts with intervals, CV spread, family switches.

A ``Review`` holds one Comparison per judged metric (lockstep.significance) for two revisions'
scored test rows, or says why there is none (e.g. a revision from before scores were written).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..paired import Comparison, verdict
from ..significance import interval_text
from .diffs import fmt_param, table

VERDICT_MARKS = {
    "better": "✅ better",
    "worse": "🔻 worse",
    "indistinguishable": "≈ indistinguishable",
}


@dataclass(frozen=True)
class Review:
    comparisons: dict[str, Comparison] = field(default_factory=dict)
    paired: bool = False
    confidence: float = 0.95
    missing: str = ""  # why there are no comparisons

    def verdicts(self, directions: dict[str, str]) -> dict[str, str]:
        return {
            name: verdict(directions[name], c.low, c.high)
            for name, c in self.comparisons.items()
            if name in directions
        }


def build_review(base_rev: str, head_rev: str, params: dict[str, Any], root: str = ".") -> Review:
    """Read both revisions' scored rows and compare every judged metric (``params``: policy)."""
    from .. import scores
    from ..metric_rules import directions
    from ..significance import compare_all, is_paired
    from .gate_modes import gate_stats

    stats = gate_stats(params)
    base, why_base = scores.try_read(base_rev, root)
    head, why_head = scores.try_read(head_rev, root)
    if base is None or head is None:
        return Review(confidence=stats.confidence, missing=why_base or why_head)
    threshold = float((params.get("evaluate") or {}).get("threshold", 0.5))
    results = compare_all(base, head, directions(params), stats.settings(threshold))
    return Review(results, is_paired(base, head), stats.confidence)


def headline_counts(review: Review, directions: dict[str, str]) -> str:
    words = list(review.verdicts(directions).values())
    counts = ", ".join(f"{words.count(v)} {v}" for v in ("better", "worse", "indistinguishable"))
    kind = "paired" if review.paired else "unpaired"
    return f"{counts} ({kind} tests, {review.confidence:.0%} intervals)"


def verdict_table(review: Review, directions: dict[str, str]) -> list[str]:
    """One row per tested metric: base, head, change [interval] verdict, and the test used."""
    rows = []
    for name, c in review.comparisons.items():
        judged = verdict(directions[name], c.low, c.high)
        shown = interval_text(c, directions[name]).rsplit(" ", 1)[0]
        rows.append(
            [
                f"`{name}`",
                f"{c.base:.4f}",
                f"{c.head:.4f}",
                shown,
                VERDICT_MARKS[judged],
                c.test + ("" if c.p_value is None else f", p = {c.p_value:.3g}"),
            ]
        )
    header = ["metric", "base", "head", f"change [{review.confidence:.0%} interval]", "", "test"]
    return table(header, rows, "lrrrll")


def review_notes(review: Review) -> list[str]:
    if review.missing:
        return [
            "_No test of the changes: the scored test rows are missing at a revision, so the "
            "table shows raw changes only._",
            "",
            f"<sub>{review.missing}</sub>",
        ]
    if not review.paired:
        return [
            "_The test rows differ between the revisions (a data or split change): the "
            "intervals are unpaired, so wider than a paired comparison would give._"
        ]
    return ["_Both revisions scored the same test rows: paired tests._"]


def cv_table(base: dict[str, Any], head: dict[str, Any]) -> list[str]:
    """Cross-validation means with their fold spread (± one standard deviation of the folds)."""
    b, h = (base or {}).get("cv") or {}, (head or {}).get("cv") or {}

    def cell(entry: dict | None) -> str:
        if not entry:
            return "—"
        return f"{entry['mean']:.4f} ± {entry.get('std', float('nan')):.4f}"

    rows = []
    for name in sorted(set(b) | set(h)):
        change = ""
        if b.get(name) and h.get(name):
            delta = h[name]["mean"] - b[name]["mean"]
            spread = max(b[name].get("std") or 0, h[name].get("std") or 0)
            ratio = f" ({abs(delta) / spread:.1f} fold SD)" if spread else ""
            change = f"{delta:+.4f}{ratio}"
        rows.append([f"`{name}`", cell(b.get(name)), cell(h.get(name)), change])
    if not rows:
        return ["_No cross-validation results at either revision._"]
    note = (
        "Mean ± standard deviation over the folds. A change smaller than one fold SD is within "
        "the noise the folds already show."
    )
    return [*table(["metric", "base", "head", "change"], rows, "lrrr"), "", note]


def param_rows(base: dict[str, Any], head: dict[str, Any], changes: list) -> list[list[str]]:
    """Changed params; a model-family switch is one row plus the new family's params."""
    b_family = (base.get("model") or {}).get("family")
    h_family = (head.get("model") or {}).get("family")
    rows = []
    if b_family != h_family:
        rows.append(["`model.family`", f"`{fmt_param(b_family)}`", f"`{fmt_param(h_family)}`"])
        for key, value in sorted((head.get("model") or {}).items()):
            if key != "family":
                rows.append([f"`model.{key}`", "(new family)", f"`{fmt_param(value)}`"])
        changes = [c for c in changes if not c[0].startswith("model.")]
    rows += [[f"`{k}`", f"`{fmt_param(b)}`", f"`{fmt_param(h)}`"] for k, b, h in changes]
    return rows
