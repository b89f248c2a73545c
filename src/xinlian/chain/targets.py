"""Whom to attract (链式招引): outside firms for the region's missing and weak nodes, ranked by named parts.

A target's score is the sum of the parts it earns, each shown as a Chinese reason with its numbers and points:
node fit (main or secondary business), scale (output or revenue percentile among the node's candidates),
technology markers (高新, 专精特新, 小巨人, 上市, patents, R&D intensity), expansion signals from the news, and ties
to the region's chain leaders. Weights live in ``data/rules/diagnosis.yaml`` (``targets.weights``).

The database scores the parts it can without ranking (fit, technology) for every candidate in one narrow query
(node, firm, points, scale); Python gives each its scale tier (a percentile within the node's candidates) and
keeps ``top_n × pool_factor`` per node (on PostgreSQL the query itself does this with window functions, so only
the pool leaves the server), whose details are read in one more query; the news and leader parts are
then added and the pool is ranked again. The pool (node, firm, base score, scale tier) is stored and used again
until the registry changes (``chain.summary``; PostgreSQL only, not at security level 3).
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from dataclasses import asdict, dataclass, field
from datetime import date
from types import SimpleNamespace

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from xinlian.chain import summary
from xinlian.chain.figures import RegionFigures, months_before
from xinlian.chain.leaders import Leader, leader_ties
from xinlian.chain.rules import Rules
from xinlian.chain.taxonomy import Chain
from xinlian.registry import sensitive
from xinlian.store.dialect import dialect_name

__all__ = ["Target", "find_targets", "firm_signals"]

NEW_PROJECT_EVENTS = ("signing", "groundbreaking", "production_start")


@dataclass
class Target:
    node_id: str
    enterprise_id: str
    name: str
    region_code: str | None
    score: float
    reasons: list[str]
    parts: list[dict] = field(default_factory=list)
    output_yuan: float | None = None

    def to_contract(self) -> dict:
        return {"enterprise_id": self.enterprise_id, "name": self.name, "score": self.score,
                "reasons": self.reasons, "parts": self.parts, "region_code": self.region_code,
                "output_yuan": self.output_yuan}

    def to_dict(self) -> dict:
        return asdict(self)


def firm_signals(session: Session, enterprise_ids: list[str], since: date, until: date) -> dict[str, dict[str, int]]:
    """News events per enterprise in [since, until]: {enterprise_id: {event_type: count}}.

    An event counts for an enterprise when the same article mentions the enterprise through a confirmed link
    (``fact_mention_link``): financing, signings and production starts elsewhere are expansion signals.
    """
    from sqlalchemy import distinct, func, select

    from xinlian.store.tables.facts import ArticleEvent, Mention, MentionLink

    if not enterprise_ids:
        return {}
    out: dict[str, dict[str, int]] = {}
    ids = [int(i) for i in enterprise_ids]
    for start in range(0, len(ids), 5000):
        stmt = (select(MentionLink.enterprise_id, ArticleEvent.type, func.count(distinct(ArticleEvent.id)))
                .join(Mention, Mention.id == MentionLink.mention_id)
                .join(ArticleEvent, ArticleEvent.article_id == Mention.article_id)
                .where(MentionLink.enterprise_id.in_(ids[start:start + 5000]), MentionLink.status == "confirmed",
                       ArticleEvent.date >= since.isoformat(), ArticleEvent.date <= until.isoformat())
                .group_by(MentionLink.enterprise_id, ArticleEvent.type))
        for eid, kind, count in session.execute(stmt):
            out.setdefault(str(eid), {})[str(kind)] = int(count)
    return out


def _num(x: float) -> str:
    """A weight inlined in SQL (validated numbers only)."""
    return repr(float(x))


def _candidates_sql(w: dict, fig: str = "enterprise_figure") -> str:
    """One narrow pass over the candidates: (node, firm, the points the database can score without scale, scale).
    Points are float arithmetic (``DOUBLE PRECISION``: PostgreSQL would otherwise sum exact decimals on every
    candidate), the same sums as the Python parts. ``CROSS JOIN`` keeps SQLite reading the node's placements
    first (its planner would otherwise scan every enterprise and probe each node in the list); PostgreSQL plans
    it as an ordinary join."""
    return f"""
