"""import_sqlite / import_postgres: enterprises imported from a generated CSV, rows/s and peak memory.

Ours: ``xinlian.registry.importer.import_enterprises`` (parse, validate credit codes, normalise names, units,
upsert, figures, nodes, search index, one transaction; a large sheet is parsed in a second process, whose peak
memory is added to ours). Anchor: a plain ``executemany`` INSERT of the same rows
(already parsed) into the same enterprise table. Each side runs in its own process so peak memory is its own.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import emit, parser, pg_server, peak_rss_mb, scratch_dir, size_of  # noqa: E402

NODES = ["功率器件", "封装测试", "光学元件", "碳化硅衬底", "模拟芯片设计", "新能源与智能网联汽车"]


def generate(path: Path, n: int) -> None:
    from xinlian.registry import creditcode

    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["统一社会信用代码", "企业名称", "所属区县", "产业链环节", "产值(万元)", "从业人员", "是否专精特新"])
        for i in range(n):
            ident = "MA" + "".join(creditcode.ALPHABET[(i // 31 ** k) % 31] for k in range(6, -1, -1))
            code = creditcode.make("9", "1", "320412", ident)
            w.writerow([code, f"示例企业{i:07d}科技有限公司", "320412", NODES[i % len(NODES)], f"{(i % 5000) + 1}.5",
                        (i % 900) + 10, "是" if i % 7 == 0 else "否"])


def child(kind: str, url: str, path: str) -> None:
    os.environ["XINLIAN_HOME"] = tempfile.mkdtemp(prefix=f"home-{kind}-", dir=Path(path).parent)
    from xinlian.store.db import open_db

    db = open_db(url)
    start = time.perf_counter()
    if kind == "ours":
        from xinlian.registry.importer import ImportOptions, import_enterprises

        report = import_enterprises(db, path, ImportOptions(year=2024))
        rows = report.rows_ok
    else:
        from xinlian.registry import values

        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            next(reader)
            batch, rows = [], 0
            with db.engine.begin() as conn:
                for r in reader:
                    batch.append({"credit_code": r[0], "match_key": r[0], "name": r[1], "name_norm": r[1],
                                  "region_code": r[2], "status": "active", "is_sample": True, "version": 1,
                                  "specialised": r[6] == "是"})
                    if len(batch) == 5000:
                        conn.execute(INSERT, batch)
                        rows += len(batch)
                        batch = []
                if batch:
                    conn.execute(INSERT, batch)
                    rows += len(batch)
    seconds = time.perf_counter() - start
    # The import may parse in a second process (setting import_parse_process_min_bytes): its peak counts too, added
    # to ours as if both peaks were at the same moment (an upper bound).
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    children_mb = children.ru_maxrss / 1024
    me = resource.getrusage(resource.RUSAGE_SELF)
    # CPU seconds of each process: on a shared machine they say more than the wall time does
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_mb": peak_rss_mb() + children_mb,
                      "parse_process_mb": children_mb, "cpu_s": me.ru_utime + me.ru_stime,
                      "parse_process_cpu_s": children.ru_utime + children.ru_stime}))


def _insert():
    from sqlalchemy import func, insert

    from xinlian.store.tables.registry import Enterprise

    return insert(Enterprise.__table__).values(created_at=func.current_timestamp(), updated_at=func.current_timestamp())


def run_side(kind: str, url: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, url, str(path)], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = parser(__doc__, full=1_000_000, small=20_000)
    p.add_argument("--child", nargs=3, help=argparse_hidden())
    args = p.parse_args()
    if args.child:
        global INSERT
        INSERT = _insert()
        child(*args.child)
        return
    n = size_of(args)
    with scratch_dir("xl-bench-import-") as work:
        _measure(work, n)


def _measure(work: Path, n: int) -> None:
    sheet = work / "enterprises.csv"
    generate(sheet, n)
    for backend in ("sqlite", "postgres"):
        server = None
        if backend == "sqlite":
            urls = [f"sqlite:///{work / 'ours.db'}", f"sqlite:///{work / 'anchor.db'}"]
        else:
            server = pg_server()
            if server is None:
                continue
            server.psql("CREATE DATABASE ours")
            server.psql("CREATE DATABASE anchor")
            urls = [server.url("ours"), server.url("anchor")]
        try:
            ours = run_side("ours", urls[0], sheet)
            anchor = run_side("anchor", urls[1], sheet)
        finally:
            if server:
                server.stop()
        emit(f"import_{backend}", "rows/s", ours["rows"] / ours["seconds"], "plain executemany INSERT",
             anchor["rows"] / anchor["seconds"], rows=n, ours_peak_mb=round(ours["peak_mb"]),
             anchor_peak_mb=round(anchor["peak_mb"]), ours_seconds=round(ours["seconds"], 2),
             ours_parse_process_mb=round(ours.get("parse_process_mb", 0)), ours_cpu_s=round(ours["cpu_s"], 2),
             ours_parse_process_cpu_s=round(ours["parse_process_cpu_s"], 2), anchor_cpu_s=round(anchor["cpu_s"], 2),
             load_average=round(os.getloadavg()[0], 2))


def argparse_hidden():
    import argparse

    return argparse.SUPPRESS


INSERT = None

if __name__ == "__main__":
    main()
