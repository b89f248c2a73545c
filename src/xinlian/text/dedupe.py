"""Stage 8 (run by the ingest pipeline): group republished copies of a story.

Exact copies share the sha256 of their normalised body. Near-duplicates (the same story under another site's
header and footer, lightly edited) are found with MinHash over character 5-shingles of the clean body and an LSH
index at Jaccard ~0.8. Signatures serialise to bytes so the database can store them and rebuild the index.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import numpy as np
from datasketch import MinHash, MinHashLSH

NUM_PERM = 128
SHINGLE = 5
THRESHOLD = 0.8
_SEED = 1
_SCHEME = "affine32"  # named explicitly: stored signatures must be rebuilt with the same scheme
_DROP = re.compile(r"[\s\u3000\xa0，。、；：？！“”‘’（）《》〈〉【】—…·,.;:!?\"'()\[\]<>-]+")


def content_hash(raw: bytes) -> str:
    """sha256 of the raw page bytes (hex): the same file fetched twice."""
    return hashlib.sha256(raw).hexdigest()


def normalise(text: str) -> str:
    """The body with whitespace and punctuation removed and Latin letters lower-cased."""
    return _DROP.sub("", text).lower()


def body_hash(text: str) -> str:
    """sha256 (hex) of the normalised clean body: the same story text, whatever the page around it."""
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


def shingles(text: str, k: int = SHINGLE) -> set[bytes]:
    norm = normalise(text)
    if len(norm) <= k:
        return {norm.encode("utf-8")} if norm else set()
    return {norm[i : i + k].encode("utf-8") for i in range(len(norm) - k + 1)}


def minhash(text: str) -> MinHash:
    m = MinHash(num_perm=NUM_PERM, seed=_SEED, scheme=_SCHEME)
    items = shingles(text)
    if items:
        m.update_batch(list(items))
    return m


def signature(text: str) -> bytes:
    """The MinHash signature of a body as bytes (``NUM_PERM`` little-endian uint64), for storage."""
    return minhash(text).hashvalues.astype("<u8").tobytes()


def from_signature(data: bytes) -> MinHash:
    """Rebuild a MinHash from :func:`signature` bytes."""
    values = np.frombuffer(data, dtype="<u8")
    if values.size != NUM_PERM:
        raise ValueError(f"signature has {values.size} values, expected {NUM_PERM}")
    return MinHash(num_perm=NUM_PERM, seed=_SEED, hashvalues=values.astype(np.uint64), scheme=_SCHEME)


@dataclass
class StoryIndex:
    """Assigns each document to a story: its own, or that of an earlier exact or near copy.

    >>> idx = StoryIndex()
    >>> idx.add("a", "某区召开产业链推进会，会议听取了集成电路产业链发展情况汇报。")[0]
    'a'
    """

    threshold: float = THRESHOLD
    _lsh: MinHashLSH = field(init=False)
    _by_hash: dict[str, str] = field(default_factory=dict)
    _story: dict[str, str] = field(default_factory=dict)
    _sigs: dict[str, MinHash] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lsh = MinHashLSH(threshold=self.threshold, num_perm=NUM_PERM)

    def __contains__(self, doc_id: str) -> bool:
        return doc_id in self._story

    def story_of(self, doc_id: str) -> str | None:
        return self._story.get(doc_id)

    def add_signature(self, doc_id: str, sig: bytes | MinHash, body_sha: str | None = None) -> tuple[str, bool, list[str]]:
        """Add a document by stored signature (and body hash); same result as :meth:`add`.

        Returns:
            (story_id, is_exact_dup, similar_to): the story the document joins (the canonical document's id),
            whether its body is an exact copy of an earlier one, and the earlier documents it is near.
        """
        if doc_id in self._story:
            return self._story[doc_id], False, []
        m = sig if isinstance(sig, MinHash) else from_signature(sig)
        if body_sha is not None and body_sha in self._by_hash:
            first = self._by_hash[body_sha]
            self._story[doc_id] = self._story[first]
            return self._story[first], True, [first]
        similar = sorted(
            (other for other in self._lsh.query(m) if m.jaccard(self._sigs[other]) >= self.threshold),
            key=lambda o: -m.jaccard(self._sigs[o]),
        )
        story = self._story[similar[0]] if similar else doc_id
        self._lsh.insert(doc_id, m)
        self._sigs[doc_id] = m
        self._story[doc_id] = story
        if body_sha is not None:
            self._by_hash[body_sha] = doc_id
        return story, False, similar

    def add(self, doc_id: str, text: str) -> tuple[str, bool, list[str]]:
        """Add a clean body; see :meth:`add_signature` for the result."""
        return self.add_signature(doc_id, minhash(text), body_hash(text))
