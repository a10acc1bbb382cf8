"""Whether the committed dvc.lock is the reproduced one: compare, summary, reading from Git."""

from __future__ import annotations

import copy

import pytest

from lockstep.errors import LockstepError
from lockstep.review import gate, lockcheck
from tests.conftest import commit_all, run


def out(path: str, md5: str) -> dict:
    return {"path": path, "hash": "md5", "md5": md5, "size": 10}


def lock() -> dict:
    return {
        "schema": "2.0",
        "stages": {
            "train": {
                "cmd": "lockstep train",
                "deps": [out("data/features/train.parquet", "a1"), out("src/train.py", "b2")],
                "params": {"params.yaml": {"model": {"C": 1.0}}},
                "outs": [out("models/model.skops", "c3"), out("reports/cv.json", "d4")],
            },
            "evaluate": {
                "cmd": "lockstep evaluate",
                "deps": [out("models/model.skops", "c3")],
                "outs": [out("reports/metrics.json", "e5")],
            },
        },
    }


def test_identical_locks_are_fresh():
    fresh = lockcheck.compare(lock(), lock())
    assert not fresh.stale
    assert fresh.summary().startswith("fresh:")


def test_changed_params_and_outputs_are_named_and_counted():
    reproduced = lock()
    train = reproduced["stages"]["train"]
    train["params"]["params.yaml"]["model"]["C"] = 0.3
    train["outs"][0]["md5"] = "c3-new"
    train["outs"][1]["md5"] = "d4-new"
    reproduced["stages"]["evaluate"]["deps"][0]["md5"] = "c3-new"
    reproduced["stages"]["evaluate"]["outs"][0]["md5"] = "e5-new"

    fresh = lockcheck.compare(lock(), reproduced)

    assert fresh.stale
    assert fresh.outputs == ("models/model.skops", "reports/cv.json", "reports/metrics.json")
    assert fresh.stages == ("evaluate", "train")
    text = fresh.summary()
    assert text.startswith("stale: 3 outputs differ (`models/model.skops`, ")
    assert text.endswith("run `dvc repro` and commit dvc.lock")


def test_params_alone_make_the_lock_stale():
    reproduced = lock()
    reproduced["stages"]["train"]["params"]["params.yaml"]["model"]["C"] = 2.0
    fresh = lockcheck.compare(lock(), reproduced)
    assert fresh.stale and fresh.outputs == () and fresh.stages == ("train",)
    assert "1 output" not in fresh.summary() and "`train`" in fresh.summary()


def test_a_stage_only_one_side_has_is_stale():
    reproduced = copy.deepcopy(lock())
    del reproduced["stages"]["evaluate"]
    fresh = lockcheck.compare(lock(), reproduced)
    assert fresh.outputs == ("reports/metrics.json",) and fresh.stages == ("evaluate",)
    assert "1 output differs" in fresh.summary()


def test_no_committed_lock_is_stale():
    fresh = lockcheck.compare(None, lock())
    assert fresh.stale and fresh.missing
    assert "no dvc.lock is committed" in fresh.summary()


def test_many_outputs_are_cut_in_the_summary():
    fresh = lockcheck.Freshness(outputs=tuple(f"o{i}" for i in range(8)))
    assert "8 outputs differ" in fresh.summary() and "`o4`, …" in fresh.summary()
    assert "`o5`" not in fresh.summary()


def test_require_fresh_lock_must_be_a_boolean():
    assert gate.require_fresh_lock({"gate": {"require_fresh_lock": True}}) is True
    assert gate.require_fresh_lock({}) is False
    with pytest.raises(LockstepError, match="require_fresh_lock must be true or false"):
        gate.require_fresh_lock({"gate": {"require_fresh_lock": "yes"}})


def test_stale_lock_fails_the_gate_only_when_required():
    stale = lockcheck.Freshness(outputs=("models/model.skops",))
    assert gate.lock_line(stale, required=False)[0] is True
    passed, line = gate.lock_line(stale, required=True)
    assert not passed and line.startswith("FAIL dvc.lock: stale: 1 output differs")
    assert gate.lock_line(lockcheck.Freshness(), required=True)[0] is True


def test_not_a_lock_is_a_clear_error():
    with pytest.raises(LockstepError, match=r"x\.lock is not a dvc\.lock"):
        lockcheck.parse("- a list\n", "x.lock")


def test_check_reads_the_committed_lock_from_git(tmp_path):
    import yaml

    repo = tmp_path / "repo"
    repo.mkdir()
    run(["git", "init", "-q", "-b", "main"], repo)
    (repo / "dvc.lock").write_text(yaml.safe_dump(lock()))
    commit_all(repo, "lock")
    assert not lockcheck.check("HEAD", str(repo)).stale

    reproduced = lock()
    reproduced["stages"]["evaluate"]["outs"][0]["md5"] = "changed"
    (repo / "dvc.lock").write_text(yaml.safe_dump(reproduced))
    assert lockcheck.check("HEAD", str(repo)).outputs == ("reports/metrics.json",)
    with pytest.raises(LockstepError, match="revision 'nope' not found"):
        lockcheck.check("nope", str(repo))

    run(["git", "rm", "-q", "--cached", "dvc.lock"], repo)
    run(["git", "commit", "-q", "-m", "drop the lock"], repo)
    assert lockcheck.check("HEAD", str(repo)).missing
