"""`xinlian chain diagnose|show|leaders|targets` from the command line, and the workbook for the bureau."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from diagnose_fixtures import EXPECTED, OUTSIDE, build_district, write_chain  # noqa: E402

from xinlian.store.tables.registry import Enterprise, EnterpriseFigure, EnterpriseNode  # noqa: E402


def xl(*args, home: Path, db_url: str, check: bool = True):
    env = {**os.environ, "XINLIAN_HOME": str(home), "XINLIAN_DB_URL": db_url}
    proc = subprocess.run([sys.executable, "-m", "xinlian.cli", *args], capture_output=True, text=True, env=env)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_diagnose_json_xlsx_leaders_targets(db, db_url, tmp_path):
    build_district(db)
    with db.session() as s:  # a name that a spreadsheet would run as a formula
        s.add(Enterprise(match_key="test:evil", name="=HYPERLINK(\"http://x\",\"点我\")", name_norm="evil",
                         region_code=OUTSIDE, nodes=[EnterpriseNode(chain="minichain", node_id="substrate")],
                         figures=[EnterpriseFigure(year=2025, output_value=1e8)]))
    chain = str(write_chain(tmp_path))
    book = tmp_path / "诊断.xlsx"
    out = xl("chain", "diagnose", "--chain", chain, "--region", "320412", "--as-of", "2026-06-30", "--json",
             "--xlsx", str(book), home=tmp_path, db_url=db_url)
    data = json.loads(out.stdout)
    assert {n["id"]: n["verdict"] for n in data["nodes"]} == EXPECTED
    assert data["as_of"] == "2026-06-30" and data["figures_year"] == 2025

    import openpyxl

    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames[:3] == ["环节诊断", "招引目标", "链主企业"]
    nodes = wb["环节诊断"]
    header = [c.value for c in nodes[1]]
    rows = {r[0]: dict(zip(header, r)) for r in nodes.iter_rows(min_row=2, values_only=True)}
    assert rows["fab"]["诊断"] == "强链"
    assert isinstance(rows["fab"]["本地企业数"], int) and rows["fab"]["本地企业数"] == 6
    assert isinstance(rows["fab"]["区位熵"], (int, float)) and rows["fab"]["区位熵"] == 30.0
    assert rows["fab"]["产值(亿元)"] == 300.0
    names = [r[5] for r in wb["招引目标"].iter_rows(min_row=2, values_only=True)]
    assert "'=HYPERLINK(\"http://x\",\"点我\")" in names
    assert all(not str(v).startswith(("=", "+", "-", "@")) for ws in wb for row in ws.iter_rows(values_only=True)
               for v in row if isinstance(v, str))
    scores = [r[7] for r in wb["招引目标"].iter_rows(min_row=2, values_only=True)]
    assert scores and all(isinstance(s, (int, float)) for s in scores)

    leaders = json.loads(xl("chain", "leaders", "--chain", chain, "--region", "320412", "--json",
                            home=tmp_path, db_url=db_url).stdout)
    assert leaders[0]["name"] == "澄芯晶圆制造有限公司" and leaders[0]["missing_inputs"][0]["id"] == "substrate"
    targets = json.loads(xl("chain", "targets", "--chain", chain, "--node", "substrate", "--top", "2", "--json",
                            home=tmp_path, db_url=db_url).stdout)
    assert targets["verdict"] == "missing" and len(targets["targets"]) == 2
    assert targets["targets"][0]["reasons"][0] == "主营环节匹配（衬底）+30"
    bad = xl("chain", "targets", "--chain", chain, "--node", "nowhere", home=tmp_path, db_url=db_url, check=False)
    assert bad.returncode == 1 and "nowhere" in bad.stderr


def test_show_prints_the_taxonomy(tmp_path):
    out = xl("chain", "show", "--json", home=tmp_path, db_url=f"sqlite:///{tmp_path}/x.db")
    data = json.loads(out.stdout)
    assert data["chain"] == "semiconductor" and any(n["id"] == "sic_substrate" for n in data["nodes"])
    tree = xl("chain", "show", home=tmp_path, db_url=f"sqlite:///{tmp_path}/x.db")
    assert "碳化硅衬底" in tree.stderr + tree.stdout
