"""lockstep.stages.ingest: renaming, pseudonymizing, feedback rows, content hashes."""

from __future__ import annotations

import pandas as pd
import pytest

from lockstep.contract.pseudonym import pseudonymize
from lockstep.errors import LockstepError
from lockstep.stages.ingest import content_hash, ingest
from tests.helpers.tiny import data_config, raw_frame

KEY_ENV = "LOCKSTEP_TEST_PSEUDONYM_KEY"


def small() -> pd.DataFrame:
    return pd.DataFrame({"id": ["a", "b", "c"], "x": [1, 2, 3], "y": ["é", "u", "v"]})


def test_content_hash_changes_when_a_value_changes():
    frame = small()
    base = content_hash(frame)
    assert content_hash(small()) == base
    changed = frame.copy()
    changed.loc[1, "x"] = 20
    assert content_hash(changed) != base
    assert content_hash(frame.rename(columns={"x": "z"})) != base
    assert content_hash(frame.iloc[::-1]) != base


def test_ingest_renames_and_pseudonymizes(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    path = tmp_path / "source.csv"
    raw_frame(5).rename(columns={"customer_id": "rownames"}).to_csv(path, index=False)
    cfg = data_config(
        source={"kind": "file", "path": str(path)}, rename={"rownames": "customer_id"}
    )
    frame = ingest(cfg)
    assert list(frame.columns) == list(raw_frame(5).columns)
    expected = pseudonymize(raw_frame(5), ("customer_id",), b"tiny-test-key")["customer_id"]
    assert frame["customer_id"].tolist() == expected.tolist()


def test_own_data_hashed_with_the_default_key_gets_a_warning(tmp_path, monkeypatch, capsys):
    path = tmp_path / "source.csv"
    raw_frame(5).to_csv(path, index=False)
    cfg = data_config(source={"kind": "file", "path": str(path)})
    monkeypatch.delenv(KEY_ENV, raising=False)
    ingest(cfg)
    err = capsys.readouterr().err
    assert f"{KEY_ENV} is not set" in err and "public default key" in err
    monkeypatch.setenv(KEY_ENV, "a-secret-key")
    ingest(cfg)
    assert capsys.readouterr().err == ""


def test_ingest_of_a_header_only_file_is_an_error(tmp_path):
    path = tmp_path / "source.csv"
    raw_frame(0).to_csv(path, index=False)
    cfg = data_config(source={"kind": "file", "path": str(path)})
    with pytest.raises(LockstepError, match=r"gave no rows"):
        ingest(cfg)


def test_ingest_rejects_a_rename_of_a_column_the_source_lacks(tmp_path):
    path = tmp_path / "source.csv"
    raw_frame(5).to_csv(path, index=False)
    cfg = data_config(source={"kind": "file", "path": str(path)}, rename={"rownames": "x"})
    with pytest.raises(LockstepError, match=r"data.rename: the source has no column 'rownames'"):
        ingest(cfg)


def test_feedback_rows_replace_source_rows_by_id(tmp_path):
    from lockstep.stages.ingest import with_feedback
    from tests.helpers.tiny import data_config, raw_frame

    source = raw_frame()
    feedback = source.iloc[[0, 3]].assign(churn="No")
    feedback.to_parquet(tmp_path / "feedback.parquet")
    cfg = data_config(feedback=str(tmp_path / "feedback.parquet"))
    merged = with_feedback(source, cfg).set_index("customer_id")
    assert len(merged) == 20 and merged.loc[["c01", "c04"], "churn"].tolist() == ["No", "No"]
    assert with_feedback(source, data_config(feedback=str(tmp_path / "none.parquet"))) is source
    feedback.drop(columns="tenure").to_parquet(tmp_path / "feedback.parquet")
    with pytest.raises(LockstepError, match="differ from the source's"):
        with_feedback(source, cfg)
