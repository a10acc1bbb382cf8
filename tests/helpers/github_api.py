"""A stand-in GitHub REST API on 127.0.0.1 for the workflow tests: it records what was sent.

Serves the calls the workflows make (through `lockstep comment` and the `gh` stand-in): issue
comments (list, create, update), issues (list open, create, update or close), a pull request's
head, releases (view by tag, create, upload an
asset) and pull-request creation. Tags and branches are checked against the bare repository that
plays the GitHub remote, as GitHub checks its own. Every request is logged in ``calls``.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

BOT = "github-actions[bot]"
REPO = r"/repos/(?P<repo>[^/]+/[^/]+)"


@dataclass
class State:
    """What the API holds: comments by PR, releases by tag, opened PRs, heads of known PRs."""

    remote: Path
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    releases: dict[str, dict[str, Any]] = field(default_factory=dict)
    pulls: list[dict[str, Any]] = field(default_factory=list)
    issues: list[dict[str, Any]] = field(default_factory=list)
    heads: dict[int, str] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    next_id: int = 1000
    lock: threading.Lock = field(default_factory=threading.Lock)

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def has_ref(self, ref: str) -> bool:
        git = ["git", "--git-dir", str(self.remote), "rev-parse", "--verify", "--quiet", ref]
        return subprocess.run(git, capture_output=True).returncode == 0


class Handler(BaseHTTPRequestHandler):
    state: State  # set on the subclass that serve() makes

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def reply(self, status: int, data: Any = None) -> None:
        body = json.dumps(data if data is not None else {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def payload(self) -> Any:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Type", "").startswith("application/json"):
            return json.loads(raw or b"{}")
        return raw

    def route(self, method: str) -> None:
        path, query = unquote(urlsplit(self.path).path), parse_qs(urlsplit(self.path).query)
        with self.state.lock:
            self.state.calls.append((method, path))
            if not self.headers.get("Authorization", "").lower().startswith(("token ", "bearer ")):
                return self.reply(401, {"message": "Requires authentication"})
            for pattern, handler in ROUTES.get(method, ()):
                match = re.fullmatch(pattern, path)
                if match:
                    return handler(self, query=query, **match.groupdict())
            return self.reply(404, {"message": "Not Found"})

    def do_GET(self) -> None:
        self.route("GET")

    def do_POST(self) -> None:
        self.route("POST")

    def do_PATCH(self) -> None:
        self.route("PATCH")

    # issue comments
    def list_comments(self, repo: str, pr: str, query: dict) -> None:
        self.reply(200, self.state.comments.get(int(pr), []))

    def create_comment(self, repo: str, pr: str, query: dict) -> None:
        body = self.payload()["body"]
        comment = {"id": self.state.new_id(), "body": body, "user": {"login": BOT}}
        comment["created_at"] = f"2026-01-01T00:00:{len(self.state.calls) % 60:02d}Z"
        comment["html_url"] = f"https://github.com/{repo}/pull/{pr}#issuecomment-{comment['id']}"
        self.state.comments.setdefault(int(pr), []).append(comment)
        self.reply(201, comment)

    def update_comment(self, repo: str, cid: str, query: dict) -> None:
        for comment in (c for cs in self.state.comments.values() for c in cs):
            if comment["id"] == int(cid):
                comment["body"] = self.payload()["body"]
                return self.reply(200, comment)
        return self.reply(404, {"message": "Not Found"})

    # issues (`lockstep alert`)
    def list_issues(self, repo: str, query: dict) -> None:
        state = (query.get("state") or ["open"])[0]
        self.reply(200, [i for i in self.state.issues if state in ("all", i["state"])])

    def create_issue(self, repo: str, query: dict) -> None:
        data = self.payload()
        number = len(self.state.issues) + 1
        issue = {"number": number, "state": "open", "user": {"login": BOT}, **data}
        issue["html_url"] = f"https://github.com/{repo}/issues/{number}"
        self.state.issues.append(issue)
        self.reply(201, issue)

    def update_issue(self, repo: str, number: str, query: dict) -> None:
        found = [i for i in self.state.issues if i["number"] == int(number)]
        if not found:
            return self.reply(404, {"message": "Not Found"})
        found[0].update(self.payload())
        return self.reply(200, found[0])

    def get_pull(self, repo: str, pr: str, query: dict) -> None:
        if int(pr) not in self.state.heads:
            return self.reply(404, {"message": "Not Found"})
        return self.reply(200, {"number": int(pr), "head": {"sha": self.state.heads[int(pr)]}})

    # releases and pull requests (the `gh` stand-in)
    def get_release(self, repo: str, tag: str, query: dict) -> None:
        release = self.state.releases.get(tag)
        self.reply(200, release) if release else self.reply(404, {"message": "Not Found"})

    def create_release(self, repo: str, query: dict) -> None:
        data = self.payload()
        if not self.state.has_ref(f"refs/tags/{data['tag_name']}"):
            return self.reply(422, {"message": f"tag {data['tag_name']} does not exist"})
        release = {"id": self.state.new_id(), "assets": [], **data}
        self.state.releases[data["tag_name"]] = release
        return self.reply(201, release)

    def upload_asset(self, repo: str, rid: str, query: dict) -> None:
        release = next((r for r in self.state.releases.values() if r["id"] == int(rid)), None)
        if release is None:
            return self.reply(404, {"message": "Not Found"})
        name, content = query["name"][0], self.payload()
        release["assets"] = [a for a in release["assets"] if a["name"] != name]
        release["assets"].append({"name": name, "size": len(content), "content": content.hex()})
        return self.reply(201, {"name": name, "size": len(content)})

    def create_pull(self, repo: str, query: dict) -> None:
        data = self.payload()
        if not self.state.has_ref(f"refs/heads/{data['head']}"):
            return self.reply(422, {"message": f"head branch {data['head']} does not exist"})
        pull = {"number": len(self.state.pulls) + 100, **data}
        self.state.pulls.append(pull)
        return self.reply(201, {**pull, "html_url": f"https://github.com/{repo}/pull/1"})


ROUTES = {
    "GET": [
        (REPO + r"/issues/(?P<pr>\d+)/comments", Handler.list_comments),
        (REPO + r"/pulls/(?P<pr>\d+)", Handler.get_pull),
        (REPO + r"/issues", Handler.list_issues),
        (REPO + r"/releases/tags/(?P<tag>.+)", Handler.get_release),
    ],
    "POST": [
        (REPO + r"/issues/(?P<pr>\d+)/comments", Handler.create_comment),
        (REPO + r"/releases", Handler.create_release),
        (REPO + r"/releases/(?P<rid>\d+)/assets", Handler.upload_asset),
        (REPO + r"/pulls", Handler.create_pull),
        (REPO + r"/issues", Handler.create_issue),
    ],
    "PATCH": [
        (REPO + r"/issues/comments/(?P<cid>\d+)", Handler.update_comment),
        (REPO + r"/issues/(?P<number>\d+)", Handler.update_issue),
    ],
}


class FakeGitHub:
    """Start with ``with FakeGitHub(remote) as api``; ``api.url`` is the REST root."""

    def __init__(self, remote: Path) -> None:
        self.state = State(remote)
        handler = type("BoundHandler", (Handler,), {"state": self.state})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeGitHub:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
