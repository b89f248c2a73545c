"""Benchmarks for the cleaning library, each beside its anchor measured in the same run.

Prints one JSON line per benchmark and appends it to bench/results/latest.jsonl:

- ``clean_vs_opencc``: ``clean_text`` (pinyin, mojibake scan, t2s, whitespace, boilerplate) against OpenCC ``t2s``
  alone, on the same traditional-script text, in Mchar/s.
- ``ingest_vs_trafilatura``: ``clean_page`` on HTML bytes against ``trafilatura.extract`` on the same pages,
  in pages/s. (Storage is added to this path by the ingest pipeline later.)

Text and pages come from ../shared when it exists (the real GNE pages), otherwise they are generated.

Usage: python bench/bench_clean.py [--size N] [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import opencc  # noqa: E402
import trafilatura  # noqa: E402

from xinlian.text import decode  # noqa: E402
from xinlian.text.clean import clean_page, clean_text  # noqa: E402
from xinlian.text.t2s import converter  # noqa: E402

GNE = ROOT / ".." / "shared" / "corpora" / "gne-news-pages"
RESULTS = ROOT / "bench" / "results" / "latest.jsonl"

_WORDS = (
    "青禾区 产业链 集成电路 功率半导体 企业 项目 投资 签约 调研 强调 推动 创新 发展 建设 园区 技术 研发 "
    "合作 市场 应用 高地 链主 协同 服务 政策 人才 平台 制造 装备 材料 新能源 汽车 智能 网联 低空 经济"
).split()


def fictional_paragraphs(n: int, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        sentence = "，".join("".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 6))) for _ in range(4))
        out.append(sentence + "。")
    return out


def fictional_page(i: int) -> bytes:
    paras = "".join(f"<p>{p}</p>" for p in fictional_paragraphs(12, seed=i))
    return (
        f"<html><head><meta charset='utf-8'><title>青禾区第{i}号新闻_青禾网</title></head><body>"
        f"<div class='nav'>首页 &gt; 新闻</div><h1>青禾区第{i}号新闻</h1>"
        f"<div>发布时间：2025-03-06 09:30 来源：青禾日报</div><div class='content'>{paras}</div>"
        f"<div class='foot'>版权所有 青禾网</div></body></html>"
    ).encode()


def pages(size: int) -> list[bytes]:
    if GNE.exists():
        real = [p.read_bytes() for p in sorted(GNE.glob("*/*.html"))]
        return [real[i % len(real)] for i in range(size)]
    return [fictional_page(i) for i in range(size)]


def bench_text(size: int) -> str:
    """Real article paragraphs (when ../shared exists) plus generated ones, in traditional script, no repeats.

    ``size`` scales the generated part (size x 1000 paragraphs), so that no line is an exact copy of another
    (the cleaner drops repeated lines, which would flatter it).
    """
    paras = []
    if GNE.exists():
        for raw in pages(62):
            paras.extend(clean_page(raw).paragraphs)
    paras.extend(fictional_paragraphs(1000 * size))
    # The cleaner's real input is traditional script; give both sides the same traditional text.
    return opencc.OpenCC("s2t").convert("\n".join(paras))


def race(repeat: int, ours, anchor) -> tuple[float, float]:
    """Fastest of ``repeat`` runs of each, the two taking turns so that both see the same machine load
    (on a shared, noisy machine the minimum is the steadiest estimate)."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for fn, bucket in ((ours, times[0]), (anchor, times[1])):
            start = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - start)
    return min(times[0]), min(times[1])


def emit(record: dict) -> None:
    line = json.dumps(record, ensure_ascii=False)
    print(line)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=62, help="pages for ingest; thousands of generated paragraphs = size // 10")
    parser.add_argument("--repeat", type=int, default=7, help="runs per measurement (the fastest counts)")
    args = parser.parse_args()

    text = bench_text(max(1, args.size // 10))
    clean_text(text[:1000])  # warm caches (dictionaries, converter) outside the timing
    clean_text("链?式招引")  # loads the word dictionary used to judge damaged text
    t2s = converter()
    ours_s, anchor_s = race(args.repeat, lambda: clean_text(text), lambda: t2s.convert(text))
    mchar = len(text) / 1e6
    ours, anchor = mchar / ours_s, mchar / anchor_s
    emit({"bench": "clean_vs_opencc", "unit": "Mchar/s", "ours": round(ours, 3), "anchor_name": "opencc t2s",
          "anchor": round(anchor, 3), "ratio": round(ours / anchor, 3), "chars": len(text)})

    batch = pages(args.size)
    texts = [decode.decode(raw).text for raw in batch]
    for raw in batch[:62]:  # warm up: dictionaries load once per process, outside the timing
        clean_page(raw)
    ours_s, anchor_s = race(
        args.repeat, lambda: [clean_page(raw) for raw in batch], lambda: [trafilatura.extract(t) for t in texts]
    )
    ours, anchor = len(batch) / ours_s, len(batch) / anchor_s
    emit({"bench": "ingest_vs_trafilatura", "unit": "pages/s", "ours": round(ours, 2),
          "anchor_name": "trafilatura.extract", "anchor": round(anchor, 2), "ratio": round(ours / anchor, 3),
          "pages": len(batch)})


if __name__ == "__main__":
    main()
