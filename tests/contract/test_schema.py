"""lockstep.contract.schema: the pandera schema built from the contract, and its failures."""

from __future__ import annotations

import pandas as pd
import pandera.errors
import pytest

from lockstep.contract.columns import split_extra_columns
from lockstep.contract.schema import build_schema, summarize_failures, validate_frame
from lockstep.contract.text import LIMIT
from tests.helpers.tiny import data_config, data_dict, raw_frame

ID = "customer_id"


def summary(frame: pd.DataFrame, cfg=None) -> list[dict]:
    cfg = cfg or data_config()
    with pytest.raises(pandera.errors.SchemaErrors) as info:
        validate_frame(frame, cfg)
    return summarize_failures(info.value.failure_cases, frame, cfg.id_column)


def checks_by_column(rows: list[dict]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for row in rows:
        out.setdefault(row["column"], set()).add(row["check"])
    return out


def test_valid_rows_pass_and_are_coerced_to_the_contract_dtypes():
    frame = raw_frame(6)
    frame["tenure"] = frame["tenure"].astype("float64")
    validated = validate_frame(frame, data_config())
    assert validated["tenure"].dtype == "int64"
    assert validated["total_charges"].isna().sum() == 1
    assert list(validated[ID]) == list(frame[ID])


def test_schema_marks_id_unique_target_not_nullable_and_is_strict():
    cfg = data_config(
        columns={**data_dict()["columns"], "churn": {"dtype": "str", "nullable": True}}
    )
    schema = build_schema(cfg)
    assert schema.strict is True
    assert schema.columns[ID].unique is True
    assert schema.columns["churn"].nullable is False
    assert schema.columns["total_charges"].nullable is True


def test_missing_column_is_named():
    rows = summary(raw_frame(4).drop(columns=["tenure"]))
    assert [(r["column"], r["check"]) for r in rows] == [("tenure", "column_in_dataframe")]


def test_text_in_an_int_column_fails_the_dtype_check_with_the_row_id():
    frame = raw_frame(4)
    frame["tenure"] = frame["tenure"].astype("str")
    frame.loc[2, "tenure"] = "three"
    rows = summary(frame)
    dtype_rows = [r for r in rows if r["column"] == "tenure" and "int64" in r["check"]]
    assert dtype_rows
    assert all(r["example_ids"] == "c03" for r in dtype_rows)
    assert "'three'" in dtype_rows[0]["example_values"]


@pytest.mark.parametrize("nullable", [False, True])
def test_fraction_in_an_int_column_is_caught_not_truncated(nullable):
    columns = data_dict()["columns"]
    columns["tenure"] = {**columns["tenure"], "nullable": nullable}
    frame = raw_frame(4)
    frame["tenure"] = [1.0, 2.5, 3.0, None if nullable else 4.0]
    rows = summary(frame, data_config(columns=columns))
    coerce = [r for r in rows if r["column"] == "tenure" and r["check"].startswith("coerce_dtype")]
    assert len(coerce) == 1
    assert coerce[0]["example_ids"] == "c02"
    assert coerce[0]["example_values"] == "'2.5'"


def test_whole_numbers_in_a_nullable_int_column_keep_their_nulls():
    columns = data_dict()["columns"]
    columns["tenure"] = {**columns["tenure"], "nullable": True}
    frame = raw_frame(4)
    frame["tenure"] = [1.0, None, 3.0, 4.0]
    validated = validate_frame(frame, data_config(columns=columns))
    assert validated["tenure"].dtype == "Int64"
    assert validated["tenure"].isna().tolist() == [False, True, False, False]


def test_out_of_range_number_is_caught_for_max_and_min():
    frame = raw_frame(4)
    frame.loc[1, "tenure"] = 500
    frame.loc[3, "monthly_charges"] = -1.0
    found = checks_by_column(summary(frame))
    assert found["tenure"] == {"less_than_or_equal_to(120.0)"}
    assert found["monthly_charges"] == {"greater_than_or_equal_to(0.0)"}


def test_unknown_category_is_caught():
    frame = raw_frame(4)
    frame.loc[0, "contract"] = "Weekly"
    rows = summary(frame)
    assert len(rows) == 1
    assert rows[0]["column"] == "contract"
    assert rows[0]["check"].startswith("isin(")
    assert rows[0]["example_ids"] == "c01"
    assert rows[0]["example_values"] == "'Weekly'"


def test_duplicate_id_is_caught():
    frame = raw_frame(4)
    frame.loc[3, ID] = "c01"
    rows = summary(frame)
    assert [(r["column"], r["check"]) for r in rows] == [(ID, "field_uniqueness")]
    assert rows[0]["failing"] == 2


def test_null_in_a_non_nullable_column_is_caught_but_not_in_a_nullable_one():
    frame = raw_frame(4)
    frame.loc[2, "monthly_charges"] = None
    frame.loc[3, "total_charges"] = None
    rows = summary(frame)
    assert [(r["column"], r["check"], r["example_ids"]) for r in rows] == [
        ("monthly_charges", "not_nullable", "c03")
    ]


def test_all_null_target_is_caught():
    frame = raw_frame(4)
    frame["churn"] = pd.Series([None] * 4, dtype="str")
    found = checks_by_column(summary(frame))
    assert "target_not_all_null" in found["churn"]


def test_extra_column_fails_when_the_policy_is_fail():
    frame = raw_frame(4).assign(surprise=1)
    cfg = data_config()
    same, dropped = split_extra_columns(frame, cfg)
    assert dropped == []
    assert "surprise" in same.columns
    rows = summary(frame, cfg)
    assert [(r["column"], r["check"]) for r in rows] == [("surprise", "column_in_schema")]


def test_extra_columns_drop_drops_and_reports():
    cfg = data_config(extra_columns="drop")
    frame = raw_frame(4).assign(surprise=1, other="x")
    kept, dropped = split_extra_columns(frame, cfg)
    assert dropped == ["surprise", "other"]
    assert list(kept.columns) == list(raw_frame(4).columns)
    assert "surprise" in frame.columns
    validate_frame(kept, cfg)


def test_summarize_failures_gives_one_row_per_column_and_check_with_a_few_ids():
    frame = raw_frame(8)
    frame.loc[[0, 2, 4, 6], "contract"] = "Weekly"
    frame.loc[5, "tenure"] = 999
    rows = summary(frame)
    keys = [(r["column"], r["check"]) for r in rows]
    assert len(keys) == len(set(keys)) == 2
    contract = next(r for r in rows if r["column"] == "contract")
    assert contract["failing"] == 4
    assert contract["example_ids"] == "c01, c03, c05"
    tenure = next(r for r in rows if r["column"] == "tenure")
    assert tenure["example_ids"] == "c06"
    assert tenure["example_values"] == "999"


def test_summarize_failures_falls_back_to_row_numbers_without_an_id_column():
    failures = pd.DataFrame(
        {
            "column": ["x", "x"],
            "check": ["isin", "isin"],
            "failure_case": ["a", "b"],
            "index": [1, 3],
        }
    )
    frame = pd.DataFrame({"x": ["ok", "a", "ok", "b"]})
    (row,) = summarize_failures(failures, frame, "missing_id", examples=1)
    assert row["failing"] == 2
    assert row["example_rows"] == "2"  # data rows count from 1
    assert row["example_ids"] == "-"
    assert row["example_values"] == "'a'"


def test_bool_column_reads_yes_no_text_and_rejects_other_text():
    cfg = data_config(columns={**data_dict()["columns"], "flag": {"dtype": "bool"}})
    frame = raw_frame(4).assign(flag=["yes", "No", "TRUE", "0"])
    out = validate_frame(frame, cfg)
    assert out["flag"].tolist() == [True, False, True, False]
    rows = summary(frame.assign(flag=["yes", "maybe", "no", "x"]), cfg)
    (row,) = [r for r in rows if r["column"] == "flag"]
    assert row["check"].startswith("coerce_dtype")  # one row per bad value, not echoed checks
    assert row["failing"] == 2
    assert row["example_rows"] == "2, 4"


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), "inf", "-Infinity"])
def test_infinity_in_a_float_column_fails_the_finite_check(value):
    frame = raw_frame(6)
    frame["total_charges"] = frame["total_charges"].astype(object)
    frame.loc[2, "total_charges"] = value  # total_charges has a max; monthly_charges below none
    cfg = data_config()
    columns = {**data_dict()["columns"], "total_charges": {"dtype": "float", "nullable": True}}
    for config in (cfg, data_config(columns=columns)):
        rows = summary(frame, config)
        assert "finite" in checks_by_column(rows)["total_charges"]
        finite = next(r for r in rows if r["check"] == "finite")
        assert finite["example_ids"] == "c03"


