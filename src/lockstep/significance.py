"""Judging a metric change by its interval: align two revisions' test scores, test, phrase.

Two revisions' scored test rows (id, label, probability) are *paired* when they hold the same
rows: the same ids with the same labels (compared by a content hash). Then each model is judged
on the same customers, which removes the row-to-row noise both share: DeLong for ``roc_auc``,
exact McNemar for ``accuracy``, a paired bootstrap for the rest. Otherwise (a data change) the
comparison falls back to unpaired intervals, and says so.

A verdict is *better* or *worse* only when the whole interval of the difference lies on one side
of 0; otherwise the change is *indistinguishable* from noise at that confidence.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from . import bootstrap, paired
from .paired import Comparison

MINUS = "\u2212"
# How a regression is judged (gate.mode, promote.mode): by the point change, or by the interval.
MODES = ("tolerance", "significance", "non_inferiority")


@dataclass(frozen=True)
class Scores:
    """One revision's scored test rows."""

    ids: np.ndarray
    labels: np.ndarray
    proba: np.ndarray

    @classmethod
    def from_frame(
        cls, frame, id_col: str = "id", label_col: str = "label", proba_col: str = "probability"
    ) -> Scores:
        return cls(
            frame[id_col].astype(str).to_numpy(),
            frame[label_col].astype(int).to_numpy(),
            frame[proba_col].astype(float).to_numpy(),
        )

    def sorted(self) -> Scores:
        order = np.argsort(self.ids, kind="mergesort")
        return Scores(self.ids[order], self.labels[order], self.proba[order])

    def rows_hash(self) -> str:
        """Content hash of the (id, label) rows, independent of row order."""
        s = self.sorted()
        digest = hashlib.sha256()
        for i, label in zip(s.ids, s.labels, strict=True):
            digest.update(f"{i}\t{int(label)}\n".encode())
        return digest.hexdigest()


@dataclass(frozen=True)
class Settings:
    threshold: float = 0.5
    confidence: float = 0.95
    samples: int = 1000
    seed: int = 0


def is_paired(base: Scores, head: Scores) -> bool:
    return len(base.ids) == len(head.ids) and base.rows_hash() == head.rows_hash()


def compare(metric: str, base: Scores, head: Scores, settings: Settings) -> Comparison:
    """``head - base`` for ``metric``: paired when the rows match, unpaired otherwise."""
    t, c, n, seed = settings.threshold, settings.confidence, settings.samples, settings.seed
    if metric not in bootstrap.METRICS:
        raise ValueError(f"no test for metric '{metric}': known are {sorted(bootstrap.METRICS)}")
    if is_paired(base, head):
        b, h = base.sorted(), head.sorted()
        if metric == "roc_auc":
            return paired.delong_paired(b.labels, b.proba, h.proba, c)
        if metric == "accuracy":
            return paired.mcnemar(b.labels, b.proba, h.proba, t, c)
        return paired.bootstrap_paired(metric, b.labels, b.proba, h.proba, t, n, c, seed)
    if metric == "roc_auc":
        return paired.delong_unpaired(base.labels, base.proba, head.labels, head.proba, c)
    return paired.bootstrap_unpaired(
        metric, base.labels, base.proba, head.labels, head.proba, t, n, c, seed
    )


def compare_all(
    base: Scores, head: Scores, directions: dict[str, str], settings: Settings
) -> dict[str, Comparison]:
    """A Comparison for every judged metric that has a test, in ``directions`` order."""
    return {
        name: compare(name, base, head, settings)
        for name in directions
        if name in bootstrap.METRICS
    }


def signed(value: float, digits: int = 4) -> str:
    """+0.0012 / −0.0010 with a real minus sign; 0 reads +0.0000."""
    text = f"{value:+.{digits}f}"
    if text.startswith("-") and float(text) == 0:
        text = "+" + text[1:]
    return text.replace("-", MINUS)


def interval_text(cmp: Comparison, direction: str) -> str:
    """e.g. '−0.0010 [−0.0068, +0.0049] indistinguishable'."""
    judged = paired.verdict(direction, cmp.low, cmp.high)
    return f"{signed(cmp.diff)} [{signed(cmp.low)}, {signed(cmp.high)}] {judged}"


def describe(cmp: Comparison) -> str:
    """The test and confidence in words, e.g. 'DeLong (paired), 95% interval, p = 0.41'."""
    text = f"{cmp.test}, {cmp.confidence:.0%} interval"
    if cmp.p_value is not None:
        text += f", p = {cmp.p_value:.3g}"
    return text


def gains(direction: str, cmp: Comparison) -> tuple[float, float]:
    """(worst, best) improvement of head over base within the interval."""
    sign = 1.0 if direction == "higher" else -1.0
    low, high = sorted((sign * cmp.low, sign * cmp.high))
    return low, high


def judge(mode: str, direction: str, cmp: Comparison, limit: float) -> tuple[bool, str]:
    """(failed, reason) for one metric under a statistical mode; ``limit`` is tolerance/margin."""
    worst, best = gains(direction, cmp)
    shown = f"{interval_text(cmp, direction)} ({describe(cmp)})"
    if mode == "significance":
        failed = best < -limit
        why = (
            f"significantly worse by more than the tolerance {limit:.4g}"
            if failed
            else f"no significant regression beyond the tolerance {limit:.4g}"
        )
    elif mode == "non_inferiority":
        failed = worst < -limit
        why = (
            f"cannot rule out a regression larger than the margin {limit:.4g}"
            if failed
            else f"no worse than the margin {limit:.4g}"
        )
    else:
        raise ValueError(f"mode '{mode}' does not judge intervals")
    return failed, f"{shown}: {why}"
