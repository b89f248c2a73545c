"""The figures of every chain node for one region and year: the evidence the verdicts are computed from.

All per-firm work is done by the database in a few set-based queries (``GROUP BY`` over the region's firms, one
row per node back), so a registry of a million firms diagnoses in about a second. The queries:

0. ``_Placements``: the region's placements on the chain (a temporary table), then one row per (node or
   ancestor, firm) with the share of the firm's output the node gets and the firm's figures of the figures year
   (the latest year with figures) and of the growth window's years pivoted into columns (a node map joined in
   SQL; a second temporary table). Only those years are read from ``enterprise_figure``, by its covering index,
   in one pass on PostgreSQL that also finds the figures year when it is one of the last few (else, and on
   SQLite, the year is looked up first).
1. ``_node_totals``: per node, firms, technology flags, the figures year's output, employees, revenue, R&D,
   patents, the sums behind the Herfindahl index, and the balanced growth panel of each start year (CAGR); a
   group node aggregates itself and its descendants, counting a firm once.
2. ``_top_firms``: the largest firms of each node (a window function), for the firm lists.
3. ``_demand``: per node, the distinct local firms sitting on nodes it supplies (taxonomy edges).
4. ``_chain_total``: the region's whole-chain output, each firm once.
Queries 0 to 4 depend only on the registry tables, so their results are stored and used again until the registry
changes (``chain.summary``; PostgreSQL only, not at security level 3). Then baselines and region totals (small tables) give location quotients and the three stars, and the
supply figures (本地配套率, concentration) are derived per node from its input nodes.

"Local" means an active enterprise whose region code is the region or one of its subdivisions.
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import asdict, dataclass, field
from datetime import date

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from xinlian.chain import summary
from xinlian.chain.rules import Rules
from xinlian.chain.taxonomy import Chain
from xinlian.registry import sensitive
from xinlian.store.dialect import dialect_name

__all__ = ["NodeFigures", "RegionFigures", "compute_figures", "local_codes", "node_signals", "node_projects",
           "subtree", "inputs_of_subtree", "outputs_of_subtree"]

_SAFE_ID = re.compile(r"^[a-z][a-z0-9_]*$")
# Stage ids of data/rules/project_stages.yaml (and their Chinese names, for hand-written records)
PRODUCING_STAGES = ("production", "full_production", "投产", "达产")


# --------------------------------------------------------------------------- results


@dataclass
class NodeFigures:
    """Every figure of one node for the region. Money in yuan; shares are fractions."""

    id: str
    name: str
    stage: str
    is_group: bool
    local_firms: int = 0
    firms: list[dict] = field(default_factory=list)
    output_yuan: float | None = None
    employees: float | None = None
    revenue_yuan: float | None = None
    chain_share: float | None = None
    growth: dict = field(default_factory=dict)
    technology: dict = field(default_factory=dict)
    location_quotient: float | None = None
    lq: dict = field(default_factory=dict)
    stars: dict = field(default_factory=dict)
    hhi: float | None = None
    hhi_basis: str | None = None
    demand: dict = field(default_factory=dict)
    local_supply_ratio: float | None = None
    supply: dict = field(default_factory=dict)
    signals: dict = field(default_factory=dict)
    projects: list[dict] = field(default_factory=list)
    project_output_yuan: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class RegionFigures:
    chain: str
    region: str
    codes: list[str]
    as_of: date
    year: int | None
    chain_output_yuan: float | None
    chain_employees: float | None
    region_total: dict
    baseline: dict
    nodes: dict[str, NodeFigures]


# --------------------------------------------------------------------------- taxonomy helpers


def subtree(chain: Chain, node_id: str) -> list[str]:
    """The node and all its descendants."""
    return [node_id, *chain.descendants(node_id)]


def inputs_of_subtree(chain: Chain, node_id: str) -> list[str]:
    """Input nodes of a node; for a group, the inputs of its subtree that lie outside it."""
    inside = set(subtree(chain, node_id))
    out: list[str] = []
    for n in subtree(chain, node_id):
        for src in chain.inputs_of(n):
            if src not in inside and src not in out:
                out.append(src)
    return out


def outputs_of_subtree(chain: Chain, node_id: str) -> list[str]:
    """Nodes supplied by a node; for a group, by its subtree, outside it."""
    inside = set(subtree(chain, node_id))
    out: list[str] = []
    for n in subtree(chain, node_id):
        for dst in chain.outputs_of(n):
            if dst not in inside and dst not in out:
                out.append(dst)
    return out


def local_codes(region: str) -> list[str]:
    """The region code and the codes of all its subdivisions (GB/T 2260 table)."""
    from xinlian.registry import regions

    region = str(region).strip()
    if not re.fullmatch(r"\d{6}", region):
        raise ValueError(f"region {region!r} is not a six-digit GB/T 2260 code")
    codes = [region]
    stack = [region]
    while stack:
        for child in regions.children(stack.pop()):
            codes.append(child.code)
            stack.append(child.code)
    return codes


def _values(pairs: list[tuple[str, str]]) -> str:
    """A VALUES list of node-id pairs, inlined: ids are checked snake_case ascii (the taxonomy enforces it)."""
    for a, b in pairs:
        if not (_SAFE_ID.match(a) and _SAFE_ID.match(b)):
            raise ValueError(f"unsafe node id in {a!r}/{b!r}")
    return ", ".join(f"('{a}', '{b}')" for a, b in pairs) or "('', '')"


# --------------------------------------------------------------------------- SQL


def _weight_sql(attribution: str) -> str:
    """The share of a firm's output that one of its placements gets (``figures.attribution``), as a float."""
    if attribution == "full":
        return "CAST(1.0 AS DOUBLE PRECISION)"
    if attribution == "split":
        return "CAST(1.0 AS DOUBLE PRECISION) / wt.n_all"
    return ("CASE WHEN wt.n_main > 0 THEN (CASE WHEN le.role = 'main' THEN CAST(1.0 AS DOUBLE PRECISION) / wt.n_main "
            "ELSE CAST(0.0 AS DOUBLE PRECISION) END) ELSE CAST(1.0 AS DOUBLE PRECISION) / wt.n_all END")


