"""lockstep.modelfile: safe, byte-stable model files (skops archives, an explicit trust list)."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import MinMaxScaler

from lockstep.errors import LockstepError
from lockstep.modelfile import TRUSTED_TYPES, dumps_model, load_model, loads_model, skops_io
from tests.helpers.models import SMALL, fitted


class Shout(TransformerMixin, BaseEstimator):
    """A harmless transformer that lockstep has not declared trusted."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X


@pytest.mark.parametrize("family", sorted(SMALL))
def test_dumps_model_is_byte_identical_and_loads_model_round_trips(family):
    model, X = fitted(family)
    first = dumps_model(model)
    assert dumps_model(model) == first
    loaded = loads_model(first)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_refitting_with_the_same_seed_gives_the_same_bytes():
    assert dumps_model(fitted("random_forest", seed=3)[0]) == dumps_model(
        fitted("random_forest", seed=3)[0]
    )


def test_model_file_has_fixed_timestamps_and_sequential_names():
    archive = zipfile.ZipFile(io.BytesIO(dumps_model(fitted("logistic_regression")[0])))
    assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    names = [n for n in archive.namelist() if n != "schema.json"]
    assert names == [f"{i:05d}.npy" for i in range(len(names))]


def test_dumps_model_refuses_a_type_not_trusted():
    model, _ = fitted("logistic_regression")
    model.steps.insert(0, ("shout", Shout()))
    with pytest.raises(LockstepError, match=r"does not trust to load: .*Shout"):
        dumps_model(model)


def test_loads_model_refuses_a_type_not_trusted():
    model, _ = fitted("logistic_regression")
    model.steps.insert(0, ("shout", Shout()))
    data = skops_io().dumps(model)
    with pytest.raises(LockstepError, match=r"fetched\.skops contains untrusted types.*Shout"):
        loads_model(data, where="fetched.skops")


def test_a_scikit_learn_type_no_pipeline_holds_is_not_trusted_either():
    model, _ = fitted("logistic_regression")
    model.steps.insert(0, ("scale", MinMaxScaler()))
    with pytest.raises(LockstepError, match=r"does not trust to load: .*MinMaxScaler"):
        dumps_model(model)
    with pytest.raises(LockstepError, match=r"untrusted types.*MinMaxScaler"):
        loads_model(skops_io().dumps(model))


def test_loading_a_model_does_not_import_every_scikit_learn_module(tmp_path):
    """skops.io's default trust list would import all of scikit-learn (about 1 s per process)."""
    path = tmp_path / "model.skops"
    path.write_bytes(dumps_model(fitted("logistic_regression")[0]))
    script = (
        "import sys, sklearn.utils\n"
        "from lockstep.modelfile import load_model\n"
        "real = sklearn.utils.all_estimators\n"
        f"load_model({str(path)!r})\n"
        "assert sklearn.utils.all_estimators is real, 'all_estimators was not put back'\n"
        "print(sorted(m for m in ('sklearn.neural_network', 'sklearn.gaussian_process')"
        " if m in sys.modules))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_trusted_types_are_only_the_ones_lockstep_needs():
    assert not any(t.startswith(("builtins.", "os.", "subprocess.")) for t in TRUSTED_TYPES)
    assert "lockstep.features.DerivedFeatures" in TRUSTED_TYPES


def test_load_model_reads_a_file_and_names_a_missing_one(tmp_path):
    model, X = fitted("hist_gradient_boosting")
    path = tmp_path / "model.skops"
    path.write_bytes(dumps_model(model))
    np.testing.assert_array_equal(load_model(str(path)).predict(X), model.predict(X))
    with pytest.raises(LockstepError, match=r"model file .*missing\.skops not found"):
        load_model(str(tmp_path / "missing.skops"))
