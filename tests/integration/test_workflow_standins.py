"""The stand-ins the workflow tests use (API, gh, artifacts, pins) behave as GitHub's do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lockstep.review.comment import upsert
from lockstep.review.github import Client
from tests.conftest import ROOT, run
from tests.helpers.act import HELPERS, STANDINS, local_repositories
from tests.helpers.github_api import FakeGitHub

pytestmark = pytest.mark.slow  # git, a server and subprocesses: a few seconds
REPO = "o/r"


def bare_remote_with_tag(tmp_path: Path, tag: str) -> Path:
    work, remote = tmp_path / "work", tmp_path / "remote.git"
    run(["git", "init", "-q", "-b", "main", str(work)], tmp_path)
    run(["git", "commit", "-q", "--allow-empty", "-m", "one"], work)
    run(["git", "tag", tag], work)
    run(["git", "clone", "-q", "--bare", str(work), str(remote)], tmp_path)
    return remote


def test_every_pinned_action_has_a_stand_in():
    pins = local_repositories(ROOT / ".github" / "workflows")
    assert {p.split("@")[0] for p in pins} == set(STANDINS)
    assert all(p.split("=")[1] == str(STANDINS[p.split("@")[0]]) for p in pins)


def test_the_sticky_comment_is_created_then_updated(tmp_path):
    with FakeGitHub(tmp_path) as api:
        client = Client("t", api.url, retries=0)
        assert upsert(client, REPO, 3, "<!-- lockstep:report -->\none")[0] == "created"
        assert upsert(client, REPO, 3, "<!-- lockstep:report -->\ntwo")[0] == "updated"
        (comment,) = api.state.comments[3]
        assert comment["body"].endswith("two")
        assert ("PATCH", f"/repos/{REPO}/issues/comments/{comment['id']}") in api.state.calls


def gh(api: FakeGitHub, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {"GITHUB_API_URL": api.url, "GH_TOKEN": "t", "PATH": "/usr/bin:/bin"}
    command = [sys.executable, str(HELPERS / "bin" / "gh"), *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)


def test_gh_release_needs_the_tag_and_uploads_assets(tmp_path):
    remote = bare_remote_with_tag(tmp_path, "m@v1.0.0")
    (tmp_path / "notes.md").write_text("notes")
    (tmp_path / "m-v1.0.0.tar.gz").write_bytes(b"bundle")
    with FakeGitHub(remote) as api:
        assert gh(api, "release", "view", "m@v1.0.0", "--repo", REPO, cwd=tmp_path).returncode
        missing = ["release", "create", "m@v9", "--repo", REPO, "--notes-file", "notes.md"]
        assert gh(api, *missing, cwd=tmp_path).returncode == 1
        create = ["release", "create", "m@v1.0.0", "--repo", REPO, "--verify-tag"]
        assert gh(api, *create, "--notes-file", "notes.md", cwd=tmp_path).returncode == 0
        upload = ["release", "upload", "m@v1.0.0", "m-v1.0.0.tar.gz", "--repo", REPO]
        assert gh(api, *upload, "--clobber", cwd=tmp_path).returncode == 0
        assert gh(api, *upload, cwd=tmp_path).returncode == 1  # exists, no --clobber
        (asset,) = api.state.releases["m@v1.0.0"]["assets"]
        assert asset["name"] == "m-v1.0.0.tar.gz" and bytes.fromhex(asset["content"]) == b"bundle"


def test_upload_artifact_keeps_paths_below_their_common_folder(tmp_path):
    work = tmp_path / "work"
    (work / "bundle").mkdir(parents=True)
    (work / "a.tar.gz").write_text("a")
    (work / "bundle" / "card.md").write_text("c")
    out = tmp_path / "out"
    out.write_text("")
    env = {
        "INPUT_NAME": "bundle",
        "INPUT_PATH": "a.tar.gz\nbundle/card.md\n",
        "STANDIN_ARTIFACTS": str(tmp_path / "store"),
        "GITHUB_RUN_ID": "5",
        "GITHUB_OUTPUT": str(out),
    }
    script = HELPERS / "actions" / "upload-artifact" / "upload.py"
    subprocess.run([sys.executable, str(script)], cwd=work, env=env, check=True)
    stored = tmp_path / "store" / "5" / "bundle"
    assert sorted(p.relative_to(stored).as_posix() for p in stored.rglob("*") if p.is_file()) == [
        "a.tar.gz",
        "bundle/card.md",
    ]
    again = subprocess.run([sys.executable, str(script)], cwd=work, env=env, capture_output=True)
    assert again.returncode == 1 and b"already exists" in again.stdout
