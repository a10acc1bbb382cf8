"""lockstep.contract.values: ``plain_column`` answers as ``plain`` and ``value_problem`` do."""

from __future__ import annotations

import pytest

from lockstep.contract.dataconfig import ColumnSpec
from lockstep.contract.values import accepted, plain, plain_column, value_problem
from tests.helpers.tiny import data_config

# Values a JSON body can carry, and some it cannot but a caller in Python could pass.
ODD = [
    None, True, False, 0, 1, -1, 7, 119, 120, 121, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1,
    10**400,
    0.0, 1.0, 1.5, -0.5, 120.0, 499.9, 500.0, 500.5, float("nan"), float("inf"), -float("inf"),
    "", "12", "No", "Yes", "no", "One year", "Two year", "\ud800", "x\udfff", "Month-to-month",
    [], ["No"], {}, {"a": 1}, (1,), b"No",
]  # fmt: skip

DATA = data_config()
SPECS = [
    *DATA.columns.values(),
    ColumnSpec("bool"),
    ColumnSpec("bool", nullable=True),
    ColumnSpec("int", allowed=(0, 1)),
    ColumnSpec("str", nullable=True, allowed=("No", "Yes")),
    ColumnSpec("str", allowed=("No", True)),  # not all text: no set lookup
    ColumnSpec("float", nullable=True),
]


def expected(column: list, spec: ColumnSpec) -> bool:
    """``plain`` for each value, and text free of problems (valid Unicode)."""
    text_ok = (value_problem("churn", v, DATA) is None for v in column if isinstance(v, str))
    return all(plain(v, spec) for v in column) and (spec.dtype != "str" or all(text_ok))


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_plain_column_agrees_with_plain_value_by_value(spec):
    for value in ODD:
        assert plain_column([value], spec, accepted(spec)) == expected([value], spec), value
        assert plain_column([value], spec) == expected([value], spec), value
    for i in range(len(ODD) - 1):  # pairs: one bad value spoils the column
        pair = ODD[i : i + 2]
        assert plain_column(pair, spec, accepted(spec)) == expected(pair, spec), pair


def test_a_plain_value_has_no_problem_either():
    for name, spec in DATA.columns.items():
        for value in ODD:
            if plain_column([value], spec, accepted(spec)):
                assert value_problem(name, value, DATA) is None, (name, value)


def test_only_text_columns_with_text_values_get_a_set():
    assert accepted(ColumnSpec("str", allowed=("No", "Yes"))) == {"No", "Yes"}
    assert accepted(ColumnSpec("str", nullable=True, allowed=("No",))) == {"No", None}
    assert accepted(ColumnSpec("str", allowed=("No", True))) is None
    assert accepted(ColumnSpec("int", allowed=(0, 1))) is None
    assert accepted(ColumnSpec("str")) is None