_counter = itertools.count()
# Money columns the figure queries read (at security level 3 they are decrypted into a temporary table first).
_MONEY_READ = ("output_value", "revenue", "rd_spend")


class _Placements:
    """The region's firms on the chain, read once from the large tables into two small temporary tables that
    every figure query reads (both dropped by ``close``):

    - ``pl``: one row per local placement (firm, node, role) with the firm's technology flags;
    - ``name`` (the "wide" table): one row per (aggregated node, firm) with the firm's output weight on that node
      and, pivoted into columns, the firm's figures of the figures year (``out_y``, ``emp_y``, ``rev_y``, ``rd_y``,
      ``pat_y``; ``has_y`` = 1 when the firm has a row that year) and its output in each of the ``span`` years
      before (``out_1`` one year before ... ``out_<span>``), for the growth panel.

    So the figures queries are single-table ``GROUP BY`` scans, and only the few years the diagnosis uses are read
    from ``enterprise_figure`` (through its covering index on firm, year and values): on PostgreSQL one index
    seek per firm when the figures year is one of the ``RECENT + 1`` latest years up to the cap, two otherwise
    (and on SQLite).
    """

    def __init__(self, session: Session, chain: Chain, codes: list[str], attribution: str, cap: int, span: int):
        self.session = session
        base = f"xl_diag_{os.getpid()}_{next(_counter)}"
        self.pl, self.name = base + "_pl", base + "_pw"
        self.span = max(int(span), 0)
        # sql-ok: our temp table names (pid + counter), _SAFE_ID-checked node ids; values bound
        session.execute(text(f"""
CREATE TEMPORARY TABLE {self.pl} AS
SELECT en.enterprise_id AS eid, en.node_id AS node_id, en.role AS role, e.name AS name,
  CASE WHEN e.high_tech THEN 1 ELSE 0 END AS high_tech, CASE WHEN e.specialised THEN 1 ELSE 0 END AS specialised,
  CASE WHEN e.little_giant THEN 1 ELSE 0 END AS little_giant,
  CASE WHEN e.chain_leader THEN 1 ELSE 0 END AS chain_leader
FROM enterprise e JOIN enterprise_node en ON en.enterprise_id = e.id
WHERE en.chain = :chain AND e.status = 'active' AND e.region_code IN :codes""").bindparams(
            bindparam("codes", expanding=True)), {"chain": chain.id, "codes": codes})
        self.nodemap = _values([(d, n) for n in chain.nodes for d in subtree(chain, n)])  # checks the ids too
        self.attribution = attribution
        # The figures year is the latest year ≤ cap in which any of these firms (on a node of the chain) has a
        # figures row. On PostgreSQL, where an index seek costs more than SQLite's, the wide table is first built
        # over the window [cap - span - RECENT, cap], one seek per firm, with the figures year's columns for each
        # of the RECENT + 1 latest years (the figures year is usually one of them); the year is then read from
        # the table and its columns renamed. Otherwise (SQLite, whose aggregation of the extra columns costs more
        # than the seeks it saves, or an older figures year) the year is looked up first, one seek per firm, and
        # the table built for it.
        self.year = None
        recent = None
        if dialect_name(session) == "postgresql":
            self._build(cap, self.RECENT)
            # sql-ok: our temp table names (pid + counter); int constants
            flags = session.execute(text(
                f"SELECT {', '.join(f'MAX(c_has_{j})' for j in range(self.RECENT + 1))} FROM {self.name}")).one()
            recent = next((j for j, flag in enumerate(flags) if flag), None)
            if recent is None:
                # sql-ok: our temp table names (pid + counter)
                session.execute(text(f"DROP TABLE IF EXISTS {self.name}"))
        if recent is None:
            known = ", ".join(f"'{n}'" for n in chain.nodes)
            # sql-ok: our temp table names (pid + counter), _SAFE_ID-checked node ids; values bound
            value = session.execute(text(f"""
SELECT MAX((SELECT MAX(f.year) FROM enterprise_figure f WHERE f.enterprise_id = p.eid AND f.year <= :cap))
FROM (SELECT DISTINCT eid FROM {self.pl} WHERE node_id IN ({known})) p"""), {"cap": cap}).scalar()
            self.year = int(value) if value is not None else None
            self._build(self.year if self.year is not None else cap, None)
            return
        self.year = cap - recent
        # The columns of the figures year and of the growth window's years get the names the queries read.
        names = {f"c_{v}_{recent}": f"{v}_y" for v in ("has", "out", "emp", "rev", "rd", "pat")}
        names.update({f"c_out_{recent + k}": f"out_{k}" for k in range(1, self.span + 1)})
        for old, new in names.items():
            # sql-ok: our temp table names (pid + counter); column names built from int constants
            session.execute(text(f"ALTER TABLE {self.name} RENAME COLUMN {old} TO {new}"))

    RECENT = 2  # the figures years tried in the first pass: cap, cap - 1, ..., cap - RECENT

    def _build(self, top: int, recent: int | None) -> None:
        """The wide table over the years [top - span - recent, top]: ``c_out_<j>`` is the output of year top - j,
        and ``c_has_<j>``, ``c_emp_<j>``, ``c_rev_<j>``, ``c_rd_<j>``, ``c_pat_<j>`` the figures year's columns if
        the figures year is top - j (j ≤ recent). ``recent=None``: top is the figures year, and the columns get
        the names the queries read (``has_y`` ... ``pat_y``, ``out_y``, ``out_1`` ...) directly."""
        session, attribution = self.session, self.attribution
        final = recent is None
        recent = recent or 0
        first = top - self.span - recent
        years = list(range(first, top + 1))
        latest = "".join(
            f",\n    MAX(CASE WHEN f.year = {top - j} THEN 1 ELSE 0 END) AS c_has_{j}"
            f",\n    MAX(CASE WHEN f.year = {top - j} THEN f.employees END) AS c_emp_{j}"
            f",\n    MAX(CASE WHEN f.year = {top - j} THEN f.revenue END) AS c_rev_{j}"
            f",\n    MAX(CASE WHEN f.year = {top - j} THEN f.rd_spend END) AS c_rd_{j}"
            f",\n    MAX(CASE WHEN f.year = {top - j} THEN f.patents END) AS c_pat_{j}"
            for j in range(recent + 1))
        outputs = "".join(f",\n    MAX(CASE WHEN f.year = {top - j} THEN f.output_value END) AS c_out_{j}"
                          for j in range(top - first + 1))
        if final:
            cols = "".join(f", fy.c_{v}_0 AS {v}_y" for v in ("has", "out", "emp", "rev", "rd", "pat"))
            cols += "".join(f", fy.c_out_{k} AS out_{k}" for k in range(1, self.span + 1))
        else:
            cols = "".join(f", fy.c_{v}_{j} AS c_{v}_{j}" for j in range(recent + 1)
                           for v in ("has", "emp", "rev", "rd", "pat"))
            cols += "".join(f", fy.c_out_{j} AS c_out_{j}" for j in range(top - first + 1))
        # Security level 3: the money figures come decrypted from a temporary table (xinlian.registry.sensitive).
        with sensitive.readable_figures(session, years, _MONEY_READ, firms=f"SELECT eid FROM {self.pl}") as fig:
            # sql-ok: our temp table names (pid + counter), _SAFE_ID-checked node ids; int constants
            session.execute(text(f"""
CREATE TEMPORARY TABLE {self.name} AS
WITH nodemap(node_id, agg_id) AS (VALUES {self.nodemap}),
wt AS (
  SELECT eid, COUNT(*) AS n_all, SUM(CASE WHEN role = 'main' THEN 1 ELSE 0 END) AS n_main
  FROM {self.pl} GROUP BY eid
),
agg AS (
  SELECT m.agg_id AS agg_id, le.eid AS eid, SUM({_weight_sql(attribution)}) AS w, MIN(le.role) AS role,
    MAX(le.name) AS name, MAX(le.high_tech) AS high_tech, MAX(le.specialised) AS specialised, MAX(le.little_giant) AS little_giant,
    MAX(le.chain_leader) AS chain_leader
  FROM {self.pl} le JOIN wt ON wt.eid = le.eid JOIN nodemap m ON m.node_id = le.node_id
  GROUP BY m.agg_id, le.eid
),
fy AS (
  SELECT f.enterprise_id AS eid{latest}{outputs}
  FROM {fig} f
  WHERE f.year >= {first} AND f.year <= {top} AND f.enterprise_id IN (SELECT eid FROM wt)
  GROUP BY f.enterprise_id
)
SELECT agg.agg_id AS agg_id, agg.eid AS eid, agg.w AS w, agg.role AS role, agg.name AS name,
  agg.high_tech AS high_tech,
  agg.specialised AS specialised, agg.little_giant AS little_giant, agg.chain_leader AS chain_leader{cols}
FROM agg LEFT JOIN fy ON fy.eid = agg.eid"""))

    def close(self) -> None:
        # sql-ok: our temp table names (pid + counter), _SAFE_ID-checked node ids; values bound
        self.session.execute(text(f"DROP TABLE IF EXISTS {self.name}"))
        # sql-ok: our temp table names (pid + counter), _SAFE_ID-checked node ids; values bound
        self.session.execute(text(f"DROP TABLE IF EXISTS {self.pl}"))


