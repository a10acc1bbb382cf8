"""lockstep alert against a fake GitHub issues API on 127.0.0.1: create, update, close."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from lockstep.cli import main
from lockstep.monitor.alert import MARKER
from tests.helpers.fake_http import serve_json

REPO = "acme/churn"
BOT = "github-actions[bot]"


class FakeIssues:
    def __init__(self) -> None:
        self.issues: list[dict] = []
        self.writes: list[tuple[str, str, dict]] = []
        self.fail_next_post = False
        self.url = ""

    def add(self, body: str, login: str, pull: bool = False) -> dict:
        number = len(self.issues) + 1
        issue = {
            "number": number,
            "id": 5000 + number,
            "body": body,
            "state": "open",
            "user": {"login": login},
            "created_at": f"2026-01-01T00:00:{number % 60:02d}Z",
            "html_url": f"https://github.invalid/{REPO}/issues/{number}",
        }
        if pull:
            issue["pull_request"] = {}
        self.issues.append(issue)
        return issue

    def handle(self, method: str, raw: str, body: dict | None) -> tuple[int, dict, object]:
        parts = urlsplit(raw)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if method != "GET":
            self.writes.append((method, parts.path, body))
        if parts.path == f"/repos/{REPO}/issues" and method == "GET":
            page, size = int(query.get("page", 1)), int(query.get("per_page", 30))
            items = [i for i in self.issues if i["state"] == query.get("state", "open")]
            headers = {}
            if page * size < len(items):
                nxt = f"{self.url}{parts.path}?state=open&per_page={size}&page={page + 1}"
                headers["Link"] = f'<{nxt}>; rel="next"'
            return 200, headers, items[(page - 1) * size : page * size]
        if parts.path == f"/repos/{REPO}/issues" and method == "POST":
            issue = self.add(body["body"], BOT)
            issue["title"] = body["title"]
            if self.fail_next_post:
                self.fail_next_post = False
                return 502, {}, {"message": "Bad Gateway"}
            return 201, {}, issue
        if (m := re.fullmatch(rf"/repos/{REPO}/issues/(\d+)", parts.path)) and method == "PATCH":
            issue = self.issues[int(m.group(1)) - 1]
            issue.update(body)
            return 200, {}, issue
        return 404, {}, {"message": "Not Found"}


@pytest.fixture
def github():
    fake = FakeIssues()

    def handle(method, path, body, auth):
        return fake.handle(method, path, body)

    with serve_json(handle) as url:
        fake.url = url
        yield fake


def report(tmp_path, status: str) -> str:
    result = {
        "status": status,
        "labelled": 150,
        "predictions": 200,
        "coverage": 0.75,
        "ab": None,
        "degraded": status == "degraded",
        "concept_drift": False,
        "windows": [
            {
                "window": "2026-11-02T00:00:00Z",
                "model": "prod",
                "version": "v1",
                "predictions": 200,
                "labelled": 150,
                "coverage": 0.75,
                "judged": True,
                "metrics": {"roc_auc": {"value": 0.7}},
                "degraded": status == "degraded",
                "concept_drift": False,
            }
        ],
    }
    path = tmp_path / f"{status}.json"
    path.write_text(json.dumps(result))
    return str(path)


def alert(github, path):
    args = ["alert", path, "--repo", REPO, "--api-url", github.url]
    args += ["--retries", "2", "--backoff", "0"]
    return CliRunner().invoke(main, args, env={"GITHUB_TOKEN": "t0k"})


def test_create_then_update_then_close_one_issue(github, tmp_path):
    for _ in range(120):  # the marked issue must be found past the first page
        github.add("unrelated", "someone")
    github.add(f"{MARKER}\npasted by someone else", "someone")
    github.add(f"{MARKER}\na pull request", BOT, pull=True)
    result = alert(github, report(tmp_path, "degraded"))
    assert result.exit_code == 0, result.output
    created = github.issues[-1]
    assert created["title"] == "lockstep monitor" and "**Status: degraded**" in created["body"]
    assert alert(github, report(tmp_path, "degraded")).exit_code == 0
    assert [w[0] for w in github.writes] == ["POST", "PATCH"]
    assert alert(github, report(tmp_path, "healthy")).exit_code == 0
    assert created["state"] == "closed" and "**Status: healthy**" in created["body"]
    assert alert(github, report(tmp_path, "healthy")).exit_code == 0  # nothing open: no write
    assert len(github.writes) == 3 and github.issues[120]["state"] == "open"


def test_a_502_after_create_does_not_open_a_second_issue(github, tmp_path):
    github.fail_next_post = True
    result = alert(github, report(tmp_path, "concept drift"))
    assert result.exit_code == 0, result.output
    assert [w[0] for w in github.writes] == ["POST", "PATCH"] and len(github.issues) == 1


def test_healthy_with_no_issue_writes_nothing_and_dry_run_prints(github, tmp_path):
    assert alert(github, report(tmp_path, "healthy")).exit_code == 0 and not github.writes
    path = report(tmp_path, "degraded")
    result = CliRunner().invoke(main, ["alert", path, "--repo", REPO, "--dry-run"])
    assert result.exit_code == 0 and MARKER in result.output and not github.writes
