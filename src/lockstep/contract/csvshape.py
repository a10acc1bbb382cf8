"""The shape of a raw CSV file, checked before pandas reads it.

pandas pads a short row with nulls in silence (a truncated export then trains on half the data),
and spends minutes on a header line of millions of fields. This reads the file once with the
standard csv module, which follows the same quoting rules, and stops at the first bad line.
"""

from __future__ import annotations

import csv

from ..errors import LockstepError
from .dataconfig import SourceSpec

HEADER_LIMIT = 2**20  # characters: 10,000 column names of 100 characters


def check_csv_shape(path: str, spec: SourceSpec, shown: str | None = None) -> None:
    """Refuse a CSV whose header is too long or too wide, or with a row whose field count differs
    from the header's (pandas pads a short row with nulls in silence: a truncated export).
    Messages name ``shown`` (e.g. the URL a temporary copy came from), else ``path``."""
    name = shown or path
    csv.field_size_limit(spec.max_line_bytes)
    with open(path, encoding=spec.encoding, newline="") as handle:
        header = handle.readline(HEADER_LIMIT + 1)
        if len(header) > HEADER_LIMIT:
            raise LockstepError(
                f"{name}: line 1 (the header) is longer than {HEADER_LIMIT:,} characters; "
                f"is it a CSV file with a header row, fields separated by {spec.sep!r}?"
            )
        width = len(next(csv.reader([header], delimiter=spec.sep), []))
        if width > spec.max_columns:
            raise LockstepError(
                f"{name}: the header has {width:,} fields, more than data.source.max_columns "
                f"({spec.max_columns:,}); check data.source.sep or raise max_columns"
            )
        rows = csv.reader(handle, delimiter=spec.sep)
        try:
            for row in rows:
                if row and len(row) != width:
                    raise LockstepError(
                        f"{name}: line {rows.line_num + 1} has {len(row)} fields, the header has "
                        f"{width}: a truncated or ragged row (quote a field that holds "
                        f"{spec.sep!r}); fix or remove that line"
                    )
        except csv.Error as exc:
            raise LockstepError(
                f"{name}: line {rows.line_num + 1}: {exc} (data.source.max_line_bytes is "
                f"{spec.max_line_bytes:,})"
            ) from exc