def _node_totals(session: Session, pw: str, span: int) -> dict[str, dict]:
    """Per node: firms, technology flags, the figures year's output, employees, revenue, R&D and patents, the sum
    behind the Herfindahl index, and for each start year ``k`` years back the growth panel: output then and in
    the figures year of the firms with output in both years (``g<k>_start``, ``g<k>_end``, ``g<k>_firms``)."""
    growth = "".join(
        f",\n  SUM(CASE WHEN out_{k} IS NOT NULL AND out_y IS NOT NULL THEN out_{k} * w END) AS g{k}_start"
        f",\n  SUM(CASE WHEN out_{k} IS NOT NULL AND out_y IS NOT NULL THEN out_y * w END) AS g{k}_end"
        f",\n  SUM(CASE WHEN out_{k} IS NOT NULL AND out_y IS NOT NULL THEN 1 ELSE 0 END) AS g{k}_firms"
        for k in range(1, span + 1))
    # sql-ok: our temp table names (pid + counter), _SAFE_ID-checked node ids; values bound
    sql = text(f"""
SELECT agg_id AS node_id, COUNT(*) AS firms,
  SUM(high_tech) AS high_tech, SUM(specialised) AS specialised, SUM(little_giant) AS little_giant,
  SUM(chain_leader) AS chain_leaders,
  SUM(out_y * w) AS output, COUNT(out_y) AS n_output, SUM(out_y * w * out_y * w) AS output_sq,
  SUM(emp_y * w) AS employees, COUNT(emp_y) AS n_employees, SUM(rev_y * w) AS revenue,
  SUM(CASE WHEN rev_y > 0 AND rd_y IS NOT NULL THEN rd_y * w END) AS rd_spend,
  SUM(CASE WHEN rev_y > 0 AND rd_y IS NOT NULL THEN rev_y * w END) AS rd_revenue,
  SUM(pat_y) AS patents{growth}
FROM {pw} GROUP BY agg_id""")
    return {r["node_id"]: dict(r) for r in session.execute(sql).mappings()}


