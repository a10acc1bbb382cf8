"""lockstep.serve.sources: the canary split, and a model loaded from a registry stage."""

from __future__ import annotations

from lockstep.models import dumps_model
from lockstep.serve.sources import StageSource, route
from tests.helpers.models import fitted
from tests.helpers.tiny import params, write_params


def test_route_is_keyed_and_respects_the_bounds():
    assert not any(route(str(i).encode(), 0.0, 1) for i in range(100))
    assert all(route(str(i).encode(), 1.0, 1) for i in range(100))
    picks = [route(str(i).encode(), 0.5, 1) for i in range(100)]
    assert picks != [route(str(i).encode(), 0.5, 2) for i in range(100)]


def test_stage_source_loads_through_the_registry(tmp_path, monkeypatch):
    import git

    from lockstep.registry import fetch as model_get

    for var in ("GIT_AUTHOR", "GIT_COMMITTER"):  # hosted runners have no global git identity
        monkeypatch.setenv(f"{var}_NAME", "lockstep tests")
        monkeypatch.setenv(f"{var}_EMAIL", "tests@lockstep.invalid")
    repo = git.Repo.init(tmp_path)
    write_params(tmp_path / "params.yaml", {**params(), "promote": {"artifact": "churn-model"}})
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "metrics.json").write_text('{"roc_auc": 0.8}')
    repo.index.add(["params.yaml", "reports/metrics.json"])
    commit = repo.index.commit("model").hexsha
    repo.create_tag("churn-model@v0.1.0", ref=commit, message="register")
    repo.create_tag("churn-model#prod#1", ref=commit, message="assign")
    data = dumps_model(fitted("logistic_regression")[0])
    monkeypatch.setattr(model_get, "read_model", lambda root, rev: data)
    loaded = StageSource("prod", repo=str(tmp_path)).load()
    assert loaded.info["version"] == "v0.1.0" and loaded.info["commit"] == commit
    assert loaded.info["metrics"] == {"roc_auc": 0.8} and loaded.threshold == 0.5
    assert StageSource("prod", repo=str(tmp_path)).load().info["stage"] == "prod"
