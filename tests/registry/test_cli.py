"""lockstep.registry.cli and fetch: the registry table/JSON, and what `model get` writes."""

from __future__ import annotations

import json

import pytest

from lockstep.errors import LockstepError
from lockstep.registry.cli import render
from lockstep.registry.events import ASSIGN, build, rows
from lockstep.registry.fetch import card_text, requirements, resolve
from tests.helpers.registry import A, reg, stage


def test_render_and_model_get_helpers():
    events = [reg("v0.1.0", "a" * 40, 1), stage(ASSIGN, "prod", "a" * 40, 2, 1)]
    registry = build(events, A)
    body = json.loads(render(registry, as_json=True))
    assert body["stages"] == {"prod": "v0.1.0"}
    assert rows(registry)[0]["stages"] == ["prod"]
    assert "v0.1.0" in render(registry, as_json=False)
    found = resolve(registry, "prod", None)
    assert f"- commit: `{'a' * 40}`" in card_text(b"# Card\n", registry, found)
    with pytest.raises(LockstepError, match=r"no version v9\.9\.9"):
        resolve(registry, None, "v9.9.9")
    with pytest.raises(LockstepError, match="exactly one"):
        resolve(registry, "prod", "v0.1.0")
    pyproject = b'[project]\ndependencies = ["numpy==2.0", "Click==8.0"]\n'
    assert requirements(pyproject) == "Click==8.0\nnumpy==2.0\n"
    pinned = requirements(pyproject, "https://example.org/r.git", "c" * 40)
    assert pinned.splitlines()[-1] == f"lockstep @ git+https://example.org/r.git@{'c' * 40}"
