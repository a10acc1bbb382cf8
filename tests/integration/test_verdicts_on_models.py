"""Verdicts on real models of the bundled data: noise reads indistinguishable, harm reads worse.

The models are fitted in-process from the composed project config (the test sets the model it
needs in its own copy), on the bundled Telco rows, and compared on the held-out rows exactly as
`lockstep report` and `lockstep gate` compare two revisions' scored rows.
"""

from __future__ import annotations

import functools

import pytest
import yaml

from lockstep.compose import compose
from lockstep.config import build
from lockstep.contract.dataconfig import DataConfig
from lockstep.metric_rules import directions
from lockstep.models import make_estimator, make_pipeline
from lockstep.review import gate, gate_modes
from lockstep.significance import Scores, Settings, compare_all
from lockstep.stages.ingest import ingest
from lockstep.stages.split import SplitParams, split
from lockstep.stages.train import labels
from tests.conftest import ROOT

pytestmark = pytest.mark.slow


@functools.cache
def config(*overrides: str) -> dict:
    return yaml.safe_load(compose(ROOT / "conf", ("model=logistic_regression", *overrides)))


@functools.cache
def rows() -> tuple:
    params = config()
    data = build(DataConfig, params["data"], "data")
    frame = ingest(data)
    train, test = split(frame, data.target, build(SplitParams, params["split"], "split"))
    return data, train, test


def scored(*overrides: str) -> Scores:
    """Fit the composed model on the training rows; the scored test rows."""
    params = config(*overrides)
    data, train, test = rows()
    derived = params["featurize"]["derived"]
    model = make_pipeline(data, derived, make_estimator(params["model"], params["train"]["seed"]))
    model.fit(train.drop(columns=[data.target]), labels(train, data))
    proba = model.predict_proba(test.drop(columns=[data.target]))[:, 1]
    return Scores(test[data.id_column].astype(str).to_numpy(), labels(test, data), proba)


def compared(base: Scores, head: Scores) -> dict:
    params = config()
    return compare_all(base, head, directions(params), Settings(samples=300, seed=1))


def test_another_cv_seed_reads_indistinguishable_and_passes_every_gate_mode() -> None:
    params = config()
    base, head = scored(), scored(f"train.seed={params['train']['seed'] + 1}")
    results = compared(base, head)
    ways = directions(params)
    assert {gate_modes.gains(ways[m], c) == (0.0, 0.0) for m, c in results.items()} == {True}
    tols = gate.tolerances(params)
    metrics = {m: c.base for m, c in results.items()}
    checks = gate.check(metrics, {m: c.head for m, c in results.items()}, ways, tols)
    for mode in ("significance", "non_inferiority"):
        assert not any(c.failed for c in gate_modes.restate(checks, ways, tols, mode, results))
    assert not any(c.failed for c in checks)


def test_balanced_class_weights_read_worse_on_log_loss() -> None:
    results = compared(scored(), scored("model.class_weight=balanced"))
    loss = results["log_loss"]
    assert loss.paired and loss.low > 0  # the interval of the increase excludes 0
    judged = gate_modes.judge("significance", "lower", loss, 0.0)
    assert judged[0] and "worse" in judged[1]
