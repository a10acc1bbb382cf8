"""A 20-row churn-like dataset and its config, shared by the unit, CLI and model tests."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from lockstep.config import build
from lockstep.contract.dataconfig import DataConfig

DERIVED = [
    {"name": "tenure_band", "kind": "bucket", "column": "tenure", "edges": [0, 12, 36, 120]},
    {
        "name": "charges_per_month",
        "kind": "ratio",
        "numerator": "total_charges",
        "denominator": "tenure",
    },
    {
        "name": "addon_count",
        "kind": "count_equal",
        "value": "Yes",
        "columns": ["online_security", "tech_support"],
    },
]

DATA = {
    "name": "tiny",
    "source": {"kind": "file", "path": "source.csv"},
    "target": "churn",
    "positive_class": "Yes",
    "id_column": "customer_id",
    "pseudonymize": {
        "columns": ["customer_id"],
        "key_env": "LOCKSTEP_TEST_PSEUDONYM_KEY",
        "default_key": "tiny-test-key",
    },
    "extra_columns": "fail",
    "columns": {
        "customer_id": {"dtype": "str", "unique": True},
        "churn": {"dtype": "str", "allowed": ["No", "Yes"]},
        "tenure": {"dtype": "int", "min": 0, "max": 120},
        "monthly_charges": {"dtype": "float", "min": 0, "max": 500},
        "total_charges": {"dtype": "float", "min": 0, "max": 50000, "nullable": True},
        "contract": {"dtype": "str", "allowed": ["Month-to-month", "One year", "Two year"]},
        "online_security": {"dtype": "str", "allowed": ["No", "Yes"]},
        "tech_support": {"dtype": "str", "allowed": ["No", "Yes"]},
    },
    "derived_features": DERIVED,
    "exclude_features": [],
}

YES, NO = "Yes", "No"
M2M, ONE, TWO = "Month-to-month", "One year", "Two year"
COLUMNS = (
    "customer_id",
    "churn",
    "tenure",
    "monthly_charges",
    "total_charges",
    "contract",
    "online_security",
    "tech_support",
)
ROWS = [
    ("c01", YES, 0, 70.5, None, M2M, NO, NO),
    ("c02", YES, 1, 80.0, 80.0, M2M, NO, NO),
    ("c03", YES, 2, 95.25, 190.5, M2M, NO, YES),
    ("c04", YES, 3, 60.0, 180.0, M2M, YES, NO),
    ("c05", NO, 5, 25.0, 125.0, ONE, YES, YES),
    ("c06", YES, 6, 99.9, 599.4, M2M, NO, NO),
    ("c07", NO, 8, 45.0, 360.0, ONE, YES, NO),
    ("c08", YES, 10, 85.5, 855.0, M2M, NO, NO),
    ("c09", NO, 14, 30.0, 420.0, TWO, YES, YES),
    ("c10", NO, 18, 55.0, 990.0, ONE, NO, YES),
    ("c11", NO, 20, 20.0, 400.0, TWO, YES, YES),
    ("c12", YES, 24, 90.0, 2160.0, M2M, NO, NO),
    ("c13", NO, 30, 35.5, 1065.0, ONE, YES, NO),
    ("c14", NO, 36, 50.0, 1800.0, TWO, YES, YES),
    ("c15", YES, 40, 105.0, 4200.0, M2M, NO, NO),
    ("c16", NO, 48, 65.0, 3120.0, TWO, YES, YES),
    ("c17", NO, 55, 40.0, 2200.0, ONE, NO, YES),
    ("c18", NO, 60, 75.0, 4500.0, TWO, YES, YES),
    ("c19", NO, 66, 19.9, 1313.4, TWO, YES, NO),
    ("c20", NO, 72, 110.0, 7920.0, ONE, YES, YES),
]


def data_dict(**changes: Any) -> dict[str, Any]:
    """A deep copy of ``DATA`` with top-level keys replaced."""
    data = copy.deepcopy(DATA)
    data.update(copy.deepcopy(changes))
    return data


def data_config(**changes: Any) -> DataConfig:
    return build(DataConfig, data_dict(**changes), "data")


def raw_frame(rows: int = 20) -> pd.DataFrame:
    """The raw rows with the dtypes a Parquet round-trip gives."""
    frame = pd.DataFrame(ROWS[:rows], columns=list(COLUMNS))
    return frame.astype(
        {"tenure": "int64", "monthly_charges": "float64", "total_charges": "float64"}
    )


def params(**sections: Any) -> dict[str, Any]:
    """A complete, small params.yaml mapping; keyword arguments replace whole sections."""
    out: dict[str, Any] = {
        "data": data_dict(),
        "split": {"test_size": 0.25, "seed": 7},
        "featurize": {"derived": copy.deepcopy(DERIVED)},
        "model": {"family": "logistic_regression", "C": 1.0, "max_iter": 500},
        "train": {"seed": 7, "cv_folds": 3, "cv_metrics": ["roc_auc", "neg_log_loss"]},
        "evaluate": {
            "seed": 7,
            "threshold": 0.5,
            "calibration_bins": 2,
            "importance_repeats": 2,
            "importance_metric": "roc_auc",
        },
        "metrics": {"roc_auc": "higher", "log_loss": "lower"},
    }
    out.update(copy.deepcopy(sections))
    return out


def write_params(path: Path, mapping: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(mapping, sort_keys=False), encoding="utf-8")
    return path