SELECT en.node_id AS node_id, en.enterprise_id AS eid,
  (CAST(CASE WHEN en.role = 'main' THEN {_num(w['role_main'])} ELSE {_num(w['role_secondary'])} END AS DOUBLE PRECISION)
   + CASE WHEN e.high_tech THEN {_num(w['high_tech'])} ELSE 0 END
   + CASE WHEN e.specialised THEN {_num(w['specialised'])} ELSE 0 END
   + CASE WHEN e.little_giant THEN {_num(w['little_giant'])} ELSE 0 END
   + CASE WHEN e.listed THEN {_num(w['listed'])} ELSE 0 END
   + CASE WHEN f.patents >= {_num(w['patents']['min'])} THEN {_num(w['patents']['points'])} ELSE 0 END
   + CASE WHEN f.revenue > 0 AND f.rd_spend / f.revenue >= {_num(w['rd_intensity']['min'])}
          THEN {_num(w['rd_intensity']['points'])} ELSE 0 END) AS fixed_points,
  COALESCE(f.output_value, f.revenue) AS scale
FROM enterprise_node en CROSS JOIN enterprise e
LEFT JOIN {fig} f ON f.enterprise_id = en.enterprise_id AND f.year = :year
WHERE e.id = en.enterprise_id AND en.chain = :chain AND en.node_id IN :nodes AND e.status = 'active'
  AND (e.region_code IS NULL OR e.region_code NOT IN :codes)"""


def _details_sql(fig: str = "enterprise_figure") -> str:
    """Every placement on the chain of the pool's firms, with what their parts and reasons are made of."""
    return f"""
SELECT en.enterprise_id AS eid, en.node_id AS node_id, en.role AS role, e.name AS name, e.region_code AS region_code,
  e.high_tech AS high_tech, e.specialised AS specialised, e.little_giant AS little_giant, e.listed AS listed,
  f.output_value AS output, f.revenue AS revenue, f.patents AS patents, f.rd_spend AS rd_spend
FROM enterprise e JOIN enterprise_node en ON en.enterprise_id = e.id AND en.chain = :chain
LEFT JOIN {fig} f ON f.enterprise_id = e.id AND f.year = :year
WHERE e.id IN :ids"""


def _tier_points(n_scaled: int, tiers: list[dict]) -> list[float]:
    """Scale points by ``n_at_least`` (0..n_scaled): the first tier (by ``top``, ascending) with
    ``n_at_least / n_scaled <= top`` wins. The fraction only grows with ``n_at_least``, so one walk suffices."""
    points: list[float] = [0] * (n_scaled + 1)
    i = 0
    for k in range(1, n_scaled + 1):
        while i < len(tiers) and k / n_scaled > tiers[i]["top"]:
            i += 1
        if i == len(tiers):
            break
        points[k] = tiers[i]["points"]
    return points


def _rank_pool(rows, tiers: list[dict], pool: int) -> list[SimpleNamespace]:
    """The ``pool`` best candidates of each node by the database's points plus the scale tier: the scale part goes
    to a candidate whose scale is in the node's top fraction (``n_at_least / n_scaled``: candidates with at least
    its scale, among those with a scale). Best first by points, then scale, then enterprise id."""
    by_node: dict[str, list] = {}
    for node_id, eid, fixed, scale in rows:
        by_node.setdefault(node_id, []).append((eid, fixed, scale))
    out: list[SimpleNamespace] = []
    for node_id in sorted(by_node):
        cands = by_node[node_id]
        scales = sorted([c[2] for c in cands if c[2] is not None])
        n_scaled = len(scales)
        by_k = _tier_points(n_scaled, tiers)
        keyed = []
        for eid, fixed, scale in cands:
            if scale is None:
                keyed.append((-fixed, 1, eid, None, None, fixed))
            else:
                k = n_scaled - bisect_left(scales, scale)
                score = fixed + by_k[k]
                keyed.append((-score, -scale, eid, scale, k, score))
        for rank, (_s, _c, eid, scale, n_at_least, score) in enumerate(heapq.nsmallest(pool, keyed), 1):
            out.append(SimpleNamespace(node_id=node_id, eid=int(eid), scale=scale, n_scaled=n_scaled,
                                       n_at_least=n_at_least, base_score=score, rn=rank))
    return out


_RANKED_COLUMNS = ("node_id", "eid", "scale", "n_scaled", "n_at_least", "base_score", "rn")


