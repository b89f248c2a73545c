"""Checklist 23, 密评 8.4 e/g: at security level 3 per-firm money figures are stored only as SM4-GCM ciphertext
(``xinlian.registry.sensitive``), every reader still shows the right numbers, a moved ciphertext is refused with
the row named, and start-up stops without the key. Level 2 keeps plain columns. All firms are fictional."""

from __future__ import annotations

import csv
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text

sys.path.insert(0, str(Path(__file__).parents[1] / "chain"))

from diagnose_fixtures import LOCAL, YEAR, build_district, write_chain  # noqa: E402
from support import sqlite_file_bytes  # noqa: E402

from xinlian.crypto import get_provider  # noqa: E402
from xinlian.crypto.fields import FieldIntegrityError, generate_key_file  # noqa: E402
from xinlian.registry import sensitive  # noqa: E402
from xinlian.registry.importer import ImportOptions, import_enterprises  # noqa: E402
from xinlian.registry.queries import enterprise_detail, get_enterprise  # noqa: E402
from xinlian.settings import reset_settings  # noqa: E402
from xinlian.store.tables.registry import EnterpriseFigure  # noqa: E402

TAX = 987654321  # a number that cannot turn up by chance
NAME = "静湖密存示例科技有限公司"
HEADER = ["企业名称", "所属区县", "产业链环节", "产值(万元)", "营业收入(万元)", "税收(元)", "从业人员"]


def set_level(monkeypatch, level: int) -> None:
    monkeypatch.setenv("XINLIAN_SECURITY_LEVEL", str(level))
    reset_settings()


@pytest.fixture
def level3(key_file, monkeypatch) -> Path:
    set_level(monkeypatch, 3)
    return key_file


