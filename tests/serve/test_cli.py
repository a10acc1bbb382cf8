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


def test_serve_refuses_the_public_default_key_outside_sample_data(tmp_path, monkeypatch):
    from tests.helpers.tiny import params, write_params

    monkeypatch.delenv("LOCKSTEP_TEST_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("LOCKSTEP_RELOAD_TOKEN", raising=False)
    prm = write_params(tmp_path / "params.yaml", params())
    folder = tmp_path / "prod"
    folder.mkdir()
    (folder / "model.skops").write_bytes(b"never loaded: the server does not start here")
    started = []
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: started.append(k))
    args = ["--model", str(folder), "--params", str(prm), "--log-dir", str(tmp_path / "logs")]
    refused = invoke("serve", args)
    assert refused.exit_code == 1 and "LOCKSTEP_TEST_PSEUDONYM_KEY is not set" in refused.output
    off_loopback = invoke("serve", [*args, "--host", "0.0.0.0", "--pseudonymized"])
    assert off_loopback.exit_code == 1 and "LOCKSTEP_RELOAD_TOKEN" in off_loopback.output
    assert started == []
    monkeypatch.setenv("LOCKSTEP_TEST_PSEUDONYM_KEY", "a-real-secret")
    ok = invoke("serve", [*args, "--header-timeout", "3", "--keep-alive-timeout", "2"])
    assert ok.exit_code == 0, ok.output
    assert started[0]["timeout_keep_alive"] == 2 and started[0]["http"].__name__ == "HeaderDeadline"
