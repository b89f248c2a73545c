"""GB/T 2260 region table: the packaged CSV is sound and the lookups behave."""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from xinlian.registry import regions
from xinlian.registry.regions import REGIONS_CSV, RegionError, load_table


def test_wujin_sits_under_changzhou_under_jiangsu():
    wujin = regions.lookup("320412")
    assert wujin is not None
    assert (wujin.name, wujin.level, wujin.parent, wujin.short_name) == ("武进区", "county", "320400", "武进")
    assert [r.code for r in regions.ancestors("320412")] == ["320400", "320000"]
    assert regions.lookup("320400").name == "常州市"
    assert regions.province_of("320412").name == "江苏省"
    assert regions.province_of("320000").code == "320000"


def test_find_by_short_and_full_name():
    assert [r.code for r in regions.find("武进")] == ["320412"]
    assert [r.code for r in regions.find("武进区")] == ["320412"]
    assert [r.code for r in regions.find("常州")] == ["320400"]
    assert regions.find("不存在的地方") == []


def test_find_within_narrows_ambiguous_names():
    assert {r.code for r in regions.find("鼓楼")} == {"320106", "320302"}
    assert [r.code for r in regions.find("鼓楼", within="南京")] == ["320106"]
    assert [r.code for r in regions.find("鼓楼", within="320300")] == ["320302"]
    assert [r.code for r in regions.find("鼓楼", within="江苏省")] == ["320106", "320302"]
    assert regions.find("武进", within="苏州") == []


@pytest.mark.parametrize(
    "name, short",
    [
        ("武进区", "武进"),
        ("常州市", "常州"),
        ("江苏省", "江苏"),
        ("内蒙古自治区", "内蒙古"),
        ("广西壮族自治区", "广西"),
        ("新疆维吾尔自治区", "新疆"),
        ("香港特别行政区", "香港"),
        ("浦东新区", "浦东"),
        ("恩施土家族苗族自治州", "恩施"),
        ("丰县", "丰县"),
        ("新区", "新区"),
        ("城区", "城区"),
        ("张家港市", "张家港"),
    ],
)
def test_short_names(name, short):
    assert regions.short_name(name) == short


def test_packaged_csv_is_sound():
    with REGIONS_CSV.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    codes = [row["code"] for row in rows]
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert not [c for c, n in Counter(codes).items() if n > 1]
    known = set(codes)
    assert all(row["parent"] in known for row in rows if row["parent"])
    assert {row["level"] for row in rows} == {"province", "prefecture", "county"}
    assert len(regions.all_regions()) == len(rows)


def test_every_province_level_division_is_present():
    provinces = [r for r in regions.all_regions() if r.level == "province"]
    assert len(provinces) == 34
    assert {"北京", "内蒙古", "广西", "西藏", "台湾", "香港", "澳门"} <= {p.short_name for p in provinces}


def test_jiangsu_is_complete():
    cities = regions.children("320000")
    assert len(cities) == 13
    assert all(c.level == "prefecture" for c in cities)
    assert {c.short_name for c in cities} == {
        "南京", "无锡", "徐州", "常州", "苏州", "南通", "连云港", "淮安", "盐城", "扬州", "镇江", "泰州", "宿迁",
    }
    counties = [r for c in cities for r in regions.children(c.code)]
    assert len(counties) >= 90
    changzhou = {r.code for r in regions.children("320400")}
    assert changzhou == {"320402", "320404", "320411", "320412", "320413", "320481"}


def test_municipality_districts_hang_off_the_municipality():
    assert [r.code for r in regions.ancestors("310115")] == ["310000"]
    assert regions.lookup("310115").short_name == "浦东"
    assert len(regions.children("110000")) == 16


def test_name_index_and_code_checks():
    index = regions.name_index()
    assert index["武进"] == ["320412"]
    assert index["武进区"] == ["320412"]
    assert sorted(index["鼓楼"]) == ["320106", "320302"]
    assert regions.is_valid_code("320412")
    assert not regions.is_valid_code("32041")
    assert not regions.is_valid_code("999999")
    assert regions.lookup("999999") is None


def test_loading_errors_name_file_and_line(tmp_path):
    path = tmp_path / "regions.csv"
    path.write_text(
        "code,name,level,parent\n"
        "320000,江苏省,province,\n"
        "320400,常州市,prefecture,320000\n"
        "320412,武进区,county,320499\n"  # line 4: parent missing
        "320400,常州市,prefecture,320000\n"  # line 5: duplicate
        "32041X,坏码,county,320400\n",  # line 6: not six digits
        encoding="utf-8",
    )
    with pytest.raises(RegionError) as info:
        load_table(path)
    err = info.value
    assert err.file == str(path)
    assert err.line == 4
    text = str(err)
    assert f"{path}:4: 320412: parent 320499 is not in the table" in text
    assert f"{path}:5: duplicate code 320400" in text
    assert f"{path}:6: code '32041X' is not six digits" in text


def test_bad_header_is_line_one(tmp_path):
    path = tmp_path / "regions.csv"
    path.write_text("code,name\n320000,江苏省\n", encoding="utf-8")
    with pytest.raises(RegionError) as info:
        load_table(path)
    assert info.value.line == 1
