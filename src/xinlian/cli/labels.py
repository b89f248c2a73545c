"""``xinlian enterprise label`` and ``xinlian user clearance``: security labels (等保 level 3 安全标记), set by the
security administrator from the shell; both audited (``xinlian.users.labels``)."""

from __future__ import annotations

import typer

from xinlian.cli.app import enterprise_app, fail, open_database, print_json
from xinlian.cli.users import _user_session, user_app


@enterprise_app.command("label")
def label_cmd(ident: str = typer.Argument(..., help="id、统一社会信用代码或企业名称"),
              level: str = typer.Argument(..., help="0 公开 public | 1 内部 internal | 2 敏感 sensitive")):
    """安全标记 Set a firm's security label (enforced at security_level 3: users whose clearance is lower no longer
    see the firm). Audited with before and after."""
    from xinlian.registry.queries import get_enterprise
    from xinlian.users.labels import set_label

    db = open_database()
    try:
        with db.session() as s:
            e = get_enterprise(s, ident)
            if e is None:
                fail(f"找不到企业 {ident!r} (no such enterprise)")
            set_label(s, e, level)
            out = {"id": e.id, "name": e.name, "security_label": e.security_label}
    except ValueError as exc:
        fail(str(exc))
    print_json(out)


@user_app.command("clearance")
def clearance_cmd(username: str, level: str = typer.Argument(
        ..., help="0 公开 public | 1 内部 internal | 2 敏感 sensitive")):
    """安全许可 Set the highest firm security label USERNAME may see (enforced at security_level 3). Audited; the
    clearance is part of the user's integrity seal."""
    from xinlian.users import accounts
    from xinlian.users.labels import set_clearance

    with _user_session(username) as (s, user):
        set_clearance(s, user, level)
        print_json(accounts.snapshot(user))