def write_sheet(path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerow([NAME, "武进区", "功率器件", 12000, 11000, TAX, 88])
        w.writerow(["青枫示例电子有限公司", "武进区", "封装测试", 800, None, 4_200_000, 60])
    return path


def needles(value: float) -> list[bytes]:
    """The ways a database file can hold the number: digits, SQLite's integer form of a whole REAL (big-endian),
    and an 8-byte double either way round (SQLite, PostgreSQL)."""
    out = [str(int(value)).encode(), repr(float(value)).encode(), struct.pack(">d", value), struct.pack("<d", value)]
    if float(value).is_integer() and abs(value) < 2 ** 31:
        out.append(struct.pack(">i", int(value)))
    return out


def db_file_bytes(db) -> bytes:
    """The bytes of the table's storage after a checkpoint: the SQLite file and its WAL, or the PostgreSQL
    relation file of enterprise_figure."""
    if db.dialect == "sqlite":
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return sqlite_file_bytes(db.engine.url.database)
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql("CHECKPOINT")
        home = conn.exec_driver_sql("SHOW data_directory").scalar()
        rel = conn.exec_driver_sql("SELECT pg_relation_filepath('enterprise_figure')").scalar()
    return b"".join(p.read_bytes() for p in Path(home).glob(rel + "*"))


def raw_cells(db) -> list:
    with db.engine.connect() as conn:
        return [v for row in conn.execute(text("SELECT * FROM enterprise_figure")) for v in row]


def test_level3_import_keeps_no_clear_tax_in_the_table_or_the_file(db, level3, tmp_path):
    report = import_enterprises(db, write_sheet(tmp_path / "list.csv"), ImportOptions(year=2024))
    assert report.rows_ok == 2
    cells = raw_cells(db)
    assert cells and not any(c == TAX or str(TAX) in str(c) for c in cells)
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT output_value, revenue, tax, rd_spend, tax_enc, output_value_enc, "
                                 "employees FROM enterprise_figure")).all()
    assert all(r[:4] == (None, None, None, None) for r in rows)
    assert all(r.tax_enc.startswith("sm4gcm1:") and r.output_value_enc.startswith("sm4gcm1:") for r in rows)
    assert sorted(r.employees for r in rows) == [60, 88]  # not sensitive: stays plain
    data = db_file_bytes(db)
    assert b"sm4gcm1:" in data  # the check reads the right storage
    assert not [n for n in needles(TAX) if n in data]
    # Readers still see the figures: the registry JSON (xinlian enterprise show, the profile's twin).
    with db.session() as s:
        fig = enterprise_detail(get_enterprise(s, NAME))["figures"][0]
    assert (fig["year"], fig["tax"], fig["output_value"], fig["revenue"]) == (2024, TAX, 1.2e8, 1.1e8)
    # A re-import with a blank tax cell keeps the sealed value (COALESCE on the ciphertext, same AAD).
    with (tmp_path / "again.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADER, [NAME, "武进区", "功率器件", 13000, None, None, 90]])
    import_enterprises(db, tmp_path / "again.csv", ImportOptions(year=2024))
    with db.session() as s:
        fig = enterprise_detail(get_enterprise(s, NAME))["figures"][0]
    assert (fig["tax"], fig["output_value"], fig["revenue"], fig["employees"]) == (TAX, 1.3e8, 1.1e8, 90)


def test_level2_control_keeps_plain_columns_and_the_file_holds_the_tax(sqlite_db, tmp_path):
    """The same import at level 2: plain numeric columns, no ciphertext, and the needle is found in the file
    (so the level-3 test above can fail)."""
    import_enterprises(sqlite_db, write_sheet(tmp_path / "list.csv"), ImportOptions(year=2024))
    with sqlite_db.engine.connect() as conn:
        row = conn.execute(text("SELECT tax, tax_enc FROM enterprise_figure WHERE tax IS NOT NULL "
                                "ORDER BY tax DESC")).first()
    assert tuple(row) == (TAX, None)
    assert [n for n in needles(TAX) if n in db_file_bytes(sqlite_db)]


def _login(env, monkeypatch, role: str):
    """Log in with the password alone (the level-3 second factor is another part of issue 9 and has its own
    tests), then serve at level 3 again."""
    set_level(monkeypatch, 2)
    client = env.client(role)
    set_level(monkeypatch, 3)
    return client


def test_profile_json_page_and_dashboard_show_the_decrypted_figures(db, level3, monkeypatch):
    from webdata import WebEnv, seed

    from xinlian.users.passwords import _hasher_for
    from xinlian.web.app import create_app
    from xinlian.settings import get_settings
    from webdata import PASSWORD

    ids = seed(db, _hasher_for(1, 1024).hash(PASSWORD))  # ORM writes: sealed by the flush hooks
    eid = ids["enterprises"][1]
    with db.session() as s:
        s.add(EnterpriseFigure(enterprise_id=eid, year=2025, tax=TAX, output_value=2e8, employees=101))
    assert not [c for c in raw_cells(db) if c == TAX]
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM enterprise_figure WHERE output_value IS NOT NULL "
                                 "OR tax IS NOT NULL OR revenue IS NOT NULL")).scalar() == 0
    env = WebEnv(create_app(db, get_settings()), db, ids)
    analyst = _login(env, monkeypatch, "analyst")
    figs = {f["year"]: f for f in analyst.get(f"/enterprises/{eid}.json").json()["figures"]}
    assert figs[2025]["tax"] == TAX and figs[2025]["output_value"] == 2e8
    assert figs[2024]["output_value"] == pytest.approx(3e8) and figs[2024]["tax"] == pytest.approx(1.5e7)
    page = analyst.get(f"/enterprises/{eid}")
    assert page.status_code == 200 and "987654321" in page.text  # the figures chart data, decrypted
    # The dashboard's chain output: local firms on the chain, latest year (2025 only has the firm above).
    headline = analyst.get("/dashboard.json").json()["headline"]["output"]
    assert (headline["year"], headline["output_yuan"]) == (2025, 2e8)
    viewer = _login(env, monkeypatch, "viewer")
    assert all(f["tax"] is None for f in viewer.get(f"/enterprises/{eid}.json").json()["figures"])


