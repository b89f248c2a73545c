"""The analyst's review of links: the queue of proposed links (fuzzy matches, same-name ambiguities, candidate
enterprises), and ``confirm`` / ``reject``, each stored as a ``LinkJudgement`` with user and time that replays
whenever the pipeline runs again (``link.linker`` step 0).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from xinlian.link.facts import place_enterprise
from xinlian.link.rules import rules
from xinlian.store.tables.base import utcnow
from xinlian.store.tables.facts import ArticleNode, LinkJudgement, Mention, MentionLink
from xinlian.store.tables.news import Article
from xinlian.store.tables.registry import Enterprise


class ReviewError(ValueError):
    """The link cannot be judged (unknown id, nothing to link to)."""


def _session(db):
    from contextlib import nullcontext

    return nullcontext(db) if isinstance(db, Session) else db.session()


def _link_dict(link: MentionLink, mention: Mention, ent: Enterprise | None, title: str | None) -> dict:
    return {
        "link_id": link.id, "status": link.status, "method": link.method, "score": link.score,
        "mention": mention.name, "mention_norm": mention.name_norm, "article_id": mention.article_id,
        "article_title": title, "enterprise_id": link.enterprise_id,
        "enterprise_name": ent.name if ent else None, "enterprise_status": ent.status if ent else None,
        "enterprise_region": ent.region_code if ent else None,
        "reasons": (link.explanation or {}).get("reasons", []), "features": (link.explanation or {}).get("features", {}),
    }


def review_queue(db, *, limit: int = 100, method: str | None = None) -> list[dict]:
    """Links waiting for an analyst (status ``proposed``), candidates and lowest scores last."""
    with _session(db) as s:
        q = (select(MentionLink, Mention, Enterprise, Article.title)
             .join(Mention, Mention.id == MentionLink.mention_id)
             .join(Article, Article.id == Mention.article_id)
             .outerjoin(Enterprise, Enterprise.id == MentionLink.enterprise_id)
             .where(MentionLink.status == "proposed"))
        if method:
            q = q.where(MentionLink.method == method)
        q = q.order_by((MentionLink.method == "candidate"), MentionLink.score.desc(), MentionLink.id).limit(limit)
        return [_link_dict(link, m, e, t) for link, m, e, t in s.execute(q)]


def _judge(db, link_id: int, decision: str, user: str | None, note: str | None, at: datetime | None) -> dict:
    with _session(db) as s:
        link = s.get(MentionLink, link_id)
        if link is None:
            raise ReviewError(f"链接 {link_id} 不存在")
        if link.enterprise_id is None:
            raise ReviewError(f"链接 {link_id} 没有对应企业")
        mention = s.get(Mention, link.mention_id)
        key = mention.name_norm or mention.name
        j = LinkJudgement(name_norm=key, enterprise_id=link.enterprise_id, decision=decision, user=user,
                          at=at or utcnow(), note=note, mention_name=mention.name, link_id=link.id)
        s.add(j)
        ent = s.get(Enterprise, link.enterprise_id)
        if decision == "confirm":
            link.status = "confirmed"
            # the other proposals for this mention are answered by the confirmation
            s.execute(update(MentionLink).where(MentionLink.mention_id == mention.id, MentionLink.id != link.id,
                                                MentionLink.status == "proposed").values(status="rejected"))
            if ent is not None and ent.status == "candidate":
                ent.status = "active"  # the analyst accepts the company first seen in the news into the registry
            art = s.get(Article, mention.article_id)
            nodes = [{"id": n.node_id, "score": n.score, "evidence": n.evidence or []}
                     for n in s.scalars(select(ArticleNode).where(ArticleNode.article_id == mention.article_id))]
            chain = next((n.chain for n in s.scalars(select(ArticleNode).where(
                ArticleNode.article_id == mention.article_id).limit(1))), None) or (art.chain if art else None)
            if chain and nodes:
                place_enterprise(s, link.enterprise_id, chain, nodes, rules().min_node_score, mention.article_id)
        else:
            link.status = "rejected"
            s.flush()
            _relink_if_open(s, mention)
        s.flush()
        out = _link_dict(link, mention, ent, None)
        out.update({"judgement_id": j.id, "decision": decision, "user": user, "at": j.at, "note": note})
        return out


def _relink_if_open(s: Session, mention: Mention) -> None:
    """After a reject, a mention left with no open link is linked again at once (the judgement now excludes the
    rejected pair), so an unknown firm shows up as a candidate without waiting for the next run."""
    from xinlian.link.index import cached_index
    from xinlian.link.linker import ArticleContext, Linker, OrgMention

    still = s.scalar(select(MentionLink.id).where(MentionLink.mention_id == mention.id,
                                                  MentionLink.status.in_(("proposed", "confirmed"))).limit(1))
    if still is not None:
        return
    places = s.scalars(select(Mention.admin_code).where(Mention.article_id == mention.article_id,
                                                        Mention.kind == "place", Mention.admin_code.is_not(None))
                       .order_by(Mention.id)).all()
    linker = Linker(s, cached_index(s.get_bind(), s))
    m = OrgMention(mention.name, mention.sub_kind or "company", list(mention.aliases or []))
    for p in linker.link(m, ArticleContext(mention.article_id, list(places))):
        s.add(MentionLink(mention_id=mention.id, enterprise_id=p.enterprise_id, score=p.score, method=p.method,
                          explanation=p.explanation, status=p.status))


def confirm(db, link_id: int, user: str | None, note: str | None = None, *, at: datetime | None = None) -> dict:
    """Confirm a link: stored as a judgement on (normalised mention name, enterprise), which replays on every run.
    A confirmed candidate enterprise becomes an active registry record."""
    return _judge(db, link_id, "confirm", user, note, at)


def reject(db, link_id: int, user: str | None, note: str | None = None, *, at: datetime | None = None) -> dict:
    """Reject a link: the pair is never proposed again (the judgement replays on every run)."""
    return _judge(db, link_id, "reject", user, note, at)


def judgements(db, *, name_norm: str | None = None, limit: int = 200) -> list[dict]:
    """Stored judgements, newest first."""
    with _session(db) as s:
        q = select(LinkJudgement).order_by(LinkJudgement.at.desc(), LinkJudgement.id.desc()).limit(limit)
        if name_norm:
            q = q.where(LinkJudgement.name_norm == name_norm)
        return [{"id": j.id, "name_norm": j.name_norm, "enterprise_id": j.enterprise_id, "decision": j.decision,
                 "user": j.user, "at": j.at, "note": j.note, "mention_name": j.mention_name}
                for j in s.scalars(q)]
