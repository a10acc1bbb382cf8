"""Verdicts on reproduced outputs: identical, equivalent within tolerance, or different."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from lockstep.errors import LockstepError
from lockstep.modelfile import dumps_model
from lockstep.reproduce.verdicts import (
    DIFFERENT,
    EQUIVALENT,
    IDENTICAL,
    Tolerances,
    compare_documents,
    compare_frames,
    compare_models,
    compare_probabilities,
    compare_text,
    judge_output,
)

TOL = Tolerances(probability=1e-9, absolute=1e-6, relative=1e-9)


def doc(**values) -> bytes:
    return json.dumps(values, sort_keys=True).encode()


def test_identical_bytes_are_identical_for_every_kind():
    for path in ("m.skops", "r.json", "d.parquet", "c.md", "blob.bin"):
        verdict = judge_output(path, b"same", b"same", TOL, features=None)
        assert (verdict.verdict, verdict.max_difference, verdict.ok) == (IDENTICAL, 0.0, True)


def test_missing_or_unknown_or_uncomparable_outputs_are_different():
    assert judge_output("a.json", b"{}", None, TOL, None).note == "not reproduced"
    assert "not here" in judge_output("a.json", None, b"{}", TOL, None).note
    other = judge_output("blob.bin", b"a", b"b", TOL, None)
    assert other.verdict == DIFFERENT and not other.ok
    assert "no committed feature rows" in judge_output("m.skops", b"a", b"b", TOL, None).note


def test_json_numbers_within_tolerance_are_equivalent_with_the_largest_difference():
    committed = doc(auc=0.812345, curve=[{"x": 0.1, "y": 2}], name="roc")
    reproduced = doc(auc=0.812346, curve=[{"x": 0.1000004, "y": 2}], name="roc")
    verdict = judge_output("reports/metrics.json", committed, reproduced, TOL, None)
    assert verdict.verdict == EQUIVALENT and verdict.ok
    assert verdict.max_difference == pytest.approx(1e-6)


def test_json_numbers_beyond_tolerance_are_different():
    verdict = compare_documents(doc(auc=0.81), doc(auc=0.8101), TOL)
    assert verdict.verdict == DIFFERENT and verdict.max_difference == pytest.approx(1e-4)
    relative = Tolerances(absolute=0.0, relative=1e-3)
    assert compare_documents(doc(n=1000.0), doc(n=1000.5), relative).verdict == EQUIVALENT
    assert compare_documents(doc(n=1.0), doc(n=1.5), relative).verdict == DIFFERENT


@pytest.mark.parametrize(
    ("committed", "reproduced", "where"),
    [
        ({"a": 1}, {"a": 1, "b": 2}, "$: keys differ (b)"),
        ({"a": [1, 2]}, {"a": [1]}, "$.a: 2 items, reproduced 1"),
        ({"a": [{"label": "Yes"}]}, {"a": [{"label": "No"}]}, "$.a[0].label: 'Yes' became 'No'"),
        ({"a": True}, {"a": 1}, "$.a: True became 1"),
        ({"a": 1}, {"a": "1"}, "$.a: 1 became '1'"),
    ],
)
def test_structural_or_non_numeric_changes_are_different_and_located(committed, reproduced, where):
    verdict = compare_documents(doc(**committed), doc(**reproduced), TOL)
    assert (verdict.verdict, verdict.note) == (DIFFERENT, where)


def test_yaml_documents_and_nan_are_compared_by_value():
    yaml_a, yaml_b = b"a: 1.0\nb: [x, 2.0]\n", b"a: 1.0000001\nb: [x, 2.0]\n"
    assert judge_output("p.yaml", yaml_a, yaml_b, TOL, None).verdict == EQUIVALENT
    nan = compare_documents(b'{"a": NaN}', b'{"a": NaN}', TOL)
    assert nan.verdict == EQUIVALENT and nan.max_difference == 0.0
    assert compare_documents(b'{"a": NaN}', b'{"a": 1.0}', TOL).verdict == DIFFERENT


def test_markdown_numbers_within_tolerance_and_changed_words():
    card = b"| roc_auc | 0.8412 [0.81, 0.86] |\nrows: 1409\n"
    near = b"| roc_auc | 0.8412004 [0.81, 0.86] |\nrows: 1409\n"
    far = b"| roc_auc | 0.8512 [0.81, 0.86] |\nrows: 1409\n"
    words = b"| pr_auc | 0.8412 [0.81, 0.86] |\nrows: 1409\n"
    within = judge_output("reports/model_card.md", card, near, TOL, None)
    assert within.verdict == EQUIVALENT and within.max_difference == pytest.approx(4e-7)
    beyond = compare_text(card, far, TOL)
    assert beyond.verdict == DIFFERENT and beyond.max_difference == pytest.approx(0.01)
    assert compare_text(card, words, TOL).note == "the text differs, not only its numbers"
    assert compare_text(card, card + b"1\n", TOL).verdict == DIFFERENT


def frame(**columns) -> pd.DataFrame:
    base = {"id": ["a", "b", "c"], "x": [1.0, 2.0, np.nan], "n": [1, 2, 3]}
    return pd.DataFrame({**base, **columns})


def parquet(data: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    data.to_parquet(buffer, index=False)
    return buffer.getvalue()


def test_parquet_frames_within_and_beyond_tolerance():
    near = judge_output("d.parquet", parquet(frame()), parquet(frame(x=[1.0, 2.0000001, np.nan])),
                        TOL, None)  # fmt: skip
    assert near.verdict == EQUIVALENT and near.max_difference == pytest.approx(1e-7)
    far = compare_frames(frame(), frame(x=[1.0, 2.1, np.nan]), TOL)
    assert far.verdict == DIFFERENT and far.max_difference == pytest.approx(0.1)
    assert compare_frames(frame(), frame(x=[1.0, 2.0, 0.0]), TOL).verdict == DIFFERENT


def test_parquet_structural_changes_are_different():
    assert compare_frames(frame(), frame(extra=[1, 2, 3]), TOL).verdict == DIFFERENT
    assert compare_frames(frame(), frame(n=[1.0, 2.0, 3.0]), TOL).verdict == DIFFERENT  # dtype
    assert compare_frames(frame(), frame(id=["a", "b", "z"]), TOL).verdict == DIFFERENT
    assert compare_frames(frame(), frame().iloc[:2], TOL).verdict == DIFFERENT
    assert judge_output("d.parquet", b"PAR1", b"PAR2", TOL, None).verdict == DIFFERENT


def test_probabilities_within_and_beyond_tolerance_and_shape_changes():
    a = np.array([[0.2, 0.8], [0.6, 0.4]])
    assert compare_probabilities(a, a + 1e-12, TOL).verdict == EQUIVALENT
    far = compare_probabilities(a, a + 1e-6, TOL)
    assert far.verdict == DIFFERENT and far.max_difference == pytest.approx(1e-6)
    assert compare_probabilities(a, a[:1], TOL).verdict == DIFFERENT
    assert compare_probabilities(a, a * np.nan, TOL).verdict == DIFFERENT


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(20, 3)), columns=["a", "b", "c"])
    y = (X["a"] + rng.normal(scale=0.5, size=20) > 0).astype(int)
    return LogisticRegression().fit(X, y), X


def shifted(model, by: float) -> bytes:
    saved = model.coef_.copy()
    model.coef_ = saved + by
    try:
        return dumps_model(model)
    finally:
        model.coef_ = saved


def test_models_are_loaded_safely_and_compared_by_their_probabilities(fitted):
    model, X = fitted
    committed, noise, far = dumps_model(model), shifted(model, 1e-13), shifted(model, 1e-3)
    assert noise != committed
    close = judge_output("models/model.skops", committed, noise, TOL, X)
    assert close.verdict == EQUIVALENT and 0 < close.max_difference <= TOL.probability
    beyond = compare_models(committed, far, X, TOL)
    assert beyond.verdict == DIFFERENT and beyond.max_difference > TOL.probability


def test_a_model_that_cannot_score_the_rows_is_different(fitted):
    model, X = fitted
    other = LogisticRegression().fit(X[["a", "b"]], (X["a"] > 0).astype(int))
    verdict = compare_models(dumps_model(model), dumps_model(other), X, TOL)
    assert verdict.verdict == DIFFERENT and "could not score" in verdict.note
    assert compare_models(b"not a zip", dumps_model(model), X, TOL).verdict == DIFFERENT


def test_tolerances_must_be_non_negative_numbers():
    with pytest.raises(LockstepError, match=r"reproduce\.absolute"):
        Tolerances(absolute=-1.0)
    with pytest.raises(LockstepError, match=r"reproduce\.probability"):
        Tolerances(probability=float("nan"))


def test_hashes_of_equivalent_upstream_outputs_are_mapped_in_texts_and_documents():
    old, new = "7974c0a1ee8d926b230603f677e08dbb", "02fcdc12447c1d8a9ad2527b89f91b16"
    card = f"- `models/model.skops`: `{old}`\nroc_auc 0.8412\n".encode()
    again = f"- `models/model.skops`: `{new}`\nroc_auc 0.8412\n".encode()
    assert judge_output("card.md", card, again, TOL, None).verdict == DIFFERENT
    mapped = judge_output("card.md", card, again, TOL, None, {old: new})
    assert mapped.verdict == EQUIVALENT and mapped.note == "names equivalent outputs' hashes"
    other = f"- `models/model.skops`: `{'0' * 32}`\nroc_auc 0.8412\n".encode()
    assert judge_output("card.md", card, other, TOL, None, {old: new}).verdict == DIFFERENT
    lineage = judge_output("l.json", doc(model=old), doc(model=new), TOL, None, {old: new})
    assert lineage.verdict == EQUIVALENT
