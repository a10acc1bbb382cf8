"""lockstep comment against a fake GitHub API: http.server on 127.0.0.1 in a thread."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from lockstep.errors import LockstepError
from lockstep.review.comment import LIMIT, MARKER, find_sticky, truncate, with_marker
from lockstep.review.github import Client, GitHubError, next_link, retry_after
from tests.helpers.cli import invoke
from tests.helpers.fake_http import serve_json

REPO = "acme/churn"


class FakeGitHub:
    """Issue comments for one repository, with Link pagination and scripted failures."""

    def __init__(self) -> None:
        self.comments: dict[int, list[dict]] = {}
        self.requests: list[tuple[str, str, dict | None]] = []
        self.auth: list[str | None] = []
        self.failures: list[tuple[int, dict]] = []  # (status, headers) served before real replies
        self.head_sha = "abc123"
        self.fail_after_post = 0  # POSTs that create the comment but answer 502
        self.next_id = 1000
        self.url = ""

    def add(self, pr: int, body: str, login: str = "someone") -> dict:
        self.next_id += 1
        comment = {"id": self.next_id, "body": body, "user": {"login": login}}
        comment["created_at"] = (
            f"2026-01-01T00:{self.next_id // 60 % 60:02d}:{self.next_id % 60:02d}Z"
        )
        self.comments.setdefault(pr, []).append(comment)
        return comment

    def handle(self, method: str, raw_path: str, body: dict | None) -> tuple[int, dict, object]:
        parts = urlsplit(raw_path)
        path = parts.path.removeprefix("/api/v3")
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.requests.append((method, raw_path, body))
        if self.failures:
            status, headers = self.failures.pop(0)
            return status, headers, {"message": "scripted failure"}
        if m := re.fullmatch(rf"/repos/{REPO}/issues/(\d+)/comments", path):
            pr = int(m.group(1))
            if method == "POST":
                comment = self.add(pr, body["body"], login="github-actions[bot]")
                if self.fail_after_post:
                    self.fail_after_post -= 1
                    return 502, {}, {"message": "Bad Gateway"}
                return 201, {}, comment
            page, size = int(query.get("page", 1)), min(int(query.get("per_page", 30)), 100)
            items = self.comments.get(pr, [])
            headers = {}
            if page * size < len(items):
                nxt = f"{self.url}{parts.path}?per_page={size}&page={page + 1}"
                headers["Link"] = f'<{nxt}>; rel="next", <{nxt}>; rel="last"'
            return 200, headers, items[(page - 1) * size : page * size]
        if m := re.fullmatch(rf"/repos/{REPO}/issues/comments/(\d+)", path):
            for comment in (c for cs in self.comments.values() for c in cs):
                if comment["id"] == int(m.group(1)) and method == "PATCH":
                    comment["body"] = body["body"]
                    return 200, {}, comment
        if m := re.fullmatch(rf"/repos/{REPO}/pulls/(\d+)", path):
            return 200, {}, {"number": int(m.group(1)), "head": {"sha": self.head_sha}}
        return 404, {}, {"message": "Not Found"}

    def writes(self) -> list[tuple[str, str, dict | None]]:
        return [r for r in self.requests if r[0] != "GET"]


@pytest.fixture
def github():
    fake = FakeGitHub()

    def handle(method, path, body, auth):
        fake.auth.append(auth)
        return fake.handle(method, path, body)

    with serve_json(handle) as url:
        fake.url = url
        yield fake


def post(github: FakeGitHub, tmp_path, body: str = "## report\n", *extra: str, token: str = "t0k"):
    report = tmp_path / "report.md"
    report.write_text(body, encoding="utf-8")
    args = [str(report), "--pr", "7", "--repo", REPO, "--api-url", github.url, "--backoff", "0"]
    return invoke("comment", [*args, *extra], env={"GITHUB_TOKEN": token})


def test_creates_when_none_then_updates_the_same_comment(github, tmp_path):
    first = post(github, tmp_path, "## first\n")
    assert first.exit_code == 0, first.output
    assert "created" in first.output
    second = post(github, tmp_path, "## second\n")
    assert second.exit_code == 0, second.output
    assert "updated" in second.output
    assert [r[0] for r in github.writes()] == ["POST", "PATCH"]
    (comment,) = github.comments[7]
    assert comment["body"] == f"{MARKER}\n## second\n"
    assert set(github.auth) == {"Bearer t0k"}


def test_finds_its_comment_past_a_hundred_others(github, tmp_path):
    for i in range(130):
        github.add(7, f"comment {i}")
    mine = github.add(7, f"{MARKER}\nold report", login="github-actions[bot]")
    for i in range(20):
        github.add(7, f"later comment {i}")
    result = post(github, tmp_path)
    assert result.exit_code == 0, result.output
    gets = [r[1] for r in github.requests if r[0] == "GET"]
    assert len(gets) == 2 and all("per_page=100" in g for g in gets) and "page=2" in gets[1]
    assert github.writes() == [
        ("PATCH", f"/repos/{REPO}/issues/comments/{mine['id']}", {"body": f"{MARKER}\n## report\n"})
    ]


def test_truncates_a_huge_body_under_the_limit(github, tmp_path):
    huge = "| row |\n" * 5_000 + "```mermaid\n" + "line [0.1]\n" * 10_000 + "```\n"
    assert post(github, tmp_path, huge).exit_code == 0
    sent = github.writes()[0][2]["body"]
    assert len(sent) <= LIMIT and sent.startswith(MARKER)
    assert "cut to fit GitHub's 65,536-character comment limit" in sent
    before_note = sent.split("\n\n> [!WARNING]")[0]
    assert before_note.count("```") % 2 == 0


def test_explains_403_without_retrying(github, tmp_path):
    github.failures = [(403, {})]
    result = post(github, tmp_path)
    assert result.exit_code == 1
    assert "pull-requests: write" in result.output and "fork" in result.output
    assert len(github.requests) == 1 and not github.comments


def test_explains_401(github, tmp_path):
    github.failures = [(401, {})]
    result = post(github, tmp_path)
    assert result.exit_code == 1 and "rejected the token" in result.output


def test_retries_a_502_then_succeeds(github, tmp_path):
    github.failures = [(502, {})]
    result = post(github, tmp_path)
    assert result.exit_code == 0, result.output
    assert [r[0] for r in github.requests] == ["GET", "GET", "POST"]
    assert len(github.comments[7]) == 1


def test_a_502_after_a_post_does_not_duplicate_the_comment(github, tmp_path):
    github.fail_after_post = 1
    result = post(github, tmp_path)
    assert result.exit_code == 0, result.output
    assert [r[0] for r in github.requests] == ["GET", "POST", "GET", "PATCH"]
    assert len(github.comments[7]) == 1


def test_gives_up_after_bounded_retries(github, tmp_path):
    github.failures = [(503, {})] * 10
    result = post(github, tmp_path, "x\n", "--retries", "2")
    assert result.exit_code == 1 and "gave up after 3 attempts" in result.output
    assert len(github.requests) == 3


def test_missing_token_is_explained(github, tmp_path):
    result = post(github, tmp_path, token="")
    assert result.exit_code == 1 and "GITHUB_TOKEN is not set" in result.output
    assert github.requests == []


def test_backoff_is_bounded_and_honours_retry_after(github):
    sleeps: list[float] = []
    client = Client("t", github.url, retries=2, backoff=0.5, sleep=sleeps.append)
    github.failures = [(502, {}), (403, {"Retry-After": "3"}), (502, {})]
    with pytest.raises(GitHubError, match="gave up after 3 attempts"):
        client.request("GET", f"/repos/{REPO}/issues/7/comments")
    assert sleeps == [0.5, 3.0]


def test_secondary_rate_limit_is_retried():
    assert retry_after(403, {}, "you have exceeded a secondary rate limit", 0) == 60.0
    reset = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "110"}
    assert retry_after(403, reset, "", now=100) == 10
    assert retry_after(403, {}, "resource not accessible by integration", 0) is None
    assert retry_after(404, {}, "", 0) is None


def test_dry_run_writes_nothing(github, tmp_path):
    github.add(7, f"{MARKER}\nold", login="github-actions[bot]")
    result = post(github, tmp_path, "## new\n", "--dry-run")
    assert result.exit_code == 0
    assert "would PATCH" in result.output and "## new" in result.output
    assert github.writes() == []
    offline = post(github, tmp_path, "## new\n", "--dry-run", token="")
    assert "would POST" in offline.output and len(github.requests) == 1


def test_enterprise_api_url_and_head_sha_guard(github, tmp_path):
    github.url += "/api/v3"
    result = post(github, tmp_path, "x\n", "--head-sha", "abc123")
    assert result.exit_code == 0, result.output
    assert all(path.startswith("/api/v3/repos/") for _, path, _ in github.requests)
    wrong = post(github, tmp_path, "x\n", "--head-sha", "fff999")
    assert wrong.exit_code == 1 and "refusing to comment" in wrong.output


def test_token_never_leaves_the_api_host():
    client = Client("s3cret", "https://github.example.com/api/v3")
    assert "s3cret" not in repr(client)
    with pytest.raises(GitHubError, match="refusing to send the token"):
        client.url("https://evil.example.net/repos/a/b/issues/1/comments?page=2")


def test_pure_helpers():
    assert with_marker("x") == f"{MARKER}\nx" and with_marker(f"{MARKER}\nx") == f"{MARKER}\nx"
    assert truncate("short") == "short"
    comments = [{"id": 1, "body": f"{MARKER} a"}, {"id": 3, "body": f"{MARKER} b"}, {"id": 5}]
    assert find_sticky(comments)["id"] == 3 and find_sticky([]) is None
    api = "https://api.github.com/x"
    link = f'<{api}?page=2>; rel="next", <{api}?page=9>; rel="last"'
    assert next_link(link) == "https://api.github.com/x?page=2" and next_link(None) is None


def test_a_marked_comment_by_someone_else_is_never_taken_over(github, tmp_path):
    planted = github.add(7, f"{MARKER}\n## fake: gate passed\n", login="mallory")
    result = post(github, tmp_path, "## real\n")
    assert result.exit_code == 0, result.output
    assert "created" in result.output
    assert planted["body"] == f"{MARKER}\n## fake: gate passed\n"
    assert [w[0] for w in github.writes()] == ["POST"]


def test_a_redirect_is_refused_not_followed_with_the_token(github, tmp_path):
    github.failures.append((302, {"Location": "http://127.0.0.1:9/steal"}))
    result = post(github, tmp_path, "## report\n", "--retries", "0")
    assert result.exit_code == 1
    assert "redirected (302)" in result.output
    assert len(github.requests) == 1  # nothing sent anywhere after the redirect


def test_plain_http_api_url_is_refused_except_on_loopback():
    with pytest.raises(LockstepError, match="must be https"):
        Client("t0k", "http://github.example.com/api/v3")
    assert Client("t0k", "http://127.0.0.1:8080").api_url.startswith("http://127.0.0.1")
