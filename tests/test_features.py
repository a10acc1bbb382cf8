"""lockstep.features (and the featurize stage's specs): row-wise derived features."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from sklearn.base import clone

from lockstep.errors import LockstepError
from lockstep.features import DerivedFeatures, check_specs, derive, derived_columns

BUCKET = {"name": "band", "kind": "bucket", "column": "t", "edges": [0, 6, 12]}
RATIO = {"name": "per", "kind": "ratio", "numerator": "n", "denominator": "d"}
COUNT = {"name": "yes", "kind": "count_equal", "columns": ["a", "b"], "value": "Yes"}
LOG = {"name": "log_n", "kind": "log1p", "column": "n"}
SPECS = [BUCKET, RATIO, COUNT]


def tiny() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "t": [0, 5, 6, 7, 12, 13, None],
            "n": [1.0, 2.0, 3.0, 0.0, 5.0, 4.0, None],
            "d": [2, 0, 3, 0, 4, 8, 1],
            "a": ["Yes", "No", "Yes", "Yes", None, "No", "Yes"],
            "b": ["Yes", "Yes", "No", "Yes", "Yes", None, "No"],
        }
    )


def as_list(series: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in series]


def test_bucket_labels_each_value_by_its_band_and_nulls_outside():
    out = derive(tiny(), [BUCKET])
    assert as_list(out["band"]) == ["0-6", "0-6", "0-6", "6-12", "6-12", None, None]


def test_ratio_divides_and_gives_null_for_division_by_zero():
    out = derive(tiny(), [RATIO])
    expected = [0.5, None, 1.0, None, 1.25, 0.5, None]
    assert as_list(out["per"]) == expected
    assert out["per"].dtype == "float64"
    assert not out["per"].isin([math.inf, -math.inf]).any()


def test_count_equal_counts_matching_columns_and_ignores_nulls():
    out = derive(tiny(), [COUNT])
    assert out["yes"].tolist() == [2, 1, 1, 2, 1, 0, 1]


def test_log1p_takes_the_log_of_one_plus_the_value_and_nulls_what_has_none():
    frame = pd.DataFrame({"n": [0.0, math.e - 1, 9.0, -0.5, -1.0, -3.0, None], "s": ["x"] * 7})
    out = derive(frame, [LOG, {"name": "log_s", "kind": "log1p", "column": "s"}])
    assert out["log_n"].dtype == "float64"
    expected = [0.0, 1.0, math.log(10.0), math.log(0.5), None, None, None]
    assert as_list(out["log_n"]) == pytest.approx(expected)
    assert out["log_s"].isna().all()  # not a number: null, as for ratio
    assert derived_columns([LOG]) == (["log_n"], [])


def test_later_spec_may_use_an_earlier_output():
    chained = [COUNT, {"name": "r", "kind": "ratio", "numerator": "yes", "denominator": "d"}]
    out = derive(tiny(), chained)
    assert as_list(out["r"]) == [1.0, None, 1 / 3, None, 0.25, 0.0, 1.0]


def test_derive_leaves_the_input_unchanged():
    frame = tiny()
    before = frame.copy()
    out = derive(frame, SPECS)
    pd.testing.assert_frame_equal(frame, before)
    assert list(out.columns) == [*before.columns, "band", "per", "yes"]


def test_derive_rejects_an_unknown_kind():
    with pytest.raises(LockstepError, match=r"'oops'.*unknown kind 'log'"):
        derive(tiny(), [{"name": "oops", "kind": "log", "column": "t"}])


def test_check_specs_accepts_the_specs_and_chained_names():
    check_specs([*SPECS, LOG, {**LOG, "name": "log_per", "column": "per"}], list(tiny().columns))
    check_specs([COUNT, {**RATIO, "numerator": "yes"}], list(tiny().columns))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"name": "x", "kind": "log", "column": "t"}, r"derived\[0\]: needs a 'name' and a 'kind'"),
        ({"kind": "ratio", "numerator": "n", "denominator": "d"}, r"needs a 'name'"),
        ({**RATIO, "numerator": "nn"}, r"\(per\): column 'nn' is not in the data"),
        ({**COUNT, "columns": ["a", "c"]}, r"\(yes\): column 'c' is not in the data"),
        ({**BUCKET, "column": "tt"}, r"\(band\): column 'tt' is not in the data"),
        ({**BUCKET, "edges": [0, 12, 6]}, r"\(band\): edges must be strictly increasing"),
        ({**BUCKET, "edges": [0, 6, 6, 12]}, r"edges must be strictly increasing"),
        ({**BUCKET, "bins": 3}, r"\(band\): kind 'bucket' takes .*unknown 'bins'"),
        ({"name": "r", "kind": "ratio", "numerator": "n"}, r"missing 'denominator'"),
        ({**LOG, "column": "nn"}, r"\(log_n\): column 'nn' is not in the data"),
        ({"name": "log_n", "kind": "log1p"}, r"\(log_n\): kind 'log1p' takes .*missing 'column'"),
        ({**LOG, "offset": 1}, r"kind 'log1p' takes column, kind, name; unknown 'offset'"),
    ],
)
def test_check_specs_rejects_malformed_specs(spec, message):
    with pytest.raises(LockstepError, match=message):
        check_specs([spec], list(tiny().columns))


def test_check_specs_rejects_a_forward_reference():
    later = {"name": "later", "kind": "ratio", "numerator": "yes", "denominator": "d"}
    with pytest.raises(LockstepError, match=r"derived\[0\] \(later\): column 'yes'"):
        check_specs([later, COUNT], list(tiny().columns))


def test_derived_columns_splits_numeric_and_categorical():
    assert derived_columns(SPECS) == (["per", "yes"], ["band"])
    assert derived_columns([]) == ([], [])


def test_derived_features_transform_equals_derive():
    frame = tiny()
    transformer = DerivedFeatures(SPECS).fit(frame)
    pd.testing.assert_frame_equal(transformer.transform(frame), derive(frame, SPECS))
    pd.testing.assert_frame_equal(clone(transformer).transform(frame), derive(frame, SPECS))
    pd.testing.assert_frame_equal(DerivedFeatures().fit_transform(frame), frame)


def test_derived_features_fails_on_a_frame_missing_a_column():
    with pytest.raises(KeyError):
        DerivedFeatures([RATIO]).transform(tiny().drop(columns=["d"]))


def test_a_derived_name_may_not_overwrite_an_input_column():
    spec = {"name": "tenure", "kind": "ratio", "numerator": "a", "denominator": "b"}
    with pytest.raises(LockstepError, match=r"name 'tenure' is already a column"):
        check_specs([spec], ["tenure", "a", "b"])


def test_transform_hands_nullable_booleans_on_as_objects_with_nan():
    frame = tiny().assign(flag=pd.array([True, None, False, True, None, False, True], "boolean"))
    out = DerivedFeatures(SPECS).transform(frame)
    assert out["flag"].dtype == object
    assert [v if isinstance(v, bool) else "nan" for v in out["flag"]] == [
        True, "nan", False, True, "nan", False, True
    ]  # fmt: skip
    assert all(isinstance(v, float) and math.isnan(v) for v in out["flag"][[1, 4]])
