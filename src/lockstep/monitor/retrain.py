"""`lockstep outcomes compare`: the retrained model against production, on production's test
split AND on the recent labelled window (the rows `lockstep outcomes export` builds).

Both models score the same rows, so each judged metric gets a paired test (lockstep.significance:
DeLong for ROC AUC, exact McNemar for accuracy, a seeded paired bootstrap for the rest, at
``gate.confidence``) and a verdict: better, worse or indistinguishable. A row that either model
was trained on is left out, and counted: the window's rows are in the retrained model's training
data, and the split is random, so new rows can move rows of production's test split into the
retrained model's training split. Production is the commit of the version in ``--stage`` (the
registry's tags), else ``--base``; its model and splits are read through DVC at that commit.
The retrained model is the working tree's (after `dvc repro`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import click
import pandas as pd

from ..contract.dataconfig import DataConfig
from ..options import params_option
from ..paths import MODEL_FILE, SPLIT_DIR, TRAIN_SPLIT
from ..review.verdicts import Review, headline_counts, verdict_table
from ..significance import Scores, Settings, compare_all

MARKER = "<!-- lockstep:retrain -->"
TEST_SPLIT = f"{SPLIT_DIR}/test.parquet"
SECTIONS = ("Production's test split", "Recent labelled window")


@dataclass(frozen=True)
class Section:
    title: str
    rows: int  # compared
    left_out: int  # a model was trained on them
    review: Review


def scored(model: Any, rows: pd.DataFrame, data: DataConfig) -> Scores:
    """``rows`` (data-contract rows) scored by ``model``; label 1 = the positive class."""
    y = (rows[data.target].astype(str) == str(data.positive_class)).to_numpy(dtype=int)
    proba = model.predict_proba(rows.drop(columns=[data.target]))[:, 1]
    return Scores(rows[data.id_column].astype(str).to_numpy(), y, proba)


def compare_on(
    title: str,
    rows: pd.DataFrame,
    models: tuple[Any, Any],
    trained: set[str],
    data: DataConfig,
    directions: dict[str, str],
    settings: Settings,
) -> Section:
    """Production (base) and the retrained model (head) on the rows neither was trained on."""
    kept = rows[~rows[data.id_column].astype(str).isin(trained)]
    left_out = len(rows) - len(kept)
    classes = kept[data.target].astype(str).nunique()
    if classes < 2:
        why = f"{len(kept)} held-out row(s) with {classes} class(es): a test needs both classes"
        return Section(
            title, len(kept), left_out, Review(confidence=settings.confidence, missing=why)
        )
    base, head = (scored(m, kept, data) for m in models)
    results = compare_all(base, head, directions, settings)
    return Section(title, len(kept), left_out, Review(results, True, settings.confidence))


def render(sections: list[Section], production: str, directions: dict[str, str]) -> str:
    """Markdown: one verdict table per section; base = production, head = retrained."""
    lines = [
        MARKER,
        "## Retrained model vs production",
        "",
        f"Base: production ({production}). Head: the retrained model on this branch. Both score "
        "the same rows (paired tests); rows either model was trained on are left out.",
        "",
    ]
    for s in sections:
        lines += [f"### {s.title}", "", f"{s.rows} rows compared, {s.left_out} left out.", ""]
        if s.review.comparisons:
            counts = headline_counts(s.review, directions)
            lines += [f"**Verdicts:** {counts}", "", *verdict_table(s.review, directions), ""]
        else:
            lines += [f"_No test: {s.review.missing}._", ""]
    return "\n".join(lines)


def production(root: str, stage: str | None, base: str, artifact: str | None) -> tuple[str, str]:
    """(commit, label): the version in ``stage`` when the registry has one, else ``base``."""
    from ..gitrepo import open_repo
    from .reference import _registry

    registry = _registry(root, artifact) if stage else None
    found = registry.current(stage) if registry else None
    if found is not None:
        return found.commit, f"`{stage}` {found.version} at `{found.commit[:12]}`"
    commit = open_repo(root).commit(base).hexsha
    note = f"; no version is in stage `{stage}`" if stage else ""
    return commit, f"`{base}` at `{commit[:12]}`{note}"


def parquet(data: bytes) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(data))


def sections_for(
    params: dict[str, Any], window: pd.DataFrame, commit: str, root: str = "."
) -> list[Section]:
    """Both sections: production's test split and the window, production vs working tree."""
    from ..config import build, section, threshold
    from ..metric_rules import directions
    from ..modelfile import load_model, loads_model
    from ..review.gate_modes import gate_stats
    from ..scores import WORKSPACE, bytes_at

    data = build(DataConfig, section(params, "data"), "data")
    models = (
        loads_model(bytes_at(commit, root, MODEL_FILE, "train"), f"{MODEL_FILE} at {commit[:12]}"),
        load_model(f"{root}/{MODEL_FILE}"),
    )
    trained: set[str] = set()
    for rev in (commit, WORKSPACE):
        ids = parquet(bytes_at(rev, root, TRAIN_SPLIT, "split"))[data.id_column]
        trained |= set(ids.astype(str))
    test = parquet(bytes_at(commit, root, TEST_SPLIT, "split"))
    settings = gate_stats(params).settings(threshold(params.get("evaluate") or {}))
    judged = directions(params)
    return [
        compare_on(title, rows, models, trained, data, judged, settings)
        for title, rows in zip(SECTIONS, (test, window), strict=True)
    ]


@click.command("compare")
@params_option()
@click.option("--stage", default="prod", show_default=True, help="Production: its version.")
@click.option("--base", default="HEAD", show_default=True, help="Else production's commit.")
@click.option("--store", default=None, help="Outcome store folder (default: monitor.store).")
@click.option("--log-dir", default=None, help="Prediction log folder (default: monitor.log_dir).")
@click.option("--since", default=None, help="Only predictions from this ISO date/time on.")
@click.option("-o", "--output", default=None, help="Write the markdown here, not stdout.")
def compare_command(
    params_path: str,
    stage: str,
    base: str,
    store: str | None,
    log_dir: str | None,
    since: str | None,
    output: str | None,
) -> None:
    """The retrained model (working tree) vs production: test split and labelled window."""
    from ..config import build, load_params, section
    from ..io import write_text
    from ..metric_rules import directions
    from .config import MonitorParams
    from .feedback import window_rows

    params = load_params(params_path)
    data = build(DataConfig, section(params, "data"), "data")
    cfg = build(MonitorParams, section(params, "monitor"), "monitor")
    window = window_rows(data, cfg, store, log_dir, since)
    artifact = (params.get("promote") or {}).get("artifact")
    commit, label = production(".", stage or None, base, artifact)
    text = render(sections_for(params, window, commit), label, directions(params)) + "\n"
    if output:
        write_text(output, text)
        click.echo(f"outcomes compare: wrote {output}", err=True)
    else:
        click.echo(text, nl=False)
