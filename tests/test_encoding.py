from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import LabelEncoder, OrdinalEncoder
from sklearn.utils import _encode

from lockstep.encoding import text_categories, text_codes, text_counts
from lockstep.modelfile import dumps_model
from lockstep.models import labels, make_estimator, make_pipeline, model_input
from tests.helpers.models import SMALL
from tests.helpers.tiny import DERIVED, data_config, raw_frame


def text(rng: np.random.Generator, rows: int, levels: int) -> np.ndarray:
    """An object array of ``rows`` strings drawn unevenly from ``levels`` categories."""
    weights = rng.random(levels) ** 3 + 1e-3
    picked = rng.choice(levels, size=rows, p=weights / weights.sum())
    return np.array([f"level {i}" for i in picked], dtype=object)


@pytest.mark.parametrize(
    "values",
    [
        np.array(["b", "a", "b", "c", "b"], dtype=object),
        np.array(["a", None, "b", None], dtype=object),  # missing: scikit-learn's own path
        np.array(["a", np.nan, "a"], dtype=object),
        np.array([1, 2, 2, 5], dtype=object),  # numbers stored as objects
    ],
)
def test_counts_and_codes_are_scikit_learns(values):
    uniques = _encode._unique(values)
    expected = _encode._get_counts(values, uniques)
    got = text_counts(_encode._get_counts)(values, uniques)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == expected.dtype
    codes = text_codes(_encode._map_to_integer)(values, uniques)
    np.testing.assert_array_equal(codes, _encode._map_to_integer(values, uniques))


def test_counts_skip_values_not_among_the_uniques_as_scikit_learn_does():
    values = np.array(["a", "b", "z", "a"], dtype=object)
    uniques = np.array(["a", "b", "c"], dtype=object)
    got = text_counts(_encode._get_counts)(values, uniques)
    np.testing.assert_array_equal(got, _encode._get_counts(values, uniques))


def test_an_unseen_label_gives_scikit_learns_error():
    encoder = LabelEncoder().fit(np.array(["a", "b"], dtype=object))
    with text_categories(), pytest.raises(ValueError, match="previously unseen labels"):
        encoder.transform(np.array(["a", "c"], dtype=object))


def test_the_patch_lasts_only_while_active():
    originals = (_encode._get_counts, _encode._map_to_integer)
    with text_categories():
        assert _encode._get_counts is not originals[0]
    assert (_encode._get_counts, _encode._map_to_integer) == originals


@pytest.mark.parametrize("levels", [3, 40])  # within max_categories, and over it (capped)
def test_an_ordinal_encoder_learns_the_same_at_any_cardinality(levels):
    rng = np.random.default_rng(levels)
    X = pd.DataFrame({"low": text(rng, 2_000, 2), "column": text(rng, 2_000, levels)})
    X = X.astype("category")  # as model_input hands them over
    unseen = X.head(50).astype(object).assign(column="never seen")

    def fit() -> OrdinalEncoder:
        return OrdinalEncoder(
            handle_unknown="use_encoded_value", unknown_value=np.nan, max_categories=10
        ).fit(X)

    plain = fit()
    with text_categories():
        fast = fit()
        fast_codes = [fast.transform(X), fast.transform(unseen)]
    assert dumps_model(fast) == dumps_model(plain)
    capped = plain.infrequent_categories_[1]
    assert (capped is not None) == (levels > 10)  # the cap still groups the rare ones
    np.testing.assert_array_equal(fast_codes[0], plain.transform(X))
    np.testing.assert_array_equal(fast_codes[1], plain.transform(unseen))


def test_gradient_boosting_fitted_with_it_is_byte_identical():
    cfg, frame = data_config(), raw_frame()
    X, y = frame.drop(columns=[cfg.target]), labels(frame, cfg)
    params = {"family": "hist_gradient_boosting", **SMALL["hist_gradient_boosting"]}

    def fitted():
        pipeline = make_pipeline(cfg, DERIVED, make_estimator(params, 3))
        return pipeline.fit(model_input(pipeline, X), y)

    plain = fitted()
    with text_categories():
        fast = fitted()
        proba = fast.predict_proba(model_input(fast, X))
    assert dumps_model(fast) == dumps_model(plain)
    np.testing.assert_array_equal(proba, plain.predict_proba(model_input(plain, X)))


def test_text_takes_the_fast_path_and_anything_else_scikit_learns():
    def scikit_learns(values, uniques):
        raise AssertionError("scikit-learn's own code ran")

    values = np.array(["b", "a", "b"], dtype=object)
    uniques = np.array(["a", "b"], dtype=object)
    np.testing.assert_array_equal(text_counts(scikit_learns)(values, uniques), [1, 2])
    np.testing.assert_array_equal(text_codes(scikit_learns)(values, uniques), [1, 0, 1])
    with pytest.raises(AssertionError, match="own code ran"):
        text_counts(scikit_learns)(np.array(["a", None], dtype=object), np.array(["a", None]))
