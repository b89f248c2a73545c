"""Fictional data shared by the web API tests and the browser tests: one user per role and a few enterprises,
one of them with a hostile name."""

from __future__ import annotations

import re
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "Lan-Tian 7 Hao"
ROLES = ("viewer", "analyst", "admin", "sys_admin", "sec_admin", "audit_admin")  # one user each (三员 too)
XSS_NAME = "<script>alert(1)</script>公司"


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token in the page"
    return m.group(1)


class WebEnv:
    def __init__(self, app, db, ids: dict):
        self.app = app
        self.db = db
        self.ids = ids
        self._clients: dict[str | None, TestClient] = {}

    def new_client(self) -> TestClient:
        return TestClient(self.app, raise_server_exceptions=False)

    def login(self, username: str, password: str = PASSWORD, client: TestClient | None = None):
        c = client or self.new_client()
        token = csrf_of(c.get("/login").text)
        r = c.post("/login", data={"username": username, "password": password, "csrf_token": token},
                   follow_redirects=False)
        return c, r

    def client(self, role: str | None) -> TestClient:
        """A client logged in as the user of ``role`` (None: anonymous), reused within the test."""
        if role not in self._clients:
            if role is None:
                self._clients[role] = self.new_client()
            else:
                c, r = self.login(role)
                assert r.status_code == 303, r.text[:300]
                self._clients[role] = c
        return self._clients[role]

    def csrf(self, client: TestClient) -> str:
        r = client.get("/login" if "xl_session" not in client.cookies else "/account/password")
        return csrf_of(r.text)

    def post(self, client: TestClient, path: str, data: dict | None = None, **kw):
        return client.post(path, data={**(data or {}), "csrf_token": self.csrf(client)}, follow_redirects=False,
                           **kw)


def seed(db, password_hash) -> dict:
    from xinlian.store.dialect import index_documents
    from xinlian.store.tables.auth import User
    from xinlian.registry.names import normalise
    from xinlian.store.tables.registry import Enterprise, EnterpriseAlias, EnterpriseFigure, EnterpriseNode

    ids: dict = {}
    with db.session() as s:
        for role in (*ROLES, "target"):
            u = User(username=role, display_name=f"测试{role}", password_hash=password_hash,
                     role=role if role in ROLES else "viewer")
            s.add(u)
            s.flush()
            ids[role] = u.id
        firms = [
            ("澄江碳化硅材料有限公司", "320412", "sic_substrate", "碳化硅衬底 6英寸"),
            ("滆湖晶圆代工有限公司", "320412", "foundry", "12英寸晶圆代工"),
            (XSS_NAME, "320412", "foundry", "<img src=x onerror=alert(2)>"),
            ("远山功率器件股份有限公司", "440305", "power_devices", "IGBT 模块"),
        ]
        for i, (name, region, node, products) in enumerate(firms):
            e = Enterprise(name=name, name_norm=normalise(name), match_key=f"n:{i}", region_code=region, products=products,
                           high_tech=(i % 2 == 0))
            s.add(e)
            s.flush()
            s.add(EnterpriseNode(enterprise_id=e.id, chain="semiconductor", node_id=node, evidence=products))
            for year, out in ((2023, 1.2e8 * (i + 1)), (2024, 1.5e8 * (i + 1))):
                s.add(EnterpriseFigure(enterprise_id=e.id, year=year, output_value=out, revenue=out * 0.9,
                                       tax=out * 0.05, employees=100 + i))
            ids.setdefault("enterprises", []).append(e.id)
            index_documents(s, "enterprise", [(e.id, f"{name} {products}")])
        s.add(EnterpriseAlias(enterprise_id=ids["enterprises"][0], alias="澄江碳化硅", alias_norm=normalise("澄江碳化硅")))
    ids["xss"] = ids["enterprises"][2]
    return ids


HOSTILE_HTML = (b"<html><head><title>x</title></head><body><script>alert(4)</script>"
                b"<img src=x onerror=alert(5)><a href=\"javascript:alert(6)\">link</a></body></html>")


def seed_news(db, ids: dict) -> dict:
    """One friendly and one hostile article, mentions of seeded firms, one proposed link to review."""
    from xinlian.store.rawstore import keep_bytes
    from xinlian.store.tables.facts import ArticleEvent, ArticleNode, Mention, MentionLink
    from xinlian.store.tables.news import Article, Page
    from xinlian.store.dialect import index_documents

    with db.session() as s:
        sha = keep_bytes(HOSTILE_HTML, original_name="hostile.html", media_type="text/html", bind=s)
        p1 = Page(source="test://friendly", url="https://news.example.invalid/1", status="ok")
        p2 = Page(source="test://hostile", url="javascript:alert(3)", status="ok", raw_sha256=sha)
        s.add_all([p1, p2])
        s.flush()
        friendly = Article(page_id=p1.id, title="滆湖晶圆代工有限公司二期项目签约", published="2025-03-02",
                           outlet="示例日报", text="3月2日，区领导走访滆湖晶圆代工有限公司，双方签约二期项目，"
                           "总投资20亿元。澄江碳化硅与其开展配套合作。", warnings=[], body_hash="a" * 64,
                           kind="text", is_canonical=True, chain="semiconductor")
        hostile = Article(page_id=p2.id, title="<script>alert(7)</script>新闻", published="2025-03-03",
                          outlet="<b>outlet</b>", text="正文<img src=x onerror=alert(8)> 与 " + XSS_NAME + " 合作。",
                          warnings=["<script>alert(9)</script>编码可疑"], body_hash="b" * 64, kind="html",
                          is_canonical=True, chain="semiconductor")
        s.add_all([friendly, hostile])
        s.flush()
        from datetime import date

        friendly.published_date = date(2025, 3, 2)
        hostile.published_date = date(2025, 3, 3)
        m1 = Mention(article_id=friendly.id, kind="org", name="滆湖晶圆代工有限公司", name_norm="滆湖晶圆代工",
                     sub_kind="company")
        m2 = Mention(article_id=friendly.id, kind="org", name="澄江碳化硅", name_norm="澄江碳化硅", sub_kind="company")
        m3 = Mention(article_id=hostile.id, kind="org", name=XSS_NAME, name_norm=XSS_NAME, sub_kind="company")
        s.add_all([m1, m2, m3])
        s.flush()
        s.add(MentionLink(mention_id=m1.id, enterprise_id=ids["enterprises"][1], score=1.0, method="exact",
                          status="confirmed", explanation={"reasons": ["名称一致"]}))
        proposed = MentionLink(mention_id=m2.id, enterprise_id=ids["enterprises"][0], score=0.82, method="alias",
                               status="proposed", explanation={"reasons": ["简称与企业库别名一致"]})
        s.add(proposed)
        s.add(MentionLink(mention_id=m3.id, enterprise_id=ids["xss"], score=0.7, method="fuzzy", status="proposed",
                          explanation={"reasons": ["<script>alert(10)</script>"]}))
        s.add(ArticleEvent(article_id=friendly.id, type="signing", date="2025-03-02",
                           organizations=["滆湖晶圆代工有限公司"], amount_yuan=2e9, evidence="双方签约二期项目"))
        s.add(ArticleNode(article_id=friendly.id, chain="semiconductor", node_id="foundry", score=0.9,
                          evidence=["晶圆代工"]))
        s.flush()
        index_documents(s, "article", [(friendly.id, friendly.title + friendly.text),
                                       (hostile.id, hostile.title + hostile.text)])
        out = {"friendly": friendly.id, "hostile": hostile.id, "proposed_link": proposed.id}
    return out
