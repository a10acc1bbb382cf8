"""Every conf/ option composes and builds: each conf/model/* with each conf/data/*.

Like lightning-hydra-template's test_configs: compose the real config with the option, read every
params section into its dataclass, check the derived features against the dataset's columns and
build the estimator and the pipeline (unfitted, so this stays fast).
"""

from __future__ import annotations

import importlib

import pytest
import yaml

from lockstep.compose import compose
from lockstep.config import read_section, threshold
from lockstep.contract.dataconfig import DataConfig
from lockstep.contract.schema import build_schema
from lockstep.features import FeaturizeParams, check_specs
from lockstep.models import FAMILIES, make_estimator, make_pipeline, native_categorical
from lockstep.monitor.drift import DriftParams
from lockstep.registry.policy import Policy
from lockstep.reproduce.verdicts import Tolerances
from lockstep.review.gate import tolerances
from lockstep.stages.evaluate import EvaluateParams
from lockstep.stages.model_card import ModelCardParams
from lockstep.stages.split import SplitParams
from lockstep.stages.train import TrainParams
from tests.conftest import ROOT

CONF = ROOT / "conf"
SECTIONS = (SplitParams, FeaturizeParams, TrainParams, EvaluateParams, ModelCardParams)


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF / group).glob("*.yaml"))


@pytest.mark.parametrize("data", options("data"))
@pytest.mark.parametrize("model", options("model"))
def test_every_model_and_dataset_option_composes_and_builds(model, data):
    params = yaml.safe_load(compose(CONF, (f"model={model}", f"data={data}")))
    data_cfg = read_section(DataConfig, params)
    build_schema(data_cfg)
    for cls in (*SECTIONS, Policy, DriftParams, Tolerances):
        read_section(cls, params)
    derived = list(read_section(FeaturizeParams, params).derived)
    check_specs(derived, list(data_cfg.columns))
    estimator = make_estimator(params["model"], read_section(TrainParams, params).seed)
    module, name = FAMILIES[params["model"]["family"]].split(":")
    assert isinstance(estimator, getattr(importlib.import_module(module), name))
    pipeline = make_pipeline(data_cfg, derived, estimator)
    model = pipeline.steps[-1][1]
    if native_categorical(estimator):  # a copy told which matrix columns are categories
        assert model.get_params() == {
            **estimator.get_params(),
            "categorical_features": model.categorical_features,
        }
    else:
        assert model is estimator
    assert 0 < threshold(params["evaluate"]) < 1
    tolerances(params)


def test_there_is_an_option_of_each_group():
    assert options("model") and options("data")
