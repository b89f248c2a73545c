"""The registry name index: every normalised name and alias of the active enterprises in one Aho-Corasick automaton.

It answers two questions: ``lookup_exact(name_norm)`` (which enterprises carry this normalised name or alias) and
``find(text)`` (which registry names occur in an article, for ``xinlian.extract``; ``names_for_extract()`` gives
the adapter the extractor takes as its ``NameIndex``). It also keeps, per enterprise, the name core and region that
fuzzy candidates (``link.candidates``) are scored on.

Memory: the automaton stores an int per key (``STORE_INTS``); everything else lives in flat ``array`` columns
(one row per enterprise, one slot per key, slots of one key chained). Rows are read from the database in chunks
(``yield_per``), so building over 1,000,000 names never holds the result set in memory.
"""

from __future__ import annotations

import functools
import re
from array import array
from bisect import bisect_left
from dataclasses import dataclass
from typing import Iterable, Iterator

import ahocorasick
from sqlalchemy import func, select

from xinlian.extract.lexicon import NameIndex
from xinlian.registry.names import basic, normalise

KINDS = ("name", "former", "short", "declared")
_KIND_CODE = {k: i for i, k in enumerate(KINDS)}
_ASCII_UPPER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_PAREN = re.compile(r"[（(]([^()（）]{1,12})[）)]")


# --- region helpers shared by the linker and the candidates --------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _region_names() -> dict[str, str]:
    """Region name (full or short) -> its first code."""
    from xinlian.registry import regions

    return {name: codes[0] for name, codes in regions.name_index().items() if codes}


def strip_region(name_norm: str) -> str:
    """The core of a normalised name: a leading region name removed (常州亦泓科技 -> 亦泓科技), as ``names.core``."""
    names = _region_names()
    for length in range(min(6, len(name_norm) - 2), 1, -1):
        if name_norm[:length] in names:
            return name_norm[length:]
    return name_norm


def region_of_name(name: str) -> tuple[str | None, str | None]:
    """The region a company name carries, (code, word): its parenthetical (澎芯半导体(常州)有限公司) first, else a
    leading region name (常州亦泓科技有限公司); (None, None) when it names none."""
    names = _region_names()
    s = basic(name)
    for m in _PAREN.finditer(s):
        if m.group(1) in names:
            return names[m.group(1)], m.group(1)
    for length in range(min(6, len(s) - 2), 1, -1):
        if s[:length] in names:
            return names[s[:length]], s[:length]
    return None, None


@functools.lru_cache(maxsize=4096)
def region_forms(code: str) -> tuple[str, ...]:
    """The names a region is written with in company names: full and short (常州市, 常州)."""
    from xinlian.registry import regions

    r = regions.lookup(code)
    return tuple(dict.fromkeys(x for x in (r.name, r.short_name) if x)) if r else ()


def regions_agree(a: str | None, b: str | None) -> bool | None:
    """True when one region contains the other (常州市 320400 and 武进区 320412), False when they differ, None
    when either is unknown."""
    if not a or not b:
        return None
    a2, b2 = a.rstrip("0") or "0", b.rstrip("0") or "0"
    # codes end in pairs of zeros at each higher level; compare on the shorter significant prefix
    la, lb = (len(a2) + 1) // 2 * 2, (len(b2) + 1) // 2 * 2
    n = min(la, lb)
    return a[:n] == b[:n]


# --- the index -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Hit:
    enterprise_id: int
    kind: str  # name | former | short | declared


