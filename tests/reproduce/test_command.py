"""lockstep.reproduce.command: the environment check, the dvc commands and the run environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from lockstep.errors import LockstepError
from lockstep.reproduce.command import check_env, dvc_command, run_env


def test_check_env_warns_by_default_and_fails_when_strict(capsys):
    lock = b"no-such-package-lockstep==1.0\n"
    check_env(lock, strict=False)
    assert "no-such-package-lockstep  1.0       not installed" in capsys.readouterr().err
    with pytest.raises(LockstepError, match="--strict-env"):
        check_env(lock, strict=True)
    check_env(None, strict=True)
    assert "not checked" in capsys.readouterr().err


def test_dvc_commands_force_every_stage_and_skip_the_run_cache():
    assert dvc_command(False, False) == ["dvc", "repro", "--force", "--no-run-cache"]
    assert dvc_command(False, True)[-1] == "--pull"
    assert dvc_command(True, False) == ["dvc", "checkout"]
    assert dvc_command(True, True) == ["dvc", "pull"]


def test_run_env_puts_the_commits_code_and_the_chosen_bin_first(tmp_path, monkeypatch):
    (tmp_path / "src").mkdir()
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    env = run_env(tmp_path, Path("/venv/bin"))
    assert env["PATH"].startswith("/venv/bin")
    assert env["PYTHONPATH"].split(":") == [str(tmp_path / "src"), "/elsewhere"]