def _node_growth(totals: dict[str, dict], year: int, span: int) -> dict:
    """Per node and start year in [year - span, year): the balanced panel of ``_node_totals`` (firms with output in
    both that year and ``year``, so firms without earlier figures do not inflate growth). The window's first year
    counts for every node that has it; the later start years only for the nodes that have nothing then."""
    out: dict[str, dict[int, dict]] = {}
    for node_id, t in totals.items():
        panels = {}
        for k in range(span, 0, -1):
            firms = int(t.get(f"g{k}_firms") or 0)
            if firms:
                panels[year - k] = {"start": t[f"g{k}_start"], "end": t[f"g{k}_end"], "firms": firms}
        if year - span in panels:
            panels = {year - span: panels[year - span]}
        if panels:
            out[node_id] = panels
    return out


def _top_firms(session: Session, pw: str, limit: int) -> dict:
    """The largest firms of each node (a window function)."""
    if limit <= 0:
        return {}
    # sql-ok: our temp table names (pid + counter), _SAFE_ID-checked node ids; values bound
    sql = text(f"""
SELECT node_id, eid, role, name, output, high_tech, specialised, little_giant, chain_leader FROM (
  SELECT agg_id AS node_id, eid, role, name, out_y * w AS output, high_tech, specialised, little_giant, chain_leader,
    ROW_NUMBER() OVER (PARTITION BY agg_id ORDER BY COALESCE(out_y * w, -1) DESC, eid) AS rn
  FROM {pw}
) ranked WHERE rn <= :limit ORDER BY node_id, rn""")
    rows = session.execute(sql, {"limit": limit}).all()
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(r.node_id, []).append({
            "enterprise_id": str(r.eid), "name": r.name, "role": r.role,
            "output_yuan": r.output,
            "flags": [k for k in ("high_tech", "specialised", "little_giant", "chain_leader") if getattr(r, k)],
        })
    return out


