"""Charts render Chinese with a real CJK font (no missing glyphs) and the same data always gives the same PNG."""

from __future__ import annotations

import logging
import sys
import warnings

import pytest

from xinlian.report import charts
from xinlian.report.model import Chart

SAMPLES = [
    Chart("stage_bars", "分环节", {"stages": ["上游", "中游", "下游"], "firms": [3, 107, 62],
                                 "output_yi": [0.5, 1567.9, 836.5], "year": 2024}),
    Chart("verdict_map", "图谱", {"columns": {
        "upstream": [{"name": "半导体材料", "nodes": [{"name": "碳化硅衬底", "verdict": "missing", "changed": True},
                                                 {"name": "电子特气", "verdict": "at_risk"}]}],
        "midstream": [{"name": "封装测试", "nodes": [{"name": "功率模块封装", "verdict": "strong"},
                                                {"name": "芯片测试", "verdict": "weak"}]}],
        "downstream": [{"name": "应用场景", "nodes": [{"name": "新能源与智能网联汽车", "verdict": "not_applicable"}]}]}}),
    Chart("funnel", "漏斗", {"stages": ["线索", "接洽", "在谈", "签约"], "counts": [5, 3, 2, 1], "held": {"搁置": 1}}),
    Chart("event_types", "事件", {"types": ["签约落户", "开工奠基", "投融资"], "counts": [4, 2, -1 + 2]}),
    Chart("event_types", "空", {"types": [], "counts": []}),
]


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def cjk():
    found = charts.cjk_font()
    if found is None:
        msg = ("NO CJK FONT INSTALLED: the glyph check of the briefing charts is SKIPPED "
               "(install fonts-wqy-microhei or fonts-noto-cjk)")
        print("\n" + "!" * 80 + "\n" + msg + "\n" + "!" * 80, file=sys.stderr)
        pytest.skip(msg)
    return found


@pytest.mark.parametrize("chart", SAMPLES, ids=[f"{c.kind}-{i}" for i, c in enumerate(SAMPLES)])
def test_chinese_labels_have_their_glyphs(cjk, chart):
    charts._render_cached.cache_clear()
    handler = _Capture()
    logger = logging.getLogger("matplotlib.font_manager")
    logger.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            png = charts.render_png(chart)
    finally:
        logger.removeHandler(handler)
    problems = [str(w.message) for w in caught if "Glyph" in str(w.message) or "missing" in str(w.message)]
    problems += [m for m in handler.messages if "findfont" in m or "Glyph" in m]
    assert not problems, problems
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    charts._render_cached.cache_clear()
    assert charts.render_png(chart) == png  # deterministic


def test_font_is_registered_under_its_family(cjk):
    from matplotlib import font_manager

    family, path = cjk
    assert family in {f.name for f in font_manager.fontManager.ttflist}
    assert charts.font_warning() is None


def test_a_latin_only_font_would_show_boxes():
    """The check above can fail: DejaVu Sans has no CJK glyphs and matplotlib says so."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with warnings.catch_warnings(record=True) as caught, matplotlib.rc_context({"font.family": "DejaVu Sans"}):
        warnings.simplefilter("always")
        fig, ax = plt.subplots()
        ax.set_title("缺链")
        fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)
    assert any("missing from font" in str(w.message) for w in caught)
