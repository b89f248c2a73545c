"""Checklist 21 (等保 安全审计 c): every audit row stores its HMAC-SM3 chain value; verification finds an edited, a
deleted and a cut-off row; concurrent writers never fork the chain; the retention purge refuses young rows and
leaves a chain that still verifies. Rows are changed "behind the application's back" with the append-only
triggers switched off, as someone with database access would."""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

NOW = datetime.now(timezone.utc)


def write(db, n: int, *, start: int = 0, at: datetime | None = None, action: str = "test.event") -> None:
    from xinlian.users import audit

    with db.session() as s:
        for i in range(start, start + n):
            audit.record(s, None, action, ("thing", i), username=f"用户{i}", ip="10.0.0.1",
                         after={"n": i, "amount": 1.5e9, "whole": 2.0, "名称": "滆湖"}, at=at)


def verify(db) -> dict:
    from xinlian.users import audit

    with db.session() as s:
        return audit.verify(s)


def ids(db) -> list[int]:
    with db.engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT id FROM audit_log ORDER BY id"))]


@contextmanager
def triggers_off(db):
    """A connection on which the append-only triggers do not fire (put back afterwards)."""
    from xinlian.store.dialect import EXTRAS

    with db.engine.begin() as conn:
        if db.dialect == "sqlite":
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
            conn.execute(text("DROP TRIGGER audit_log_no_delete"))
        else:
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        yield conn
        if db.dialect == "sqlite":
            for stmt in EXTRAS["audit_append_only"]["sqlite"]:
                conn.execute(text(stmt))
        else:
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))


def test_rows_carry_chain_values_and_verify(db):
    write(db, 5)
    report = verify(db)
    assert report["ok"] and report["rows"] == 5 and report["first_bad_id"] is None
    with db.engine.connect() as conn:
        chains = [r[0] for r in conn.execute(text("SELECT chain FROM audit_log ORDER BY id"))]
    assert len(set(chains)) == 5 and all(len(c) == 64 for c in chains)
    assert report["head"] == {"last_id": ids(db)[-1], "last_chain": chains[-1]}
    # each value links to the one before it: the pure chain functions agree with what is stored
    from xinlian.crypto import get_provider
    from xinlian.crypto.audit_chain import verify_chain
    from xinlian.crypto.keys import subkey
    from xinlian.store.tables.auth import AuditLog
    from xinlian.users.audit import canonical_row

    with db.session() as s:
        records = [{**canonical_row(r), "chain": r.chain} for r in s.query(AuditLog).order_by(AuditLog.id)]
    assert verify_chain(records, provider=get_provider("software"), key=subkey("audit-chain")) is None
    records[1], records[2] = records[2], records[1]
    assert verify_chain(records, provider=get_provider("software"), key=subkey("audit-chain")) == 1


def test_an_edited_row_is_found(db):
    write(db, 6)
    third = ids(db)[2]
    with triggers_off(db) as conn:
        conn.execute(text("UPDATE audit_log SET outcome = 'failure' WHERE id = :id"), {"id": third})
    report = verify(db)
    assert not report["ok"] and report["first_bad_id"] == third and "does not match" in report["reason"]


def test_an_edited_json_value_is_found(db):
    write(db, 3)
    second = ids(db)[1]
    with triggers_off(db) as conn:
        conn.execute(text("UPDATE audit_log SET username = 'someone-else' WHERE id = :id"), {"id": second})
    assert verify(db)["first_bad_id"] == second


def test_a_deleted_row_and_a_cut_off_tail_are_found(db):
    write(db, 6)
    all_ids = ids(db)
    with triggers_off(db) as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": all_ids[3]})
    report = verify(db)
    assert not report["ok"] and report["first_bad_id"] == all_ids[4] and "missing" in report["reason"]

    # put a copy back in place with a forged chain value: the chain still says no
    with triggers_off(db) as conn:
        conn.execute(text("INSERT INTO audit_log (id, at, action, outcome, chain) VALUES (:id, :at, 'forged', "
                          "'success', :c)"), {"id": all_ids[3], "at": NOW, "c": "0" * 64})
    assert verify(db)["first_bad_id"] == all_ids[3]


def test_a_cut_off_newest_row_is_found(db):
    write(db, 4)
    last = ids(db)[-1]
    with triggers_off(db) as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": last})
    report = verify(db)
    assert not report["ok"] and report["first_bad_id"] == last and "newest" in report["reason"]


def test_concurrent_writers_do_not_fork_the_chain(db):
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            for i in range(8):
                write(db, 2, start=k * 100 + i * 2)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert ids(db) == list(range(1, 65))  # ids handed out by the head: no gaps, no duplicates
    report = verify(db)
    assert report["ok"] and report["rows"] == 64


