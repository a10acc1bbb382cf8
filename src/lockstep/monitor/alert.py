"""`lockstep monitor alert`: keep ONE GitHub issue, "lockstep monitor", in step with monitoring.

The issue is found by a hidden ``<!-- lockstep:monitor -->`` line in its body, posted by
``--author``, among the repository's open issues (100 a page, following ``Link``), with the
same client, retries and marker rules as `lockstep comment`. Degraded, concept drift or data
drift: the issue is created or its body updated with the latest table. Healthy: an open issue
is updated and closed. Too few labels to judge: an open issue is updated, none is created.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from ..errors import LockstepError
from ..review.comment import REPO, truncate, upsert_marked, with_marker
from ..review.github import DEFAULT_API_URL, Client
from .config import MONITORING_REPORT

MARKER = "<!-- lockstep:monitor -->"
TITLE = "lockstep monitor"
ALERTS = ("degraded", "concept drift", "data drift")


def body(result: dict[str, Any], run_url: str | None = None) -> str:
    from .command import table

    ab = result.get("ab") or {}
    lines = [
        f"**Status: {result['status']}** ({result['labelled']} of {result['predictions']} "
        f"predictions labelled, coverage {result['coverage']:.1%})",
        "",
    ]
    if ab.get("verdict") and "difference" in ab:
        lines += [
            f"Canary vs prod on {ab['metric']}: **{ab['verdict']}** (difference "
            f"{ab['difference']:+.4f}, 95% interval {ab['interval'][0]:+.4f} to "
            f"{ab['interval'][1]:+.4f}, p = {ab['p_value']:.3g}; "
            f"{ab['more_labels_needed']} more labelled outcomes would settle it)",
            "",
        ]
    lines += ["```", table(result), "```"]
    if run_url:
        lines += ["", f"Run: {run_url}"]
    return truncate(with_marker("\n".join(lines), MARKER))


def is_issue(item: dict[str, Any]) -> bool:
    """The issues API lists pull requests too; they carry a ``pull_request`` key."""
    return "pull_request" not in item


def sync(
    client: Client, repo: str, result: dict[str, Any], author: str | None, text: str
) -> tuple[str, dict[str, Any] | None]:
    """('created' | 'updated' | 'closed' | 'nothing', the issue)."""
    listing = f"/repos/{repo}/issues?state=open&per_page=100"
    alert = result["status"] in ALERTS
    if alert:
        return upsert_marked(
            client,
            listing,
            f"/repos/{repo}/issues",
            lambda found: f"/repos/{repo}/issues/{found['number']}",
            {"title": TITLE, "body": text},
            author,
            MARKER,
            keep=is_issue,
        )
    from ..review.comment import find_sticky

    issues = [i for i in client.paginate(listing) if is_issue(i)]
    found = find_sticky(issues, author, MARKER)
    if found is None:
        return "nothing", None
    closing = result["status"] == "healthy"
    payload = {"body": text, **({"state": "closed"} if closing else {})}
    issue = client.request("PATCH", f"/repos/{repo}/issues/{found['number']}", payload).data
    return ("closed" if closing else "updated"), issue


@click.command("alert")
@click.argument("report", default=MONITORING_REPORT)
@click.option("--repo", required=True, help="OWNER/NAME of the repository.")
@click.option("--api-url", envvar="GITHUB_API_URL", default=DEFAULT_API_URL, show_default=True)
@click.option(
    "--author",
    envvar="LOCKSTEP_COMMENT_AUTHOR",
    default="github-actions[bot]",
    show_default=True,
    help="Login that posts the issue; only its issue is updated.",
)
@click.option("--run-url", default=None, help="Link to the workflow run, shown in the issue.")
@click.option("--retries", type=click.IntRange(0, 10), default=4, show_default=True)
@click.option(
    "--backoff", type=click.FloatRange(0), default=2.0, show_default=True, help="Seconds."
)
@click.option("--dry-run", is_flag=True, help="Print the issue body; change nothing.")
def command(
    report: str,
    repo: str,
    api_url: str,
    author: str,
    run_url: str | None,
    retries: int,
    backoff: float,
    dry_run: bool,
) -> None:
    """Create, update or close the one "lockstep monitor" issue from REPORT (`lockstep monitor`)."""
    if not REPO.match(repo):
        raise LockstepError(f"--repo '{repo}' must look like OWNER/NAME")
    if not Path(report).is_file():
        raise LockstepError(f"{report} not found: run `lockstep monitor` first")
    result = json.loads(Path(report).read_text(encoding="utf-8"))
    text = body(result, run_url)
    if dry_run:
        click.echo(text)
        return
    token = os.environ.get("GITHUB_TOKEN", "").strip()
    if not token:
        raise LockstepError("GITHUB_TOKEN is not set: the job needs a token with issues: write")
    log = lambda message: click.echo(f"alert: {message}", err=True)  # noqa: E731
    client = Client(token, api_url, retries=retries, backoff=backoff, log=log)
    action, issue = sync(client, repo, result, author, text)
    click.echo(f"alert: {action} {(issue or {}).get('html_url', '')}".rstrip())
