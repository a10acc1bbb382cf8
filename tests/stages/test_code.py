"""`lockstep code`: code/<stage>.sha256 lists, by hash, exactly the modules a stage runs."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from lockstep.stages.code import Modules, command

# A tiny lockstep package: two stages (fit is numeric), a lazy import, a package __init__.
PACKAGE = {
    "__init__.py": '"""Only a docstring."""\n',
    "cli.py": (
        "COMMANDS = {\n"
        '    "code": ("lockstep.stages.code:command", "manifests"),\n'
        '    "prep": ("lockstep.stages.prep:command", "prepare"),\n'
        '    "fit": ("lockstep.stages.fit:command", "fit"),\n'
        '    "serve": ("lockstep.serve:command", "not a stage"),\n'
        "}\n"
        'NUMERIC_COMMANDS = frozenset({"fit", "serve"})\n'
    ),
    "numerics.py": "from .paths import ROOT\n",
    "paths.py": 'ROOT = "."\n',
    "util.py": "VALUE = 1\n",
    "lazy.py": "LATE = 2\n",
    "serve.py": "from .util import VALUE\n",
    "stages/__init__.py": '"""Stages."""\n',
    "stages/code.py": "from ..paths import ROOT\n",
    "stages/helper.py": "from ..util import VALUE\n",
    "stages/prep.py": "from ..util import VALUE\n\n\ndef run():\n    from .. import lazy\n",
    "stages/fit.py": "import lockstep.stages.helper\n",
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for rel, text in PACKAGE.items():
        path = tmp_path / "src/lockstep" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def code(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(command, list(args))
    return result.exit_code, result.output + str(result.exception or "")


def test_a_stage_runs_its_module_what_it_imports_lazily_too_and_numerics_when_numeric(project):
    modules = Modules(project / "src")
    assert modules.stages() == ["prep", "fit"]  # cli.py's order; not `code`, not `serve`
    assert modules.runs("prep") == [
        "src/lockstep/lazy.py",
        "src/lockstep/stages/prep.py",
        "src/lockstep/util.py",
    ]
    assert modules.runs("fit") == [
        "src/lockstep/numerics.py",
        "src/lockstep/paths.py",
        "src/lockstep/stages/fit.py",
        "src/lockstep/stages/helper.py",
        "src/lockstep/util.py",
    ]


def test_manifests_are_sha256sum_lines_and_a_rerun_writes_the_same_bytes(project):
    status, output = code()
    assert status == 0, output
    written = {p.name: p.read_bytes() for p in (project / "code").iterdir()}
    assert sorted(written) == ["fit.sha256", "prep.sha256"]
    for line in written["prep.sha256"].decode().splitlines():
        digest, path = line.split("  ")
        assert digest == hashlib.sha256((project / path).read_bytes()).hexdigest()
    if shutil.which("sha256sum"):
        checked = subprocess.run(["sha256sum", "-c", "code/fit.sha256"], capture_output=True)
        assert checked.returncode == 0, checked.stdout

    status, output = code()
    assert status == 0 and "0 of 2" in output, output
    assert {p.name: p.read_bytes() for p in (project / "code").iterdir()} == written
    assert not [p for p in (project / "code").iterdir() if ".lockstep-tmp-" in p.name]


def test_an_edit_changes_only_the_manifests_of_the_stages_that_run_it(project):
    code()
    before = {p.name: p.read_bytes() for p in (project / "code").iterdir()}
    (project / "src/lockstep/lazy.py").write_text("LATE = 3\n")  # prep only (a lazy import)
    (project / "src/lockstep/serve.py").write_text("VALUE = 0\n")  # no stage

    status, output = code("--check")
    assert status != 0 and "code/prep.sha256: out of date" in output, output
    assert "fit.sha256" not in output
    status, output = code()
    assert status == 0 and "1 of 2" in output, output

    after = {p.name: p.read_bytes() for p in (project / "code").iterdir()}
    assert after["fit.sha256"] == before["fit.sha256"]
    assert after["prep.sha256"] != before["prep.sha256"]
    status, output = code("--check")
    assert status == 0 and "matches" in output, output


def test_the_manifest_of_a_removed_stage_goes(project):
    code()
    (project / "code/gone.sha256").write_text("0  src/lockstep/gone.py\n")
    status, output = code("--check")
    assert status != 0 and "code/gone.sha256" in output, output
    code()
    assert sorted(p.name for p in (project / "code").iterdir()) == ["fit.sha256", "prep.sha256"]


def test_bad_input_is_a_clear_error_and_writes_nothing(project, tmp_path_factory):
    (project / "src/lockstep/util.py").write_text("def broken(:\n")
    status, output = code()
    assert status != 0 and "src/lockstep/util.py:1: cannot parse it" in output, output
    assert not (project / "code").exists()

    (project / "src/lockstep/util.py").write_text("VALUE = 1\n")
    cli = project / "src/lockstep/cli.py"
    cli.write_text(cli.read_text().replace('"serve"})', '"serve"} | {"tune"})'))
    status, output = code()
    assert status != 0 and "src/lockstep/cli.py:7: keep NUMERIC_COMMANDS a literal" in output
    assert not (project / "code").exists()

    elsewhere = tmp_path_factory.mktemp("elsewhere")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(elsewhere)
        status, output = code()
    assert status != 0 and "run from the project root" in output, output


def test_the_stage_loads_no_data_or_model_library():
    probe = (
        "import sys, lockstep.stages.code\n"
        "print(sorted(m for m in ('numpy', 'pandas', 'sklearn', 'yaml') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


def test_annotated_and_empty_constants_of_cli_are_read(project):
    cli = project / "src/lockstep/cli.py"
    text = cli.read_text().replace("COMMANDS = {", "COMMANDS: dict = {")
    cli.write_text(text.replace('frozenset({"fit", "serve"})', "frozenset()"))
    status, output = code()
    assert status == 0, output
    assert "src/lockstep/numerics.py" not in (project / "code/fit.sha256").read_text()


def test_a_failed_check_gives_no_advice_to_restore_outputs(project):
    from lockstep.cli import RECOVER, main

    result = CliRunner().invoke(main, ["code", "--check"])
    assert result.exit_code == 1
    assert "out of date" in result.output and "run `lockstep code`" in result.output
    assert RECOVER.strip() not in result.output
