"""Everything that differs between SQLite and PostgreSQL, written once.

- ``JSONType``: JSON on SQLite, JSONB on PostgreSQL.
- ``upsert(...)``: INSERT ... ON CONFLICT DO UPDATE (or DO NOTHING) for both.
- Full-text search for Chinese: documents are cut into Han unigrams and bigrams plus lower-cased Latin words
  (``search_terms``); SQLite indexes them with FTS5, PostgreSQL with a GIN index over a text array, so
  ``search()`` matches any 1- or 2-character Chinese query as well as longer ones.
- ``EXTRAS``: DDL the ORM cannot express (FTS5 table, GIN index, triggers), applied by the migration.

No other module asks which database it is on.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable, Iterable, Sequence

from sqlalchemy import JSON, Table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

JSONType = JSON().with_variant(JSONB(), "postgresql")

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[0-9A-Za-z]+")


def search_terms(text_: str, *, for_query: bool = False) -> list[str]:
    """Cut text into the terms the search index holds.

    A document gives every Han character and every pair of neighbours, plus Latin words and numbers in lower case;
    a query gives only the pairs (or the single character of a one-character run), so that all of them must match.

    >>> search_terms("澎芯半导体 GaN")
    ['澎', '芯', '半', '导', '体', '澎芯', '芯半', '半导', '导体', 'gan']
    >>> search_terms("半导体", for_query=True)
    ['半导', '导体']
    """
    terms: list[str] = []
    for run in _HAN.findall(text_ or ""):
        bigrams = [run[i : i + 2] for i in range(len(run) - 1)]
        if for_query:
            terms.extend(bigrams or [run])
        else:
            terms.extend(run)
            terms.extend(bigrams)
    terms.extend(w.lower() for w in _WORD.findall(text_ or ""))
    seen: dict[str, None] = {}
    for t in terms:
        seen.setdefault(t, None)
    return list(seen)


def insert_for(bind) -> Callable:
    """The dialect's ``insert`` construct (it has ``on_conflict_do_update``)."""
    return postgresql.insert if dialect_name(bind) == "postgresql" else sqlite.insert


def upsert(
    bind: Session | Connection,
    table: Table,
    rows: Sequence[dict],
    *,
    keys: Sequence[str],
    update: Iterable[str] | None = None,
    returning: Sequence | None = None,
):
    """Insert ``rows`` into ``table``; on a conflict over ``keys`` update the ``update`` columns (None: all
    non-key columns present in the rows; empty: do nothing)."""
    if not rows:
        return None
    ins = insert_for(bind)(table).values(list(rows))
    if update is None:
        update = [c for c in rows[0] if c not in keys]
    update = list(update)
    if update:
        stmt = ins.on_conflict_do_update(index_elements=list(keys), set_={c: ins.excluded[c] for c in update})
    else:
        stmt = ins.on_conflict_do_nothing(index_elements=list(keys))
    if returning is not None:
        stmt = stmt.returning(*returning)
    return bind.execute(stmt)


@lru_cache(maxsize=256)
def _upsert_sql(table: str, columns: tuple[str, ...], keys: tuple[str, ...], update: tuple[str, ...],
                keep_old_when_null: bool, extra_set: tuple[tuple[str, str], ...], placeholder: str) -> str:
    cols = ", ".join(columns)
    params = ", ".join(placeholder for _ in columns)
    sql = f"INSERT INTO {table} ({cols}) VALUES ({params}) ON CONFLICT ({', '.join(keys)}) "
    sets = [f"{c} = COALESCE(excluded.{c}, {table}.{c})" if keep_old_when_null else f"{c} = excluded.{c}"
            for c in update] + [f"{c} = {expr}" for c, expr in extra_set]
    return sql + (f"DO UPDATE SET {', '.join(sets)}" if sets else "DO NOTHING")


