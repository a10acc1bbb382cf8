"""lockstep.serve.sources: the canary split, and a model loaded from a registry stage."""

from __future__ import annotations

from lockstep.modelfile import dumps_model
from lockstep.serve.sources import StageSource, label, route
from tests.helpers.models import fitted
from tests.helpers.tiny import params, write_params


def bodies(i: int) -> tuple[list, bytes]:
    return [{"customer_id": f"c{i}"}], f'{{"records": [{{"customer_id": "c{i}"}}]}}'.encode()


def test_route_is_keyed_and_respects_the_bounds():
    assert not any(route(*bodies(i), "customer_id", 0.0, 1) for i in range(100))
    assert all(route(*bodies(i), "customer_id", 1.0, 1) for i in range(100))
    picks = [route(*bodies(i), "customer_id", 0.5, 1) for i in range(200)]
    assert 60 < sum(picks) < 140  # a fair coin: outside this 1 time in 10^8
    assert picks != [route(*bodies(i), "customer_id", 0.5, 2) for i in range(200)]


def test_route_follows_the_id_not_the_spelling_of_the_body():
    records = [{"customer_id": "c7", "tenure": 3}]
    spellings = [
        b'{"records": [{"customer_id": "c7", "tenure": 3}]}',
        b'{"records":[{"tenure":3,"customer_id":"c7"}]}',
        b'{"records": [{"customer_id": "c7",      "tenure": 3}]}\n\n   ',
    ]
    for seed in range(30):  # whichever way the hash falls, spacing never moves it
        assert len({route(records, body, "customer_id", 0.5, seed) for body in spellings}) == 1
    two = [{"customer_id": "a"}, {"customer_id": "b"}]
    for seed in range(30):  # the order of the records does not matter either
        picks = {
            route(rows, body, "customer_id", 0.5, seed)
            for rows, body in ((two, b"x"), (two[::-1], b"y"))
        }
        assert len(picks) == 1


def test_without_ids_the_body_picks_the_model():
    no_id = [{"tenure": 3}]
    picks = {route(no_id, f"{i}".encode(), "customer_id", 0.5, 1) for i in range(50)}
    assert picks == {True, False}  # the body decides (an id would give one answer)
    picks = {route([{"customer_id": "c"}], f"{i}".encode(), None, 0.5, 1) for i in range(50)}
    assert picks == {True, False}  # a contract without an id column


def test_label_names_the_stage_served():
    class Served:
        def __init__(self, stage):
            self.info = {"stage": stage}

    assert label(Served("staging"), canary=False) == "staging"
    assert label(Served("prod"), canary=False) == "prod"
    assert label(Served(None), canary=False) == "unstaged"
    assert label(Served("staging"), canary=True) == "canary"


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
