"""Planner statistics after a bulk write (``dialect.refresh_statistics``) and the diagnosis's covering indexes, on
SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from xinlian.store import dialect
from xinlian.store.tables.registry import Enterprise, EnterpriseFigure, EnterpriseNode


def add_firms(db, n: int) -> None:
    with db.session() as s:
        for i in range(n):
            name = f"统计测试企业{i}"
            s.add(Enterprise(match_key=f"stat:{i}", name=name, name_norm=name, region_code="320412",
                             nodes=[EnterpriseNode(chain="c", node_id="n", role="main")],
                             figures=[EnterpriseFigure(year=2024, output_value=float(i))]))


def test_refresh_statistics_records_the_registry_tables(db):
    add_firms(db, 30)
    with db.session() as s:
        dialect.refresh_statistics(s)
    with db.session() as s:
        if dialect.dialect_name(s) == "postgresql":
            rows = dict(s.execute(text("SELECT relname, reltuples FROM pg_class WHERE relname IN "
                                       "('enterprise', 'enterprise_node', 'enterprise_figure')")).all())
            assert rows == {"enterprise": 30, "enterprise_node": 30, "enterprise_figure": 30}
        else:
            tables = {r[0] for r in s.execute(text("SELECT tbl FROM sqlite_stat1"))}
            assert {"enterprise", "enterprise_node", "enterprise_figure"} <= tables


def test_refresh_statistics_refuses_what_is_not_a_table_name(db):
    with db.session() as s, pytest.raises(ValueError, match="not a table name"):
        dialect.refresh_statistics(s, ["enterprise; DROP TABLE enterprise"])


def test_the_diagnosis_reads_figures_and_placements_from_covering_indexes(db):
    insp = inspect(db.engine)
    figure = {i["name"]: i["column_names"] for i in insp.get_indexes("enterprise_figure")}
    assert figure["ix_enterprise_figure_firm_year_values"][:2] == ["enterprise_id", "year"]
    assert {"output_value", "revenue", "employees", "rd_spend", "patents"} <= set(
        figure["ix_enterprise_figure_firm_year_values"])
    node = {i["name"]: i["column_names"] for i in insp.get_indexes("enterprise_node")}
    assert node["ix_enterprise_node_chain_node_firm"] == ["chain", "node_id", "enterprise_id", "role"]
