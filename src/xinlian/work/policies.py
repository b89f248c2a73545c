"""Policies (惠企政策) with structured eligibility, matched to enterprises with the reason for every criterion.

A policy's ``criteria`` is a JSON object whose keys and values are defined in ``data/rules/policy_criteria.yaml``
(region, chain nodes, flags, thresholds on yearly figures, founding date); the policy's own validity dates are the
date criterion. ``evaluate`` checks one enterprise against one policy and returns every criterion with passed or
failed and a Chinese reason naming the numbers, so a match can be explained to the firm and to the leader.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from xinlian.store.tables.registry import Enterprise
from xinlian.store.tables.work import Policy
from xinlian.work.common import NotFound, WorkError, as_aware, get_or_missing, session_of
from xinlian.work.rules import criteria_vocabulary

OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}


@dataclass
class Check:
    criterion: str  # region | chain_nodes | flags_all | flags_any | figures | founded_before | founded_after | dates
    passed: bool
    reason: str

    def to_dict(self) -> dict:
        return {"criterion": self.criterion, "passed": self.passed, "reason": self.reason}


@dataclass
class Verdict:
    policy_id: int
    enterprise_id: int
    eligible: bool
    checks: list[Check] = field(default_factory=list)

    @property
    def why(self) -> list[str]:
        return [("✓ " if c.passed else "✗ ") + c.reason for c in self.checks]


# --- validation -----------------------------------------------------------------------------------------------

def _iso(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def criteria_errors(criteria) -> list[str]:
    """Problems with a criteria object, in Chinese (empty when valid)."""
    vocab = criteria_vocabulary()
    if not isinstance(criteria, dict):
        return ["适用条件应为 JSON 对象"]
    errs = [f"未知的条件 {k!r}（可用: {', '.join(vocab.keys)}）" for k in criteria if k not in vocab.keys]
    region = criteria.get("region")
    if region is not None:
        if not isinstance(region, dict) or not isinstance(region.get("code"), str) or len(region["code"]) != 6 \
                or not region["code"].isdigit():
            errs.append("region 应为 {code: 六位区划代码, include_descendants: true/false}")
    nodes = criteria.get("chain_nodes")
    if nodes is not None:
        if not isinstance(nodes, dict) or not isinstance(nodes.get("nodes"), list) or not nodes["nodes"]:
            errs.append("chain_nodes 应为 {chain: 链, nodes: [环节id…], include_descendants: true/false}")
        else:
            from xinlian.chain.taxonomy import load_chain

            try:
                chain = load_chain(nodes.get("chain") or "semiconductor")
                errs += [f"产业链「{chain.name}」中没有环节 {n!r}" for n in nodes["nodes"] if n not in chain.nodes]
            except Exception as exc:  # unknown chain file
                errs.append(f"未知的产业链 {nodes.get('chain')!r}: {exc}")
    for key in ("flags_all", "flags_any"):
        val = criteria.get(key)
        if val is not None:
            if not isinstance(val, list) or not val:
                errs.append(f"{key} 应为非空列表")
            else:
                errs += [f"{key} 中未知的资质 {f!r}（可用: {', '.join(vocab.flags)}）" for f in val
                         if f not in vocab.flags]
    figs = criteria.get("figures")
    if figs is not None:
        if not isinstance(figs, list):
            errs.append("figures 应为列表")
        else:
            for i, f in enumerate(figs, 1):
                if not isinstance(f, dict):
                    errs.append(f"figures 第 {i} 项应为对象")
                    continue
                if f.get("field") not in vocab.figures:
                    errs.append(f"figures 第 {i} 项: 未知的指标 {f.get('field')!r}（可用: {', '.join(vocab.figures)}）")
                if f.get("op") not in vocab.operators:
                    errs.append(f"figures 第 {i} 项: 比较符应为 {' '.join(vocab.operators)}")
                if isinstance(f.get("value"), bool) or not isinstance(f.get("value"), (int, float)):
                    errs.append(f"figures 第 {i} 项: value 应为数字")
                year = f.get("year", "latest")
                if year != "latest" and not (isinstance(year, int) and 1900 < year < 2200):
                    errs.append(f"figures 第 {i} 项: year 应为 latest 或年份")
                extra = set(f) - {"field", "op", "value", "year"}
                if extra:
                    errs.append(f"figures 第 {i} 项: 未知的键 {sorted(extra)}")
    for key in ("founded_before", "founded_after"):
        if key in criteria and _iso(criteria[key]) is None:
            errs.append(f"{key} 应为 YYYY-MM-DD 日期")
    return errs


def validate_criteria(criteria) -> dict:
    errs = criteria_errors(criteria)
    if errs:
        raise WorkError("政策适用条件有误：" + "；".join(errs))
    return criteria


# --- policies -------------------------------------------------------------------------------------------------

def add_policy(db, *, title: str, criteria: dict, issuer: str | None = None, doc_no: str | None = None,
               issued_on: date | None = None, valid_from: date | None = None, valid_to: date | None = None,
               url: str | None = None, text: str | None = None, benefits: str | None = None,
               user: str | None = None, is_sample: bool = False) -> dict:
    """Store a policy after validating its criteria."""
    if not (title or "").strip():
        raise WorkError("政策标题不能为空")
    validate_criteria(criteria)
    if valid_from and valid_to and valid_to < valid_from:
        raise WorkError(f"有效期结束日 {valid_to} 早于开始日 {valid_from}")
    with session_of(db) as s:
        p = Policy(title=title.strip(), criteria=criteria, issuer=issuer, doc_no=doc_no, issued_on=issued_on,
                   valid_from=valid_from, valid_to=valid_to, url=url, text=text, benefits=benefits,
                   created_by=user, is_sample=is_sample)
        s.add(p)
        s.flush()
        return policy_dict(p)


def policy_dict(p: Policy) -> dict:
    return {"id": p.id, "title": p.title, "issuer": p.issuer, "doc_no": p.doc_no, "issued_on": p.issued_on,
            "valid_from": p.valid_from, "valid_to": p.valid_to, "url": p.url, "benefits": p.benefits,
            "criteria": p.criteria, "criteria_text": describe_criteria(p.criteria or {}), "is_sample": p.is_sample,
            "created_at": as_aware(p.created_at)}


def list_policies(db, *, on: date | None = None) -> list[dict]:
    """Policies (only those valid on ``on`` when given), newest first."""
    with session_of(db) as s:
        rows = s.scalars(select(Policy).order_by(Policy.issued_on.desc(), Policy.id.desc())).all()
        return [policy_dict(p) for p in rows if on is None or _valid(p, on)]


def _valid(p: Policy, on: date) -> bool:
    return (p.valid_from is None or p.valid_from <= on) and (p.valid_to is None or on <= p.valid_to)


def describe_criteria(c: dict) -> list[str]:
    """The criteria in Chinese words, one line each."""
    vocab = criteria_vocabulary()
    out = []
    if "region" in c:
        r = c["region"]
        out.append(f"注册地在 {_region_name(r['code'])}" + ("（含下辖地区）" if r.get("include_descendants", True) else ""))
    if "chain_nodes" in c:
        out.append(f"属于产业链环节：{'、'.join(_node_name(c['chain_nodes'], n) for n in c['chain_nodes']['nodes'])}")
    if c.get("flags_all"):
        out.append("须同时具备：" + "、".join(vocab.flags[f] for f in c["flags_all"]))
    if c.get("flags_any"):
        out.append("具备其一：" + "、".join(vocab.flags[f] for f in c["flags_any"]))
    for f in c.get("figures") or []:
        spec = vocab.figures[f["field"]]
        yr = "最近一年" if f.get("year", "latest") == "latest" else f"{f['year']}年"
        out.append(f"{yr}{spec['name']}{vocab.operators[f['op']]} {_amount(f['value'], spec['unit'])}")
    if "founded_before" in c:
        out.append(f"成立于 {c['founded_before']} 之前")
    if "founded_after" in c:
        out.append(f"成立于 {c['founded_after']} 之后")
    return out


def _amount(v: float, unit: str) -> str:
    if unit == "元":
        if abs(v) >= 1e8:
            return f"{v / 1e8:g} 亿元"
        if abs(v) >= 1e4:
            return f"{v / 1e4:g} 万元"
        return f"{v:g} 元"
    if unit == "%":
        return f"{v:g}%"
    return f"{v:g} {unit}"


def _region_name(code: str) -> str:
    try:
        from xinlian.registry.regions import lookup

        r = lookup(code)
        return f"{r.name}（{code}）" if r else code
    except Exception:  # the region table is optional for this wording
        return code


def _node_name(spec: dict, node_id: str) -> str:
    from xinlian.chain.taxonomy import load_chain

    chain = load_chain(spec.get("chain") or "semiconductor")
    return chain.nodes[node_id].name if node_id in chain.nodes else node_id


def _in_region(region_code: str | None, code: str, descendants: bool) -> bool:
    if not region_code:
        return False
    if region_code == code:
        return True
    if not descendants:
        return False
    try:
        from xinlian.registry.regions import ancestors, lookup

        if lookup(region_code) is not None:
            return any(a.code == code for a in ancestors(region_code))
    except Exception:  # table not available: fall back to the code's hierarchy
        pass
    prefix = code.rstrip("0")
    prefix = prefix + "0" * (len(prefix) % 2)  # keep whole two-digit levels
    return region_code.startswith(prefix)


# --- evaluation -----------------------------------------------------------------------------------------------

def evaluate(policy: Policy, e: Enterprise, on: date | None = None) -> Verdict:
    """Check ``e`` against every criterion of ``policy`` (and its validity on ``on``)."""
    vocab = criteria_vocabulary()
    c = policy.criteria or {}
    checks: list[Check] = []
    if on is not None:
        ok = _valid(policy, on)
        span = f"{policy.valid_from or '不限'} 至 {policy.valid_to or '不限'}"
        checks.append(Check("dates", ok, f"政策有效期 {span}，{on} {'在' if ok else '不在'}有效期内"))
    if "region" in c:
        r = c["region"]
        desc = r.get("include_descendants", True)
        ok = _in_region(e.region_code, r["code"], desc)
        checks.append(Check("region", ok, f"注册地 {_region_name(e.region_code) if e.region_code else '未知'}"
                                          f"{'属于' if ok else '不属于'} {_region_name(r['code'])}"
                                          + ("（含下辖）" if desc else "")))
    if "chain_nodes" in c:
        spec = c["chain_nodes"]
        from xinlian.chain.taxonomy import load_chain

        chain = load_chain(spec.get("chain") or "semiconductor")
        wanted = set(spec["nodes"])
        if spec.get("include_descendants", True):
            for n in spec["nodes"]:
                wanted |= set(chain.descendants(n))
        mine = [n.node_id for n in e.nodes if n.chain == chain.id]
        hit = sorted(set(mine) & wanted)
        names = "、".join(chain.nodes[n].name for n in hit) if hit else ""
        want_names = "、".join(_node_name(spec, n) for n in spec["nodes"])
        if hit:
            checks.append(Check("chain_nodes", True, f"所属环节 {names} 在政策支持的 {want_names} 范围内"))
        else:
            have = "、".join(chain.nodes[n].name for n in mine if n in chain.nodes) or "未标注"
            checks.append(Check("chain_nodes", False, f"所属环节（{have}）不在政策支持的 {want_names} 范围内"))
    if c.get("flags_all"):
        missing = [vocab.flags[f] for f in c["flags_all"] if not getattr(e, f)]
        need = "、".join(vocab.flags[f] for f in c["flags_all"])
        checks.append(Check("flags_all", not missing, f"须具备 {need}：" +
                            ("均具备" if not missing else f"缺少 {'、'.join(missing)}")))
    if c.get("flags_any"):
        have = [vocab.flags[f] for f in c["flags_any"] if getattr(e, f)]
        need = "、".join(vocab.flags[f] for f in c["flags_any"])
        checks.append(Check("flags_any", bool(have), f"须具备其一（{need}）：" +
                            (f"具备 {'、'.join(have)}" if have else "均不具备")))
    for f in c.get("figures") or []:
        checks.append(_figure_check(e, f, vocab))
    for key, word, cmp in (("founded_before", "之前", operator.lt), ("founded_after", "之后", operator.gt)):
        if key in c:
            limit = _iso(c[key])
            if e.founded is None:
                checks.append(Check(key, False, f"成立日期未知，无法判断是否成立于 {limit} {word}"))
            else:
                ok = cmp(e.founded, limit)
                checks.append(Check(key, ok, f"成立于 {e.founded}，{'符合' if ok else '不符合'}「成立于 {limit} {word}」"))
    return Verdict(policy.id, e.id, all(ch.passed for ch in checks), checks)


def _figure_value(fig, field_: str, vocab) -> float | None:
    spec = vocab.figures[field_]
    if "derived" in spec:
        num, den = (getattr(fig, d) for d in spec["derived"])
        if num is None or not den:
            return None
        return num / den * 100 if spec.get("unit") == "%" else num / den
    return getattr(fig, field_)


def _figure_check(e: Enterprise, f: dict, vocab) -> Check:
    spec = vocab.figures[f["field"]]
    name = spec["name"]
    figs = sorted(e.figures, key=lambda x: x.year)
    year = f.get("year", "latest")
    if year == "latest":
        usable = [x for x in figs if _figure_value(x, f["field"], vocab) is not None]
        fig = usable[-1] if usable else None
    else:
        fig = next((x for x in figs if x.year == year), None)
    want = f"{vocab.operators[f['op']]} {_amount(f['value'], spec['unit'])}"
    if fig is None or _figure_value(fig, f["field"], vocab) is None:
        yr = "任何年份" if year == "latest" else f"{year}年"
        return Check("figures", False, f"{name}须{want}：缺少{yr}的{name}数据")
    value = _figure_value(fig, f["field"], vocab)
    ok = OPS[f["op"]](value, f["value"])
    return Check("figures", ok, f"{fig.year}年{name} {_amount(value, spec['unit'])}，"
                                f"{'满足' if ok else '不满足'}「{want}」")


def _load_enterprises(s, ids: list[int] | None = None) -> list[Enterprise]:
    stmt = select(Enterprise).options(selectinload(Enterprise.nodes), selectinload(Enterprise.figures)) \
        .where(Enterprise.status == "active").order_by(Enterprise.id)
    if ids is not None:
        stmt = stmt.where(Enterprise.id.in_(ids))
    return list(s.scalars(stmt))


def _result(v: Verdict, **extra) -> dict:
    return {**extra, "eligible": v.eligible, "why": v.why, "checks": [c.to_dict() for c in v.checks]}


def eligible_enterprises(db, policy_id: int, on: date | None = None, *, include_failed: bool = False) -> list[dict]:
    """The enterprises that qualify for the policy on ``on`` (default today), each with why.

    With ``include_failed`` every active enterprise is returned with the criteria it failed.
    """
    on = on or date.today()
    with session_of(db) as s:
        p = get_or_missing(s, Policy, policy_id, "政策")
        out = []
        for e in _load_enterprises(s):
            v = evaluate(p, e, on)
            if v.eligible or include_failed:
                out.append(_result(v, enterprise_id=e.id, name=e.name, region_code=e.region_code))
        return sorted(out, key=lambda r: (not r["eligible"], r["enterprise_id"]))


def policies_for(db, enterprise_id: int, on: date | None = None, *, include_failed: bool = False) -> list[dict]:
    """The policies the enterprise can apply for on ``on`` (default today), each with why."""
    on = on or date.today()
    with session_of(db) as s:
        found = _load_enterprises(s, [enterprise_id])
        if not found:
            raise NotFound(f"企业 {enterprise_id} 不存在或不是在库企业")
        e = found[0]
        out = []
        for p in s.scalars(select(Policy).order_by(Policy.id)):
            v = evaluate(p, e, on)
            if v.eligible or include_failed:
                out.append(_result(v, policy_id=p.id, title=p.title, issuer=p.issuer, benefits=p.benefits))
        return sorted(out, key=lambda r: (not r["eligible"], r["policy_id"]))


__all__ = ["Check", "Verdict", "add_policy", "criteria_errors", "describe_criteria", "eligible_enterprises",
           "evaluate", "list_policies", "policies_for", "policy_dict", "validate_criteria"]
