"""One value of a served record against its column's contract, without pandas or pandera.

``value_problem`` says what is wrong with a field before any type is read (not a scalar, not
valid Unicode, a bool for a number, a number out of range); ``plain`` says whether a value
already has its column's type and passes its checks as it is (the fast path of check_records),
and ``plain_column`` whether every value of a column does and has no problem either.
"""

from __future__ import annotations

import math
from typing import Any

from .text import cut

SCALARS = (str, int, float, bool, type(None))


def value_problem(name: str, value: Any, data: Any) -> str | None:
    """What is wrong with one field before any type is read, or None."""
    spec = data.columns.get(name)
    if not _unicode(name):
        return "field name is not valid Unicode text"
    if spec is None:
        return "not in the data contract" if data.extra_columns == "fail" else None
    if not isinstance(value, SCALARS):
        return "must be a scalar"
    if spec.dtype == "str" and isinstance(value, bool):  # would be read as the text "False"
        return f"must be text, not {str(value).lower()}"
    if isinstance(value, str) and not _unicode(value):
        return "is not valid Unicode text"
    if spec.dtype in ("int", "float"):
        if isinstance(value, bool):
            return f"must be a number, not {str(value).lower()}"
        if isinstance(value, float) and not math.isfinite(value):
            return "must be a finite number"
        if isinstance(value, int) and spec.dtype == "int" and not _int64(value):
            return "is out of range for a 64-bit integer"
        if isinstance(value, int) and not _fits_float(value):
            return "is too large for a float"
    return None


def _int64(value: int) -> bool:
    return -(2**63) <= value < 2**63


def _fits_float(value: int) -> bool:
    try:
        float(value)
    except OverflowError:
        return False
    return True


def _unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, which JSON can carry as \ud800
        return False
    return True


def printable(name: str) -> str:
    name = cut(name)
    return name if _unicode(name) else name.encode("utf-8", "backslashreplace").decode()


def plain(value: Any, spec: Any) -> bool:
    """True when ``value`` already has the column's type and passes its checks as it is."""
    if value is None:
        return spec.nullable
    kind = spec.dtype
    if kind == "bool":
        ok = isinstance(value, bool)
    elif isinstance(value, bool) or kind == "str":
        ok = kind == "str" and isinstance(value, str)
    elif isinstance(value, int):
        ok = _int64(value)
    else:
        ok = kind == "float" and isinstance(value, float) and math.isfinite(value)
    if not ok or (spec.allowed is not None and value not in spec.allowed):
        return False
    return (spec.min is None or value >= spec.min) and (spec.max is None or value <= spec.max)


def plain_column(column: list[Any], spec: Any, accepted: frozenset | None = None) -> bool:
    """``plain`` for every value, which then has no ``value_problem`` either (text is valid
    Unicode). ``accepted``: ``accepted(spec)``, when the caller keeps it. The answers are
    ``plain``'s, reached with fewer calls: a text column with allowed values is one set lookup
    (text equals a value of the set exactly when it equals one of the tuple), and numbers are
    checked in one loop."""
    if accepted is not None:
        try:
            return accepted.issuperset(column)
        except TypeError:  # an unhashable value (a list, an object): not plain
            return False
    if spec.dtype == "str":
        return all(plain(v, spec) and (v is None or _unicode(v)) for v in column)
    if spec.dtype not in ("int", "float") or spec.allowed is not None:
        return all(plain(v, spec) for v in column)
    low, high, floats = spec.min, spec.max, spec.dtype == "float"
    for v in column:
        kind = type(v)
        if kind is int:
            ok = -(2**63) <= v < 2**63
        elif kind is float:
            ok = floats and math.isfinite(v)
        else:  # None, a bool, another type: as ``plain`` says
            ok = plain(v, spec)
            if ok and v is None:
                continue
        if not ok or (low is not None and v < low) or (high is not None and v > high):
            return False
    return True


def accepted(spec: Any) -> frozenset | None:
    """The values ``plain`` accepts for a text column with allowed values (and None when it is
    nullable) as a set; None for other columns."""
    allowed = spec.allowed
    simple = spec.dtype == "str" and allowed is not None and spec.min is None and spec.max is None
    if simple and all(type(a) is str and _unicode(a) for a in allowed):
        return frozenset([*allowed, *([None] if spec.nullable else [])])
    return None
