"""Per-firm money figures at rest: plain numbers at security level 2, SM4-GCM ciphertext only at level 3.

At ``XINLIAN_SECURITY_LEVEL=3`` (等保 数据保密性/完整性 at rest; 密评 8.4 e, g; checklist item 23) the four money
columns of ``enterprise_figure`` — output value, revenue, tax and R&D spend, the figures masked for roles without
``sensitive`` — are written only to their ciphertext twins ``*_enc`` (``xinlian.crypto.fields``: one SM4-GCM
ciphertext per cell, fresh nonce) and the plain columns stay NULL. At level 2 nothing changes: plain numeric
columns, summed by SQL. Employees and patents stay plain at both levels.

Decisions (docs/security.md, "Sensitive figures at rest"):

- **AAD** is ``enterprise_figure/<enterprise_id>:<year>/<column>``. The row is named by its natural key (unique
  per firm and year), not the surrogate id: the bulk importer upserts without learning ids, so rows are sealed
  before they are written, and a re-import of the same firm-year keeps a valid ciphertext. A ciphertext copied to
  another firm, year or column fails to decrypt, and the error names table, column, firm and year.
- **One writer.** ``write_figures`` (the importer and, through it, the demo) and the ORM flush hooks (objects added
  with ``session.add``) both go through ``seal_row``. Re-sealing happens on every ORM update at level 3.
- **Readers.** ORM objects are decrypted when loaded (``set_committed_value``: the value is never marked as changed,
  so it is never flushed back in clear), so the profile page and JSON, ``xinlian enterprise show`` and policy checks
  read ``EnterpriseFigure.tax`` as before. SQL readers (diagnosis figures, targets, leaders, briefing totals, the
  dashboard) take ``readable_figures(session, ...)``: the table itself at level 2, at level 3 a temporary table of
  decrypted rows (of the years, columns and firms asked for) dropped on exit; ``decrypt_into`` fills a caller's
  own temporary table. Decrypted values exist only in the process and in the session's temporary tables (SQLite:
  the temp store; PostgreSQL: the temp tablespace). Cells once opened are kept per process (``_OPENED``).
- **Start-up** (``check_storage``, called by ``web.app.create_app``): at level 3 a missing or unreadable key stops
  start-up with the reason, and so do figures still in clear (run ``xinlian security encrypt-figures``); at level 2
  figures in ciphertext stop it too (set level 3, or ``xinlian security decrypt-figures --confirm``).
- **Migration** ``encrypt_all`` / ``decrypt_all``: one transaction each; the way back to clear is a separate,
  explicit verb and refused while the level is 3. Both also convert the raw store (``rawstore.seal_store`` /
  ``unseal_store``): the kept sheets hold the same figures.
- **Import errors**: at level 3 every INSERT into ``import_error`` is masked by an engine hook (``mask_problem``):
  a cell of a money column, or of a header no lexicon knows, is stored as ``***`` and its reason without numbers.
"""

from __future__ import annotations

import itertools
import os
import re
from contextlib import contextmanager, suppress
from typing import Iterable, Iterator, Sequence

from sqlalchemy import bindparam, column, event, table, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from xinlian.crypto.fields import FieldIntegrityError, decrypt_field, encrypt_field
from xinlian.settings import get_settings
from xinlian.store import dialect
from xinlian.store.tables.registry import EnterpriseFigure

__all__ = ["MONEY", "ENC", "FigureStorageError", "encrypted", "seal_row", "write_figures", "readable_figures",
           "decrypt_into", "open_rows", "figure_table", "local_firms", "check_storage", "encrypt_all", "decrypt_all",
           "mask_problem", "figure_header"]

TABLE = EnterpriseFigure.__tablename__
MONEY = ("output_value", "revenue", "tax", "rd_spend")
ENC = {c: c + "_enc" for c in MONEY}
PLAIN = ("employees", "patents")
_counter = itertools.count()


class FigureStorageError(RuntimeError):
    """The database and the security level (or the key) disagree; the message says what to do."""