def _demand(session: Session, pw: str, demand_pairs: list[tuple[str, str]]) -> dict:
    """Per node: distinct local firms on the nodes it supplies (a firm on a child of a supplied node counts, as
    the placements hold a row for every ancestor)."""
    if not demand_pairs:
        return {}
    # sql-ok: our temp table names (pid + counter), _SAFE_ID-checked node ids; values bound
    sql = text(f"""
WITH demand_map(node_id, dst) AS (VALUES {_values(demand_pairs)})
SELECT node_id, COUNT(*) AS firms FROM (
  SELECT DISTINCT dm.node_id AS node_id, pw.eid AS eid FROM demand_map dm JOIN {pw} pw ON pw.agg_id = dm.dst
) d GROUP BY node_id""")
    return {r[0]: int(r[1]) for r in session.execute(sql)}


def _chain_total(session: Session, pw: str) -> tuple:
    """The region's whole-chain output and employees in the figures year, each firm once."""
    # sql-ok: our temp table names (pid + counter), _SAFE_ID-checked node ids; values bound
    sql = text(f"""
SELECT SUM(out_y), SUM(emp_y), SUM(has_y) FROM (
  SELECT eid, MAX(out_y) AS out_y, MAX(emp_y) AS emp_y, MAX(has_y) AS has_y FROM {pw} GROUP BY eid
) firms""")
    return tuple(session.execute(sql).one())


# --------------------------------------------------------------------------- baselines


def _pick_year(years: list[int], year: int) -> int | None:
    """The latest year ≤ ``year``, else the earliest after it."""
    if not years:
        return None
    before = [y for y in years if y <= year]
    return max(before) if before else min(years)


def _baseline(session: Session, chain: Chain, region: str, year: int, scopes: tuple[str, ...]) -> dict:
    """Baseline rows for the first scope that has any, as {node_id: {output, employees, firms}} plus '*'."""
    from xinlian.registry import regions

    province = regions.province_of(region)
    candidates: list[tuple[str, str]] = []
    for scope in scopes:
        if scope == "province" and province is not None:
            candidates.append(("province", province.code))
        elif scope == "national":
            candidates.append(("national", "000000"))
    for kind, code in candidates:
        rows = session.execute(
            text("SELECT node_id, year, output_value, employees, firms, chain FROM baseline "
                 "WHERE scope = :scope AND (chain = :chain OR node_id = '*')"),
            {"scope": code, "chain": chain.id},
        ).all()
        node_years = sorted({r[1] for r in rows if r[0] != "*" and r[5] == chain.id})
        pick = _pick_year(node_years, year)
        if pick is None:
            continue
        total_years = sorted({r[1] for r in rows if r[0] == "*"})
        total_pick = pick if pick in total_years else _pick_year(total_years, pick)
        nodes = {r[0]: {"output": r[2], "employees": r[3], "firms": r[4]}
                 for r in rows if r[1] == pick and r[0] != "*" and r[5] == chain.id}
        total = next(({"output": r[2], "employees": r[3]} for r in rows
                      if r[0] == "*" and r[1] == total_pick and r[5] in (chain.id, "*")), None)
        if total is None:
            total = next(({"output": r[2], "employees": r[3]} for r in rows if r[0] == "*" and r[1] == total_pick),
                         None)
        return {"scope": code, "scope_kind": kind, "year": pick, "total_year": total_pick, "nodes": nodes,
                "total": total}
    return {"scope": None, "scope_kind": None, "year": None, "nodes": {}, "total": None}


def _region_total(session: Session, region: str, year: int) -> dict:
    rows = session.execute(text("SELECT year, output_value, employees FROM region_total WHERE region_code = :r"),
                           {"r": region}).all()
    pick = _pick_year([r[0] for r in rows], year)
    for r in rows:
        if r[0] == pick:
            return {"year": pick, "output": r[1], "employees": r[2]}
    return {"year": None, "output": None, "employees": None}


