"""Bulk dedupe of registry lists that carry no credit codes (two bureaus' lists of the same firms), with Splink on
DuckDB: a probabilistic record-linkage model (Fellegi-Sunter) trained by EM on the lists themselves.

Records are prepared first: the name core (``names.core``: script, width, brackets, legal form and region prefix
removed, so 華恒鋰電（蘇州）有限公司 and 苏州华恒锂电科技有限公司 meet), the region as a GB/T 2260 code (from the
region column, else from the name), the legal representative and the credit code when present. Comparisons:
Jaro-Winkler on the core, exact region, exact legal representative, exact credit code. Blocking: same core opening,
same core ending, same credit code, same region and legal representative. The same settings run on Spark by
swapping ``DuckDBAPI`` for ``SparkAPI``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from xinlian.link.index import region_of_name
from xinlian.registry.names import core as name_core

FIELDS = ("name", "region", "legal_rep", "credit_code")


@dataclass
class DedupeOptions:
    """Switches of one dedupe run.

    Attributes:
        threshold: match probability at or above which two records join one cluster.
        jw_levels: Jaro-Winkler similarity levels on the name core, highest first.
        max_pairs_u: random pairs sampled to estimate the u probabilities.
        seed: random seed for that sampling (runs are repeatable).
    """

    threshold: float = 0.8
    jw_levels: tuple[float, ...] = (0.95, 0.88, 0.8)
    max_pairs_u: float = 2e5
    seed: int = 7


def _region_code(text: str | None) -> str | None:
    if not text:
        return None
    s = str(text).strip()
    if s.isdigit() and len(s) == 6:
        return s
    from xinlian.registry import regions

    found = regions.find(s)
    for cut in range(1, max(1, len(s) - 1)):
        if found:
            break
        found = regions.find(s[cut:])  # 常州市武进区: the most specific name at the end
    return found[0].code if found else None


def prepare(records: Iterable[dict]) -> list[dict]:
    """The columns the model compares, one row per record (``unique_id`` is the record's position)."""
    out = []
    for i, r in enumerate(records):
        name = str(r.get("name") or "").strip()
        c = name_core(name) if name else ""
        region = _region_code(r.get("region")) or region_of_name(name)[0]
        code = str(r.get("credit_code") or "").strip().upper() or None
        rep = str(r.get("legal_rep") or "").strip() or None
        out.append({"unique_id": i, "core": c or None, "core_head": c[:2] or None, "core_tail": c[-2:] or None,
                    "region": region, "legal_rep": rep, "credit_code": code})
    return out


def prior(rows: list[dict], recall: float = 0.7) -> float:
    """The chance that two random records are the same firm, from the pairs sharing a name core (assumed to find
    ``recall`` of the true pairs), kept between one pair in all and one half."""
    from collections import Counter

    n = len(rows)
    total = n * (n - 1) / 2 or 1
    same = sum(k * (k - 1) / 2 for k in Counter(r["core"] for r in rows if r["core"]).values())
    return min(0.5, max(1.0 / total, same / recall / total))


def _linker(rows: list[dict], options: DedupeOptions):
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("core", list(options.jw_levels)),
            cl.ExactMatch("region"),
            cl.ExactMatch("legal_rep"),
            cl.ExactMatch("credit_code"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("core_head"), block_on("core_tail"), block_on("credit_code"), block_on("region", "legal_rep"),
        ],
        retain_intermediate_calculation_columns=False,
        probability_two_random_records_match=prior(rows),
    )
    db_api = DuckDBAPI()
    return Linker(db_api.register(rows), settings), block_on


def _quiet() -> None:
    """Splink reports training at INFO and warns about untrained levels on synthetic lists: keep stderr clean."""
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("splink"):
            logging.getLogger(name).setLevel(logging.ERROR)


def dedupe_records(records: list[dict], options: DedupeOptions | None = None) -> list[dict]:
    """Group records of the same firm.

    Args:
        records: dicts with ``name`` and optionally ``region`` (name or code), ``legal_rep``, ``credit_code`` and
            anything else (kept in the output).
        options: ``DedupeOptions``.

    Returns:
        Clusters, largest first: ``{"cluster_id", "size", "members": [record positions], "names": [...]}``.
        Every record is in exactly one cluster (a singleton when it matched nothing).
    """
    options = options or DedupeOptions()
    rows = prepare(records)
    if len(rows) < 2:
        return [{"cluster_id": i, "size": 1, "members": [i], "names": [records[i].get("name")]} for i in range(len(rows))]
    linker, block_on = _linker(rows, options)
    _quiet()
    linker.training.estimate_u_using_random_sampling(max_pairs=options.max_pairs_u, seed=options.seed)
    for rule in (block_on("region"), block_on("core_head")):
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        except Exception as exc:  # too few pairs under one rule: the other rule still trains the rest
            logging.getLogger(__name__).info("EM under %s skipped: %s", rule, exc)
    pairs = linker.inference.predict(threshold_match_probability=options.threshold)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pairs, options.threshold)
    by_cluster: dict[Any, list[int]] = {}
    for rec in clusters.as_record_list():
        by_cluster.setdefault(rec["cluster_id"], []).append(int(rec["unique_id"]))
    seen = {u for m in by_cluster.values() for u in m}
    for i in range(len(rows)):
        if i not in seen:
            by_cluster[f"single-{i}"] = [i]
    out = []
    for members in sorted(by_cluster.values(), key=lambda m: (-len(m), min(m))):
        members = sorted(members)
        out.append({"cluster_id": len(out) + 1, "size": len(members), "members": members,
                    "names": [records[i].get("name") for i in members]})
    return out


def records_from_sheet(path: str | Path) -> list[dict]:
    """Enterprise rows of one CSV/XLSX list (``ingest.sheets.read_sheet``, enterprise headers), with their source."""
    from xinlian.ingest.sheets import read_sheet

    sheet = read_sheet(path, kind="enterprise")
    cols = {c.field: c.index for c in sheet.columns if c.field in FIELDS}
    if "name" not in cols:
        from xinlian.ingest.sheets import SheetError

        raise SheetError(f"{path}: 找不到企业名称列")
    out = []
    for row in sheet.rows:
        cells = row.cells
        rec = {f: (cells[i] if i < len(cells) else None) for f, i in cols.items()}
        if not str(rec.get("name") or "").strip():
            continue
        rec = {k: (str(v).strip() if v is not None else None) for k, v in rec.items()}
        rec.update({"source": Path(path).name, "row": row.number})
        out.append(rec)
    return out


def dedupe_files(paths: list[str | Path], options: DedupeOptions | None = None) -> tuple[list[dict], list[dict]]:
    """Read one or two lists and dedupe them together: (records, clusters)."""
    records: list[dict] = []
    for p in paths:
        records.extend(records_from_sheet(p))
    return records, dedupe_records(records, options)


def pair_scores(clusters: list[dict], truth: list[Any]) -> dict:
    """Pairwise precision and recall of ``clusters`` against a true entity per record."""
    from itertools import combinations

    found = {tuple(sorted(p)) for c in clusters for p in combinations(c["members"], 2)}
    groups: dict[Any, list[int]] = {}
    for i, t in enumerate(truth):
        groups.setdefault(t, []).append(i)
    true = {tuple(sorted(p)) for g in groups.values() for p in combinations(g, 2)}
    tp = len(found & true)
    precision = tp / len(found) if found else 1.0
    recall = tp / len(true) if true else 1.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "pairs_found": len(found),
            "pairs_true": len(true)}
