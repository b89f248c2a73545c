"""Generated registry lists with known truth: fictional firms written the ways two bureaus write them."""

from __future__ import annotations

import random

# fictional name stems: two syllables drawn from these, then an industry word
_SYLLABLES = list("澎芯亦泓领衡星博康晟瑞丰源启明远航金石银宏图嘉禾通赛德凯迪翔宇恒信达鑫盛隆睿智汇聚鼎峰岚曜")
_INDUSTRY = ["半导体", "光学", "锂电", "微电子", "智能装备", "精密机械", "新材料", "传感技术", "电子材料", "光电"]
_CITIES = [("常州", "江苏"), ("苏州", "江苏"), ("无锡", "江苏"), ("南京", "江苏"), ("杭州", "浙江"), ("合肥", "安徽")]
_FORMS = ["有限公司", "有限责任公司", "股份有限公司"]
_SURNAMES = list("王李张刘陈杨赵黄周吴徐孙朱马胡郭林何高罗")
_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂")


def _t(s: str) -> str:
    import opencc

    return opencc.OpenCC("s2t").convert(s)


def firms(n: int, seed: int = 3) -> list[dict]:
    rng = random.Random(seed)
    seen: set[str] = set()
    out = []
    while len(out) < n:
        stem = rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES)
        ind = rng.choice(_INDUSTRY)
        if stem + ind in seen or stem[0] == stem[1]:
            continue
        seen.add(stem + ind)
        city, prov = rng.choice(_CITIES)
        rep = rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(_GIVEN)
        out.append({"stem": stem + ind, "city": city, "province": prov, "legal_rep": rep, "id": len(out)})
        if rng.random() < 0.15 and len(out) < n:
            # a different firm with a near-identical name (same stem, another trade), sometimes in the same city
            other = next(i for i in _INDUSTRY if i != ind and stem + i not in seen)
            seen.add(stem + other)
            city2, prov2 = (city, prov) if rng.random() < 0.5 else rng.choice(_CITIES)
            rep2 = rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(_GIVEN)
            out.append({"stem": stem + other, "city": city2, "province": prov2, "legal_rep": rep2, "id": len(out)})
    return out


def spell(f: dict, rng: random.Random) -> str:
    """One way of writing the firm's name: suffix, bracket width, script and region prefix vary."""
    stem, city, prov = f["stem"], f["city"], f["province"]
    form = rng.choice(_FORMS)
    style = rng.randrange(5)
    if style == 0:
        name = f"{city}{stem}{form}"
    elif style == 1:
        name = f"{stem}({city}){form}"
    elif style == 2:
        name = f"{stem}（{city}）{form}"
    elif style == 3:
        name = f"{prov}{stem}{form}"
    else:
        name = f"{city}市{stem}{form}"
    if rng.random() < 0.25:
        name = _t(name)
    return name


def two_lists(n: int = 150, seed: int = 3) -> tuple[list[dict], list[int]]:
    """Records of two bureaus' lists (about 70% of firms on both), and the true firm of each record."""
    rng = random.Random(seed)
    records, truth = [], []
    for f in firms(n, seed):
        lists = ["a", "b"] if rng.random() < 0.7 else [rng.choice("ab")]
        for src in lists:
            code = f"91320400MA{f['id']:07d}X" if rng.random() < 0.3 else None  # fictional, not check-digit valid
            records.append({"name": spell(f, rng), "region": f["city"] if rng.random() < 0.8 else None,
                            "legal_rep": f["legal_rep"] if rng.random() < 0.85 else None, "credit_code": code,
                            "source": src})
            truth.append(f["id"])
    return records, truth