def _baseline_for(chain: Chain, node_id: str, base_nodes: dict) -> tuple[dict | None, str]:
    if node_id in base_nodes:
        return base_nodes[node_id], "node"
    parts = [base_nodes[d] for d in chain.descendants(node_id) if d in base_nodes and chain.is_leaf(d)]
    if not parts:
        return None, "none"

    def total(key: str) -> float | None:
        values = [p[key] for p in parts if p.get(key) is not None]
        return float(sum(values)) if values else None

    return {"output": total("output"), "employees": total("employees")}, f"sum of {len(parts)} child nodes"


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def location_quotient(local: dict, region_total: dict, base_node: dict | None, base_total: dict | None) -> dict:
    """LQ = (local node / region total) / (baseline node / baseline total), on output, else on employees.

    Returns a dict with ``value`` (None when it cannot be computed), ``basis`` and ``reason`` and the four inputs.
    """
    if base_node is None or base_total is None:
        return {"value": None, "basis": None, "reason": "无基准数据 no baseline for this node"}
    reasons = []
    for basis in ("output", "employees"):
        parts = {"local": local.get(basis), "region_total": region_total.get(basis),
                 "baseline_node": base_node.get(basis), "baseline_total": base_total.get(basis)}
        missing = [k for k, v in parts.items() if v is None or (k != "local" and v == 0)]
        if missing:
            reasons.append(f"{basis}: missing {', '.join(missing)}")
            continue
        value = (parts["local"] / parts["region_total"]) / (parts["baseline_node"] / parts["baseline_total"])
        return {"value": round(value, 4), "basis": basis, "reason": None, **parts}
    return {"value": None, "basis": None, "reason": "; ".join(reasons)}


# --------------------------------------------------------------------------- signals and projects (wiring points)


def node_signals(session: Session, chain: str, node_ids: list[str], codes: list[str], since: date,
                 until: date) -> dict[str, dict[str, int]]:
    """News events per node in [since, until]: {node_id: {event_type: count}}.

    An event counts for a node when its article was read as being about that node (``fact_article_node``); the
    news may be from anywhere, since a signing or a financing elsewhere is a signal for the node too.
    """
    from sqlalchemy import distinct, func, select

    from xinlian.store.tables.facts import ArticleEvent, ArticleNode

    if not node_ids:
        return {}
    stmt = (select(ArticleNode.node_id, ArticleEvent.type, func.count(distinct(ArticleEvent.id)))
            .join(ArticleNode, ArticleNode.article_id == ArticleEvent.article_id)
            .where(ArticleNode.chain == chain, ArticleNode.node_id.in_(node_ids),
                   ArticleEvent.date >= since.isoformat(), ArticleEvent.date <= until.isoformat())
            .group_by(ArticleNode.node_id, ArticleEvent.type))
    out: dict[str, dict[str, int]] = {}
    for node_id, kind, count in session.execute(stmt):
        out.setdefault(node_id, {})[str(kind)] = int(count)
    return out


def node_projects(session: Session, chain: str, codes: list[str]) -> dict[str, list[dict]]:
    """Pipeline projects per node: {node_id: [{id, name, stage, status, expected_output_yuan, producing, ...}]}.

    Reads ``xinlian.store.tables.work.Project`` (chain, node_id, stage, status, investor_id, expected_output) when
    it exists; otherwise {}. Terminated projects are left out. A project is ``producing`` at 投产/达产; it then
    ``counts`` as a local supplier with its expected output, unless its investor is already a local firm on the
    node (whose own figures already hold that output).
    """
    try:
        from xinlian.store.tables import work  # type: ignore[attr-defined]
    except ImportError:
        return {}
    model = getattr(work, "Project", None)
    if model is None or not {"node_id", "stage"} <= set(model.__table__.columns.keys()):
        return {}
    cols = set(model.__table__.columns.keys())
    table = model.__table__
    from sqlalchemy import select

    stmt = select(table).where(table.c.node_id.is_not(None))
    if "chain" in cols:
        stmt = stmt.where(table.c.chain == chain)
    if "status" in cols:
        stmt = stmt.where(table.c.status != "terminated")
    if "region_code" in cols:
        stmt = stmt.where(table.c.region_code.in_(codes))
    rows = list(session.execute(stmt.order_by(table.c.id)).mappings())
    investors = sorted({r["investor_id"] for r in rows if r.get("investor_id") is not None})
    placed: set[tuple[int, str]] = set()
    if investors:
        q = text("SELECT en.enterprise_id, en.node_id FROM enterprise_node en JOIN enterprise e ON e.id = en.enterprise_id "
                 "WHERE en.chain = :chain AND e.status = 'active' AND e.region_code IN :codes AND e.id IN :ids"
                 ).bindparams(bindparam("codes", expanding=True), bindparam("ids", expanding=True))
        placed = {(int(a), b) for a, b in session.execute(q, {"chain": chain, "codes": codes, "ids": investors})}
    out: dict[str, list[dict]] = {}
    for row in rows:
        stage = str(row["stage"])
        producing = stage in PRODUCING_STAGES
        investor = row.get("investor_id")
        already = investor is not None and (int(investor), row["node_id"]) in placed
        out.setdefault(row["node_id"], []).append({
            "id": str(row["id"]), "name": row.get("name"), "stage": stage, "status": row.get("status"),
            "investor_id": str(investor) if investor is not None else None,
            "expected_output_yuan": row.get("expected_output"),
            "producing": producing, "counts": producing and not already,
        })
    return out


