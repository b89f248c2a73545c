"""Everything that differs between SQLite and PostgreSQL, written once.

- ``JSONType``: JSON on SQLite, JSONB on PostgreSQL.
- ``upsert(...)``: INSERT ... ON CONFLICT DO UPDATE (or DO NOTHING) for both.
- Bulk writes: ``upsert_many`` / ``upsert_rows`` (executemany; COPY into a temporary table then one set-based upsert
  on PostgreSQL), ``insert_rows`` (executemany / COPY), ``next_ids``, ``lookup`` (many keys, one parameter),
  ``bulk_write`` (a larger SQLite page cache for one big transaction).
- Full-text search for Chinese: documents are cut into Han unigrams and bigrams plus lower-cased Latin words
  (``search_terms``); SQLite indexes them with FTS5, PostgreSQL with a GIN index over a text array, so
  ``search()`` matches any 1- or 2-character Chinese query as well as longer ones.
- ``EXTRAS``: DDL the ORM cannot express (FTS5 table, GIN index, triggers), applied by the migration.

No other module asks which database it is on.
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from functools import lru_cache
from operator import itemgetter
from typing import Callable, Iterable, Iterator, Sequence

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
    if not text_:
        return []
    terms: list[str] = []
    for run in _HAN.findall(text_):
        bigrams = list(map(str.__add__, run, run[1:]))
        if for_query:
            terms.extend(bigrams or [run])
        else:
            terms.extend(run)
            terms.extend(bigrams)
    terms.extend(w.lower() for w in _WORD.findall(text_))
    return list(dict.fromkeys(terms))  # first occurrence order, no repeats


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
    columns = tuple(rows[0])
    upsert_rows(bind, table, columns, list(map(itemgetter(*columns), rows)) if len(columns) > 1
                else [(r[columns[0]],) for r in rows], keys=keys, update=update,
                keep_old_when_null=keep_old_when_null, extra_set=extra_set)


def upsert_rows(bind: Session | Connection, table: str, columns: Sequence[str], rows: Sequence[tuple], *,
                keys: Sequence[str], update: Sequence[str] = (), keep_old_when_null: bool = False,
                extra_set: Sequence[tuple[str, str]] = ()) -> None:
    """``upsert_many`` for rows already given as tuples in ``columns`` order (no dict per row)."""
    if not rows:
        return
    conn = bind.connection() if isinstance(bind, Session) else bind
    columns, keys = tuple(columns), tuple(keys)
    if conn.dialect.name == "postgresql" and len(rows) >= _COPY_MIN_ROWS:
        at = [columns.index(k) for k in keys]
        if len({tuple(r[i] for i in at) for r in rows}) == len(rows):
            _upsert_by_copy(conn, table, rows, columns, keys, tuple(update), keep_old_when_null, tuple(extra_set))
            return
    placeholder = "?" if conn.dialect.name == "sqlite" else "%s"
    sql = _upsert_sql(table, columns, keys, tuple(update), keep_old_when_null, tuple(extra_set), placeholder)
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


def insert_rows(bind: Session | Connection, table: str, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """Plain INSERT of rows known to be new (the importer checked their keys first): the driver's ``executemany``
    on SQLite, ``COPY`` on PostgreSQL. Columns left out take their server defaults."""
    if not rows:
        return
    conn = bind.connection() if isinstance(bind, Session) else bind
    cols = ", ".join(columns)
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        if conn.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(r)
        else:
            # sql-ok: table and column names are ours (Table objects, constants); values bound or copied
            cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' for _ in columns)})", rows)
    finally:
        cursor.close()


def next_ids(bind: Session | Connection, table: str, n: int) -> range | list[int]:
    """``n`` fresh values for ``table.id``, to insert rows whose ids the caller needs at once (no read-back).
    SQLite: after the largest id (the transaction holds the write lock, nobody else inserts meanwhile; the same
    rule SQLite itself follows). PostgreSQL: from the table's own sequence."""
    conn = bind.connection() if isinstance(bind, Session) else bind
    if n <= 0:
        return []
    if conn.dialect.name == "postgresql":
        # sql-ok: table and column names are ours (Table objects, constants); values bound or copied
        rows = conn.exec_driver_sql(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, %(n)s)", {"n": n})
        return [r[0] for r in rows]
    # sql-ok: table and column names are ours (Table objects, constants); values bound or copied
    top = conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table}").scalar()
    return range(top + 1, top + 1 + n)


