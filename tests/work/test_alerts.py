"""Alerts with a clock the tests control: the day before nothing, the day after an alert."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from xinlian.work import alerts as A
from xinlian.work import projects as P
from xinlian.work import stages as st
from xinlian.work import visits as W
from xinlian.work.common import BEIJING

T0 = datetime(2025, 3, 1, 10, 0, tzinfo=BEIJING)


def kinds(db, on, **kw):
    return sorted((a.kind, a.subject_id) for a in A.alerts(db, on, **kw))


def test_stale_project_alert_fires_after_n_days(db):
    n = st.rules().alerts["stale_days"]
    p = P.add_project(db, name="样例停滞项目", stage="negotiating", department="投资促进局", official="王样例", user="甲",
                      when=T0)
    assert kinds(db, T0.date() + timedelta(days=n)) == []
    fired = A.alerts(db, T0.date() + timedelta(days=n + 1))
    assert [(a.kind, a.subject_id, a.days) for a in fired] == [("stale", p["id"], n + 1)]
    assert "2025-03-01" in fired[0].message and f"{n} 天" in fired[0].message
    # an update restarts the clock
    P.update_project(db, p["id"], {"notes": "再次洽谈"}, 1, "甲", when=T0 + timedelta(days=n))
    assert kinds(db, T0.date() + timedelta(days=n + 1)) == []


def test_stale_clock_uses_the_beijing_date(db):
    # 23:30 Beijing on 1 March is still 1 March locally (15:30 UTC)
    P.add_project(db, name="样例夜间项目", user="甲", when=datetime(2025, 3, 1, 23, 30, tzinfo=BEIJING))
    n = st.rules().alerts["stale_days"]
    assert kinds(db, date(2025, 3, 1) + timedelta(days=n)) == []
    assert len(kinds(db, date(2025, 3, 1) + timedelta(days=n + 1))) == 1


def test_milestone_overdue(db):
    p = P.add_project(db, name="样例节点项目", stage="signed", user="甲", when=T0, next_milestone="完成注册",
                      milestone_due=date(2025, 3, 20))
    assert kinds(db, date(2025, 3, 20)) == []
    a = A.alerts(db, date(2025, 3, 21))
    assert [(x.kind, x.days) for x in a] == [("milestone_overdue", 1)]
    assert "完成注册" in a[0].message and a[0].project_id == p["id"]


def test_on_hold_and_terminated_projects_do_not_nag(db):
    p = P.add_project(db, name="样例搁置项目", stage="signed", user="甲", when=T0, milestone_due=date(2025, 3, 10))
    P.move(db, p["id"], "搁置", "甲", reason="等待上级批复", when=T0)
    assert kinds(db, date(2025, 12, 1)) == []


def test_problem_overdue_until_closed(db):
    p = P.add_project(db, name="样例问题项目", stage="construction", user="甲", when=T0)
    x = P.add_problem(db, p["id"], category="审批", description="施工许可待办", owner="赵样例", department="住建局",
                      due=date(2025, 3, 15))
    assert [k for k in kinds(db, date(2025, 3, 15)) if k[0] == "problem_overdue"] == []
    assert ("problem_overdue", x["id"]) in kinds(db, date(2025, 3, 16))
    P.close_problem(db, x["id"], resolution="已发证")
    assert ("problem_overdue", x["id"]) not in kinds(db, date(2025, 3, 16))


def test_demand_overdue_and_where_people_look(db, firm):
    d = W.add_demand(db, enterprise=firm, category="融资", description="需要流动资金贷款对接", department="金融办",
                     owner="钱样例", due=date(2025, 4, 30))
    W.add_demand(db, enterprise=firm, category="人才", description="需要人才公寓", department="人社局",
                 due=date(2025, 4, 30), status="closed", response="已安排")
    assert kinds(db, date(2025, 4, 30)) == []
    assert kinds(db, date(2025, 5, 1)) == [("demand_overdue", d["id"])]
    assert [a.subject_id for a in A.alerts_for(db, "金融办", date(2025, 5, 1))] == [d["id"]]
    assert [a.subject_id for a in A.alerts_for(db, "钱样例", date(2025, 5, 1))] == [d["id"]]
    assert A.alerts_for(db, "人社局", date(2025, 5, 1)) == []
    assert kinds(db, date(2025, 5, 1), department="人社局") == []
    W.update_demand(db, d["id"], status="in_progress", response="已对接两家银行")
    assert kinds(db, date(2025, 5, 1)) == [("demand_overdue", d["id"])]  # in progress is still open
    W.close_demand(db, d["id"], response="已获授信")
    assert kinds(db, date(2025, 5, 1)) == []


def test_alerts_for_finds_the_projects_official(db):
    P.add_project(db, name="样例责任人项目", stage="contact", official="孙样例", department="投资促进局", user="甲",
                  when=T0)
    later = T0.date() + timedelta(days=90)
    assert [a.title for a in A.alerts_for(db, "孙样例", later)] == ["样例责任人项目"]
    assert [a.title for a in A.alerts_for(db, "投资促进局", later)] == ["样例责任人项目"]
    assert A.alerts_for(db, "别的部门", later) == []
