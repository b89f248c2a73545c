"""Company-name normalisation, used everywhere names are compared.

``normalise`` maps the spellings of one firm to one key: full/half width, traditional → simplified (OpenCC
t2s), brackets, region parentheticals such as (常州) or （江苏）, and legal-form endings (有限公司, 股份有限公司,
集团 …, from ``data/lexicons/legal_forms.yaml``). So 澎芯半导体(常州)有限公司, 澎芯半導體（常州）有限公司 and 澎芯半导体
all give 澎芯半导体. ``core`` further drops a leading region name (常州亦泓科技 → 亦泓科技).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

import yaml

_PAREN = re.compile(r"\(([^()]{1,12})\)")
_SPACE = re.compile(r"\s+")
_HAN_CHAR = re.compile(r"[\u4e00-\u9fff]")
_TAIL_PAREN = re.compile(r"\(([^()]{1,12})\)$")


@lru_cache(maxsize=1)
def _lexicon() -> tuple[tuple[str, ...], frozenset[str]]:
    data = yaml.safe_load(resources.files("xinlian.data.lexicons").joinpath("legal_forms.yaml").read_text("utf-8"))
    forms = tuple(sorted((f.lower() for f in data["legal_forms"]), key=len, reverse=True))
    return forms, frozenset(data.get("region_words", []))


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _region_names() -> frozenset[str]:
    try:
        from xinlian.registry import regions
    except ImportError:  # pragma: no cover - regions ship with the package
        return frozenset()
    return frozenset(regions.name_index())


def _is_region(word: str) -> bool:
    _, extra = _lexicon()
    if word in extra or word in _region_names():
        return True
    return bool(re.fullmatch(r"[\u4e00-\u9fff]{1,6}(省|市|区|县|自治区|自治州)", word))


def to_simplified(text: str) -> str:
    return _converter().convert(text) if text else text


def basic(name: str) -> str:
    """Width, script, brackets and spaces only: the displayable clean form of a name."""
    s = unicodedata.normalize("NFKC", name or "")
    s = s.replace("〔", "(").replace("〕", ")").replace("【", "(").replace("】", ")")
    s = to_simplified(s)
    s = _SPACE.sub("", s) if _HAN_CHAR.search(s) else _SPACE.sub(" ", s).strip()
    return s


def basic_and_key(name: str) -> tuple[str, str]:
    """``(basic(name), normalise(name))`` with the shared work done once (the importer's per-row path)."""
    clean = basic(name)
    return clean, _strip_forms(clean.lower())


@lru_cache(maxsize=200_000)
def normalise(name: str) -> str:
    """The matching key of a company name.

    >>> normalise("澎芯半導體（常州）有限公司")
    '澎芯半导体'
    """
    return _strip_forms(basic(name).lower())


@lru_cache(maxsize=1)
def _forms_by_length() -> tuple[frozenset[str], tuple[int, ...]]:
    """The legal forms as a set, and their lengths longest first: the longest form a name ends with is found by
    one slice and one set test per length (the forms of one length cannot both end the same name)."""
    forms, _ = _lexicon()
    return frozenset(forms), tuple(sorted({len(f) for f in forms}, reverse=True))


def _strip_forms(s: str) -> str:
    """Legal-form endings and region parentheticals off a lower-cased ``basic`` name."""
    forms, _ = _lexicon()
    form_set, lengths = _forms_by_length()
    changed = True
    while changed and s not in form_set:
        changed = False
        if s.endswith(forms):  # one C-level test first; most names end in one form or none
            for n in lengths:  # the longest form the name ends with, unless it is the whole name
                if len(s) > n and s[-n:] in form_set:
                    s = s[:-n].rstrip(" ,.")
                    changed = True
                    break
        if s.endswith(")"):
            m = _TAIL_PAREN.search(s)
            if m and _is_region(m.group(1)):
                s = s[: m.start()]
                changed = True
    if "(" in s:
        s = _PAREN.sub(lambda m: "" if _is_region(m.group(1)) else m.group(0), s)
    return s.strip()


def core(name: str) -> str:
    """``normalise`` without a leading region name: 常州亦泓科技有限公司 → 亦泓科技."""
    s = normalise(name)
    names = _region_names()
    for length in range(min(6, len(s) - 2), 1, -1):
        if s[:length] in names:
            return s[length:]
    return s
