"""scikit-learn's encoders on text categories: the same results, counted by pandas' hash table.

To fit an ``OrdinalEncoder`` with ``max_categories`` (how histogram gradient boosting's native
categories are encoded, see lockstep.models), scikit-learn counts every value of every text
column in a Python loop that asks of each value whether it is NaN, and its transform looks each
value up in a dict, one at a time: at 800,000 rows about 8 s of one core, more than the encoding
needs. ``text_categories()`` makes both run in pandas' C hash table while it is active, but only
where every category is a ``str``; anything else (missing values, numbers, objects, an unseen
value) takes scikit-learn's own path, so every count, code and error is what it would have been,
and a model fitted under it is byte-identical. The counts still decide which categories
``max_categories`` groups as infrequent: a column with more categories than the cap is capped
as before.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from .swap import replaced


def _text_index(values: Any, uniques: Any) -> Any:
    """A pandas Index of ``uniques`` when they are all ``str`` and ``values`` an object array;
    else None (then scikit-learn's own code runs)."""
    import pandas as pd

    if not isinstance(values, np.ndarray) or values.dtype != object:
        return None
    if not all(type(u) is str for u in uniques):
        return None
    return pd.Index(np.asarray(uniques, dtype=object), dtype=object)


def _via_index(original: Any, finish: Any) -> Any:
    """``original(values, uniques)``, or ``finish(index, positions)`` from pandas' hash table
    where every category is a ``str`` (``finish`` returns None to fall back to ``original``)."""

    def call(values: Any, uniques: Any) -> Any:
        index = _text_index(values, uniques)
        done = None if index is None else finish(index, index.get_indexer(values))
        return original(values, uniques) if done is None else done

    return call


def text_counts(original: Any) -> Any:
    """``_get_counts(values, uniques)``: how often each of ``uniques`` occurs in ``values``."""

    def counts(index: Any, positions: Any) -> Any:
        found = positions[positions >= 0]
        return np.bincount(found, minlength=len(index)).astype(np.int64)

    return _via_index(original, counts)


def text_codes(original: Any) -> Any:
    """``_map_to_integer(values, uniques)``: each value's position in ``uniques``; a value not
    among them gets scikit-learn's own error."""

    def codes(index: Any, positions: Any) -> Any:
        return None if (positions < 0).any() else positions.astype(np.int64, copy=False)

    return _via_index(original, codes)


@contextlib.contextmanager
def text_categories() -> Iterator[None]:
    """While active, scikit-learn's encoders count and map text categories in C (see above).

    Process-wide while it lasts (lockstep.swap): train and evaluate run it in their one thread.
    Another scikit-learn without these functions keeps its own code, unchanged."""
    from sklearn.utils import _encode

    with replaced(_encode, {"_get_counts": text_counts, "_map_to_integer": text_codes}):
        yield