def upsert_many(bind: Session | Connection, table: str, rows: Sequence[dict], *, keys: Sequence[str],
                update: Sequence[str] = (), keep_old_when_null: bool = False,
                extra_set: Sequence[tuple[str, str]] = ()) -> None:
    """The bulk form of ``upsert``: one cached statement run with the driver's own ``executemany`` on the
    session's connection (inside its transaction). SQLite and PostgreSQL share the ``ON CONFLICT`` syntax; only
    the placeholder differs. ``keep_old_when_null``: a None never overwrites a stored value. ``extra_set``:
    (column, SQL expression) pairs also set on conflict, e.g. ("version", "enterprise.version + 1")."""
    if not rows:
        return
    conn = bind.connection() if isinstance(bind, Session) else bind
    placeholder = "?" if conn.dialect.name == "sqlite" else "%s"
    columns = tuple(rows[0])
    sql = _upsert_sql(table, columns, tuple(keys), tuple(update), keep_old_when_null, tuple(extra_set), placeholder)
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.executemany(sql, [tuple(r[c] for c in columns) for r in rows])
    finally:
        cursor.close()


def dialect_name(bind) -> str:
    """``sqlite`` or ``postgresql`` for a Session, Connection or Engine."""
    return bind.get_bind().dialect.name if isinstance(bind, Session) else bind.dialect.name


def index_documents(bind: Session | Connection, kind: str, docs: Iterable[tuple[int, str]]) -> None:
    """(Re)index documents of one kind (``enterprise``, ``article``...) for ``search``."""
    from xinlian.store.tables.search import SearchDoc

    rows = [{"kind": kind, "doc_id": int(i), "terms": " ".join(search_terms(t))} for i, t in docs]
    upsert_many(bind, SearchDoc.__tablename__, rows, keys=["kind", "doc_id"], update=["terms"])


def search(bind: Session | Connection, kind: str, query: str, *, limit: int = 200) -> list[int]:
    """Ids of the documents of ``kind`` that hold every term of ``query`` (empty query: none)."""
    terms = search_terms(query, for_query=True)
    if not terms:
        return []
    if dialect_name(bind) == "postgresql":
        stmt = text(
            "SELECT doc_id FROM search_doc WHERE kind = :kind AND terms_arr @> CAST(:terms AS text[]) "
            "ORDER BY doc_id LIMIT :limit"
        )
        rows = bind.execute(stmt, {"kind": kind, "terms": terms, "limit": limit})
    else:
        match = " AND ".join('"' + t.replace('"', '""') + '"' for t in terms)
        # FTS first, then the kind: probing FTS once per document of the kind is 100x slower at 100k documents
        stmt = text(
            "SELECT d.doc_id FROM search_doc d WHERE d.id IN "
            "(SELECT rowid FROM search_fts WHERE search_fts MATCH :match) AND d.kind = :kind "
            "ORDER BY d.doc_id LIMIT :limit"
        )
        rows = bind.execute(stmt, {"match": match, "kind": kind, "limit": limit})
    return [r[0] for r in rows]


# --- DDL that the ORM cannot express -------------------------------------------------------------------------
# Each entry: name -> {dialect: [statements to create]}. The migration runs them after the tables exist.

EXTRAS: dict[str, dict[str, list[str]]] = {
    "search_index": {
        "sqlite": [
            "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(terms, content='search_doc', "
            "content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
            "CREATE TRIGGER IF NOT EXISTS search_doc_ai AFTER INSERT ON search_doc BEGIN "
            "INSERT INTO search_fts(rowid, terms) VALUES (new.id, new.terms); END",
            "CREATE TRIGGER IF NOT EXISTS search_doc_ad AFTER DELETE ON search_doc BEGIN "
            "INSERT INTO search_fts(search_fts, rowid, terms) VALUES ('delete', old.id, old.terms); END",
            "CREATE TRIGGER IF NOT EXISTS search_doc_au AFTER UPDATE ON search_doc BEGIN "
            "INSERT INTO search_fts(search_fts, rowid, terms) VALUES ('delete', old.id, old.terms); "
            "INSERT INTO search_fts(rowid, terms) VALUES (new.id, new.terms); END",
        ],
        "postgresql": [
            "ALTER TABLE search_doc ADD COLUMN IF NOT EXISTS terms_arr text[] "
            "GENERATED ALWAYS AS (string_to_array(terms, ' ')) STORED",
            "CREATE INDEX IF NOT EXISTS ix_search_doc_terms_arr ON search_doc USING gin (terms_arr)",
        ],
    },
}

