"""lockstep.contract.dataconfig: the data contract as typed config, checked when it is built."""

from __future__ import annotations

import pytest

from lockstep.errors import LockstepError
from lockstep.models import make_estimator, make_pipeline
from tests.helpers.tiny import DERIVED, data_config, data_dict


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"source": {"kind": "ftp"}}, r"source\.kind: 'ftp' is not one of"),
        ({"extra_columns": "keep"}, r"extra_columns must be 'fail' or 'drop'"),
        ({"target": "label"}, r"data\.target: column 'label' is not listed"),
        ({"id_column": "uid"}, r"data\.id_column: column 'uid' is not listed"),
    ],
)
def test_data_config_rejects_bad_roles_and_policies(change, message):
    with pytest.raises(LockstepError, match=message):
        data_config(**change)


def test_data_config_rejects_an_unknown_dtype_and_names_the_column():
    columns = {**data_dict()["columns"], "tenure": {"dtype": "integer"}}
    with pytest.raises(LockstepError, match=r"columns\.tenure\.dtype: 'integer'"):
        data_config(columns=columns)


def test_feature_columns_skip_target_id_and_excluded():
    cfg = data_config(exclude_features=["tech_support"])
    assert cfg.feature_columns() == [
        "tenure",
        "monthly_charges",
        "total_charges",
        "contract",
        "online_security",
    ]
    assert cfg.numeric_columns() == ["tenure", "monthly_charges", "total_charges"]
    assert cfg.categorical_columns() == ["contract", "online_security"]


def test_exclude_features_and_slice_columns_must_name_known_columns():
    with pytest.raises(LockstepError, match=r"data.exclude_features: 'nope'"):
        data_config(exclude_features=["nope"])
    with pytest.raises(LockstepError, match=r"data.slice_columns: 'nope'"):
        data_config(slice_columns=["nope"])
    assert data_config(slice_columns=["contract", "tenure_band"]).slice_columns


def test_sensitive_columns_must_be_declared_feature_columns():
    assert data_config(sensitive_columns=["contract"]).sensitive_columns == ("contract",)
    for bad in ("region", "churn", "customer_id"):
        with pytest.raises(LockstepError, match=f"sensitive_columns: '{bad}'"):
            data_config(sensitive_columns=[bad])
    assert data_config().sensitive_columns == ()  # nothing is sensitive unless declared


def test_excluding_sensitive_columns_drops_them_and_what_is_derived_from_them():
    kept = data_config(sensitive_columns=["tenure"])
    dropped = data_config(sensitive_columns=["tenure"], sensitive_as_features=False)
    assert "tenure" in kept.feature_columns() and "tenure" not in dropped.feature_columns()
    assert dropped.excluded_features() == {"tenure"}
    # tenure_band and charges_per_month are computed from tenure, so they carry it in: dropped too
    model = make_estimator({"family": "logistic_regression"}, 0)
    columns = [c for _, _, cs in make_pipeline(dropped, DERIVED, model)[1].transformers for c in cs]
    assert not {"tenure", "tenure_band", "charges_per_month"} & set(columns)
    assert "addon_count" in columns
