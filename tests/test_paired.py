"""Paired and unpaired comparisons against independent slow computations (to 1e-9)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from lockstep import bootstrap, paired


def psi(x: float, y: float) -> float:
    return 1.0 if x > y else 0.5 if x == y else 0.0


def slow_components(y: np.ndarray, p: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """AUC and DeLong's structural components by the O(m*n) definition."""
    pos, neg = p[y == 1], p[y == 0]
    kernel = np.array([[psi(a, b) for b in neg] for a in pos])
    return float(kernel.mean()), kernel.mean(axis=1), kernel.mean(axis=0)


def slow_delong_diff(y: np.ndarray, a: np.ndarray, b: np.ndarray, confidence: float):
    auc_a, v10_a, v01_a = slow_components(y, a)
    auc_b, v10_b, v01_b = slow_components(y, b)
    m, n = len(v10_a), len(v01_a)

    def cov(u: np.ndarray, v: np.ndarray) -> float:
        return float(np.sum((u - u.mean()) * (v - v.mean())) / (len(u) - 1))

    var = (cov(v10_a, v10_a) + cov(v10_b, v10_b) - 2 * cov(v10_a, v10_b)) / m + (
        cov(v01_a, v01_a) + cov(v01_b, v01_b) - 2 * cov(v01_a, v01_b)
    ) / n
    diff = auc_b - auc_a
    z = stats.norm.ppf(0.5 + confidence / 2)
    half = z * math.sqrt(var)
    p = 2 * (1 - stats.norm.cdf(abs(diff) / math.sqrt(var)))
    return auc_a, auc_b, var, diff - half, diff + half, p


def two_models(n: int, seed: int, ties: bool = False):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    signal = 2 * y - 1 + rng.normal(0, 1.2, n)
    a = 1 / (1 + np.exp(-(signal + rng.normal(0, 0.5, n))))
    b = 1 / (1 + np.exp(-(signal + rng.normal(0, 0.5, n))))
    if ties:
        a, b = np.round(a, 1), np.round(b, 1)
    return y, a, b


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_delong_paired_matches_the_slow_definition(seed: int, ties: bool) -> None:
    y, a, b = two_models(120, seed, ties)
    got = paired.delong_paired(y, a, b, 0.95)
    auc_a, auc_b, _, low, high, p = slow_delong_diff(y, a, b, 0.95)
    assert got.base == pytest.approx(auc_a, abs=1e-9)
    assert got.head == pytest.approx(auc_b, abs=1e-9)
    assert got.base == pytest.approx(bootstrap.roc_auc(y, a, 0.5), abs=1e-12)
    assert (got.low, got.high) == pytest.approx((low, high), abs=1e-9)
    assert got.p_value == pytest.approx(p, abs=1e-9)
    assert got.paired and got.test.startswith("DeLong")


def test_delong_variance_of_one_auc_matches_the_slow_definition() -> None:
    y, a, _ = two_models(90, 5, ties=True)
    aucs, cov = paired.delong(y, a)
    auc, v10, v01 = slow_components(y, a)
    assert aucs[0] == pytest.approx(auc, abs=1e-12)
    assert cov[0, 0] == pytest.approx(
        np.var(v10, ddof=1) / len(v10) + np.var(v01, ddof=1) / len(v01), abs=1e-12
    )


def test_delong_unpaired_adds_the_two_variances() -> None:
    y1, a, _ = two_models(80, 7)
    y2, _, b = two_models(100, 8)
    got = paired.delong_unpaired(y1, a, y2, b, 0.9)
    auc_a, v10a, v01a = slow_components(y1, a)
    auc_b, v10b, v01b = slow_components(y2, b)
    var = sum(np.var(v, ddof=1) / len(v) for v in (v10a, v01a, v10b, v01b))
    half = stats.norm.ppf(0.95) * math.sqrt(var)
    assert (got.low, got.high) == pytest.approx(
        (auc_b - auc_a - half, auc_b - auc_a + half), abs=1e-9
    )
    assert not got.paired


def test_identical_models_have_a_zero_width_interval() -> None:
    y, a, _ = two_models(60, 3)
    got = paired.delong_paired(y, a, a, 0.95)
    assert (got.diff, got.low, got.high, got.p_value) == (0.0, 0.0, 0.0, 1.0)
    assert paired.verdict("higher", got.low, got.high) == "indistinguishable"


