"""The folder layout's rules, read from the source with ast (nothing is imported).

Imports go down: ground floor <- contract/features/models <- stages <- capabilities <- cli. No
import cycle; nothing outside stages/ imports a stage; the modules inside a saved model and on the
serving path never import click; each dvc.yaml stage lists exactly the modules it runs as deps.
"""

from __future__ import annotations

import ast
import importlib.util
import json
from functools import cache
from pathlib import Path

import pytest
import yaml

from lockstep import paths
from lockstep.cli import NUMERIC_COMMANDS
from tests.conftest import ROOT

SRC = ROOT / "src"
PACKAGE = SRC / "lockstep"
GROUND = {
    "numerics",
    "errors",
    "io",
    "paths",
    "config",
    "options",
    "gitrepo",
    "metric_rules",
    "compose",
    "bootstrap",
    "cluster",
    "fairness",
    "fairness_checks",
    "paired",
    "significance",
    "scores",
}
MODEL_LEVEL = {"contract", "features", "models", "explain"}
CAPABILITIES = {"review", "registry", "reproduce", "serve", "monitor", "tune"}
# The modules a saved model or a running server imports: they must work without click.
CLICK_FREE = (
    "lockstep.features",
    "lockstep.models",
    "lockstep.serve.app",
    "lockstep.serve.sources",
    "lockstep.serve.scoring",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


@cache
def tree(name: str) -> ast.Module:
    return ast.parse(MODULES[name].read_text(encoding="utf-8"))


@cache
def imports(name: str) -> frozenset[str]:
    """The lockstep modules ``name`` imports anywhere (in functions too), as module names."""
    package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree(name)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = importlib.util.resolve_name("." * node.level + base, package)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in MODULES else base)
    return frozenset(m for m in found if m in MODULES and m != name)


def closure(name: str) -> set[str]:
    seen, todo = set(), [name]
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(imports(current))
    return seen


def level(name: str) -> int:
    """0 ground floor, 1 what a model is made of, 2 stages, 3 capabilities, 4 the command group."""
    top = name.split(".")[1] if "." in name else ""
    if top in GROUND:
        return 0
    if top in MODEL_LEVEL:
        return 1
    if top == "stages":
        return 2
    if top in CAPABILITIES:
        return 3
    if top == "cli":
        return 4
    if name == "lockstep":  # the root package holds only the version
        return 0
    raise AssertionError(f"{name}: add it to a floor in tests/test_layout.py (GROUND, ...)")


def cycle() -> list[str] | None:
    """One import cycle, as a path of module names, or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(name: str, path: list[str]) -> list[str] | None:
        state[name] = 1
        for dep in sorted(imports(name)):
            if state.get(dep) == 1:
                return [*path[path.index(dep) :], dep] if dep in path else [name, dep]
            if dep not in state and (found := visit(dep, [*path, dep])):
                return found
        state[name] = 2
        return None

    for name in MODULES:
        if name not in state and (found := visit(name, [name])):
            return found
    return None


def test_every_module_is_on_a_floor():
    for name in MODULES:
        level(name)


def test_no_import_cycle():
    assert cycle() is None, " -> ".join(cycle() or [])


def test_imports_go_down_only():
    upward = [
        f"{name} imports {dep}"
        for name in MODULES
        for dep in imports(name)
        if level(dep) > level(name)
    ]
    assert not upward, "\n".join(upward)


def test_nothing_outside_stages_imports_a_stage():
    offenders = [
        f"{name} imports {dep}"
        for name in MODULES
        if not name.startswith("lockstep.stages")
        for dep in imports(name)
        if dep.startswith("lockstep.stages")
    ]
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("name", CLICK_FREE)
def test_saved_model_and_serving_path_do_not_import_click(name):
    users = [
        m
        for m in sorted(closure(name))
        for node in ast.walk(tree(m))
        if isinstance(node, ast.Import | ast.ImportFrom)
        and any((getattr(node, "module", None) or a.name).startswith("click") for a in node.names)
    ]
    assert not users, f"{name} pulls in click through {', '.join(sorted(set(users)))}"


def test_every_package_says_what_it_owns_and_runs_nothing():
    for name, path in MODULES.items():
        if path.name != "__init__.py":
            continue
        body = tree(name).body
        assert ast.get_docstring(tree(name)), f"{path}: add a docstring saying what it owns"
        code = [n for n in body[1:] if not (name == "lockstep" and isinstance(n, ast.Assign))]
        assert not code, f"{path}: keep code out of __init__.py (stage deps do not list it)"


def stage_deps() -> dict[str, set[str]]:
    """dvc.yaml: stage -> the src/lockstep files it lists under deps."""
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    return {
        name: {d for d in stage.get("deps", []) if d.startswith("src/lockstep/")}
        for name, stage in stages.items()
    }


@pytest.mark.parametrize("stage", sorted(stage_deps()))
def test_stage_deps_are_exactly_the_modules_the_stage_runs(stage):
    """`lockstep <stage>` runs stages/<stage>.py and what it imports, transitively.

    cli.py only dispatches (it pins the numeric environment first, so numerics.py is a dependency
    of the stages whose outputs depend on it) and the packages' __init__.py hold only docstrings,
    so neither is a dependency; everything else the stage imports is, or `dvc repro` misses it.
    """
    runs = closure(f"lockstep.stages.{stage}")
    if stage in NUMERIC_COMMANDS:  # cli.py pins the numeric environment before these run
        runs |= closure("lockstep.numerics")
    wanted = {
        MODULES[m].relative_to(ROOT).as_posix() for m in runs if MODULES[m].name != "__init__.py"
    }
    listed = stage_deps()[stage]
    assert not wanted - listed, f"dvc.yaml {stage}: add deps {sorted(wanted - listed)}"
    assert not listed - wanted, f"dvc.yaml {stage}: drop deps {sorted(listed - wanted)}"


def test_paths_module_agrees_with_dvc_yaml():
    pipeline = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))
    declared = set()
    for stage in pipeline["stages"].values():
        for key in ("outs", "metrics", "plots"):
            declared |= {next(iter(e)) if isinstance(e, dict) else e for e in stage.get(key, [])}
    for path in (
        paths.VALIDATED_DATA,
        paths.TRAIN_FEATURES,
        paths.TEST_FEATURES,
        paths.MODEL_FILE,
        paths.INGEST_FILE,
        paths.VALIDATION_FILE,
        paths.COLUMN_TYPES_FILE,
        paths.CV_FILE,
        paths.METRICS_FILE,
        paths.MODEL_CARD,
        *paths.PLOT_FILES,
    ):
        assert path in declared, f"{path} (lockstep.paths) is not an output in dvc.yaml"
    # drift.json is absent from most commits: declaring it would make every `dvc metrics show`
    # warn that DVC "failed to load some metrics". monitoring.json is declared and committed as a
    # numbers-only placeholder that `lockstep monitor` overwrites.
    assert paths.DRIFT_FILE not in pipeline.get("metrics", [])
    assert paths.MONITORING_FILE in pipeline["metrics"]
    committed = json.loads((ROOT / paths.MONITORING_FILE).read_text())
    assert isinstance(committed, dict)
    assert all(isinstance(v, int | float | bool) for v in leaves(committed)), committed
    plotted = {f for p in pipeline["plots"] for spec in p.values() for f in spec["y"]}
    assert plotted == set(paths.MONITORING_PLOTS)
    assert pipeline["artifacts"]["churn-model"]["path"] == paths.MODEL_FILE


def leaves(tree: object) -> list:
    if isinstance(tree, dict):
        return [leaf for value in tree.values() for leaf in leaves(value)]
    return [tree]