class RegistryIndex:
    """Normalised names and aliases of active enterprises; build with ``from_db`` or ``from_rows``."""

    def __init__(self) -> None:
        self.automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        self.eids = array("q")  # row -> enterprise id (ascending when built from the database)
        self.regions = array("i")  # row -> int(region code) or 0
        self.cores: list[str] = []  # row -> core of the registry name (for fuzzy scoring)
        self.slot_row = array("i")  # slot -> row
        self.slot_kind = bytearray()  # slot -> KINDS index
        self.slot_len = bytearray()  # slot -> key length (capped at 255)
        self.slot_next = array("i")  # slot -> next slot of the same key, -1 at the end
        self._built = False
        self._sorted = True
        self._row_of: dict[int, int] | None = None

    # building ------------------------------------------------------------------------------------------------
    def add_enterprise(self, enterprise_id: int, name_norm: str, region_code: str | None) -> int:
        row = len(self.eids)
        if row and enterprise_id <= self.eids[-1]:
            self._sorted = False
        self.eids.append(enterprise_id)
        self.regions.append(int(region_code) if region_code and region_code.isdigit() else 0)
        self.cores.append(strip_region(name_norm or ""))
        self._add_key(name_norm, row, "name")
        return row

    def add_alias(self, enterprise_id: int, alias_norm: str, kind: str) -> None:
        row = self.row_of(enterprise_id)
        if row is not None:
            self._add_key(alias_norm, row, kind if kind in _KIND_CODE else "short")

    def _add_key(self, key: str, row: int, kind: str) -> None:
        if not key:
            return
        slot = len(self.slot_row)
        self.slot_row.append(row)
        self.slot_kind.append(_KIND_CODE[kind])
        self.slot_len.append(min(len(key), 255))
        head = self.automaton.get(key, -1)
        self.slot_next.append(head)
        self.automaton.add_word(key, slot)

    def row_of(self, enterprise_id: int) -> int | None:
        if self._sorted:
            i = bisect_left(self.eids, enterprise_id)
            return i if i < len(self.eids) and self.eids[i] == enterprise_id else None
        if self._row_of is None:
            self._row_of = {e: r for r, e in enumerate(self.eids)}
        return self._row_of.get(enterprise_id)

    def finish(self) -> "RegistryIndex":
        if len(self.slot_row):
            self.automaton.make_automaton()
        self._built = True
        return self

    @classmethod
    def from_rows(cls, enterprises: Iterable[tuple[int, str, str | None]],
                  aliases: Iterable[tuple[int, str, str]] = ()) -> "RegistryIndex":
        """From (id, name_norm, region_code) and (enterprise_id, alias_norm, kind) rows."""
        idx = cls()
        for eid, norm, region in enterprises:
            idx.add_enterprise(eid, norm, region)
        for eid, alias, kind in aliases:
            idx.add_alias(eid, alias, kind)
        return idx.finish()

    @classmethod
    def from_db(cls, db_or_session, *, chunk: int = 20000) -> "RegistryIndex":
        """Stream active enterprises and their aliases from the database into a new index."""
        from xinlian.store.tables.registry import Enterprise, EnterpriseAlias

        def run(s) -> "RegistryIndex":
            active = Enterprise.status == "active"
            ents = s.execute(select(Enterprise.id, Enterprise.name_norm, Enterprise.region_code).where(active)
                             .order_by(Enterprise.id).execution_options(yield_per=chunk))
            idx = cls()
            for eid, norm, region in ents:
                idx.add_enterprise(eid, norm, region)
            al = s.execute(select(EnterpriseAlias.enterprise_id, EnterpriseAlias.alias_norm, EnterpriseAlias.kind)
                           .execution_options(yield_per=chunk))
            for eid, alias, kind in al:
                idx.add_alias(eid, alias, kind)
            return idx.finish()

        from sqlalchemy.orm import Session

        if isinstance(db_or_session, Session):
            return run(db_or_session)
        with db_or_session.session() as s:
            return run(s)

    # questions -----------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.slot_row)

    @property
    def enterprises(self) -> int:
        return len(self.eids)

    def _slots(self, slot: int) -> Iterator[int]:
        while slot >= 0:
            yield slot
            slot = self.slot_next[slot]

    def lookup_exact(self, name_norm: str) -> list[Hit]:
        """Enterprises whose normalised name or alias is ``name_norm``, names before aliases.

        >>> idx = RegistryIndex.from_rows([(7, "澎芯半导体", "320412")], [(7, "澎芯", "short")])
        >>> idx.lookup_exact("澎芯")
        [Hit(enterprise_id=7, kind='short')]
        """
        if not self._built or not name_norm:
            return []
        head = self.automaton.get(name_norm, -1)
        seen: dict[tuple[int, int], None] = {}
        for slot in self._slots(head):
            seen.setdefault((self.slot_kind[slot], self.slot_row[slot]), None)
        return [Hit(self.eids[row], KINDS[k]) for k, row in sorted(seen)]

    def region_of(self, enterprise_id: int) -> str | None:
        row = self.row_of(enterprise_id)
        if row is None or not self.regions[row]:
            return None
        return f"{self.regions[row]:06d}"

    def find(self, text: str, min_length: int = 3) -> list[NameIndex.Match]:
        """Registry names and aliases occurring in ``text``: non-overlapping, longest first then leftmost."""
        if not self._built or not len(self.slot_row) or not text:
            return []
        low = text.translate(_ASCII_UPPER)
        hits = []
        for end, slot in self.automaton.iter(low):
            n = self.slot_len[slot]
            if n >= min_length:
                hits.append((end - n + 1, end + 1, slot))
        hits.sort(key=lambda h: (-(h[1] - h[0]), h[0]))
        used = bytearray(len(text))
        out: list[NameIndex.Match] = []
        for s, e, slot in hits:
            if any(used[s:e]):
                continue
            used[s:e] = b"\x01" * (e - s)
            ids = tuple(str(e) for e in sorted({self.eids[self.slot_row[x]] for x in self._slots(slot)}))
            out.append(NameIndex.Match(s, e, text[s:e], ids))
        return sorted(out, key=lambda m: m.start)

    def names_for_extract(self, min_length: int | None = None) -> "ExtractNames":
        """The adapter ``xinlian.extract.pipeline.extract(..., names=...)`` takes."""
        if min_length is None:
            from xinlian.link.rules import rules

            min_length = rules().min_text_name
        return ExtractNames(self, min_length)


