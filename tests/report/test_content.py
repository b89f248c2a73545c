"""The briefing's content against the database: every section from the district built in conftest, the previous
period comparison, and reproducibility."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from xinlian.report.content import build_briefing
from xinlian.report.model import Chart, Paragraph, Table


def _table(b, key: str, caption: str) -> Table:
    for t in b.section(key).tables():
        if t.caption.startswith(caption):
            return t
    raise AssertionError(f"no table {caption!r} in {key}: {[t.caption for t in b.section(key).tables()]}")


def _text(b, key: str) -> str:
    return "\n".join((p.lead or "") + p.text for p in b.section(key).blocks if isinstance(p, Paragraph))


def _sql_local_firms(db, day: date) -> int:
    with db.session() as s:
        return s.execute(text(
            "SELECT COUNT(DISTINCT e.id) FROM enterprise e JOIN enterprise_node n ON n.enterprise_id = e.id "
            "WHERE e.status = 'active' AND e.region_code = '320412' AND n.chain = 'semiconductor' "
            "AND (e.founded IS NULL OR e.founded <= :d)"), {"d": day}).scalar()


def test_sections_numbers_and_comparison(db, district):
    b = build_briefing(db, "semiconductor", "320412", "2024", issuer="测试局")
    assert b.title == "武进区集成电路产业链研判简报（2024年）"
    assert b.date_line == "测试局　　2024年12月31日"
    assert [s.heading for s in b.sections] == ["一、总体情况", "二、产业链图谱与研判", "三、项目推进", "四、动态监测",
                                               "五、走访与诉求", "六、招引建议"]
    assert all(s.available for s in b.sections)
    # 一: firm counts and output against SQL
    t = _table(b, "overview", "分环节本地企业与产值")
    total = t.rows[-1]
    assert total[0] == "全产业链" and total[1] == _sql_local_firms(db, date(2024, 12, 31)) == 11
    assert total[4] == round((5 * 1.1e9 + 5 * 4e8 + 5e8) / 1e8, 4)
    assert abs(total[5] - ((5 * 1.1e9 + 5 * 4e8 + 5e8) / (5 * 1e9 + 5 * 1e7 + 4e8) - 1)) < 1e-9
    assert b.headline["local_firms"] == 11 and b.headline["figures_year"] == 2024
    assert "由2023年更新为2024年" in _text(b, "overview")
    # 二: the node whose verdict changed, with its evidence
    changed = _table(b, "chain", "研判结论发生变化的环节")
    rows = {r[0]: r for r in changed.rows}
    assert rows["功率模块封装"][2:4] == ["弱链", "强链"]
    assert rows["功率模块封装"][-1].startswith("强链：区位熵 2.00")
    assert "晶圆代工" not in rows  # strong in both years
    vmap = next(c for c in b.section("chain").blocks if isinstance(c, Chart) and c.kind == "verdict_map")
    marked = [n["name"] for col in vmap.data["columns"].values() for g in col for n in g["nodes"] if n["changed"]]
    assert "功率模块封装" in marked
    # 三: projects as they stood at the period's end
    created = _table(b, "projects", "新增项目")
    assert [r[1] for r in created.rows] == ["测试硅片新建项目"]
    moves = _table(b, "projects", "项目阶段变动")
    assert [(r[1], r[2], r[3]) for r in moves.rows] == [
        ("<b>测试</b>模块扩产项目", "签约", "注册"), ("测试硅片新建项目", "线索", "接洽"), ("测试硅片新建项目", "接洽", "在谈")]
    money = _table(b, "projects", "项目阶段分布")
    assert money.rows[-1][1:4] == [2, 15.0, 2.0]  # the 2025 project is not counted
    # 四: one event told by two outlets, listed once with both; firms the news named first in 2024
    events = _table(b, "news", "新闻事件及来源")
    assert len(events.rows) == 1 and events.rows[0][1] == "签约落户" and events.rows[0][3] == "测试日报、测试转载网"
    assert events.rows[0][5] == 30.0
    firms = _table(b, "news", "新闻首次提及的企业")
    assert {r[0]: r[1] for r in firms.rows} == {"新见光电候选有限公司": "新候选企业（未入库）", "测芯晶圆0有限公司": "本地企业"}
    # 五: visits and demands seen from 2024-12-31
    depts = _table(b, "visits", "诉求办理情况")
    assert depts.rows[-1] == ["合计", 2, 1, 2, 1]
    overdue = _table(b, "visits", "逾期未办结诉求")
    assert [(r[0], r[5]) for r in overdue.rows] == [(district["script_name"], (date(2024, 12, 31) - date(2024, 7, 1)).days)]
    # 六: targets for the missing 硅片 node, with reasons
    targets = _table(b, "targets", "重点招引目标企业")
    wafer = [r for r in targets.rows if r[0] == "硅片"]
    assert [r[2] for r in wafer] == ["外地硅片2有限公司", "外地硅片1有限公司", "外地硅片0有限公司"]
    assert all(r[1] == "缺链" and "主营环节匹配" in r[5] for r in wafer)


def test_a_month_with_no_change_says_so(db, district):
    b = build_briefing(db, "semiconductor", "320412", "2025-03")
    assert "各环节研判结论均无变化（两期均采用2024年度统计数据）" in _text(b, "chain")
    assert not [t for t in b.section("chain").tables() if t.caption.startswith("研判结论发生变化")]
    assert "本月新增项目0个" in _text(b, "projects")
    assert b.section("news").tables()[0].rows == []  # no article in March 2025


def test_same_database_and_period_same_briefing(db, district):
    a = build_briefing(db, "semiconductor", "320412", "2024-Q2")
    b = build_briefing(db, "semiconductor", "320412", "2024-Q2")
    assert a == b
    assert a.issued_on == date(2024, 6, 30)
    assert build_briefing(db, "semiconductor", "320412", "2024-Q2", now=date(2024, 7, 3)).date_line.endswith(
        "2024年7月3日")


def test_a_missing_source_is_one_line_not_a_crash(sqlite_db):
    """A database made before the facts and visit tables existed: those parts say so and the rest is built."""
    with sqlite_db.engine.begin() as conn:
        for table in ("fact_mention_link", "fact_mention", "demand", "visit_enterprise", "visit"):
            conn.exec_driver_sql(f"DROP TABLE {table}")
    b = build_briefing(sqlite_db, "semiconductor", "320412", "2025-03")
    visits = b.section("visits")
    assert not visits.available and len(visits.blocks) == 1
    assert "本节数据来源尚未接入" in visits.blocks[0].text and "visit" in visits.blocks[0].text
    assert not b.section("projects").available  # its overdue list reads the demands
    assert "企业识别数据尚未接入" in _text(b, "news")
    assert b.section("overview").available and b.section("chain").available and b.section("targets").available
