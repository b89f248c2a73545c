"""The content-addressed raw store: bytes kept once, under their SHA-256, with one raw_file row."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from xinlian.ingest.pipeline import clean_item
from xinlian.settings import get_settings
from xinlian.store import rawstore
from xinlian.store.tables.files import RawFile


def test_keep_bytes_and_file_are_content_addressed(db, tmp_path):
    data = "青禾区新闻".encode("gbk") * 1000
    path = tmp_path / "page.html"
    path.write_bytes(data)
    with db.session() as s:
        a = rawstore.keep_bytes(data, original_name="first.html", media_type="text/html", bind=s)
        b = rawstore.keep_file(path, bind=s)  # same bytes by another way: same address, no second row
        c = rawstore.keep_bytes(b"other", bind=s, sync=False)
    rawstore.sync_store()
    assert a == b == hashlib.sha256(data).hexdigest()
    assert rawstore.raw_path(a) == get_settings().raw_dir / a[:2] / a
    assert rawstore.read_raw(a) == data and rawstore.read_raw(c) == b"other"
    with rawstore.open_raw(a) as fh:
        assert fh.read(10) == data[:10]
    with db.session() as s:
        assert s.execute(select(func.count()).select_from(RawFile)).scalar_one() == 2
        row = s.get(RawFile, a)
    assert (row.size, row.original_name, row.media_type) == (len(data), "first.html", "text/html")
    assert not list(get_settings().raw_dir.rglob(".in-*"))  # no temporary files left behind


def test_keep_file_streams_a_large_file(tmp_path):
    path = tmp_path / "big.bin"
    with open(path, "wb") as fh:
        for i in range(5):
            fh.write(bytes([i]) * (1 << 20))
    sha = rawstore.keep_file(path)
    assert sha == rawstore.sha256_file(path)[0]
    assert rawstore.raw_path(sha).stat().st_size == 5 << 20


def test_bad_addresses_are_refused():
    for bad in ("", "../../etc/passwd", "ab" * 31, "G" * 64):
        with pytest.raises(ValueError):
            rawstore.raw_path(bad)
    with pytest.raises(FileNotFoundError):
        rawstore.read_raw("0" * 64)


def test_clean_item_turns_any_exception_into_the_page_error():
    out = clean_item({"data": 12345, "source": "weird"})  # not bytes: the cleaner raises, the item does not
    assert out["meta"]["source"] == "weird" and out["error"].startswith("cleaning failed:")
    passed = clean_item({"data": None, "source": "u", "error": "timeout"})
    assert passed == {"meta": {"source": "u", "error": "timeout"}, "error": "timeout"}
