"""lockstep.monitor.outcomes: the outcome store's contract, atomic appends, clear errors."""

from __future__ import annotations

import hashlib
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
