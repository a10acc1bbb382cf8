"""lockstep.serve.cli: `lockstep serve` checks its model sources before the server starts."""

from __future__ import annotations

from tests.helpers.cli import invoke


def test_command_needs_exactly_one_model_source():
    result = invoke("serve", [])
    assert result.exit_code != 0 and "exactly one of --stage or --model" in result.output
    result = invoke("serve", ["--stage", "prod", "--model", "m"])
    assert result.exit_code != 0


def test_serve_exits_at_once_when_there_is_nothing_to_serve(tmp_path, monkeypatch):
    import subprocess

    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    monkeypatch.chdir(repo)
    started = []
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: started.append(a))
    no_version = invoke("serve", ["--stage", "nope", "--artifact", "churn-model"])
    assert no_version.exit_code == 1
    assert "no version of churn-model is in stage 'nope'" in no_version.output
    no_folder = invoke("serve", ["--model", str(tmp_path / "missing")])
    assert no_folder.exit_code == 1
    assert "model.skops not found: nothing to serve" in no_folder.output
    assert started == []  # the server never started
