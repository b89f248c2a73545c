"""Interface messages: Simplified Chinese by default, English on request.

Messages live in ``data/i18n/zh.yaml`` and ``data/i18n/en.yaml`` as flat ``key: text`` maps (a test checks both
files have the same keys). The language comes from ``?lang=`` (remembered in a cookie) or the ``xl_lang`` cookie.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

import xinlian.data

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
I18N_DIR = Path(xinlian.data.__file__).parent / "i18n"


class MessagesError(ValueError):
    pass


@lru_cache(maxsize=None)
def messages(lang: str) -> dict[str, str]:
    path = I18N_DIR / f"{lang}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        raise MessagesError(f"{path}:{line}: {exc}") from exc
    if not isinstance(data, dict):
        raise MessagesError(f"{path}:1: expected a mapping of key: text")
    bad = [k for k, v in data.items() if not isinstance(v, str)]
    if bad:
        raise MessagesError(f"{path}: values must be text: {bad[:5]}")
    return data


def pick_lang(query_lang: str | None, cookie_lang: str | None, accept: str | None = None) -> str:
    for candidate in (query_lang, cookie_lang):
        if candidate in LANGS:
            return candidate
    return DEFAULT_LANG


class Translator:
    def __init__(self, lang: str):
        self.lang = lang if lang in LANGS else DEFAULT_LANG
        self._messages = messages(self.lang)

    def __call__(self, key: str, **values) -> str:
        text = self._messages.get(key)
        if text is None:
            text = messages(DEFAULT_LANG).get(key, key)
        return text.format(**values) if values else text