# --------------------------------------------------------------------------- assembly


def _cagr(panels: dict[int, dict], year: int, span: int) -> dict:
    """CAGR of output from the earliest start year in [year - span, year) to ``year``, over the firms with output
    in both years."""
    for start_year in range(year - span, year):
        p = panels.get(start_year)
        if p and p["start"] and p["start"] > 0 and p["end"] and p["end"] > 0:
            n = year - start_year
            return {"cagr": round((p["end"] / p["start"]) ** (1 / n) - 1, 4), "from_year": start_year,
                    "to_year": year, "from_output_yuan": p["start"], "to_output_yuan": p["end"],
                    "firms_in_both_years": p["firms"]}
    return {"cagr": None, "from_year": None, "to_year": year,
            "reason": "无可比的往年产值 no firm with output in an earlier year of the window"}


def _region_parts(session: Session, chain: Chain, codes: list[str], rules: Rules, cap: int,
                  demand_pairs: list[tuple[str, str]]) -> dict:
    """The region's figures from the large tables (queries 0 to 4 of the module docstring), as JSON data:
    {year, totals, tops, demand, chain_total}."""
    span = rules.figures.growth_years
    # On an error the session's rollback removes the temporary tables with everything else.
    placements = _Placements(session, chain, codes, rules.figures.attribution, cap, span)
    pw, year = placements.name, placements.year
    parts = {"year": year, "totals": _node_totals(session, pw, span),
             "tops": _top_firms(session, pw, rules.figures.max_firms_listed),
             "chain_total": list(_chain_total(session, pw)) if year is not None else [None, None, None],
             "demand": _demand(session, pw, demand_pairs)}
    placements.close()
    return parts


