"""Every pipeline command through click's CliRunner, in a temporary project folder."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pandas as pd
import pytest
import sqlalchemy
import yaml
from click.testing import CliRunner

from lockstep.cli import COMMANDS, main
from lockstep.compose import compose
from lockstep.contract.pseudonym import pseudonymize
from lockstep.errors import LockstepError
from lockstep.io import sha256_file
from lockstep.modelfile import load_model
from lockstep.registry.policy import Refused
from tests.conftest import ROOT, run
from tests.helpers.tiny import DERIVED, data_dict, params, raw_frame, write_params

KEY_ENV = "LOCKSTEP_TEST_PSEUDONYM_KEY"
STAGES = ("ingest", "validate", "split", "featurize", "train", "evaluate")
OUTPUTS = (
    "data/raw/tiny.parquet",
    "reports/ingest.json",
    "data/validated.parquet",
    "reports/validation.json",
    "reports/column_types.json",
    "data/split/train.parquet",
    "data/split/test.parquet",
    "data/features/train.parquet",
    "data/features/test.parquet",
    "models/model.skops",
    "reports/cv.json",
    "reports/metrics.json",
    "reports/confusion_counts.json",
    "reports/feature_effects.json",
    "data/scores/test.parquet",
    "reports/plots/roc.json",
    "reports/plots/precision_recall.json",
    "reports/plots/confusion_matrix.json",
    "reports/plots/calibration.json",
    "reports/plots/feature_importance.json",
)


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def setup_project(folder: Path, **sections) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_params(folder / "params.yaml", params(**sections))
    raw_frame().to_csv(folder / "source.csv", index=False)
    return folder


def run_pipeline(folder: Path) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        mp.delenv(KEY_ENV, raising=False)
        for stage in STAGES:
            result = invoke(stage)
            assert result.exit_code == 0, f"{stage}: {result.output}"


@pytest.fixture(scope="module")
def done(tmp_path_factory) -> Path:
    """A temporary project after running every stage once."""
    folder = setup_project(tmp_path_factory.mktemp("pipeline") / "project")
    run_pipeline(folder)
    return folder


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(KEY_ENV, raising=False)
    return setup_project(tmp_path)


def copy_outputs(source: Path, dest: Path, *paths: str) -> None:
    for rel in paths:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / rel, dest / rel)


def test_help_lists_every_command():
    result = invoke("--help")
    assert result.exit_code == 0
    for name in COMMANDS:
        assert f"  {name} " in result.output
    assert result.output.index("ingest") < result.output.index("evaluate")
    assert invoke("-h").output == result.output


def test_version_and_unknown_command():
    assert invoke("--version").output.strip() == "lockstep, version 0.1.0"
    result = invoke("fly")
    assert result.exit_code == 2
    assert "No such command 'fly'" in result.output


def test_help_imports_no_heavy_library():
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from lockstep.cli import main\n"
        "assert CliRunner().invoke(main, ['--help']).exit_code == 0\n"
        "print(sorted(m for m in ('pandas', 'sklearn', 'hydra', 'pandera') if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


def test_console_script_runs(tmp_path):
    proc = run(["lockstep", "--help"], tmp_path)
    assert all(name in proc.stdout for name in STAGES)


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_has_help(stage):
    result = invoke(stage, "--help")
    assert result.exit_code == 0
    assert "--params" in result.output


def test_pipeline_writes_every_output(done):
    missing = [rel for rel in OUTPUTS if not (done / rel).exists()]
    assert missing == []


def test_pipeline_outputs_are_byte_identical_on_a_second_run(done, tmp_path):
    again = setup_project(tmp_path / "again")
    run_pipeline(again)
    changed = [rel for rel in OUTPUTS if sha256_file(done / rel) != sha256_file(again / rel)]
    assert changed == []


def test_ingest_pseudonymizes_and_records_metadata(done):
    raw = pd.read_parquet(done / "data/raw/tiny.parquet")
    expected = pseudonymize(raw_frame(), ("customer_id",), b"tiny-test-key")
    assert raw["customer_id"].tolist() == expected["customer_id"].tolist()
    assert not set(raw["customer_id"]) & set(raw_frame()["customer_id"])
    meta = json.loads((done / "reports/ingest.json").read_text())
    assert meta["rows"] == 20
    assert meta["columns"] == list(raw_frame().columns)
    assert meta["source"] == {"kind": "file", "path": "source.csv", "encoding": "utf-8", "sep": ","}
    assert len(meta["content_hash"]) == 64


@pytest.mark.parametrize("kind", ["parquet", "sql"])
def test_ingest_reads_parquet_and_sql_sources(project, kind):
    if kind == "parquet":
        raw_frame().to_parquet(project / "source.parquet", index=False)
        source = {"kind": "file", "path": "source.parquet"}
    else:
        engine = sqlalchemy.create_engine("sqlite:///source.db")
        try:
            raw_frame().to_sql("customers", engine, index=False)
        finally:
            engine.dispose()
        source = {"kind": "sql", "url": "sqlite:///source.db", "query": "SELECT * FROM customers"}
    write_params(project / "params.yaml", params(data=data_dict(source=source)))
    result = invoke("ingest")
    assert result.exit_code == 0, result.output
    raw = pd.read_parquet(project / "data/raw/tiny.parquet")
    assert list(raw.columns) == list(raw_frame().columns)
    assert raw["tenure"].tolist() == raw_frame()["tenure"].tolist()
    meta = json.loads((project / "reports/ingest.json").read_text())
    assert meta["source"]["kind"] == source["kind"]


def test_ingest_with_a_key_from_the_environment_gives_other_ids(project, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "another-key")
    assert invoke("ingest").exit_code == 0
    raw = pd.read_parquet(project / "data/raw/tiny.parquet")
    expected = pseudonymize(raw_frame(), ("customer_id",), b"another-key")
    assert raw["customer_id"].tolist() == expected["customer_id"].tolist()


def test_ingest_of_a_missing_source_fails_and_writes_nothing(project):
    (project / "source.csv").unlink()
    result = invoke("ingest")
    assert result.exit_code == 1
    assert "source.csv does not exist" in result.output
    assert not (project / "data").exists()
    assert not (project / "reports").exists()


def test_ingest_rejects_an_unknown_data_key(project):
    write_params(project / "params.yaml", params(data=data_dict(target_column="churn")))
    result = invoke("ingest")
    assert result.exit_code == 1
    assert "data: unknown key 'target_column'" in result.output


def test_validate_passes_the_ingested_rows(done):
    report = json.loads((done / "reports/validation.json").read_text())
    assert report["passed"] is True
    assert report["rows_checked"] == 20


def test_validate_fails_on_bad_rows_without_writing_validated_output(project):
    frame = raw_frame()
    frame.loc[5, "online_security"] = "Maybe"
    frame.to_csv(project / "source.csv", index=False)
    assert invoke("ingest").exit_code == 0
    result = invoke("validate")
    assert result.exit_code == 1
    assert "online_security" in result.stderr
    assert "isin(['No', 'Yes'])" in result.stderr
    assert not (project / "data/validated.parquet").exists()


def test_split_is_stratified(done):
    train = pd.read_parquet(done / "data/split/train.parquet")
    test = pd.read_parquet(done / "data/split/test.parquet")
    assert (len(train), len(test)) == (15, 5)
    assert (train["churn"] == "Yes").sum() == 6
    assert (test["churn"] == "Yes").sum() == 2


def test_split_of_a_single_class_fails_and_writes_nothing(project):
    frame = raw_frame().assign(churn="No")
    (project / "data").mkdir()
    frame.to_parquet(project / "data/validated.parquet", index=False)
    result = invoke("split")
    assert result.exit_code == 1
    assert "cannot stratify on 'churn'" in result.output
    assert not (project / "data/split").exists()


def test_featurize_adds_the_derived_columns(done):
    for part in ("train", "test"):
        split = pd.read_parquet(done / f"data/split/{part}.parquet")
        features = pd.read_parquet(done / f"data/features/{part}.parquet")
        assert list(features.columns) == [*split.columns, *(s["name"] for s in DERIVED)]
        assert len(features) == len(split)


def test_featurize_rejects_a_spec_with_an_unknown_column(project, done):
    copy_outputs(done, project, "data/split/train.parquet", "data/split/test.parquet")
    bad = [{"name": "r", "kind": "ratio", "numerator": "total", "denominator": "tenure"}]
    write_params(project / "params.yaml", params(featurize={"derived": bad}))
    result = invoke("featurize")
    assert result.exit_code == 1
    assert "featurize.derived[0] (r): column 'total' is not in the data" in result.output
    assert not (project / "data/features").exists()


def test_train_saves_a_loadable_model_and_cv_metrics(done):
    cv = json.loads((done / "reports/cv.json").read_text())
    assert set(cv["cv"]) == {"roc_auc", "log_loss"}
    assert cv["folds"] == 3
    assert cv["rows"] == 15
    test = pd.read_parquet(done / "data/features/test.parquet")
    proba = load_model(str(done / "models/model.skops")).predict_proba(test.drop(columns=["churn"]))
    assert proba.shape == (5, 2)


def test_train_with_an_unknown_model_param_fails_and_writes_no_model(project, done):
    copy_outputs(done, project, "data/features/train.parquet", "reports/column_types.json")
    write_params(project / "params.yaml", params(model={"family": "random_forest", "depth": 3}))
    result = invoke("train")
    assert result.exit_code == 1
    assert "model.depth: RandomForestClassifier has no parameter 'depth'" in result.output
    assert not (project / "models").exists()


def test_train_without_the_column_types_says_which_stage_writes_them(project, done):
    copy_outputs(done, project, "data/features/train.parquet")
    result = invoke("train")
    assert result.exit_code == 1
    assert "reports/column_types.json not found: stage validate writes it" in result.output
    assert "dvc repro validate" in result.output
    assert not (project / "models").exists()


def test_train_switches_family_from_params(project, done):
    copy_outputs(done, project, "data/features/train.parquet", "reports/column_types.json")
    model = {"family": "hist_gradient_boosting", "max_iter": 5, "min_samples_leaf": 2}
    write_params(project / "params.yaml", params(model=model))
    result = invoke("train")
    assert result.exit_code == 0, result.output
    saved = load_model(str(project / "models/model.skops"))
    assert type(saved[-1]).__name__ == "HistGradientBoostingClassifier"


def test_evaluate_writes_metrics_and_plots(done):
    metrics = json.loads((done / "reports/metrics.json").read_text())
    assert metrics["rows"] == 5
    assert metrics["threshold"] == 0.5
    for name in ("roc_auc", "pr_auc", "accuracy", "precision", "recall", "f1", "brier"):
        assert 0 <= metrics[name] <= 1
    assert metrics["log_loss"] > 0
    confusion = json.loads((done / "reports/plots/confusion_matrix.json").read_text())
    assert len(confusion) == 5
    assert {row["actual"] for row in confusion} == {"No", "Yes"}
    counts = json.loads((done / "reports/confusion_counts.json").read_text())
    assert sum(row["count"] for row in counts) == len(confusion)
    importance = json.loads((done / "reports/plots/feature_importance.json").read_text())
    features = {row["feature"] for row in importance}
    assert "customer_id" not in features
    assert {"tenure", "tenure_band", "addon_count"} <= features
    scored = pd.read_parquet(done / "data/scores/test.parquet")
    test = pd.read_parquet(done / "data/features/test.parquet")
    assert list(scored["id"]) == list(test["customer_id"])  # the pseudonymized ids
    assert list(scored["label"]) == list((test["churn"] == "Yes").astype(int))
    assert scored["probability"].between(0, 1).all()


def test_evaluate_without_a_model_fails_and_writes_nothing(project, done):
    copy_outputs(done, project, "data/features/test.parquet")
    result = invoke("evaluate")
    assert result.exit_code == 1
    assert "models/model.skops not found" in result.output
    assert not (project / "reports").exists()
    assert not (project / "data/scores").exists()


def test_params_command_composes_the_project_conf(project):
    shutil.copytree(ROOT / "conf", project / "conf")
    result = invoke("params", "model=random_forest")
    assert result.exit_code == 0, result.output
    written = yaml.safe_load((project / "params.yaml").read_text())
    assert written["model"]["family"] == "random_forest"
    assert invoke("params", "--check", "model=random_forest").exit_code == 0
    stale = invoke("params", "--check")
    assert stale.exit_code == 1
    assert "-  family: random_forest" in stale.stderr
    assert "+  family: logistic_regression" in stale.stderr
    assert (project / "params.yaml").read_text() == compose(
        project / "conf", ("model=random_forest",)
    )


def test_an_unexpected_error_is_one_line_unless_debugging(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text(
        yaml.safe_dump({"data": {"target": "y"}, "split": {"test_size": 0.5, "seed": 0}})
    )
    (tmp_path / "data").mkdir()
    pd.DataFrame({"y": [0, 1, 0, 1]}).to_parquet(tmp_path / "data/validated.parquet")
    monkeypatch.setattr(
        "lockstep.stages.split.train_test_split",
        lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")),
    )
    monkeypatch.delenv("LOCKSTEP_DEBUG", raising=False)
    result = CliRunner().invoke(main, ["split"])
    assert result.exit_code == 1
    assert "RuntimeError: boom" in result.output
    assert "LOCKSTEP_DEBUG=1" in result.output
    monkeypatch.setenv("LOCKSTEP_DEBUG", "1")
    result = CliRunner().invoke(main, ["split"])
    assert isinstance(result.exception, RuntimeError)


def test_the_params_option_is_found_where_click_would_find_it():
    from lockstep.cli import params_option

    assert params_option(["--input", "x", "--params", "p.yaml"]) == "p.yaml"
    assert params_option(["--params=q.yaml"]) == "q.yaml"
    assert params_option(["--input", "x"]) == "params.yaml"


@click.command("refuse")
@click.option("--code", default=1, type=int)
def refuse(code: int) -> None:
    """Raise the project's error the way a command does (a test double)."""
    error = Refused("judged and not promoted") if code == 3 else LockstepError("bad input here")
    raise error


def test_a_lockstep_error_becomes_clicks_error_line_and_exit_status(monkeypatch):
    monkeypatch.setitem(COMMANDS, "refuse", ("tests.test_cli:refuse", "A test double."))
    plain = invoke("refuse")
    assert (plain.exit_code, plain.output) == (1, "Error: bad input here\n")
    refused = invoke("refuse", "--code", "3")
    assert (refused.exit_code, refused.output) == (3, "Error: judged and not promoted\n")
    assert not issubclass(LockstepError, click.ClickException)  # features.py needs no click


def test_a_failed_stage_says_how_to_get_the_committed_outputs_back(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text("x: 1\n")
    failed = CliRunner().invoke(main, ["split"])
    assert failed.exit_code == 1
    assert "has no 'split' section" in failed.output
    assert "`git checkout -- code/ reports/` and `dvc checkout`" in failed.output
    code = CliRunner().invoke(main, ["code"])  # DVC deletes code/*.sha256 before it runs
    assert code.exit_code == 1 and "`git checkout -- code/ reports/`" in code.output
    other = CliRunner().invoke(main, ["params", "--check"])  # not a stage with outputs
    assert other.exit_code == 1
    assert "dvc checkout" not in other.output
