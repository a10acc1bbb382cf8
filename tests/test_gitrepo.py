"""lockstep.gitrepo: the one reader of a commit's files, on a repository made here."""

from __future__ import annotations

import git
import pytest

from lockstep.errors import LockstepError
from lockstep.gitrepo import json_at, open_repo, read_at, yaml_at

IDENTITY = {
    "GIT_AUTHOR_NAME": "lockstep tests",
    "GIT_AUTHOR_EMAIL": "tests@lockstep.invalid",
    "GIT_COMMITTER_NAME": "lockstep tests",
    "GIT_COMMITTER_EMAIL": "tests@lockstep.invalid",
}


@pytest.fixture
def repo(tmp_path, monkeypatch):
    for name, value in IDENTITY.items():
        monkeypatch.setenv(name, value)
    repo = git.Repo.init(tmp_path)
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "metrics.json").write_text('{"roc_auc": 0.8}')
    (tmp_path / "params.yaml").write_text("train:\n  seed: 1\n")
    (tmp_path / "empty.yaml").write_text("")
    (tmp_path / "bad.json").write_text("{not json")
    repo.index.add(["reports/metrics.json", "params.yaml", "empty.yaml", "bad.json"])
    repo.index.commit("first")
    (tmp_path / "reports" / "metrics.json").write_text('{"roc_auc": 0.9}')  # not committed
    return repo


def test_files_are_read_as_committed_not_as_in_the_working_tree(repo):
    head = repo.head.commit.hexsha
    assert json_at(repo, head, "reports/metrics.json") == {"roc_auc": 0.8}
    assert yaml_at(repo, head, "params.yaml") == {"train": {"seed": 1}}
    assert yaml_at(repo, head, "empty.yaml") == {}
    assert read_at(repo, head, "params.yaml") == b"train:\n  seed: 1\n"


def test_a_file_the_commit_lacks_is_none(repo):
    head = repo.head.commit.hexsha
    assert read_at(repo, head, "reports/cv.json") is None
    assert json_at(repo, head, "nope/metrics.json") is None
    assert yaml_at(repo, head, "missing.yaml") is None


def test_bad_json_names_the_file_and_commit(repo):
    head = repo.head.commit.hexsha
    with pytest.raises(LockstepError, match=rf"bad\.json at {head[:12]} is not valid JSON"):
        json_at(repo, head, "bad.json")


def test_open_repo_searches_parents_and_names_a_non_repository(repo, tmp_path_factory):
    assert open_repo(f"{repo.working_tree_dir}/reports").working_tree_dir == repo.working_tree_dir
    outside = tmp_path_factory.mktemp("plain")
    with pytest.raises(LockstepError, match="is not inside a Git repository"):
        open_repo(outside)
