"""The chain diagnosis over a large registry, on SQLite and PostgreSQL, beside DuckDB running the same SQL.

    python bench/bench_diagnose.py [--size N] [--years Y] [--repeat R] [--skip-postgres]

Builds a synthetic 200-node chain (10 group nodes, 190 leaves, supply edges from earlier to later stages) in a
temporary YAML file, then N fictional enterprises (default 1,000,000; 2% local to 320412 on most nodes, many more
on a few "strong" nodes, almost none or none on "thin" and "empty" ones), each on a main node and one in five on a
secondary node too, with Y years of figures (default 10) and a national baseline. Rows are generated with numpy
and loaded in bulk: executemany on SQLite, COPY on PostgreSQL.

Measures, one JSON line each (bench/common.py):
  diagnose_sqlite    full ``diagnose(...)`` (figures, verdicts, leaders, targets) on SQLite, in seconds
  diagnose_postgres  the same on a throwaway PostgreSQL server
Anchor: DuckDB running the very SQL statements the diagnosis sent (recorded from the SQLite run, same parameters)
over the same rows loaded into DuckDB tables; ratio = anchor / ours (> 1: faster than DuckDB on that SQL).
The PostgreSQL server runs with the configuration docs/settings.md recommends to operators for a 2-core,
8 GB server (``PG_PRODUCTION``: shared buffers, cache size, work memory, parallel workers), read back with
SHOW and printed in the line as ``server_settings``; ``--pg-config default`` keeps PostgreSQL's defaults
(128 MB shared buffers, which the registry's figure index does not fit) for comparison.
``ours`` is the best of R cold runs, each made right after a registry write (one figure row rewritten), so it does
all the work DuckDB does. ``steady_s`` is the best of R runs on an unchanged registry: on PostgreSQL they reuse the
region figures and target pools stored by an earlier run (``xinlian.chain.summary``; ``summaries`` says so); on
SQLite nothing is stored and both do the same work. Then the best, first and median runs; the SQL-only time and the part of it spent ranking targets;
the time without targets (``DiagnoseOptions(with_targets=False)``); peak Python memory of one more run under
tracemalloc (not timed) and the process peak RSS.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from common import emit, parser, peak_rss_mb, pg_server, scratch_dir, size_of  # noqa: E402

CHAIN_ID = "benchchain"
LOCAL = "320412"
OUTSIDE = ["320411", "320402", "320505", "320214", "320115", "310115", "330106", "440305", "320583", "320282",
           "320102", "320104", "320106", "320111", "320113", "320114", "320116", "320117", "320118", "320205"]
FIRST_YEAR = 2016
# The server configuration docs/settings.md ("PostgreSQL server") recommends for a 2-core, 8 GB database server.
PG_PRODUCTION = {
    "shared_buffers": "2GB", "effective_cache_size": "6GB", "work_mem": "64MB", "maintenance_work_mem": "512MB",
    "max_parallel_workers": "2", "max_parallel_workers_per_gather": "1", "random_page_cost": "1.1",
    "effective_io_concurrency": "200",
}
PG_SHOWN = ("shared_buffers", "effective_cache_size", "work_mem", "maintenance_work_mem", "max_parallel_workers",
            "max_parallel_workers_per_gather", "random_page_cost", "effective_io_concurrency")


# --------------------------------------------------------------------------- the chain


def chain_yaml(seed: int = 5) -> tuple[str, list[str], dict[str, str]]:
    """A 200-node chain: 10 groups, 190 leaves; returns (yaml text, leaf ids, leaf → profile)."""
    rng = np.random.default_rng(seed)
    stages = ["upstream"] * 4 + ["midstream"] * 3 + ["downstream"] * 3
    lines = [f"chain: {CHAIN_ID}", "name: 基准测试产业链", "name_en: Benchmark chain", 'version: "1"', "nodes:"]
    leaves: list[str] = []
    leaf_stage: dict[str, int] = {}
    for g in range(10):
        gid = f"g{g:02d}"
        lines.append(f"  - {{id: {gid}, name: 组{g}, stage: {stages[g]}, keywords: [组{g}]}}")
        for k in range(19):
            nid = f"n{g:02d}_{k:02d}"
            lines.append(f"  - {{id: {nid}, name: 环节{g}-{k}, stage: {stages[g]}, parent: {gid}, keywords: [环节{g}{k}]}}")
            leaves.append(nid)
            leaf_stage[nid] = ["upstream", "midstream", "downstream"].index(stages[g])
    lines.append("edges:")
    seen = set()
    for i, nid in enumerate(leaves):
        if leaf_stage[nid] == 0 and i % 19 < 10:
            continue  # raw upstream nodes have no inputs
        earlier = [m for m in leaves[:i] if leaf_stage[m] < leaf_stage[nid] or (leaf_stage[nid] == 0 and m[:3] != nid[:3])]
        if not earlier:
            continue
        for src in rng.choice(earlier, size=min(len(earlier), int(rng.integers(2, 6))), replace=False):
            if (src, nid) not in seen:
                seen.add((src, nid))
                lines.append(f"  - {{from: {src}, to: {nid}}}")
    profiles = {}
    for i, nid in enumerate(leaves):
        r = rng.random()
        profiles[nid] = "strong" if r < 0.12 else "thin" if r < 0.30 else "empty" if r < 0.45 else "normal"
    return "\n".join(lines) + "\n", leaves, profiles


# --------------------------------------------------------------------------- the rows


def generate(n: int, years: int, leaves: list[str], profiles: dict[str, str], seed: int = 7) -> dict:
    """Column arrays for enterprise, enterprise_node and enterprise_figure."""
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n + 1, dtype=np.int64)
    main = rng.integers(0, len(leaves), size=n)
    p_local_by_profile = {"strong": 0.10, "normal": 0.02, "thin": 0.0006, "empty": 0.0}
    p_local = np.array([p_local_by_profile[profiles[l]] for l in leaves])[main]
    is_local = rng.random(n) < p_local
    outside = np.array(OUTSIDE)[rng.integers(0, len(OUTSIDE), size=n)]
    region = np.where(is_local, LOCAL, outside)
    flags = {k: rng.random(n) < p for k, p in
             (("high_tech", 0.3), ("specialised", 0.15), ("little_giant", 0.02), ("chain_leader", 0.0005),
              ("listed", 0.01))}
    has_second = rng.random(n) < 0.2
    second = (main + rng.integers(1, len(leaves), size=n)) % len(leaves)
    node_eid = np.concatenate([ids, ids[has_second]])
    node_idx = np.concatenate([main, second[has_second]])
    node_role = np.concatenate([np.full(n, "main"), np.full(int(has_second.sum()), "secondary")])
    order = np.argsort(node_eid, kind="stable")
    base = np.exp(rng.normal(np.log(5e7), 1.3, size=n))  # output in the last year, yuan
    growth = rng.normal(0.08, 0.08, size=n)
    return {"n": n, "years": years, "ids": ids, "region": region, "flags": flags, "base": base, "growth": growth,
            "node_eid": node_eid[order], "node_id": np.array(leaves)[node_idx[order]], "node_role": node_role[order],
            "main": main, "is_local": is_local, "leaves": leaves}


def figure_chunks(data: dict, chunk: int = 100_000):
    """enterprise_figure columns in chunks of enterprises (all years of each)."""
    years = data["years"]
    rng = np.random.default_rng(11)
    for start in range(0, data["n"], chunk):
        ids = data["ids"][start:start + chunk]
        base = data["base"][start:start + chunk]
        growth = data["growth"][start:start + chunk]
        k = len(ids)
        eid = np.repeat(ids, years)
        year = np.tile(np.arange(FIRST_YEAR, FIRST_YEAR + years), k)
        back = np.tile(np.arange(years - 1, -1, -1), k)
        output = np.repeat(base, years) / (1 + np.repeat(growth, years)) ** back
        revenue = output * rng.uniform(0.9, 1.1, size=k * years)
        employees = np.maximum(1, output / 8e5).astype(np.int64)
        rd = revenue * rng.uniform(0.0, 0.08, size=k * years)
        patents = rng.poisson(5, size=k * years)
        yield {"enterprise_id": eid, "year": year, "output_value": output, "revenue": revenue,
               "employees": employees, "rd_spend": rd, "patents": patents}


def enterprise_table(data: dict):
    import pyarrow as pa

    n = data["n"]
    now = "2026-01-01 00:00:00"
    names = np.char.add("基准企业", data["ids"].astype(str))
    return pa.table({
        "id": data["ids"], "match_key": np.char.add("b:", data["ids"].astype(str)), "name": names, "name_norm": names,
        "region_code": data["region"], "status": np.full(n, "active"),
        **{k: v for k, v in data["flags"].items()},
        "is_sample": np.ones(n, dtype=bool), "created_at": np.full(n, now), "updated_at": np.full(n, now),
        "version": np.ones(n, dtype=np.int64),
    })


def node_table(data: dict):
    import pyarrow as pa

    m = len(data["node_eid"])
    return pa.table({"id": np.arange(1, m + 1), "enterprise_id": data["node_eid"], "chain": np.full(m, CHAIN_ID),
                     "node_id": data["node_id"], "role": data["node_role"], "source": np.full(m, "import"),
                     "score": np.ones(m)})


def baseline_rows(data: dict) -> tuple[list[dict], list[dict]]:
    leaves = data["leaves"]
    last = data["base"]
    per_node = np.bincount(data["main"], weights=last, minlength=len(leaves))
    rows, totals = [], []
    local_total = float(last[data["is_local"]].sum())
    for y in range(data["years"]):
        year = FIRST_YEAR + y
        scale = 1.08 ** (y - data["years"] + 1)
        rows.append({"scope": "000000", "chain": CHAIN_ID, "node_id": "*", "year": year,
                     "output_value": float(per_node.sum()) * 60 * scale, "employees": None, "firms": None})
        for i, leaf in enumerate(leaves):
            rows.append({"scope": "000000", "chain": CHAIN_ID, "node_id": leaf, "year": year,
                         "output_value": float(per_node[i]) * 3 * scale, "employees": None, "firms": None})
        totals.append({"region_code": LOCAL, "year": year, "output_value": local_total * 4 * scale, "employees": None})
    return rows, totals


# --------------------------------------------------------------------------- loading


def load_sqlite(url: str, data: dict) -> float:
    import sqlite3

    from xinlian.store.db import open_db

    open_db(url).dispose()
    t0 = time.perf_counter()
    con = sqlite3.connect(url.split("///", 1)[1])
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-400000")

    def insert(table: str, tbl) -> None:
        cols = tbl.column_names
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        for batch in tbl.to_batches(200_000):
            con.executemany(sql, zip(*(c.to_pylist() for c in batch.columns)))

    import pyarrow as pa

    insert("enterprise", enterprise_table(data))
    insert("enterprise_node", node_table(data))
    next_id = 1
    for chunk in figure_chunks(data):
        k = len(chunk["year"])
        insert("enterprise_figure", pa.table({"id": np.arange(next_id, next_id + k), **chunk}))
        next_id += k
    rows, totals = baseline_rows(data)
    con.executemany("INSERT INTO baseline (scope, chain, node_id, year, output_value, employees, firms, is_sample) "
                    "VALUES (:scope, :chain, :node_id, :year, :output_value, :employees, :firms, 1)", rows)
    con.executemany("INSERT INTO region_total (region_code, year, output_value, employees, is_sample) "
                    "VALUES (:region_code, :year, :output_value, :employees, 1)", totals)
    con.commit()
    con.execute("ANALYZE")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return time.perf_counter() - t0


def load_postgres(url: str, data: dict) -> float:
    import psycopg
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from xinlian.store.db import open_db

    open_db(url).dispose()
    t0 = time.perf_counter()
    conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))

    def copy(table: str, tbl) -> None:
        buf = io.BytesIO()
        pacsv.write_csv(tbl, buf, pacsv.WriteOptions(include_header=False))
        with conn.cursor() as cur:
            with cur.copy(f"COPY {table} ({', '.join(tbl.column_names)}) FROM STDIN WITH (FORMAT csv)") as cp:
                view = buf.getbuffer()
                for start in range(0, len(view), 1 << 22):
                    cp.write(view[start:start + (1 << 22)])

    copy("enterprise", enterprise_table(data))
    copy("enterprise_node", node_table(data))
    next_id = 1
    for chunk in figure_chunks(data, 500_000):
        k = len(chunk["year"])
        copy("enterprise_figure", pa.table({"id": np.arange(next_id, next_id + k), **chunk}))
        next_id += k
    rows, totals = baseline_rows(data)
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO baseline (scope, chain, node_id, year, output_value, employees, firms, is_sample) "
                        "VALUES (%(scope)s, %(chain)s, %(node_id)s, %(year)s, %(output_value)s, %(employees)s, "
                        "%(firms)s, true)", rows)
        cur.executemany("INSERT INTO region_total (region_code, year, output_value, employees, is_sample) "
                        "VALUES (%(region_code)s, %(year)s, %(output_value)s, %(employees)s, true)", totals)
        for seq in ("enterprise", "enterprise_node", "enterprise_figure"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{seq}', 'id'), (SELECT MAX(id) FROM {seq}))")
    conn.commit()
    conn.autocommit = True
    conn.execute("VACUUM ANALYZE")
    conn.close()
    return time.perf_counter() - t0


def load_duckdb(data: dict):
    import duckdb
    import pyarrow as pa

    con = duckdb.connect()
    ent = enterprise_table(data)
    nodes = node_table(data)
    con.execute("CREATE TABLE enterprise AS SELECT * FROM ent")
    con.execute("CREATE TABLE enterprise_node AS SELECT * FROM nodes")
    first = True
    for chunk in figure_chunks(data):
        fig = pa.table(chunk)
        con.execute("CREATE TABLE enterprise_figure AS SELECT * FROM fig" if first else
                    "INSERT INTO enterprise_figure SELECT * FROM fig")
        first = False
    rows, totals = baseline_rows(data)
    base = pa.Table.from_pylist(rows)
    tot = pa.Table.from_pylist(totals)
    con.execute("CREATE TABLE baseline AS SELECT * FROM base")
    con.execute("CREATE TABLE region_total AS SELECT * FROM tot")
    return con


def configure_server(server, settings: dict[str, str]) -> dict[str, str]:
    """Apply ``settings`` (ALTER SYSTEM, then a restart with the server's own start options); returns what the
    server reports (SHOW) for ``PG_SHOWN``."""
    import subprocess

    for name, value in settings.items():
        server.psql(f"ALTER SYSTEM SET {name} = '{value}'")
    if settings:
        subprocess.run(server.as_user + [str(server.bin / "pg_ctl"), "-D", str(server.dir / "data"), "-l",
                                         str(server.dir / "pg.log"), "-w", "-t", "60", "restart"],
                       check=True, capture_output=True)
    return {name: server.psql(f"SHOW {name}").strip() for name in PG_SHOWN}


# --------------------------------------------------------------------------- timing


def time_diagnose(url: str, chain_path: Path, repeat: int) -> dict:
    from sqlalchemy import event

    from xinlian.chain.diagnose import DiagnoseOptions, diagnose
    from xinlian.store.db import open_db

    db = open_db(url, upgrade=False)
    statements: list[tuple[str, object, float]] = []
    started: dict[int, float] = {}

    @event.listens_for(db.engine, "before_cursor_execute")
    def before(conn, cursor, statement, parameters, context, executemany):
        started[id(cursor)] = time.perf_counter()

    @event.listens_for(db.engine, "after_cursor_execute")
    def after(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters, time.perf_counter() - started.pop(id(cursor), time.perf_counter())))

    runs, sql_times = [], []
    result = None
    for _ in range(repeat):
        statements.clear()
        t0 = time.perf_counter()
        result = diagnose(db, chain_path, LOCAL, "2026-06-30")
        runs.append(time.perf_counter() - t0)
        sql_times.append(sum(s[2] for s in statements))
    recorded = list(statements)
    # Cold runs: the first diagnosis after a registry write. On PostgreSQL the steady runs above reuse the results
    # stored by an earlier run (chain.summary, until the registry changes); a write (one figure row rewritten with
    # its own value, which the change log still counts) makes the next run compute and store them again. On SQLite
    # nothing is stored, so cold and steady runs do the same work.
    cold = []
    for _ in range(repeat):
        with db.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE enterprise_figure SET patents = patents WHERE id = 1")
        t0 = time.perf_counter()
        diagnose(db, chain_path, LOCAL, "2026-06-30")
        cold.append(time.perf_counter() - t0)
    stored = db.engine.dialect.name == "postgresql"
    t0 = time.perf_counter()
    diagnose(db, chain_path, LOCAL, "2026-06-30", DiagnoseOptions(with_targets=False))
    no_targets = time.perf_counter() - t0
    target_sql = sum(s[2] for s in recorded if "fixed_points" in s[0])
    tracemalloc.start()
    diagnose(db, chain_path, LOCAL, "2026-06-30")
    peak = tracemalloc.get_traced_memory()[1] / 2 ** 20
    tracemalloc.stop()
    db.dispose()
    summary = {v: sum(1 for n in result.nodes if n.verdict == v)
               for v in ("strong", "weak", "missing", "at_risk", "not_applicable")}
    return {"cold_best": min(cold), "cold_median": statistics.median(cold), "stored": stored,
            "best": min(runs), "first": runs[0], "median": statistics.median(runs), "sql": min(sql_times),
            "no_targets": no_targets, "target_sql": target_sql, "peak_mb": peak, "statements": recorded,
            "summary": summary, "targets": sum(len(n.targets) for n in result.nodes),
            "target_nodes": sum(1 for n in result.nodes if n.targets)}


def _summary_fields(r: dict) -> dict:
    """Says whether the steady figure reused stored results, with the cold figure beside it."""
    return {"summaries": ("steady runs reuse the stored region figures and target pools (chain.summary); "
                          "ours: first run after a registry write, recomputing and storing them; steady_s: reusing them")
            if r["stored"] else "none stored (SQLite): every run reads the tables",
            "cold_median_s": round(r["cold_median"], 3), "steady_s": round(r["best"], 4)}


def time_duckdb(con, statements, repeat: int) -> float:
    """The recorded statements (SQLite paramstyle ``?``) run on DuckDB; best of ``repeat``."""
    best = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        for sql, params, _t in statements:
            if sql.lstrip().upper().startswith("PRAGMA") or "FROM project" in sql or " fact_" in sql:
                continue  # connection tuning, and the (empty) project and news tables DuckDB was not given
            cur = con.execute(sql, list(params) if params else [])
            if cur.description:
                cur.fetchall()
        elapsed = time.perf_counter() - t0
        best = elapsed if best is None else min(best, elapsed)
    return best


def main() -> None:
    with scratch_dir("xinlian-bench-diag-") as tmp:
        run(tmp)


def run(tmp: Path) -> None:
    p = parser("chain diagnosis over a large registry", full=1_000_000, small=50_000)
    p.add_argument("--years", type=int, default=10)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--skip-postgres", action="store_true")
    p.add_argument("--pg-config", choices=("production", "default"), default="production",
                   help="PostgreSQL server settings: docs/settings.md's 2-core production set, or the defaults")
    args = p.parse_args()
    n = size_of(args)
    text_, leaves, profiles = chain_yaml()
    chain_path = tmp / f"{CHAIN_ID}.yaml"
    chain_path.write_text(text_, encoding="utf-8")
    from xinlian.chain.taxonomy import load_chain

    chain = load_chain(chain_path)
    t0 = time.perf_counter()
    data = generate(n, args.years, leaves, profiles)
    print(f"# chain {len(chain.nodes)} nodes, {len(chain.edges)} edges; {n:,} enterprises "
          f"({int(data['is_local'].sum()):,} local), {len(data['node_eid']):,} placements, "
          f"{n * args.years:,} figure rows; generated in {time.perf_counter() - t0:.1f} s", file=sys.stderr)

    con = load_duckdb(data)
    url = f"sqlite:///{tmp / 'bench.db'}"
    load_s = load_sqlite(url, data)
    print(f"# SQLite loaded in {load_s:.1f} s", file=sys.stderr)
    sq = time_diagnose(url, chain_path, args.repeat)
    anchor = time_duckdb(con, sq["statements"], args.repeat)
    common = {"size": n, "years": args.years, "nodes": len(chain.nodes), "local_firms": int(data["is_local"].sum()),
              "verdicts": sq["summary"], "targets": sq["targets"]}
    emit("diagnose_sqlite", "s", sq["cold_best"], "duckdb (same SQL, same rows)", anchor, higher_is_better=False,
         **_summary_fields(sq), first_run_s=round(sq["first"], 3), steady_median_s=round(sq["median"], 3), sql_s=round(sq["sql"], 3),
         targets_sql_s=round(sq["target_sql"], 3), without_targets_s=round(sq["no_targets"], 3),
         target_nodes=sq["target_nodes"], statements=len(sq["statements"]), peak_python_mb=round(sq["peak_mb"], 1), peak_rss_mb=round(peak_rss_mb()),
         load_s=round(load_s, 1), **common)

    if args.skip_postgres:
        return
    server = pg_server()
    if server is None:
        return
    try:
        shown = configure_server(server, PG_PRODUCTION if args.pg_config == "production" else {})
        print(f"# PostgreSQL server ({args.pg_config}): "
              + ", ".join(f"{k}={v}" for k, v in shown.items()), file=sys.stderr)
        server.psql("CREATE DATABASE bench")
        pg_url = server.url("bench")
        load_s = load_postgres(pg_url, data)
        print(f"# PostgreSQL loaded in {load_s:.1f} s", file=sys.stderr)
        pg = time_diagnose(pg_url, chain_path, args.repeat)
        emit("diagnose_postgres", "s", pg["cold_best"], "duckdb (same SQL, same rows)", anchor, higher_is_better=False,
             **_summary_fields(pg), first_run_s=round(pg["first"], 3), steady_median_s=round(pg["median"], 3), sql_s=round(pg["sql"], 3),
             targets_sql_s=round(pg["target_sql"], 3), without_targets_s=round(pg["no_targets"], 3),
             target_nodes=pg["target_nodes"], pg_config=args.pg_config, server_settings=shown,
             peak_python_mb=round(pg["peak_mb"], 1), peak_rss_mb=round(peak_rss_mb()), load_s=round(load_s, 1),
             **{**common, "verdicts": pg["summary"], "targets": pg["targets"]})
    finally:
        server.stop()


if __name__ == "__main__":
    main()
