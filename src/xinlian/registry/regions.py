"""Administrative divisions (GB/T 2260 行政区划代码) from ``xinlian/data/regions/gbt2260.csv``.

Enterprises, news places and visits are pinned to six-digit region codes; this module
answers "what is 320412", "which codes are called 鼓楼", and "which province is this
district in". The table is loaded once, validated, and every error names the line.

Example:
    >>> lookup("320412").name, province_of("320412").short_name
    ('武进区', '江苏')
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from pathlib import Path

from xinlian.yamlfile import DataFileError

__all__ = [
    "LEVELS",
    "Region",
    "RegionError",
    "all_regions",
    "ancestors",
    "children",
    "find",
    "is_valid_code",
    "lookup",
    "name_index",
    "province_of",
    "short_name",
]

LEVELS: tuple[str, ...] = ("province", "prefecture", "county")
REGIONS_CSV = Path(__file__).resolve().parent.parent / "data" / "regions" / "gbt2260.csv"
_COLUMNS = ["code", "name", "level", "parent"]
_CODE_RE = re.compile(r"^\d{6}$")

# The 55 minority nationalities, longest first, for stripping "…族自治州/县/区" endings.
_NATIONALITIES = sorted(
    """蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡
    纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克
    德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺""".split(),
    key=len,
    reverse=True,
)
# 新疆维吾尔自治区 is the one official name that drops the 族.
_AUTONOMOUS_RE = re.compile(r"(?:(?:%s)族|维吾尔)*自治(?:区|州|县|旗)$" % "|".join(_NATIONALITIES))
# Generic endings, tried in order; the first that leaves at least two characters wins.
_SUFFIXES = ("特别行政区", "新区", "地区", "林区", "省", "市", "区", "县", "旗", "盟")


class RegionError(DataFileError):
    """The region table is malformed. ``str(err)`` has one ``FILE:LINE: reason`` per problem."""


@dataclass(frozen=True)
class Region:
    """One administrative division. ``parent`` is None for provinces."""

    code: str
    name: str
    level: str
    parent: str | None
    short_name: str


def short_name(name: str) -> str:
    """The everyday form of a division name: 武进区→武进, 内蒙古自治区→内蒙古, 丰县→丰县.

    Endings are removed only when at least two characters remain, so one-character
    stems (丰县, 沛县, 城区) keep their full name.
    """
    stripped = _AUTONOMOUS_RE.sub("", name)
    if stripped != name and len(stripped) >= 2:
        return stripped
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


class _Table:
    def __init__(self, regions: dict[str, Region]):
        self.regions = regions
        self.children: dict[str, list[str]] = {}
        self.by_name: dict[str, list[str]] = {}
        for region in regions.values():
            if region.parent is not None:
                self.children.setdefault(region.parent, []).append(region.code)
            for key in {region.name, region.short_name}:
                self.by_name.setdefault(key, []).append(region.code)


def _load(path: Path) -> _Table:
    errors: list[tuple[int, str]] = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RegionError(path, [(0, f"cannot read region table: {exc}")]) from exc
    rows = list(csv.reader(text.splitlines()))
    if not rows or [c.strip() for c in rows[0]] != _COLUMNS:
        raise RegionError(path, [(1, f"header must be {','.join(_COLUMNS)}")])

    regions: dict[str, Region] = {}
    lines: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not row or not "".join(row).strip():
            continue
        if len(row) != len(_COLUMNS):
            errors.append((line, f"expected {len(_COLUMNS)} columns, got {len(row)}"))
            continue
        code, name, level, parent = (c.strip() for c in row)
        if not _CODE_RE.match(code):
            errors.append((line, f"code {code!r} is not six digits"))
            continue
        if code in regions:
            errors.append((line, f"duplicate code {code} (first at line {lines[code]})"))
            continue
        if not name:
            errors.append((line, f"{code}: empty name"))
        if level not in LEVELS:
            errors.append((line, f"{code}: level {level!r} is not one of {', '.join(LEVELS)}"))
        if parent and not _CODE_RE.match(parent):
            errors.append((line, f"{code}: parent {parent!r} is not six digits"))
        regions[code] = Region(code, name, level, parent or None, short_name(name))
        lines[code] = line

    allowed_parents = {"province": (), "prefecture": ("province",), "county": ("prefecture", "province")}
    for code, region in regions.items():
        line = lines[code]
        if region.level not in LEVELS:
            continue
        if region.level == "province":
            if region.parent is not None:
                errors.append((line, f"{code}: a province has no parent"))
            if not code.endswith("0000"):
                errors.append((line, f"{code}: a province code ends in 0000"))
            continue
        if region.parent is None:
            errors.append((line, f"{code}: a {region.level} needs a parent"))
            continue
        parent = regions.get(region.parent)
        if parent is None:
            errors.append((line, f"{code}: parent {region.parent} is not in the table"))
            continue
        if parent.level not in allowed_parents[region.level]:
            errors.append((line, f"{code}: a {region.level} cannot sit under a {parent.level} ({parent.code})"))
        if code[:2] != region.parent[:2]:
            errors.append((line, f"{code}: code is not in the province of its parent {region.parent}"))
        elif parent.level == "prefecture" and code[:4] != region.parent[:4]:
            errors.append((line, f"{code}: code does not start with its prefecture's {region.parent[:4]}"))
    if errors:
        raise RegionError(path, errors)
    return _Table(regions)


@functools.lru_cache(maxsize=4)
def _table(path: Path = REGIONS_CSV) -> _Table:
    return _load(path)


def load_table(path: str | Path) -> dict[str, Region]:
    """Load and validate another region CSV (same columns); used by tests and imports."""
    return dict(_load(Path(path)).regions)


def lookup(code: str) -> Region | None:
    """The region with this six-digit code, or None."""
    return _table().regions.get(str(code).strip())


def is_valid_code(code: str) -> bool:
    """True when ``code`` is six digits and names a division in our table."""
    code = str(code).strip()
    return bool(_CODE_RE.match(code)) and code in _table().regions


def all_regions() -> list[Region]:
    """Every region, in file order (provinces first)."""
    return list(_table().regions.values())


def children(code: str) -> list[Region]:
    """Direct subdivisions of ``code``, in file order (empty for unknown codes)."""
    table = _table()
    return [table.regions[c] for c in table.children.get(str(code).strip(), ())]


def ancestors(code: str) -> list[Region]:
    """Enclosing regions, nearest first: county → prefecture → province."""
    table = _table()
    out: list[Region] = []
    region = table.regions.get(str(code).strip())
    while region is not None and region.parent is not None:
        region = table.regions.get(region.parent)
        if region is None:
            break
        out.append(region)
    return out


def province_of(code: str) -> Region | None:
    """The province-level region containing ``code`` (itself for a province)."""
    region = lookup(code)
    if region is None:
        return None
    chain = [region, *ancestors(region.code)]
    return chain[-1] if chain[-1].level == "province" else None


def find(name: str, within: str | None = None) -> list[Region]:
    """Regions whose full or short name is ``name`` (武进区 or 武进).

    Args:
        name: a full name (鼓楼区) or short name (鼓楼).
        within: optionally a code or a name (full or short) of an enclosing region;
            only regions strictly below it are returned.

    Returns:
        Matching regions in file order; ``find("鼓楼", within="南京")`` → [320106 鼓楼区].
    """
    table = _table()
    name = name.strip()
    codes = table.by_name.get(name, [])
    if within is None:
        return [table.regions[c] for c in codes]
    within = within.strip()
    if _CODE_RE.match(within):
        scopes = {within}
    else:
        scopes = set(table.by_name.get(within, []))
    return [
        table.regions[c]
        for c in codes
        if any(a.code in scopes for a in ancestors(c))
    ]


def name_index() -> dict[str, list[str]]:
    """Every full and short name → the codes carrying it (file order), for dictionary matching.

    Short names are often ambiguous (鼓楼 is in 南京 and 徐州) or ordinary words (朝阳);
    callers should check context before trusting a bare short-name hit.
    """
    return {name: list(codes) for name, codes in _table().by_name.items()}
