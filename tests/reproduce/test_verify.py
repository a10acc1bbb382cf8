"""lockstep.reproduce.verify: a reproduction's outputs compared with a commit's dvc.lock."""

from __future__ import annotations

import hashlib

from lockstep.reproduce.verify import (
    MISSING,
    Row,
    compare,
    first_mismatch,
    md5_dir,
    stage_order,
    table,
)


def lock_stage(deps: list[str], outs: list[str]) -> dict:
    return {
        "deps": [{"path": p, "md5": "0"} for p in deps],
        "outs": [{"path": p, "md5": hashlib.md5(p.encode()).hexdigest()} for p in outs],
    }


def test_stage_order_puts_producers_first_even_when_the_lock_lists_them_later():
    stages = {
        "train": lock_stage(["data/features/train.parquet", "src/train.py"], ["model.bin"]),
        "featurize": lock_stage(["data/split"], ["data/features"]),
        "split": lock_stage(["raw.csv"], ["data/split"]),
        "report": lock_stage(["src/report.py"], ["report.md"]),
    }
    assert stage_order(stages) == ["split", "featurize", "train", "report"]


def test_md5_dir_is_dvcs_folder_hash(tmp_path):
    (tmp_path / "d/x").mkdir(parents=True)
    (tmp_path / "d/x/1.txt").write_text("1")
    (tmp_path / "d/a-b.txt").write_text("2")
    # the value `dvc repro` recorded in dvc.lock for exactly this folder
    assert md5_dir(tmp_path / "d") == "7c59e0178ed7b6b46fb510580b159785.dir"


def test_compare_hashes_the_bytes_and_names_the_first_stage_that_differs(tmp_path):
    for name in ("raw.csv", "data/split", "model.bin"):
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(name)
    stages = {
        "train": lock_stage(["data/split"], ["model.bin", "report.md"]),
        "split": lock_stage(["raw.csv"], ["data/split"]),
    }
    rows = compare(stages, tmp_path)
    assert [(r.stage, r.path, r.match) for r in rows] == [
        ("split", "data/split", True),
        ("train", "model.bin", True),
        ("train", "report.md", False),
    ]
    assert rows[2].got == MISSING
    assert first_mismatch(rows) == "train"
    assert first_mismatch(rows[:2]) is None
    assert "report.md" in table(rows) and "NO" in table(rows)


def test_row_match_is_exact():
    assert not Row("s", "p", "abc", "abd").match and Row("s", "p", "abc", "abc").match
