"""`lockstep report`: a markdown diff of two revisions for a pull-request comment.

Sections: gate verdict, test-set metrics (base, head, change, better/worse by each metric's
direction), cross-validation, changed params only, data (raw rows, content hash, columns),
validation summary, and ROC / precision-recall curves of base vs head as Mermaid charts.
Metrics and params are read with DVC's Python API (lockstep.revisions). When both revisions
have scored test rows, each judged metric is tested (lockstep.verdicts): better, worse or
indistinguishable at the configured confidence, with the interval of the change.
"""

from __future__ import annotations

from typing import Any

import click

from ..io import write_text
from ..paths import CV_FILE, FAIRNESS_FILE, INGEST_FILE, PLOT_FILES, VALIDATION_FILE
from . import charts, gate, gate_modes, lockcheck
from .diffs import (
    DRIFT_FILE,
    MISSING,
    MONITORING_FILE,
    drift_section,
    fmt_change,
    fmt_value,
    metric_rows,
    monitoring_section,
    param_changes,
    table,
)
from .fairness import report_section
from .revisions import WORKSPACE, Snapshot
from .verdicts import Review, cv_table, headline_counts, param_rows, review_notes, verdict_table

MARKER = "<!-- lockstep:report -->"
CURVES = (
    ("ROC (test set)", "false positive rate", "true positive rate"),
    ("Precision-recall (test set)", "recall", "precision"),
)
VERDICTS = {"better": "✅ better", "worse": "🔻 worse", "same": "= same", "": ""}


def metrics_table(base: dict, head: dict, directions: dict[str, str], alias: str = "") -> list[str]:
    rows = []
    for r in metric_rows(base, head, directions, alias):
        values = [fmt_value(r.base), fmt_value(r.head), r.change, r.relative]
        rows.append([f"`{r.name}`", *values, VERDICTS[r.verdict]])
    if not rows:
        return ["_No metrics at either revision: run `dvc repro` and commit the reports._"]
    return table(["metric", "base", "head", "change", "%", ""], rows, "lrrrrl")


def gate_section(
    checks: list[gate.Check], source: str, stale_lock: bool = False, mode: str = "tolerance"
) -> list[str]:
    failed = [f"`{c.metric}`" for c in checks if c.failed] + ["`dvc.lock`"] * stale_lock
    head = "### ❌ Gate failed: " + ", ".join(failed) if failed else "### ✅ Gate passed"
    lines = [head, "", f"Mode: `{mode}`.", ""]
    for c in checks:
        mark = "❌" if c.failed else "✔️"
        lines.append(f"- {mark} `{c.metric}`: {c.reason}")
    if not checks:
        lines.append("- no metric has a tolerance in `gate.tolerances`")
    if stale_lock:
        lines.append("- ❌ `dvc.lock`: stale, and `gate.require_fresh_lock` is true")
    if source == "head":
        lines.append("- the base revision has no `gate` section: the head's tolerances were used")
    return lines


def data_section(base: dict | None, head: dict | None) -> list[str]:
    base, head = base or {}, head or {}
    rows = []
    for key in ("rows", "content_hash"):
        b, h = base.get(key), head.get(key)
        if key == "content_hash":
            shown = [f"`{v[:12]}`" if isinstance(v, str) else MISSING for v in (b, h)]
            rows.append(["content hash", *shown, "unchanged" if b == h else "**changed**"])
        else:
            change = fmt_change(b, h)[0] if b != h else "unchanged"
            rows.append(["raw rows", fmt_value(b), fmt_value(h), change or MISSING])
    b_cols, h_cols = base.get("columns") or [], head.get("columns") or []
    added = [c for c in h_cols if c not in b_cols]
    removed = [c for c in b_cols if c not in h_cols]
    lines = table(["data", "base", "head", "change"], rows, "lrrl")
    if added or removed:
        lines += [
            "",
            f"Columns added: {', '.join(added) or 'none'}; "
            f"removed: {', '.join(removed) or 'none'}.",
        ]
    return lines


def validation_section(base: dict | None, head: dict | None) -> list[str]:
    def cells(v: dict | None) -> list[str]:
        if not v:
            return [MISSING] * 4
        failures = v.get("failures") or {}
        dropped = v.get("dropped_columns") or []
        passed = "✅ passed" if v.get("passed") else "❌ failed"
        return [passed, fmt_value(v.get("rows_checked")), str(len(failures)), str(len(dropped))]

    rows = [[label, *cells(v)] for label, v in (("base", base), ("head", head))]
    lines = table(["", "result", "rows checked", "failed checks", "dropped columns"], rows, "llrrr")
    for name, detail in sorted(((head or {}).get("failures") or {}).items()):
        lines.append(f"- head: `{name}`: {fmt_value(detail)}")
    return lines


