"""`lockstep compare BASE REV...`: one markdown table of several experiments against a base.

A sweep runs one experiment per machine; this puts their results side by side: per experiment,
each judged test-set metric with its change from BASE (✅ better / 🔻 worse by the metric's
direction), the CV figure of the primary metric, and the params it changed. Revisions are read
with the same code as `lockstep report` (DVC's metrics and params at each revision), so an
experiment ref (`refs/exps/...`, after `dvc exp pull`) or any commit works.
"""

from __future__ import annotations

import click

from ..io import write_text
from ..paths import CV_FILE
from .diffs import MISSING, fmt_param, fmt_value, metric_rows, param_changes, table
from .gate import policy
from .revisions import Snapshot

MARKER = "<!-- lockstep:compare -->"
MARKS = {"better": " ✅", "worse": " 🔻", "same": "", "": ""}
MAX_METRICS = 4


def label(rev: str, snap: Snapshot) -> str:
    """An experiment ref reads as its name; anything else as lockstep's revision label."""
    if rev.startswith("refs/exps/"):
        return f"{rev.rsplit('/', 1)[-1]} ({snap.label.split('(')[-1].rstrip(')')})"
    return snap.label


def render(base: Snapshot, heads: dict[str, Snapshot]) -> str:
    directions, _, _ = policy(base.params, base.params)
    judged = [m for m in directions if m in base.metric_file()][:MAX_METRICS]
    primary = judged[0] if judged else None
    header = ["experiment", *(f"`{m}`" for m in judged)]
    header += [f"CV `{primary}`" if primary else "CV", "params changed"]
    rows = [["base " + base.label, *(fmt_value(base.metric_file().get(m)) for m in judged)]]
    rows[0] += [fmt_value(cv_mean(base, primary)), MISSING]
    for rev, snap in heads.items():
        found = {r.name: r for r in metric_rows(base.metric_file(), snap.metric_file(), directions)}
        cells = []
        for metric in judged:
            row = found.get(metric)
            if row is None or row.head is None:
                cells.append(MISSING)
            else:
                cells.append(f"{fmt_value(row.head)} ({row.change or '0'}){MARKS[row.verdict]}")
        changes = param_changes(base.params, snap.params)
        shown = ", ".join(f"`{k}={fmt_param(h)}`" for k, _, h in changes) or "none"
        rows.append([label(rev, snap), *cells, fmt_value(cv_mean(snap, primary)), shown])
    lines = [
        MARKER,
        f"## lockstep sweep: {len(heads)} experiment(s) against `{base.label}`",
        "",
        "Test-set metrics, change from the base in brackets; CV on the training split.",
        "",
        *table(header, rows, "l" + "r" * (len(judged) + 1) + "l"),
    ]
    return "\n".join(lines) + "\n"


def cv_mean(snap: Snapshot, metric: str | None) -> float | None:
    if metric is None:
        return None
    return ((snap.metric_file(CV_FILE).get("cv") or {}).get(metric) or {}).get("mean")


@click.command("compare")
@click.argument("base")
@click.argument("revs", nargs=-1, required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here, not stdout.")
def command(base: str, revs: tuple[str, ...], output: str | None) -> None:
    """One table of REVS (commits or experiment refs) against BASE: metrics, CV, params."""
    from .revisions import load

    snaps = load([base, *revs])
    text = render(snaps[base], {rev: snaps[rev] for rev in revs if rev != base})
    if output:
        write_text(output, text)
        click.echo(f"compare: wrote {output} ({len(revs)} revision(s))", err=True)
    else:
        click.echo(text, nl=False)
