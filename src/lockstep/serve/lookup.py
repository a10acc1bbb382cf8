"""The categorical branch of a fitted pipeline as a table: one row of output per input value.

Each call of a OneHotEncoder checks every input column on its own (about two thirds of a
one-record Scorer call, on a slow machine). But a branch of imputers and a one-hot (or ordinal)
encoder maps each input column on its own, and each column has few values, so its output can be
looked up. ``Lookup.build`` runs the fitted steps once, on a probe holding every category of every
column and a missing value: the table holds those rows, produced by the steps themselves (nothing
fitted is recomputed here). It is kept only when two more probes, with the values of each column
rotated against the others, give exactly what the steps give; otherwise the branch runs its steps
as before. A batch holding a value the table lacks (a category unseen in training) is run through
the steps too, so such a value gets the encoder's own answer (zeros, nan, or its error).
"""

from __future__ import annotations

from typing import Any

import numpy as np

_MISSING = object()  # the table key of a missing value (nan or None)


class Lookup:
    """``transform(columns)``: the branch output for a list of object arrays (one per input
    column), or None when some value is not in the table."""

    def __init__(self, keys: list[dict[Any, int]], blocks: list[np.ndarray]) -> None:
        self.keys, self.blocks = keys, blocks

    @classmethod
    def build(cls, steps: list[Any]) -> Lookup | None:
        """The table of ``steps`` (imputers, then a one-hot or ordinal encoder), or None for
        other steps or when the probe disagrees with the steps."""
        domains = _domains(steps)
        if domains is None:
            return None
        try:
            first = _run(steps, _probe(domains, 0))
            one_hot = type(steps[-1]).__name__ == "OneHotEncoder"
            sizes = [len(c) if one_hot else 1 for c in steps[-1].categories_]
            if first.ndim != 2 or first.shape[1] != sum(sizes):
                return None
            edges = np.cumsum([0, *sizes])
            keys = [{_key(v): i for i, v in enumerate(d)} for d in domains]
            blocks = [
                first[: len(d), lo:hi].copy()
                for d, lo, hi in zip(domains, edges[:-1], edges[1:], strict=True)
            ]
            table = cls(keys, blocks)
            for shift in (1, 2):  # each column's values against other values of the others
                probe = _probe(domains, shift)
                if not np.array_equal(table.transform(list(probe.T)), _run(steps, probe), True):
                    return None
        except Exception:  # steps that cannot take the probe: they keep running themselves
            return None
        return table

    def transform(self, columns: list[np.ndarray]) -> np.ndarray | None:
        parts = []
        for values, keys, block in zip(columns, self.keys, self.blocks, strict=True):
            rows = [keys.get(_key(v), -1) for v in values]
            if -1 in rows:
                return None
            parts.append(block[rows])
        return np.hstack(parts)


def _key(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return _MISSING
    return value if isinstance(value, str) else (type(value), value)


def _domains(steps: list[Any]) -> list[list[Any]] | None:
    """Per input column: its categories (text only) and a missing value; None for other steps."""
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

    if not steps or type(steps[-1]) not in (OneHotEncoder, OrdinalEncoder):
        return None
    encoder = steps[-1]
    # Grouped rare categories keep the mapping per column; a layout other than one block per
    # column in order (a dropped column, say) fails the width check or the probes in ``build``.
    imputers = all(type(s) is SimpleImputer and not s.add_indicator for s in steps[:-1])
    if getattr(encoder, "drop", None) is not None or not imputers:
        return None
    domains = []
    for categories in encoder.categories_:
        text = [c for c in categories if isinstance(c, str)]
        if len(text) < len(categories) - 1 or len(text) == 0:  # at most one non-text: nan
            return None
        domains.append([*text, np.nan])
    return domains


def _probe(domains: list[list[Any]], shift: int) -> np.ndarray:
    """Rows enough to show every value of every column; column j rotated by ``shift`` × j."""
    rows = max(len(d) for d in domains)
    probe = np.empty((rows, len(domains)), dtype=object)
    for j, domain in enumerate(domains):
        for i in range(rows):
            probe[i, j] = domain[(i + shift * j) % len(domain)]
    return probe


def _run(steps: list[Any], matrix: np.ndarray) -> np.ndarray:
    for step in steps:
        matrix = step.transform(matrix)
    return np.asarray(matrix)
