"""The data contract through real `dvc repro`: bad raw input stops the pipeline, later outputs stay.

One repo, built once per test run, reads the Telco rows from a CSV in data/source/ (kind: file)
and is reproduced once; every case copies it, corrupts the CSV and runs `dvc repro` again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.conftest import commit_all, copy_repo, output_hashes, run, stages_run

pytestmark = pytest.mark.slow

SOURCE = "data/source/telco.csv"
ROWS = 2000  # enough for every check; fewer rows keep each `dvc repro` short
# Written by ingest and validate themselves; everything else in reports/ comes from later stages.
OWN_REPORTS = ("reports/ingest.json", "reports/validation.json")


def use_csv_source(repo: Path, **changes: object) -> None:
    """Point conf/data/telco.yaml at the CSV (plus ``changes``) and recompose params.yaml."""
    path = repo / "conf/data/telco.yaml"
    cfg = yaml.safe_load(path.read_text())
    cfg["source"] = {"kind": "file", "path": SOURCE}
    cfg.pop("rename", None)  # the export already has the renamed columns
    cfg.update(changes)
    path.write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True))
    run(["lockstep", "params"], repo)


def later_outputs(repo: Path, *extra: str) -> dict[str, str]:
    """Hashes of every output of split and the stages after it (plus ``extra``)."""
    hashes = output_hashes(repo, "data/split", "data/features", "models", "reports", *extra)
    return {path: digest for path, digest in hashes.items() if path not in OWN_REPORTS}


@pytest.fixture(scope="session")
def csv_project(tmp_path_factory: pytest.TempPathFactory, reproduced_project: Path) -> Path:
    """The project reading a good CSV export of the bundled data, reproduced and committed."""
    repo = copy_repo(reproduced_project, tmp_path_factory.mktemp("csv") / "repo")
    raw = pd.read_parquet(repo / "data/raw/telco.parquet")  # ids already pseudonymized once
    raw.head(ROWS).to_csv(repo / SOURCE, index=False)
    use_csv_source(repo)
    run(["dvc", "repro"], repo)
    commit_all(repo, "read the data from data/source/telco.csv")
    return repo


@pytest.fixture
def csv_repo(tmp_path: Path, csv_project: Path) -> Path:
    return copy_repo(csv_project, tmp_path / "repo")


def edit_frame(change: Callable[[pd.DataFrame], pd.DataFrame | None]) -> Callable[[Path], None]:
    def corrupt(csv: Path) -> None:
        frame = pd.read_csv(csv)
        changed = change(frame)
        (frame if changed is None else changed).to_csv(csv, index=False)

    return corrupt


def set_cell(column: str, row: int, value: object) -> Callable[[Path], None]:
    def change(frame: pd.DataFrame) -> None:
        frame[column] = frame[column].astype(object)
        frame.loc[row, column] = value

    return edit_frame(change)


def duplicate_id(frame: pd.DataFrame) -> None:
    frame.loc[10, "customer_id"] = frame.loc[11, "customer_id"]


def null_target(frame: pd.DataFrame) -> None:
    frame["churn"] = None


def add_notes(frame: pd.DataFrame) -> None:
    frame["notes"] = "called twice"


def empty_file(csv: Path) -> None:
    csv.write_bytes(b"")


def latin1_bytes(csv: Path) -> None:
    frame = pd.read_csv(csv)
    frame["payment_method"] = frame["payment_method"].astype(object)
    frame.loc[ROWS - 10, "payment_method"] = "Chèque"
    csv.write_bytes(frame.to_csv(index=False).encode("latin-1"))


def first_bad_utf8_byte(csv: Path) -> str:
    try:
        csv.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"byte {exc.start} "
    raise AssertionError(f"{csv} decodes as UTF-8")


def one_class(frame: pd.DataFrame) -> None:
    frame["churn"] = "No"


def drop_a_field(csv: Path) -> None:
    """A truncated export: the last line lost its final fields."""
    text = csv.read_text().rstrip("\n")
    head, _, last = text.rpartition("\n")
    csv.write_text(head + "\n" + last.rsplit(",", 3)[0] + "\n")


def wide_header(csv: Path) -> None:
    csv.write_text("x," * (5 * 2**20))  # a 10 MB line with no newline


# (corruption, stage that must stop, texts stderr must contain: the column and the rule)
CASES = {
    "missing_column": (
        edit_frame(lambda f: f.drop(columns=["tenure"])),
        "validate",
        ["tenure", "column_in_dataframe"],
    ),
    "text_in_int_column": (
        set_cell("tenure", 7, "twelve"),
        "validate",
        ["tenure", "coerce_dtype('int64')", "'twelve'"],
    ),
    "fraction_in_int_column": (
        set_cell("tenure", 7, 12.5),
        "validate",
        ["tenure", "coerce_dtype('int64')", "12.5"],
    ),
    "out_of_range": (
        set_cell("tenure", 7, 500),
        "validate",
        ["tenure", "less_than_or_equal_to(120", "500"],
    ),
    "unknown_category": (
        set_cell("contract", 7, "Three year"),
        "validate",
        ["contract", "isin(", "'Three year'"],
    ),
    "duplicate_id": (
        edit_frame(duplicate_id),
        "validate",
        ["customer_id", "field_uniqueness"],
    ),
    "empty_file": (empty_file, "ingest", [SOURCE, "empty (0 bytes)"]),
    "all_null_target": (
        edit_frame(null_target),
        "validate",
        ["churn", "not_nullable", "target_not_all_null"],
    ),
    "not_utf8": (latin1_bytes, "ingest", [SOURCE, "not valid utf-8", first_bad_utf8_byte]),
    "extra_column_policy_fail": (
        edit_frame(add_notes),
        "validate",
        ["notes", "column_in_schema"],
    ),
    "infinity_in_float_column": (
        set_cell("total_charges", 7, "inf"),
        "validate",
        ["total_charges", "finite", "inf"],
    ),
    "one_class_target": (edit_frame(one_class), "validate", ["churn", "two_classes"]),
    "short_row": (drop_a_field, "ingest", [SOURCE, f"line {ROWS + 1} has ", "the header has"]),
    "huge_value": (
        set_cell("contract", 7, "z" * 3_000_000),
        "validate",
        ["contract", "isin(", "'" + "z" * 80 + "'…"],
    ),
    "wide_header": (wide_header, "ingest", [SOURCE, "longer than 1,048,576 characters"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_stops_the_pipeline_and_touches_nothing_later(csv_repo: Path, case: str):
    corrupt, stage, expected = CASES[case]
    extra = ("data/validated.parquet",) if stage == "ingest" else ()
    before = later_outputs(csv_repo, *extra)
    assert "models/model.skops" in before

    csv = csv_repo / SOURCE
    corrupt(csv)
    proc = run(["dvc", "repro"], csv_repo, check=False)

    assert proc.returncode != 0, proc.stdout
    assert stages_run(proc.stdout)[-1] == stage, proc.stdout
    assert f"failed to reproduce '{stage}'" in proc.stderr
    for text in expected:
        text = text(csv) if callable(text) else text
        assert text in proc.stderr, f"{text!r} not in stderr:\n{proc.stderr}"
    assert later_outputs(csv_repo, *extra) == before
    assert len(proc.stderr) < 100_000  # no value is printed whole
    if stage == "validate":
        text = (csv_repo / "reports/validation.json").read_text()
        assert len(text) < 100_000
        report = json.loads(text)
        assert report["passed"] is False
        assert report["failures"]


def test_extra_column_with_policy_drop_passes_with_a_warning(csv_repo: Path):
    before = later_outputs(csv_repo, "data/validated.parquet")
    use_csv_source(csv_repo, extra_columns="drop")
    edit_frame(add_notes)(csv_repo / SOURCE)

    proc = run(["dvc", "repro"], csv_repo)

    assert "dropped column 'notes'" in proc.stderr
    report = json.loads((csv_repo / "reports/validation.json").read_text())
    assert report["passed"] is True
    assert report["dropped_columns"] == ["notes"]
    # The same rows reach split, so nothing after validate changes, byte for byte, except the
    # model card, which records the hash of the raw data (now with the extra column).
    assert not {"split", "featurize"} & set(stages_run(proc.stdout))
    after = later_outputs(csv_repo, "data/validated.parquet")
    changed = {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}
    assert changed <= {"reports/model_card.md"}
