"""Templates, imports with bad rows, idempotent re-import, round trips and formula-injection safety."""

from __future__ import annotations

import csv
from datetime import date

import openpyxl
import pytest

from xinlian.store.tables.files import ImportBatch, ImportError_
from xinlian.store.tables.work import Demand, Project, Visit
from xinlian.work import projects as P
from xinlian.work import sheets as S
from xinlian.work import visits as W
from xinlian.work.common import WorkError

from work_support import make_enterprise

INVESTOR = "样例芯材科技(常州)有限公司"


def fill(template, path, rows):
    wb = openpyxl.load_workbook(template)
    ws = wb.worksheets[0]
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


@pytest.fixture
def project_template(tmp_path):
    return S.write_template("projects", tmp_path / "projects.xlsx")


def test_template_has_chinese_headers_lists_and_notes(tmp_path):
    for kind in ("projects", "visits", "demands"):
        path = S.write_template(kind, tmp_path / f"{kind}.xlsx")
        wb = openpyxl.load_workbook(path)
        ws = wb.worksheets[0]
        headers = [c.value for c in ws[1]]
        assert headers == [c.header + ("*" if c.required else "") for c in S.COLUMNS[S.KINDS[kind]]]
        assert wb.sheetnames == [ws.title, "选项", "填写说明"]
        assert ws.max_row == 1
    wb = openpyxl.load_workbook(tmp_path / "projects.xlsx")
    validations = wb.worksheets[0].data_validations.dataValidation
    assert len(validations) == 1 and str(validations[0].sqref).startswith("D2")
    options = [c.value for c in wb["选项"]["A"]]
    assert options[0] == "推进阶段" and options[1:] == ["线索", "接洽", "在谈", "签约", "注册", "供地/开工", "竣工", "投产",
                                                    "达产", "搁置", "终止"]
    notes = {r[0]: r for r in wb["填写说明"].iter_rows(min_row=2, values_only=True) if r[0]}
    assert notes["推进阶段"][1] == "是" and "线索" in notes["推进阶段"][4]
    demand = openpyxl.load_workbook(tmp_path / "demands.xlsx")
    assert "技术研发" in [c.value for c in demand["选项"]["A"]]
    with pytest.raises(WorkError, match="未知的表格类型"):
        S.write_template("rockets", tmp_path / "x.xlsx")


def test_project_import_reports_bad_rows_and_keeps_good_ones(db, firm, project_template, tmp_path):
    sheet = fill(project_template, tmp_path / "in.xlsx", [
        ["样例甲项目", INVESTOR, "碳化硅衬底", "在谈", None, 50000, None, "2亿", None, "30亩", "张样例", "投资促进局",
         "2025-03-06"],
        ["样例乙项目", "样例查无此企业有限公司", None, "签约"],
        ["样例丙项目", None, "曲速引擎", "飞升", None, "很多"],
        [None, None, None, "签约"],
        ["样例甲项目", INVESTOR, None, "在谈"],
        ["样例丁项目", None, None, "线索", None, None, None, None, None, None, None, None, "2025-13-45"],
        ["样例戊项目", None, None, "签约"],
    ])
    report = tmp_path / "errors.csv"
    r = S.import_sheet(db, "projects", sheet, user="导入员", report=report)
    assert (r.rows_total, r.rows_ok, r.rows_bad, r.inserted) == (7, 2, 5, 2)
    got = {(e.row, e.column, e.value) for e in r.errors}
    assert (3, "B 投资方", "样例查无此企业有限公司") in got
    assert (4, "C 产业链环节", "曲速引擎") in got and (4, "D 推进阶段*", "飞升") in got
    assert (4, "F 计划总投资(万元)", "很多") in got
    assert (5, "A 项目名称*", None) in got
    assert any(e.row == 6 and "第 2 行" in e.reason for e in r.errors)
    assert any(e.row == 7 and e.column == "M 签约日期" for e in r.errors)
    with report.open(encoding="utf-8-sig") as fh:
        lines = list(csv.reader(fh))
    assert lines[0] == ["行号", "列", "值", "原因"] and len(lines) == 1 + len(r.errors)
    assert ["4", "D 推进阶段*", "飞升"] == lines[[ln[0] for ln in lines].index("4") + 1][:3] or \
        any(ln[:3] == ["4", "D 推进阶段*", "飞升"] for ln in lines)
    ps = {p["name"]: p for p in P.list_projects(db)}
    assert set(ps) == {"样例甲项目", "样例戊项目"}
    a = ps["样例甲项目"]
    assert (a["planned_investment"], a["expected_output"], a["land_mu"], a["stage"]) == (5e8, 2e8, 30.0, "negotiating")
    assert (a["node_id"], a["investor_id"], a["signed_on"]) == ("sic_substrate", firm, date(2025, 3, 6))
    with db.session() as s:
        batch = s.get(ImportBatch, r.batch_id)
        assert (batch.kind, batch.rows_bad, batch.raw_sha256) == ("work_project", 5, r.raw_sha256)
        assert s.query(ImportError_).filter_by(batch_id=r.batch_id).count() == len(r.errors)


