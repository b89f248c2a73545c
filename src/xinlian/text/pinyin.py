"""Stage 2: remove pinyin annotations such as 區(qū) or 有(yǒu)限公司.

Some converters print a reading in brackets after each character they changed. An annotation is removed only
when the bracketed syllable is a reading of the character before it (or of its simplified form), so real
parentheticals stay: 澎芯半导体(常州), 人工智能(AI), 氮化镓(GaN), 接口(pin), 芯片(chip).
"""

from __future__ import annotations

import functools
import re
import unicodedata

from pypinyin import Style, pinyin

from xinlian.text.t2s import char_to_simplified

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_SYLLABLE = rf"[a-zA-Züv{_TONED}ê]{{1,7}}"
ANNOTATION = re.compile(rf"([{_HAN}])[(（]\s?({_SYLLABLE})\s?([1-5])?\s?[)）]")
_TONE_MARKS = frozenset(_TONED)


def _plain(syllable: str) -> str:
    """A syllable without tone marks, ü written as v, lower case."""
    decomposed = unicodedata.normalize("NFD", syllable.lower().replace("ü", "v"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("u\u0308", "v")


@functools.lru_cache(maxsize=65536)
def readings(ch: str) -> tuple[frozenset[str], frozenset[str]]:
    """(toned readings, tone-less readings) of a character and of its simplified form."""
    toned: set[str] = set()
    forms = {ch, char_to_simplified(ch)}
    for form in forms:
        for r in pinyin(form, heteronym=True, style=Style.TONE)[0]:
            if r != form:
                toned.add(r.lower())
    plain = {_plain(r) for r in toned}
    for form in forms:
        for r in pinyin(form, heteronym=True, style=Style.NORMAL)[0]:
            if r != form:
                plain.add(r.lower().replace("ü", "v"))
    return frozenset(toned), frozenset(plain)


def is_reading(ch: str, syllable: str) -> bool:
    """True when ``syllable`` (toned, or plain with an optional tone digit stripped) is a reading of ``ch``."""
    toned, plain = readings(ch)
    s = syllable.lower()
    if any(c in _TONE_MARKS for c in s):
        return s in toned
    return _plain(s) in plain


def _replace(m: re.Match[str]) -> str:
    return m.group(1) if is_reading(m.group(1), m.group(2)) else m.group(0)


def strip_annotations(text: str) -> str:
    """Remove bracketed pinyin that reads the character right before it.

    >>> strip_annotations("常州某某科技有(yǒu)限公司(常州)")
    '常州某某科技有限公司(常州)'
    """
    if "(" not in text and "（" not in text:
        return text
    # Repeat: removing 有(yǒu) from 有(yǒu)(yǒu) exposes the second annotation.
    for _ in range(8):
        new = ANNOTATION.sub(_replace, text)
        if new == text:
            break
        text = new
    return text
