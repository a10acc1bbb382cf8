"""Run the project's GitHub workflows for real under nektos/act, offline, in host mode.

``Workflows`` holds one world: a bare repository that plays the GitHub remote (every
``https://github.com/<REPO>`` URL is redirected to it by git's ``url.<base>.insteadOf``, set
through GIT_CONFIG_* so no global git config is needed), the stand-in GitHub API on 127.0.0.1,
the stand-in actions of tests/helpers/actions/ (act's ``--local-repository`` at the SHAs the
workflows pin) and the ``gh`` stand-in in tests/helpers/bin/. act never pulls an image (host
mode ``-P ubuntu-latest=-self-hosted``), never downloads an action (``--action-offline-mode``
with every action mapped), and starts no cache or artifact server.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import run
from tests.helpers.github_api import FakeGitHub

HELPERS = Path(__file__).resolve().parent
ACT = Path(sys.executable).parent / "act"
REPO = "lockstep-tests/churn"
URL = f"https://github.com/{REPO}"
TOKEN = "standin-token"
USES = re.compile(r"uses:\s*(actions/[\w.-]+)@([0-9a-f]{40})")
STANDINS = {
    name: HELPERS / "actions" / name.split("/")[1]
    for name in (
        "actions/checkout",
        "actions/setup-python",
        "actions/upload-artifact",
        "actions/download-artifact",
    )
}


@dataclass(frozen=True)
class Result:
    returncode: int
    output: str
    seconds: float

    def job(self, name: str) -> str:
        """'succeeded', 'failed' or '' (did not run) for the job whose ``name:`` is given."""
        found = re.findall(
            rf"^\[[^/\]]+/{re.escape(name)}\s*\] 🏁  Job (succeeded|failed)", self.output, re.M
        )
        return found[-1] if found else ""

    def tail(self, lines: int = 120) -> str:
        return "\n".join(self.output.splitlines()[-lines:])


def local_repositories(workflows: Path) -> list[str]:
    """``--local-repository`` values mapping every pinned action to its stand-in."""
    pins = sorted(
        {m.groups() for f in workflows.glob("*.yml") for m in USES.finditer(f.read_text())}
    )
    missing = sorted({name for name, _ in pins} - set(STANDINS))
    assert not missing, f"no stand-in action for {missing}: add one in tests/helpers/actions/"
    return [f"{name}@{sha}={STANDINS[name]}" for name, sha in pins]


class Workflows:
    """One remote, one API, one act cache under ``root``; ``with Workflows(...) as w``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.remote = root / "remote.git"
        self.api = FakeGitHub(self.remote)
        self.runs = 0
        self.project = root / "dev"  # the developer's clone, once publish() has pushed it

    def __enter__(self) -> Workflows:
        run(["git", "init", "-q", "--bare", "-b", "main", str(self.remote)], self.root)
        run(["git", "config", "uploadpack.allowAnySHA1InWant", "true"], self.remote)
        self.api.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.api.__exit__(*exc)

    def git_env(self) -> dict[str, str]:
        """No global or system git config; the GitHub URL points at the bare repository."""
        return {
            "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": f"url.{self.remote.as_uri()}.insteadOf",
            "GIT_CONFIG_VALUE_0": URL,
        }

    def git(self, args: list[str], cwd: Path) -> str:
        """git in a developer's clone (with an identity, as a developer has)."""
        return run(["git", *args], cwd, **self.git_env()).stdout.strip()

    def publish(self, project: Path) -> None:
        """Make ``project`` the developer's clone of the remote and push its main branch.

        As a team with shared storage would, the project gets a default DVC remote (a folder
        here) holding its outputs, so CI pulls the stages a change does not touch.
        """
        run(["git", "remote", "add", "origin", URL], project)
        run(["dvc", "remote", "add", "-d", "team", str(self.root / "dvc-store")], project)
        run(["dvc", "push", "-q"], project)
        self.git(["commit", "-q", "-m", "DVC remote: team storage", ".dvc/config"], project)
        self.git(["push", "-q", "origin", "main"], project)

    def open_pr(self, project: Path, number: int, branch: str) -> tuple[str, dict]:
        """Push ``branch`` as PR ``number`` with the merge ref GitHub makes: (merge, event)."""
        head, base = (
            self.git(["rev-parse", branch], project),
            self.git(["rev-parse", "main"], project),
        )
        refs = [f"{branch}:refs/heads/{branch}", f"{branch}:refs/pull/{number}/head"]
        self.git(["push", "-q", "--force", "origin", *refs], project)
        self.git(["checkout", "-q", "--detach", "main"], project)
        self.git(["merge", "-q", "--no-ff", "--no-edit", branch], project)
        merge = self.git(["rev-parse", "HEAD"], project)
        self.git(["push", "-q", "--force", "origin", f"{merge}:refs/pull/{number}/merge"], project)
        self.git(["checkout", "-q", branch], project)
        self.api.state.heads[number] = head
        return merge, pull_request_event(number, branch, head, base)

    def runner_env(self) -> dict[str, str]:
        """act's environment: the host's, minus this venv and any identity, plus the stand-ins."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("GIT_", "DVC_", "LOCKSTEP_", "VIRTUAL_ENV", "PYTHON"))
        }
        venv_bin = str(Path(sys.executable).parent)
        path = [p for p in env.get("PATH", "").split(os.pathsep) if p and p != venv_bin]
        pip_cache = env.get("PIP_CACHE_DIR") or str(Path.home() / ".cache" / "pip")
        home = self.root / "home"
        home.mkdir(exist_ok=True)
        env.update(self.git_env())
        env.update(
            {
                "HOME": str(home),  # no ~/.actrc, no user git or DVC config
                "PATH": os.pathsep.join([str(HELPERS / "bin"), *path]),
                "PIP_CACHE_DIR": pip_cache,
                "STANDIN_PYTHON": sys.executable,
                "STANDIN_ARTIFACTS": str(self.root / "artifacts"),
            }
        )
        return env

    def checkout_for_act(self, sha: str) -> Path:
        """A clone at ``sha`` for act to read the workflows and github.sha from."""
        self.runs += 1
        where = self.root / f"run{self.runs}"
        run(["git", "clone", "-q", "--no-checkout", URL, str(where)], self.root, **self.git_env())
        run(["git", "fetch", "-q", "origin", sha], where, **self.git_env())
        run(["git", "checkout", "-q", "--detach", sha], where, **self.git_env())
        return where

    def act(
        self,
        event: str,
        workflow: str,
        payload: dict,
        sha: str,
        job: str | None = None,
        inputs: dict[str, str] | None = None,
    ) -> Result:
        """Run ``workflow`` for ``event`` at commit ``sha``; the whole log is in the result."""
        where = self.checkout_for_act(sha)
        event_file = where.parent / f"event{self.runs}.json"
        event_file.write_text(json.dumps(payload))
        args = [str(ACT), event, "-W", f".github/workflows/{workflow}", "-e", str(event_file)]
        args += ["-P", "ubuntu-latest=-self-hosted", "--no-skip-checkout"]
        args += ["--action-offline-mode", "--no-cache-server", "--defaultbranch", "main"]
        args += ["--action-cache-path", str(self.root / "act-cache")]
        args += ["--env", f"GITHUB_API_URL={self.api.url}", "-s", f"GITHUB_TOKEN={TOKEN}"]
        args += ["--env", f"GITHUB_RUN_ID={self.runs}"]  # artifacts are kept per run
        for value in local_repositories(where / ".github" / "workflows"):
            args += ["--local-repository", value]
        for key, value in (inputs or {}).items():
            args += ["--input", f"{key}={value}"]
        if job:
            args += ["-j", job]
        start = time.monotonic()
        proc = subprocess.run(
            args, cwd=where, env=self.runner_env(), capture_output=True, text=True, timeout=900
        )
        seconds = time.monotonic() - start
        (where.parent / f"act{self.runs}.log").write_text(proc.stdout + proc.stderr)
        return Result(proc.returncode, proc.stdout + proc.stderr, seconds)


def push_event(ref: str, before: str, after: str) -> dict:
    """A push event payload (act takes github.sha from ``after``)."""
    repo = {"full_name": REPO, "default_branch": "main", "name": REPO.split("/")[1]}
    return {"ref": ref, "before": before, "after": after, "deleted": False, "repository": repo}


def pull_request_event(number: int, head: str, head_sha: str, base_sha: str) -> dict:
    """The parts of a pull_request event payload the workflows and act read."""
    repo = {"full_name": REPO, "default_branch": "main", "name": REPO.split("/")[1]}
    return {
        "action": "synchronize",
        "number": number,
        "pull_request": {
            "number": number,
            "head": {"ref": head, "sha": head_sha, "repo": repo},
            "base": {"ref": "main", "sha": base_sha, "repo": repo},
        },
        "repository": repo,
    }
