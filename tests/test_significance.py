"""Aligning two revisions' scored rows, choosing paired or unpaired tests, phrasing verdicts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lockstep import paired
from lockstep.significance import Scores, Settings, compare, compare_all, interval_text, signed

DIRECTIONS = {"roc_auc": "higher", "accuracy": "higher", "log_loss": "lower", "rows": "higher"}


def scores(n: int = 80, seed: int = 0, shift: float = 0.0) -> Scores:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.4).astype(int)
    p = 1 / (1 + np.exp(-(2 * y - 1 + rng.normal(0, 1, n) + shift)))
    return Scores(np.array([f"id{i:03d}" for i in range(n)]), y, p)


def shuffled(s: Scores, seed: int) -> Scores:
    order = np.random.default_rng(seed).permutation(len(s.ids))
    return Scores(s.ids[order], s.labels[order], s.proba[order])


def test_same_rows_in_another_order_are_paired_and_aligned_by_id() -> None:
    base = scores()
    head = shuffled(Scores(base.ids, base.labels, base.proba * 0.9), seed=1)
    assert base.rows_hash() == head.rows_hash()
    got = compare("roc_auc", base, head, Settings())
    direct = paired.delong_paired(base.labels, base.proba, base.proba * 0.9, 0.95)
    assert got == direct  # a monotone rescaling: same AUC, zero-width interval
    assert got.paired and got.diff == 0


def test_other_rows_fall_back_to_unpaired_tests() -> None:
    base, head = scores(seed=0), scores(n=90, seed=1)
    results = compare_all(base, head, DIRECTIONS, Settings(samples=100))
    assert list(results) == ["roc_auc", "accuracy", "log_loss"]  # 'rows' has no test
    assert not any(c.paired for c in results.values())
    assert results["roc_auc"].test == "DeLong (unpaired)"
    assert results["accuracy"].test.startswith("bootstrap (unpaired")


def test_a_changed_label_breaks_pairing() -> None:
    base = scores()
    labels = base.labels.copy()
    labels[0] = 1 - labels[0]
    assert base.rows_hash() != Scores(base.ids, labels, base.proba).rows_hash()


def test_from_frame_reads_the_evaluate_columns() -> None:
    frame = pd.DataFrame({"id": ["b", "a"], "label": [1, 0], "probability": [0.7, 0.2]})
    s = Scores.from_frame(frame).sorted()
    assert list(s.ids) == ["a", "b"] and list(s.labels) == [0, 1]


def test_interval_text_uses_real_minus_signs_and_the_verdict() -> None:
    cmp = paired.Comparison("roc_auc", 0.8, 0.799, -0.001, -0.0068, 0.0049, "t", True, 0.95)
    assert interval_text(cmp, "higher") == "\u22120.0010 [\u22120.0068, +0.0049] indistinguishable"
    worse = paired.Comparison("log_loss", 0.4, 0.45, 0.05, 0.02, 0.08, "t", True, 0.95)
    assert interval_text(worse, "lower").endswith("worse")
    assert signed(-0.00001) == "+0.0000"


def test_unknown_metric_is_refused() -> None:
    with pytest.raises(ValueError, match="no test for metric"):
        compare("mystery", scores(), scores(), Settings())