def encrypted() -> bool:
    """True when figures are to be stored as ciphertext (``XINLIAN_SECURITY_LEVEL=3``)."""
    return get_settings().security_level == 3


def _crypto():
    """(provider, key) for the field cipher; raises ``CryptoError`` naming the missing or bad key file."""
    from xinlian.crypto import get_provider
    from xinlian.crypto.fields import load_key

    s = get_settings()
    return get_provider(s.crypto_provider), load_key(s.field_key_file)


def row_ref(enterprise_id, year) -> str:
    """The row part of the AAD: the natural key of the figure row."""
    return f"{int(enterprise_id)}:{int(year)}"


def seal_row(row: dict, crypto=None) -> dict:
    """``row`` as stored at level 3: each money value moved into its ``*_enc`` column as ciphertext (None stays
    None) and the plain money keys removed. ``row`` needs ``enterprise_id`` and ``year``."""
    provider, key = crypto or _crypto()
    ref = row_ref(row["enterprise_id"], row["year"])
    out = {k: v for k, v in row.items() if k not in MONEY}
    for c in MONEY:
        if c in row:
            out[ENC[c]] = encrypt_field(provider, key, TABLE, ref, c, row[c])
    return out


# Cells already decrypted in this process, per key: {(row ref, column, stored text): value}. A stored text holds a
# random nonce, so an entry only ever matches the very cell that passed its integrity check under that key and
# AAD; a moved or edited cell misses and is checked again. Bounded; cleared when full. Decrypted values live in
# the process memory anyway while a page or diagnosis is built (the key does too).
_OPENED: dict[bytes, dict[tuple, float | None]] = {}
OPENED_MAX = 1_000_000


def _open(crypto, enterprise_id, year, column: str, stored: str | None) -> float | None:
    if stored is None:
        return None
    provider, key = crypto
    ref = row_ref(enterprise_id, year)
    cache = _OPENED.setdefault(bytes(key), {})
    hit = cache.get((ref, column, stored), _OPENED)
    if hit is not _OPENED:
        return hit
    try:
        value = decrypt_field(provider, key, TABLE, ref, column, stored)
    except FieldIntegrityError as exc:
        raise FieldIntegrityError(f"{exc}【企业 id {enterprise_id}，{year} 年】") from None
    if len(cache) >= OPENED_MAX:
        cache.clear()
    cache[(ref, column, stored)] = value
    return value


# --------------------------------------------------------------------------- writers


def write_figures(session: Session, rows: Sequence[dict]) -> None:
    """Upsert yearly figure rows (``enterprise_id``, ``year`` and any of ``EnterpriseFigure.FIELDS``) keyed by
    (enterprise_id, year); a None never overwrites a stored value. At level 3 the money values are sealed first and
    the plain money columns of an updated row are set to NULL."""
    if not rows:
        return
    fields = [c for c in rows[0] if c not in ("enterprise_id", "year")]
    if not encrypted():
        dialect.upsert_many(session, TABLE, rows, keys=["enterprise_id", "year"], update=fields,
                            keep_old_when_null=True)
        return
    crypto = _crypto()
    sealed = [seal_row(r, crypto) for r in rows]
    update = [c for c in sealed[0] if c not in ("enterprise_id", "year")]
    dialect.upsert_many(session, TABLE, sealed, keys=["enterprise_id", "year"], update=update,
                        keep_old_when_null=True, extra_set=[(c, "NULL") for c in MONEY])


_HELD = "_xl_plain_money"


@event.listens_for(EnterpriseFigure, "before_insert")
@event.listens_for(EnterpriseFigure, "before_update")
def _seal_object(mapper, connection, target: EnterpriseFigure) -> None:
    """ORM writes at level 3: the INSERT/UPDATE carries ciphertext and NULL plain columns; the object keeps its
    plain values in memory (restored after the statement)."""
    if not encrypted():
        return
    held = {c: getattr(target, c) for c in MONEY}
    sealed = seal_row({"enterprise_id": target.enterprise_id, "year": target.year, **held})
    for c in MONEY:
        setattr(target, ENC[c], sealed[ENC[c]])
        setattr(target, c, None)
    setattr(target, _HELD, held)


