"""Where the project keeps things, relative to its root: one name per path.

The pipeline's paths here are also written in dvc.yaml (DVC reads that file, not this one);
a test checks the two agree.
"""

from __future__ import annotations

CONF_DIR = "conf"
SOURCE_DIR = "src"  # the lockstep package is src/lockstep/
CODE_DIR = "code"  # code/<stage>.sha256: the modules each stage runs (`lockstep code`)
PARAMS_FILE = "params.yaml"
LOCK_FILE = "requirements.lock"
PYPROJECT_FILE = "pyproject.toml"

VALIDATED_DATA = "data/validated.parquet"
SPLIT_DIR = "data/split"
FEATURES_DIR = "data/features"
TRAIN_FEATURES = f"{FEATURES_DIR}/train.parquet"
TEST_FEATURES = f"{FEATURES_DIR}/test.parquet"
MODEL_FILE = "models/model.skops"
SCORES_FILE = "data/scores/test.parquet"  # evaluate: id, label, probability of each test row

INGEST_FILE = "reports/ingest.json"
VALIDATION_FILE = "reports/validation.json"
COLUMN_TYPES_FILE = "reports/column_types.json"  # validate: data.columns' types, for later stages
CV_FILE = "reports/cv.json"
METRICS_FILE = "reports/metrics.json"
PLOTS_DIR = "reports/plots"
CONFUSION_COUNTS = "reports/confusion_counts.json"
EFFECTS_FILE = "reports/feature_effects.json"  # evaluate: signed effects, for the model card
PLOT_FILES = (f"{PLOTS_DIR}/roc.json", f"{PLOTS_DIR}/precision_recall.json")
FAIRNESS_FILE = "reports/fairness.json"
MODEL_CARD = "reports/model_card.md"
DRIFT_FILE = "reports/drift.json"
PREDICTIONS_DIR = "logs/predictions"  # git-ignored: pseudonymized ids and full feature rows
TRAIN_SPLIT = f"{SPLIT_DIR}/train.parquet"
MONITORING_FILE = "reports/monitoring.json"
MONITORING_PLOTS = (f"{PLOTS_DIR}/monitoring/performance.json",
                    f"{PLOTS_DIR}/monitoring/calibration.json")  # fmt: skip
TUNING_REPORT = "reports/tuning.json"
TUNE_JOURNALS = ".lockstep/tune"  # Optuna journals of `lockstep tune` (git-ignored)


def raw_data(name: str) -> str:
    """The ingest stage's output for dataset ``name`` (``data/raw/${data.name}.parquet``)."""
    return f"data/raw/{name}.parquet"