def curves_section(base: Snapshot, head: Snapshot) -> list[str]:
    specs = zip(PLOT_FILES, (charts.roc_series, charts.pr_series), CURVES, strict=True)
    blocks = [
        charts.xychart(*labels, series(base.files.get(path)), series(head.files.get(path)))
        for path, series, labels in specs
    ]
    blocks = [b for b in blocks if b]
    if not blocks:
        return ["_No plot data at either revision._"]
    legend = f"Grey: base `{base.label}`. Blue: head `{head.label}`."
    return [legend, "", *"\n\n".join(blocks).split("\n")]


def fairness_section(base: Snapshot, head: Snapshot) -> list[str]:
    """Disparities base vs head; limits are the base's ``gate.fairness_limits``, as for the gate."""
    limits = gate.fairness_limits(base.params, head.params)
    return report_section(base.metric_file(FAIRNESS_FILE), head.metric_file(FAIRNESS_FILE), limits)


def stale_note(snap: Snapshot) -> list[str]:
    if not snap.stale:
        return []
    stages = ", ".join(f"`{s}`" for s in snap.stale)
    return [
        "> [!WARNING]",
        f"> The working tree is not reproduced ({stages} changed since `dvc.lock`): these numbers",
        "> are from the last run. Run `dvc repro` first.",
        "",
    ]


def lock_note(fresh: lockcheck.Freshness | None) -> list[str]:
    """Whether the committed dvc.lock is what CI reproduced (only when it was checked)."""
    if fresh is None:
        return []
    if not fresh.stale:
        return [f"**dvc.lock:** ✅ {fresh.summary()}.", ""]
    return ["> [!WARNING]", f"> **dvc.lock** is {fresh.summary()}.", ""]


def headline(
    rows: list, changes: int, base_data: dict | None, head_data: dict | None, tested: str = ""
) -> str:
    """One line: judged metrics by verdict (``tested``) or by sign, params and data changed."""
    counts = {v: sum(r.verdict == v for r in rows) for v in ("better", "worse", "same")}
    b, h = base_data or {}, head_data or {}
    data_changed = (b.get("content_hash"), b.get("rows")) != (h.get("content_hash"), h.get("rows"))
    metrics = tested or (
        f"{counts['better']} better, {counts['worse']} worse, {counts['same']} unchanged"
    )
    return (
        f"**Metrics:** {metrics} · **Params:** {changes} changed · "
        f"**Data:** {'changed' if data_changed else 'unchanged'}"
    )


def test_metrics_section(base: Snapshot, head: Snapshot, directions: dict, review: Review) -> list:
    raw = metrics_table(base.metric_file(), head.metric_file(), directions)
    if not review.comparisons:
        return [*raw, "", *review_notes(review)]
    return [
        *verdict_table(review, directions),
        "",
        *review_notes(review),
        "",
        "<details><summary>Every metric (raw change, untested)</summary>",
        "",
        *raw,
        "",
        "</details>",
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
    directions, tols, source = gate.policy(base.params, head.params)
    required = gate.require_fresh_lock(base.params if source == "base" else head.params)
    review = review or Review(missing="no scored test rows were read")
    checks = gate.check(base.metric_file(), head.metric_file(), directions, tols)
    stats = gate_modes.gate_stats(base.params if source == "base" else head.params)
    if stats.mode != "tolerance":
        checks = gate_modes.restate(checks, directions, tols, stats.mode, review.comparisons)
    changes = param_changes(base.params, head.params)
    rows_of_params = param_rows(base.params, head.params, changes)
    tested = headline_counts(review, directions) if review.comparisons else ""
    lines = [
        MARKER,
        f"## lockstep report: `{base.label}` → `{head.label}`",
        "",
        headline(
            metric_rows(base.metric_file(), head.metric_file(), directions),
            len(changes),
            base.files.get(INGEST_FILE),
            head.files.get(INGEST_FILE),
            tested,
        ),
        "",
        *stale_note(head),
        *lock_note(fresh),
        *gate_section(checks, source, bool(fresh and fresh.stale and required), stats.mode),
        "",
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
        *(table(["param", "base", "head"], rows_of_params) if changes else ["No params changed."]),
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
