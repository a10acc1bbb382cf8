"""lockstep.contract.csvshape: ragged rows, over-long lines and over-wide headers stop ingest."""

from __future__ import annotations

import time

import pytest

from lockstep.contract.csvshape import HEADER_LIMIT, check_csv_shape
from lockstep.contract.dataconfig import SourceSpec
from lockstep.errors import LockstepError


def spec(path, **options) -> SourceSpec:
    return SourceSpec(kind="file", path=str(path), **options)


def test_a_well_formed_csv_passes_with_quoted_separators_and_blank_lines(tmp_path):
    path = tmp_path / "ok.csv"
    path.write_text('id,name,x\n1,"a, b",2\n\n2,"multi\nline",3\n')
    check_csv_shape(str(path), spec(path))


@pytest.mark.parametrize(
    ("body", "line", "fields"),
    [("1,a,2\n2,b\n3,c,4\n", 3, 2), ("1,a,2\n2,b,3,4\n", 3, 4), ("1,a,2\n2,b,3\n4\n", 4, 1)],
)
def test_a_row_with_another_field_count_names_the_line(tmp_path, body, line, fields):
    path = tmp_path / "ragged.csv"
    path.write_text("id,name,x\n" + body)
    with pytest.raises(LockstepError, match=rf"line {line} has {fields} fields, the header has 3"):
        check_csv_shape(str(path), spec(path))


def test_the_configured_separator_is_used(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text("id;x\n1;2,5\n2\n")
    with pytest.raises(LockstepError, match="line 3 has 1 fields"):
        check_csv_shape(str(path), spec(path, sep=";"))


def test_a_huge_header_line_without_newline_fails_fast(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("x" * (10 * 2**20))
    start = time.perf_counter()
    with pytest.raises(LockstepError, match=f"longer than {HEADER_LIMIT:,} characters"):
        check_csv_shape(str(path), spec(path))
    assert time.perf_counter() - start < 30  # a bound on hanging, not a speed goal


def test_a_header_with_too_many_fields_is_refused(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(50)) + "\n")
    message = r"header has 50 fields, more than .*max_columns \(40\)"
    with pytest.raises(LockstepError, match=message):
        check_csv_shape(str(path), spec(path, max_columns=40))


def test_a_field_longer_than_the_line_limit_is_refused_with_its_line(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("id,x\n1,2\n2," + "y" * 5000 + "\n")
    with pytest.raises(LockstepError, match=r"line 3: .*max_line_bytes is 1,000"):
        check_csv_shape(str(path), spec(path, max_line_bytes=1000))