def test_reimport_changes_nothing_then_updates_and_moves(db, firm, project_template, tmp_path):
    row = ["样例甲项目", INVESTOR, "碳化硅衬底", "在谈", None, 50000]
    sheet = fill(project_template, tmp_path / "a.xlsx", [row])
    assert S.import_sheet(db, "projects", sheet).inserted == 1
    before = P.list_projects(db)[0]
    again = S.import_sheet(db, "projects", sheet)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 1)
    same = P.list_projects(db)[0]
    assert (same["version"], same["updated_at"]) == (before["version"], before["updated_at"])
    # a later sheet moves the project one stage and changes the investment
    sheet2 = fill(project_template, tmp_path / "b.xlsx", [["样例甲项目", INVESTOR, "碳化硅衬底", "签约", None, 60000]])
    r = S.import_sheet(db, "projects", sheet2, user="导入员")
    assert r.updated == 1
    p = P.get_project(db, before["id"])
    assert (p["stage"], p["planned_investment"]) == ("signed", 6e8)
    assert p["history"][-1]["from"] == "negotiating" and p["history"][-1]["user"] == "导入员"
    # a move the rules refuse is a row error, and a back move needs its reason column
    bad = fill(project_template, tmp_path / "c.xlsx", [["样例甲项目", INVESTOR, "碳化硅衬底", "达产", None, 60000]])
    r = S.import_sheet(db, "projects", bad)
    assert r.rows_bad == 1 and "不允许" in r.errors[0].reason and r.errors[0].column == "D 推进阶段*"
    back = fill(project_template, tmp_path / "d.xlsx", [["样例甲项目", INVESTOR, "碳化硅衬底", "在谈", None, 60000]])
    r = S.import_sheet(db, "projects", back)
    assert r.rows_bad == 1 and r.errors[0].column == "E 阶段变更原因"
    assert P.get_project(db, before["id"])["stage"] == "signed"


def test_dry_run_writes_nothing(db, project_template, tmp_path):
    sheet = fill(project_template, tmp_path / "a.xlsx", [["样例甲项目", None, None, "线索"], ["", None, None, "签约"]])
    r = S.import_sheet(db, "projects", sheet, dry_run=True, report=tmp_path / "e.xlsx")
    assert (r.inserted, r.rows_bad, r.batch_id) == (1, 1, None)
    with db.session() as s:
        assert s.query(Project).count() == 0 and s.query(ImportBatch).count() == 0
    rep = openpyxl.load_workbook(tmp_path / "e.xlsx").active
    assert [c.value for c in rep[1]] == ["行号", "列", "值", "原因"] and rep.max_row == 2


