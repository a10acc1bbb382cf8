"""lockstep.compose: conf/ composed into params.yaml, and the check that it is current."""

from __future__ import annotations

import shutil

import pytest
import yaml

from lockstep.compose import compose
from lockstep.errors import LockstepError
from tests.conftest import ROOT
from tests.helpers.cli import invoke


@pytest.fixture
def conf(tmp_path):
    dest = tmp_path / "conf"
    shutil.copytree(ROOT / "conf", dest)
    return dest


def test_committed_params_yaml_is_what_conf_composes():
    committed = (ROOT / "params.yaml").read_text(encoding="utf-8")
    assert compose(ROOT / "conf") == committed, "params.yaml is stale: run `lockstep params`"


def test_compose_resolves_interpolations():
    params = yaml.safe_load(compose(ROOT / "conf"))
    assert params["split"]["seed"] == params["seed"]
    assert params["train"]["seed"] == params["seed"]
    assert params["featurize"]["derived"] == params["data"]["derived_features"]
    assert "${" not in compose(ROOT / "conf")


def test_model_override_switches_the_model_section():
    default = yaml.safe_load(compose(ROOT / "conf"))
    forest = yaml.safe_load(compose(ROOT / "conf", ("model=random_forest",)))
    expected = yaml.safe_load((ROOT / "conf/model/random_forest.yaml").read_text())
    assert forest["model"] == expected
    assert forest["model"] != default["model"]
    assert {k: v for k, v in forest.items() if k != "model"} == {
        k: v for k, v in default.items() if k != "model"
    }


def test_value_override_changes_the_value_and_what_interpolates_it():
    params = yaml.safe_load(compose(ROOT / "conf", ("seed=7", "model.C=0.5")))
    assert params["seed"] == params["split"]["seed"] == params["evaluate"]["seed"] == 7
    assert params["model"]["C"] == 0.5


def test_unknown_group_option_is_a_clear_error():
    with pytest.raises(LockstepError, match=r"cannot compose .*conf.*no_such_model"):
        compose(ROOT / "conf", ("model=no_such_model",))


def test_missing_config_dir_is_a_clear_error(tmp_path):
    with pytest.raises(LockstepError, match=r"config\.yaml not found: run from the project root"):
        compose(tmp_path / "nowhere")


def test_broken_interpolation_is_a_clear_error(conf):
    text = (conf / "config.yaml").read_text(encoding="utf-8")
    (conf / "config.yaml").write_text(text.replace("${seed}", "${sede}", 1), encoding="utf-8")
    with pytest.raises(LockstepError, match=r"cannot compose .*sede"):
        compose(conf)


def test_broken_yaml_is_a_clear_error(conf):
    (conf / "model" / "logistic_regression.yaml").write_text("C: [1.0\n", encoding="utf-8")
    with pytest.raises(LockstepError, match=r"cannot compose"):
        compose(conf)


def test_params_writes_the_composed_file(tmp_path, conf):
    out = tmp_path / "params.yaml"
    result = invoke(
        "params", ["--config-dir", str(conf), "--output", str(out), "model=hist_gradient_boosting"]
    )
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == compose(conf, ("model=hist_gradient_boosting",))
    assert yaml.safe_load(out.read_text())["model"]["family"] == "hist_gradient_boosting"


def test_params_check_passes_when_current(tmp_path, conf):
    out = tmp_path / "params.yaml"
    out.write_text(compose(conf), encoding="utf-8")
    result = invoke("params", ["--check", "--config-dir", str(conf), "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "matches" in result.output


def test_params_check_fails_with_a_diff_when_stale(tmp_path, conf):
    out = tmp_path / "params.yaml"
    current = compose(conf)
    out.write_text(current.replace("test_size: 0.2", "test_size: 0.3"), encoding="utf-8")
    before = out.read_bytes()
    result = invoke("params", ["--check", "--config-dir", str(conf), "--output", str(out)])
    assert result.exit_code == 1
    assert "-  test_size: 0.3" in result.stderr
    assert "+  test_size: 0.2" in result.stderr
    assert "out of date" in result.stderr
    assert out.read_bytes() == before


def test_params_check_fails_when_the_file_is_missing(tmp_path, conf):
    out = tmp_path / "params.yaml"
    result = invoke("params", ["--check", "--config-dir", str(conf), "--output", str(out)])
    assert result.exit_code == 1
    assert "+seed: 42" in result.stderr
    assert not out.exists()


def test_print_shows_the_composition_and_writes_nothing(tmp_path):
    out = tmp_path / "params.yaml"
    result = invoke(
        "params",
        [
            "--print",
            "--config-dir",
            str(ROOT / "conf"),
            "--output",
            str(out),
            "model=random_forest",
        ],
    )
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.output)["model"]["family"] == "random_forest"
    assert not out.exists()
