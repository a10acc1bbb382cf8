"""lockstep.monitor.outcomes: the outcome store's contract, atomic appends, clear errors."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from lockstep.cli import main
from lockstep.monitor.outcomes import read_store
from tests.helpers.monitoring import START, hashed, monitor_params, outcome_rows, write_log
from tests.helpers.tiny import write_params

IDS = [f"c{i:02d}" for i in range(1, 11)]
LATER = START + timedelta(days=3)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    write_params(tmp_path / "params.yaml", monitor_params(tmp_path))
    write_log(tmp_path / "logs", IDS, np.linspace(0.1, 0.9, len(IDS)))
    return tmp_path


def add(workdir: Path, rows: list[dict], name: str = "o.csv", *extra: str):
    path = workdir / name
    frame = pd.DataFrame(rows)
    if name.endswith(".csv"):
        frame.to_csv(path, index=False)
    elif name.endswith(".parquet"):
        frame.to_parquet(path)
    else:
        frame.to_json(path, orient="records", lines=True)
    return CliRunner().invoke(
        main, ["outcomes", "add", str(path), "--params", str(workdir / "params.yaml"), *extra]
    )


def store_state(workdir: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((workdir / "store").glob("part-*"))
    }


@pytest.mark.parametrize("name", ["o.csv", "o.parquet", "o.jsonl"])
def test_good_file_is_stored_with_pseudonymized_ids_only(workdir, name):
    labels = ["Yes", "No"] * 5
    result = add(workdir, outcome_rows(IDS, labels, LATER), name)
    assert result.exit_code == 0, result.output
    stored = read_store(workdir / "store")
    assert sorted(stored["id"]) == sorted(hashed(IDS))
    assert dict(zip(stored["id"], stored["label"], strict=True)) == dict(
        zip(hashed(IDS), [1, 0] * 5, strict=True)
    )
    raw = b"".join((workdir / "store" / p).read_bytes() for p in store_state(workdir))
    assert not any(i.encode() in raw for i in IDS)


def test_every_bad_row_is_counted_and_the_store_is_unchanged(workdir):
    assert add(workdir, outcome_rows(IDS[:2], ["Yes", "No"], LATER)).exit_code == 0
    before = store_state(workdir)
    rows = outcome_rows(IDS[2:4], ["Yes", "maybe"], LATER)  # one good, one bad label
    rows += outcome_rows(["nobody"], ["Yes"], LATER)  # unknown id
    rows += outcome_rows([IDS[4]], ["No"], START - timedelta(days=1))  # before its prediction
    rows += outcome_rows([IDS[5], IDS[5]], ["Yes", "No"], LATER)  # conflicting in the file
    rows += outcome_rows([IDS[0]], ["No"], LATER)  # conflicts with the stored "Yes"
    rows += [{"customer_id": IDS[6], "churn": "No", "observed_at": "yesterday"}]  # bad time
    rows += [{"customer_id": "", "churn": "No", "observed_at": LATER.isoformat()}]  # no id
    result = add(workdir, rows)
    assert result.exit_code == 1
    counts = dict(line.split() for line in result.output.splitlines() if line.startswith("  "))
    assert counts == {
        "rows": "9",
        "accepted": "1",
        "duplicate": "0",
        "missing_id": "1",
        "bad_label": "1",
        "bad_time": "1",
        "conflicting": "3",
        "unknown_id": "1",
        "before_prediction": "1",
    }
    assert "store is unchanged" in result.output
    assert store_state(workdir) == before


def test_accept_partial_keeps_the_good_rows(workdir):
    rows = outcome_rows(IDS[:3], ["Yes", "No", "perhaps"], LATER)
    result = add(workdir, rows, "o.csv", "--accept-partial")
    assert result.exit_code == 0, result.output
    assert sorted(read_store(workdir / "store")["id"]) == sorted(hashed(IDS[:2]))


def test_a_repeated_file_adds_nothing(workdir):
    rows = outcome_rows(IDS[:4], ["Yes", "No", "No", "Yes"], LATER)
    assert add(workdir, rows).exit_code == 0
    before = store_state(workdir)
    result = add(workdir, rows)
    assert result.exit_code == 0 and "nothing new" in result.output
    assert "duplicate          4" in result.output
    assert store_state(workdir) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "could not be read"),
        ("customer_id,observed_at\nc01,2026-11-05\n", "no column 'churn'"),
        ("customer_id,churn,observed_at\n", "has no rows"),
    ],
)
def test_unreadable_files_are_errors_and_change_nothing(workdir, content, message):
    assert add(workdir, outcome_rows(IDS[:2], ["Yes", "No"], LATER)).exit_code == 0
    before = store_state(workdir)
    bad = workdir / "bad.csv"
    bad.write_text(content)
    result = CliRunner().invoke(
        main, ["outcomes", "add", str(bad), "--params", str(workdir / "params.yaml")]
    )
    assert result.exit_code == 1 and message in result.output, result.output
    assert store_state(workdir) == before


def test_already_pseudonymized_ids_are_not_hashed_again(workdir):
    rows = outcome_rows(hashed(IDS[:2]), ["Yes", "No"], LATER)
    assert add(workdir, rows, "o.csv", "--pseudonymized").exit_code == 0
    assert sorted(read_store(workdir / "store")["id"]) == sorted(hashed(IDS[:2]))


def test_export_writes_contract_rows_or_says_how_many_labels_are_missing(tmp_path):
    from tests.helpers.tiny import raw_frame

    raw = raw_frame()
    features = json.loads(raw.drop(columns=["customer_id", "churn"]).to_json(orient="records"))
    write_params(tmp_path / "params.yaml", monitor_params(tmp_path))
    ids = raw["customer_id"].tolist()
    write_log(tmp_path / "logs", ids, np.linspace(0.1, 0.9, 20), features=features)
    assert add(tmp_path, outcome_rows(ids[:12], raw["churn"].tolist()[:12], LATER)).exit_code == 0
    export = [
        "outcomes",
        "export",
        "--params",
        str(tmp_path / "params.yaml"),
        "--output",
        str(tmp_path / "feedback.parquet"),
    ]
    refused = CliRunner().invoke(main, [*export, "--min-labels", "15"])
    assert refused.exit_code == 1 and "needs at least 15 (3 more" in refused.output
    assert not (tmp_path / "feedback.parquet").exists()
    assert CliRunner().invoke(main, [*export, "--min-labels", "12"]).exit_code == 0
    rows = pd.read_parquet(tmp_path / "feedback.parquet")
    assert list(rows.columns) == list(raw.columns) and len(rows) == 12
    expected = raw.head(12).assign(customer_id=hashed(ids[:12]))
    pd.testing.assert_frame_equal(
        rows.sort_values("customer_id").reset_index(drop=True),
        expected.sort_values("customer_id").reset_index(drop=True),
        check_dtype=False,
    )


def test_torn_and_foreign_log_lines_are_skipped_and_counted(workdir):
    from lockstep.monitor.logs import read_predictions

    log = workdir / "logs" / "predictions.jsonl"
    whole = log.read_text()
    log.write_text(whole + '{"ts": "2026-11-02T00:00:00.000+00:00", "model": "pr\n' + "[1, 2]\n")
    (workdir / "logs" / "predictions.1.jsonl").write_text(whole.splitlines()[0] + "\n")
    frame, counts = read_predictions(workdir / "logs")
    assert counts == {"records": 11, "skipped_lines": 2, "files": 2}
    assert frame["ts"].is_monotonic_increasing
