"""Make dirty variants of gold articles by program, the way real pages arrive: traditional
characters (OpenCC s2t), pinyin in parentheses after characters (pypinyin), and boilerplate lines
around the body. The variants go through ``xinlian.text.clean.clean_text`` before extraction.

    python tests/extract/dirty.py  # prints one variant of each kind for the first gold article
"""

from __future__ import annotations

import functools
import random

import opencc
from pypinyin import Style, pinyin

BOILERPLATE_HEAD = ["首页 | 新闻 | 政务 | 视频", "当前位置：首页 > 新闻中心 > 本地要闻"]
BOILERPLATE_TAIL = ["更多>>", "责任编辑：赵小满", "视频推荐", "版权所有：某某融媒体中心 备案号：苏ICP备00000000号",
                    "扫一扫在手机打开当前页"]


@functools.lru_cache(maxsize=1)
def _s2t() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


def traditional(text: str) -> str:
    return _s2t().convert(text)


def with_pinyin(text: str, rate: float = 0.3, seed: int = 7) -> str:
    """Put tone-marked pinyin in parentheses after a share of the Han characters (區(qū)領(lǐng)導(dǎo))."""
    rng = random.Random(seed)
    out = []
    for ch in text:
        out.append(ch)
        if "\u4e00" <= ch <= "\u9fff" and rng.random() < rate:
            out.append("(" + pinyin(ch, style=Style.TONE)[0][0] + ")")
    return "".join(out)


def with_boilerplate(text: str) -> str:
    return "\n".join(BOILERPLATE_HEAD + [""] + text.splitlines() + [""] + BOILERPLATE_TAIL)


VARIANTS = {
    "traditional": traditional,
    "pinyin": lambda t: with_pinyin(traditional(t)),
    "boilerplate": with_boilerplate,
}


def variants(article: dict) -> list[tuple[str, dict]]:
    """(variant name, article copy with a dirty text) for each kind of dirt."""
    out = []
    for name, fn in VARIANTS.items():
        a = dict(article)
        a["text"] = fn(article["text"])
        a["id"] = f"{article.get('id')}~{name}"
        out.append((name, a))
    return out


if __name__ == "__main__":
    from extract_gold import gold_articles

    first = gold_articles(with_seed=False)[0]
    for name, a in variants(first):
        print(f"--- {name}\n{a['text']}")