def compute_figures(session: Session, chain: Chain, region: str, as_of: date, rules: Rules) -> RegionFigures:
    """All node figures of ``chain`` for ``region`` at ``as_of`` (figures of the latest year ≤ as_of's year)."""
    codes = local_codes(region)
    demand_pairs = [(n, dst) for n in chain.nodes for dst in outputs_of_subtree(chain, n)]
    span = rules.figures.growth_years
    # Everything the region's parts depend on besides the registry tables (chain.summary stores them under it).
    key = {"chain": chain.id, "nodes": sorted(chain.nodes),
           "nodemap": sorted((d, n) for n in chain.nodes for d in subtree(chain, n)), "demand": sorted(demand_pairs),
           "codes": sorted(codes), "cap": as_of.year, "attribution": rules.figures.attribution, "span": span,
           "listed": rules.figures.max_firms_listed}
    parts = summary.reuse(session, "diagnosis_region", key,
                          lambda: _region_parts(session, chain, codes, rules, as_of.year, demand_pairs))
    year, totals, tops, demand = parts["year"], parts["totals"], parts["tops"], parts["demand"]
    ref_year = year or as_of.year
    years: dict = {}
    chain_out, chain_emp, _ = parts["chain_total"]
    if year is not None:
        years = _node_growth(totals, year, span)
    base = _baseline(session, chain, region, ref_year, rules.figures.baseline_scopes)
    rtotal = _region_total(session, region, ref_year)
    months = rules.figures.signal_months
    since = months_before(as_of, months)
    signals = node_signals(session, chain.id, list(chain.nodes), codes, since, as_of)
    projects = node_projects(session, chain.id, codes)

    nodes: dict[str, NodeFigures] = {}
    for node in chain.nodes.values():
        t = totals.get(node.id) or {}
        nf = NodeFigures(id=node.id, name=node.name, stage=node.stage, is_group=not chain.is_leaf(node.id))
        nf.local_firms = int(t.get("firms") or 0)
        nf.firms = tops.get(node.id, [])
        nf.output_yuan = float(t["output"]) if t.get("n_output") else None
        nf.employees = float(t["employees"]) if t.get("n_employees") else None
        nf.revenue_yuan = float(t["revenue"]) if t.get("revenue") is not None else None
        nf.projects = projects.get(node.id, [])
        producing = [p for p in nf.projects if p["counts"]]
        if producing:
            # A project in production is a local supplier now; its expected output counts.
            nf.project_output_yuan = float(sum(p["expected_output_yuan"] or 0 for p in producing))
            nf.local_firms += len(producing)
            if nf.project_output_yuan:
                nf.output_yuan = (nf.output_yuan or 0.0) + nf.project_output_yuan
        nf.chain_share = _ratio(nf.output_yuan, float(chain_out) if chain_out else None)
        nf.growth = _cagr(years.get(node.id, {}), year, rules.figures.growth_years) if year else {
            "cagr": None, "reason": "no figures"}
        rd_rev = t.get("rd_revenue")
        nf.technology = {
            "high_tech": int(t.get("high_tech") or 0), "specialised": int(t.get("specialised") or 0),
            "little_giant": int(t.get("little_giant") or 0), "chain_leaders": int(t.get("chain_leaders") or 0),
            "patents": int(t["patents"]) if t.get("patents") is not None else None,
            "rd_spend_yuan": float(t["rd_spend"]) if t.get("rd_spend") is not None else None,
            "rd_intensity": round(float(t["rd_spend"]) / float(rd_rev), 4) if rd_rev else None,
        }
        if nf.output_yuan and t.get("output_sq") is not None and t.get("output"):
            nf.hhi = round(float(t["output_sq"]) / float(t["output"]) ** 2, 4)
            nf.hhi_basis = "output"
        elif nf.local_firms:
            nf.hhi = round(1.0 / nf.local_firms, 4)
            nf.hhi_basis = "firm count (no output figures)"
        base_node, base_how = _baseline_for(chain, node.id, base["nodes"])
        lq = location_quotient({"output": nf.output_yuan, "employees": nf.employees}, rtotal, base_node,
                               base["total"])
        if lq["value"] is None and nf.local_firms == 0 and base_node is not None and base["total"] is not None:
            lq = {"value": 0.0, "basis": "output", "reason": "本地无企业 no local firms"}
        lq["baseline"] = base_how
        nf.location_quotient = lq["value"]
        nf.lq = lq
        basis = lq.get("basis")
        size_share = _ratio(nf.output_yuan if basis != "employees" else nf.employees,
                            (base_node or {}).get(basis or "output"))
        focus_share = _ratio(nf.output_yuan if basis != "employees" else nf.employees, rtotal.get(basis or "output"))
        nf.stars = {
            "size": None if size_share is None else size_share >= rules.stars.size_min_share,
            "size_share": None if size_share is None else round(size_share, 6),
            "specialisation": None if lq["value"] is None else lq["value"] >= rules.stars.specialisation_min_lq,
            "focus": None if focus_share is None else focus_share >= rules.stars.focus_min_share,
            "focus_share": None if focus_share is None else round(focus_share, 6),
        }
        nf.stars["count"] = sum(1 for k in ("size", "specialisation", "focus") if nf.stars[k])
        outputs = outputs_of_subtree(chain, node.id)
        nf.demand = {"firms": demand.get(node.id, 0), "nodes": outputs}
        nf.signals = signals.get(node.id, {})
        nodes[node.id] = nf

    # Demand detail and supply figures need every node's counts, so they come second.
    for node in chain.nodes.values():
        nf = nodes[node.id]
        nf.demand["nodes_with_local_firms"] = [
            {"id": d, "name": chain.nodes[d].name, "local_firms": nodes[d].local_firms}
            for d in nf.demand["nodes"] if nodes[d].local_firms > 0]
        inputs = inputs_of_subtree(chain, node.id)
        detail = [{"id": i, "name": chain.nodes[i].name, "local_suppliers": nodes[i].local_firms,
                   "hhi": nodes[i].hhi} for i in inputs]
        nf.supply = {"inputs": detail, "missing_inputs": [d["id"] for d in detail if d["local_suppliers"] == 0]}
        if node.stage in rules.supply_stages and inputs:
            nf.local_supply_ratio = round(sum(1 for d in detail if d["local_suppliers"] > 0) / len(detail), 4)

    return RegionFigures(
        chain=chain.id, region=region, codes=codes, as_of=as_of, year=year,
        chain_output_yuan=float(chain_out) if chain_out is not None else None,
        chain_employees=float(chain_emp) if chain_emp is not None else None,
        region_total=rtotal, baseline={k: v for k, v in base.items() if k != "nodes"}, nodes=nodes,
    )


def months_before(day: date, months: int) -> date:
    """The first day of the month ``months`` months before ``day``'s month (12 months before 2026-11-29: 2025-11-01)."""
    index = day.year * 12 + (day.month - 1) - months
    return date(index // 12, index % 12 + 1, 1)
