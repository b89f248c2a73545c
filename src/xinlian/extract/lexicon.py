"""Lexicons for extraction: load the data files in ``xinlian/data/lexicons`` and build the automata.

Every data file is validated on load; an error names the file and the line. Automata
(Aho-Corasick, pyahocorasick) are built once per process and cached.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Iterable, Iterator

import ahocorasick
import yaml

LEXICON_DIR = Path(str(resources.files("xinlian") / "data" / "lexicons"))


class LexiconError(ValueError):
    """A data file is malformed; the message starts with ``file:line``."""


def _fail(path: Path, node: yaml.Node | None, message: str) -> LexiconError:
    line = node.start_mark.line + 1 if node is not None else 1
    return LexiconError(f"{path.name}:{line}: {message}")


def _compose(path: Path) -> yaml.MappingNode:
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise LexiconError(f"{path.name}:{line}: not valid YAML ({exc})") from exc
    if not isinstance(root, yaml.MappingNode):
        raise _fail(path, root, "the file must be a mapping of sections")
    return root


def _section(path: Path, root: yaml.MappingNode, key: str, required: bool = True) -> yaml.Node | None:
    for k, v in root.value:
        if k.value == key:
            return v
    if required:
        raise _fail(path, root, f"missing section '{key}'")
    return None


def _scalar_list(path: Path, node: yaml.Node | None, what: str) -> tuple[str, ...]:
    if node is None:
        return ()
    if not isinstance(node, yaml.SequenceNode):
        raise _fail(path, node, f"'{what}' must be a list")
    out = []
    for item in node.value:
        if not isinstance(item, yaml.ScalarNode) or not str(item.value).strip():
            raise _fail(path, item, f"'{what}' entries must be non-empty words")
        out.append(str(item.value).strip())
    return tuple(out)


def _scalar(path: Path, node: yaml.Node | None, what: str, default: str = "") -> str:
    if node is None:
        return default
    if not isinstance(node, yaml.ScalarNode):
        raise _fail(path, node, f"'{what}' must be a single value")
    return str(node.value)


ORG_KINDS = ("company", "government", "zone", "university", "institute", "association", "media", "investor", "other")


@dataclass(frozen=True)
class Lexicons:
    """Everything the extractors read from data files."""

    title_bases: tuple[str, ...]
    title_prefixes: tuple[str, ...]
    group_labels: tuple[str, ...]
    local_levels: tuple[str, ...]
    chain_joiners: tuple[str, ...]
    not_people: tuple[str, ...]
    legal_suffixes: tuple[str, ...]
    investor_stems: tuple[str, ...]
    type_suffixes: tuple[tuple[str, str], ...]  # (suffix, kind)
    min_stem: int
    max_org_length: int
    stop_chars: frozenset[str]
    stop_prefixes: tuple[str, ...]
    trim_leading: tuple[str, ...]
    generic_stems: tuple[str, ...]
    outlets: tuple[str, ...]
    media_suffixes: tuple[str, ...]
    gov_bodies: tuple[str, ...]
    gov_prefixes: tuple[str, ...]
    event_triggers: dict[str, tuple[str, ...]]
    event_requires: dict[str, tuple[str, ...]]
    event_hedges: tuple[str, ...]
    event_not_before: tuple[str, ...]
    event_joiners: tuple[str, ...]
    event_not_triggers: tuple[str, ...]
    surnames: tuple[str, ...]
    name_stop_words: tuple[str, ...]
    name_stop_chars: frozenset[str]
    not_names: tuple[str, ...]


def load_surnames(path: Path) -> tuple[str, ...]:
    """Read ``surnames.txt``: words separated by spaces or lines, ``#`` starts a comment."""
    out: list[str] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.split("#", 1)[0]
        for word in line.split():
            if not all("\u4e00" <= ch <= "\u9fff" for ch in word) or len(word) > 2:
                raise LexiconError(f"{path.name}:{lineno}: '{word}' is not a one- or two-character surname")
            out.append(word)
    if not out:
        raise LexiconError(f"{path.name}:1: no surnames")
    return tuple(out)


