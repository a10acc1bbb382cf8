"""Models saved before the folder layout still load and score with today's code.

A saved model names the classes it holds by import path (``lockstep.features.DerivedFeatures``),
and `lockstep model get`, `serve --stage` and `reproduce` load models that older commits saved.
The files in tests/fixtures/ were written by the code before the move to one folder per
capability (commit 64ed611): each family's ``tests.helpers.models.SMALL`` pipeline, fitted on the
tiny data with seed 1 and saved with ``dumps_model`` (now lockstep.modelfile).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lockstep.features import DerivedFeatures
from lockstep.modelfile import load_model
from lockstep.models import FAMILIES
from tests.helpers.models import ONE_HOT, fitted

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_a_model_saved_before_the_move_loads_and_scores_as_before(family):
    model = load_model(str(FIXTURES / f"before_layout_{family}.skops"))  # trusted types only
    assert isinstance(model[0], DerivedFeatures)
    # Same data, params, encoding and seed: today's code fits the same model (up to float
    # rounding). Gradient boosting one-hot encoded its categories then; it splits them natively
    # now unless told otherwise.
    fresh, X = fitted(family, seed=1, **(ONE_HOT if family == "hist_gradient_boosting" else {}))
    np.testing.assert_allclose(
        model.predict_proba(X)[:, 1], fresh.predict_proba(X)[:, 1], rtol=0, atol=1e-6
    )
