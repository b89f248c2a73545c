"""Fictional pages for the ingest tests, written by program (every name and event here is made up).

``write_folder(path)`` writes the standard folder and returns {name: bytes written}:

- ``gbk-no-charset.html``  GBK bytes, no charset anywhere (the cleaner must guess)
- ``big5.html``            a traditional-Chinese page in Big5 with ``<meta charset="big5">``
- ``pinyin.txt``           UTF-8 plain text in traditional characters with pinyin after some of them
- ``sub/republished-exact.html``  the GBK story's body under another site's masthead and footer (exact copy)
- ``sub/republished-near.html``   the same story lightly edited, with a third site's header and footer
- ``broken.html``          bytes that hold no text at all
- ``empty.html``           zero bytes
"""

from __future__ import annotations

from pathlib import Path

STORY_TITLE = "青禾区召开集成电路产业链推进会"
STORY_PARAS = [
    "4月2日上午，青禾区召开集成电路产业链推进会，区委副书记、区长韩松林出席会议并讲话，副区长周明远主持会议。"
    "会议听取了全区集成电路产业链发展情况汇报，研究部署下一阶段重点工作。",
    "会议指出，今年以来全区集成电路产业保持较快增长，青禾微芯科技有限公司十二英寸特色工艺产线完成设备搬入，"
    "澄江封测（青禾）有限公司先进封装项目开工建设，产业集聚效应逐步显现，设计、制造、封测各环节协同发展。",
    "会议强调，要聚焦设计、制造、封测和装备材料等关键环节，开展链式招引，加快引进一批带动性强的龙头项目；"
    "要强化要素保障，完善人才公寓和专业孵化平台，优化营商环境，推动产业链供应链安全稳定。",
    "会上，区投资促进局、区工业和信息化局分别作交流发言，各镇（街道）和园区负责人参加会议，"
    "并就重点项目推进中遇到的用地、用能、融资等问题进行了讨论，明确了责任单位和完成时限。",
]
STORY_DATELINE = "发布时间：2025-04-02 11:30:00　来源：青禾日报　作者：林晓禾"

BIG5_TITLE = "澄江縣舉辦新能源汽車零部件產業對接會"
BIG5_PARAS = [
    "五月十日，澄江縣舉辦新能源汽車零部件產業對接會，來自長三角地區的四十餘家企業參加活動，現場簽約項目八個，"
    "總投資約三十二億元。縣委常委、常務副縣長宋文博出席活動並致辭。",
    "宋文博表示，澄江縣將圍繞電池、電機、電控等核心環節，持續完善產業配套，為企業提供全週期服務，"
    "歡迎更多優質企業來澄江投資興業，共同打造新能源汽車零部件產業集群。",
    "活動期間，與會企業代表實地參觀了澄江經濟開發區新能源產業園，詳細了解園區規劃、標準廠房建設和人才政策等情況。",
]
BIG5_DATELINE = "發布日期：2025-05-10　來源：澄江融媒"

PINYIN_TEXT = (
    "首頁 > 新聞中心 > 本地要聞\n"
    "區(qū)領(lǐng)導(dǎo)調研新材料產業相關企業\n"
    "時間:2025-03-18 16:05:12 來源:南溪新聞 作者:南溪網\n"
    "今天上午，區(qū)委副書記、區(qū)長許文瀾走訪調研我區(qū)新材料產業相關企業，副區(qū)長陸子謙參加調研。\n"
    "許文瀾一行先後前往南溪碳纖科技有(yǒu)限公司和長嶺新材料(南溪)有(yǒu)限公司，察看企業生產車間，"
    "詳細了解產品工藝流程和研發情況，勉勵企業聚焦高端市場需求，加大關鍵技術攻關力度。\n"
    "調研中，許文瀾強調，要加強產學研合作，進一步優化產業生態，推動新材料產業集聚發展。\n"
    "更多>>\n"
)


SIDEBAR = ("栏目", "热点新闻", "某镇举办秋季农产品展销会", "全区道路改造工程进展顺利", "技术支持：某某网络科技有限公司")
SIDEBAR_TRAD = ("欄目", "熱點新聞", "某鎮舉辦秋季農產品展銷會", "全區道路改造工程進展順利", "技術支持：某某網絡科技有限公司")


def html_page(title: str, dateline: str, paras: list[str], *, site: str, footer: str, charset: str | None = None,
              traditional: bool = False) -> str:
    meta = f'<meta charset="{charset}">' if charset else ""
    col, hot, side1, side2, support = SIDEBAR_TRAD if traditional else SIDEBAR
    nav = "".join(f'<li><a href="/c{i}.html">{col}{i}</a></li>' for i in range(1, 7))
    body = "".join(f"<p>{p}</p>" for p in paras)
    return (
        f"<!DOCTYPE html><html><head>{meta}<title>{title}_{site}</title></head><body>"
        f'<div class="header"><h2>{site}</h2><ul class="nav">{nav}</ul></div>'
        f'<div class="main"><div class="article"><h1>{title}</h1><div class="info">{dateline}</div>'
        f'<div class="content">{body}</div></div>'
        f'<div class="side"><h3>{hot}</h3><ul><li><a href="/x1.html">{side1}</a></li>'
        f'<li><a href="/x2.html">{side2}</a></li></ul></div></div>'
        f'<div class="footer"><p>{footer}</p><p>{support}</p></div></body></html>'
    )


def near_copy_paras() -> list[str]:
    """The story lightly edited by a republishing site."""
    paras = list(STORY_PARAS)
    paras[0] = paras[0].replace("4月2日上午", "4月2日")
    paras[2] = paras[2].replace("加快引进一批", "加快引进")
    paras[3] = paras[3].replace("进行了讨论", "作了讨论")
    return paras


def write_folder(root: Path) -> dict[str, bytes]:
    root.mkdir(parents=True, exist_ok=True)
    (root / "sub").mkdir(exist_ok=True)
    pages = {
        "gbk-no-charset.html": html_page(STORY_TITLE, STORY_DATELINE, STORY_PARAS, site="青禾新闻网",
                                         footer="青禾新闻网 版权所有 苏ICP备00000000号").encode("gbk"),
        "big5.html": html_page(BIG5_TITLE, BIG5_DATELINE, BIG5_PARAS, site="澄江新聞網", charset="big5",
                               footer="澄江新聞網 版權所有", traditional=True).encode("big5"),
        "pinyin.txt": PINYIN_TEXT.encode("utf-8"),
        "sub/republished-exact.html": html_page(
            STORY_TITLE, "2025-04-02 14:20　来源：青禾日报", STORY_PARAS, site="东湖资讯", charset="utf-8",
            footer="东湖资讯 版权所有 未经授权不得转载").encode("utf-8"),
        "sub/republished-near.html": html_page(
            STORY_TITLE, "发布日期：2025-04-03　来源：江南产业观察", near_copy_paras(), site="江南产业观察",
            charset="utf-8", footer="江南产业观察 ICP备案号 浙ICP备00000001号").encode("utf-8"),
        "broken.html": bytes(range(0, 9)) * 40,
        "empty.html": b"",
    }
    for name, data in pages.items():
        (root / name).write_bytes(data)
    return pages
