"""lockstep.serve.metrics: label children are the metrics' own, looked up once."""

from __future__ import annotations

import pytest

pytest.importorskip("prometheus_client")

from lockstep.serve.metrics import child, new_metrics


def test_a_child_is_the_one_labels_gives_and_counts_in_the_registry():
    metrics = new_metrics()
    first = child(metrics, "predictions", "prod", "v1", "1")
    assert first is metrics["predictions"].labels("prod", "v1", "1")
    assert child(metrics, "predictions", "prod", "v1", "1") is first
    assert child(metrics, "predictions", "prod", "v1", "0") is not first
    first.inc()
    child(metrics, "predictions", "prod", "v1", "1").inc()
    labels = {"model": "prod", "version": "v1", "label": "1"}
    assert metrics["registry"].get_sample_value("lockstep_predictions_total", labels) == 2
    assert new_metrics()["children"] == {}  # each app its own