# PostgreSQL answers one statement per row in ``executemany``; from this many rows on, ``upsert_rows`` copies the rows
# into a temporary table (COPY, one stream) and upserts them from there in one set-based statement. Rows with the
# same key twice keep the row-by-row path, where the later row wins (one statement may not touch a row twice).
_COPY_MIN_ROWS = 200


def _upsert_by_copy(conn: Connection, table: str, rows: Sequence[tuple], columns: tuple[str, ...],
                    keys: tuple[str, ...], update: tuple[str, ...], keep_old_when_null: bool,
                    extra_set: tuple[tuple[str, str], ...]) -> None:
    stage = f"_xl_stage_{table}"
    cols = ", ".join(columns)
    insert = _upsert_sql(table, columns, keys, update, keep_old_when_null, extra_set, "%s")
    # "INSERT INTO t (cols) VALUES (...) ON CONFLICT ..." -> "INSERT INTO t (cols) SELECT cols FROM stage ON ..."
    head, _, tail = insert.partition(" VALUES (")
    insert = f"{head} SELECT {cols} FROM {stage} " + tail.split(") ", 1)[1]
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        # Same column types as the target; dropped at the end of the transaction at the latest.
        # sql-ok: table and column names are ours (Table objects, constants); values bound or copied
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DROP AS "
                       f"SELECT {cols} FROM {table} WITH NO DATA")
        # sql-ok: table and column names are ours (Table objects, constants); values bound or copied
        cursor.execute(f"TRUNCATE {stage}")
        with cursor.copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(r)
        cursor.execute(insert)
        # sql-ok: table and column names are ours (Table objects, constants); values bound or copied
        cursor.execute(f"DROP TABLE {stage}")
    finally:
        cursor.close()


def dialect_name(bind) -> str:
    """``sqlite`` or ``postgresql`` for a Session, Connection or Engine."""
    return bind.get_bind().dialect.name if isinstance(bind, Session) else bind.dialect.name


def index_documents(bind: Session | Connection, kind: str, docs: Iterable[tuple[int, str]]) -> None:
    """(Re)index documents of one kind (``enterprise``, ``article``...) for ``search``."""
    index_terms(bind, kind, [(i, " ".join(search_terms(t))) for i, t in docs])


def index_terms(bind: Session | Connection, kind: str, docs: Iterable[tuple[int, str]]) -> None:
    """``index_documents`` for documents already cut: (id, ``" ".join(search_terms(text))``) pairs. The importer cuts
    names where it parses them (possibly in another process) and writes here."""
    from xinlian.store.tables.search import SearchDoc

    rows = [(kind, int(i), terms) for i, terms in docs]
    if not rows:
        return
    conn = bind.connection() if isinstance(bind, Session) else bind
    if conn.dialect.name != "sqlite" or len(rows) < 2:
        upsert_rows(bind, SearchDoc.__tablename__, ("kind", "doc_id", "terms"), rows, keys=["kind", "doc_id"],
                    update=["terms"])
        return
    # SQLite: ONE statement for the whole batch. The FTS5 triggers then run inside a single statement, and FTS5
    # writes its pending terms out once per statement (it flushes at every statement's savepoint): row by row, each
    # document would become a segment of its own, about 4x slower.
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(_INDEX_SQL, (kind, json.dumps([r[1:] for r in rows], ensure_ascii=False)))
    finally:
        cursor.close()


_INDEX_SQL = (
    "INSERT INTO search_doc (kind, doc_id, terms) "
    "SELECT ?, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?) WHERE true "
    "ON CONFLICT (kind, doc_id) DO UPDATE SET terms = excluded.terms"
)


