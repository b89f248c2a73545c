"""Whole-page ingest and the Dask executor, each beside its anchor measured in the same run.

- ``ingest_vs_trafilatura``: pages/s from HTML bytes on disk to a stored, indexed article in SQLite (read, keep raw,
  hash check, clean, group, store, index: ``xinlian.ingest.pipeline.ingest``) against ``trafilatura.extract`` alone
  on the same bytes; the line also gives trafilatura on text decoded beforehand (``ratio_vs_decoded_text``, the
  stricter anchor: decoding is then not counted on its side).
- ``dask_2w_vs_1w``: the same batch cleaned (``pipeline.clean_item``) on a 2-worker against a 1-worker
  ``LocalCluster``; ratio = speedup. Pages travel in chunks so scheduling overhead stays small.

Pages: the 62 GNE pages of ../shared repeated to ``--size`` (each copy made unique by a trailing comment, so the
content-hash skip does not short-cut it: the copies are cleaned and stored as exact duplicates), or generated
fictional HTML when ../shared is absent. Dictionaries are loaded before the timing on both sides.

Usage: python bench/bench_ingest.py [--size full|small|N] [--repeat R] [--chunksize C] [--skip-dask]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

import os  # noqa: E402

from common import emit, parser, size_of  # noqa: E402

GNE = HERE.parent.parent / "shared" / "corpora" / "gne-news-pages"

_WORDS = ("青禾区 产业链 集成电路 功率半导体 企业 项目 投资 签约 调研 强调 推动 创新 发展 建设 园区 技术 研发 合作 市场 "
          "应用 链主 协同 服务 政策 人才 平台 制造 装备 材料 新能源 汽车 智能 网联").split()


def fictional_page(i: int) -> bytes:
    import random

    rng = random.Random(i)
    paras = "".join("<p>" + "，".join("".join(rng.choice(_WORDS) for _ in range(5)) for _ in range(4)) + "。</p>"
                    for _ in range(10))
    return (f"<html><head><meta charset='utf-8'><title>青禾区第{i}号新闻_青禾网</title></head><body>"
            f"<div class='nav'>首页 &gt; 新闻</div><h1>青禾区第{i}号新闻</h1>"
            f"<div>发布时间：2025-03-06 09:30 来源：青禾日报</div><div class='content'>{paras}</div>"
            f"<div class='foot'>版权所有 青禾网</div></body></html>").encode()


def pages(size: int) -> tuple[list[bytes], str]:
    if GNE.exists():
        real = [p.read_bytes() for p in sorted(GNE.glob("*/*.html"))]
        return [real[i % len(real)] + f"\n<!-- copy {i} -->".encode() for i in range(size)], "gne"
    return [fictional_page(i) for i in range(size)], "generated"


def warm_up(batch: list[bytes]) -> None:
    import trafilatura

    from xinlian.text import dedupe  # noqa: F401  (imports datasketch and scipy once, outside the timing)
    from xinlian.text.clean import clean_page

    for raw in batch[:62]:
        clean_page(raw, filename="p.html")
        trafilatura.extract(raw)


def bench_ingest(batch: list[bytes], source: str, repeat: int) -> None:
    """Alternate anchor and ours ``repeat`` times (the machine is shared and noisy) and take each one's median."""
    import statistics

    import trafilatura

    from xinlian.ingest.pipeline import IngestOptions, ingest
    from xinlian.settings import reset_settings
    from xinlian.store.db import open_db

    from xinlian.text.decode import decode

    texts = [decode(raw).text for raw in batch]  # for the second anchor: trafilatura on already decoded text
    ours_t, anchor_t, anchor_str_t = [], [], []
    with tempfile.TemporaryDirectory(prefix="xl-bench-ingest-") as tmp:
        tmp = Path(tmp)
        folder = tmp / "pages"
        folder.mkdir()
        for i, raw in enumerate(batch):
            (folder / f"{i:06d}.html").write_bytes(raw)
        for r in range(repeat):
            start = time.perf_counter()
            for raw in batch:
                trafilatura.extract(raw)
            anchor_t.append(time.perf_counter() - start)
            start = time.perf_counter()
            for text in texts:
                trafilatura.extract(text)
            anchor_str_t.append(time.perf_counter() - start)

            os.environ["XINLIAN_HOME"] = str(tmp / f"home{r}")
            reset_settings()
            db = open_db(f"sqlite:///{tmp / f'bench{r}.db'}")  # a fresh, migrated database each round
            start = time.perf_counter()
            summary = ingest(db, [folder], options=IngestOptions())
            ours_t.append(time.perf_counter() - start)
            db.dispose()
            assert summary.ingested + summary.failed == len(batch), summary
    ours_s, anchor_s = statistics.median(ours_t), statistics.median(anchor_t)
    emit("ingest_vs_trafilatura", "pages/s", len(batch) / ours_s, "trafilatura.extract", len(batch) / anchor_s,
         pages=len(batch), pages_from=source, store="sqlite", repeat=repeat, failed=summary.failed,
         duplicates=summary.duplicates, load_avg_1m=round(os.getloadavg()[0], 2),
         anchor_on_decoded_text=round(len(batch) / statistics.median(anchor_str_t), 4),
         ratio_vs_decoded_text=round(statistics.median(anchor_str_t) / ours_s, 3))


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def machine_parallelism(repeat: int) -> float:
    """How much faster 2 processes run a pure-Python loop than 1 on this machine right now (2.0 on two idle
    cores). Printed beside the Dask figure: on a shared, busy machine no executor can beat it."""
    import statistics
    from multiprocessing import get_context

    times: dict[int, list[float]] = {1: [], 2: []}
    with get_context("spawn").Pool(1) as one, get_context("spawn").Pool(2) as two:
        for _ in range(repeat):
            for workers, pool in ((1, one), (2, two)):
                start = time.perf_counter()
                pool.map(_spin, [2_000_000] * 8, chunksize=1)
                times[workers].append(time.perf_counter() - start)
    return statistics.median(times[1]) / statistics.median(times[2])