def test_null_in_a_nullable_float_column_is_not_an_infinity_failure():
    frame = raw_frame(6)
    frame.loc[2, "total_charges"] = None
    validate_frame(frame, data_config())  # does not raise


def test_summarize_failures_cuts_huge_values_and_ids():
    frame = raw_frame(6)
    frame["contract"] = frame["contract"].astype(object)
    frame.loc[1, "contract"] = "x" * 1_000_000
    frame.loc[3, "customer_id"] = "i" * 500
    frame.loc[3, "tenure"] = 999
    rows = summary(frame)
    contract = next(r for r in rows if r["column"] == "contract")
    assert contract["example_values"] == repr("x" * LIMIT) + "…"
    tenure = next(r for r in rows if r["column"] == "tenure")
    assert tenure["example_ids"] == "i" * LIMIT + "…"
    assert all(len(str(v)) < 4 * LIMIT for row in rows for v in row.values())


def test_summarize_failures_cuts_a_huge_unknown_column_name():
    frame = raw_frame(4).assign(**{"n" * 10_000: 1})
    (row,) = summary(frame)
    assert row["column"] == "n" * LIMIT + "…"
    assert row["check"] == "column_in_schema"


def test_id_column_is_optional_and_row_numbers_stand_in():
    cfg = data_config(id_column=None)
    assert cfg.id_column is None
    assert "customer_id" in cfg.feature_columns()  # no longer a role: a column like any other
    frame = raw_frame(6)
    frame.loc[4, "tenure"] = 999
    (row,) = summary(frame, cfg)
    assert (row["example_rows"], row["example_ids"]) == ("5", "-")
