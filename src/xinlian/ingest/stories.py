"""Stage 6 of the page pipeline: which story a new article joins, and which article is a story's canonical copy.

``StoryGrouper`` wraps ``xinlian.text.dedupe.StoryIndex`` (exact copies by body hash, near copies by MinHash LSH)
and maps its documents to ``news_story`` rows. ``StoryGrouper.load(session)`` rebuilds it from the signatures
stored on ``news_article``; after that the pipeline keeps it in step with what it commits.
"""

from __future__ import annotations

from sqlalchemy import select

from xinlian.store.tables.news import Article


def canonical_key(published: str | None, article_id: int) -> tuple:
    """Sort key of the canonical choice: earliest published first (undated last), then first stored."""
    return (published is None, published or "", article_id)


class StoryGrouper:
    """The LSH index of stored articles plus, per story, its canonical article (kept in step with the database)."""

    def __init__(self):
        from xinlian.text.dedupe import StoryIndex

        self.index = StoryIndex()
        self.story_of: dict[int, int] = {}  # article id -> story id
        self.canonical: dict[int, tuple] = {}  # story id -> canonical_key of its canonical article

    @classmethod
    def load(cls, session) -> "StoryGrouper":
        self = cls()
        rows = session.execute(select(Article.id, Article.story_id, Article.body_hash, Article.minhash,
                                      Article.published, Article.is_canonical).order_by(Article.id))
        for aid, sid, bh, mh, pub, canon in rows:
            if sid is None or mh is None:
                continue
            self.index.add_signature(aid, mh, body_sha=bh)
            self.story_of[aid] = sid
            if canon:
                self.canonical[sid] = canonical_key(pub, aid)
        return self

    def place(self, article_id: int, body_hash: str, minhash: bytes) -> tuple[int | None, str | None]:
        """(story id of an earlier copy or None, 'exact' | 'near' | None)."""
        _root, exact, similar = self.index.add_signature(article_id, minhash, body_sha=body_hash)
        for other in similar:  # most similar first
            if other in self.story_of:
                return self.story_of[other], ("exact" if exact else "near")
        return None, None

    def new_story(self, story_id: int, article_id: int, published: str | None) -> None:
        self.story_of[article_id] = story_id
        self.canonical[story_id] = canonical_key(published, article_id)

    def joins(self, story_id: int, article_id: int, published: str | None) -> bool:
        """Record that the article joined the story; True when it becomes the story's canonical copy."""
        self.story_of[article_id] = story_id
        key = canonical_key(published, article_id)
        current = self.canonical.get(story_id)
        if current is None or key < current:
            self.canonical[story_id] = key
            return True
        return False