def lookup(bind: Session | Connection, table: str, column: str, keys: Sequence, *, select: Sequence[str] = ("id",),
           where: str = "") -> list[tuple]:
    """Rows ``(column, *select)`` of ``table`` whose ``column`` is one of ``keys``, in one statement with a single
    parameter however many keys (SQLite: ``json_each``; PostgreSQL: ``= ANY``). ``where``: an extra SQL condition
    (no parameters), e.g. ``"credit_code IS NULL"``. Names are ours, never user input."""
    if not keys:
        return []
    conn = bind.connection() if isinstance(bind, Session) else bind
    cols = ", ".join((column, *select))
    extra = f" AND {where}" if where else ""
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        if conn.dialect.name == "sqlite":
            # sql-ok: names from our Table objects and callers' constants; values bound or copied
            cursor.execute(f"SELECT {cols} FROM {table} WHERE {column} IN (SELECT value FROM json_each(?)){extra}",
                           (json.dumps(list(keys), ensure_ascii=False),))
        else:
            # sql-ok: names from our Table objects and callers' constants; values bound or copied
            cursor.execute(f"SELECT {cols} FROM {table} WHERE {column} = ANY(%s){extra}", (list(keys),))
        return [tuple(r) for r in cursor.fetchall()]
    finally:
        cursor.close()


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


def search_hits(bind: Session | Connection, kind: str, query: str):
    """The documents of ``kind`` that hold every term of ``query``, as a subquery with the columns ``doc_id`` and
    ``pos`` (the index's own order), or None when the query has no terms.

    Unlike ``search`` it is neither capped nor read at once: the caller joins it to the searched table, adds its
    filters and a LIMIT, and orders by ``pos``. Put it first in the FROM list (``select(T).select_from(hits)
    .join(T, T.id == hits.c.doc_id)``): SQLite then walks its FTS5 index in ``pos`` order and stops as soon as the
    page is full, so page 1 of a query matching 10,000 documents reads about 50 of them; PostgreSQL reads the GIN
    index and sorts the matches by ``pos``. Bound parameters are named ``search_*``.
    """
    from sqlalchemy import Integer, column

    terms = search_terms(query, for_query=True)
    if not terms:
        return None
    if dialect_name(bind) == "postgresql":
        stmt = text(
            "SELECT d.doc_id AS doc_id, d.id AS pos FROM search_doc d "
            "WHERE d.kind = :search_kind AND d.terms_arr @> CAST(:search_terms AS text[])"
        ).bindparams(search_kind=kind, search_terms=terms)
    else:
        match = " AND ".join('"' + t.replace('"', '""') + '"' for t in terms)
        # CROSS JOIN keeps FTS5 the outer loop (SQLite never reorders it): probing FTS once per document of the kind
        # instead costs seconds at 100k documents. ``pos`` is the FTS rowid, so ORDER BY pos needs no sort.
        stmt = text(
            "SELECT d.doc_id AS doc_id, search_fts.rowid AS pos FROM search_fts CROSS JOIN search_doc d "
            "WHERE search_fts MATCH :search_match AND d.id = search_fts.rowid AND d.kind = :search_kind"
        ).bindparams(search_match=match, search_kind=kind)
    return stmt.columns(column("doc_id", Integer), column("pos", Integer)).subquery("search_hits")


# --- DDL that the ORM cannot express -------------------------------------------------------------------------
# Each entry: name -> {dialect: [statements to create]}. The migration runs them after the tables exist.