def _ranked_sql(candidates: str, tiers: list[dict], pool: int) -> str:
    """``_rank_pool`` done by the database (used on PostgreSQL: the candidates never leave the server). The same
    definition: ``n_at_least`` counts the node's candidates with a scale at least the candidate's (a window ordered
    by scale, its peers included), the first tier (by ``top``, ascending) whose fraction holds
    ``n_at_least / n_scaled`` gives the scale points, in the same double-precision arithmetic; then best first by
    points, scale (none after any scale) and enterprise id, the ``pool`` best of each node. ``candidates`` is SQL
    giving (node_id, eid, fixed_points, scale); rows come back as ``_RANKED_COLUMNS``."""
    tier_case = " ".join(
        f"WHEN CAST(n_at_least AS DOUBLE PRECISION) / n_scaled <= {_num(t['top'])} "
        f"THEN CAST({_num(t['points'])} AS DOUBLE PRECISION)" for t in tiers)
    return f"""
WITH cand AS ({candidates}),
counted AS (
  SELECT node_id, eid, fixed_points, scale, COUNT(scale) OVER (PARTITION BY node_id) AS n_scaled,
    CASE WHEN scale IS NOT NULL THEN COUNT(scale) OVER (PARTITION BY node_id ORDER BY scale DESC) END AS n_at_least
  FROM cand
),
scored AS (
  SELECT node_id, eid, scale, n_scaled, n_at_least,
    fixed_points + CASE WHEN n_at_least IS NULL THEN CAST(0 AS DOUBLE PRECISION) {tier_case}
                        ELSE CAST(0 AS DOUBLE PRECISION) END AS score
  FROM counted
),
ranked AS (
  SELECT node_id, eid, scale, n_scaled, n_at_least, score, ROW_NUMBER() OVER (
    PARTITION BY node_id ORDER BY score DESC, CASE WHEN scale IS NULL THEN 1 ELSE -scale END, eid) AS rn
  FROM scored
)
SELECT node_id, eid, scale, n_scaled, n_at_least, score, rn FROM ranked WHERE rn <= {int(pool)} ORDER BY node_id, rn"""


def _reason(text_: str, points: float) -> str:
    """"主营环节匹配（衬底）+30", "高新技术企业 +5": the points follow a closing bracket directly."""
    return f"{text_}{'' if text_.endswith('）') else ' '}+{points:g}"


def _yi(x: float) -> str:
    return f"{x / 1e8:.1f} 亿元" if abs(x) >= 1e7 else f"{x / 1e4:.0f} 万元"


def _parts(row, node_name: str, w: dict, tiers: list[dict]) -> list[dict]:
    parts: list[dict] = []

    def add(name: str, points: float, reason: str) -> None:
        if points:
            parts.append({"name": name, "points": float(points), "reason": _reason(reason, points)})

    if row.role == "main":
        add("node_fit", w["role_main"], f"主营环节匹配（{node_name}）")
    else:
        add("node_fit", w["role_secondary"], f"兼营环节匹配（{node_name}）")
    top_frac = row.n_at_least / row.n_scaled if row.scale is not None and row.n_scaled else None
    if top_frac is not None:
        for tier in tiers:
            if top_frac <= tier["top"]:
                label = "产值" if row.output is not None else "营收"
                add("scale", tier["points"],
                    f"规模：{label} {_yi(row.scale)}，位列候选前 {tier['top'] * 100:g}%（{row.n_scaled} 家候选）")
                break
    if row.high_tech:
        add("high_tech", w["high_tech"], "高新技术企业")
    if row.specialised:
        add("specialised", w["specialised"], "专精特新企业")
    if row.little_giant:
        add("little_giant", w["little_giant"], "专精特新“小巨人”")
    if row.listed:
        add("listed", w["listed"], "上市企业")
    if row.patents is not None and row.patents >= w["patents"]["min"]:
        add("patents", w["patents"]["points"], f"专利 {row.patents} 件（≥ {w['patents']['min']:g}）")
    if row.revenue and row.rd_spend is not None and row.rd_spend / row.revenue >= w["rd_intensity"]["min"]:
        add("rd_intensity", w["rd_intensity"]["points"],
            f"研发强度 {row.rd_spend / row.revenue * 100:.1f}%（≥ {w['rd_intensity']['min'] * 100:g}%）")
    return parts


