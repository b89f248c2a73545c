"""The briefing's charts as PNG bytes, drawn with matplotlib (Agg) in a CJK font so Chinese labels render.

``cjk_font()`` registers the first CJK font found (WenQuanYi Micro Hei, then Noto Sans CJK / SC, then any font whose
name says CJK, WenQuanYi or Noto Sans SC, from fontconfig or matplotlib's list) and sets ``font.sans-serif`` to its
family; with none, charts are still drawn, and ``font_warning()`` gives the line the briefing prints. Output is
deterministic: fixed size and dpi, no PNG metadata, a fixed ``svg.hashsalt``.

Kinds: ``stage_bars`` (firms and output by stage), ``verdict_map`` (the chain's nodes in three columns coloured by
verdict), ``funnel`` (projects by stage), ``event_types`` (news events by type).
"""

from __future__ import annotations

import io
import os
import subprocess
import threading
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager  # noqa: E402

from xinlian.report.model import Chart  # noqa: E402

__all__ = ["cjk_font", "font_warning", "render_png", "VERDICT_COLOURS"]

KNOWN_FONTS = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansSC-Regular.otf",
    "/usr/share/fonts/truetype/noto/NotoSansSC-Regular.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/simhei.ttf",
    "C:/Windows/Fonts/msyh.ttc",
]
NAME_HINTS = ("cjk", "wenquanyi", "wqy", "noto sans sc", "source han", "simhei", "microsoft yahei", "pingfang")

VERDICT_COLOURS = {"strong": "#2e7d32", "weak": "#f9a825", "missing": "#c62828", "at_risk": "#ef6c00",
                   "not_applicable": "#b0bec5"}
VERDICT_ZH = {"strong": "强链", "weak": "弱链", "missing": "缺链", "at_risk": "断链风险", "not_applicable": "不适用"}
STAGE_ZH = {"upstream": "上游", "midstream": "中游", "downstream": "下游"}
DPI = 120
_LOCK = threading.Lock()  # pyplot's state is global; charts are drawn one at a time


def _fc_list() -> list[str]:
    try:
        out = subprocess.run(["fc-list", "--format", "%{file}\n"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in out.stdout.splitlines() if line.strip()]


@lru_cache(maxsize=1)
def cjk_font() -> tuple[str, str] | None:
    """(family, path) of the CJK font charts use, registered with matplotlib; None when the machine has none.

    ``XINLIAN_CJK_FONT`` may name a font file to use first."""
    candidates = [os.environ.get("XINLIAN_CJK_FONT", "")] + KNOWN_FONTS
    path = next((p for p in candidates if p and Path(p).is_file()), None)
    if path is None:
        for p in _fc_list() + [f.fname for f in font_manager.fontManager.ttflist]:
            if any(h in Path(p).name.lower().replace("-", " ") or h in p.lower() for h in NAME_HINTS):
                path = p
                break
    if path is None:
        for f in font_manager.fontManager.ttflist:
            if any(h in f.name.lower() for h in NAME_HINTS):
                path = f.fname
                break
    if path is None:
        return None
    font_manager.fontManager.addfont(path)
    family = font_manager.FontProperties(fname=path).get_name()
    return family, path


def font_warning() -> str | None:
    """The warning the briefing prints when no CJK font is installed (charts would show boxes)."""
    if cjk_font() is None:
        return ("警告：本机未安装中文字体（如 fonts-wqy-microhei 或 Noto Sans CJK），图表中的中文可能显示为方框。"
                "请安装后重新生成。")
    return None


def _style() -> dict:
    font = cjk_font()
    rc = {"axes.unicode_minus": False, "svg.hashsalt": "xinlian", "font.size": 10, "figure.dpi": DPI,
          "savefig.dpi": DPI, "axes.spines.top": False, "axes.spines.right": False}
    if font is not None:
        rc["font.family"] = "sans-serif"
        rc["font.sans-serif"] = [font[0], "DejaVu Sans"]
    return rc


def render_png(chart: Chart) -> bytes:
    """The chart as PNG bytes (the same bytes for the same data); the Word and HTML writers of one briefing share
    one drawing through a small cache keyed by the chart's kind and data."""
    import json

    return _render_cached(chart.kind, json.dumps(chart.data, sort_keys=True, ensure_ascii=False, default=str))


@lru_cache(maxsize=32)
def _render_cached(kind: str, data_json: str) -> bytes:
    import json

    return _render(Chart(kind, "", json.loads(data_json)))


def _render(chart: Chart) -> bytes:
    import matplotlib.pyplot as plt

    draw = {"stage_bars": _stage_bars, "verdict_map": _verdict_map, "funnel": _funnel,
            "event_types": _event_types}.get(chart.kind)
    if draw is None:
        raise ValueError(f"unknown chart kind {chart.kind!r}")
    with _LOCK, matplotlib.rc_context(_style()):
        fig = draw(chart.data)
        try:
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None}, facecolor="white")
            return buf.getvalue()
        finally:
            plt.close(fig)


