"""lockstep drift: per-column statistics, the decision rule, false alarms, and the command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lockstep.config import build, load_params, section
from lockstep.errors import LockstepError
from lockstep.modelfile import dumps_model
from lockstep.models import make_pipeline
from lockstep.monitor import stats as drift_stats
from lockstep.monitor.drift import DriftParams, compare, conform
from tests.helpers import cli
from tests.helpers.tiny import DERIVED, M2M, NO, ONE, TWO, YES, data_config, params, write_params

CFG = DriftParams()
DATA = data_config()


def synthetic(rows: int, seed: int) -> pd.DataFrame:
    """Churn-like rows shaped like tests/unit/tiny.py, drawn like the real data."""
    rng = np.random.default_rng(seed)
    tenure = rng.integers(0, 73, rows)
    monthly = rng.uniform(18, 120, rows).round(2)
    total = (tenure * monthly * rng.uniform(0.9, 1.1, rows)).round(2)
    contract = rng.choice([M2M, ONE, TWO], rows, p=[0.55, 0.21, 0.24])
    churn = np.where(rng.random(rows) < np.where(contract == M2M, 0.45, 0.1), YES, NO)
    return pd.DataFrame(
        {
            "customer_id": [f"c{seed}-{i}" for i in range(rows)],
            "churn": churn,
            "tenure": tenure,
            "monthly_charges": monthly,
            "total_charges": np.where(tenure == 0, np.nan, total),
            "contract": contract,
            "online_security": rng.choice([YES, NO], rows, p=[0.3, 0.7]),
            "tech_support": rng.choice([YES, NO], rows, p=[0.3, 0.7]),
        }
    )


def shifted(frame: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    out = frame.copy()
    out["tenure"] = out["tenure"] + 12
    rng = np.random.default_rng(seed)
    out["contract"] = rng.choice([M2M, ONE, TWO], len(out), p=[0.25, 0.3, 0.45])
    return out


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return synthetic(5000, seed=0)


def run(reference: pd.DataFrame, current: pd.DataFrame, cfg: DriftParams = CFG) -> dict:
    ref = conform(reference, DATA, "reference", "ref")
    return compare(ref, conform(current, DATA, "current", "cur"), DATA, cfg)


def drifted(report: dict) -> set[str]:
    return {name for name, r in report["columns"].items() if r["drifted"]}


@pytest.mark.parametrize("rows", [500, 3000])
def test_a_shifted_batch_is_flagged_on_the_shifted_columns(reference, rows):
    report = run(reference, shifted(synthetic(rows, seed=99)))
    assert report["method"] == ("tests" if rows < CFG.small_sample else "distances")
    assert drifted(report) == {"tenure", "contract"}
    assert report["columns_drifted"] == 2 and report["share"] == pytest.approx(2 / 6)


@pytest.mark.parametrize("rows", [500, 2000])
def test_resamples_of_the_reference_raise_at_most_one_false_alarm(reference, rows):
    reports = [
        run(reference, reference.sample(rows, replace=True, random_state=s)) for s in range(20)
    ]
    assert sum(r["dataset_drift"] for r in reports) <= 1
    assert sum(r["columns_drifted"] > 0 for r in reports) <= 2  # Bonferroni: about alpha


def test_dataset_drift_when_the_share_is_reached(reference):
    cfg = DriftParams(dataset_drift_share=0.3)
    assert run(reference, shifted(synthetic(500, seed=5)), cfg)["dataset_drift"] is True


def test_psi_of_an_unseen_category_is_large_but_finite():
    ref = pd.Series(["a", "b"] * 50)
    result = drift_stats.compare_categorical(ref, pd.Series(["a", "b", "c", "c"] * 25), 1e-4)
    assert 1 < result["psi"] < 10
    assert 0 < result["distance"] <= 1
    assert result["p_value"] < 1e-6


def test_identical_categories_give_zero():
    ref = pd.Series(["a", "b", None] * 20)
    result = drift_stats.compare_categorical(ref, ref.copy(), 1e-4)
    assert result["psi"] == pytest.approx(0) and result["distance"] == pytest.approx(0)
    one = drift_stats.compare_categorical(pd.Series(["a"] * 5), pd.Series(["a"] * 7), 1e-4)
    assert one["p_value"] == 1.0 and one["psi"] == 0.0


def test_constant_numeric_column():
    same = drift_stats.compare_numeric(pd.Series([3.0] * 50), pd.Series([3.0] * 40), 10, 1e-4)
    assert same["psi"] == 0 and same["p_value"] == 1.0 and same["distance"] is None
    moved = drift_stats.compare_numeric(pd.Series([3.0] * 50), pd.Series([3.0, 4.0] * 20), 10, 1e-4)
    assert moved["psi"] > 1 and moved["wasserstein"] == pytest.approx(0.5)


def test_an_all_null_side_counts_as_drift_only_when_one_side():
    ref = pd.Series([1.0, 2.0, 3.0])
    result = drift_stats.compare_numeric(ref, pd.Series([np.nan] * 3), 10, 1e-4)
    assert result["all_null"] == "current" and drift_stats.column_drifted(result, True, 0.05, CFG)


def test_numeric_psi_bins_are_reference_quantiles():
    rng = np.random.default_rng(0)
    ref = rng.normal(size=5000)
    same = drift_stats.compare_numeric(pd.Series(ref), pd.Series(rng.normal(size=5000)), 10, 1e-4)
    moved = drift_stats.compare_numeric(pd.Series(ref), pd.Series(ref + 1), 10, 1e-4)
    assert same["psi"] < 0.02 < 0.2 < moved["psi"]
    assert moved["distance"] == pytest.approx(1, rel=0.05)


def test_the_project_drift_section_builds_and_bad_params_are_rejected():
    root = Path(__file__).resolve().parents[2]
    cfg = build(DriftParams, section(load_params(root / "params.yaml"), "drift"), "drift")
    assert cfg.small_sample > 0 and cfg.psi_threshold == 0.2
    with pytest.raises(LockstepError, match="unknown key 'psi_treshold'"):
        build(DriftParams, {"psi_treshold": 0.3}, "drift")
    with pytest.raises(LockstepError, match="alpha"):
        DriftParams(alpha=2.0)


def test_missing_and_non_numeric_columns_are_named(reference):
    with pytest.raises(LockstepError, match="tenure"):
        conform(reference.drop(columns=["tenure"]), DATA, "current", "batch.csv")
    bad = reference.head(3).astype({"tenure": object})
    bad.loc[bad.index[0], "tenure"] = "twelve"
    with pytest.raises(LockstepError, match="'twelve'"):
        conform(bad, DATA, "current", "batch.csv")


# --- the command -------------------------------------------------------------------------------


@pytest.fixture
def files(tmp_path: Path, reference: pd.DataFrame) -> Path:
    write_params(tmp_path / "params.yaml", params(drift={"dataset_drift_share": 0.3}))
    reference.to_parquet(tmp_path / "ref.parquet", index=False)
    synthetic(500, seed=7).to_csv(tmp_path / "same.csv", index=False)
    shifted(synthetic(500, seed=8)).to_parquet(tmp_path / "shift.parquet", index=False)
    return tmp_path


def invoke(folder: Path, *args: str):
    base = ["--reference", str(folder / "ref.parquet"), "--params", str(folder / "params.yaml")]
    return cli.invoke("drift", [*base, "--output", str(folder / "drift.json"), *args])


def test_cli_is_deterministic_and_fails_on_drift(files):
    first = invoke(files, "--current", str(files / "shift.parquet"), "--fail-on-drift")
    assert first.exit_code == 1, first.output
    assert "tenure" in first.output and "dataset drift: yes" in first.output
    written = (files / "drift.json").read_bytes()
    second = invoke(files, "--current", str(files / "shift.parquet"))
    assert second.exit_code == 0, second.output
    assert (files / "drift.json").read_bytes() == written
    report = json.loads(written)
    assert report["dataset_drift"] is True and report["columns_drifted"] == 2
    assert report["score_drift"] is None
    assert set(report["columns"]["contract"]) >= {"kind", "test", "statistic", "p_value", "psi"}


def test_cli_passes_a_batch_like_the_reference(files):
    result = invoke(files, "--current", str(files / "same.csv"), "--fail-on-drift")
    assert result.exit_code == 0, result.output
    assert json.loads((files / "drift.json").read_text())["columns_drifted"] == 0


def test_cli_score_drift_with_a_model_and_from_a_prediction_log(files, reference):
    from sklearn.linear_model import LogisticRegression

    model = make_pipeline(DATA, DERIVED, LogisticRegression(max_iter=500))
    model.fit(reference, reference["churn"].eq(YES).astype(int))
    (files / "model.skops").write_bytes(dumps_model(model))
    cur = shifted(synthetic(500, seed=8))
    result = invoke(
        files, "--current", str(files / "shift.parquet"), "--model", str(files / "model.skops")
    )
    assert json.loads((files / "drift.json").read_text())["score_drift"] is True, result.output
    with open(files / "log.jsonl", "w", encoding="utf-8") as log:
        for (_, row), score in zip(cur.iterrows(), model.predict_proba(cur)[:, 1], strict=True):
            features = {k: (None if pd.isna(v) else v) for k, v in row.items() if k != "churn"}
            record = {"id": row["customer_id"], "features": features, "score": float(score)}
            log.write(json.dumps(record, default=str) + "\n")
        log.write("not a record\n" + json.dumps(record, default=str)[:40])  # garbage, torn end
    logged = invoke(
        files, "--current", str(files / "log.jsonl"), "--model", str(files / "model.skops")
    )
    assert logged.exit_code == 0, logged.output
    report = json.loads((files / "drift.json").read_text())
    assert report["score_drift"] is True and report["rows_current"] == 500
    assert report["skipped_lines"] == 2 and "skipped 2 line(s)" in logged.output


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "does not exist"),
        ("empty.csv", "tenure,contract\n", "has no rows"),
        ("cols.csv", "tenure,contract\n1,One year\n", "lacks the contract's feature column"),
        ("bad.jsonl", "{not json\n", "has no rows"),
        ("batch.txt", "x\n", "use .parquet, .csv or .jsonl"),
    ],
)
def test_cli_bad_inputs_give_clear_errors(files, name, content, message):
    if content is not None:
        (files / name).write_text(content, encoding="utf-8")
    result = invoke(files, "--current", str(files / name))
    assert result.exit_code == 1
    assert message in result.output
    assert not (files / "drift.json").exists()
