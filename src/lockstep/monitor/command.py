"""The `lockstep monitor` and `lockstep outcomes` commands: read, report, write, print."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..config import build, load_params, section
from ..contract.dataconfig import DataConfig
from ..errors import LockstepError
from ..io import write_json
from ..options import params_option
from ..paths import MONITORING_FILE, MONITORING_PLOTS, TRAIN_SPLIT
from .config import MONITORING_REPORT, MonitorParams, duration, since_time
from .feedback import export_command
from .retrain import compare_command
from .stats import rounded_tree

DEFAULT_REFERENCE = TRAIN_SPLIT
PLOTS_DIR = str(Path(MONITORING_PLOTS[0]).parent)


def context(
    params: dict[str, Any], reference: str | None, test_metrics: str | None, versions: list[str]
) -> Any:
    from ..metric_rules import directions
    from .drift import DriftParams, conform, read_batch
    from .live import Context
    from .reference import test_metrics as resolve

    data = build(DataConfig, section(params, "data"), "data")
    cfg = build(MonitorParams, section(params, "monitor"), "monitor")
    drift = build(DriftParams, params.get("drift") or {}, "drift")
    if reference is None and Path(DEFAULT_REFERENCE).exists():
        reference = DEFAULT_REFERENCE
    ref = (
        conform(read_batch(reference, "reference"), data, "reference", reference)
        if (reference)
        else None
    )
    primary = str((params.get("promote") or {}).get("primary_metric", "roc_auc"))
    artifact = (params.get("promote") or {}).get("artifact")
    tests = resolve(versions, ".", artifact, test_metrics)
    return Context(data, cfg, directions(params), primary, tests, ref, drift)


HEAD = ("window", "model", "version", "predictions", "labelled", "coverage")
SHOWN = ("roc_auc", "brier", "precision", "recall")


def table(result: dict[str, Any]) -> str:
    """One row per window and model, then the status and the A/B verdict."""
    from tabulate import tabulate

    rows = []
    for w in result["windows"]:
        metrics = w.get("metrics") or {}
        values = [(metrics.get(k) or {}).get("value") for k in SHOWN]
        flags = [w.get("degraded", "-"), w.get("concept_drift", "-")]
        rows.append([w["window"][:16], *(w[k] for k in HEAD[1:]), *values, *flags])
    headers = [*HEAD, *SHOWN, "degraded", "concept"]
    body = tabulate(rows, headers=headers, floatfmt=".4g", missingval="-")
    ab = result.get("ab") or {}
    verdict = f"; canary vs prod: {ab['verdict']}" if ab else ""
    return f"{body}\n\nstatus: {result['status']}{verdict}"


FLAGS = ("degraded", "concept_drift", "data_drift", "predictions", "labelled", "coverage")


def numbers_only(result: dict[str, Any]) -> dict[str, Any]:
    """The DVC metric (reports/monitoring.json): the summary's numbers and flags, no text."""

    def keep(tree: Any) -> Any:
        if isinstance(tree, dict):
            kept = {k: keep(v) for k, v in tree.items()}
            return {k: v for k, v in kept.items() if v is not None and v != {}}
        return tree if isinstance(tree, bool | int | float) else None

    top = {k: result[k] for k in (*FLAGS, "outcomes", "log", "latest") if k in result}
    ab = result.get("ab") or {}
    if "difference" in ab:
        low, high = ab["interval"]
        top["ab"] = {
            **{k: ab[k] for k in ("difference", "p_value", "more_labels_needed")},
            **{"low": low, "high": high},
            **{"better": ab["verdict"] == "better", "worse": ab["verdict"] == "worse"},
        }
    return keep(top)


