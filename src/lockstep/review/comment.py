"""`lockstep comment`: keep ONE sticky pull-request comment holding the report.

The comment is found by a hidden ``<!-- lockstep:report -->`` line. Every issue comment is
listed (``per_page=100``, following ``Link`` pages, so comment 31 or 301 is still found), the
newest marked one is PATCHed, otherwise a new one is POSTed. Bodies longer than GitHub's 65,536
characters are cut at a line with a visible note. Token from ``GITHUB_TOKEN``; ``--api-url``
(or ``GITHUB_API_URL``, set by Actions) for GitHub Enterprise.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import click

from ..errors import LockstepError
from .github import DEFAULT_API_URL, Client, GitHubError
from .report import MARKER

LIMIT = 65_536
NOTE = (
    "\n\n> [!WARNING]\n> This report was cut to fit GitHub's {limit:,}-character comment limit "
    "({dropped:,} characters left out). The full report is in the workflow run's artifacts.\n"
)
REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$")


def with_marker(body: str, marker: str = MARKER) -> str:
    """The body with the marker as its first line (added when missing)."""
    return body if body.lstrip().startswith(marker) else f"{marker}\n{body}"


def truncate(body: str, limit: int = LIMIT) -> str:
    """``body`` if it fits, else its first lines, open code fences/details closed, and a note."""
    if len(body) <= limit:
        return body
    budget = limit - len(NOTE.format(limit=limit, dropped=len(body))) - len("\n```\n</details>")
    kept = body[: max(0, budget)]
    if "\n" in kept:
        kept = kept[: kept.rfind("\n")]
    fences = sum(line.lstrip().startswith("```") for line in kept.split("\n"))
    closers = "\n```" if fences % 2 else ""
    if kept.count("<details>") > kept.count("</details>"):
        closers += "\n</details>"
    return kept + closers + NOTE.format(limit=limit, dropped=len(body) - len(kept))


def find_sticky(
    comments: list[dict[str, Any]], author: str | None = None, marker: str = MARKER
) -> dict[str, Any] | None:
    """The newest comment by ``author`` (any author if None) whose body carries the marker.

    Filtering by author keeps anyone else who pastes the marker from taking over the report.
    """
    marked = [
        c
        for c in comments
        if marker in (c.get("body") or "")
        and (author is None or (c.get("user") or {}).get("login") == author)
    ]
    return max(marked, key=lambda c: (c.get("created_at") or "", c.get("id") or 0), default=None)


def check_head(client: Client, repo: str, pr: int, head_sha: str) -> None:
    """Refuse to comment unless PR ``pr`` is at ``head_sha`` (guards an untrusted PR number)."""
    data = client.request("GET", f"/repos/{repo}/pulls/{pr}").data or {}
    actual = (data.get("head") or {}).get("sha")
    if actual != head_sha:
        raise LockstepError(
            f"PR #{pr} is at {actual}, not {head_sha}: refusing to comment on a PR that did not "
            "produce this report"
        )


def upsert(
    client: Client, repo: str, pr: int, body: str, author: str | None = None
) -> tuple[str, dict[str, Any]]:
    """Update the sticky comment or create it; returns ('updated' | 'created', the comment)."""
    return upsert_marked(
        client,
        listing=f"/repos/{repo}/issues/{pr}/comments?per_page=100",
        create=f"/repos/{repo}/issues/{pr}/comments",
        update=lambda found: f"/repos/{repo}/issues/comments/{found['id']}",
        payload={"body": body},
        author=author,
    )


def upsert_marked(
    client: Client,
    listing: str,
    create: str,
    update: Any,
    payload: dict[str, Any],
    author: str | None = None,
    marker: str = MARKER,
    keep: Any = None,
) -> tuple[str, dict[str, Any]]:
    """PATCH the newest item of ``listing`` marked by ``author``, else POST ``create``.

    A POST that fails with a 5xx may still have created the item, so it is never resent
    blindly: the items are listed again first, and the new one is PATCHed if it is there.
    ``update`` maps the found item to its API path; ``keep`` (optional) filters the listing.
    """
    for attempt in range(client.retries + 1):
        items = [i for i in client.paginate(listing) if keep is None or keep(i)]
        sticky = find_sticky(items, author, marker)
        if sticky is not None:
            return "updated", client.request("PATCH", update(sticky), payload).data or {}
        try:
            return "created", client.request("POST", create, payload, False).data or {}
        except GitHubError as err:
            if not err.transient or attempt == client.retries:
                raise
            client.pause(attempt, 0.0, f"{err}; listing again before another POST")
    raise AssertionError("unreachable")


def describe(
    client: Client | None, repo: str, pr: int, body: str, author: str | None = None
) -> str:
    """What ``upsert`` would send, without writing (lists comments only when a token is set)."""
    api = client.api_url.rstrip("/") if client else DEFAULT_API_URL
    plan = f"POST {api}/repos/{repo}/issues/{pr}/comments"
    if client is None:
        plan += f", or PATCH the newest comment marked {MARKER} (no GITHUB_TOKEN to look)"
    else:
        found = find_sticky(
            list(client.paginate(f"/repos/{repo}/issues/{pr}/comments?per_page=100")), author
        )
        if found is not None:
            plan = f"PATCH {api}/repos/{repo}/issues/comments/{found['id']}"
    return f"dry run: would {plan} with a {len(body):,}-character body:\n\n{body}"


@click.command("comment")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--pr", type=click.IntRange(min=1), required=True, help="Pull-request number.")
@click.option("--repo", required=True, help="OWNER/NAME of the repository.")
@click.option(
    "--api-url",
    envvar="GITHUB_API_URL",
    show_envvar=True,
    default=DEFAULT_API_URL,
    show_default=True,
    help="REST API root; GitHub Enterprise: https://HOST/api/v3.",
)
@click.option("--head-sha", help="Refuse unless the PR's head commit is this SHA.")
@click.option(
    "--retries",
    type=click.IntRange(0, 10),
    default=4,
    show_default=True,
    help="Retries on 5xx and rate limits.",
)
@click.option(
    "--backoff", type=click.FloatRange(0), default=2.0, show_default=True, help="Seconds."
)
@click.option(
    "--author",
    envvar="LOCKSTEP_COMMENT_AUTHOR",
    show_envvar=True,
    default="github-actions[bot]",
    show_default=True,
    help="Login that posts the report (the token's user); only its marked comments are updated.",
)
@click.option("--dry-run", is_flag=True, help="Print what would be sent; change nothing.")
def command(
    file: Path,
    pr: int,
    repo: str,
    api_url: str,
    head_sha: str | None,
    retries: int,
    backoff: float,
    author: str,
    dry_run: bool,
) -> None:
    """Create or update the one sticky comment on PR --pr with the markdown in FILE."""
    if not REPO.match(repo):
        raise LockstepError(f"--repo '{repo}' must look like OWNER/NAME")
    body = truncate(with_marker(file.read_text(encoding="utf-8")))
    token = os.environ.get("GITHUB_TOKEN", "").strip()
    log = lambda message: click.echo(f"comment: {message}", err=True)  # noqa: E731
    client = Client(token, api_url, retries=retries, backoff=backoff, log=log) if token else None
    if dry_run:
        click.echo(describe(client, repo, pr, body, author))
        return
    if client is None:
        raise LockstepError(
            "GITHUB_TOKEN is not set: pass the workflow token (env: GITHUB_TOKEN: "
            "${{ secrets.GITHUB_TOKEN }}) or a token with pull-requests: write"
        )
    if head_sha:
        check_head(client, repo, pr, head_sha)
    action, comment = upsert(client, repo, pr, body, author)
    click.echo(f"comment: {action} {comment.get('html_url') or comment.get('id', '')}")
