"""The feedback loop for real: `lockstep serve` on 127.0.0.1 scores the bundled test rows, their
true labels become outcomes, `lockstep monitor` measures them, a relabelled segment is flagged,
and `lockstep outcomes export` + `dvc repro` put those rows into the training data on a branch.

The lockstep commands other than serve run in this process (CliRunner, the project as the
working directory) to spare an interpreter start-up each; `dvc repro` stops at featurize, the
training data (the whole retraining, pull request and comparison run in monitor.yml under act:
tests/integration/test_workflows_monitor.py, `make workflows`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from sklearn.metrics import roc_auc_score

pytest.importorskip("fastapi")

from lockstep.cli import main
from lockstep.monitor.concept import relabel_segment
from tests.conftest import commit_all, run
from tests.integration.test_serve_integration import Server

pytestmark = pytest.mark.slow


def serve_test_rows(project: Path, logs: Path) -> pd.DataFrame:
    """Every test row through a real server (ids are the pseudonyms ingest wrote)."""
    commit = run(["git", "rev-parse", "HEAD"], project).stdout.strip()
    run(["git", "tag", "-a", "churn-model@v0.1.0", "-m", "register", commit], project)
    run(["git", "tag", "-a", "churn-model#prod#1", "-m", "assign", commit], project)
    rows = pd.read_parquet(project / "data/split/test.parquet")
    records = json.loads(rows.drop(columns=["churn"]).to_json(orient="records"))
    server = Server(project, "--stage", "prod", "--log-dir", str(logs), "--pseudonymized")
    try:
        for start in range(0, len(records), 1000):
            status, body = server.predict(records[start : start + 1000])
            assert status == 200, body
    finally:
        server.stop()
    return rows


def cli(*args: str) -> None:
    """A lockstep command in this process (cwd: the project), sparing an interpreter start-up."""
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output


def add_outcomes(project: Path, ids: list, labels: list, store: Path, logs: Path) -> None:
    when = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    path = project.parent / f"{store.name}.csv"
    frame = pd.DataFrame({"customer_id": ids, "churn": labels, "observed_at": when})
    frame.to_csv(path, index=False)
    cli(
        "outcomes",
        "add",
        str(path),
        "--pseudonymized",
        "--store",
        str(store),
        "--log-dir",
        str(logs),
    )


def monitor(store: Path, logs: Path, output: Path, *extra: str) -> dict:
    cli("monitor", "--window", "7d", "--store", str(store), "--log-dir", str(logs), *extra)
    return json.loads(output.read_text())


# The monitor settings this test is about, in its own copy (conf/ may tune them). 50 resamples
# put the one-sided bound near the extreme draw: still far inside the relabelled window's shift.
MONITOR = {
    "seed": 42,
    "min_labels": 100,
    "bootstrap_samples": 50,
    "confidence": 0.95,
    "alpha": 0.01,
    "degradation": {"roc_auc": 0.05, "brier": 0.02},
    "calibration_margin": 0.05,
}


def test_serve_outcomes_monitor_relabel_retrain(project, monkeypatch):
    monkeypatch.chdir(project)
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["monitor"] = {**params["monitor"], **MONITOR}  # no stage reads this section
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    logs = project.parent / "logs"
    rows = serve_test_rows(project, logs)
    ids, truth = rows["customer_id"].tolist(), rows["churn"].tolist()
    add_outcomes(project, ids, truth, project.parent / "true", logs)
    out = project.parent / "healthy.json"
    metric = str(project.parent / "healthy_metric.json")
    healthy = monitor(project.parent / "true", logs, out, "--output", str(out), "--metrics", metric)
    scored = pd.read_parquet(project / "data/scores/test.parquet")  # evaluate's scored test rows
    expected = roc_auc_score(scored["label"], scored["probability"])
    assert abs(healthy["latest"]["prod"]["roc_auc"] - expected) <= 1e-9
    assert healthy["coverage"] == 1.0 and healthy["latest"]["prod"]["version"] == "v0.1.0"
    assert healthy["test_metrics"]["v0.1.0"]["commit"] is not None
    assert not healthy["degraded"] and not healthy["concept_drift"]

    y = (rows["churn"] == "Yes").to_numpy()
    m2m = (rows["contract"] == "Month-to-month").to_numpy()
    changed = relabel_segment(y, m2m, 2.0, seed=0)
    labels = ["Yes" if v else "No" for v in changed]
    add_outcomes(project, ids, labels, project.parent / "relabelled", logs)
    flagged = monitor(
        project.parent / "relabelled", logs, project / "reports/monitoring_report.json"
    )
    (window,) = [w for w in flagged["windows"] if w["judged"]]
    assert flagged["degraded"] and flagged["concept_drift"]
    assert "contract=Month-to-month" in window["calibration"]["flagged_segments"]
    assert not window["input_drift"]["dataset_drift"]
    # The declared metric and plots: DVC reads them, numbers only, without a warning.
    shown = run(["dvc", "metrics", "show", "--json"], project)
    assert "failed to load" not in shown.stdout + shown.stderr
    metric = json.loads(shown.stdout)[""]["data"]["reports/monitoring.json"]["data"]
    assert metric["degraded"] is True and metric["labelled"] == len(ids)
    plots = json.loads(run(["dvc", "plots", "show", "--json"], project).stdout)["data"]
    assert plots["Live Brier score per window (bootstrap interval)"]  # found, not empty

    run(["git", "switch", "-q", "-c", "retrain/test"], project)
    relabelled = str(project.parent / "relabelled")
    cli("outcomes", "export", "--store", relabelled, "--log-dir", str(logs), "--min-labels", "1000")
    run(["dvc", "repro", "featurize"], project)  # the training data `dvc repro train` reads
    commit_all(project, "retrain on labelled production rows")
    raw = pd.read_parquet(project / "data/raw/telco.parquet").set_index("customer_id")
    assert raw.index.is_unique and raw.index.str.fullmatch(r"[0-9a-f]{16}").all()
    assert raw.loc[ids, "churn"].tolist() == labels
    train = pd.read_parquet(project / "data/features/train.parquet").set_index("customer_id")
    fed = train.index.intersection(ids)
    assert len(fed) > 0  # the split is random: some of the relabelled rows train the model
    assert (train.loc[fed, "churn"] == raw.loc[fed, "churn"]).all()
    tracked = run(["git", "show", "--stat", "HEAD"], project).stdout
    assert "data/source/feedback.parquet" in tracked and "dvc.lock" in tracked