@click.command("monitor")
@click.option("--window", default=None, help="Window length, e.g. 7d, 1d, 12h (monitor.window).")
@click.option("--since", default=None, help="Only predictions from this ISO date/time on.")
@click.option("--log-dir", default=None, help="Prediction log folder (monitor.log_dir).")
@click.option("--store", default=None, help="Outcome store folder (monitor.store).")
@click.option(
    "--reference", default=None, help=f"Rows for input drift (default {DEFAULT_REFERENCE})."
)
@click.option("--test-metrics", default=None, help="Compare with this metrics.json instead.")
@click.option("--output", default=MONITORING_REPORT, show_default=True, help="Full report.")
@click.option(
    "--metrics", default=MONITORING_FILE, show_default=True, help="DVC metric: numbers only."
)
@click.option("--plots-dir", default=PLOTS_DIR, show_default=True)
@params_option()
@click.option("--fail-on-alert", is_flag=True, help="Exit 1 when degraded or concept drift.")
def command(
    window: str | None,
    since: str | None,
    log_dir: str | None,
    store: str | None,
    reference: str | None,
    test_metrics: str | None,
    output: str,
    metrics: str,
    plots_dir: str,
    params_path: str,
    fail_on_alert: bool,
) -> None:
    """Join the prediction log with outcomes: live metrics, degradation, concept drift, A/B."""
    from .live import report
    from .logs import read_predictions
    from .outcomes import read_store

    params = load_params(params_path)
    cfg = build(MonitorParams, section(params, "monitor"), "monitor")
    width = duration(window or cfg.window, "--window")
    predictions, log_counts = read_predictions(log_dir or cfg.log_dir)
    if log_counts["skipped_lines"]:
        click.echo(
            f"monitor: skipped {log_counts['skipped_lines']} line(s) of the prediction log that "
            "are not complete records (e.g. a torn last line); counted under log.skipped_lines",
            err=True,
        )
    outcomes = read_store(store or cfg.store)
    ctx = context(params, reference, test_metrics, sorted(predictions["version"].unique()))
    result, plots = report(predictions, outcomes, log_counts, ctx, since_time(since), width)
    result["window"] = window or cfg.window
    result = rounded_tree(result, 12)
    write_json(output, result)
    write_json(metrics, numbers_only(result))
    for name, rows in plots.items():
        write_json(f"{plots_dir}/{name}.json", rounded_tree(rows, 12))
    click.echo(table(result))
    if fail_on_alert and (result["degraded"] or result["concept_drift"]):
        raise click.exceptions.Exit(1)


def summary(counts: dict[str, Any]) -> str:
    from .outcomes import REJECTIONS

    kinds = ["rows", "accepted", "duplicate", *REJECTIONS]
    return "\n".join(f"  {k:<18} {counts[k]}" for k in kinds)


@click.group("outcomes")
def outcomes() -> None:
    """Ground-truth labels for logged predictions (the outcome store)."""


@outcomes.command("add")
@click.argument("file")
@params_option()
@click.option("--store", default=None, help="Outcome store folder (default: monitor.store).")
@click.option("--log-dir", default=None, help="Prediction log folder (default: monitor.log_dir).")
@click.option("--pseudonymized", is_flag=True, help="Ids in FILE are already pseudonymized.")
@click.option("--accept-partial", is_flag=True, help="Store the good rows despite rejections.")
def add_command(
    file: str,
    params_path: str,
    store: str | None,
    log_dir: str | None,
    pseudonymized: bool,
    accept_partial: bool,
) -> None:
    """Check FILE (CSV, Parquet or JSONL: id, label, observed time) and append it to the store."""
    params = load_params(params_path)
    data = build(DataConfig, section(params, "data"), "data")
    cfg = build(MonitorParams, section(params, "monitor"), "monitor")
    from .outcomes import REJECTIONS, add

    counts = add(
        file, data, cfg, pseudonymized, accept_partial, log_dir or cfg.log_dir, store or cfg.store
    )
    click.echo(f"outcomes: {file}\n{summary(counts)}")
    if counts["part"]:
        click.echo(f"outcomes: {counts['accepted']} new outcome(s) -> {counts['part']}")
    elif sum(counts[k] for k in REJECTIONS) and not accept_partial:
        raise LockstepError(
            f"{file}: {sum(counts[k] for k in REJECTIONS)} row(s) rejected (counts above); the "
            "store is unchanged. Fix the file, or pass --accept-partial to store the good rows"
        )
    else:
        click.echo("outcomes: nothing new to store")


outcomes.add_command(export_command)
outcomes.add_command(compare_command)
