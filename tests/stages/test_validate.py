"""lockstep.stages.validate: the report, and the command that stops the pipeline on bad rows."""

from __future__ import annotations

import json

import pytest

from lockstep.contract.column_types import read_column_types
from lockstep.io import write_parquet
from lockstep.paths import COLUMN_TYPES_FILE
from lockstep.stages.validate import Needs, validate
from tests.helpers.cli import invoke
from tests.helpers.tiny import data_config, data_dict, params, raw_frame, write_params


def test_validate_passes_good_rows():
    validated, report = validate(raw_frame(), data_config())
    assert report["passed"] is True
    assert report["failures"] == {}
    assert report["rows_checked"] == 20
    assert report["dropped_columns"] == []
    assert validated is not None
    assert len(validated) == 20


def test_validate_reports_every_failure_at_once():
    frame = raw_frame(6)
    frame.loc[1, "contract"] = "Weekly"
    frame.loc[4, "monthly_charges"] = None
    validated, report = validate(frame, data_config())
    assert validated is None
    assert report["passed"] is False
    assert set(report["failures"]) == {
        "contract: isin(['Month-to-month', 'One year', 'Two year'])",
        "monthly_charges: not_nullable",
    }
    assert all(count == 1 for count in report["failures"].values())
    ids = {row["column"]: row["example_ids"] for row in report["failure_cases"]}
    assert ids == {"contract": "c02", "monthly_charges": "c05"}


def test_validate_drops_extra_columns_when_configured():
    frame = raw_frame(4).assign(note="x")
    validated, report = validate(frame, data_config(extra_columns="drop"))
    assert report["passed"] is True
    assert report["dropped_columns"] == ["note"]
    assert "note" not in validated.columns


def test_validate_fails_on_extra_columns_by_default():
    _, report = validate(raw_frame(4).assign(note="x"), data_config())
    assert report["passed"] is False
    assert list(report["failures"]) == ["note: column_in_schema"]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_params(tmp_path / "params.yaml", params())
    return tmp_path


def test_command_writes_validated_rows_and_report(workdir):
    write_parquet(workdir / "data/raw/tiny.parquet", raw_frame())
    result = invoke("validate", [])
    assert result.exit_code == 0, result.output
    assert (workdir / "data/validated.parquet").exists()
    report = json.loads((workdir / "reports/validation.json").read_text())
    assert report["passed"] is True


def test_command_hands_on_the_column_types_byte_identical_on_a_rerun(workdir):
    write_parquet(workdir / "data/raw/tiny.parquet", raw_frame())
    assert invoke("validate", []).exit_code == 0
    path = workdir / COLUMN_TYPES_FILE
    first = path.read_bytes()
    assert read_column_types(path).keys() == data_config().columns.keys()
    columns = data_dict()["columns"]
    columns["tenure"]["max"] = 100  # a bound: validate re-runs, the file (train's input) does not
    write_params(workdir / "params.yaml", params(data=data_dict(columns=columns)))
    assert invoke("validate", []).exit_code == 0
    assert path.read_bytes() == first


def test_command_exits_1_prints_the_table_and_writes_no_output(workdir):
    frame = raw_frame()
    frame.loc[3, "tenure"] = 999
    frame.loc[7, "contract"] = "Weekly"
    write_parquet(workdir / "data/raw/tiny.parquet", frame)
    validated = workdir / "data/validated.parquet"
    result = invoke("validate", [])
    assert result.exit_code == 1
    assert "validation failed" in result.stderr
    lines = result.stderr.splitlines()
    header = next(line for line in lines if "column" in line and "check" in line)
    assert "failing" in header
    assert any("tenure" in line and "less_than_or_equal_to(120.0)" in line for line in lines)
    assert any("contract" in line and "isin(" in line and "c08" in line for line in lines)
    assert "2 check(s) failed" in result.stderr
    assert not validated.exists()
    # the contract's types, not the data's: kept in Git, so not left deleted by a failed run
    assert read_column_types(workdir / COLUMN_TYPES_FILE).keys() == data_config().columns.keys()
    report = json.loads((workdir / "reports/validation.json").read_text())
    assert report["passed"] is False


def test_command_leaves_a_previous_validated_output_untouched_on_failure(workdir):
    validated = workdir / "data/validated.parquet"
    validated.parent.mkdir(parents=True)
    validated.write_bytes(b"previous")
    frame = raw_frame()
    frame.loc[0, "customer_id"] = "c02"
    write_parquet(workdir / "data/raw/tiny.parquet", frame)
    result = invoke("validate", [])
    assert result.exit_code == 1
    assert "field_uniqueness" in result.stderr
    assert validated.read_bytes() == b"previous"


def test_command_warns_about_dropped_columns(workdir):
    write_params(workdir / "params.yaml", params(data=data_dict(extra_columns="drop")))
    write_parquet(workdir / "data/raw/tiny.parquet", raw_frame().assign(note="x"))
    result = invoke("validate", [])
    assert result.exit_code == 0, result.output
    assert "dropped column 'note'" in result.stderr


def test_command_without_input_names_the_missing_file(workdir):
    result = invoke("validate", [])
    assert result.exit_code == 1
    assert "data/raw/tiny.parquet does not exist" in result.output


@pytest.mark.parametrize(("test_size", "cv_folds"), [(0.2, 5), (0.25, 3), (0.5, 2), (0.1, 10)])
def test_rows_per_class_needed_is_enough_for_the_split_and_cv(test_size, cv_folds):
    """At exactly the need, the stratified split leaves 1+ test row and cv_folds train rows."""
    from sklearn.model_selection import train_test_split

    need = Needs(test_size, cv_folds).rows_per_class
    y = ["a"] * need + ["b"] * 200
    train, test = train_test_split(y, test_size=test_size, random_state=0, stratify=y)
    assert train.count("a") >= cv_folds
    assert test.count("a") >= 1


def test_validate_refuses_a_target_with_one_class():
    frame = raw_frame()
    frame["churn"] = "No"
    validated, report = validate(frame, data_config(), Needs(0.25, 3))
    assert validated is None
    assert "churn: two_classes" in report["failures"]
    row = next(r for r in report["failure_cases"] if r["check"] == "two_classes")
    assert row["example_values"] == f"'No': {len(frame)} rows"


def test_validate_refuses_too_few_rows_of_a_class_for_split_and_cv():
    frame = raw_frame()
    need = Needs(0.25, 3).rows_per_class
    yes = frame.index[frame["churn"] == "Yes"]
    frame.loc[yes[need - 1 :], "churn"] = "No"  # leave need - 1 rows of class Yes
    _, report = validate(frame, data_config(), Needs(0.25, 3))
    assert report["failures"] == {f"churn: rows_per_class(>={need})": 1}
    frame.loc[yes[need - 1], "churn"] = "Yes"  # exactly enough
    _, report = validate(frame, data_config(), Needs(0.25, 3))
    assert report["passed"] is True, report


def test_command_reads_the_needs_from_split_and_train_params(workdir):
    frame = raw_frame()
    counts = frame["churn"].value_counts()
    write_parquet(workdir / "data/raw/tiny.parquet", frame)
    # cv_folds so large that the smaller class cannot fill them
    write_params(workdir / "params.yaml", params(train={"seed": 7, "cv_folds": int(counts.min())}))
    result = invoke("validate")
    assert result.exit_code == 1
    assert "rows_per_class(>=" in result.stderr
    assert not (workdir / "data/validated.parquet").exists()