def find_targets(session: Session, chain: Chain, figs: RegionFigures, rules: Rules, node_ids: list[str],
                 leaders: list[Leader], *, top_n: int | None = None) -> dict[str, list[Target]]:
    """Ranked outside firms for each of ``node_ids``: {node_id: [Target, ...]} (best first, at most top_n)."""
    node_ids = [n for n in node_ids if n in chain.nodes]
    if not node_ids:
        return {}
    top_n = top_n or rules.targets.top_n
    w = rules.targets.weights
    tiers = sorted(w["scale"], key=lambda t: t["top"])
    pool = top_n * rules.targets.pool_factor
    year = figs.year or 0
    # Security level 3: the candidates' money figures decrypted into a temporary table (registry.sensitive).
    with sensitive.readable_figures(session, [year], ("output_value", "revenue", "rd_spend"),
                                    firms="SELECT enterprise_id FROM enterprise_node WHERE chain = :chain "
                                          "AND node_id IN :nodes", params={"chain": chain.id, "nodes": node_ids}) as fig:
        params = {"chain": chain.id, "nodes": node_ids, "codes": figs.codes, "year": year}
        sql = text(_candidates_sql(w, fig)).bindparams(bindparam("nodes", expanding=True),
                                                        bindparam("codes", expanding=True))
        # The pool depends on the registry tables and these only (chain.summary stores it until they change).
        key = {**params, "nodes": sorted(node_ids), "codes": sorted(figs.codes), "weights": w, "pool": pool}
        if dialect_name(session) == "postgresql":
            # PostgreSQL ranks in the query (_ranked_sql) and sends only the pool.
            ranked_sql = text(_ranked_sql(_candidates_sql(w, fig), tiers, pool)).bindparams(
                bindparam("nodes", expanding=True), bindparam("codes", expanding=True))

            def compute() -> list[dict]:
                return [dict(zip(_RANKED_COLUMNS, r)) for r in session.execute(ranked_sql, params).all()]
        else:
            def compute() -> list[dict]:
                return [vars(r) for r in _rank_pool(session.execute(sql, params), tiers, pool)]
        ranked = [SimpleNamespace(**r) for r in summary.reuse(session, "diagnosis_targets", key, compute)]
        if not ranked:
            return {}
        pool_ids = sorted({r.eid for r in ranked})
        details: dict[tuple[str, int], object] = {}
        firm_nodes: dict[str, set[str]] = {}
        q = text(_details_sql(fig)).bindparams(bindparam("ids", expanding=True))
        for start in range(0, len(pool_ids), 5000):
            for d in session.execute(q, {"chain": chain.id, "year": year, "ids": pool_ids[start:start + 5000]}):
                details[(d.node_id, int(d.eid))] = d
                firm_nodes.setdefault(str(d.eid), set()).add(d.node_id)
    rows = []
    for r in ranked:
        d = details[(r.node_id, r.eid)]
        rows.append(SimpleNamespace(**vars(r), **{k: getattr(d, k) for k in (
            "role", "name", "region_code", "high_tech", "specialised", "little_giant", "listed", "output", "revenue",
            "patents", "rd_spend")}))
    pool_ids = [str(i) for i in pool_ids]
    signals = firm_signals(session, pool_ids, months_before(figs.as_of, rules.figures.signal_months), figs.as_of)
    ties = leader_ties(chain, leaders)
    months = rules.figures.signal_months

    out: dict[str, list[Target]] = {}
    for row in rows:
        eid = str(row.eid)
        parts = _parts(row, chain.nodes[row.node_id].name, w, tiers)
        # News: expansion signals, capped.
        sig = signals.get(eid, {})
        news_parts = []
        if sig.get("financing"):
            news_parts.append(("financing", w["financing"], f"融资：近 {months} 个月 {sig['financing']} 次"))
        n_projects = sum(sig.get(k, 0) for k in NEW_PROJECT_EVENTS)
        if n_projects:
            news_parts.append(("new_project", w["new_project"], f"新项目：近 {months} 个月在外地签约/开工/投产 {n_projects} 次"))
        budget = w["signals_cap"]
        for name, pts, reason in news_parts:
            pts = min(pts, budget)
            budget -= pts
            if pts:
                parts.append({"name": name, "points": float(pts), "reason": _reason(reason, pts)})
        # Ties to local chain leaders, one per kind, capped.
        budget = w["leaders_cap"]
        labels = {"supplier": "为本地链主「{0}」的{1}环节供货", "tier2": "为本地链主「{0}」{1}环节的供应商供货",
                  "customer": "采购本地链主「{0}」{1}环节的产品"}
        for kind in ("supplier", "tier2", "customer"):
            order = [row.node_id, *sorted(firm_nodes.get(eid, set()) - {row.node_id})]
            hit = next(((n, t) for n in order for t in ties.get(n, []) if t[0] == kind), None)
            if hit is None:
                continue
            node, (_k, leader_name, via) = hit
            pts = min(w[f"leader_{kind}"], budget)
            budget -= pts
            if pts:
                reason = "链主关联：" + labels[kind].format(leader_name, f"「{via}」") + f"（{chain.nodes[node].name}）"
                parts.append({"name": f"leader_{kind}", "points": float(pts), "reason": _reason(reason, pts)})
        score = round(sum(p["points"] for p in parts), 4)
        out.setdefault(row.node_id, []).append(Target(
            node_id=row.node_id, enterprise_id=eid, name=row.name, region_code=row.region_code, score=score,
            reasons=[p["reason"] for p in parts], parts=parts,
            output_yuan=float(row.output) if row.output is not None else None))
    for node_id, targets in out.items():
        targets.sort(key=lambda t: (-t.score, -(t.output_yuan or 0), int(t.enterprise_id)))
        out[node_id] = targets[:top_n]
    return out
