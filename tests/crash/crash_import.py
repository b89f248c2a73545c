"""Kill an import with SIGKILL at random moments, many times, and prove nothing is lost or half-written.

Run: ``make crash`` (or ``python tests/crash/crash_import.py --trials 30 --rows 40000 [--backend postgres]``).
Each trial: a child process imports a large XLSX into a fresh database; the parent kills it with SIGKILL after a
random delay; then the database is reopened and checked:
- SQLite ``PRAGMA integrity_check`` is ``ok`` (PostgreSQL: the server is durable and only the client is killed);
- the batch is all or nothing: either the ``done`` batch row and every enterprise, figure and node, or none;
- the raw file was kept in the content-addressed store;
- importing again gives the same rows (content digest) as one uninterrupted run.
Exit status 0 only when every trial passes; prints one JSON line per trial and a summary.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "registry"))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def make_sheet(path: Path, rows: int) -> Path:
    import openpyxl

    from sheets import code

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("名录")
    ws.append(["统一社会信用代码", "企业名称", "所属区县", "产业链环节", "2023年产值(万元)", "2024年产值(万元)", "从业人员"])
    for i in range(rows):
        ws.append([code(i), f"示例崩溃测试{i:06d}有限公司", "武进区", ["功率器件", "封装测试", "光学元件"][i % 3],
                   i % 997 + 1, i % 991 + 2, i % 500 + 5])
    wb.save(path)
    return path


CHILD = """
import os, sys
from xinlian.store.db import open_db
from xinlian.registry.importer import ImportOptions, import_enterprises
db = open_db(sys.argv[1])
print("started", flush=True)
import_enterprises(db, sys.argv[2], ImportOptions(chunk_rows=2000))
print("finished", flush=True)
"""


def run_child(url: str, sheet: Path, home: Path) -> subprocess.Popen:
    env = {**os.environ, "XINLIAN_HOME": str(home), "XINLIAN_MODE": "test"}
    return subprocess.Popen([sys.executable, "-c", CHILD, url, str(sheet)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def digest(url: str) -> tuple[int, str, int, int]:
    """(enterprises, content digest, done batches, figures) of a database, ids and timestamps left out."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT e.match_key, e.name, e.region_code, f.year, f.output_value, f.employees, n.node_id "
            "FROM enterprise e LEFT JOIN enterprise_figure f ON f.enterprise_id = e.id "
            "LEFT JOIN enterprise_node n ON n.enterprise_id = e.id ORDER BY 1, 4, 7")).all()
        ents = conn.execute(text("SELECT count(*) FROM enterprise")).scalar()
        batches = conn.execute(text("SELECT count(*) FROM import_batch WHERE status = 'done'")).scalar()
        figures = conn.execute(text("SELECT count(*) FROM enterprise_figure")).scalar()
    engine.dispose()
    return ents, hashlib.sha256(repr(rows).encode()).hexdigest(), batches, figures


class Backend:
    def __init__(self, kind: str, work: Path):
        self.kind, self.work, self.n = kind, work, 0
        self.server = None
        if kind == "postgres":
            from pg import start_server

            self.server = start_server(durable=True)

    def fresh(self) -> str:
        self.n += 1
        if self.server:
            self.server.psql(f"CREATE DATABASE crash{self.n}")
            url = self.server.url(f"crash{self.n}")
        else:
            url = f"sqlite:///{self.work / f'crash{self.n}.db'}"
        from xinlian.store.db import open_db

        open_db(url).dispose()  # migrate before the child starts, so kills hit the import itself
        return url

    def integrity(self, url: str) -> str:
        if self.server:
            return "ok"  # the server was not killed; the client was
        import sqlite3

        conn = sqlite3.connect(url.split("///", 1)[1])
        try:
            return conn.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            conn.close()

    def close(self):
        if self.server:
            self.server.stop()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--trials", type=int, default=30)
    p.add_argument("--rows", type=int, default=40000)
    p.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="xinlian-crash-"))
    home = work / "home"
    sheet = make_sheet(work / "big.xlsx", args.rows)
    backend = Backend(args.backend, work)
    failures = 0
    try:
        ref_url = backend.fresh()
        t0 = time.perf_counter()
        child = run_child(ref_url, sheet, home)
        out, err = child.communicate()
        full = time.perf_counter() - t0
        if child.returncode:
            print(err, file=sys.stderr)
            return 2
        reference = digest(ref_url)
        print(json.dumps({"reference_seconds": round(full, 2), "enterprises": reference[0]}), flush=True)
        for trial in range(args.trials):
            url = backend.fresh()
            child = run_child(url, sheet, home)
            child.stdout.readline()  # "started": the database is open
            delay = rng.uniform(0, full)
            time.sleep(delay)
            child.send_signal(signal.SIGKILL)
            child.wait()
            killed_state = digest(url)
            integrity = backend.integrity(url)
            all_or_nothing = killed_state[0] in (0, reference[0]) and (
                (killed_state[2] == 0 and killed_state[3] == 0) or killed_state[:2] == reference[:2])
            from xinlian.store import rawstore  # noqa: F401

            raw_kept = any((home / "raw").rglob("*")) if (home / "raw").exists() else False
            rerun = run_child(url, sheet, home)
            rerun.communicate()
            after = digest(url)
            ok = integrity == "ok" and all_or_nothing and raw_kept and after[:2] == reference[:2] and after[2] == 1
            failures += not ok
            print(json.dumps({"trial": trial, "kill_after_s": round(delay, 3), "rows_when_killed": killed_state[0],
                              "integrity": integrity, "all_or_nothing": all_or_nothing, "raw_kept": raw_kept,
                              "rerun_equal": after[:2] == reference[:2], "ok": ok}), flush=True)
    finally:
        backend.close()
    print(json.dumps({"trials": args.trials, "failures": failures, "backend": args.backend}))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
