"""One audit row per security event (checklist 20) for what this issue added: a view of unmasked tax and output
figures, object-level refusals, and the database restore (the only path that deletes work data). Both databases
where the web app writes."""

from __future__ import annotations


def _rows(db, action):
    from xinlian.store.tables.auth import AuditLog

    with db.session() as s:
        return [dict(username=r.username, ip=r.ip, at=r.at, object_type=r.object_type, object_id=r.object_id,
                     outcome=r.outcome, detail=r.detail) for r in
                s.query(AuditLog).filter_by(action=action).order_by(AuditLog.id)]


def test_viewing_unmasked_figures_writes_one_row_per_user_object_and_window(web, monkeypatch):
    from datetime import datetime, timedelta, timezone

    clock = [datetime(2025, 3, 31, 9, 0, tzinfo=timezone.utc)]
    monkeypatch.setattr(web.app.state.web, "now", lambda: clock[0])
    window = web.app.state.web.settings.sensitive_view_audit_minutes
    assert window > 0
    eid = web.ids["enterprises"][1]
    analyst = web.client("analyst")
    assert analyst.get(f"/enterprises/{eid}.json").json()["figures"][0]["tax"] is not None
    analyst.get(f"/enterprises/{eid}")  # the same view inside the window: no second row
    assert len(_rows(web.db, "sensitive.view")) == 1
    clock[0] += timedelta(minutes=window, seconds=1)
    analyst.get(f"/enterprises/{eid}")  # after the window: a new view, a new row
    rows = _rows(web.db, "sensitive.view")
    assert len(rows) == 2
    for row in rows:
        assert row["username"] == "analyst" and row["ip"] and row["at"] is not None
        assert (row["object_type"], row["object_id"], row["outcome"]) == ("enterprise", str(eid), "success")
        assert "tax" in row["detail"] and "output_value" in row["detail"]
    # a masked view is not a view of sensitive figures: no row
    viewer = web.client("viewer")
    assert viewer.get(f"/enterprises/{eid}.json").json()["figures"][0]["tax"] is None
    assert len(_rows(web.db, "sensitive.view")) == 2


def test_every_view_is_recorded_when_the_window_is_zero(web, monkeypatch):
    monkeypatch.setattr(web.app.state.web.settings, "sensitive_view_audit_minutes", 0)
    eid = web.ids["enterprises"][1]
    analyst = web.client("analyst")
    for _ in range(3):
        analyst.get(f"/enterprises/{eid}.json")
    assert len(_rows(web.db, "sensitive.view")) == 3


def test_restore_is_audited_in_the_restored_database(sqlite_db, tmp_path):
    from typer.testing import CliRunner

    from xinlian.cli import _load_areas, app
    from xinlian.store.backup import backup
    from xinlian.store.tables.registry import Enterprise

    with sqlite_db.session() as s:
        s.add(Enterprise(name="恢复前企业", name_norm="恢复前企业", match_key="n:r1", region_code="320412"))
    out = tmp_path / "b.db"
    backup(sqlite_db, out)
    with sqlite_db.session() as s:
        s.add(Enterprise(name="备份后企业", name_norm="备份后企业", match_key="n:r2", region_code="320412"))
    _load_areas()
    r = CliRunner().invoke(app, ["restore", str(out), "--yes"])
    assert r.exit_code == 0, r.output
    with sqlite_db.session() as s:
        assert [e.name for e in s.query(Enterprise)] == ["恢复前企业"]  # the later firm is gone ...
    rows = _rows(sqlite_db, "db.restore")
    assert len(rows) == 1 and rows[0]["object_id"] == "b.db" and rows[0]["username"]  # ... and it is on record


def test_node_page_and_project_with_sensitive_figures_are_audited(web):
    from xinlian.work import projects as wp

    with web.db.session() as s:
        pid = wp.add_project(s, name="审计测试项目", expected_tax=5e7, user="t")["id"]
    analyst, viewer = web.client("analyst"), web.client("viewer")
    firms = analyst.get("/chain/nodes/foundry.json").json()["local_firms"]["items"]
    assert any(f["output_yuan"] is not None for f in firms)
    assert analyst.get(f"/projects/{pid}.json").json()["project"]["expected_tax"] == 5e7
    viewer.get("/chain/nodes/foundry.json")
    viewer.get(f"/projects/{pid}.json")
    rows = [(r["username"], r["object_type"], r["object_id"]) for r in _rows(web.db, "sensitive.view")]
    assert rows == [("analyst", "chain_node", "semiconductor/foundry"), ("analyst", "project", str(pid))]