def load_lexicons(directory: Path | None = None) -> Lexicons:
    """Load and validate all lexicon files from ``directory`` (the package data by default)."""
    d = Path(directory) if directory else LEXICON_DIR
    titles_p, orgs_p, media_p = d / "titles.yaml", d / "org_suffixes.yaml", d / "media.yaml"
    gov_p, events_p, bounds_p = d / "gov_bodies.yaml", d / "events.yaml", d / "name_boundaries.yaml"

    t = _compose(titles_p)
    o = _compose(orgs_p)
    types: list[tuple[str, str]] = []
    types_node = _section(orgs_p, o, "types")
    if not isinstance(types_node, yaml.SequenceNode):
        raise _fail(orgs_p, types_node, "'types' must be a list of {suffix, kind}")
    for item in types_node.value:
        if not isinstance(item, yaml.MappingNode):
            raise _fail(orgs_p, item, "each type needs 'suffix' and 'kind'")
        fields = {k.value: v for k, v in item.value}
        suffix = _scalar(orgs_p, fields.get("suffix"), "suffix")
        kind = _scalar(orgs_p, fields.get("kind"), "kind")
        if not suffix or kind not in ORG_KINDS:
            raise _fail(orgs_p, item, f"bad type entry (suffix={suffix!r}, kind={kind!r}); kinds: {', '.join(ORG_KINDS)}")
        types.append((suffix, kind))
    try:
        min_stem = int(_scalar(orgs_p, _section(orgs_p, o, "min_stem", False), "min_stem", "2"))
        max_len = int(_scalar(orgs_p, _section(orgs_p, o, "max_length", False), "max_length", "32"))
    except ValueError as exc:
        raise LexiconError(f"{orgs_p.name}:1: min_stem and max_length must be integers") from exc

    m = _compose(media_p)
    g = _compose(gov_p)
    e = _compose(events_p)
    triggers: dict[str, tuple[str, ...]] = {}
    requires: dict[str, tuple[str, ...]] = {}
    types_e = _section(events_p, e, "types")
    if not isinstance(types_e, yaml.MappingNode):
        raise _fail(events_p, types_e, "'types' must map event type -> {triggers, requires}")
    allowed = {"visit", "signing", "groundbreaking", "production_start", "financing", "policy", "other"}
    for k, v in types_e.value:
        if k.value not in allowed:
            raise _fail(events_p, k, f"unknown event type '{k.value}'")
        if not isinstance(v, yaml.MappingNode):
            raise _fail(events_p, v, f"'{k.value}' must have 'triggers'")
        fields = {kk.value: vv for kk, vv in v.value}
        triggers[k.value] = _scalar_list(events_p, fields.get("triggers"), "triggers")
        if not triggers[k.value]:
            raise _fail(events_p, v, f"'{k.value}' has no triggers")
        requires[k.value] = _scalar_list(events_p, fields.get("requires"), "requires")

    b = _compose(bounds_p)
    return Lexicons(
        title_bases=_scalar_list(titles_p, _section(titles_p, t, "base"), "base"),
        title_prefixes=_scalar_list(titles_p, _section(titles_p, t, "prefixes"), "prefixes"),
        group_labels=_scalar_list(titles_p, _section(titles_p, t, "group_labels", False), "group_labels"),
        local_levels=_scalar_list(titles_p, _section(titles_p, t, "local_levels", False), "local_levels"),
        chain_joiners=_scalar_list(titles_p, _section(titles_p, t, "chain_joiners", False), "chain_joiners") or ("、",),
        not_people=_scalar_list(titles_p, _section(titles_p, t, "not_people", False), "not_people"),
        legal_suffixes=_scalar_list(orgs_p, _section(orgs_p, o, "legal"), "legal"),
        investor_stems=_scalar_list(orgs_p, _section(orgs_p, o, "investor_stems", False), "investor_stems"),
        type_suffixes=tuple(types),
        min_stem=min_stem,
        max_org_length=max_len,
        stop_chars=frozenset(_scalar(orgs_p, _section(orgs_p, o, "stop_chars"), "stop_chars")),
        stop_prefixes=_scalar_list(orgs_p, _section(orgs_p, o, "stop_prefixes"), "stop_prefixes"),
        generic_stems=_scalar_list(orgs_p, _section(orgs_p, o, "generic_stems", False), "generic_stems"),
        trim_leading=_scalar_list(orgs_p, _section(orgs_p, o, "trim_leading", False), "trim_leading"),
        outlets=_scalar_list(media_p, _section(media_p, m, "outlets"), "outlets"),
        media_suffixes=_scalar_list(media_p, _section(media_p, m, "suffixes", False), "suffixes"),
        gov_bodies=_scalar_list(gov_p, _section(gov_p, g, "bodies"), "bodies"),
        gov_prefixes=_scalar_list(gov_p, _section(gov_p, g, "prefixes", False), "prefixes"),
        event_triggers=triggers,
        event_requires=requires,
        event_hedges=_scalar_list(events_p, _section(events_p, e, "hedges", False), "hedges"),
        event_not_triggers=_scalar_list(events_p, _section(events_p, e, "not_triggers", False), "not_triggers"),
        event_joiners=_scalar_list(events_p, _section(events_p, e, "joiners", False), "joiners"),
        event_not_before=_scalar_list(events_p, _section(events_p, e, "not_before", False), "not_before"),
        surnames=load_surnames(d / "surnames.txt"),
        name_stop_words=_scalar_list(bounds_p, _section(bounds_p, b, "words"), "words"),
        name_stop_chars=frozenset(_scalar(bounds_p, _section(bounds_p, b, "chars"), "chars")),
        not_names=_scalar_list(bounds_p, _section(bounds_p, b, "not_names", False), "not_names"),
    )


