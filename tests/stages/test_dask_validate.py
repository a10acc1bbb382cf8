"""lockstep.stages.dask_validate: pandera on each partition, uniqueness on the whole table."""

from __future__ import annotations

import contextlib
import json

from tests.helpers.cli import invoke
from tests.helpers.parts import dask_params, many_rows, run_stages, write_source

PARTITION = 400


def run_validate(tmp_path, frame):
    source = write_source(tmp_path / "source", frame, 3)
    project = tmp_path / "project"
    run_stages(project, dask_params(source, PARTITION), stages=("ingest",))
    with contextlib.chdir(project):
        result = invoke("validate")
    assert result.exit_code == 1 and "check(s) failed" in result.output
    report = json.loads((project / "reports" / "validation.json").read_text())
    assert not (project / "data" / "validated.parquet").exists()  # nothing published
    return report, result.output


def test_a_bad_value_in_a_later_partition_is_reported_with_its_column_and_row(tmp_path):
    frame = many_rows(1500)
    frame.loc[1234, "tenure"] = 999
    report, output = run_validate(tmp_path, frame)
    assert report["passed"] is False
    assert "tenure" in output
    ((failure, failing),) = report["failures"].items()
    assert failure.startswith("tenure: less_than_or_equal_to(120") and failing == 1
    (case,) = report["failure_cases"]
    assert case["example_rows"] == "1235" and case["example_values"] == "999"


def test_a_duplicate_id_in_two_partitions_is_caught(tmp_path):
    frame = many_rows(1500)
    frame.loc[1400, "customer_id"] = frame.loc[3, "customer_id"]
    report, _ = run_validate(tmp_path, frame)
    assert report["failures"] == {"customer_id: field_uniqueness": 2}
    assert report["failure_cases"][0]["example_rows"] == "4, 1401"


def test_a_class_too_small_for_the_split_is_caught(tmp_path):
    frame = many_rows(1500)
    frame["churn"] = "No"
    frame.loc[700, "churn"] = "Yes"
    report, _ = run_validate(tmp_path, frame)
    assert list(report["failures"]) == ["churn: rows_per_class(>=5)"]