def test_missing_required_column_refuses_the_file(db, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("项目名称,责任部门\n样例甲,投资促进局\n", encoding="utf-8")
    with pytest.raises(WorkError, match="缺少必填列 推进阶段"):
        S.import_sheet(db, "projects", path)


def test_visits_and_demands_round_trip(db, tmp_path):
    with db.session() as s:
        a = make_enterprise(s, "样例甲电子有限公司")
        make_enterprise(s, "样例乙材料有限公司", aliases=["乙材料"])
    vt = S.write_template("visits", tmp_path / "v.xlsx")
    visits = fill(vt, tmp_path / "v1.xlsx", [
        ["2025-04-02", "样例甲电子有限公司、乙材料", "副区长王样例；局长陈样例", "扩产", "样例记录", "投资促进局", "已确认"],
        ["2025-04-09", "样例甲电子有限公司", None, None, None, None, "草稿"],
        ["某天", "样例甲电子有限公司"],
        ["2025-04-10", None],
        ["2025-04-11", "样例甲电子有限公司", None, None, None, None, "作废"],
    ])
    r = S.import_sheet(db, "visits", visits)
    assert (r.inserted, r.rows_bad) == (2, 3)
    assert {(e.row, e.column) for e in r.errors} == {(4, "A 走访日期*"), (5, "B 走访企业*"), (6, "G 状态")}
    vs = W.list_visits(db)
    first = next(v for v in vs if v["visit_date"] == date(2025, 4, 2))
    assert [e["match"] for e in first["enterprises"]] == ["exact", "alias"]
    assert first["officials"][0] == {"name": "王样例", "title": "副区长"}
    assert S.import_sheet(db, "visits", visits).unchanged == 2

    dt = S.write_template("demands", tmp_path / "d.xlsx")
    demands = fill(dt, tmp_path / "d1.xlsx", [
        ["样例甲电子有限公司", "2025-04-02", "融资", "需要流动资金贷款", "金融办", "钱样例", "2025-05-01", None, "待办"],
        ["样例甲电子有限公司", "2025-04-02", "技术研发", "需要检测合作", "科技局", None, None, "已对接", "已办结"],
        ["样例甲电子有限公司", "2025-04-02", "天气", "下雨"],
        ["样例甲电子有限公司", "2025-04-03", "人才", "招聘", None, None, None, None, "已办结"],
        ["样例丙不存在有限公司", "2025-04-03", "人才", "招聘"],
    ])
    r = S.import_sheet(db, "demands", demands)
    assert (r.inserted, r.rows_bad) == (2, 3)
    assert {(e.row, e.column) for e in r.errors} == {(4, "C 诉求类别*"), (5, "H 办理情况"), (6, "A 企业名称*")}
    ds = W.list_demands(db)
    assert {d["visit_id"] for d in ds} == {first["id"]} and {d["enterprise_id"] for d in ds} == {a}
    assert sorted(d["status"] for d in ds) == ["closed", "open"]
    assert S.import_sheet(db, "demands", demands).unchanged == 2
    # export → import of the exported files changes nothing
    for kind in ("visits", "demands"):
        out = tmp_path / f"out-{kind}.xlsx"
        S.export_sheet(db, kind, out)
        r = S.import_sheet(db, kind, out)
        assert (r.inserted, r.updated, r.rows_bad) == (0, 0, 0) and r.unchanged == 2
    with db.session() as s:
        assert s.query(Visit).count() == 2 and s.query(Demand).count() == 2


def test_project_export_round_trip(db, firm, tmp_path):
    P.add_project(db, name="样例导出项目", investor_id=firm, node_id="sic_substrate", stage="signed",
                  planned_investment=3.5e8, land_mu=45.5, department="投资促进局", milestone_due=date(2025, 7, 1),
                  user="甲")
    out = tmp_path / "p.xlsx"
    assert S.export_sheet(db, "projects", out) == 1
    row = [c.value for c in openpyxl.load_workbook(out).worksheets[0][2]]
    assert row[:4] == ["样例导出项目", INVESTOR, "碳化硅衬底", "签约"] and row[5] == 35000
    r = S.import_sheet(db, "projects", out)
    assert (r.unchanged, r.updated, r.inserted, r.rows_bad) == (1, 0, 0, 0)


DANGEROUS = ["=1+2", "+SUM(A1)", "-2+3", "@cmd", "\tx", '=HYPERLINK("http://x","y")']


def test_export_neutralises_formulas(db, tmp_path):
    for i, text in enumerate(DANGEROUS):
        P.add_project(db, name=f"样例{i}{text}", notes=text, user="甲")
    out = tmp_path / "p.xlsx"
    assert S.export_sheet(db, "projects", out) == len(DANGEROUS)
    ws = openpyxl.load_workbook(out).worksheets[0]
    for i, text in enumerate(DANGEROUS):
        name, notes = ws.cell(row=2 + i, column=1), ws.cell(row=2 + i, column=18)
        assert notes.value == "'" + text and notes.data_type == "s", text
        assert name.value == f"样例{i}{text}"  # does not start with a formula character: left alone
    assert S.safe_cell("普通文本") == "普通文本" and S.safe_cell(-3) == -3 and S.safe_cell("=x") == "'=x"
    # read back, the apostrophe is dropped again: the same projects, unchanged (sheet text is trimmed, so the
    # note with a leading tab comes back changed)
    r = S.import_sheet(db, "projects", out)
    assert (r.unchanged, r.updated, r.rows_bad) == (len(DANGEROUS) - 1, 1, 0)


def test_an_import_announces_a_change_and_a_dry_run_does_not(db, firm, project_template, tmp_path):
    from xinlian.store.changes import current_generation

    sheet = fill(project_template, tmp_path / "a.xlsx", [["样例甲项目", INVESTOR, "碳化硅衬底", "在谈"]])
    before = current_generation()
    S.import_sheet(db, "projects", sheet, dry_run=True)
    assert current_generation() == before  # nothing written: the web app's caches stay
    S.import_sheet(db, "projects", sheet)
    after = current_generation()
    assert after is not None and after != before