def test_purge_keeps_the_chain_verifiable(db):
    from xinlian.store.tables.auth import AuditLog
    from xinlian.users import audit

    write(db, 4, at=NOW - timedelta(days=400))
    write(db, 3, start=10, at=NOW - timedelta(days=250))
    write(db, 2, start=20, at=NOW - timedelta(days=10))
    with db.session() as s:
        summary = audit.purge(s, (NOW - timedelta(days=300)).date(), username="审计员")
    assert summary["deleted"] == 4 and summary["cut_id"] == 4
    assert ids(db) == [5, 6, 7, 8, 9, 10]  # the purge row is the newest
    report = verify(db)
    assert report["ok"] and report["base_id"] == 4 and report["rows"] == 6
    with db.session() as s:
        row = s.query(AuditLog).order_by(AuditLog.id.desc()).first()
        assert row.action == "audit.purge" and row.username == "审计员" and row.after["deleted"] == 4

    with db.session() as s:  # a second purge builds on the first
        assert audit.purge(s, (NOW - timedelta(days=200)).date())["deleted"] == 3
    assert verify(db)["ok"] and ids(db)[0] == 8

    # still append-only for everyone else, and an edit after the cut is still found
    for stmt in ("UPDATE audit_log SET outcome = 'failure'", "DELETE FROM audit_log"):
        with pytest.raises(Exception, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(text(stmt))
    with triggers_off(db) as conn:
        conn.execute(text("UPDATE audit_log SET detail = 'x' WHERE id = 8"))
    assert verify(db)["first_bad_id"] == 8


def test_purge_refuses_rows_inside_the_retention_period(db):
    from xinlian.settings import get_settings
    from xinlian.users import audit

    write(db, 3, at=NOW - timedelta(days=100))
    days = get_settings().audit_retention_days
    assert days >= 180
    with pytest.raises(audit.AuditError, match="保存期"):
        with db.session() as s:
            audit.purge(s, (NOW - timedelta(days=days - 1)).date())
    assert ids(db) == [1, 2, 3]
    if db.dialect == "postgresql":  # the database itself refuses a young cut even if the library were bypassed
        with pytest.raises(Exception, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(text("SELECT set_config('xinlian.audit_purge_before', :c, true)"),
                             {"c": NOW.isoformat()})
                conn.execute(text("DELETE FROM audit_log"))
    assert ids(db) == [1, 2, 3]


def test_purge_refuses_a_broken_chain_and_a_forged_cut_is_found(db):
    from xinlian.users import audit

    write(db, 4, at=NOW - timedelta(days=400))
    write(db, 2, start=10, at=NOW - timedelta(days=5))
    with triggers_off(db) as conn:
        conn.execute(text("UPDATE audit_log SET detail = 'hidden' WHERE id = 2"))
    with pytest.raises(audit.AuditError, match="第 2 行"):
        with db.session() as s:
            audit.purge(s, (NOW - timedelta(days=300)).date())
    assert ids(db) == [1, 2, 3, 4, 5, 6]  # nothing removed: the evidence stays

    with triggers_off(db) as conn:  # move the cut by hand (rows 1-4 gone, head says base 4) without a purge row
        conn.execute(text("DELETE FROM audit_log WHERE id <= 4"))
        chain4 = "0" * 63 + "1"
        conn.execute(text("UPDATE audit_chain_head SET base_id = 4, base_chain = :c"), {"c": chain4})
    assert not verify(db)["ok"]


def run(*args):
    from xinlian.cli import _load_areas, app

    _load_areas()
    return CliRunner().invoke(app, list(args))


def test_audit_verbs(sqlite_db):
    write(sqlite_db, 3, at=NOW - timedelta(days=400))
    write(sqlite_db, 1, start=5)
    r = run("audit", "verify", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["ok"] is True
    young = (NOW - timedelta(days=30)).strftime("%Y-%m-%d")
    r = run("audit", "purge", "--before", young)
    assert r.exit_code == 1 and "保存期" in r.output
    r = run("audit", "purge", "--before", (NOW - timedelta(days=365)).strftime("%Y-%m-%d"), "--user", "auditor")
    assert r.exit_code == 0 and json.loads(r.stdout)["deleted"] == 3
    with triggers_off(sqlite_db) as conn:
        conn.execute(text("UPDATE audit_log SET action = 'other' WHERE id = 4"))
    r = run("audit", "verify", "--json")
    assert r.exit_code == 1 and json.loads(r.stdout)["first_bad_id"] == 4
