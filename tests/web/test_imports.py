"""Import pages: an enterprise sheet in, the bad-row report out; uploads refused by size, type and zip bombs."""

from __future__ import annotations

import io
import zipfile

import pytest

GOOD_CSV = ("企业名称,统一社会信用代码,所在地区,产值(万元),年份\n"
            "青禾微电子有限公司,,320412,1200,2024\n"
            ",,320412,50,2024\n"
            "启明光电有限公司,,320412,不是数字,2024\n").encode("utf-8")


def upload(env, client, name: str, data: bytes, kind: str = "enterprises", **extra):
    return client.post("/imports", files={"file": (name, data, "application/octet-stream")},
                       data={"kind": kind, "csrf_token": env.csrf(client), **extra}, follow_redirects=False)


def leftover_uploads(tmp_home) -> list:
    folder = tmp_home / "uploads"
    return list(folder.iterdir()) if folder.exists() else []


def test_upload_enterprise_sheet_and_read_the_bad_rows(web):
    from xinlian.settings import get_settings

    c = web.client("analyst")
    r = upload(web, c, "名录.csv", GOOD_CSV)
    assert r.status_code == 303, r.text[:500]
    batch = c.get(r.headers["location"] + ".json").json()
    assert batch["batch"]["rows_total"] == 3 and batch["batch"]["rows_ok"] >= 1
    assert batch["errors_total"] >= 1 and all(e["reason"] for e in batch["errors"])
    assert "青禾微电子有限公司" in [i["name"] for i in c.get("/enterprises.json?q=青禾微电子").json()["items"]]
    page = c.get(r.headers["location"]).text
    assert "bad-rows" in page
    assert leftover_uploads(get_settings().home) == []
    from xinlian.store.tables.auth import AuditLog

    with web.db.session() as s:
        row = s.query(AuditLog).filter_by(action="import", outcome="success").one()
        assert row.username == "analyst" and row.after["file"] == "名录.csv"
    assert upload(web, web.client("viewer"), "名录.csv", GOOD_CSV).status_code == 403


def _bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * 30_000_000)
    return buf.getvalue()


@pytest.mark.parametrize("name,data,status", [
    ("名录.exe", b"MZ\x90\x00", 415),
    ("名录.xlsx", b"just text, not a zip", 415),
    ("名录.csv", b"PK\x03\x04 zip posing as csv", 415),
    ("bomb.xlsx", None, 400),
])
def test_refused_uploads(sqlite_web, name, data, status):
    from xinlian.settings import get_settings

    c = sqlite_web.client("admin")
    r = upload(sqlite_web, c, name, data if data is not None else _bomb())
    assert r.status_code == status, r.text[:300]
    assert leftover_uploads(get_settings().home) == []
    from xinlian.store.tables.auth import AuditLog

    with sqlite_web.db.session() as s:
        assert s.query(AuditLog).filter_by(action="import", outcome="failure").count() == 1


def test_upload_over_the_limit_is_413(sqlite_db, password_hash, monkeypatch):
    from xinlian.settings import get_settings, reset_settings
    from xinlian.web.app import create_app

    from webdata import WebEnv, seed

    monkeypatch.setenv("XINLIAN_UPLOAD_MAX_BYTES", "50000")
    reset_settings()
    env = WebEnv(create_app(sqlite_db, get_settings()), sqlite_db, seed(sqlite_db, password_hash))
    r = upload(env, env.client("admin"), "big.csv", b"a,b\n" * 20000)
    assert r.status_code == 413
