"""link_1m: the registry name index over 1,000,000 fictional names, and linking mentions against it.

A SQLite registry is filled with generated names (and short-name aliases for a fifth of them) by bulk inserts.
Ours (``xinlian.link.index.RegistryIndex.from_db`` + ``xinlian.link.linker.Linker``): index build time, peak memory
of the building process, then mentions linked per second over a mix of exact names, aliases and fuzzy variants
(with the share linked to the right enterprise). Anchor: a plain Python dict of exact normalised names built from the
same rows, its build time, peak memory and exact lookups per second. Each side runs in its own process.

Run: ``.venv/bin/python bench/bench_link.py [--size full|small|N]``. Aim: index built in under a minute, under 2 GB.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import emit, parser, peak_rss_mb, size_of  # noqa: E402

SYLLABLES = list("澎芯亦泓领衡星博康晟瑞丰源启明远航金石银宏图嘉禾通赛德凯迪翔宇恒信达鑫盛隆睿智汇聚鼎峰岚曜昊泽华越辰朗")
INDUSTRY = ["半导体", "光学", "锂电", "微电子", "智能装备", "精密机械", "新材料", "传感技术", "电子材料", "光电",
            "集成电路", "封装测试", "功率器件", "激光技术", "真空设备", "化合物半导体"]
CITIES = [("常州", "320400"), ("苏州", "320500"), ("无锡", "320200"), ("南京", "320100"), ("杭州", "330100"),
          ("合肥", "340100"), ("武进", "320412"), ("宁波", "330200")]
MENTIONS = 3000


def name_of(i: int) -> tuple[str, str, str | None]:
    """(name_norm, region code, short alias or None) of fictional firm ``i``, unique for i < 48**3 * 16."""
    k = len(SYLLABLES)
    stem = SYLLABLES[i % k] + SYLLABLES[(i // k) % k] + SYLLABLES[(i // k // k) % k]
    ind = INDUSTRY[(i // k ** 3) % len(INDUSTRY)]
    city, code = CITIES[i % len(CITIES)]
    norm = (city + stem + ind) if i % 3 == 0 else stem + ind
    alias = stem + ind[:2] + "股份" if i % 5 == 0 else None
    return norm, code, alias


def fill(path: str, n: int) -> float:
    from xinlian.store.db import open_db

    open_db(f"sqlite:///{path}").dispose()  # the migrated schema
    start = time.perf_counter()
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    chunk = 50000
    for lo in range(0, n, chunk):
        ents, aliases = [], []
        for i in range(lo, min(n, lo + chunk)):
            norm, code, alias = name_of(i)
            ents.append((i + 1, f"n:{norm}|{code}", norm + "有限公司", norm, code, "active", 0, 1))
            if alias:
                aliases.append((i + 1, alias, alias, "short"))
        con.executemany("INSERT INTO enterprise (id, match_key, name, name_norm, region_code, status, is_sample, "
                        "version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", ents)
        con.executemany("INSERT INTO enterprise_alias (enterprise_id, alias, alias_norm, kind) VALUES (?, ?, ?, ?)",
                        aliases)
        con.commit()
    con.close()
    return time.perf_counter() - start


def mentions(n: int, count: int = MENTIONS) -> list[tuple[str, int, str]]:
    """(mention name, true enterprise id, kind): a third exact, a third alias, a third fuzzy."""
    rng = random.Random(11)
    out = []
    while len(out) < count:
        i = rng.randrange(n)
        norm, code, alias = name_of(i)
        kind = ("exact", "alias", "fuzzy")[len(out) % 3]
        if kind == "exact":
            out.append((norm + "有限公司", i + 1, kind))
        elif kind == "alias" and alias:
            out.append((alias, i + 1, kind))
        elif kind == "fuzzy":
            city = next(c for c, cc in CITIES if cc == code)
            core = norm[len(city):] if norm.startswith(city) else norm
            out.append((f"{core}科技({city})有限公司", i + 1, kind))
    return out


def child(kind: str, path: str, n: int) -> None:
    os.environ["XINLIAN_HOME"] = tempfile.mkdtemp(prefix=f"home-{kind}-", dir=Path(path).parent)
    from xinlian.store.db import open_db

    db = open_db(f"sqlite:///{path}", upgrade=False)
    ms = mentions(n)
    result: dict = {}
    if kind == "ours":
        from xinlian.link.candidates import block_index
        from xinlian.link.index import RegistryIndex
        from xinlian.link.linker import ArticleContext, LinkOptions, Linker, OrgMention

        start = time.perf_counter()
        idx = RegistryIndex.from_db(db)
        result["build_s"] = time.perf_counter() - start
        result["build_peak_mb"] = peak_rss_mb()
        result["keys"] = len(idx)
        start = time.perf_counter()
        block_index(idx)
        result["blocking_build_s"] = time.perf_counter() - start
        result["peak_mb"] = peak_rss_mb()
        right = {"exact": 0, "alias": 0, "fuzzy": 0}
        with db.session() as s:
            linker = Linker(s, idx, LinkOptions(make_candidates=False))
            ctx = ArticleContext(None)
            start = time.perf_counter()
            for name, truth, k in ms:
                props = linker.link(OrgMention(name), ctx, judged={})
                if props and max(props, key=lambda p: p.score).enterprise_id == truth:
                    right[k] += 1
            elapsed = time.perf_counter() - start
        result["mentions_per_s"] = len(ms) / elapsed
        result["right"] = {k: round(v / (len(ms) / 3), 3) for k, v in right.items()}
    else:
        from sqlalchemy import text

        start = time.perf_counter()
        table: dict[str, list[int]] = {}
        with db.engine.connect().execution_options(yield_per=20000) as conn:
            for eid, norm in conn.execute(text("SELECT id, name_norm FROM enterprise WHERE status = 'active'")):
                table.setdefault(norm, []).append(eid)
            for eid, alias in conn.execute(text("SELECT enterprise_id, alias_norm FROM enterprise_alias")):
                table.setdefault(alias, []).append(eid)
        result["build_s"] = time.perf_counter() - start
        result["peak_mb"] = peak_rss_mb()
        from xinlian.registry.names import normalise

        keys = [normalise(name) for name, _t, _k in ms]  # the same normalisation as ours, outside the timing
        start = time.perf_counter()
        hits = 0
        for _ in range(10):
            for k in keys:
                hits += k in table
        result["mentions_per_s"] = 10 * len(keys) / (time.perf_counter() - start)
        result["exact_hits"] = hits / 10 / len(keys)
    print(json.dumps(result))


def run_child(kind: str, path: str, n: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, path, str(n)], capture_output=True, text=True)
    if out.returncode:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"{kind} child failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    args = parser(__doc__.splitlines()[0], 1_000_000, 50_000).parse_args()
    n = size_of(args)
    with tempfile.TemporaryDirectory(prefix="xl-bench-link-") as tmp:
        path = str(Path(tmp) / "registry.db")
        fill_s = fill(path, n)
        ours = run_child("ours", path, n)
        anchor = run_child("anchor", path, n)
    size = {"size": n, "keys": ours["keys"]}
    emit("link_1m_build", "s", ours["build_s"], "python dict of exact names", anchor["build_s"],
         higher_is_better=False, fill_s=round(fill_s, 2), blocking_build_s=round(ours["blocking_build_s"], 2), **size)
    emit("link_1m_memory", "MB peak", ours["build_peak_mb"], "python dict of exact names", anchor["peak_mb"],
         higher_is_better=False, peak_with_blocking_mb=round(ours["peak_mb"], 1), **size)
    emit("link_1m_mentions", "mentions/s", ours["mentions_per_s"], "dict exact lookups/s", anchor["mentions_per_s"],
         right=ours["right"], anchor_exact_hits=round(anchor["exact_hits"], 3), **size)


if __name__ == "__main__":
    main()