@event.listens_for(EnterpriseFigure, "after_insert")
@event.listens_for(EnterpriseFigure, "after_update")
def _restore_object(mapper, connection, target: EnterpriseFigure) -> None:
    held = target.__dict__.pop(_HELD, None)
    if held:
        for c, v in held.items():
            set_committed_value(target, c, v)


@event.listens_for(EnterpriseFigure, "load")
def _open_object(target: EnterpriseFigure, context) -> None:
    """ORM reads: a loaded row with ciphertext gets its plain attributes decrypted (not marked as changed)."""
    d = target.__dict__
    crypto = None
    for c in MONEY:
        stored = d.get(ENC[c])
        if stored is not None:
            crypto = crypto or _crypto()
            set_committed_value(target, c, _open(crypto, d["enterprise_id"], d["year"], c, stored))


@event.listens_for(EnterpriseFigure, "refresh")
def _open_refreshed(target: EnterpriseFigure, context, attrs) -> None:
    _open_object(target, context)


# --------------------------------------------------------------------------- SQL readers


def open_rows(rows: Sequence, columns: Sequence[str], first: int, crypto=None) -> list[dict]:
    """Decrypt result rows whose items 0 and 1 are enterprise id and year and whose items from ``first`` on are the
    ciphertexts of ``columns``: one {column: value} per row. The one place SQL readers decrypt."""
    crypto = crypto or _crypto()
    return [{c: _open(crypto, r[0], r[1], c, r[first + i]) for i, c in enumerate(columns)} for r in rows]


def decrypt_into(session: Session, table: str, columns: Iterable[str] = MONEY) -> int:
    """Fill the money ``columns`` of the temporary ``table`` (with ``enterprise_id`` and ``year`` columns) with the
    decrypted values of the matching ``enterprise_figure`` rows. Returns the number of rows filled."""
    columns = [c for c in columns if c in MONEY]
    if not columns:
        return 0
    crypto = _crypto()
    enc = ", ".join(f"f.{ENC[c]}" for c in columns)
    # sql-ok: table/column names are this module's constants and our temp table names; values are bound
    rows = session.execute(text(f"SELECT f.enterprise_id, f.year, {enc} FROM {TABLE} f "
                                f"JOIN {table} t ON t.enterprise_id = f.enterprise_id AND t.year = f.year")).all()
    values = [{"_e": r[0], "_y": r[1], **opened} for r, opened in zip(rows, open_rows(rows, columns, 2, crypto))]
    if values:
        sets = ", ".join(f"{c} = :{c}" for c in columns)
        # sql-ok: table/column names are this module's constants and our temp table names; values are bound
        session.execute(text(f"UPDATE {table} SET {sets} WHERE enterprise_id = :_e AND year = :_y"), values)
    return len(values)


