import pytest

from xinlian.registry.names import basic, core, normalise


@pytest.mark.parametrize("variant", [
    "澎芯半导体(常州)有限公司", "澎芯半導體（常州）有限公司", "澎芯半导体", "澎芯半导体有限公司", " 澎芯半导体（常州） 有限公司 ",
    "澎芯半导体(常州)股份有限公司", "澎芯半导体集团有限公司",
])
def test_spellings_of_one_firm_share_a_key(variant):
    assert normalise(variant) == "澎芯半导体"


def test_non_region_parentheticals_are_kept():
    assert normalise("星衡(GaN)科技有限公司") == "星衡(gan)科技"
    assert normalise("华恒锂电(苏州工业园区)有限公司") == "华恒锂电"


def test_core_drops_a_leading_region():
    assert core("常州亦泓科技有限公司") == "亦泓科技"
    assert core("江苏星衡微电子有限公司") == "星衡微电子"
    assert core("领先光学技术(江苏)有限公司") == "领先光学技术"


def test_different_firms_stay_different():
    assert normalise("星衡微电子有限公司") != normalise("星衡电子有限公司")
    assert normalise("有限公司") == "有限公司"  # nothing left to strip: keep the name


def test_basic_keeps_the_displayable_name():
    assert basic("澎芯半導體（常州）有限公司") == "澎芯半导体(常州)有限公司"
    assert basic("ＡＢＣ  Co., Ltd.") == "ABC Co., Ltd."
