"""lockstep report and gate on two commits of real pipeline runs, a param changed between."""

from __future__ import annotations

import json

import pytest

from lockstep.metric_rules import verdict
from lockstep.review.diffs import fmt_change, fmt_value
from lockstep.review.sections import VERDICTS
from tests.conftest import BASELINE_THRESHOLD, commit_all, run

pytestmark = pytest.mark.slow

THRESHOLD = f"threshold: {BASELINE_THRESHOLD}"


def metrics_at(repo, rev: str) -> dict:
    return json.loads(run(["git", "show", f"{rev}:reports/metrics.json"], repo).stdout)


def body(report: str) -> str:
    """The report without the parts that name revisions (title, curve legend)."""
    return report.split("### Test-set metrics")[1].split("### Curves")[0]


def test_report_matches_both_metrics_files(baseline):
    project = baseline
    config = project / "conf/config.yaml"
    assert THRESHOLD in config.read_text()
    config.write_text(config.read_text().replace(THRESHOLD, "threshold: 0.35"))
    run(["lockstep", "params"], project)
    run(["dvc", "repro"], project)

    preview = run(["lockstep", "report", "--base", "HEAD"], project).stdout
    commit_all(project, "lower the decision threshold")
    run(["lockstep", "report", "--base", "HEAD~1", "--head", "HEAD", "-o", "pr.md"], project)
    text = (project / "pr.md").read_text()
    assert body(text) == body(preview)  # the workspace preview said the same before the commit

    base, head = metrics_at(project, "HEAD~1"), metrics_at(project, "HEAD")
    for name, way in {"recall": "higher", "precision": "higher", "roc_auc": "higher"}.items():
        change, relative = fmt_change(base[name], head[name])
        judged = VERDICTS[verdict(way, base[name], head[name])]
        row = f"| `{name}` | {fmt_value(base[name])} | {fmt_value(head[name])} | {change} |"
        assert f"{row} {relative} | {judged} |" in text
    assert head["recall"] > base["recall"] and "| `recall` |" in text
    assert head["roc_auc"] == base["roc_auc"]

    params = text.split("### Params")[1].split("###")[0]
    assert (
        "(1 changed)" in params
        and f"| `evaluate.threshold` | `{BASELINE_THRESHOLD}` | `0.35` |" in params
    )
    assert "| content hash |" in text and "unchanged" in text
    assert text.count("xychart-beta") == 2

    gate = run(["lockstep", "gate", "--base", "HEAD~1"], project)
    assert "gate passed" in gate.stdout and "roc_auc" in gate.stdout


def test_missing_base_revision_is_explained(project):
    result = run(["lockstep", "report", "--base", "no-such-branch"], project, check=False)
    assert result.returncode == 1
    assert "revision 'no-such-branch' not found" in result.stderr
    assert "fetch-depth: 0" in result.stderr
