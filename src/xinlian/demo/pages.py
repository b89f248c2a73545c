"""Sample news pages for the demo, written for xinlian (fictional events about the fictional sample firms).

Each story is a small template filled from the sample district, then dressed the way scraped pages come:
site navigation and footers, some turned into traditional characters with pinyin annotations, one saved as GBK
with no charset, one republished by a second site (a near-duplicate). They go through the real ingest pipeline.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from xinlian.demo.generator import SEED, plan_firms

OUTLETS = ["芯链示例新闻网", "示例产业观察"]
OFFICIALS = [("区委副书记、区长", "林景和"), ("副区长", "周亦安"), ("区委常委、常务副区长", "顾承远"), ("区工信局局长", "沈嘉禾")]


@dataclass
class SamplePage:
    name: str
    title: str
    published: str
    paragraphs: list[str]
    dirty: str = "plain"  # plain | traditional | gbk


def _firms(rng: random.Random):
    firms = plan_firms()
    local = {}
    outside = {}
    for f in firms:
        (local if f.local else outside).setdefault(f.node, []).append(f.name)
    return local, outside


def stories(seed: int = SEED) -> list[SamplePage]:
    rng = random.Random(seed + 9)
    local, outside = _firms(rng)
    o = OFFICIALS
    lead_vehicle = local["nev_vehicles"][0]
    module = local["power_module"][0]
    device = local["power_devices"][1]
    idm_target = outside["idm"][0]
    bonding_target = outside["bonding_equipment"][0]
    vcsel_firm = outside["vcsel"][1]
    optics = local["optical_components"][0]
    testing = local["ic_testing"][0]
    pages = [
        SamplePage("signing-idm", f"总投资42亿元 {idm_target}功率芯片项目签约落户武进", "2025-03-12 09:30", [
            f"3月12日上午，{idm_target}年产36万片车规级功率芯片项目签约仪式在武进举行，项目总投资42亿元。"
            f"{o[2][0]}{o[2][1]}、{o[1][0]}{o[1][1]}出席签约仪式。",
            f"该项目将建设8英寸功率器件生产线，主要面向新能源汽车和光伏储能市场，建成后可为区内功率模块企业就近配套。"
            f"{o[1][1]}表示，要做好项目落地服务，推动项目早开工、早投产。",
        ]),
        SamplePage("financing-vcsel", f"{vcsel_firm}完成3.5亿元B轮融资", "2025-03-05 14:10", [
            f"近日，{vcsel_firm}宣布完成3.5亿元B轮融资，由示例高芯创业投资基金领投，多家机构跟投。",
            "本轮融资将用于VCSEL芯片产能扩充和车载激光雷达光源的研发，公司计划在长三角新建一条6英寸化合物半导体产线。",
        ], dirty="traditional"),
        SamplePage("production-module", f"{module}新一代碳化硅功率模块产线投产", "2025-03-18 10:00", [
            f"3月18日，{module}新一代碳化硅功率模块产线正式投产，达产后年产能120万只，新增产值约8亿元。",
            f"{o[0][0]}{o[0][1]}出席投产仪式并察看产线。他强调，要加强与本地整车企业{lead_vehicle}的配套协作，"
            "进一步延链补链强链。",
        ]),
        SamplePage("groundbreaking-testing", f"{testing}芯片测试基地开工", "2025-02-26 09:00", [
            f"2月26日，{testing}芯片测试基地项目开工，项目总投资6亿元，建成后将新增测试产能每月3万片。",
            f"{o[3][0]}{o[3][1]}表示，测试环节目前本地只有一家企业，要加快补齐短板，降低断链风险。",
        ], dirty="gbk"),
        SamplePage("visit-optics", "区领导走访调研光学与功率器件企业", "2025-03-20 16:45", [
            f"今天上午，{o[0][0]}{o[0][1]}走访调研{optics}、{device}，{o[1][0]}{o[1][1]}参加调研。",
            f"{o[0][1]}一行察看企业生产车间，听取企业研发和市场拓展情况介绍。企业反映用地指标和高端人才引进方面存在困难，"
            "相关部门要建立问题清单，限时办结。",
        ]),
        SamplePage("policy-chips", "武进区印发支持集成电路产业发展若干措施", "2025-01-15 08:00", [
            "近日，武进区印发《关于支持集成电路产业高质量发展的若干措施》，从项目招引、研发投入、人才引进等方面提出18条支持措施。",
            "对新引进的集成电路制造、封装测试项目，按实际设备投资额给予最高2000万元补助；对获评专精特新“小巨人”的企业给予一次性奖励。",
        ]),
        SamplePage("signing-bonding", f"{bonding_target}键合设备区域总部落户武进", "2025-03-25 11:20", [
            f"3月25日，{bonding_target}与武进高新技术产业开发区管委会签约，设立键合及贴片设备区域总部和应用中心，总投资5亿元。",
            f"{o[2][1]}指出，键合设备是本地封装和功率模块企业急需的关键装备，项目落户将补上产业链的重要一环。",
        ], dirty="traditional"),
    ]
    # The same signing story republished by a second site with a new header and light edits: a near-duplicate.
    first = pages[0]
    pages.append(SamplePage("signing-idm-repost", first.title + "（转载）", "2025-03-12 15:02", [
        first.paragraphs[0].replace("上午", ""), first.paragraphs[1]]))
    return pages


def _pinyin_annotate(text: str, rng: random.Random) -> str:
    """Traditional characters with a reading after some of them, the way converter sites print them."""
    import opencc
    from pypinyin import Style, pinyin

    trad = opencc.OpenCC("s2t").convert(text)
    out = []
    for ch, simp in zip(trad, text):
        out.append(ch)
        if ch != simp and "\u4e00" <= ch <= "\u9fff" and rng.random() < 0.6:
            out.append(f"({pinyin(simp, style=Style.TONE)[0][0]})")
    return "".join(out)


def render(page: SamplePage, outlet: str, rng: random.Random) -> bytes:
    paragraphs = page.paragraphs
    title = page.title
    if page.dirty == "traditional":
        paragraphs = [_pinyin_annotate(p, rng) for p in paragraphs]
        title = _pinyin_annotate(title, rng)
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    charset = "" if page.dirty == "gbk" else '<meta charset="utf-8">'
    html = f"""<!DOCTYPE html><html><head>{charset}<title>{title}_{outlet}</title></head><body>