def test_delong_needs_both_classes() -> None:
    with pytest.raises(ValueError, match="both classes"):
        paired.delong(np.ones(5), np.linspace(0, 1, 5))


@pytest.mark.parametrize("seed", [0, 4, 9])
def test_mcnemar_matches_an_exact_binomial_by_hand(seed: int) -> None:
    y, a, b = two_models(150, seed)
    got = paired.mcnemar(y, a, b, 0.5, 0.95)
    right_a, right_b = (a >= 0.5) == y, (b >= 0.5) == y
    n01, n10 = int(np.sum(right_a & ~right_b)), int(np.sum(~right_a & right_b))
    total = n01 + n10
    tail = sum(math.comb(total, k) for k in range(min(n01, n10) + 1)) / 2**total
    assert got.p_value == pytest.approx(min(1.0, 2 * tail), abs=1e-9)
    assert got.p_value == pytest.approx(stats.binomtest(n10, total).pvalue, abs=1e-9)
    low_pi = stats.beta.ppf(0.025, n10, total - n10 + 1) if n10 else 0.0
    high_pi = stats.beta.ppf(0.975, n10 + 1, total - n10) if n10 < total else 1.0
    scale = total / len(y)
    assert (got.low, got.high) == pytest.approx(
        (scale * (2 * low_pi - 1), scale * (2 * high_pi - 1)), abs=1e-9
    )
    assert got.diff == pytest.approx(right_b.mean() - right_a.mean(), abs=1e-12)


def test_mcnemar_with_no_discordant_rows_is_indistinguishable() -> None:
    y, a, _ = two_models(40, 1)
    got = paired.mcnemar(y, a, np.where(a >= 0.5, 0.9, 0.1), 0.5, 0.95)
    assert (got.diff, got.low, got.high, got.p_value) == (0.0, 0.0, 0.0, 1.0)


def test_paired_bootstrap_is_seeded_and_resamples_rows_together() -> None:
    y, a, b = two_models(200, 11)
    first = paired.bootstrap_paired("log_loss", y, a, b, 0.5, 200, 0.95, seed=3)
    again = paired.bootstrap_paired("log_loss", y, a, b, 0.5, 200, 0.95, seed=3)
    assert first == again
    assert first.diff == pytest.approx(
        bootstrap.log_loss(y, b, 0.5) - bootstrap.log_loss(y, a, 0.5), abs=1e-12
    )
    unpaired = paired.bootstrap_unpaired("log_loss", y, a, y, b, 0.5, 200, 0.95, seed=3)
    # the two models share most of their signal, so pairing narrows the interval
    assert first.high - first.low < unpaired.high - unpaired.low
    same = paired.bootstrap_paired("brier", y, a, a, 0.5, 50, 0.95, seed=3)
    assert (same.low, same.high) == (0.0, 0.0)


def test_a_clearly_worse_model_reads_worse() -> None:
    y, a, _ = two_models(400, 2)
    logit = np.log(a / (1 - a)) + np.random.default_rng(0).normal(0, 3, len(a))
    noisy = 1 / (1 + np.exp(-logit))
    auc = paired.delong_paired(y, a, noisy, 0.95)
    assert paired.verdict("higher", auc.low, auc.high) == "worse"
    loss = paired.bootstrap_paired("log_loss", y, a, noisy, 0.5, 200, 0.95, seed=0)
    assert paired.verdict("lower", loss.low, loss.high) == "worse"
    assert loss.low > 0


@pytest.mark.parametrize(
    ("direction", "low", "high", "expected"),
    [
        ("higher", 0.01, 0.02, "better"),
        ("higher", -0.02, -0.01, "worse"),
        ("higher", -0.01, 0.01, "indistinguishable"),
        ("lower", 0.01, 0.02, "worse"),
        ("lower", -0.02, -0.01, "better"),
        ("lower", float("nan"), float("nan"), "indistinguishable"),
    ],
)
def test_verdict_reads_the_interval_by_direction(direction, low, high, expected) -> None:
    assert paired.verdict(direction, low, high) == expected
