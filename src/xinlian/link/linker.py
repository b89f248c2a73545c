"""Linking company mentions to registry enterprises: the orchestrator. This docstring is the spec.

For each organisation mention of kind company (or investor) in one article, ``Linker.link`` tries, in order, and
stops at the first step that gives an answer:

0. **Judgements** (``fact_link_judgement``): the analyst's latest decision on (normalised name, enterprise) is
   replayed. A confirmed pair is linked with score 1.0, method ``confirmed``, status ``confirmed``; a rejected pair
   is never proposed again by any step below.
1. **Exact**: the normalised name (``registry.names.normalise``: width, script, brackets, legal form, region
   parenthetical) equals an active enterprise's normalised name. One enterprise: score ``scores.exact``, status
   ``confirmed`` (but ``proposed`` when the region the name itself carries contradicts the enterprise's).
   Several with the same name: the one whose region agrees with the mention's (its parenthetical,
   its leading region word, else the article's places) is taken; if the region does not decide, each is
   proposed (status ``proposed``, score ``scores.ambiguous``) for the analyst.
2. **Alias**: it equals a registry alias (former name 曾用名, short name 简称, declared alias): ``scores.alias``.
   **Same core**: the name core with its region moved (常州领航光学 / 领航光学(常州)) equals a registry name whose
   region agrees with the region the mention names: method ``exact``, ``scores.same_core``.
3. **Declared**: a short name the article declares for the company (以下简称"博康信息") equals a registry name or
   alias: ``scores.declared``.
4. **Fuzzy**: blocked candidates (``link.candidates``) scored by name similarity, region, chain nodes and length;
   those at or above ``fuzzy.propose`` are proposed (status ``proposed``, method ``fuzzy``), never accepted alone.
5. **Candidate**: nothing above the threshold: an unknown company becomes a candidate enterprise record
   (``status='candidate'``, ``source='news:<article id>'``; the same unknown name and region reuse one record) and
   the mention is linked to it with method ``candidate``, status ``proposed``. It is never merged into an existing
   enterprise. A candidate the analyst rejected for this name is not made again.

Every answer is a ``Proposal`` with a score, a method, a status and an explanation: the features that matched,
in Chinese. The rules (scores, thresholds, weights) come from ``data/rules/linking.yaml``. The linker reads the
registry index (``link.index``) and the judgements; the only row it writes is a new candidate enterprise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinlian.link.candidates import fuzzy_candidates
from xinlian.link.index import Hit, RegistryIndex, norm, region_forms, region_of_name, regions_agree, strip_region
from xinlian.link.rules import LinkRules, rules
from xinlian.store.tables.facts import LinkJudgement
from xinlian.store.tables.registry import Enterprise, EnterpriseNode

LINKED_KINDS = ("company", "investor")
CANDIDATE_KINDS = ("company",)
_KIND_WORDS = {"name": "企业库名称", "former": "曾用名", "short": "简称", "declared": "已登记的简称"}


@dataclass
class OrgMention:
    """What the linker needs to know about one organisation mention."""

    name: str
    kind: str = "company"
    aliases: list[str] = field(default_factory=list)  # short names the article declares
    nodes: list[str] = field(default_factory=list)  # chain nodes the article gives this company


@dataclass
class ArticleContext:
    article_id: int | None
    region_codes: list[str] = field(default_factory=list)  # the article's places, in order
    chain: str = "semiconductor"


@dataclass
class Proposal:
    enterprise_id: int | None
    score: float
    method: str  # exact | alias | declared | fuzzy | candidate | confirmed
    status: str  # proposed | confirmed
    explanation: dict

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class LinkOptions:
    """Switches for one linking run.

    Attributes:
        rules: thresholds and weights (default: ``data/rules/linking.yaml``).
        make_candidates: make candidate enterprises for unknown companies.
        fuzzy: look for fuzzy candidates at all.
    """

    rules: LinkRules | None = None
    make_candidates: bool = True
    fuzzy: bool = True


def latest_judgements(session: Session, names: Iterable[str]) -> dict[str, dict[int, LinkJudgement]]:
    """name_norm -> enterprise id -> the latest judgement on that pair."""
    names = sorted({n for n in names if n})
    out: dict[str, dict[int, LinkJudgement]] = {}
    for i in range(0, len(names), 500):
        rows = session.scalars(select(LinkJudgement).where(LinkJudgement.name_norm.in_(names[i:i + 500]))
                               .order_by(LinkJudgement.at, LinkJudgement.id))
        for j in rows:
            out.setdefault(j.name_norm, {})[j.enterprise_id] = j  # later rows overwrite earlier ones
    return out


class Linker:
    """Links the company mentions of articles; one per run (it caches judgements and node look-ups)."""

    def __init__(self, session: Session, index: RegistryIndex, options: LinkOptions | None = None):
        self.session = session
        self.index = index
        self.options = options or LinkOptions()
        self.rules = self.options.rules or rules()

    # --- helpers ---------------------------------------------------------------------------------------------
    def _nodes_of(self, ids: list[int]) -> dict[int, set[str]]:
        out: dict[int, set[str]] = {}
        for eid, node in self.session.execute(select(EnterpriseNode.enterprise_id, EnterpriseNode.node_id)
                                              .where(EnterpriseNode.enterprise_id.in_(ids))):
            out.setdefault(eid, set()).add(node)
        return out

    @staticmethod
    def _explain(rule: str, reasons: list[str], **features) -> dict:
        return {"rule": rule, "reasons": reasons, "features": features}

    def _mention_region(self, m: OrgMention, ctx: ArticleContext) -> tuple[str | None, str]:
        code, word = region_of_name(m.name)
        if code:
            return code, f"名称中的地区“{word}”"
        if ctx.region_codes:
            return ctx.region_codes[0], "文章中的地点"
        return None, ""

    def _pick(self, hits: list[Hit], m: OrgMention, ctx: ArticleContext, method: str, score: float,
              reason: str) -> list[Proposal]:
        """One enterprise: accepted. Several: the one the region picks, else each proposed."""
        ids = list(dict.fromkeys(h.enterprise_id for h in hits))
        kinds = {h.enterprise_id: h.kind for h in hits}
        if len(ids) == 1:
            eid = ids[0]
            named, word = region_of_name(m.name)
            theirs = self.index.region_of(eid)
            if regions_agree(named, theirs) is False:
                # 澎芯半导体(无锡) against 澎芯半导体(常州): one name, two places; often two legal entities
                return [Proposal(eid, self.rules.ambiguous, method, "proposed", self._explain(
                    method, [f"{reason}{_KIND_WORDS[kinds[eid]]}一致",
                             f"但名称中的地区“{word}”（{named}）与企业所在地区 {theirs} 不一致，需人工确认"],
                    matched=kinds[eid], region=named, enterprise_region=theirs))]
            return [Proposal(eid, score, method, "confirmed",
                             self._explain(method, [f"{reason}{_KIND_WORDS[kinds[eid]]}一致"], matched=kinds[eid]))]
        region, where = self._mention_region(m, ctx)
        agreeing = [e for e in ids if regions_agree(region, self.index.region_of(e))]
        if len(agreeing) == 1:
            eid = agreeing[0]
            return [Proposal(eid, score, method, "confirmed", self._explain(
                method, [f"{reason}{_KIND_WORDS[kinds[eid]]}一致", f"同名企业 {len(ids)} 家，按{where}（{region}）选定"],
                matched=kinds[eid], region=region, same_name=len(ids)))]
        return [Proposal(e, self.rules.ambiguous, method, "proposed", self._explain(
            method, [f"{reason}{_KIND_WORDS[kinds[e]]}一致", f"同名企业 {len(ids)} 家，地区无法区分，需人工确认"],
            matched=kinds[e], region=region, same_name=len(ids))) for e in ids]

    # --- the steps -------------------------------------------------------------------------------------------
    def link(self, m: OrgMention, ctx: ArticleContext,
             judged: dict[int, LinkJudgement] | None = None) -> list[Proposal]:
        """The proposals for one mention (see the module docstring for the steps). Empty: not linked."""
        if m.kind not in LINKED_KINDS:
            return []
        r = self.rules
        key = norm(m.name)
        if not key:
            return []
        judged = judged if judged is not None else latest_judgements(self.session, [key]).get(key, {})
        rejected = {e for e, j in judged.items() if j.decision == "reject"}
        confirmed = [j for e, j in judged.items() if j.decision == "confirm"]
        if confirmed:
            return [Proposal(j.enterprise_id, 1.0, "confirmed", "confirmed", self._explain(
                "confirmed", [f"分析员 {j.user or ''} 于 {j.at:%Y-%m-%d} 确认“{j.mention_name or m.name}”即此企业"
                              + (f"（{j.note}）" if j.note else "")], judgement_id=j.id))
                    for j in confirmed]

        hits = [h for h in self.index.lookup_exact(key) if h.enterprise_id not in rejected]
        names = [h for h in hits if h.kind == "name"]
        if names:
            return self._pick(names, m, ctx, "exact", r.exact, f"规范化名称“{key}”与")
        if hits:
            return self._pick(hits, m, ctx, "alias", r.alias, f"规范化名称“{key}”与")
        same_core = self._core_hits(m, key, ctx, rejected)
        if same_core:
            return same_core
        for alias in m.aliases:
            a = norm(alias)
            ahits = [h for h in self.index.lookup_exact(a) if h.enterprise_id not in rejected]
            if ahits:
                return self._pick(ahits, m, ctx, "declared", r.declared, f"文中声明的简称“{alias}”与")

        region, where = self._mention_region(m, ctx)
        if self.options.fuzzy:
            cands = fuzzy_candidates(self.index, key, region=region, nodes=set(m.nodes), nodes_of=self._nodes_of,
                                     exclude=rejected, r=r, limit=r.max_proposals)
            above = [c for c in cands if c.score >= r.propose]
            if above:
                return [Proposal(c.enterprise_id, c.score, "fuzzy", "proposed", self._explain(
                    "fuzzy", c.explanation + [f"综合得分 {c.score:.2f} ≥ 建议阈值 {r.propose:.2f}，需人工确认"]
                    + ([f"地区依据: {where}"] if region else []), **c.features)) for c in above]
            best = cands[0] if cands else None
        else:
            best = None
        if not self.options.make_candidates or m.kind not in CANDIDATE_KINDS:
            return []
        return self._candidate(m, key, region, ctx, judged, best)

    def _core_hits(self, m: OrgMention, key: str, ctx: ArticleContext, rejected: set[int]) -> list[Proposal]:
        """常州领航光学 and 领航光学(常州): the same name core written with the region before it or in brackets.
        Taken only when the enterprise's region agrees with the region the mention names."""
        code, word = region_of_name(m.name)
        if not code:
            return []
        core = strip_region(key)
        keys = {core, word + core} | {w + core for w in region_forms(code)}
        keys.discard(key)
        ids = {h.enterprise_id for k in keys for h in self.index.lookup_exact(k)
               if h.kind == "name" and h.enterprise_id not in rejected}
        agree = sorted(e for e in ids if regions_agree(code, self.index.region_of(e)))
        if len(agree) != 1:
            return []
        return [Proposal(agree[0], self.rules.same_core, "exact", "confirmed", self._explain(
            "exact", [f"去掉地区“{word}”后名称主干“{core}”与企业库名称一致",
                      f"企业所在地区 {self.index.region_of(agree[0])} 与名称中的地区一致"], matched="core", region=code))]

    def _candidate(self, m: OrgMention, key: str, region: str | None, ctx: ArticleContext,
                   judged: dict[int, LinkJudgement], best) -> list[Proposal]:
        match_key = f"c:{key}|{region or ''}"
        ent = self.session.scalar(select(Enterprise).where(Enterprise.match_key == match_key))
        if ent is not None and ent.id in judged and judged[ent.id].decision == "reject":
            return []
        if ent is None:
            from xinlian.registry.names import basic

            ent = Enterprise(match_key=match_key, name=basic(m.name), name_norm=key, region_code=region,
                             status="candidate", source=f"news:{ctx.article_id}" if ctx.article_id else "news")
            self.session.add(ent)
            self.session.flush()
            made = "新建候选企业"
        else:
            made = f"沿用已有候选企业（来源 {ent.source}）"
        reasons = [f"企业库中无“{key}”的同名或别名企业", made + "，不并入任何已有企业，待分析员确认"]
        if best is not None:
            reasons.append(f"最相近的企业 #{best.enterprise_id} 得分 {best.score:.2f}，低于建议阈值 {self.rules.propose:.2f}")
        return [Proposal(ent.id, 0.0, "candidate", "proposed", self._explain(
            "candidate", reasons, nearest=best.enterprise_id if best else None, nearest_score=best.score if best else None))]
