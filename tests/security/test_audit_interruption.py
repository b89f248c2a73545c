"""等保 level 3 安全审计 d: the audit process cannot be interrupted to let an action through unrecorded.

An audit row is written in the same transaction as the action it records (``users.audit.record`` takes the
caller's session), so when the audit write fails the action is rolled back with it. Here the database is made to
refuse every new audit row (a trigger a test adds; an attacker who could do that already owns the database) and a
role change, the most sensitive write, must not stay. Both databases.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from xinlian.store.tables.auth import AuditLog, User
from xinlian.users import accounts

BLOCK = {
    "sqlite": ["CREATE TRIGGER audit_down BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit down'); END"],
    "postgresql": [
        "CREATE FUNCTION audit_down() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit down'; END $$",
        "CREATE TRIGGER audit_down BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_down()",
    ],
}


def test_an_action_whose_audit_row_cannot_be_written_does_not_happen(db):
    with db.session() as s:
        target = accounts.create_user(s, "jiang", "Qing-Shan 8 Lu!", role="viewer").id
    with db.session() as s:
        rows_before = s.query(AuditLog).count()
    with db.engine.begin() as conn:
        for stmt in BLOCK[db.engine.dialect.name]:
            conn.execute(text(stmt))
    with pytest.raises(Exception, match="audit down"):
        with db.session() as s:
            accounts.set_role(s, s.get(User, target), "analyst")
    with db.session() as s:
        assert s.get(User, target).role == "viewer"  # the change went back with its audit row
        assert s.query(AuditLog).count() == rows_before
