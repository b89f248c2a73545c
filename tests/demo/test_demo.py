import os
import subprocess
import sys

from sqlalchemy import func, select

from xinlian.demo.generator import SEED_PAGE_FIRMS, demo_plan, plan_firms
from xinlian.store.db import open_db
from xinlian.store.tables.registry import Baseline, Enterprise, EnterpriseFigure, EnterpriseNode, RegionTotal


def test_the_plan_is_deterministic():
    a, b = plan_firms(), plan_firms()
    assert [f.name for f in a] == [f.name for f in b]
    assert len({f.name for f in a}) == len(a)
    assert all(f.name.startswith("示例") for f in a)


def test_demo_builds_the_sample_district(tmp_path):
    env = {**os.environ, "XINLIAN_HOME": str(tmp_path)}
    env.pop("XINLIAN_DB_URL", None)
    proc = subprocess.run([sys.executable, "-m", "xinlian.cli", "demo", "--no-serve"], capture_output=True,
                          text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    db = open_db(f"sqlite:///{tmp_path / 'demo.db'}", upgrade=False)
    plan = demo_plan()
    with db.session() as s:
        local = s.execute(select(func.count()).select_from(Enterprise).where(Enterprise.region_code == "320412")).scalar()
        outside = s.execute(select(func.count()).select_from(Enterprise).where(Enterprise.region_code != "320412")).scalar()
        assert 150 <= local <= 500 and outside >= 50
        # the three firms of the seed page: name and district, nothing invented
        for name in SEED_PAGE_FIRMS:
            e = s.execute(select(Enterprise).where(Enterprise.name == name)).scalar_one()
            assert e.region_code == "320412" and e.credit_code is None and not e.nodes and not e.figures
        # every other firm is marked sample data
        samples = s.execute(select(func.count()).select_from(Enterprise).where(Enterprise.is_sample.is_(True))).scalar()
        assert samples == local + outside
        # the planned skew: strong nodes have many local firms, missing nodes none
        def local_firms(node):
            # placements from the registry sheet (news linking may add more, with source "news")
            return s.execute(select(func.count()).select_from(EnterpriseNode).join(Enterprise).where(
                EnterpriseNode.node_id == node, EnterpriseNode.source == "import",
                Enterprise.region_code == "320412")).scalar()
        for node, spec in plan["planned"].items():
            assert local_firms(node) == spec["firms"], node
        assert s.execute(select(func.count()).select_from(EnterpriseFigure)).scalar() > 5 * 250
        assert s.execute(select(func.count()).select_from(Baseline)).scalar() > 100
        assert s.execute(select(func.count()).select_from(RegionTotal)).scalar() == len(plan["years"])
    db.dispose()
