"""lockstep.contract.records: records sent to `lockstep serve`, checked against the contract."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from lockstep.contract.pseudonym import pseudonymize
from lockstep.contract.records import check_records
from lockstep.contract.schema import build_schema
from tests.helpers.tiny import data_config, raw_frame

KEY = b"records-test-key"


@pytest.fixture
def contract():
    data = data_config()
    return data, build_schema(data).remove_columns([data.target])


def rows(n: int = 20) -> list[dict]:
    frame = raw_frame().drop(columns=["churn"]).head(n)
    return json.loads(frame.to_json(orient="records"))


def test_plain_records_give_the_frame_the_schema_gives(contract):
    data, schema = contract
    sent = rows()
    batch, errors = check_records(sent, data, schema, None)
    assert errors == [] and len(batch) == 20
    columns = [c for c in data.columns if c != data.target]
    expected = schema.validate(pd.DataFrame.from_records(sent, columns=columns))
    pd.testing.assert_frame_equal(batch.frame(), expected)


def test_coerced_records_give_the_same_batch_as_plain_ones(contract):
    data, schema = contract
    plain = rows(3)
    odd = [dict(r) for r in plain]
    odd[0]["tenure"] = str(odd[0]["tenure"])  # text the schema reads as an int
    odd[1]["monthly_charges"] = 80  # an int in a float column
    odd[2]["tenure"] = float(odd[2]["tenure"])
    a, _ = check_records(plain, data, schema, KEY)
    b, _ = check_records(odd, data, schema, KEY)
    assert a.values == b.values
    assert a.features() == b.features()
    assert all(type(f["monthly_charges"]) is float for f in b.features())
    assert b.features()[0]["total_charges"] is None and "customer_id" not in b.features()[0]


def test_columns_are_float_for_numbers_and_objects_with_nan_otherwise(contract):
    data, schema = contract
    sent = rows(2)
    sent[1]["contract"] = "One year"
    batch, _ = check_records(sent, data, schema, None)
    assert batch.columns["tenure"].dtype == np.float64
    assert np.isnan(batch.columns["total_charges"][0])  # null in the first tiny row
    assert batch.columns["contract"].dtype == object
    assert list(batch.columns["contract"]) == ["Month-to-month", "One year"]


def test_ids_are_hashed_as_ingest_hashes_them(contract):
    data, schema = contract
    batch, _ = check_records(rows(5), data, schema, KEY)
    ingested = pseudonymize(raw_frame().head(5), data.pseudonymize.columns, KEY)
    assert batch.ids == ingested["customer_id"].tolist()
    unhashed, _ = check_records(rows(5), data, schema, None)
    assert unhashed.ids == [f"c0{i}" for i in range(1, 6)]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"tenure": 121}, "tenure", "less_than_or_equal_to"),
        ({"tenure": 3.5}, "tenure", "cannot be read as int64"),
        ({"contract": "Forever"}, "contract", "isin"),
        ({"monthly_charges": None}, "monthly_charges", "must not be null"),
    ],
)
def test_a_value_the_plain_path_refuses_is_reported_by_the_schema(contract, change, field, message):
    data, schema = contract
    sent = rows(2)
    sent[1].update(change)
    batch, errors = check_records(sent, data, schema, None)
    assert batch is None
    assert [(e["record"], e["field"]) for e in errors] == [(2, field)]  # counted from 1
    assert message in errors[0]["message"]


def test_duplicate_ids_in_a_batch_are_refused(contract):
    data, schema = contract
    sent = rows(2)
    sent[1]["customer_id"] = sent[0]["customer_id"]
    batch, errors = check_records(sent, data, schema, None)
    assert batch is None and errors[0]["field"] == "customer_id"
    assert "duplicate" in errors[0]["message"]


def test_several_nulls_in_a_nullable_unique_column_are_an_error_not_a_crash():
    from tests.helpers.tiny import DATA

    ref = {"dtype": "str", "nullable": True, "unique": True}
    data = data_config(columns={**DATA["columns"], "ref": ref})
    schema = build_schema(data).remove_columns([data.target])
    sent = [dict(r, ref=None) for r in rows(2)]
    batch, errors = check_records(sent, data, schema, None)
    assert batch is None and errors
    one, _ = check_records(sent[:1], data, schema, None)
    assert one is not None


def test_records_with_exactly_the_contract_fields_give_what_the_full_checks_give(contract):
    data, schema = contract
    sent = rows(6)
    sent[2]["total_charges"] = None
    with_target = [dict(r, churn="No") for r in sent]  # not exactly the contract's fields
    quick, _ = check_records(sent, data, schema, KEY)
    full, _ = check_records(with_target, data, schema, KEY)
    assert quick.values == full.values and list(quick.values) == list(full.values)
    duplicate = [*sent, dict(sent[0])]  # a repeated id: the full checks report it
    assert check_records(duplicate, data, schema, None)[0] is None