def bench_dask(batch: list[bytes], chunksize: int, repeat: int) -> None:
    """Both clusters stay up; rounds alternate 1-worker and 2-worker runs and each side takes its median."""
    import statistics

    from xinlian.ingest.executor import DaskExecutor
    from xinlian.ingest.pipeline import clean_item

    tasks = [{"data": raw, "source": f"p{i}.html", "filename": "p.html"} for i, raw in enumerate(batch)]
    timings: dict[int, list[float]] = {1: [], 2: []}
    with DaskExecutor(workers=1) as one, DaskExecutor(workers=2) as two:
        for ex in (one, two):
            ex.client.run(clean_item, tasks[0])  # every worker loads its dictionaries before the timing
        for _ in range(repeat):
            for workers, ex in ((1, one), (2, two)):
                start = time.perf_counter()
                results = list(ex.map(clean_item, tasks, chunksize=chunksize))
                timings[workers].append(time.perf_counter() - start)
                assert len(results) == len(tasks)
    one_s, two_s = statistics.median(timings[1]), statistics.median(timings[2])
    emit("dask_2w_vs_1w", "pages/s", len(batch) / two_s, "dask 1 worker", len(batch) / one_s,
         pages=len(batch), chunksize=chunksize, repeat=repeat,
         machine_2p_vs_1p=round(machine_parallelism(repeat), 3), load_avg_1m=round(os.getloadavg()[0], 2))


def main() -> None:
    ap = parser(__doc__.splitlines()[0], full=310, small=62)  # full: the GNE pages five times
    ap.add_argument("--repeat", type=int, default=3, help="rounds per measure (median)")
    ap.add_argument("--chunksize", type=int, default=4, help="pages per Dask task")
    ap.add_argument("--skip-dask", action="store_true")
    args = ap.parse_args()
    batch, source = pages(size_of(args))
    warm_up(batch)
    bench_ingest(batch, source, args.repeat)
    if not args.skip_dask:
        bench_dask(batch, args.chunksize, args.repeat)


if __name__ == "__main__":
    main()
