"""Shared by the benchmarks: JSON lines out (stdout and bench/results/latest.jsonl), sizes, a scratch folder, a
throwaway PostgreSQL server, peak memory of a child process."""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "latest.jsonl"


def parser(description: str, full: int, small: int) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--size", default="full", help=f"'full' ({full:,}), 'small' ({small:,}) or a number")
    p.set_defaults(_full=full, _small=small)
    return p


@contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A temporary folder for a run's sheets and databases (a full run writes over 1 GB), removed afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def size_of(args) -> int:
    if args.size == "full":
        return args._full
    if args.size == "small":
        return args._small
    return int(args.size)


def emit(bench: str, unit: str, ours: float, anchor_name: str, anchor: float, higher_is_better: bool = True,
         **extra) -> dict:
    """One result line. ``ratio`` > 1 always means better than the anchor."""
    if higher_is_better:
        ratio = ours / anchor if anchor else None
    else:
        ratio = anchor / ours if ours else None
    line = {"bench": bench, "unit": unit, "ours": round(ours, 4), "anchor_name": anchor_name,
            "anchor": round(anchor, 4), "ratio": round(ratio, 3) if ratio else None, **extra}
    text = json.dumps(line, ensure_ascii=False)
    print(text, flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(text + "\n")
    return line


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pg_server(durable: bool = False):
    """A throwaway PostgreSQL server (the tests' harness), or None when the binaries are missing."""
    sys.path.insert(0, str(HERE.parent / "tests"))
    from pg import find_pgbin, start_server

    if find_pgbin() is None:
        print("!! PostgreSQL binaries not found: PostgreSQL benchmarks skipped", file=sys.stderr)
        return None
    return start_server(durable=durable)
