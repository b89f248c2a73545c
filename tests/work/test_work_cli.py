"""The work verbs, run as a user would (through Typer), on both databases."""

from __future__ import annotations

import json

import openpyxl
from typer.testing import CliRunner

from xinlian.cli import _load_areas
from xinlian.cli.app import app

from work_support import make_enterprise

_load_areas()
runner = CliRunner()


def run(*args: str, ok: bool = True):
    result = runner.invoke(app, list(args))
    if ok:
        assert result.exit_code == 0, result.output
    return result


def js(*args: str):
    return json.loads(run(*args, "--json").stdout)


def test_project_verbs(db):
    with db.session() as s:
        make_enterprise(s, "样例投资集团有限公司")
    p = js("project", "add", "样例命令行项目", "--investor", "样例投资集团", "--planned", "5亿", "--node",
           "sic_substrate", "--department", "投资促进局", "--user", "甲")
    assert (p["planned_investment"], p["investor"], p["stage"]) == (5e8, "样例投资集团有限公司", "lead")
    moved = js("project", "move", str(p["id"]), "接洽", "--user", "乙", "--version", "1")
    assert moved["stage"] == "contact" and moved["history"][-1]["user"] == "乙"
    refused = run("project", "move", str(p["id"]), "达产", ok=False)
    assert refused.exit_code == 1 and "不允许" in refused.output
    stale = run("project", "move", str(p["id"]), "在谈", "--version", "1", ok=False)
    assert stale.exit_code == 1 and "保存冲突" in stale.output
    assert [x["name"] for x in js("project", "list", "--stage", "接洽")] == ["样例命令行项目"]
    edited = js("project", "edit", str(p["id"]), "--set", "land_mu=50", "--set", "责任部门=工信局", "--set",
                "planned_investment=3000", "--version", "2", "--user", "丙")
    assert (edited["land_mu"], edited["department"], edited["planned_investment"], edited["version"]) == \
        (50.0, "工信局", 3e7, 3)
    clash = run("project", "edit", str(p["id"]), "--set", "notes=迟到的修改", "--version", "2", "--json", ok=False)
    assert clash.exit_code == 2
    refused = json.loads(clash.stdout)
    assert refused["refused_changes"] == {"notes": "迟到的修改"} and refused["changed_by"] == "丙"
    assert "保存冲突" in clash.output
    assert run("project", "edit", str(p["id"]), "--set", "version=9", "--version", "3", ok=False).exit_code == 1
    assert js("project", "list", "--department", "投资促进局") == []
    x = js("project", "problem", "add", str(p["id"]), "--category", "用地", "-d", "样例用地问题", "--due", "2025-01-01")
    assert x["category"] == "land"
    assert js("project", "problem", "close", str(x["id"]), "--resolution", "已解决")["status"] == "closed"
    shown = js("project", "show", str(p["id"]))
    assert len(shown["history"]) == 2 and shown["problems"][0]["status"] == "closed"
    assert "共 1 个项目" in run("project", "list").output


def test_visit_demand_alert_verbs(db):
    with db.session() as s:
        make_enterprise(s, "样例走访科技有限公司")
    v = js("visit", "add", "--date", "2025-03-06", "-e", "样例走访科技有限公司", "--official", "副区长王样例", "--draft")
    assert v["status"] == "draft" and v["enterprises"][0]["enterprise_id"]
    assert js("visit", "confirm", str(v["id"]), "--user", "分析员")["confirmed_by"] == "分析员"
    d = js("visit", "demand", str(v["id"]), "--category", "融资", "-d", "样例贷款需求", "--department", "金融办",
           "--due", "2025-03-20")
    assert d["enterprise"] == "样例走访科技有限公司"
    assert [x["id"] for x in js("demand", "list", "--department", "金融办")] == [d["id"]]
    alerts = js("alerts", "--department", "金融办", "--on", "2025-03-21")
    assert [a["kind"] for a in alerts] == ["demand_overdue"]
    assert js("alerts", "--department", "金融办", "--on", "2025-03-20") == []
    assert js("demand", "close", str(d["id"]), "--response", "已对接")["status"] == "closed"
    assert js("visit", "show", str(v["id"]))["demands"][0]["status"] == "closed"
    assert len(js("visit", "list", "--status", "confirmed")) == 1