# The audit log is append-only (等保 安全审计 c): the database itself refuses UPDATE, DELETE (and TRUNCATE).
EXTRAS["audit_append_only"] = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log BEGIN "
        "SELECT RAISE(ABORT, 'audit_log is append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log BEGIN "
        "SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_log_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP; END $$",
        "DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log",
        "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse()",
        "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse()",
    ],
}

# Link judgements are decisions with provenance: never rewritten (a new judgement supersedes by time). Deleting
# stays possible so that removing an enterprise removes the judgements about it.
EXTRAS["link_judgement_no_update"] = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS fact_link_judgement_no_update BEFORE UPDATE ON fact_link_judgement BEGIN "
        "SELECT RAISE(ABORT, 'fact_link_judgement is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION fact_link_judgement_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'fact_link_judgement is append-only (% refused)', TG_OP; END $$",
        "DROP TRIGGER IF EXISTS fact_link_judgement_no_update ON fact_link_judgement",
        "CREATE TRIGGER fact_link_judgement_no_update BEFORE UPDATE ON fact_link_judgement "
        "FOR EACH ROW EXECUTE FUNCTION fact_link_judgement_refuse()",
    ],
}

# Tables and columns created by EXTRAS, which autogenerate must not try to drop.
EXTRA_OBJECTS = {"search_fts", "search_fts_data", "search_fts_idx", "search_fts_docsize", "search_fts_config",
                 "search_fts_content", "terms_arr", "ix_search_doc_terms_arr"}


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic filter: leave the objects made by ``EXTRAS`` alone."""
    return name not in EXTRA_OBJECTS


def create_extras(bind: Connection) -> None:
    """Run every ``EXTRAS`` statement for this database (idempotent)."""
    name = bind.dialect.name
    for stmts in EXTRAS.values():
        for stmt in stmts.get(name, []):
            bind.execute(text(stmt))


def drop_extras(bind: Connection) -> None:
    if bind.dialect.name == "sqlite":
        bind.execute(text("DROP TABLE IF EXISTS search_fts"))


# --- Analytical reads (chain diagnosis) -------------------------------------------------------------------------

# SQLite reads pages through a 2 MB cache by default; a diagnosis touches hundreds of MB of figures. Memory-mapped
# reads and a larger page cache for the connection make those joins several times faster. PostgreSQL's default
# work_mem (4 MB) sends the diagnosis's sorts and hashes to disk; it is raised for the transaction only, and JIT
# compilation (which costs more than it saves on these sub-second queries) is turned off for it.
SQLITE_ANALYTIC_PRAGMAS = ("PRAGMA mmap_size=4294967296", "PRAGMA cache_size=-131072", "PRAGMA temp_store=MEMORY")
POSTGRES_ANALYTIC_SETTINGS = ("SET LOCAL work_mem = '128MB'", "SET LOCAL jit = off")


def prepare_for_analysis(session: Session) -> None:
    """Tune the session's connection (SQLite) or transaction (PostgreSQL) for large read-only aggregations."""
    if dialect_name(session) == "postgresql":
        for statement in POSTGRES_ANALYTIC_SETTINGS:
            session.execute(text(statement))
    elif dialect_name(session) == "sqlite":
        from sqlalchemy.exc import OperationalError

        for pragma in SQLITE_ANALYTIC_PRAGMAS:
            try:
                session.execute(text(pragma))
            except OperationalError:  # e.g. temp_store inside a transaction that already wrote: keep going
                pass
