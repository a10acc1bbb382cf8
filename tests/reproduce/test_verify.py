"""lockstep.reproduce.verify: a reproduction's outputs compared with a commit's dvc.lock."""

from __future__ import annotations

import hashlib
import io

import pandas as pd
import pytest

from lockstep.reproduce.verdicts import Tolerances
from lockstep.reproduce.verify import (
    MISSING,
    Row,
    cache_lookup,
    compare,
    first_mismatch,
    judge,
    md5_dir,
    model_rows,
    stage_order,
    table,
)
from tests.helpers.reproduce import rows_with


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
    assert "report.md" in table(rows) and "different" in table(rows)


def test_row_match_is_exact():
    assert not Row("s", "p", "abc", "abd").match and Row("s", "p", "abc", "abc").match


def test_table_shows_each_verdict_and_its_largest_difference():
    text = table(rows_with("identical", "equivalent", "different"))
    lines = text.splitlines()
    assert lines[0].split()[:4] == ["output", "verdict", "max", "difference"]
    assert lines[2].split()[:3] == ["out0", "identical", "0"]
    assert lines[3].split()[:3] == ["out1", "equivalent", "1e-12"]
    assert lines[4].split()[:3] == ["out2", "different", "0.5"] and "beyond" in lines[4]


def test_judge_opens_only_outputs_whose_bytes_differ(tmp_path):
    (tmp_path / "m.json").write_text('{"auc": 0.8000001}')
    (tmp_path / "same.txt").write_text("x")
    rows = [Row("evaluate", "m.json", "1" * 32, "2" * 32), Row("s", "same.txt", "3" * 32, "3" * 32)]
    seen = []

    def find(path, md5):
        seen.append(path)
        return b'{"auc": 0.8}'

    judged = judge(rows, tmp_path, find, Tolerances(), features=lambda model: None)
    assert seen == ["m.json"]
    assert [r.outcome for r in judged] == ["equivalent", "identical"]
    assert judged[0].verdict.max_difference == pytest.approx(1e-7)


def test_a_card_naming_an_equivalent_output_by_hash_is_equivalent(tmp_path):
    (tmp_path / "m.json").write_text('{"auc": 0.8000001}')
    (tmp_path / "card.md").write_text(f"model: {'2' * 32}\n")
    rows = [Row("train", "m.json", "1" * 32, "2" * 32), Row("card", "card.md", "3" * 32, "4" * 32)]
    committed = {"m.json": b'{"auc": 0.8}', "card.md": f"model: {'1' * 32}\n".encode()}
    judged = judge(rows, tmp_path, lambda p, m: committed[p], Tolerances(), lambda m: None)
    assert [r.outcome for r in judged] == ["equivalent", "equivalent"]


def test_cache_lookup_returns_committed_bytes_only_when_their_md5_matches(tmp_path):
    data = b"committed model"
    md5 = hashlib.md5(data).hexdigest()
    obj = tmp_path / "cache/files/md5" / md5[:2] / md5[2:]
    obj.parent.mkdir(parents=True)
    obj.write_bytes(data)
    blobs = {"reports/m.json": b"{}", "stale.json": b"not what the lock says"}
    find = cache_lookup(tmp_path / "cache", blobs.get)
    assert find("models/model.skops", md5) == data
    assert find("reports/m.json", hashlib.md5(b"{}").hexdigest()) == b"{}"
    assert find("stale.json", hashlib.md5(b"locked").hexdigest()) is None
    obj.write_bytes(b"damaged")
    assert find("models/model.skops", md5) is None


def test_model_rows_are_the_committed_table_the_scoring_stage_reads(tmp_path):
    frame = pd.DataFrame({"x": [1.0, 2.0], "churn": ["No", "Yes"]})
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    table_md5 = hashlib.md5(buffer.getvalue()).hexdigest()
    stages = {
        "train": lock_stage(["data/features/train.parquet"], ["models/m.skops"]),
        "evaluate": {
            "deps": [{"path": "models/m.skops", "md5": "1"},
                     {"path": "data/features/test.parquet", "md5": table_md5}],
            "outs": [],
        },
    }  # fmt: skip
    objects = {("data/features/test.parquet", table_md5): buffer.getvalue()}
    find = lambda path, md5: objects.get((path, md5))  # noqa: E731
    rows = model_rows(stages, "models/m.skops", find, "churn")
    assert list(rows.columns) == ["x"] and rows["x"].tolist() == [1.0, 2.0]
    assert model_rows(stages, "models/other.skops", find, "churn") is None
    assert model_rows(stages, "models/m.skops", lambda p, m: None, "churn") is None
