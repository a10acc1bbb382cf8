"""The folder layout's rules, read from the source with ast (nothing is imported).

Imports go down: ground floor <- contract/features/models <- stages <- capabilities <- cli. No
import cycle; nothing outside stages/ imports a stage; the modules inside a saved model and on the
serving path never import click; each dvc.yaml stage depends on code/<stage>.sha256, which lists
exactly the modules it runs (`lockstep code` writes it; the `code` stage depends on src/lockstep).
"""

from __future__ import annotations

import ast
import json

import pytest
import yaml

from lockstep import paths
from lockstep.cli import COMMANDS, NUMERIC_COMMANDS
from lockstep.stages.code import Modules, stale
from tests.conftest import ROOT

SRC = ROOT / "src"
PACKAGE = SRC / "lockstep"
GROUND = {
    "swap",
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
    "encoding",
}
MODEL_LEVEL = {"contract", "features", "models", "modelfile", "explain"}
CAPABILITIES = {"review", "registry", "reproduce", "serve", "monitor", "tune"}
# The modules a saved model or a running server imports: they must work without click.
CLICK_FREE = (
    "lockstep.features",
    "lockstep.models",
    "lockstep.modelfile",
    "lockstep.serve.app",
    "lockstep.serve.sources",
    "lockstep.serve.scoring",
)


# The import graph as `lockstep code` reads it (ast, nothing imported): one reading for both.
GRAPH = Modules(SRC)
MODULES = GRAPH.paths
tree, imports, closure = GRAPH.tree, GRAPH.imports, GRAPH.closure


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
        assert not code, f"{path}: keep code out of __init__.py (code/*.sha256 do not list it)"


PIPELINE = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
STALE_CODE = "run `lockstep code` (or `dvc repro`) and commit code/ and dvc.lock"


def manifest(stage: str) -> str:
    return f"{paths.CODE_DIR}/{stage}.sha256"


def listed(stage: str) -> list[str]:
    """The files the committed code/<stage>.sha256 names, in its order (sha256sum's lines)."""
    lines = (ROOT / manifest(stage)).read_text(encoding="utf-8").splitlines()
    return [line.split("  ", 1)[1] for line in lines]


def test_the_code_stage_runs_first_on_the_package_and_writes_every_manifest():
    first, entry = next(iter(PIPELINE.items()))
    assert (first, entry["cmd"], entry["deps"]) == ("code", "lockstep code", ["src/lockstep"])
    outs = {next(iter(o)): o[next(iter(o))] for o in entry["outs"]}
    others = [name for name in PIPELINE if name != "code"]
    assert list(outs) == [manifest(s) for s in others]
    assert all(spec == {"cache": False} for spec in outs.values()), "kept in Git: cache: false"
    assert GRAPH.stages() == others, "every stage has a module in stages/ and a manifest"
    assert "code" in COMMANDS


@pytest.mark.parametrize("stage", [s for s in PIPELINE if s != "code"])
def test_a_stage_depends_on_its_manifest_and_on_no_module_directly(stage):
    deps = PIPELINE[stage].get("deps", [])
    assert manifest(stage) in deps, f"dvc.yaml {stage}: add the dep {manifest(stage)}"
    direct = [d for d in deps if d.startswith("src/")]
    assert not direct, f"dvc.yaml {stage}: drop {direct}; {manifest(stage)} covers them"


@pytest.mark.parametrize("stage", [s for s in PIPELINE if s != "code"])
def test_a_manifest_lists_exactly_the_modules_the_stage_runs(stage):
    """`lockstep <stage>` runs stages/<stage>.py and what it imports, transitively.

    cli.py only dispatches (it pins the numeric environment first, so numerics.py is a dependency
    of the stages whose outputs depend on it) and the packages' __init__.py hold only docstrings,
    so neither is listed; everything else the stage imports is, or `dvc repro` misses it.
    """
    runs = closure(f"lockstep.stages.{stage}")
    if stage in NUMERIC_COMMANDS:  # cli.py pins the numeric environment before these run
        runs |= closure("lockstep.numerics")
    wanted = {
        MODULES[m].relative_to(ROOT).as_posix() for m in runs if MODULES[m].name != "__init__.py"
    }
    names = listed(stage)
    assert names == sorted(names), f"{manifest(stage)}: not sorted; {STALE_CODE}"
    assert not wanted - set(names), f"{manifest(stage)}: misses {sorted(wanted - set(names))}"
    assert not set(names) - wanted, f"{manifest(stage)}: lists {sorted(set(names) - wanted)}"


def test_the_committed_manifests_are_the_committed_code():
    """What `lockstep code --check` checks: every line's sha256 is the file's, no manifest extra."""
    assert stale(ROOT, GRAPH.manifests()) == [], STALE_CODE


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
