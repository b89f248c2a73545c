"""In real headless Chromium: log in, the chain map is drawn, Chinese search, hostile names stay inert, a project
moves with its reason; screenshots of the main pages are kept under tests/artifacts/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest

from browserkit import login, shot

NON_BLANK_JS = """(sel) => {
  const c = document.querySelector(sel + ' canvas');
  if (!c) return -1;
  const ctx = c.getContext('2d');
  const d = ctx.getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 16) { if (d[i + 3] > 0 && (d[i] < 235 || d[i + 1] < 235 || d[i + 2] < 235)) n++; }
  return n;
}"""


def test_login_and_dashboard_draws_the_chain_map(page, served):
    page.goto(served.url + "/dashboard")
    assert "/login" in page.url  # not logged in yet
    login(page, served)
    assert page.title().startswith("驾驶舱")
    page.wait_for_selector("#chain-map[data-drawn='1'] canvas")
    page.wait_for_timeout(300)
    painted = page.evaluate(NON_BLANK_JS, "#chain-map")
    assert painted > 200, f"chain map canvas looks blank ({painted} painted samples)"
    assert page.locator(".figure").count() >= 5
    assert not page.errors, page.errors
    shot(page, "dashboard")


def test_chain_map_click_opens_node(page, served):
    login(page, served)
    page.goto(served.url + "/chain")
    page.wait_for_selector("#chain-map[data-drawn='1'] canvas")
    shot(page, "chain")
    page.click("text=晶圆代工")
    page.wait_for_url("**/chain/nodes/foundry")
    assert "滆湖晶圆代工有限公司" in page.content()
    shot(page, "node-foundry")


def test_search_an_enterprise_in_chinese(page, served):
    login(page, served)
    page.goto(served.url + "/enterprises")
    page.fill("input[name=q]", "碳化硅")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/enterprises?q=*")
    rows = page.locator("#enterprise-results tbody tr")
    assert rows.count() == 1
    assert "澄江碳化硅材料有限公司" in rows.first.inner_text()
    shot(page, "enterprises-search")
    rows.first.locator("a").first.click()
    page.wait_for_selector("#figures-chart[data-drawn='1'] canvas")
    assert page.evaluate(NON_BLANK_JS, "#figures-chart") > 50
    shot(page, "enterprise")


def test_hostile_names_do_not_run(page, served):
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    login(page, served)
    for path in (f"/enterprises/{served.ids['xss']}", "/enterprises?q=公司", "/chain/nodes/foundry", "/dashboard"):
        page.goto(served.url + path)
        page.wait_for_timeout(200)
    page.goto(served.url + "/chain")
    page.wait_for_selector("#chain-map[data-drawn='1'] canvas")
    page.hover("#chain-map canvas", position={"x": 400, "y": 300})
    assert page.dialogs == []
    assert page.evaluate("() => document.querySelectorAll('script:not([src]):not([type=\"application/json\"])').length") == 0
    page.goto(served.url + f"/enterprises/{served.ids['xss']}")
    assert "<script>alert(1)</script>公司" in page.inner_text("h1")  # shown as text


def test_move_a_project_stage_with_a_reason(page, served):
    if not served.ids.get("project"):
        pytest.skip("work tracking (xinlian.work) is not installed")
    login(page, served)
    page.goto(served.url + f"/projects/{served.ids['project']}")
    page.once("dialog", lambda d: d.accept("企业来访，已建立联系"))
    page.select_option("form.move select[name=to_stage]", "contact")
    page.click("form.move button.move-btn")
    page.wait_for_load_state("networkidle")
    assert "接洽" in page.inner_text("#project-stage")
    assert "企业来访，已建立联系" in page.inner_text("#project-history")
    shot(page, "project")
    page.goto(served.url + "/projects")
    shot(page, "projects-board")


def test_admin_pages_and_english(page, served):
    login(page, served)
    page.goto(served.url + "/admin/users")
    assert "测试viewer" in page.content()
    shot(page, "admin-users")
    page.goto(served.url + "/admin/audit")
    assert "login" in page.content()
    shot(page, "admin-audit")
    page.goto(served.url + "/dashboard?lang=en")
    assert page.title().startswith("Dashboard")
    page.wait_for_selector("#chain-map[data-drawn='1'] canvas")
    shot(page, "dashboard-en")


def test_confirm_a_link_in_the_review_queue(page, served):
    login(page, served, "analyst")
    page.goto(served.url + "/links")
    row = page.locator(f"tr[data-link='{served.ids['proposed_link']}']")
    assert "澄江碳化硅" in row.inner_text()
    shot(page, "links")
    row.locator("button.link-confirm").click()
    page.wait_for_url(served.url + "/links")
    assert page.locator(f"tr[data-link='{served.ids['proposed_link']}']").count() == 0


def test_article_page_marks_entities_and_keeps_raw_as_download(page, served):
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    login(page, served)
    page.goto(served.url + f"/news/{served.ids['friendly']}")
    assert page.locator("#article-text mark.entity a").first.inner_text() == "滆湖晶圆代工有限公司"
    shot(page, "article")
    page.goto(served.url + f"/news/{served.ids['hostile']}")
    with page.expect_download() as info:
        page.click("a[download]")
    raw = Path(info.value.path()).read_bytes()
    assert b"<script>alert(4)</script>" in raw
    assert page.dialogs == []


def test_download_a_briefing(page, served):
    pytest.importorskip("xinlian.report.render", reason="the reports library is not installed")
    login(page, served)
    page.goto(served.url + "/reports")
    shot(page, "reports")
    page.fill("input[name=period]", "2025-Q1")
    page.select_option("select[name=fmt]", "docx")
    with page.expect_download() as info:
        page.click("#briefing-form button[type=submit]")
    download = info.value
    assert download.suggested_filename.endswith(".docx")
    data = Path(download.path()).read_bytes()
    assert data[:2] == b"PK" and len(data) > 5000
