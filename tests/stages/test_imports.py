"""Each stage imports only the libraries it uses (start-up is most of a small stage's time)."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Import the stages one after another in a fresh interpreter; after each, list which of the
# heavy libraries are loaded so far.
CODE = """
import importlib, sys
heavy = ("sklearn", "pandera", "scipy", "skops", "fairlearn")
for stage in ("featurize", "ingest", "fairness", "model_card", "split", "train", "evaluate",
              "validate"):
    importlib.import_module("lockstep.stages." + stage)
    print(stage, sorted(m for m in heavy if m in sys.modules))
"""


@pytest.mark.slow
def test_only_validate_loads_pandera_and_only_the_model_stages_load_scikit_learn():
    proc = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True)
    loaded = dict(line.split(" ", 1) for line in proc.stdout.strip().splitlines())
    assert loaded["featurize"] == "[]"
    assert loaded["ingest"] == "[]"
    assert loaded["fairness"] == "[]"  # scores from evaluate's file: no model, no fairlearn
    assert loaded["model_card"] == "[]"
    assert loaded["evaluate"] == "['scipy', 'sklearn']"  # skops loads with the model file only
    assert loaded["validate"] == "['pandera', 'scipy', 'sklearn']"


def test_the_transformer_keeps_its_saved_import_path_and_is_one_class():
    import lockstep.features as features

    first = features.DerivedFeatures
    assert first is features.DerivedFeatures
    assert (first.__module__, first.__qualname__) == ("lockstep.features", "DerivedFeatures")
    assert repr(first([])) == "DerivedFeatures(specs=[])"
