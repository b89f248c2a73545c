"""Bulk dedupe of two bureaus' lists without credit codes (Splink on DuckDB), on generated variants with known
truth: suffixes, bracket widths, traditional script, region prefixes, near-twin firms."""

from __future__ import annotations

import json

from link_variants import two_lists
from xinlian.link.dedupe import dedupe_records, pair_scores, prepare

PRECISION_FLOOR = 0.97
RECALL_FLOOR = 0.95


def test_dedupe_finds_the_same_firms_across_two_lists():
    records, truth = two_lists(200, seed=5)
    clusters = dedupe_records(records)
    scores = pair_scores(clusters, truth)
    print(json.dumps({"records": len(records), "firms": len(set(truth)), "clusters": len(clusters), **scores}))
    assert scores["precision"] >= PRECISION_FLOOR and scores["recall"] >= RECALL_FLOOR, scores
    assert sorted(i for c in clusters for i in c["members"]) == list(range(len(records)))  # each record once


def test_prepare_meets_variant_spellings():
    rows = prepare([{"name": "華恒鋰電（蘇州）有限公司"}, {"name": "苏州市华恒锂电有限责任公司", "region": "苏州"},
                    {"name": "江苏华恒锂电股份有限公司", "region": "320500"}])
    assert {r["core"] for r in rows} == {"华恒锂电"}
    assert [r["region"] for r in rows] == ["320500", "320500", "320500"]


def test_near_twins_stay_apart_and_tiny_inputs_work():
    recs = [{"name": "常州澎峰光学有限公司", "region": "常州", "legal_rep": "王伟"},
            {"name": "常州澎峰光电有限公司", "region": "常州", "legal_rep": "李娜"},
            {"name": "澎峰光学(常州)股份有限公司", "region": "常州", "legal_rep": "王伟"}]
    clusters = dedupe_records(recs)
    assert sorted(c["members"] for c in clusters) == [[0, 2], [1]]
    assert dedupe_records([{"name": "常州澎峰光学有限公司"}]) == [
        {"cluster_id": 0, "size": 1, "members": [0], "names": ["常州澎峰光学有限公司"]}]
