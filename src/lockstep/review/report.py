"""`lockstep report`: a markdown diff of two revisions for a pull-request comment.

Sections: gate verdict, test-set metrics (base, head, change, better/worse by each metric's
direction), cross-validation, changed params only, data (raw rows, content hash, columns),
validation summary, and ROC / precision-recall curves of base vs head as Mermaid charts.
Metrics and params are read with DVC's Python API (lockstep.revisions). When both revisions
have scored test rows, each judged metric is tested (lockstep.verdicts): better, worse or
indistinguishable at the configured confidence, with the interval of the change.
"""

from typing import Any

import click

from ..io import write_text
from ..paths import CV_FILE, INGEST_FILE, VALIDATION_FILE
from . import gate, gate_modes, lockcheck
from .diffs import (
    DRIFT_FILE,
    MONITORING_FILE,
    drift_section,
    metric_rows,
    monitoring_section,
    param_changes,
    table,
)
from .revisions import WORKSPACE, Snapshot
from .sections import (
    curves_section,
    data_section,
    fairness_section,
    gate_section,
    headline,
    lock_note,
    stale_note,
    test_metrics_section,
    validation_section,
)
from .verdicts import Review, cv_table, headline_counts, param_rows

MARKER = "<!-- lockstep:report -->"


def summary(
    base: Snapshot, head: Snapshot, fresh: lockcheck.Freshness | None, review: Review, changes: int
) -> list[str]:
    """The title, the headline, the notes on a stale tree or dvc.lock, and the gate's verdict."""
    directions, tols, source = gate.policy(base.params, head.params)
    gate_params = base.params if source == "base" else head.params
    required = gate.require_fresh_lock(gate_params)
    checks = gate.check(base.metric_file(), head.metric_file(), directions, tols)
    stats = gate_modes.gate_stats(gate_params)
    if stats.mode != "tolerance":
        checks = gate_modes.restate(checks, directions, tols, stats.mode, review.comparisons)
    tested = headline_counts(review, directions) if review.comparisons else ""
    rows = metric_rows(base.metric_file(), head.metric_file(), directions)
    ingested = base.files.get(INGEST_FILE), head.files.get(INGEST_FILE)
    return [
        MARKER,
        f"## lockstep report: `{base.label}` → `{head.label}`",
        "",
        headline(rows, changes, *ingested, tested),
        "",
        *stale_note(head),
        *lock_note(fresh),
        *gate_section(checks, source, bool(fresh and fresh.stale and required), stats.mode),
        "",
    ]


def body(
    base: Snapshot, head: Snapshot, review: Review, changes: list, explained: list[str] | None
) -> list[str]:
    """Every section after the gate: metrics, cross-validation, params, data, ..., curves."""
    directions = gate.policy(base.params, head.params)[0]
    params = param_rows(base.params, head.params, changes)
    return [
        "### Test-set metrics",
        "",
        *test_metrics_section(base, head, directions, review),
        "",
        "<details><summary>Cross-validation (training set)</summary>",
        "",
        *cv_table(base.metric_file(CV_FILE), head.metric_file(CV_FILE)),
        "",
        "</details>",
        "",
        *(explained or []),
        f"### Params ({len(changes)} changed)",
        "",
        *(table(["param", "base", "head"], params) if changes else ["No params changed."]),
        "",
        "### Data",
        "",
        *data_section(base.files.get(INGEST_FILE), head.files.get(INGEST_FILE)),
        "",
        "### Validation",
        "",
        *validation_section(base.files.get(VALIDATION_FILE), head.files.get(VALIDATION_FILE)),
        "",
        *drift_section(base.metric_file(DRIFT_FILE), head.metric_file(DRIFT_FILE)),
        *monitoring_section(base.metric_file(MONITORING_FILE), head.metric_file(MONITORING_FILE)),
        *fairness_section(base, head),
        "### Curves",
        "",
        *curves_section(base, head),
    ]


def render(
    base: Snapshot,
    head: Snapshot,
    run_url: str | None = None,
    fresh: lockcheck.Freshness | None = None,
    review: Review | None = None,
    explained: list[str] | None = None,
) -> str:
    """The whole report as markdown, starting with the sticky-comment marker.

    ``fresh``: how the committed dvc.lock compares with the reproduced one, when it was checked.
    ``review``: the tested comparisons of both revisions' scored rows (lockstep.review.verdicts).
    ``explained``: the explain section (lockstep.review.explain_run.for_report), when asked for.
    """
    review = review or Review(missing="no scored test rows were read")
    changes = param_changes(base.params, head.params)
    lines = [
        *summary(base, head, fresh, review, len(changes)),
        *body(base, head, review, changes, explained),
    ]
    if run_url:
        lines += [
            "",
            f"Full report and `dvc plots diff` HTML: [workflow run artifacts]({run_url}).",
        ]
    return "\n".join(lines) + "\n"


@click.command("report")
@click.option("--base", required=True, help="Git revision to compare against (e.g. origin/main).")
@click.option("--head", default=WORKSPACE, show_default=True, help="Revision or 'workspace'.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here, not stdout.")
@click.option("--run-url", help="Link to the CI run that holds the artifacts.")
@click.option(
    "--check-lock",
    "lock_rev",
    metavar="REV",
    help="Say whether dvc.lock committed at REV matches the reproduced one in the working tree.",
)
@click.option(
    "--explain/--no-explain",
    default=None,
    help="Add `lockstep explain`'s split of the change (pipeline runs) [default: report.explain].",
)
def command(
    base: str,
    head: str,
    output: str | None,
    run_url: str | None,
    lock_rev: str | None,
    explain: bool | None,
) -> None:
    """Markdown metric, param and data diff of HEAD (or the working tree) against BASE."""
    from .explain_run import for_report, report_settings
    from .revisions import load
    from .verdicts import build_review

    snaps: dict[str, Any] = load([base, head])
    fresh = lockcheck.check(lock_rev) if lock_rev else None
    b, h = snaps[base], snaps[head]
    review = build_review(base, head, b.params if "gate" in b.params else h.params)
    settings = report_settings(h.params if "report" in h.params else b.params)
    wanted = settings.explain if explain is None else explain
    explained = for_report(base, head, settings.explain_metric) if wanted else None
    text = render(b, h, run_url, fresh, review, explained)
    if output:
        write_text(output, text)
        click.echo(f"report: wrote {output} ({snaps[base].label} -> {snaps[head].label})", err=True)
    else:
        click.echo(text, nl=False)