@contextmanager
def readable_figures(session: Session, years: Iterable[int] | None = None, columns: Iterable[str] = MONEY, *,
                     firms: str | None = None, params: dict | None = None) -> Iterator[str]:
    """The name of a table with readable figures, for SQL that joins ``enterprise_figure``.

    Level 2: ``enterprise_figure`` itself, at no cost. Level 3: a temporary table with the same figure columns,
    holding the rows of ``years`` (all when None) of the enterprises selected by the SQL ``firms`` (all when None;
    its bind values in ``params``, lists bound as expanding), with the money ``columns`` decrypted and the other
    money columns NULL; dropped on exit. Narrow it: every row read costs one decryption per column.

    >>> with readable_figures(session, years=[2024], columns=["output_value"]) as fig:  # doctest: +SKIP
    ...     session.execute(text(f"SELECT SUM(output_value) FROM {fig} WHERE year = 2024"))
    """
    if not encrypted():
        yield TABLE
        return
    name = f"xl_plain_fig_{os.getpid()}_{next(_counter)}"
    params = dict(params or {})
    where = []
    if years is not None:
        params["_years"] = [int(y) for y in years] or [-1]
        where.append("year IN :_years")
    if firms is not None:
        where.append(f"enterprise_id IN ({firms})")
    cols = [c for c in columns if c in MONEY]
    # sql-ok: firms is SQL written by the calling module (values bound via params); names are our constants
    stmt = text("SELECT enterprise_id, year, id, employees, patents" + "".join(f", {ENC[c]}" for c in cols)
                + f" FROM {TABLE}" + (" WHERE " + " AND ".join(where) if where else ""))
    stmt = stmt.bindparams(*(bindparam(k, expanding=True) for k, v in params.items()
                             if isinstance(v, (list, tuple, set))))
    rows = session.execute(stmt, params).all()
    plain = open_rows(rows, cols, 5)
    # sql-ok: table/column names are this module's constants and our temp table names; no values
    session.execute(text(f"CREATE TEMPORARY TABLE {name} AS SELECT id, enterprise_id, year, "
                         f"{', '.join((*MONEY, *PLAIN))} FROM {TABLE} WHERE 1 = 0"))
    # sql-ok: our own temp table name; no values
    drop = text(f"DROP TABLE IF EXISTS {name}")
    try:
        if rows:
            names = ["id", "enterprise_id", "year", "employees", "patents", *cols]
            # sql-ok: table/column names are this module's constants and our temp table names; values are bound
            insert = text(f"INSERT INTO {name} ({', '.join(names)}) VALUES ({', '.join(':' + n for n in names)})")
            session.execute(insert, [{"id": r[2], "enterprise_id": r[0], "year": r[1], "employees": r[3],
                                      "patents": r[4], **v} for r, v in zip(rows, plain)])
        # sql-ok: table/column names are this module's constants and our temp table names; values are bound
        session.execute(text(f"CREATE INDEX {name}_key ON {name} (enterprise_id, year)"))
        yield name
    except BaseException:
        with suppress(Exception):  # a failed transaction (PostgreSQL) drops it with the rollback anyway
            session.execute(drop)
        raise
    session.execute(drop)


def figure_table(name: str):
    """A Core table construct over ``name`` (from ``readable_figures``) with the figure columns, for ``select()``."""
    return table(name, *(column(c) for c in ("id", "enterprise_id", "year", *MONEY, *PLAIN)))


def local_firms(prefix: str) -> tuple[str, dict]:
    """``firms`` SQL and params for ``readable_figures``: the enterprises whose region code starts with
    ``prefix``."""
    return "SELECT id FROM enterprise WHERE region_code LIKE :_local", {"_local": prefix + "%"}


# --------------------------------------------------------------------------- start-up and migration


def _count(session: Session, which: Iterable[str]) -> int:
    cond = " OR ".join(f"{c} IS NOT NULL" for c in which)
    # sql-ok: table/column names are this module's constants and our temp table names; values are bound
    return int(session.execute(text(f"SELECT COUNT(*) FROM {TABLE} WHERE {cond}")).scalar() or 0)


def _any(session: Session, which: Iterable[str]) -> bool:
    """True when some row holds a value in one of ``which`` (stops at the first: start-up reads no more than it
    must of a table of millions of rows; ``_count`` is for the error message only)."""
    cond = " OR ".join(f"{c} IS NOT NULL" for c in which)
    # sql-ok: table/column names are this module's constants; nothing from outside
    return session.execute(text(f"SELECT 1 FROM {TABLE} WHERE {cond} LIMIT 1")).first() is not None