class ExtractNames(NameIndex):
    """``NameIndex`` for the extractor, answering from a ``RegistryIndex`` (no second automaton is built)."""

    def __init__(self, index: RegistryIndex, min_length: int = 3):  # noqa: D107 - NameIndex.__init__ not wanted
        self._index = index
        self._min = min_length

    def __len__(self) -> int:
        return len(self._index)

    def find(self, text: str) -> list[NameIndex.Match]:
        return self._index.find(text, self._min)


# --- a cached index per database ------------------------------------------------------------------------------------

_CACHE: dict[str, tuple[tuple, RegistryIndex]] = {}


def registry_fingerprint(session) -> tuple:
    """What changes when the active names change: counts and the latest ids and update time."""
    from xinlian.store.tables.registry import Enterprise, EnterpriseAlias

    e = session.execute(select(func.count(Enterprise.id), func.max(Enterprise.id), func.max(Enterprise.updated_at))
                        .where(Enterprise.status == "active")).one()
    a = session.execute(select(func.count(EnterpriseAlias.id), func.max(EnterpriseAlias.id))).one()
    return (tuple(e), tuple(a))


def cached_index(db, session=None) -> RegistryIndex:
    """The index of ``db``'s registry, rebuilt only when the registry changed since the last call."""
    def run(s) -> RegistryIndex:
        key = str(db.url) if hasattr(db, "url") else str(s.get_bind().url)
        fp = registry_fingerprint(s)
        hit = _CACHE.get(key)
        if hit is not None and hit[0] == fp:
            return hit[1]
        idx = RegistryIndex.from_db(s)
        _CACHE[key] = (fp, idx)
        return idx

    if session is not None:
        return run(session)
    with db.session() as s:
        return run(s)


def clear_cache() -> None:
    _CACHE.clear()


def norm(name: str) -> str:
    """The matching key of a name (``registry.names.normalise``)."""
    return normalise(name or "")
