"""Fixtures for the integration tests that run the workflows under act."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import copy_repo
from tests.helpers.act import Workflows


@pytest.fixture
def world(tmp_path: Path, reproduced_project: Path):
    """A remote, a stand-in GitHub API and a developer's clone (``world.project``) of the
    reproduced project, whose outputs are in the team's DVC remote."""
    project = copy_repo(reproduced_project, tmp_path / "dev")
    with Workflows(tmp_path) as w:
        w.publish(project)
        yield w
