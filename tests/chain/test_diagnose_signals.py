"""News signals reach the diagnosis: events per node, and expansion signals of outside firms in their score."""

from datetime import date

from xinlian.chain.diagnose import diagnose
from xinlian.demo.generator import build_demo
from xinlian.demo.pages import ingest_demo_pages, stories


def test_news_events_are_node_signals_and_target_reasons(sqlite_db, tmp_path):
    build_demo(sqlite_db, tmp_path / "demo")
    ingest_demo_pages(sqlite_db, tmp_path / "pages")
    result = diagnose(sqlite_db, chain="semiconductor", region="320412", as_of=date(2025, 3, 31)).to_contract()
    nodes = {n["id"]: n for n in result["nodes"]}
    # the sample financing story is about a VCSEL firm outside the district
    assert nodes["vcsel"]["evidence"]["signals"].get("financing") == 1
    financed = next(p for p in stories() if p.name == "financing-vcsel").title.split("完成")[0]
    target = next(t for t in nodes["vcsel"]["targets"] if t["name"] == financed)
    assert any(r.startswith("融资") for r in target["reasons"])
    # a year later the same news is out of the window
    later = diagnose(sqlite_db, chain="semiconductor", region="320412", as_of=date(2026, 6, 30)).to_contract()
    assert not {n["id"]: n for n in later["nodes"]}["vcsel"]["evidence"]["signals"]
