"""Train and evaluate at scale for bench/scaling.py: a model family, and before/after code.

``--family NAME`` swaps the params' ``model`` section for conf/model/NAME.yaml (composed as
`lockstep params model=NAME` would). ``--before REV`` exports REV's ``src/`` and runs the model
stages with that code and with this checkout's in turn, ABBA order (before, after, after, before,
...), on the same data, so load from other jobs falls on both alike. Each line prints the load
average; the summary gives medians, ratios and the 1M-row targets.
"""

from __future__ import annotations

import os
import statistics
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

STAGES = ("train", "evaluate")
TARGET_SECONDS = 60.0  # train + evaluate of hist_gradient_boosting at 1M rows
TARGET_RSS_MB = 1.2 * 1024


def family_model(root: Path, family: str) -> dict[str, Any]:
    """The ``model`` section that `lockstep params model=FAMILY` composes."""
    from lockstep.compose import compose

    return yaml.safe_load(compose(root / "conf", (f"model={family}",)))["model"]


def export_code(root: Path, rev: str, folder: Path) -> Path:
    """REV's ``src/`` unpacked into ``folder``; the path to put on PYTHONPATH."""
    folder.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", rev, "src"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder / "src"


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def run_models(
    rows: int,
    work: Path,
    runner: Callable[..., Any],
    env: dict[str, str],
    before: Path | None,
    repeats: int,
) -> list[Any]:
    """Train then evaluate, ``repeats`` times per code version; the measures, labelled."""
    versions = [("after", None)] if before is None else [("before", before), ("after", None)]
    measures = []
    for repeat in range(repeats):
        order = versions if repeat % 2 == 0 else versions[::-1]
        for label, code in order:
            for stage in STAGES:
                start_load = load()
                m = runner(stage, rows, work, env, code)
                m = type(m)(m.rows, f"{stage} ({label})", m.seconds, m.cpu, m.rss_mb)
                measures.append(m)
                print(
                    f"  {rows:>9} rows  {m.stage:<18} {m.seconds:7.2f} s  (CPU {m.cpu:6.2f} s)  "
                    f"{m.rss_mb:7.0f} MB  load {start_load} -> {load()}",
                    flush=True,
                )
    return measures


def summary(measures: list[Any], rows: int) -> list[str]:
    """Medians per stage and version, before/after ratios, and the targets at this size."""
    out = []
    labels = sorted({m.stage.split("(")[1].rstrip(")") for m in measures}, reverse=True)
    median: dict[str, dict[str, float]] = {}
    for label in labels:
        runs = {s: [m for m in measures if m.stage == f"{s} ({label})"] for s in STAGES}
        wall = sum(statistics.median(m.seconds for m in runs[s]) for s in STAGES)
        cpu = sum(statistics.median(m.cpu for m in runs[s]) for s in STAGES)
        rss = max(m.rss_mb for s in STAGES for m in runs[s])
        median[label] = {"wall": wall, "cpu": cpu, "rss": rss}
        per_stage = ", ".join(
            f"{s} {statistics.median(m.seconds for m in runs[s]):.1f} s" for s in STAGES
        )
        out.append(
            f"  {label:<6} {rows} rows: train + evaluate {wall:.1f} s wall ({per_stage}), "
            f"{cpu:.1f} s CPU, peak RSS {rss:.0f} MB (medians of {len(runs['train'])})"
        )
    if len(median) == 2:
        b, a = median["before"], median["after"]
        out.append(
            f"  after/before: wall {a['wall'] / b['wall']:.2f}, CPU {a['cpu'] / b['cpu']:.2f}, "
            f"peak RSS {a['rss'] / b['rss']:.2f}"
        )
    if rows == 1_000_000:
        a = median["after"]
        out.append(
            f"  target at 1M rows: under {TARGET_SECONDS:.0f} s -> {a['wall']:.1f} s wall "
            f"({'holds' if a['wall'] < TARGET_SECONDS else 'MISSED'}; {a['cpu']:.1f} s CPU), "
            f"under {TARGET_RSS_MB:.0f} MB -> {a['rss']:.0f} MB "
            f"({'holds' if a['rss'] < TARGET_RSS_MB else 'MISSED'})"
        )
    return out
