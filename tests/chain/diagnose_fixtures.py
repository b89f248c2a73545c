"""A small hand-built chain and district where the right verdicts are known in advance (fictional firms)."""

from __future__ import annotations

from pathlib import Path

from xinlian.store.tables.registry import Baseline, Enterprise, EnterpriseFigure, EnterpriseNode, RegionTotal

MINI_CHAIN = """
chain: minichain
name: 测试产业链
name_en: Test chain
version: "1"
nodes:
  - {id: materials, name: 材料, stage: upstream, keywords: [材料]}
  - {id: substrate, name: 衬底, stage: upstream, parent: materials, keywords: [衬底]}
  - {id: gas, name: 特气, stage: upstream, parent: materials, keywords: [特气]}
  - {id: resist, name: 光刻胶, stage: upstream, parent: materials, keywords: [光刻胶]}
  - {id: frame, name: 引线框架, stage: upstream, keywords: [引线框架]}
  - {id: laser_tool, name: 激光设备, stage: upstream, keywords: [激光设备]}
  - {id: fab, name: 晶圆制造, stage: midstream, keywords: [晶圆]}
  - {id: pack, name: 封装, stage: midstream, keywords: [封装]}
  - {id: optics, name: 光学模组, stage: midstream, keywords: [光学]}
  - {id: car, name: 汽车电子, stage: downstream, keywords: [汽车]}
  - {id: phone, name: 手机, stage: downstream, keywords: [手机]}
edges:
  - {from: substrate, to: fab}
  - {from: gas, to: fab}
  - {from: resist, to: fab}
  - {from: fab, to: pack}
  - {from: frame, to: pack}
  - {from: pack, to: car}
  - {from: pack, to: phone}
  - {from: laser_tool, to: optics}
"""

LOCAL = "320412"
OUTSIDE = "310115"
YEAR = 2025

# The verdicts this district is built to produce.
EXPECTED = {
    "fab": "strong",         # 6 firms, LQ 30, 84.5% of the chain
    "pack": "weak",          # 5 firms, LQ 1.0: between the bars
    "car": "weak",           # 2 firms < 3
    "phone": "weak",         # LQ 0.45 < 0.8
    "frame": "weak",         # LQ 0.3, 3 equal suppliers (HHI 0.33)
    "gas": "at_risk",        # one supplier, 6 local firms need it
    "resist": "at_risk",     # two suppliers, HHI 0.905
    "substrate": "missing",  # no firm, 6 local fab firms need it
    "optics": "not_applicable",
    "laser_tool": "not_applicable",
    "materials": "at_risk",  # the group: 3 firms, HHI 0.59, 6 fab firms need it
}

# (key, name, region, [(node, role)], output 2025, output 2022, flags, extra figures)
FIRMS = [
    ("F1", "澄芯晶圆制造有限公司", LOCAL, [("fab", "main")], 1e10, 5e9, {"chain_leader": True}, {}),
    *[(f"F{i}", f"武进第{i}晶圆有限公司", LOCAL, [("fab", "main")], 4e9, 2e9, {}, {}) for i in range(2, 7)],
    ("G1", "澄江特种气体有限公司", LOCAL, [("gas", "main")], 3e8, 3e8, {}, {}),
    ("R1", "滆湖光刻材料有限公司", LOCAL, [("resist", "main")], 9.5e8, None, {}, {}),
    ("R2", "湖塘感光材料有限公司", LOCAL, [("resist", "main")], 5e7, None, {}, {}),
    *[(f"P{i}", f"武进第{i}封装有限公司", LOCAL, [("pack", "main")], 4e8, None, {}, {}) for i in range(1, 6)],
    ("C1", "牛塘汽车电子有限公司", LOCAL, [("car", "main")], 5e8, None, {}, {}),
    ("C2", "洛阳汽车电子有限公司", LOCAL, [("car", "main")], 5e8, None, {}, {}),
    *[(f"H{i}", f"武进第{i}终端有限公司", LOCAL, [("phone", "main")], 3e8, None, {}, {}) for i in range(1, 4)],
    *[(f"M{i}", f"武进第{i}框架有限公司", LOCAL, [("frame", "main")], 1e8, None, {}, {}) for i in range(1, 4)],
    # Outside firms: candidates for the missing substrate node.
    ("SA", "浦江衬底科技股份有限公司", OUTSIDE, [("substrate", "main")], 9e9, None, {"high_tech": True}, {}),
    ("SB", "张江晶体材料有限公司", OUTSIDE, [("substrate", "main")], 5e9, None, {"specialised": True},
     {"patents": 25}),
    ("SC", "临港综合材料有限公司", OUTSIDE, [("substrate", "secondary"), ("gas", "main")], 2e9, None, {}, {}),
    ("SD", "金桥衬底有限公司", OUTSIDE, [("substrate", "main")], 1e9, None, {}, {"revenue": 1e9, "rd_spend": 1e8}),
    # Not local either: the neighbouring district; on fab, so it does not change the local verdicts.
    ("N1", "新北晶圆有限公司", "320411", [("fab", "main")], 8e9, None, {}, {}),
]

# Expected scores of the substrate targets (see the weights in data/rules/diagnosis.yaml):
# SB: main 30 + scale top 50% 5 + 专精特新 8 + patents 5 + supplier of leader F1's fab 15 = 63
# SA: main 30 + scale top 25% 12 + 高新 5 + leader 15 = 62
# SD: main 30 + R&D 10% 5 + leader 15 = 50
# SC: secondary 15 + leader 15 = 30
EXPECTED_TARGETS = [("SB", 63.0), ("SA", 62.0), ("SD", 50.0), ("SC", 30.0)]

BASELINE = {"fab": 1e12, "pack": 2e12, "car": 1e12, "phone": 2e12, "frame": 1e12, "gas": 1e10, "resist": 1e10,
            "substrate": 1e10, "optics": 1e10, "laser_tool": 1e10}


def write_chain(tmp_path: Path) -> Path:
    path = tmp_path / "minichain.yaml"
    path.write_text(MINI_CHAIN, encoding="utf-8")
    return path


def build_district(db) -> dict[str, int]:
    """Insert the firms, figures, baselines and region total; returns {key: enterprise id}."""
    ids: dict[str, int] = {}
    with db.session() as s:
        for key, name, region, nodes, out, out_2022, flags, extra in FIRMS:
            e = Enterprise(match_key=f"test:{key}", name=name, name_norm=name, region_code=region, **flags)
            for node, role in nodes:
                e.nodes.append(EnterpriseNode(chain="minichain", node_id=node, role=role, source="analyst"))
            e.figures.append(EnterpriseFigure(year=YEAR, output_value=out, employees=int(out / 1e6), **extra))
            if out_2022 is not None:
                e.figures.append(EnterpriseFigure(year=YEAR - 3, output_value=out_2022, employees=int(out_2022 / 1e6)))
            s.add(e)
            s.flush()
            ids[key] = e.id
        # A candidate record (first seen in the news) on substrate: never a target, never local.
        s.add(Enterprise(match_key="test:cand", name="待核实衬底公司", name_norm="待核实衬底公司", region_code=OUTSIDE,
                         status="candidate",
                         nodes=[EnterpriseNode(chain="minichain", node_id="substrate", role="main")]))
        for node, value in BASELINE.items():
            s.add(Baseline(scope="000000", chain="minichain", node_id=node, year=YEAR, output_value=value))
        s.add(Baseline(scope="000000", chain="*", node_id="*", year=YEAR, output_value=1e14, employees=1e8))
        s.add(RegionTotal(region_code=LOCAL, year=YEAR, output_value=1e11, employees=1e5))
    return ids
