"""lockstep.contract.column_types: the column types validate hands on to train and the card."""

from __future__ import annotations

import json

import pytest

from lockstep.config import declared_only, read_section
from lockstep.contract.column_types import (
    HANDED_ON,
    column_types,
    read_column_types,
    with_column_types,
    write_column_types,
)
from lockstep.contract.dataconfig import DataConfig
from lockstep.errors import LockstepError
from lockstep.io import dumps_json
from tests.helpers.tiny import data_config, data_dict


def columns_with(name: str, **spec) -> dict:
    columns = data_dict()["columns"]
    columns[name] = {**columns[name], **spec}
    return columns


def written(tmp_path, cfg: DataConfig, name: str = "types.json") -> bytes:
    path = tmp_path / name
    write_column_types(path, cfg)
    return path.read_bytes()


def test_the_file_lists_each_column_in_contract_order_with_name_dtype_nullable(tmp_path):
    cfg = data_config()
    content = json.loads(written(tmp_path, cfg))
    assert [c["name"] for c in content["columns"]] == list(cfg.columns)
    for entry in content["columns"]:
        spec = cfg.columns[entry["name"]]
        assert set(entry) == {"name", *HANDED_ON}
        assert (entry["dtype"], entry["nullable"]) == (spec.dtype, spec.nullable)


def test_the_file_is_canonical_json_and_byte_identical_when_written_again(tmp_path):
    first = written(tmp_path, data_config(), "a.json")
    assert first.decode() == dumps_json(column_types(data_config()))
    assert written(tmp_path, data_config(), "a.json") == first
    assert not [p.name for p in tmp_path.iterdir() if p.name != "a.json"]  # no temp file left


@pytest.mark.parametrize(
    "bound",
    [{"min": 1}, {"max": 99}, {"unique": True}],
)
def test_a_changed_check_bound_leaves_the_file_byte_identical(tmp_path, bound):
    before = written(tmp_path, data_config(), "before.json")
    after = written(tmp_path, data_config(columns=columns_with("tenure", **bound)), "after.json")
    assert after == before


def test_a_changed_allowed_list_leaves_the_file_byte_identical(tmp_path):
    before = written(tmp_path, data_config(), "before.json")
    allowed = columns_with("contract", allowed=["Month-to-month", "One year"])
    assert written(tmp_path, data_config(columns=allowed), "after.json") == before


@pytest.mark.parametrize("spec", [{"dtype": "float"}, {"nullable": True}])
def test_a_changed_type_or_nullability_changes_the_file(tmp_path, spec):
    before = written(tmp_path, data_config(), "before.json")
    after = written(tmp_path, data_config(columns=columns_with("tenure", **spec)), "after.json")
    assert after != before


def test_read_gives_back_the_types_in_order(tmp_path):
    cfg = data_config()
    path = tmp_path / "types.json"
    write_column_types(path, cfg)
    columns = read_column_types(path)
    assert list(columns) == list(cfg.columns)
    assert {n: (s.dtype, s.nullable) for n, s in columns.items()} == {
        n: (s.dtype, s.nullable) for n, s in cfg.columns.items()
    }


def test_a_bound_the_file_does_not_hand_on_fails_when_read(tmp_path):
    path = tmp_path / "types.json"
    write_column_types(path, data_config())
    tenure = read_column_types(path)["tenure"]
    with pytest.raises(LockstepError, match=r"'data\.columns\.tenure\.max' is read but not"):
        _ = tenure.max + 1
    with pytest.raises(LockstepError, match=r"hands on only dtype and nullable"):
        bool(tenure.allowed)


def test_a_missing_file_names_the_stage_that_writes_it(tmp_path):
    with pytest.raises(LockstepError, match=r"not found: stage validate writes it") as caught:
        read_column_types(tmp_path / "types.json")
    assert "dvc repro validate" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", r"types\.json is not valid JSON"),
        ("[]", r'expected \{"columns": \[\.\.\.\]\}'),
        ('{"columns": []}', r'expected \{"columns": \[\.\.\.\]\}'),
        (
            '{"columns": [{"name": "a", "dtype": "int"}]}',
            r"columns\[0\]: missing required key 'nullable'",
        ),
        (
            '{"columns": [{"name": "a", "dtype": "int", "nullable": "no"}]}',
            r"columns\[0\]\.nullable must be bool",
        ),
        (
            '{"columns": [{"name": "a", "dtype": "integer", "nullable": false}]}',
            r"columns\[0\]\.dtype: 'integer' is not one of",
        ),
        (
            '{"columns": [{"name": "a", "dtype": "int", "nullable": false, "min": 0}]}',
            r"columns\[0\]: unknown key 'min'",
        ),
        (
            '{"columns": [{"name": "a", "dtype": "int", "nullable": false},'
            ' {"name": "a", "dtype": "str", "nullable": false}]}',
            r"columns\[1\]: column 'a' is listed twice",
        ),
    ],
)
def test_a_malformed_file_says_what_where_and_how_to_fix(tmp_path, text, message):
    path = tmp_path / "types.json"
    path.write_text(text)
    with pytest.raises(LockstepError, match=message) as caught:
        read_column_types(path)
    assert str(path) in str(caught.value)
    assert "rebuild it with `dvc repro validate`" in str(caught.value)


def declared_without_columns(**changes) -> DataConfig:
    """The data section as train reads it: its declared keys, data.columns not among them."""
    roles = ("target", "positive_class", "id_column", "exclude_features", "sensitive_columns")
    keys = [f"data.{key}" for key in (*roles, "sensitive_as_features")]
    return read_section(DataConfig, declared_only({"data": data_dict(**changes)}, keys))


def test_with_column_types_fills_the_columns_and_checks_the_roles_again(tmp_path):
    path = tmp_path / "types.json"
    write_column_types(path, data_config())
    data = with_column_types(declared_without_columns(), path)
    assert data.feature_columns() == data_config().feature_columns()
    assert data.numeric_columns() == data_config().numeric_columns()
    renamed = declared_without_columns(target="label", columns={"label": {"dtype": "str"}})
    with pytest.raises(LockstepError, match=r"data\.target: column 'label' is not listed") as err:
        with_column_types(renamed, path)
    assert f"the columns come from {path}" in str(err.value)
    assert "dvc repro validate" in str(err.value)
