"""Where the ingest pipeline stores what extraction read (its stage 9): mentions, links to the registry, events,
chain nodes and visit drafts. The work is done by ``xinlian.link.facts``; this module is the hook's fixed name."""

from xinlian.link.facts import store_extractions

__all__ = ["store_extractions"]
