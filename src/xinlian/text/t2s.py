"""Stage 3: traditional -> simplified Chinese with OpenCC's ``t2s`` profile.

``t2s`` converts characters and phrases without regional rewording (``tw2sp`` would turn 核心 into 内核).
Text already in simplified characters passes through unchanged. One converter is built per process.
"""

from __future__ import annotations

import functools

import opencc


@functools.cache
def converter() -> opencc.OpenCC:
    """The process-wide OpenCC converter (the profile is ``t2s`` or ``t2s.json`` depending on the build)."""
    for name in ("t2s", "t2s.json"):
        try:
            return opencc.OpenCC(name)
        except Exception:  # noqa: BLE001 - each OpenCC build raises its own error type for unknown profiles
            continue
    raise RuntimeError("OpenCC has no t2s profile")


def to_simplified(text: str) -> str:
    """Convert traditional characters to simplified ones.

    >>> to_simplified("區領導調研芯片產業")
    '区领导调研芯片产业'
    """
    if not text or text.isascii():
        return text
    return converter().convert(text)


@functools.lru_cache(maxsize=65536)
def char_to_simplified(ch: str) -> str:
    """One character's simplified form (cached; used by the pinyin stage)."""
    return to_simplified(ch)
