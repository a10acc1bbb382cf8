"""lockstep.serve.predlog: the size-rotated JSONL prediction log, under concurrent writers and
faults (a torn last line, a full disk, a read-only folder)."""

from __future__ import annotations

import errno
import json
import os
import threading

import pytest

from lockstep.serve import predlog
from lockstep.serve.predlog import LogUnavailable, PredictionLog


def lines(folder) -> list[dict]:
    files = sorted(folder.glob("predictions*.jsonl"))
    return [json.loads(line) for f in files for line in f.read_text().splitlines()]


def test_rotation_keeps_every_line_by_default_without_mixing_them(tmp_path):
    log = PredictionLog(str(tmp_path), max_bytes=2_000)

    def writer(k: int) -> None:
        for i in range(50):
            log.write([{"writer": k, "i": i, "pad": "x" * 40}] * 2)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.close()
    files = sorted(tmp_path.glob("predictions*.jsonl"))
    assert len(files) > 10 and log.deleted == []  # far more than the 5 once kept
    rows = lines(tmp_path)
    assert len(rows) == 8 * 50 * 2
    assert len({(r["writer"], r["i"]) for r in rows}) == 8 * 50
    assert all(f.stat().st_size < 2_000 + 200 for f in files)


def test_a_configured_retention_deletes_the_oldest_and_says_so(tmp_path, capsys):
    log = PredictionLog(str(tmp_path), max_bytes=100, keep=2)
    for i in range(20):
        log.write([{"i": i, "pad": "x" * 100}])
    names = sorted(p.name for p in tmp_path.glob("predictions*.jsonl"))
    assert names == ["predictions.1.jsonl", "predictions.2.jsonl"]
    assert json.loads((tmp_path / "predictions.1.jsonl").read_text())["i"] == 19
    assert json.loads((tmp_path / "predictions.2.jsonl").read_text())["i"] == 18
    assert len(log.deleted) == 20 - 2
    err = capsys.readouterr().err
    assert err.count("deleted predictions.3.jsonl") == 18 and "only 2 rotated file(s)" in err


def test_a_torn_last_line_is_cut_on_reopen_so_the_next_line_stands_alone(tmp_path, capsys):
    log = PredictionLog(str(tmp_path))
    log.write([{"i": 0}, {"i": 1}])
    log.close()
    torn = b'{"i": 2, "pad": "half a rec'  # a process killed mid-write
    with open(tmp_path / "predictions.jsonl", "ab") as handle:
        handle.write(torn)
    again = PredictionLog(str(tmp_path))
    again.write([{"i": 3}])
    again.close()
    assert [r["i"] for r in lines(tmp_path)] == [0, 1, 3]
    assert (
        again.torn_lines == 1
        and f"cut a torn last line of {len(torn)} bytes" in capsys.readouterr().err
    )


def test_a_file_that_is_all_one_torn_line_is_emptied(tmp_path):
    (tmp_path / "predictions.jsonl").write_bytes(b'{"no newline at all')
    log = PredictionLog(str(tmp_path))
    log.write([{"i": 1}])
    assert lines(tmp_path) == [{"i": 1}] and log.torn_lines == 1


def fill_disk_after(monkeypatch, nbytes: int) -> None:
    """The disk takes ``nbytes`` more bytes of the next write, then reports ENOSPC."""
    real = predlog._write_all

    def full(fd: int, data: bytes) -> None:
        real(fd, data[:nbytes])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(predlog, "_write_all", full)


def test_a_full_disk_leaves_no_part_of_the_batch_and_recovers(tmp_path, monkeypatch):
    log = PredictionLog(str(tmp_path))
    log.write([{"i": 0}])
    before = (tmp_path / "predictions.jsonl").read_bytes()
    fill_disk_after(monkeypatch, 25)  # past the first line of the batch, into the second
    with pytest.raises(LogUnavailable, match="disk full"):
        log.write([{"i": 1, "pad": "y" * 10}, {"i": 2, "pad": "y" * 10}])
    assert (tmp_path / "predictions.jsonl").read_bytes() == before
    assert "disk full" in log.error and not log.probe()
    monkeypatch.undo()
    assert log.probe() and log.error is None
    log.write([{"i": 3}])
    assert [r["i"] for r in lines(tmp_path)] == [0, 3]
    assert not (tmp_path / ".write-probe").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders")
def test_a_read_only_folder_is_refused_until_it_is_writable(tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    folder.chmod(0o555)
    log = PredictionLog(str(folder))
    try:
        with pytest.raises(LogUnavailable, match="permission denied"):
            log.write([{"i": 0}])
        assert not log.probe()
    finally:
        folder.chmod(0o755)
    assert log.probe()
    log.write([{"i": 1}])
    assert lines(folder) == [{"i": 1}]