EXTRAS: dict[str, dict[str, list[str]]] = {
    "search_index": {
        "sqlite": [
            # Every term is one token and a search asks only which documents hold it: no positions (detail=none)
            # and no per-document sizes (columnsize=0, they serve only ranking): a quarter less work per document,
            # and exact terms are still read in rowid order, so a page of a one-character query stops early.
            "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(terms, content='search_doc', "
            "content_rowid='id', tokenize='unicode61 remove_diacritics 0', detail=none, columnsize=0)",
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
        # The one exception is the retention purge (xinlian.users.audit.purge): inside its transaction it sets
        # xinlian.audit_purge_before, and only rows older than that cut, itself at least 180 days old by the
        # database's own clock, may be deleted. UPDATE and TRUNCATE are always refused.
        "CREATE OR REPLACE FUNCTION audit_log_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "DECLARE cut text := current_setting('xinlian.audit_purge_before', true); BEGIN "
        "IF TG_OP = 'DELETE' AND coalesce(cut, '') <> '' THEN "
        "IF OLD.at < cut::timestamptz AND cut::timestamptz <= now() - interval '180 days' THEN RETURN OLD; END IF; "
        "END IF; "
        "RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP; END $$",
        "DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log",
        "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse()",
        "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse()",
    ],
}



@contextmanager
def audit_purge_allowed(bind: Session | Connection, before) -> Iterator[None]:
    """Let the caller's transaction delete ``audit_log`` rows older than ``before`` (the retention purge only).

    SQLite: the no-delete trigger is dropped and re-created inside the transaction (DDL is transactional there, and
    the caller already holds the write lock, so no other connection sees the gap). PostgreSQL: a transaction-local
    setting the trigger reads; it allows only rows older than the cut, and only a cut at least 180 days old.
    """
    if (bind.get_bind() if isinstance(bind, Session) else bind).dialect.name == "sqlite":
        bind.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
        try:
            yield
        finally:
            for stmt in EXTRAS["audit_append_only"]["sqlite"]:
                bind.execute(text(stmt))
        return
    bind.execute(text("SELECT set_config('xinlian.audit_purge_before', :cut, true)"), {"cut": before.isoformat()})
    try:
        yield
    finally:
        bind.execute(text("SELECT set_config('xinlian.audit_purge_before', '', true)"))


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
# compilation (which costs more than it saves on these sub-second queries) is turned off for it. The default
# random_page_cost (4, tuned for spinning disks) makes the planner scan a million placements rather than look up
# a region's few tens of thousands by index; the diagnosis reads hot, cached pages, for which 1.1 is the usual value.
SQLITE_ANALYTIC_PRAGMAS = ("PRAGMA mmap_size=4294967296", "PRAGMA cache_size=-131072", "PRAGMA temp_store=MEMORY")
POSTGRES_ANALYTIC_SETTINGS = ("SET LOCAL work_mem = '128MB'", "SET LOCAL jit = off", "SET LOCAL random_page_cost = 1.1")


# A bulk import writes hundreds of MB of table and index pages in one transaction. With SQLite's default 2 MB page
# cache, pages are spilled to the WAL and read back again and again; a larger cache for the import's connection
# (restored afterwards: the connection returns to the pool) keeps the hot B-tree pages in memory. Durability is not
# touched: synchronous stays as configured and the commit still waits for the disk.
SQLITE_BULK_CACHE_KIB = 262_144


@contextmanager
def bulk_write(session: Session) -> Iterator[None]:
    """Tune the session's connection for one large write transaction, and put it back afterwards."""
    if dialect_name(session) != "sqlite":
        yield
        return
    old = session.execute(text("PRAGMA cache_size")).scalar()
    # sql-ok: an int constant, or int() of the value SQLite gave back
    session.execute(text(f"PRAGMA cache_size=-{SQLITE_BULK_CACHE_KIB}"))
    try:
        yield
    finally:
        try:
            # sql-ok: an int constant, or int() of the value SQLite gave back
            session.execute(text(f"PRAGMA cache_size={int(old)}"))
        except Exception:  # noqa: BLE001 - the connection may be gone after a failure; the pool discards it then
            pass


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


# Planner statistics after a bulk load. PostgreSQL's autovacuum analyses a table only after enough changes and some
# delay, and SQLite never does on its own; until then both plan the registry's joins from guesses (a million-row
# table taken for a small one). ``refresh_statistics`` samples the tables a bulk writer changed: ANALYZE on
# PostgreSQL (a fixed-size sample per table, about a second for the registry), and on SQLite ANALYZE with
# ``analysis_limit`` so each index is sampled rather than read whole.
REGISTRY_TABLES = ("enterprise", "enterprise_node", "enterprise_figure")
SQLITE_ANALYSIS_LIMIT = 2000


def refresh_statistics(bind: Session | Connection, tables: Sequence[str] = REGISTRY_TABLES) -> None:
    """Refresh the planner statistics of ``tables`` (names checked as plain identifiers); call after a bulk write."""
    for t in tables:
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", t):
            raise ValueError(f"not a table name: {t!r}")
    if dialect_name(bind) == "postgresql":
        # sql-ok: table names checked above
        bind.execute(text(f"ANALYZE {', '.join(tables)}"))
        return
    # sql-ok: an int constant
    bind.execute(text(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}"))
    for t in tables:
        # sql-ok: table names checked above
        bind.execute(text(f"ANALYZE {t}"))


# --- The registry change log (issue 5: stored diagnosis summaries) ----------------------------------------------
# A summary computed from the registry is used again only while nothing in the registry changed. PostgreSQL notes
# every transaction that writes enterprise, enterprise_node or enterprise_figure (any writer: the importer's COPY,
# the ORM, hand-typed SQL, TRUNCATE) in registry_change, once per transaction: statement triggers, with a
# transaction-local setting so the INSERT runs on the first statement only; one row per writing transaction, so
# concurrent writers never wait on each other. A summary records txid_current_snapshot() taken before it reads
# anything, and is current while every logged transaction is visible in that snapshot. SQLite has only row
# triggers, which would make a bulk import several times slower; there no snapshot is given and summaries are not
# stored (``registry_snapshot`` returns None).
REGISTRY_LOGGED_TABLES = ("enterprise", "enterprise_node", "enterprise_figure")
EXTRAS["registry_change_log"] = {
    "sqlite": [],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION registry_change_note() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF current_setting('xinlian.registry_noted', true) IS DISTINCT FROM txid_current()::text THEN "
        "INSERT INTO registry_change (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING; "
        "PERFORM set_config('xinlian.registry_noted', txid_current()::text, true); "
        "END IF; RETURN NULL; END $$",
        *[stmt for t in REGISTRY_LOGGED_TABLES for stmt in (
            f"DROP TRIGGER IF EXISTS {t}_change_note ON {t}",
            f"CREATE TRIGGER {t}_change_note AFTER INSERT OR UPDATE OR DELETE ON {t} "
            "FOR EACH STATEMENT EXECUTE FUNCTION registry_change_note()",
            f"DROP TRIGGER IF EXISTS {t}_change_note_truncate ON {t}",
            f"CREATE TRIGGER {t}_change_note_truncate AFTER TRUNCATE ON {t} "
            "FOR EACH STATEMENT EXECUTE FUNCTION registry_change_note()",
        )],
    ],
}
# Log rows older than this, and visible to every stored summary, are deleted when a summary is stored. The age
# keeps a row that a summary being computed right now (from an older snapshot, not stored yet) still needs.
REGISTRY_LOG_KEEP_S = 3600


def registry_snapshot(bind: Session | Connection) -> str | None:
    """The snapshot to record with a summary about to be computed (call it before reading the registry), or None
    when this database keeps no change log (SQLite): then summaries must not be stored."""
    if dialect_name(bind) != "postgresql":
        return None
    return str(bind.execute(text("SELECT txid_current_snapshot()::text")).scalar())


def registry_unchanged_since(bind: Session | Connection, snapshot: str) -> bool:
    """True when no transaction that wrote the registry tables committed outside ``snapshot`` (this transaction's
    own writes count as changes)."""
    if dialect_name(bind) != "postgresql":
        return False
    return not bind.execute(text(
        "SELECT EXISTS (SELECT 1 FROM registry_change "
        "WHERE NOT txid_visible_in_snapshot(txid, CAST(:snap AS txid_snapshot)))"), {"snap": snapshot}).scalar()


def prune_registry_changes(bind: Session | Connection) -> None:
    """Delete the stored summaries that are stale (once stale, a summary never becomes current again: the log row
    that made it stale is kept while it exists), then the log rows every remaining summary already sees, once they
    are ``REGISTRY_LOG_KEEP_S`` old. Rows another transaction holds are skipped (the next store deletes them):
    two diagnoses storing at once would otherwise each wait for the other's rows."""
    if dialect_name(bind) != "postgresql":
        return
    bind.execute(text(
        "DELETE FROM derived_summary WHERE key IN (SELECT s.key FROM derived_summary s WHERE EXISTS ("
        "SELECT 1 FROM registry_change r WHERE NOT txid_visible_in_snapshot(r.txid, CAST(s.snapshot AS txid_snapshot)))"
        " FOR UPDATE SKIP LOCKED)"))
    # sql-ok: an int constant
    bind.execute(text(
        "DELETE FROM registry_change WHERE txid IN (SELECT r.txid FROM registry_change r "
        f"WHERE r.logged_at < now() - interval '{int(REGISTRY_LOG_KEEP_S)} seconds' "
        "AND NOT EXISTS (SELECT 1 FROM derived_summary s "
        "WHERE NOT txid_visible_in_snapshot(r.txid, CAST(s.snapshot AS txid_snapshot))) FOR UPDATE SKIP LOCKED)"))
