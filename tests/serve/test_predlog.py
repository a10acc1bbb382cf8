"""lockstep.serve.predlog: the size-rotated JSONL prediction log, under concurrent writers."""

from __future__ import annotations

import json
import threading

from lockstep.serve.predlog import PredictionLog


def test_prediction_log_rotates_by_size_without_losing_or_mixing_lines(tmp_path):
    log = PredictionLog(str(tmp_path), max_bytes=2_000, backups=50)

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
    assert len(files) > 2 and (tmp_path / "predictions.1.jsonl").exists()
    lines = [json.loads(line) for f in files for line in f.read_text().splitlines()]
    assert len(lines) == 8 * 50 * 2
    assert all(f.stat().st_size < 2_000 + 200 for f in files)


def test_prediction_log_keeps_only_the_configured_backups(tmp_path):
    log = PredictionLog(str(tmp_path), max_bytes=100, backups=2)
    for i in range(20):
        log.write([{"i": i, "pad": "x" * 100}])
    names = sorted(p.name for p in tmp_path.glob("predictions*.jsonl"))
    assert names == ["predictions.1.jsonl", "predictions.2.jsonl"]
    assert json.loads((tmp_path / "predictions.1.jsonl").read_text())["i"] == 19
