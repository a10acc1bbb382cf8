"""lockstep.io: atomic writes, stable JSON, Parquet helpers."""

from __future__ import annotations

import hashlib
import json
import math
import subprocess
import sys

import pandas as pd
import pytest

from lockstep import io
from lockstep.errors import LockstepError


def temp_files(folder):
    return sorted(p.name for p in folder.iterdir() if io.TMP_MARK in p.name)


def test_atomic_open_replaces_the_file_on_success(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")
    with io.atomic_open(target, "w") as handle:
        handle.write("new")
        assert target.read_text(encoding="utf-8") == "old"
    assert target.read_text(encoding="utf-8") == "new"
    assert temp_files(tmp_path) == []


def test_atomic_open_creates_missing_parent_folders(tmp_path):
    target = tmp_path / "a" / "b" / "out.bin"
    io.write_bytes(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"


def test_atomic_open_keeps_the_old_file_and_no_temp_when_the_body_raises(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError, match="boom"), io.atomic_open(target, "w") as handle:
        handle.write("half a fi")
        raise RuntimeError("boom")
    assert target.read_text(encoding="utf-8") == "old"
    assert temp_files(tmp_path) == []


def test_atomic_open_leaves_no_file_when_the_first_write_fails(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(KeyboardInterrupt), io.atomic_open(target, "wb") as handle:
        handle.write(b"partial")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_stale_temp_file_of_a_killed_writer_is_removed_by_the_next_write(tmp_path):
    target = tmp_path / "out.json"
    killed = (
        "import os, sys\n"
        "from lockstep.io import atomic_open\n"
        "with atomic_open(sys.argv[1], 'w') as handle:\n"
        "    handle.write('{\"half\": ')\n"
        "    handle.flush()\n"
        "    os._exit(9)\n"
    )
    proc = subprocess.run([sys.executable, "-c", killed, str(target)], check=False)
    assert proc.returncode == 9
    assert not target.exists()
    assert len(temp_files(tmp_path)) == 1
    io.write_json(target, {"ok": True})
    assert temp_files(tmp_path) == []
    assert json.loads(target.read_text(encoding="utf-8")) == {"ok": True}


def test_stale_temp_files_of_other_outputs_are_left_alone(tmp_path):
    other = tmp_path / f".other.json{io.TMP_MARK}12345"
    other.write_text("x", encoding="utf-8")
    io.write_text(tmp_path / "out.json", "y")
    assert other.exists()


def test_write_json_sorts_keys_and_is_byte_identical_on_rerun(tmp_path):
    target = tmp_path / "metrics.json"
    obj = {"b": 1, "a": {"z": [1.5, 2], "y": "é"}}
    io.write_json(target, obj)
    first = target.read_bytes()
    io.write_json(target, dict(reversed(list(obj.items()))))
    assert target.read_bytes() == first
    text = first.decode("utf-8")
    assert text.index('"a"') < text.index('"b"')
    assert text.index('"y"') < text.index('"z"')
    assert text.endswith("}\n")
    assert "é" in text
    assert json.loads(text) == obj


def test_write_json_refuses_nan_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "metrics.json"
    io.write_json(target, {"auc": 0.5})
    before = target.read_bytes()
    with pytest.raises(ValueError):
        io.write_json(target, {"auc": math.nan})
    assert target.read_bytes() == before
    assert temp_files(tmp_path) == []


def test_write_and_read_parquet_round_trip(tmp_path):
    frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", None, "z"]}, index=[5, 6, 7])
    io.write_parquet(tmp_path / "f.parquet", frame)
    back = io.read_parquet(tmp_path / "f.parquet")
    pd.testing.assert_frame_equal(back, frame.reset_index(drop=True), check_dtype=False)


def test_write_parquet_is_byte_identical_on_rerun(tmp_path):
    frame = pd.DataFrame({"a": [1.25, 2.5], "b": ["x", "y"]})
    io.write_parquet(tmp_path / "one.parquet", frame)
    io.write_parquet(tmp_path / "two.parquet", frame)
    assert (tmp_path / "one.parquet").read_bytes() == (tmp_path / "two.parquet").read_bytes()


def test_read_parquet_of_a_missing_file_names_it(tmp_path):
    missing = tmp_path / "nope.parquet"
    with pytest.raises(LockstepError, match=r"nope\.parquet does not exist"):
        io.read_parquet(missing)


def test_sha256_file_matches_hashlib(tmp_path):
    target = tmp_path / "data.bin"
    target.write_bytes(b"lockstep" * 1000)
    assert io.sha256_file(target) == hashlib.sha256(b"lockstep" * 1000).hexdigest()


def test_sha256_file_of_a_missing_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        io.sha256_file(tmp_path / "missing")


def test_rounded_gives_plain_floats():
    value = io.rounded(2 / 3)
    assert type(value) is float
    assert value == pytest.approx(2 / 3, abs=1e-6)
    assert len(repr(value)) <= len("0.666667")
    assert io.rounded(1 / 3, digits=2) == 0.33
    with pytest.raises((TypeError, ValueError)):
        io.rounded("not a number")