@functools.lru_cache(maxsize=1)
def lexicons() -> Lexicons:
    """The package lexicons, loaded once."""
    return load_lexicons()


class Matcher:
    """An Aho-Corasick automaton over words, each carrying a payload.

    ``find(text)`` yields ``(start, end, word, payload)`` for every occurrence, overlaps included.
    A word added twice keeps both payloads (as a tuple).
    """

    def __init__(self, items: Iterable[tuple[str, object]]):
        self._automaton = ahocorasick.Automaton()
        merged: dict[str, list[object]] = {}
        for word, payload in items:
            if word:
                merged.setdefault(word, []).append(payload)
        for word, payloads in merged.items():
            self._automaton.add_word(word, (word, tuple(payloads)))
        self.size = len(merged)
        if merged:
            self._automaton.make_automaton()

    def words(self) -> list[str]:
        return [w for w, _p in self._automaton.values()] if self.size else []

    def find(self, text: str) -> Iterator[tuple[int, int, str, tuple]]:
        if not self.size or not text:
            return
        for end, (word, payloads) in self._automaton.iter(text):
            yield end - len(word) + 1, end + 1, word, payloads

    def longest(self, text: str) -> list[tuple[int, int, str, tuple]]:
        """Non-overlapping matches, longest first then leftmost."""
        hits = sorted(self.find(text), key=lambda h: (-(h[1] - h[0]), h[0]))
        taken: list[tuple[int, int, str, tuple]] = []
        used = bytearray(len(text))
        for h in hits:
            if not any(used[h[0]:h[1]]):
                taken.append(h)
                used[h[0]:h[1]] = b"\x01" * (h[1] - h[0])
        return sorted(taken)


@functools.lru_cache(maxsize=None)
def matcher(name: str) -> Matcher:
    """Cached automata over the package lexicons, by name."""
    lx = lexicons()
    if name == "title_bases":
        return Matcher((w, "base") for w in lx.title_bases)
    if name == "title_prefixes":
        return Matcher((w, "prefix") for w in lx.title_prefixes + lx.gov_bodies)
    if name == "group_labels":
        return Matcher((w, "group") for w in lx.group_labels)
    if name == "not_people":
        return Matcher((w, "byline") for w in lx.not_people)
    if name == "org_suffixes":
        items: list[tuple[str, object]] = [(w, "legal") for w in lx.legal_suffixes]
        items += [(s, k) for s, k in lx.type_suffixes]
        return Matcher(items)
    if name == "stop_prefixes":
        return Matcher((w, "stop") for w in lx.stop_prefixes)
    if name == "outlets":
        return Matcher((w, "media") for w in lx.outlets)
    if name == "gov_bodies":
        return Matcher((w, "government") for w in lx.gov_bodies)
    if name == "events":
        return Matcher((w, t) for t, ws in lx.event_triggers.items() for w in ws)
    if name == "not_triggers":
        return Matcher((w, "not") for w in lx.event_not_triggers)
    if name == "hedges":
        return Matcher((w, "hedge") for w in lx.event_hedges)
    raise KeyError(name)


class NameIndex:
    """Registry names and aliases the caller already knows, for finding short names in text.

    Built from an iterable of ``(name, enterprise_id)``; the same name may belong to several
    enterprises (then all ids are kept and linking decides).

    >>> idx = NameIndex([("星衡微电子", "E1")])
    >>> [(m.name, m.ids) for m in idx.find("星衡微电子宣布量产")]
    [('星衡微电子', ('E1',))]
    """

    @dataclass(frozen=True)
    class Match:
        start: int
        end: int
        name: str
        ids: tuple[str, ...]

    def __init__(self, names: Iterable[tuple[str, str]], min_length: int = 2):
        self._matcher = Matcher((n, str(i)) for n, i in names if n and len(n) >= min_length)

    def __len__(self) -> int:
        return self._matcher.size

    def find(self, text: str) -> list["NameIndex.Match"]:
        return [NameIndex.Match(s, e, w, tuple(p)) for s, e, w, p in self._matcher.longest(text)]
