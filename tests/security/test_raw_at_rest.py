"""Checklist 23 continued: at security level 3 the raw sheets kept under XINLIAN_HOME/raw are SM4-GCM sealed (and
still read back byte for byte by every reader), and a failed figure cell is never stored in clear in
``import_error``. Level 2 keeps both as they were. All firms and figures are fictional."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select, text

from xinlian.crypto import CryptoError
from xinlian.registry import sensitive
from xinlian.registry.importer import ImportOptions, import_enterprises
from xinlian.settings import get_settings, reset_settings
from xinlian.store import rawstore
from xinlian.store.tables.files import ImportError_, RawFile

TAX = 918273645  # distinctive: cannot turn up by chance
BAD_TAX = "73x5519"  # an unreadable tax cell, kept as a problem
NAME = "雁栖原档示例科技有限公司"
HEADER = ["企业名称", "所属区县", "产业链环节", "产值(万元)", "税收(元)", "从业人员"]


def set_level(monkeypatch, level: int) -> None:
    monkeypatch.setenv("XINLIAN_SECURITY_LEVEL", str(level))
    reset_settings()


def write_sheet(path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerow([NAME, "武进区", "功率器件", 12000, TAX, 88])
        w.writerow(["松涛示例电子有限公司", "武进区", "封装测试", 800, BAD_TAX, 60])
        w.writerow(["", "武进区", "封装测试", 900, 1000, 12])  # no name: a row-level problem, not a figure
    return path


def raw_bytes() -> bytes:
    root = get_settings().raw_dir
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


def errors(db) -> list[tuple]:
    with db.session() as s:
        return [(e.column, e.value, e.reason) for e in s.scalars(select(ImportError_).order_by(ImportError_.id))]


def test_level3_raw_sheet_is_sealed_and_round_trips(db, key_file, monkeypatch, tmp_path):
    set_level(monkeypatch, 3)
    sheet = write_sheet(tmp_path / "list.csv")
    report = import_enterprises(db, sheet, ImportOptions(year=2024))
    assert report.rows_ok == 1 and report.rows_bad == 2  # the unreadable tax and the nameless row
    kept = raw_bytes()
    assert kept.startswith(rawstore.MAGIC)  # the grep below reads the right folder
    assert str(TAX).encode() not in kept and NAME.encode() not in kept and BAD_TAX.encode() not in kept
    # Every reader still gets the sheet byte for byte; the row records the plain size.
    assert rawstore.read_raw(report.sha256) == sheet.read_bytes()
    with rawstore.open_raw(report.sha256) as fh:
        assert fh.read() == sheet.read_bytes()
    with db.session() as s:
        assert s.get(RawFile, report.sha256).size == sheet.stat().st_size
    # The address is the plain bytes' SHA-256 at either level: a re-run is recognised as already imported.
    again = import_enterprises(db, sheet, ImportOptions(year=2024))
    assert again.already_imported and again.sha256 == report.sha256


def test_level2_raw_sheet_and_errors_stay_plain(db, key_file, tmp_path):
    sheet = write_sheet(tmp_path / "list.csv")
    report = import_enterprises(db, sheet, ImportOptions(year=2024))
    kept = raw_bytes()
    assert str(TAX).encode() in kept and not kept.startswith(rawstore.MAGIC)
    assert rawstore.read_raw(report.sha256) == sheet.read_bytes()
    tax_errors = [e for e in errors(db) if e[0] and "税收" in e[0]]
    assert tax_errors and tax_errors[0][1] == BAD_TAX and BAD_TAX in tax_errors[0][2]


def test_level3_failed_figure_cells_are_masked_in_import_error(db, key_file, monkeypatch, tmp_path):
    set_level(monkeypatch, 3)
    import_enterprises(db, write_sheet(tmp_path / "list.csv"), ImportOptions(year=2024))
    rows = errors(db)
    tax_errors = [e for e in rows if e[0] and "税收" in e[0]]
    assert tax_errors, rows
    assert all(e[1] == sensitive.MASK for e in tax_errors)
    assert not any("73" in e[2] or "5519" in e[2] for e in tax_errors)  # the reason quoted the cell
    assert all("金额" in e[2] for e in tax_errors)  # the reason itself is kept: the analyst knows what to fix
    # The stored table holds the text nowhere (any column, any row).
    with db.engine.connect() as conn:
        cells = [str(v) for r in conn.execute(text("SELECT * FROM import_error")) for v in r]
    assert not [c for c in cells if BAD_TAX in c]
    # A row-level problem (no name) keeps its reason unmasked.
    assert any(e[0] is None or "企业名称" in (e[0] or "") for e in rows)


def test_figure_header_rule():
    assert sensitive.figure_header("E（税收(元)）") and sensitive.figure_header("D（产值(万元)）")
    assert sensitive.figure_header("F（研发费用）") and sensitive.figure_header("C（营业收入）")
    assert sensitive.figure_header("G（入库税金合计）")  # unknown to every lexicon (a mapping file's alias)
    assert not sensitive.figure_header("A（企业名称）") and not sensitive.figure_header("F（从业人员）")
    assert not sensitive.figure_header("D 预计年税收")  # a project sheet: plain by decision (docs/security.md)
    assert not sensitive.figure_header(None)
    masked = sensitive.mask_problem({"column": "E（税收(元)）", "value": "1,2x3",
                                     "reason": "[error] 无法识别的金额 '1,2x3'（应为数字）"})
    assert masked["value"] == "***" and "1,2x3" not in masked["reason"] and "2" not in masked["reason"]


def test_sealed_files_refuse_moves_cuts_and_edits(key_file, monkeypatch, tmp_path):
    set_level(monkeypatch, 3)
    monkeypatch.setattr(rawstore, "CHUNK", 64)  # several chunks from a small input
    root = tmp_path / "raw"
    data = ("松涛示例 税收 " + str(TAX) + " ").encode() * 20
    sha = rawstore.keep_bytes(data, root=root)
    other = rawstore.keep_bytes(b"another input", root=root)
    path = rawstore.raw_path(sha, root)
    sealed = path.read_bytes()
    assert str(TAX).encode() not in sealed and rawstore.read_raw(sha, root) == data
    assert rawstore.keep_bytes(data, root=root) == sha and path.read_bytes() == sealed  # kept once
    # moved to another address
    rawstore.raw_path(other, root).write_bytes(sealed)
    with pytest.raises(rawstore.RawIntegrityError):
        rawstore.read_raw(other, root)
    # one byte flipped inside a chunk
    flipped = bytearray(sealed)
    flipped[len(rawstore.MAGIC) + 30] ^= 1
    path.write_bytes(bytes(flipped))
    with pytest.raises(rawstore.RawIntegrityError):
        rawstore.read_raw(sha, root)
    # the last chunk cut off: the chunk before it is not marked last, so the cut is seen
    first_len = int.from_bytes(sealed[len(rawstore.MAGIC):len(rawstore.MAGIC) + 4], "big")
    cut = sealed[:len(rawstore.MAGIC) + 4 + first_len]
    path.write_bytes(cut)
    with pytest.raises(rawstore.RawIntegrityError):
        rawstore.read_raw(sha, root)
    # no key: the store refuses to keep in clear at level 3
    monkeypatch.setenv("XINLIAN_FIELD_KEY_FILE", str(tmp_path / "missing.key"))
    reset_settings()
    with pytest.raises(CryptoError):
        rawstore.keep_bytes(b"new", root=root)


def test_large_file_is_streamed_sealed_without_a_plain_copy(key_file, monkeypatch, tmp_path):
    set_level(monkeypatch, 3)
    big = tmp_path / "big.csv"
    big.write_bytes((f"企业,{TAX}\n".encode()) * 300_000)  # ~5 MB: several 1 MB chunks
    sha = rawstore.keep_file(big)
    root = get_settings().raw_dir
    assert [p.name for p in root.rglob(".in-*")] == []
    assert str(TAX).encode() not in rawstore.raw_path(sha).read_bytes()
    assert rawstore.read_raw(sha) == big.read_bytes()


def test_switching_levels_converts_the_store(db, key_file, monkeypatch, tmp_path):
    sheet = write_sheet(tmp_path / "list.csv")
    report = import_enterprises(db, sheet, ImportOptions(year=2024))  # level 2: plain
    page = rawstore.keep_bytes(b"<p>news page</p>")
    assert str(TAX).encode() in raw_bytes()
    result = sensitive.encrypt_all(db)
    assert result["raw_files_sealed"] == 2 and result["rows_in_clear"] == 0
    assert str(TAX).encode() not in raw_bytes()
    assert sensitive.encrypt_all(db)["raw_files_sealed"] == 0  # idempotent
    set_level(monkeypatch, 3)
    assert rawstore.read_raw(report.sha256) == sheet.read_bytes() and rawstore.read_raw(page) == b"<p>news page</p>"
    set_level(monkeypatch, 2)
    # a sealed file stays readable at level 2 with the key, and decrypt-figures puts it back in clear
    assert rawstore.read_raw(report.sha256) == sheet.read_bytes()
    assert sensitive.decrypt_all(db, confirm=True)["raw_files_unsealed"] == 2
    assert str(TAX).encode() in raw_bytes() and rawstore.read_raw(page) == b"<p>news page</p>"
    from xinlian.store.tables.auth import AuditLog

    with db.session() as s:
        actions = set(s.scalars(select(AuditLog.action)))
    assert {"raw.encrypt", "raw.decrypt"} <= actions


def test_news_raw_view_reads_a_sealed_page(db, key_file, monkeypatch):
    """The web raw view of a news page reads through the store: sealed at level 3, the download is unchanged."""
    from webdata import PASSWORD, HOSTILE_HTML, WebEnv, seed, seed_news

    from xinlian.users.passwords import _hasher_for
    from xinlian.web.app import create_app

    set_level(monkeypatch, 3)
    ids = seed(db, _hasher_for(1, 1024).hash(PASSWORD))
    news = seed_news(db, ids)
    assert raw_bytes().startswith(rawstore.MAGIC) and b"alert(4)" not in raw_bytes()
    env = WebEnv(create_app(db, get_settings()), db, ids)
    set_level(monkeypatch, 2)  # password-only login (the second factor has its own tests), then level 3 again
    client = env.client("analyst")
    set_level(monkeypatch, 3)
    aid = next(v for k, v in news.items() if "hostile" in k)
    r = client.get(f"/news/{aid}/raw")
    assert r.status_code == 200 and r.content == HOSTILE_HTML