def _diagnosis(db, chain_path) -> dict:
    from xinlian.chain.diagnose import diagnose

    d = diagnose(db, chain_path, LOCAL, f"{YEAR + 1}-06-30").to_contract()
    return {"nodes": d["nodes"], "verdicts": {n["id"]: n["verdict"] for n in d["nodes"]}}


def _cli(*args, db_url: str, home: Path, level: int, key: Path):
    env = {**os.environ, "XINLIAN_HOME": str(home), "XINLIAN_DB_URL": db_url, "XINLIAN_SECURITY_LEVEL": str(level),
           "XINLIAN_FIELD_KEY_FILE": str(key)}
    return subprocess.run([sys.executable, "-m", "xinlian.cli", "security", *args], capture_output=True, text=True,
                          env=env)


def test_encrypt_figures_converts_and_the_diagnosis_is_unchanged(db, db_url, key_file, tmp_path, monkeypatch):
    ids = build_district(db)
    with db.session() as s:
        s.execute(text("UPDATE enterprise_figure SET tax = :t WHERE enterprise_id = :e AND year = :y"),
                  {"t": TAX, "e": ids["F1"], "y": YEAR})
    chain = write_chain(tmp_path)
    before = _diagnosis(db, chain)
    assert [n for n in needles(TAX) if n in db_file_bytes(db)] or db.dialect != "sqlite"

    # The way back is explicit: refused without --confirm, and refused at level 3.
    out = _cli("decrypt-figures", db_url=db_url, home=tmp_path, level=2, key=key_file)
    assert out.returncode == 1 and "--confirm" in out.stdout + out.stderr
    out = _cli("encrypt-figures", "--json", db_url=db_url, home=tmp_path, level=2, key=key_file)
    assert out.returncode == 0, out.stdout + out.stderr
    assert '"rows_in_clear": 0' in out.stdout
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM audit_log WHERE action = 'figures.encrypt'")).scalar() == 1
    assert not [c for c in raw_cells(db) if c == TAX]
    if db.dialect != "sqlite":  # old row versions stay in the file until the table is rewritten (docs/security.md)
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM FULL enterprise_figure")
    assert not [n for n in needles(TAX) if n in db_file_bytes(db)]  # SQLite: secure_delete wiped the old cells

    set_level(monkeypatch, 3)
    after = _diagnosis(db, chain)
    assert after["verdicts"] == before["verdicts"]
    assert after["nodes"] == before["nodes"]  # every figure, growth, firm list and target score
    out = _cli("decrypt-figures", "--confirm", db_url=db_url, home=tmp_path, level=3, key=key_file)
    assert out.returncode == 1 and "XINLIAN_SECURITY_LEVEL=2" in out.stdout + out.stderr
    out = _cli("decrypt-figures", "--confirm", db_url=db_url, home=tmp_path, level=2, key=key_file)
    assert out.returncode == 0, out.stdout + out.stderr
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT tax FROM enterprise_figure WHERE tax_enc IS NULL AND tax IS NOT NULL")
                            ).scalar() == TAX
        assert conn.execute(text("SELECT COUNT(*) FROM enterprise_figure WHERE output_value_enc IS NOT NULL "
                                 "OR tax_enc IS NOT NULL")).scalar() == 0


