"""Reproduction records as git notes, and the registry's `reproduced` column."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from lockstep.registry.cli import render
from lockstep.registry.events import REGISTER, Event, build
from lockstep.registry.notes import read_note, records, write_note

IDENTITY = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@lockstep.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@lockstep.invalid",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def repo(tmp_path, monkeypatch):
    for key, value in IDENTITY.items():
        monkeypatch.setenv(key, value)
    git(tmp_path, "init", "-q")
    git(tmp_path, "commit", "-q", "--allow-empty", "-m", "one")
    git(tmp_path, "commit", "-q", "--allow-empty", "-m", "two")
    return tmp_path


def statement(verdict: str) -> str:
    body = {"_type": "https://in-toto.io/Statement/v1", "predicate": {"verdict": verdict}}
    return json.dumps(body, sort_keys=True)


def test_records_are_notes_on_their_commit_and_a_new_one_replaces_the_old(repo, tmp_path):
    first = git(repo, "rev-parse", "HEAD~1").strip()
    record = tmp_path / "record.json"
    record.write_text(statement("different"))
    write_note(repo, first, record)
    record.write_text(statement("equivalent"))
    write_note(repo, first, record)
    assert json.loads(read_note(repo, first))["predicate"]["verdict"] == "equivalent"
    assert read_note(repo, "HEAD") is None
    assert records(repo) == {first: "equivalent, unsigned"}
    git(repo, "notes", "--ref", "lockstep", "add", "-m", "free text", "HEAD")
    assert records(repo)[git(repo, "rev-parse", "HEAD").strip()] == "unreadable"


def test_the_registry_shows_each_versions_record_or_a_dash():
    events = [
        Event("m@v0.1.0", "m", REGISTER, "a" * 40, 1, version="v0.1.0"),
        Event("m@v0.2.0", "m", REGISTER, "b" * 40, 2, version="v0.2.0"),
    ]
    registry = build(events, "m")
    table = render(registry, as_json=False, records={"a" * 40: "identical, signed"})
    lines = table.splitlines()
    assert lines[1].split()[-1] == "reproduced"
    assert lines[3].startswith("v0.2.0") and lines[3].rstrip().endswith("-")
    assert lines[4].startswith("v0.1.0") and lines[4].rstrip().endswith("identical, signed")
    body = json.loads(render(registry, as_json=True, records={"a" * 40: "identical, signed"}))
    assert [v["reproduced"] for v in body["versions"]] == [None, "identical, signed"]
