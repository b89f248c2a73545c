"""The briefing as one self-contained HTML page (CSS inline, charts as PNG data URIs, nothing fetched from
outside), from the Jinja2 template ``templates/briefing.html`` with autoescaping on. ``fragment=True`` gives the
body only, for the web app to place inside its own page. Also the input of ``report.pdf``."""

from __future__ import annotations

import base64
from functools import lru_cache

from jinja2 import Environment, PackageLoader, select_autoescape

from xinlian.report import charts
from xinlian.report.model import Briefing, Chart, Paragraph, Table

__all__ = ["write_html", "render_html"]


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=PackageLoader("xinlian.report", "templates"),
                      autoescape=select_autoescape(["html"], default=True), trim_blocks=True, lstrip_blocks=True)
    env.tests["paragraph"] = lambda b: isinstance(b, Paragraph)
    env.tests["table"] = lambda b: isinstance(b, Table)
    env.tests["chart"] = lambda b: isinstance(b, Chart)
    return env


def _data_uri(chart: Chart) -> str:
    return "data:image/png;base64," + base64.b64encode(charts.render_png(chart)).decode("ascii")


def render_html(b: Briefing, *, fragment: bool = False) -> str:
    """The briefing as HTML text; ``fragment`` leaves out <html>/<head> (the styles stay, scoped to the briefing)."""
    images = {c.number: _data_uri(c) for c in b.charts()}
    numeric = {"text", "date"}
    return _env().get_template("briefing.html").render(b=b, images=images, numeric=numeric, fragment=fragment)


def write_html(b: Briefing) -> bytes:
    return render_html(b).encode("utf-8")
