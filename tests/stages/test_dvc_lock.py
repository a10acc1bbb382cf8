"""The committed dvc.lock matches the committed code and params, so a fresh clone is up to date.

A user who checks out a commit and runs `dvc status` must see nothing changed but missing data.
"""

from __future__ import annotations

import hashlib
from fnmatch import fnmatch
from pathlib import Path

import pytest
import yaml
from ruamel.yaml import YAML

from lockstep.paths import COLUMN_TYPES_FILE
from lockstep.reproduce.verify import md5_dir
from tests.conftest import ROOT

# DVC writes dvc.lock as YAML 1.2 (where `Yes` is text), so read it the way DVC does.
LOCK = YAML(typ="safe").load((ROOT / "dvc.lock").read_text(encoding="utf-8"))["stages"]
PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
STALE = "dvc.lock is stale: run `dvc repro` (or `make repro`) and commit dvc.lock"


def file_deps() -> list[tuple[str, str, str]]:
    """(stage, path, md5) for each dependency that is a file kept in Git."""
    return [
        (stage, dep["path"], dep["md5"])
        for stage, entry in LOCK.items()
        for dep in entry.get("deps", [])
        if dep["path"].startswith(("src/", "conf/", "code/")) and not dep["md5"].endswith(".dir")
    ]


@pytest.mark.parametrize(("stage", "path", "md5"), file_deps())
def test_locked_code_is_the_committed_code(stage, path, md5):
    current = hashlib.md5((ROOT / path).read_bytes(), usedforsecurity=False).hexdigest()
    assert current == md5, f"{stage}: {path} changed since it was locked; {STALE}"


def test_the_locked_package_is_the_committed_package():
    """The `code` stage's dep: DVC's hash of src/lockstep/, bytecode left out (.dvcignore)."""
    dep = next(d for d in LOCK["code"]["deps"] if d["path"] == "src/lockstep")
    assert "__pycache__/" in (ROOT / ".dvcignore").read_text().splitlines()
    assert md5_dir(ROOT / "src/lockstep", dvcignored) == dep["md5"], f"src/lockstep: {STALE}"


def dvcignored(path: Path) -> bool:
    """Whether a pattern of .dvcignore (folder names ending in /, or file-name globs) covers it."""
    patterns = [
        line.strip()
        for line in (ROOT / ".dvcignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    folders = {p.rstrip("/") for p in patterns if p.endswith("/")}
    names = [p for p in patterns if not p.endswith("/")]
    return bool(folders & set(path.parts[:-1])) or any(fnmatch(path.name, p) for p in names)


@pytest.mark.parametrize("stage", sorted(LOCK))
def test_locked_params_are_the_committed_params(stage):
    for key, value in LOCK[stage].get("params", {}).get("params.yaml", {}).items():
        node = PARAMS
        for part in key.split("."):
            node = node[part]
        assert node == value, f"{stage}: params.yaml '{key}' changed since it was locked; {STALE}"


def test_every_stage_of_dvc_yaml_is_locked():
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    assert sorted(stages) == sorted(LOCK), STALE


STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]


@pytest.mark.parametrize("stage", sorted(s for s in STAGES if s != "params"))
def test_a_stage_declares_exactly_the_params_its_code_loads(stage):
    """The stage's PARAMS (all its code can see: config.load_params) are its dvc.yaml params."""
    import importlib

    module = importlib.import_module(f"lockstep.stages.{stage}")
    declared = STAGES[stage].get("params", [])
    assert sorted(declared) == sorted(module.PARAMS), (
        f"{stage}: dvc.yaml `params:` and lockstep.stages.{stage}.PARAMS differ"
    )


@pytest.mark.parametrize("stage", sorted(LOCK))
def test_locked_params_are_the_declared_keys_not_whole_sections(stage):
    locked = LOCK[stage].get("params", {}).get("params.yaml", {})
    assert sorted(locked) == sorted(STAGES[stage].get("params", [])), STALE


def test_the_data_contract_is_locked_only_where_a_stage_reads_it():
    """The column contract (the bulk of the data section) is locked once, under validate; the
    stages after it depend on the column types validate hands on."""
    with_columns = sorted(s for s, e in STAGES.items() if "data.columns" in e.get("params", []))
    assert with_columns == ["validate"]
    assert not any("data" in e.get("params", []) for e in STAGES.values())
    outs = [next(iter(o)) if isinstance(o, dict) else o for o in STAGES["validate"]["outs"]]
    assert COLUMN_TYPES_FILE in outs
    readers = sorted(s for s, e in STAGES.items() if COLUMN_TYPES_FILE in e.get("deps", []))
    assert readers == ["model_card", "train"]


def test_the_committed_column_types_are_the_locked_ones():
    """reports/column_types.json is kept in Git (cache: false): its bytes are what dvc.lock says
    validate wrote and train and model_card read."""
    current = hashlib.md5((ROOT / COLUMN_TYPES_FILE).read_bytes(), usedforsecurity=False)
    locked = [
        (stage, entry["md5"])
        for stage, stage_lock in LOCK.items()
        for entry in stage_lock.get("deps", []) + stage_lock.get("outs", [])
        if entry["path"] == COLUMN_TYPES_FILE
    ]
    assert sorted(stage for stage, _ in locked) == ["model_card", "train", "validate"]
    for stage, md5 in locked:
        assert md5 == current.hexdigest(), f"{stage}: {COLUMN_TYPES_FILE} changed; {STALE}"
