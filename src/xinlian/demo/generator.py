"""The deterministic sample district: a few hundred fictional firms under the real code 320412 (武进区).

The plan (``data/rules/demo_plan.yaml``) says which chain nodes are strong, thin, at risk or empty; this module
turns it into an XLSX sheet written the way bureaus write theirs (units in headers, 是/否 flags, several years of
figures) and imports it through the real importer, then adds a fictional national baseline and the district's
whole-economy totals for location quotients. Every firm name starts with 示例 and every row is ``is_sample``.
The three firms named in the seed news page are added with their name and district only, nothing invented.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from xinlian.chain.taxonomy import load_chain
from xinlian.registry import creditcode
from xinlian.store import dialect
from xinlian.store.db import Database
from xinlian.store.tables.registry import Baseline, RegionTotal

SEED = 20250306
SEED_PAGE_FIRMS = ["常州亦泓科技有限公司", "澎芯半导体(常州)有限公司", "领先光学技术(江苏)有限公司"]
_HEAD = list("星衡芯拓润微晟科凌睿华启鼎盛恒瑞宏达越联泰合弘元鑫曜澜晶辰宇航")
_MIDDLE = list("源光海川远峰锐航鸿嘉博智新创")
_TRADE = {"upstream": ["材料", "装备", "精密", "电子材料", "科技"], "midstream": ["微电子", "半导体", "电子", "芯片", "光电"],
          "downstream": ["汽车科技", "智能科技", "新能源", "电子科技", "智造"]}
SIZES = {"small": (0.05e8, 0.3e8), "medium": (0.8e8, 3e8), "large": (5e8, 40e8)}


@lru_cache(maxsize=1)
def demo_plan() -> dict:
    return yaml.safe_load(resources.files("xinlian.data.rules").joinpath("demo_plan.yaml").read_text("utf-8"))


def planned_verdicts() -> dict[str, str]:
    """Node id -> the verdict the sample district was built to show."""
    return {node: spec["verdict"] for node, spec in demo_plan()["planned"].items()}


@dataclass
class Firm:
    name: str
    code: str
    region: str
    node: str
    size: str
    local: bool


def _name(rng: random.Random, stage: str, used: set[str]) -> str:
    while True:
        core = rng.choice(_HEAD) + rng.choice(_MIDDLE)
        name = f"示例{core}{rng.choice(_TRADE[stage])}有限公司"
        if name not in used:
            used.add(name)
            return name


def plan_firms(seed: int = SEED) -> list[Firm]:
    """Every firm of the sample district and the outside candidates, deterministically from ``seed``."""
    rng = random.Random(seed)
    plan = demo_plan()
    chain = load_chain("semiconductor")
    used: set[str] = set()
    firms: list[Firm] = []
    serial = 0

    def code(region: str) -> str:
        nonlocal serial
        serial += 1
        ident = "MA" + "".join(creditcode.ALPHABET[(serial // 31 ** k) % 31] for k in range(5, -1, -1))
        return creditcode.make("9", "1", region, ident + rng.choice(creditcode.ALPHABET[:10]))

    for node in chain.leaves():
        spec = plan["planned"].get(node.id)
        if spec is not None:
            count, size = spec["firms"], spec.get("size", "medium")
        else:
            count, size = plan["default_firms"][node.stage], "medium"
        for _ in range(count):
            firms.append(Firm(_name(rng, node.stage, used), code(plan["region"]), plan["region"], node.id, size, True))
        outside = plan["outside_firms"]["gap" if spec and spec["verdict"] in ("missing", "weak", "at_risk")
                                         else "other"]
        for _ in range(outside):
            region = rng.choice(plan["outside_regions"])
            firms.append(Firm(_name(rng, node.stage, used), code(region), region, node.id,
                              rng.choice(["medium", "large", "large"]), False))
    return firms


def write_sheet(firms: list[Firm], path: Path, seed: int = SEED) -> Path:
    """The firms as a bureau-style XLSX: two header rows (years under a merged 产值 cell), units, 是/否 flags."""
    import openpyxl

    rng = random.Random(seed + 1)
    plan = demo_plan()
    years = plan["years"]
    chain = load_chain("semiconductor")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "企业名录（示例数据）"
    fixed = ["统一社会信用代码", "企业名称", "所属区县", "产业链环节", "成立日期", "从业人员", "是否高新技术企业", "是否专精特新",
             "专精特新小巨人", "是否链主", "研发投入(万元)", "专利数"]
    ws.append(fixed + ["产值(万元)"] + [None] * (len(years) - 1) + ["营业收入(万元)", "税收(万元)"])
    ws.append([None] * len(fixed) + [f"{y}年" for y in years] + [None, None])
    start = len(fixed) + 1
    ws.merge_cells(start_row=1, start_column=start, end_row=1, end_column=start + len(years) - 1)
    for f in firms:
        lo, hi = SIZES[f.size]
        last = rng.uniform(lo, hi)
        growth = rng.uniform(0.02, 0.25) if f.size != "small" else rng.uniform(-0.1, 0.08)
        outputs = [round(last / (1 + growth) ** (len(years) - 1 - i) / 1e4, 1) for i in range(len(years))]
        big = f.size == "large"
        leader = big and f.local and f.node in ("nev_vehicles", "power_module") and rng.random() < 0.15
        region = "武进区" if f.region == "320412" else f.region
        ws.append([f.code, f.name, region, chain.node(f.node).name,
                   f"{rng.randint(2003, 2022)}年{rng.randint(1, 12)}月", int(last / 1e4 / rng.uniform(80, 160)),
                   "是" if big or rng.random() < 0.4 else "否", "是" if rng.random() < 0.3 else "否",
                   "是" if big and rng.random() < 0.2 else "否", "是" if leader else "否",
                   round(outputs[-1] * rng.uniform(0.02, 0.08), 1), rng.randint(0, 120) if big else rng.randint(0, 25),
                   *outputs, round(outputs[-1] * rng.uniform(0.9, 1.1), 1), round(outputs[-1] * rng.uniform(0.02, 0.05), 1)])
    for name in SEED_PAGE_FIRMS:
        ws.append([None, name, "武进区"] + [None] * (len(fixed) - 3 + len(years) + 2))
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def baseline_rows(firms: list[Firm], seed: int = SEED) -> tuple[list[dict], list[dict]]:
    """A fictional national baseline per node and year, and the district's whole-economy totals."""
    rng = random.Random(seed + 2)
    plan = demo_plan()
    chain = load_chain("semiconductor")
    national_total = 1.26e14
    rows = []
    for year_i, year in enumerate(plan["years"]):
        scale = 1.06 ** year_i
        rows.append({"scope": "000000", "chain": "semiconductor", "node_id": "*", "year": year,
                     "output_value": national_total * scale, "employees": 7.4e8, "firms": None, "is_sample": True,
                     "source": "示例基线（虚构）"})
        for node in chain.leaves():
            rows.append({"scope": "000000", "chain": "semiconductor", "node_id": node.id, "year": year,
                         "output_value": rng.uniform(1.5e11, 9e11) * scale, "employees": rng.uniform(5e4, 4e5),
                         "firms": rng.randint(200, 3000), "is_sample": True, "source": "示例基线（虚构）"})
    totals = [{"region_code": plan["region"], "year": y, "output_value": float(plan["region_total_output"]) * 1.05 ** i,
               "employees": float(plan["region_total_employees"]), "is_sample": True}
              for i, y in enumerate(plan["years"])]
    return rows, totals


def build_demo(db: Database, workdir: Path, seed: int = SEED):
    """Build the sample district into ``db``; the generated sheet is kept under ``workdir``. Returns the report of
    the registry import."""
    from xinlian.registry.importer import ImportOptions, import_enterprises

    firms = plan_firms(seed)
    sheet = write_sheet(firms, workdir / "示例企业名录.xlsx", seed)
    report = import_enterprises(db, sheet, ImportOptions(chain="semiconductor", source="示例数据（虚构）",
                                                         is_sample=True))
    baseline, totals = baseline_rows(firms, seed)
    with db.session() as s:
        dialect.upsert(s, Baseline.__table__, baseline, keys=["scope", "chain", "node_id", "year"])
        dialect.upsert(s, RegionTotal.__table__, totals, keys=["region_code", "year"])
    return report
