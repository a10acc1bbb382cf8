"""Bring your own data: a second, unrelated dataset is one YAML file and one CSV, no code."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import run, stages_run

pytestmark = pytest.mark.slow

# The required keys (no rename, pseudonymize, derived_features...) plus a slice for the model card.
LOANS_YAML = """\
name: loans
source:
  kind: file
  path: data/source/loans.csv
id_column: loan_id
target: defaulted
positive_class: 1
columns:
  loan_id: {dtype: int, unique: true}
  defaulted: {dtype: int, allowed: [0, 1]}
  amount: {dtype: float, min: 0}
  income: {dtype: float, min: 0, nullable: true}
  term_months: {dtype: int, min: 6, max: 360}
  purpose: {dtype: str, allowed: [car, home, education, other]}
  has_cosigner: {dtype: bool}
slice_columns: [purpose]
"""


def loans(rows: int = 400, seed: int = 0) -> pd.DataFrame:
    """Synthetic loans whose default risk depends on amount/income, term and purpose."""
    rng = np.random.default_rng(seed)
    income = rng.lognormal(10.8, 0.4, rows).round(2)
    amount = (income * rng.uniform(0.05, 0.9, rows)).round(2)
    term = rng.choice([12, 24, 36, 60, 120], rows)
    purpose = rng.choice(["car", "home", "education", "other"], rows)
    cosigner = rng.random(rows) < 0.3
    logit = (
        -1.0
        + 4.0 * (amount / income - 0.45)
        + 0.01 * (term - 36)
        + np.select([purpose == "education", purpose == "home"], [0.8, -0.6], 0.0)
        - 0.7 * cosigner
    )
    defaulted = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    income = np.where(rng.random(rows) < 0.05, np.nan, income)  # a few unknown incomes
    return pd.DataFrame(
        {
            "loan_id": np.arange(100_001, 100_001 + rows),
            "amount": amount,
            "income": income,
            "term_months": term,
            "purpose": purpose,
            "has_cosigner": cosigner,
            "defaulted": defaulted,
        }
    )


def test_a_new_dataset_runs_with_one_yaml_file(project: Path):
    frame = loans()
    assert 0.2 < frame["defaulted"].mean() < 0.8
    frame.to_csv(project / "data/source/loans.csv", index=False)
    (project / "conf/data/loans.yaml").write_text(LOANS_YAML)

    proc = run(["dvc", "exp", "run", "-S", "data=loans"], project)

    assert {"ingest", "validate", "split", "featurize", "train", "evaluate"} <= set(
        stages_run(proc.stdout)
    )
    assert (project / "data/raw/loans.parquet").exists()
    ingest = json.loads((project / "reports/ingest.json").read_text())
    assert ingest["name"] == "loans"
    assert ingest["rows"] == len(frame)
    metrics = json.loads((project / "reports/metrics.json").read_text())
    assert metrics["rows"] == 80
    assert metrics["roc_auc"] > 0.65
    importance = json.loads((project / "reports/plots/feature_importance.json").read_text())
    assert {row["feature"] for row in importance} == {
        "amount",
        "income",
        "term_months",
        "purpose",
        "has_cosigner",
    }
    assert "### By `purpose`" in (project / "reports/model_card.md").read_text()