def check_storage(db) -> dict:
    """Refuse to start when the stored figures do not match the security level, or the key is missing or wrong.

    Returns ``{"level"}``; raises ``FigureStorageError`` with what to do. Each level looks only for the rows
    that would be wrong for it (at most one pass over the table); rows are counted only to say so."""
    from xinlian.crypto import CryptoError

    level = get_settings().security_level
    with db.session() as s:
        if level == 3:
            try:
                crypto = _crypto()
            except CryptoError as exc:
                raise FigureStorageError(f"安全等级 3 需要字段加密密钥，无法启动：{exc}") from None
            if _any(s, MONEY):
                raise FigureStorageError(f"安全等级 3：{TABLE} 中仍有 {_count(s, MONEY)} 行明文金额，无法启动；"
                                         "请先执行 xinlian security encrypt-figures")
            # sql-ok: table/column names are this module's constants and our temp table names; values are bound
            probe = s.execute(text(f"SELECT enterprise_id, year, {', '.join(ENC.values())} FROM {TABLE} WHERE "
                                   + " OR ".join(f"{c} IS NOT NULL" for c in ENC.values())
                                   + " ORDER BY id LIMIT 1")).first()
            if probe is not None:
                col = next(c for i, c in enumerate(MONEY) if probe[2 + i] is not None)
                try:
                    _open(crypto, probe[0], probe[1], col, probe[2 + MONEY.index(col)])
                except FieldIntegrityError as exc:
                    raise FigureStorageError(f"安全等级 3：现有密文无法用所配置的密钥解密，无法启动（{exc}）") from None
        elif _any(s, ENC.values()):
            raise FigureStorageError(f"{TABLE} 中有 {_count(s, ENC.values())} 行加密金额，而安全等级为 {level}；请设置 "
                                     "XINLIAN_SECURITY_LEVEL=3，或执行 xinlian security decrypt-figures --confirm")
    return {"level": level}


def _audit(session: Session, actor: str | None, action: str, detail: str) -> None:
    from xinlian.users import audit

    audit.record(session, None, action, (TABLE, "*"), username=actor or "cli", detail=detail)


def encrypt_all(db, *, actor: str | None = None) -> dict:
    """Seal every figure row still in clear, in one transaction (idempotent), and audit it. Needs the key; works at
    either level so that the operator can convert first and then set ``XINLIAN_SECURITY_LEVEL=3``."""
    crypto = _crypto()
    with db.session() as s:
        # sql-ok: table/column names are this module's constants and our temp table names; values are bound
        rows = s.execute(text(f"SELECT id, enterprise_id, year, {', '.join(MONEY)}, {', '.join(ENC.values())} "
                              f"FROM {TABLE} WHERE " + " OR ".join(f"{c} IS NOT NULL" for c in MONEY))).all()
        updates = []
        for r in rows:
            plain = dict(zip(MONEY, r[3:3 + len(MONEY)]))
            old = dict(zip(MONEY, r[3 + len(MONEY):]))
            sealed = seal_row({"enterprise_id": r[1], "year": r[2],
                               **{c: plain[c] for c in MONEY if plain[c] is not None}}, crypto)
            updates.append({"_id": r[0], **{ENC[c]: sealed.get(ENC[c], old[c]) for c in MONEY}})
        if updates:
            sets = ", ".join([f"{c} = NULL" for c in MONEY] + [f"{e} = :{e}" for e in ENC.values()])
            # sql-ok: table/column names are this module's constants and our temp table names; values are bound
            s.execute(text(f"UPDATE {TABLE} SET {sets} WHERE id = :_id"), updates)
        left = _count(s, MONEY)
        _audit(s, actor, "figures.encrypt", f"{len(updates)} rows sealed with SM4-GCM")
    from xinlian.store import rawstore

    files = rawstore.seal_store()  # the kept sheets hold the same figures (after the rows: files are idempotent)
    with db.session() as s:
        _audit(s, actor, "raw.encrypt", f"{files['raw_files_sealed']} raw files sealed with SM4-GCM")
    return {"rows_encrypted": len(updates), "rows_in_clear": left, **files}


