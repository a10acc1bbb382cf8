"""The sections of `lockstep report`: each a list of markdown lines, base vs head.

Gate verdict, test-set metrics (base, head, change, better/worse by each metric's direction), data
(raw rows, content hash, columns), validation summary, fairness, ROC / precision-recall curves as
Mermaid charts, and the notes on a stale working tree or dvc.lock. lockstep.review.report puts
them together.
"""

from __future__ import annotations

from ..paths import FAIRNESS_FILE, PLOT_FILES
from . import charts, gate, lockcheck
from .diffs import MISSING, fmt_change, fmt_value, metric_rows, table
from .fairness import report_section
from .revisions import Snapshot
from .verdicts import Review, review_notes, verdict_table

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