def test_swapped_ciphertexts_fail_loudly_naming_the_row(db, level3):
    from xinlian.store.tables.registry import Enterprise

    with db.session() as s:
        a = Enterprise(match_key="t:a", name="甲示例", name_norm="甲示例", region_code=LOCAL,
                       figures=[EnterpriseFigure(year=2024, tax=100.0, output_value=5e7)])
        b = Enterprise(match_key="t:b", name="乙示例", name_norm="乙示例", region_code=LOCAL,
                       figures=[EnterpriseFigure(year=2024, tax=TAX, output_value=9e7)])
        s.add_all([a, b])
        s.flush()
        ida, idb = a.id, b.id
    with db.session() as s:  # reads back fine before the swap
        assert s.execute(select(EnterpriseFigure.tax).where(EnterpriseFigure.enterprise_id == idb)).scalar() is None
        fig = s.execute(select(EnterpriseFigure).where(EnterpriseFigure.enterprise_id == idb)).scalar_one()
        assert fig.tax == TAX and fig.output_value == 9e7
    with db.session() as s:  # someone with database access gives firm A the tax of firm B and vice versa
        ta, tb = (s.execute(text("SELECT tax_enc FROM enterprise_figure WHERE enterprise_id = :e"), {"e": i}).scalar()
                  for i in (ida, idb))
        s.execute(text("UPDATE enterprise_figure SET tax_enc = :t WHERE enterprise_id = :e"), {"t": tb, "e": ida})
        s.execute(text("UPDATE enterprise_figure SET tax_enc = :t WHERE enterprise_id = :e"), {"t": ta, "e": idb})
    with db.session() as s:
        with pytest.raises(FieldIntegrityError, match=rf"enterprise_figure\.tax.*企业 id {ida}，2024 年"):
            s.execute(select(EnterpriseFigure).where(EnterpriseFigure.enterprise_id == ida)).scalar_one()
    # A value moved to another column of the same row (output into revenue) is refused by the SQL readers too.
    with db.session() as s:
        s.execute(text("UPDATE enterprise_figure SET tax_enc = NULL, revenue_enc = output_value_enc"))
    with db.session() as s:
        with pytest.raises(FieldIntegrityError, match=r"enterprise_figure\.revenue.*企业 id \d+，2024 年"):
            with sensitive.readable_figures(s, [2024], ("revenue",)):
                pass


def test_missing_key_or_mismatched_storage_stops_start_up(db, tmp_path, monkeypatch):
    from xinlian.settings import get_settings
    from xinlian.web.app import create_app

    monkeypatch.setenv("XINLIAN_FIELD_KEY_FILE", str(tmp_path / "gone.key"))
    set_level(monkeypatch, 3)
    with pytest.raises(sensitive.FigureStorageError, match=r"安全等级 3 需要字段加密密钥.*gone\.key: 密钥文件不存在"):
        create_app(db, get_settings())
    monkeypatch.delenv("XINLIAN_FIELD_KEY_FILE")
    reset_settings()
    with pytest.raises(sensitive.FigureStorageError, match="未配置字段加密密钥"):
        create_app(db, get_settings())

    set_level(monkeypatch, 2)  # level-2 figures in clear, then the switch to 3 without converting them
    with db.session() as s:
        from xinlian.store.tables.registry import Enterprise

        s.add(Enterprise(match_key="t:c", name="丙示例", name_norm="丙示例", region_code=LOCAL,
                         figures=[EnterpriseFigure(year=2024, tax=TAX)]))
    create_app(db, get_settings())  # level 2 over plain figures: fine
    key = generate_key_file(tmp_path / "k1", get_provider("software"))
    monkeypatch.setenv("XINLIAN_FIELD_KEY_FILE", str(key))
    set_level(monkeypatch, 3)
    with pytest.raises(sensitive.FigureStorageError, match="1 行明文金额.*encrypt-figures"):
        create_app(db, get_settings())
    assert sensitive.encrypt_all(db)["rows_in_clear"] == 0
    create_app(db, get_settings())  # converted: starts
    set_level(monkeypatch, 2)
    with pytest.raises(sensitive.FigureStorageError, match="XINLIAN_SECURITY_LEVEL=3"):
        create_app(db, get_settings())
    other = generate_key_file(tmp_path / "k2", get_provider("software"))  # the wrong key is caught at start-up
    monkeypatch.setenv("XINLIAN_FIELD_KEY_FILE", str(other))
    set_level(monkeypatch, 3)
    with pytest.raises(sensitive.FigureStorageError, match="无法用所配置的密钥解密"):
        create_app(db, get_settings())