<div class="nav"><a href="/">首页</a> | <a href="/news">新闻</a> | <a href="/zt">专题</a></div>
<div class="crumb">首页 &gt; 新闻中心 &gt; 产业动态</div>
<div class="article"><h1>{title}</h1>
<div class="info">时间：{page.published}　来源：{outlet}　作者：示例记者</div>
{body}
</div>
<div class="side"><h3>热点推荐</h3><ul><li>示例专题：产业链招商在行动</li><li>示例视频：园区巡礼</li></ul></div>
<div class="foot">本页为芯链演示用虚构新闻 版权所有 示例新闻网 示ICP备00000000号</div>
</body></html>"""
    return html.encode("gb18030" if page.dirty == "gbk" else "utf-8")


def write_pages(folder: Path, seed: int = SEED) -> list[Path]:
    rng = random.Random(seed + 10)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, page in enumerate(stories(seed)):
        outlet = OUTLETS[1] if page.name.endswith("repost") else OUTLETS[0]
        path = folder / f"{i:02d}-{page.name}.html"
        path.write_bytes(render(page, outlet, rng))
        paths.append(path)
    return paths


def ingest_demo_pages(db, folder: Path) -> str:
    """Write the sample pages and ingest them; returns a one-line summary."""
    from xinlian.ingest.pipeline import IngestOptions, ingest

    write_pages(folder)
    summary = ingest(db, [folder], options=IngestOptions(extract=True))
    d = summary.as_dict() if hasattr(summary, "as_dict") else vars(summary)
    return "，".join(f"{k} {v}" for k, v in d.items() if isinstance(v, (int, float)))
