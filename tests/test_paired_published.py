"""DeLong and the exact McNemar test against worked examples published in the literature.

Only the published counts and figures are used (typed in from the cited papers); each figure is
asserted to the precision it was printed with.
"""

from __future__ import annotations

import numpy as np
import pytest

from lockstep import paired

# Hanley & McNeil (1982), "The meaning and use of the area under a receiver operating
# characteristic (ROC) curve", Radiology 143:29-36, Table 1: 109 CT images rated 1 (definitely
# normal) to 5 (definitely abnormal) by one radiologist; counts per rating.
NORMAL = (33, 6, 6, 11, 2)  # 58 truly normal images
ABNORMAL = (3, 2, 2, 11, 33)  # 51 truly abnormal images


def rated_images() -> tuple[np.ndarray, np.ndarray]:
    ratings = np.arange(1, 6)
    y = np.r_[np.zeros(sum(NORMAL)), np.ones(sum(ABNORMAL))].astype(int)
    return y, np.r_[np.repeat(ratings, NORMAL), np.repeat(ratings, ABNORMAL)].astype(float)


def test_delong_on_hanley_and_mcneils_ct_ratings() -> None:
    """Hanley & McNeil (1982) give the area under the empirical ROC curve of these ratings as
    0.893 (the Wilcoxon statistic, ties counted half). Stata's manual entry [R] roctab works
    the same 109 ratings and prints, with DeLong et al.'s (1988) variance (its default), ROC
    area 0.8932, standard error 0.0307 and asymptotic normal 95% interval 0.83295 to 0.95339."""
    y, rating = rated_images()
    aucs, cov = paired.delong(y, rating)
    se = float(np.sqrt(cov[0, 0]))
    assert round(float(aucs[0]), 3) == 0.893
    assert round(float(aucs[0]), 4) == 0.8932
    assert round(se, 4) == 0.0307
    # the same variance through the unpaired comparison against an uninformative (constant)
    # score, whose AUC is 0.5 with zero variance: the interval is the area's own, shifted by 0.5
    cmp = paired.delong_unpaired(y, np.zeros_like(rating), y, rating, 0.95)
    assert (round(cmp.low + 0.5, 5), round(cmp.high + 0.5, 5)) == (0.83295, 0.95339)


def accuracy_pairs(both: int, base_only: int, head_only: int, neither: int):
    """Labels and two models' scores whose right/wrong pattern is the given 2x2 table."""
    n = both + base_only + head_only + neither
    y = np.ones(n, dtype=int)
    base = np.r_[np.ones(both + base_only), np.zeros(head_only + neither)]
    head = np.r_[np.ones(both), np.zeros(base_only), np.ones(head_only), np.zeros(neither)]
    return y, base, head


def test_exact_mcnemar_on_armitage_and_berrys_culture_media() -> None:
    """Armitage & Berry (1994, Statistical Methods in Medical Research, 3rd ed., p. 127), as
    worked in StatsDirect's manual ("McNemar / exact matched pairs"): 50 sputum specimens on two
    media: growth on both 20, on A only 12, on B only 2, on neither 16. Exact (Liddell) two-sided
    P = 0.0129."""
    y, a, b = accuracy_pairs(20, 12, 2, 16)
    cmp = paired.mcnemar(y, a, b, 0.5, 0.95)
    assert round(cmp.p_value, 4) == 0.0129
    assert cmp.diff == pytest.approx((2 - 12) / 50, abs=1e-12)
    assert cmp.high < 0  # significant at 95%: the exact interval excludes 0, as P < 0.05 says


def test_exact_mcnemar_on_fagerland_lydersen_laakes_example() -> None:
    """Fagerland, Lydersen & Laake (2013), "The McNemar test for binary matched-pairs data",
    BMC Med Res Methodol 13:91, Table 1 (Bentur et al. 2009): airway hyper-responsiveness in 21
    children before / after stem cell transplantation: 1 both, 1 before only, 7 after only, 12
    neither. Their supplement defines the exact conditional p-value as 2 * binomcdf(n12, n, 0.5)
    with n12 = 1, n = 8: 2 * (1 + 8) / 256."""
    y, before, after = accuracy_pairs(1, 1, 7, 12)
    cmp = paired.mcnemar(y, before, after, 0.5, 0.95)
    assert cmp.p_value == pytest.approx(18 / 256, abs=1e-12)
    assert round(cmp.p_value, 3) == 0.070
    assert cmp.low < 0 < cmp.high  # not significant at 95%, as p > 0.05 says
