"""A stage killed in the middle of writing its output leaves the old file (or none), never half."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from lockstep.io import TMP_MARK
from lockstep.modelfile import load_model
from tests.conftest import BIN, project_env, run, stages_run

pytestmark = pytest.mark.slow

MODEL = "models/model.skops"
# Runs the real `lockstep train` with lockstep.io's `open` wrapped: the first write to the model's
# temporary file stops halfway, flushes, signals through a marker file and hangs until killed.
HALF_WRITE = """
import os, sys, time
from pathlib import Path

import lockstep.io
from lockstep.cli import main

target, marker = Path(sys.argv[1]), Path(sys.argv[2])


class HalfWriter:
    def __init__(self, handle):
        self.handle = handle

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self.handle.__exit__(*exc)

    def write(self, data):
        self.handle.write(data[: len(data) // 2])
        self.handle.flush()
        os.fsync(self.handle.fileno())
        ready = marker.with_name(marker.name + ".part")
        ready.write_text(str(len(data)))
        os.replace(ready, marker)
        time.sleep(600)

    def __getattr__(self, name):
        return getattr(self.handle, name)


def slow_open(file, *args, **kwargs):
    handle = open(file, *args, **kwargs)
    return HalfWriter(handle) if Path(file).name.startswith("." + target.name) else handle


lockstep.io.open = slow_open
main(["train"], prog_name="lockstep")
"""


def stray_temp_files(repo: Path) -> list[str]:
    return sorted(
        p.relative_to(repo).as_posix()
        for p in repo.rglob(f"*{TMP_MARK}*")
        if not p.relative_to(repo).as_posix().startswith((".git/", ".dvc/"))
    )


def kill_mid_write(repo: Path, marker: Path) -> Path:
    """Start `lockstep train`, SIGKILL it once half of the model is on disk; return the temp."""
    proc = subprocess.Popen(
        [str(BIN / "python"), "-c", HALF_WRITE, MODEL, str(marker)],
        cwd=repo,
        env=project_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300
        while not marker.exists():
            if proc.poll() is not None:
                raise AssertionError(f"train ended before writing the model:\n{proc.stdout.read()}")
            if time.monotonic() > deadline:
                raise AssertionError("train did not reach the model write in 300 s")
            time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    (temp,) = (repo / "models").glob(f".model.skops{TMP_MARK}*")
    assert temp.stat().st_size == int(marker.read_text()) // 2, "killed before the half write"
    return temp


def change_train_params(repo: Path) -> None:
    """A new train.seed (so the model changes) and fewer folds (so training is quick)."""
    config = repo / "conf/config.yaml"
    text = config.read_text()
    old = "\ntrain:\n  seed: ${seed}\n  cv_folds: 5\n"
    assert old in text
    config.write_text(text.replace(old, "\ntrain:\n  seed: 7\n  cv_folds: 2\n"))
    run(["lockstep", "params"], repo)


def test_killed_train_keeps_the_old_model_and_next_run_cleans_up(project, tmp_path):
    change_train_params(project)
    model = project / MODEL
    old = model.read_bytes()

    kill_mid_write(project, tmp_path / "half-written")

    assert model.read_bytes() == old
    repro = run(["dvc", "repro"], project)
    assert "train" in stages_run(repro.stdout)
    assert stray_temp_files(project) == []
    assert model.read_bytes() != old
    load_model(str(model))
    assert "up to date" in run(["dvc", "status"], project).stdout


def test_killed_first_write_leaves_no_model(project, tmp_path):
    change_train_params(project)
    model = project / MODEL
    model.unlink()

    temp = kill_mid_write(project, tmp_path / "half-written")

    assert not model.exists()
    assert temp.exists()
