"""Pure parts of lockstep bisect: the binary search and the diff summary."""

from __future__ import annotations

import pytest

from lockstep.review.bisect import first_bad, group, summarize, worse


@pytest.mark.parametrize("culprit", [0, 1, 17, 48])
def test_first_bad_finds_the_first_bad_index_in_log2_probes(culprit: int) -> None:
    seen: list[int] = []

    def is_bad(i: int) -> bool:
        seen.append(i)
        return i >= culprit

    index, probes = first_bad(49, is_bad)
    assert index == culprit
    assert [i for i, _ in probes] == seen and len(seen) <= 6
    assert all(bad == (i >= culprit) for i, bad in probes)


def test_one_commit_needs_no_probe() -> None:
    assert first_bad(1, lambda i: pytest.fail("probed")) == (0, [])


def test_changed_files_are_grouped_as_data_params_code() -> None:
    paths = [
        "src/lockstep/x.py",
        "conf/model/lr.yaml",
        "params.yaml",
        "data/source/a.csv",
        "data/raw.dvc",
        "dvc.lock",
        "reports/metrics.json",
        "README.md",
        "dvc.yaml",
        "code/train.sha256",
    ]
    assert summarize(paths) == {
        "data": ["data/raw.dvc", "data/source/a.csv"],
        "params": ["conf/model/lr.yaml", "params.yaml"],
        "code": ["code/train.sha256", "dvc.yaml", "src/lockstep/x.py"],
        "outputs": ["dvc.lock", "reports/metrics.json"],
        "other": ["README.md"],
    }
    assert group("tests/unit/test_x.py") == "code"


def test_worse_follows_the_direction() -> None:
    assert worse("higher", 0.80, 0.82) and not worse("higher", 0.83, 0.82)
    assert worse("lower", 0.45, 0.42) and not worse("lower", 0.40, 0.42)


def test_significant_means_significantly_worse_than_the_good_commit(monkeypatch) -> None:
    import numpy as np

    from lockstep.review import bisect_run
    from lockstep.review.bisect import Bisector
    from lockstep.significance import Scores

    rng = np.random.default_rng(0)
    y = (rng.random(400) < 0.3).astype(int)
    good = 1 / (1 + np.exp(-(3 * y - 1.5 + rng.normal(0, 1, 400))))
    noise = np.clip(good + rng.normal(0, 1e-9, 400), 0, 1)
    broken = 1 / (1 + np.exp(-(0.5 * y + rng.normal(0, 1, 400))))
    ids = np.array([f"c{i}" for i in range(400)])
    table = {sha: Scores(ids, y, p) for sha, p in (("g", good), ("n", noise), ("b", broken))}

    class Fake(Bisector):
        def value(self, sha: str, with_scores: bool = False):
            return 0.0, table[sha]

    monkeypatch.setattr(
        bisect_run, "policy_at", lambda root, sha: {"metrics": {"roc_auc": "higher"}}
    )
    is_bad, meaning = bisect_run.predicate(Fake(".", "roc_auc"), "g", "b", None, True)
    assert "significantly worse" in meaning
    assert is_bad("b") and not is_bad("n")
