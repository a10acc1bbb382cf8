"""lockstep.review.plots: an HTML template and a `dvc plots show` page that load nothing remote."""

from __future__ import annotations

import re

import pytest

from tests.conftest import run

pytest.importorskip("vl_convert")

from lockstep.review.plots import offline_template


def remote_sources(html: str) -> list[str]:
    return re.findall(r"""<script[^>]+src\s*=\s*["']?(https?:[^"' >]+)""", html, flags=re.I)


@pytest.mark.slow  # vl-convert builds the JavaScript bundle: seconds
def test_the_template_inlines_vega_and_keeps_dvc_placeholder_only_for_plots():
    html = offline_template()
    assert "{plot_divs}" in html
    assert "{scripts}" not in html  # DVC would insert its CDN script tags there
    assert remote_sources(html) == []
    assert "vegaEmbed" in html


@pytest.mark.slow
def test_lockstep_plots_renders_a_page_with_no_remote_script(project):
    run(["lockstep", "plots"], project)
    html = (project / "dvc_plots/index.html").read_text(encoding="utf-8")
    assert remote_sources(html) == []
    assert "vegaEmbed('#" in html  # the plots themselves are in the page
    status = run(["git", "status", "--porcelain"], project).stdout
    assert "dvc_plots" not in status  # git-ignored