def decrypt_all(db, *, confirm: bool = False, actor: str | None = None) -> dict:
    """Put every figure back in clear, in one transaction: the explicit way back to level 2. Refused without
    ``confirm`` and while ``XINLIAN_SECURITY_LEVEL`` is 3."""
    if not confirm:
        raise FigureStorageError("把加密金额还原为明文需要明确确认（--confirm）")
    if encrypted():
        raise FigureStorageError("安全等级为 3 时不能还原明文；先设置 XINLIAN_SECURITY_LEVEL=2")
    crypto = _crypto()
    with db.session() as s:
        # sql-ok: table/column names are this module's constants and our temp table names; values are bound
        rows = s.execute(text(f"SELECT id, enterprise_id, year, {', '.join(ENC.values())} FROM {TABLE} WHERE "
                              + " OR ".join(f"{c} IS NOT NULL" for c in ENC.values()))).all()
        updates = [{"_id": r[0], **{c: _open(crypto, r[1], r[2], c, r[3 + i]) for i, c in enumerate(MONEY)}}
                   for r in rows]
        if updates:
            sets = ", ".join([f"{c} = COALESCE(:{c}, {c})" for c in MONEY] + [f"{e} = NULL" for e in ENC.values()])
            # sql-ok: table/column names are this module's constants and our temp table names; values are bound
            s.execute(text(f"UPDATE {TABLE} SET {sets} WHERE id = :_id"), updates)
        _audit(s, actor, "figures.decrypt", f"{len(updates)} rows put back in clear")
    from xinlian.store import rawstore

    files = rawstore.unseal_store()
    with db.session() as s:
        _audit(s, actor, "raw.decrypt", f"{files['raw_files_unsealed']} raw files put back in clear")
    return {"rows_decrypted": len(updates), **files}


# --------------------------------------------------------------------------- import errors at level 3

MASK = "***"
_WHERE = re.compile(r"^[A-Z]{1,3}(?:（(?P<a>.*)）| (?P<b>.*))$")
_DIGITS = re.compile(r"\d[\d,.，．]*")


def figure_header(where: str | None) -> bool:
    """True when an import problem's column (``"D（税收(元)）"`` from the registry importer, ``"H 预计年产值(万元)"``
    from the work sheets) may hold a per-firm money figure: its header is a money column of the enterprise
    lexicon, or a header no lexicon knows (a mapping file's alias may fill a money field: default deny). A
    project's expected output and tax are known project columns, not per-firm figures, so their cells stay as
    typed (docs/security.md, "Project expected figures")."""
    if not where:
        return False
    from xinlian.ingest.sheets import header_aliases, parse_header

    m = _WHERE.match(where)
    header = (m.group("a") if m.group("a") is not None else m.group("b")) if m else where
    found = [parse_header(header, header_aliases(kind), 0).field for kind in ("enterprise", "project", "visit",
                                                                              "demand")]
    return found[0] in MONEY or not any(found)


def mask_problem(row: dict) -> dict:
    """An ``import_error`` row as stored at level 3: for a money column the cell text becomes ``***`` and the
    reason loses the quoted text and every number (the reasons quote the cell: 无法识别的金额 '12x4')."""
    if not figure_header(row.get("column")):
        return row
    out = dict(row)
    value = out.get("value")
    if value is not None:
        out["value"] = MASK
    reason = out.get("reason")
    if isinstance(reason, str):
        for v in {str(value), str(value)[:40], repr(value)} if value is not None else ():
            if v:
                reason = reason.replace(v, MASK)
        out["reason"] = _DIGITS.sub(MASK, reason)
    return out


def _import_error_table():
    from xinlian.store.tables.files import ImportError_

    return ImportError_.__table__


_ERRORS = _import_error_table()


@event.listens_for(Engine, "before_execute", retval=True)
def _mask_import_errors(conn, elem, multiparams, params, execution_options):
    """At level 3, every INSERT into ``import_error`` (the importer's bulk insert, the work sheets' ORM rows) is
    masked before it reaches the database: a failed figure cell never lies in clear in the table."""
    if getattr(elem, "table", None) is _ERRORS and getattr(elem, "is_insert", False) and encrypted():
        multiparams = [mask_problem(dict(p)) for p in multiparams]
        if params:
            params = mask_problem(dict(params))
    return elem, multiparams, params