def test_policy_verbs(db, tmp_path):
    with db.session() as s:
        eid = make_enterprise(s, "样例专精特新有限公司", specialised=True)
    crit = tmp_path / "c.json"
    crit.write_text(json.dumps({"flags_any": ["specialised"], "region": {"code": "320412"}}), encoding="utf-8")
    p = js("policy", "add", "--title", "样例政策", "--criteria", f"@{crit}", "--valid-from", "2025-01-01")
    assert p["criteria_text"][0].startswith("注册地在")
    bad = run("policy", "add", "--title", "坏政策", "--criteria", '{"colour": 1}', ok=False)
    assert bad.exit_code == 1 and "未知的条件" in bad.output
    match = js("policy", "match", "--policy", str(p["id"]), "--on", "2025-06-01")
    assert [m["enterprise_id"] for m in match] == [eid] and match[0]["why"]
    assert [m["policy_id"] for m in js("policy", "match", "--enterprise", str(eid), "--on", "2025-06-01")] == [p["id"]]
    assert len(js("policy", "list")) == 1
    assert run("policy", "match", ok=False).exit_code == 1


def test_template_and_import_verbs(db, tmp_path):
    out = tmp_path / "t.xlsx"
    run("template", "projects", "-o", str(out))
    wb = openpyxl.load_workbook(out)
    wb.worksheets[0].append(["样例导入项目", None, None, "线索"])
    wb.worksheets[0].append(["样例坏行", None, None, "飞升"])
    wb.save(out)
    dry = js("import", "projects", str(out), "--dry-run")
    assert (dry["dry_run"], dry["inserted"], dry["rows_bad"]) == (True, 1, 1)
    assert js("project", "list") == []
    rep = tmp_path / "err.csv"
    r = js("import", "projects", str(out), "--errors", str(rep))
    assert r["inserted"] == 1 and r["errors"][0]["row"] == 3 and rep.exists()
    assert js("import", "projects", str(out))["unchanged"] == 1
    assert run("template", "rockets", "-o", str(out), ok=False).exit_code == 1


def test_institution_verbs(db):
    with db.session() as s:
        eid = make_enterprise(s, "样例外延科技有限公司", nodes=["sic_epitaxy"])
    i = js("institution", "add", "样例材料研究院", "--kind", "科研院所", "--node", "materials", "--keyword", "缺陷检测")
    assert i["kind"] == "institute" and i["nodes"] == ["materials"]
    assert run("institution", "add", "样例坏机构", "--node", "warp_drive", ok=False).exit_code == 1
    d = js("visit", "add", "--date", "2025-04-01", "-e", str(eid))
    js("visit", "demand", str(d["id"]), "--category", "技术研发", "-d", "缺陷检测合作")
    m = js("institution", "match")
    assert m[0]["matches"][0]["institution"] == "样例材料研究院" and len(m[0]["matches"][0]["reasons"]) == 2
    assert [x["name"] for x in js("institution", "list")] == ["样例材料研究院"]


def test_every_list_has_json(db):
    for verb in (["project", "list"], ["visit", "list"], ["demand", "list"], ["policy", "list"],
                 ["institution", "list"], ["alerts"], ["project", "problem", "list"]):
        assert js(*verb) == [], verb


def test_a_cli_write_is_announced_to_web_workers_and_a_read_is_not(db):
    from xinlian.store.changes import current_generation

    with db.session() as s:
        make_enterprise(s, "样例宣告集团有限公司")
    p = js("project", "add", "样例宣告项目", "--investor", "样例宣告集团", "--user", "甲")
    after_add = current_generation()
    assert after_add is not None
    js("project", "list")
    assert current_generation() == after_add  # reading writes nothing, announces nothing
    js("project", "move", str(p["id"]), "接洽", "--user", "乙")
    assert current_generation() not in (None, after_add)
