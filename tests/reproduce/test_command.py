"""lockstep.reproduce.command: the dvc commands, the run environment, tolerances, the verdict."""

from __future__ import annotations

from pathlib import Path

import pytest

from lockstep.errors import LockstepError
from lockstep.reproduce.command import conclude, dvc_commands, run_env, tolerances
from lockstep.reproduce.verdicts import Tolerances
from tests.helpers.reproduce import rows_with


def test_dvc_commands_force_every_stage_and_skip_the_run_cache():
    assert dvc_commands(False, False) == [["dvc", "repro", "--force", "--no-run-cache"]]
    fetch, repro = dvc_commands(False, True)
    assert fetch == ["dvc", "fetch"] and repro[-1] == "--pull"
    assert dvc_commands(True, False) == [["dvc", "checkout"]]
    assert dvc_commands(True, True) == [["dvc", "pull"]]


def test_run_env_puts_the_commits_code_and_the_chosen_bin_first(tmp_path, monkeypatch):
    (tmp_path / "src").mkdir()
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    env = run_env(tmp_path, Path("/venv/bin"))
    assert env["PATH"].startswith("/venv/bin")
    assert env["PYTHONPATH"].split(":") == [str(tmp_path / "src"), "/elsewhere"]


def test_conclude_accepts_equivalent_unless_exact_and_names_the_first_different_stage(capsys):
    conclude(rows_with("identical", "identical"), "HEAD", "f" * 40, exact=False, why="")
    assert "all 2 outputs of HEAD" in capsys.readouterr().out
    conclude(rows_with("identical", "equivalent"), "HEAD", "f" * 40, exact=False, why="")
    assert "1 outputs identical, 1 equivalent" in capsys.readouterr().out
    with pytest.raises(LockstepError, match=r"not identical \(--exact\).*'stage1'"):
        conclude(rows_with("identical", "equivalent"), "HEAD", "f" * 40, exact=True, why="")
    with pytest.raises(LockstepError, match=r"1 of 3 .*outputs differ is 'stage2'"):
        conclude(rows_with("equivalent", "identical", "different"), "HEAD", "f", False, "")


def test_tolerances_come_from_the_reproduce_section_of_params(tmp_path):
    assert tolerances(tmp_path) == Tolerances()
    (tmp_path / "params.yaml").write_text("reproduce:\n  probability: 1.0e-6\n  absolute: 0\n")
    assert tolerances(tmp_path) == Tolerances(probability=1e-6, absolute=0.0)
    (tmp_path / "params.yaml").write_text("reproduce:\n  probabilty: 1.0e-6\n")
    with pytest.raises(LockstepError, match="probabilty"):
        tolerances(tmp_path)
