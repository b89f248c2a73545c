"""Stage 7: remove page furniture from article lines.

Line patterns (更多>>, 视频推荐, dated programme lists, breadcrumbs, copyright and ICP lines, share widgets, image
file names, editor credits, ...) live in ``data/lexicons/boilerplate.yaml``. Structural rules live here: a lead
paragraph printed twice is dropped, and after the last long paragraph short headline-like lines (no sentence
punctuation) are sidebar items, not article text.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

import yaml

DATA_FILE = "data/lexicons/boilerplate.yaml"
_SENTENCE_END = re.compile(r"[。！？!?；;…]")
# A paragraph at least this long, or ending a sentence, is article text; shorter lines after the last one are not.
LONG_LINE = 50
MAX_LINE = 260  # no pattern in the file matches a longer line
SHORT_SENTENCE = 12


@dataclass(frozen=True)
class Pattern:
    regex: re.Pattern[str]
    why: str
    line: int
    contains: tuple[str, ...] = ()  # the line must hold one of these for the pattern to be tried


class LexiconError(ValueError):
    """A boilerplate pattern file that cannot be used; the message names the file and line."""


def load_patterns(text: str, name: str = DATA_FILE) -> list[Pattern]:
    """Parse and compile a pattern file; errors name the file and line."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise LexiconError(f"{name}: {exc}") from exc
    if root is None or not isinstance(root, yaml.MappingNode):
        raise LexiconError(f"{name}:1: expected a mapping with `patterns:`")
    entries = [v for k, v in root.value if k.value == "patterns"]
    if not entries or not isinstance(entries[0], yaml.SequenceNode):
        raise LexiconError(f"{name}:1: expected `patterns:` to be a list")
    out: list[Pattern] = []
    for node in entries[0].value:
        line = node.start_mark.line + 1
        if not isinstance(node, yaml.MappingNode):
            raise LexiconError(f"{name}:{line}: each entry needs `pattern` and `why`")
        fields = {k.value: v for k, v in node.value}
        pattern, reason = fields.get("pattern"), fields.get("why")
        if not isinstance(pattern, yaml.ScalarNode) or not isinstance(reason, yaml.ScalarNode):
            raise LexiconError(f"{name}:{line}: each entry needs `pattern` and `why` strings")
        contains: tuple[str, ...] = ()
        if "contains" in fields:
            words = fields["contains"]
            if not isinstance(words, yaml.SequenceNode) or not all(isinstance(w, yaml.ScalarNode) for w in words.value):
                raise LexiconError(f"{name}:{line}: `contains` must be a list of words")
            contains = tuple(str(w.value) for w in words.value)
        try:
            out.append(Pattern(re.compile(pattern.value), reason.value, line, contains))
        except re.error as exc:
            raise LexiconError(f"{name}:{line}: bad regular expression: {exc}") from exc
    return out


@functools.cache
def patterns() -> tuple[Pattern, ...]:
    """The shipped patterns, loaded once."""
    text = resources.files("xinlian").joinpath(DATA_FILE).read_text(encoding="utf-8")
    return tuple(load_patterns(text))


@functools.cache
def _combined() -> tuple[re.Pattern[str] | None, re.Pattern[str] | None, tuple[Pattern, ...]]:
    """One alternation of the unguarded patterns (faster than a loop); one search for any guard word; and the
    guarded patterns (with ``contains``), tried one by one only on lines that hold one of their words."""
    able = patterns()
    plain = [p.regex.pattern for p in able if not p.contains]
    regex = re.compile("|".join(f"(?:{c})" for c in plain)) if plain else None
    words = sorted({w for p in able for w in p.contains}, key=len, reverse=True)
    guard = re.compile("|".join(map(re.escape, words))) if words else None
    return regex, guard, tuple(p for p in able if p.contains)


def is_boilerplate(line: str) -> bool:
    """True when the whole (trimmed) line is page furniture by the pattern file."""
    s = line.strip()
    if not s:
        return True
    if len(s) > MAX_LINE:
        return False
    regex, guard, guarded = _combined()
    if regex is not None and regex.fullmatch(s) is not None:
        return True
    if guard is None or guard.search(s) is None:
        return False
    return any(any(w in s for w in p.contains) and p.regex.fullmatch(s) for p in guarded)


def why(line: str) -> str | None:
    """Which rule calls the line boilerplate (for explanations and tests)."""
    s = line.strip()
    for p in patterns():
        if p.regex.fullmatch(s):
            return p.why
    return None


def _norm(s: str) -> str:
    # Lines reach here with spaces already collapsed, so dropping spaces is enough.
    return s.replace(" ", "") if " " in s else s


def is_long(line: str) -> bool:
    """A line that reads as article prose rather than a headline or a link."""
    s = line.strip()
    return len(s) >= LONG_LINE or (len(s) >= SHORT_SENTENCE and _SENTENCE_END.search(s) is not None)


def _is_title_copy(line: str, title: str) -> bool:
    """The headline again at the top of the body, alone or followed by a short dateline."""
    core = line.lstrip("-*·• ")
    return core == title or (len(title) >= 6 and core.startswith(title) and len(core) - len(title) <= 60)


def strip(
    paragraphs: list[str], title: str | None = None, head: bool = True, known_clean: frozenset[str] = frozenset()
) -> list[str]:
    """Remove boilerplate from article paragraphs.

    Args:
        paragraphs: candidate body lines in page order.
        title: the headline, so that a copy of it at the top of the body is dropped.
        head: also drop short headline-like lines before the first prose paragraph (bylines, breadcrumbs);
            off when the text still carries its own headline.
        known_clean: lines already found not to match any pattern (a second pass need not test them again).

    Returns:
        The article paragraphs; order kept.
    """
    kept = [s for p in paragraphs if (s := p.strip()) and (s in known_clean or not is_boilerplate(s))]
    # A lead printed twice, or a headline repeated in the body: keep the first copy only.
    seen: set[str] = set()
    title_n = _norm(title) if title else None
    out: list[str] = []
    for p in kept:
        n = _norm(p)
        if n in seen or (title_n and len(out) < 6 and _is_title_copy(n, title_n)):
            continue
        seen.add(n)
        out.append(p)
    # Before the first prose paragraph: short headline-like lines are bylines, breadcrumbs and channel names.
    first = next((i for i, p in enumerate(out) if is_long(p)), None)
    if head and first is not None and first <= 8:
        out = [p for i, p in enumerate(out) if i >= first or _SENTENCE_END.search(p) or len(p) > 30]
    # Sidebar items after the article: headline-like lines after the last prose paragraph.
    last = next((i for i in range(len(out) - 1, -1, -1) if is_long(out[i])), -1)
    if last >= 0:
        out = out[: last + 1] + [p for p in out[last + 1 :] if _SENTENCE_END.search(p)]
    # A short summary line that the next paragraph repeats at its start. Read from the end so that a chain of
    # ever longer copies collapses at once; last, because it never changes which lines the rules above keep.
    reversed_out: list[str] = []
    following = None
    for p in reversed(out):
        n = _norm(p)
        if following is not None and len(p) >= 20 and following.startswith(n):
            continue
        reversed_out.append(p)
        following = n
    out = reversed_out[::-1]
    return out