def _empty(ax, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=12, color="#607d8b", transform=ax.transAxes)
    ax.set_axis_off()


def _stage_bars(data: dict):
    """data: {"stages": [上游, 中游, 下游], "firms": [...], "output_yi": [...], "year": 2024}."""
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(8, 3.2))
    stages = data["stages"]
    firms = data["firms"]
    outputs = [v or 0 for v in data["output_yi"]]
    bars = a1.bar(stages, firms, color="#1565c0")
    a1.set_title("本地企业数（家）")
    a1.bar_label(bars, labels=[f"{v:,}" for v in firms], padding=2)
    bars = a2.bar(stages, outputs, color="#00897b")
    if data.get("masked"):  # report.masking: the reader may not see output figures
        a2.set_title("产值（已按权限脱敏）")
        a2.bar_label(bars, labels=["—" for _ in outputs], padding=2)
    else:
        a2.set_title(f"{data.get('year') or ''}年产值（亿元）")
        a2.bar_label(bars, labels=[f"{v:,.1f}" for v in outputs], padding=2)
    for ax in (a1, a2):
        ax.margins(y=0.18)
    fig.tight_layout()
    return fig


def _verdict_map(data: dict):
    """data: {"columns": {"upstream": [{"group": name, "nodes": [{"name", "verdict"}]}], ...}}: leaf nodes as
    coloured boxes under their group, one column per stage."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch, Patch

    columns = data["columns"]
    heights = [sum(1 + len(g["nodes"]) for g in columns.get(st, [])) for st in STAGE_ZH]
    rows = max(heights + [1])
    fig_h = max(3.0, 0.3 * rows + 1.4)
    fig, ax = plt.subplots(figsize=(9, fig_h))
    ax.set_xlim(0, 3)
    ax.set_ylim(rows + 0.2, -2.2)
    ax.set_axis_off()
    for ci, st in enumerate(STAGE_ZH):
        x0 = ci + 0.03
        ax.text(ci + 0.5, -0.9, STAGE_ZH[st], ha="center", va="center", fontsize=13)
        y = 0.0
        for group in columns.get(st, []):
            ax.text(x0, y + 0.05, group["name"], ha="left", va="center", fontsize=10, color="#263238")
            y += 1
            for node in group["nodes"]:
                colour = VERDICT_COLOURS.get(node["verdict"], "#b0bec5")
                ax.add_patch(FancyBboxPatch((x0 + 0.04, y - 0.42), 0.88, 0.86,
                                            boxstyle="square,pad=0.0",
                                            facecolor=colour, edgecolor="white", linewidth=0.8))
                text_colour = "white" if node["verdict"] in ("strong", "missing", "at_risk") else "#212121"
                mark = " ▲" if node.get("changed") else ""
                ax.text(x0 + 0.48, y + 0.02, node["name"] + mark, ha="center", va="center", fontsize=9.5,
                        color=text_colour)
                y += 1
    handles = [Patch(facecolor=VERDICT_COLOURS[v], label=VERDICT_ZH[v]) for v in VERDICT_ZH]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 1.0), ncol=5, frameon=False, fontsize=10)
    fig.subplots_adjust(left=0.01, right=0.99, top=0.99, bottom=0.01)
    return fig


def _funnel(data: dict):
    """data: {"stages": [线索, 接洽, …], "counts": [...], "held": {"搁置": n, "终止": m}}."""
    import matplotlib.pyplot as plt

    stages, counts = data["stages"], data["counts"]
    fig, ax = plt.subplots(figsize=(8, 0.42 * len(stages) + 1.2))
    if not stages or not any(counts):
        _empty(ax, "报告期末无在库项目")
        return fig
    top = max(counts) or 1
    for i, (name, n) in enumerate(zip(stages, counts)):
        width = max(n / top, 0.02)
        ax.barh(i, width, left=(1 - width) / 2, color="#5e35b1", height=0.72)
        ax.text(0.5, i, f"{name}  {n}", ha="center", va="center", color="white" if width > 0.25 else "#212121",
                fontsize=10)
    ax.set_ylim(len(stages) - 0.5, -0.5)
    ax.set_xlim(0, 1)
    ax.set_axis_off()
    held = "，".join(f"{k} {v} 个" for k, v in (data.get("held") or {}).items())
    if held:
        ax.set_title(f"另有{held}", fontsize=9, color="#607d8b", loc="right")
    fig.tight_layout()
    return fig


def _event_types(data: dict):
    """data: {"types": [签约, …], "counts": [...]}."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 0.45 * max(len(data["types"]), 2) + 1.0))
    if not data["types"]:
        _empty(ax, "报告期内无新闻事件")
        return fig
    bars = ax.barh(data["types"], data["counts"], color="#ef6c00")
    ax.bar_label(bars, labels=[str(c) for c in data["counts"]], padding=3)
    ax.invert_yaxis()
    ax.set_xlabel("事件数（条）")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.margins(x=0.15)
    fig.tight_layout()
    return fig
