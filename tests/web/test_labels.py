"""Security labels (等保 level 3 访问控制 f–g, 密评 c): at security_level 3 a firm labelled above a user's clearance is
absent from lists, search and node pages and answers 404 by id (audited); at level 2 labels are ignored. Label
changes are audited with before and after; a clearance raised in the database breaks the user's seal. Both
databases."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from webdata import WebEnv

FIRM = "澄江碳化硅材料有限公司"  # webdata.seed's first firm (320412, node sic_substrate)


def _env(db, ids, level: int) -> WebEnv:
    """An app serving at ``level`` (the login itself runs at level 2: the second factor has its own tests)."""
    from xinlian.settings import get_settings
    from xinlian.web.app import create_app

    settings = get_settings().model_copy(update={"security_level": level})
    return WebEnv(create_app(db, settings), db, ids)


@pytest.fixture
def labelled(web):
    """The first seeded firm labelled 1 内部 (through the library, audited); users 'low' (clearance 0) and 'mid'
    (clearance 1, the default)."""
    from xinlian.store.tables.auth import User
    from xinlian.store.tables.registry import Enterprise
    from xinlian.users.labels import set_clearance, set_label

    eid = web.ids["enterprises"][0]
    with web.db.session() as s:
        hashed = s.get(User, web.ids["analyst"]).password_hash
        low = User(username="low", display_name="low", password_hash=hashed, role="analyst")
        s.add_all([low, User(username="mid", display_name="mid", password_hash=hashed, role="analyst")])
        s.flush()
        set_clearance(s, low, 0)
        set_label(s, s.get(Enterprise, eid), "内部")
    web.ids["label1"] = eid
    return web


def _names(client, **params) -> set[str]:
    r = client.get("/enterprises.json", params={"status": "all", **params})
    assert r.status_code == 200
    return {i["name"] for i in r.json()["items"]}


def test_level3_clearance_below_the_label_hides_the_firm_everywhere(labelled):
    env = _env(labelled.db, labelled.ids, 3)
    eid = labelled.ids["label1"]
    low, mid = env.client("low"), env.client("mid")
    assert FIRM not in _names(low) and FIRM not in _names(low, q="碳化硅") and FIRM not in _names(low, q="澄江")
    assert FIRM in _names(mid) and FIRM in _names(mid, q="碳化硅")
    assert "远山功率器件股份有限公司" in _names(low)  # label 0 firms stay visible
    assert FIRM not in low.get("/enterprises", params={"q": "碳化硅"}).text
    for url in (f"/enterprises/{eid}", f"/enterprises/{eid}.json"):
        r = low.get(url)
        assert r.status_code == 404 and FIRM not in r.text, url
        assert mid.get(url).status_code == 200, url
    assert low.get(f"/enterprises/{eid}.json").json()["error"] == low.get("/enterprises/987654.json").json()["error"]
    node_mid = mid.get("/chain/nodes/sic_substrate.json").json()
    assert FIRM in json.dumps(node_mid, ensure_ascii=False)
    node_low = low.get("/chain/nodes/sic_substrate.json")
    assert node_low.status_code == 200 and FIRM not in node_low.text
    from xinlian.store.tables.auth import AuditLog

    with labelled.db.session() as s:
        denied = [(r.username, r.object_id, r.detail) for r in s.query(AuditLog).filter_by(action="scope.denied")]
    assert ("low", str(eid)) in {(u, o) for u, o, _ in denied}
    assert all("clearance 0" in d for u, _, d in denied if u == "low")


def test_level2_ignores_labels(labelled):
    env = _env(labelled.db, labelled.ids, 2)
    low = env.client("low")
    assert FIRM in _names(low) and FIRM in _names(low, q="碳化硅")
    assert low.get(f"/enterprises/{labelled.ids['label1']}.json").status_code == 200


def test_sensitive_label_hides_a_firm_from_the_default_clearance(labelled):
    from xinlian.store.tables.registry import Enterprise
    from xinlian.users.labels import set_label

    with labelled.db.session() as s:
        set_label(s, s.get(Enterprise, labelled.ids["label1"]), 2)
    mid = _env(labelled.db, labelled.ids, 3).client("mid")
    assert FIRM not in _names(mid)
    assert mid.get(f"/enterprises/{labelled.ids['label1']}.json").status_code == 404


def test_label_scale_is_closed():
    from xinlian.users.labels import parse_level
    from xinlian.users.scope import Limit, label_visible

    assert [parse_level(x) for x in ("0", "公开", "internal", 2, "敏感")] == [0, 0, 1, 2, 2]
    for bad in ("3", "涉密", "-1", ""):
        with pytest.raises(ValueError):
            parse_level(bad)
    assert label_visible(None, 2) and label_visible("3204", 2)  # level 2: bare prefix, no labels
    assert label_visible(Limit(None, 1), 1) and not label_visible(Limit(None, 1), 2)


def test_clearance_raised_in_the_database_breaks_the_seal(labelled):
    with labelled.db.engine.begin() as conn:
        conn.execute(text("UPDATE app_user SET clearance = 2 WHERE username = 'low'"))
    _, r = labelled.login("low")
    assert r.status_code == 401
    from xinlian.store.tables.auth import AuditLog

    with labelled.db.session() as s:
        assert [r.username for r in s.query(AuditLog).filter_by(action="user.integrity")] == ["low"]
    _, ok = labelled.login("mid")  # untouched rows, default clearance: their seals still hold
    assert ok.status_code == 303


def test_label_and_clearance_changes_are_audited_with_before_and_after(labelled, db_url, tmp_path, monkeypatch):
    from xinlian.cli import _load_areas, app
    from xinlian.settings import reset_settings
    from xinlian.store.tables.auth import AuditLog
    from xinlian.store.tables.registry import Enterprise
    from xinlian.users.audit import verify
    from xinlian.users.labels import label_history

    eid = labelled.ids["label1"]
    monkeypatch.setenv("XINLIAN_DB_URL", db_url)  # the database of the ``web`` fixture
    monkeypatch.setenv("XINLIAN_HOME", str(tmp_path))
    reset_settings()
    _load_areas()
    runner = CliRunner()
    r = runner.invoke(app, ["enterprise", "label", str(eid), "2"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["enterprise", "label", FIRM, "涉密"])
    assert r.exit_code != 0 and "涉密" in r.output
    r = runner.invoke(app, ["user", "clearance", "mid", "2"])
    assert r.exit_code == 0 and json.loads(r.output)["clearance"] == 2, r.output
    with labelled.db.session() as s:
        assert s.get(Enterprise, eid).security_label == 2
        history = label_history(s, eid)
        assert [(h["before"], h["after"]) for h in history] == [
            ({"security_label": 0}, {"security_label": 1}), ({"security_label": 1}, {"security_label": 2})]
        row = s.query(AuditLog).filter_by(action="user.clearance").order_by(AuditLog.id.desc()).first()
        assert (row.before["clearance"], row.after["clearance"]) == (1, 2)
        assert verify(s)["ok"]
    _, ok = labelled.login("mid")  # the CLI's change resealed the row
    assert ok.status_code == 303
    mid = _env(labelled.db, labelled.ids, 3).client("mid")
    assert mid.get(f"/enterprises/{eid}.json").status_code == 200



def test_level3_briefing_download_is_built_without_firms_above_the_clearance(labelled):
    """The route hands the names above the reader's clearance to the briefing (what the briefing then leaves out is
    tested in tests/report/test_masking.py, over a district whose briefing names firms)."""
    env = _env(labelled.db, labelled.ids, 3)
    params = {"period": "2025-Q1", "fmt": "html"}
    assert env.client("low").get("/reports/briefing", params=params).status_code == 200
    assert env.client("mid").get("/reports/briefing", params=params).status_code == 200
    from xinlian.store.tables.auth import AuditLog

    with labelled.db.session() as s:
        exports = {r.username: r.after["firms_hidden"] for r in s.query(AuditLog).filter_by(action="report.export")}
    assert exports["low"] >= 1 and exports["mid"] == 0  # the firm's name (and its longer aliases) for 'low' only


def test_security_admin_sets_a_clearance_on_the_users_page(labelled):
    from xinlian.store.tables.auth import AuditLog, User

    env = _env(labelled.db, labelled.ids, 3)
    with labelled.db.session() as s:
        low_id = s.query(User).filter_by(username="low").one().id
    sec, low = env.client("sec_admin"), env.client("low")
    page = sec.get("/admin/users")
    assert page.status_code == 200 and 'name="clearance"' in page.text and "内部" in page.text
    assert FIRM not in _names(low)
    assert env.post(env.client("analyst"), f"/admin/users/{low_id}/clearance", {"clearance": "1"}).status_code == 403
    assert env.post(sec, f"/admin/users/{low_id}/clearance", {"clearance": "3"}).status_code == 422  # no 涉密
    r = env.post(sec, f"/admin/users/{low_id}/clearance", {"clearance": "1"})
    assert r.status_code == 303
    assert FIRM in _names(env.client("low"))  # a fresh login: the seal was renewed with the new clearance
    with labelled.db.session() as s:
        row = s.query(AuditLog).filter_by(action="user.clearance", username="sec_admin").one()
        assert (row.before["clearance"], row.after["clearance"]) == (0, 1)
    assert 'name="clearance"' not in _env(labelled.db, labelled.ids, 2).client("sec_admin").get("/admin/users").text
