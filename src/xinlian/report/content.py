"""The periodic 研判 briefing of one chain in one region for one period, as plain data every writer renders.

``build_briefing(db, chain, region, period, *, issuer=None, now=None) -> Briefing`` runs, in order:

1. **Period** (``period.parse_period``): ``2025-03`` / ``2025-Q1`` / ``2025`` → first and last day, and the
   previous period of the same length.
2. **Diagnosis** (``xinlian.chain.diagnose``): the chain diagnosed as of the period's last day, and as of the
   previous period's last day (without targets); verdicts are compared node by node.
3. **Sections** (``report.sections``, titles and list lengths from ``data/rules/report.yaml``), numbered 一、二、三…:
   一、总体情况 local firms by stage, output, growth, location quotient, and their move since the previous period;
   二、产业链图谱与研判 the verdict map (a chart) and every node whose verdict changed, with its evidence;
   三、项目推进 new projects, stage moves, stalled and overdue ones, money (``xinlian.work``);
   四、动态监测 news events by type with their sources, firms the news named for the first time, new candidates;
   五、走访与诉求 visits and demands: raised, closed, open and overdue, by department;
   六、招引建议 the best attraction targets per gap node, with their reasons.
   A section whose data source is not installed says so in one line instead of failing.
4. **Numbering**: tables 表1…, charts 图1… across the briefing.

Each section gets one ``Context`` (session, chain, period, both diagnoses, labels). Nothing reads the clock:
``now`` only sets the date line (default: the period's last day), so the same database and period give the same
briefing. Money in tables is in 亿元 or 万元 as the column says; shares are fractions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from importlib import resources

from xinlian.chain.diagnose import DiagnoseOptions, Diagnosis, diagnose
from xinlian.chain.figures import local_codes
from xinlian.chain.taxonomy import Chain, load_chain
from xinlian.report.model import Briefing, Paragraph, Section
from xinlian.report.period import Period, parse_period
from xinlian.work.common import session_of

__all__ = ["build_briefing", "Context", "Labels", "labels", "NUMERALS"]

NUMERALS = "一二三四五六七八九十"


class LabelsError(ValueError):
    pass


@dataclass(frozen=True)
class Labels:
    path: str
    sections: list[tuple[str, str]]
    event_types: dict[str, str]
    limits: dict[str, int]
    default_issuer: str

    def event(self, kind: str) -> str:
        return self.event_types.get(kind, kind)


@lru_cache(maxsize=4)
def labels(path: str | None = None) -> Labels:
    """The briefing's vocabulary from ``data/rules/report.yaml`` (or ``path``), checked; errors name file and line."""
    from xinlian.report import sections as builders
    from xinlian.work.rules import line_of, load_yaml

    file = path or str(resources.files("xinlian.data.rules").joinpath("report.yaml"))
    data = load_yaml(file)
    errors: list[tuple[int, str]] = []
    secs = []
    for item in (data or {}).get("sections") or []:
        key, title = item.get("key"), item.get("title")
        if not hasattr(builders, f"section_{key}"):
            errors.append((line_of(item), f"unknown section key {key!r}"))
        elif not isinstance(title, str) or not title.strip():
            errors.append((line_of(item), f"section {key!r} needs a title"))
        else:
            secs.append((key, title.strip()))
    limits = dict((data or {}).get("limits") or {})
    for k in ("target_nodes", "targets_per_node", "focus_nodes", "events", "rows"):
        if not isinstance(limits.get(k), int) or limits[k] < 1:
            errors.append((line_of(data.get("limits"), k) if data.get("limits") else line_of(data, "limits"),
                           f"limits.{k} must be a positive integer"))
    if not secs:
        errors.append((line_of(data, "sections") if data else 1, "no sections"))
    if errors:
        raise LabelsError("; ".join(f"{file}:{line}: {msg}" for line, msg in errors))
    return Labels(path=file, sections=secs, event_types={str(k): str(v) for k, v in
                                                          (data.get("event_types") or {}).items()},
                  limits=limits, default_issuer=str(data.get("default_issuer") or "{region}"))


@dataclass
class Context:
    """Everything a section builder reads."""

    session: object
    chain: Chain
    region: str
    region_name: str
    codes: list[str]
    period: Period
    previous: Period
    diag: Diagnosis
    prev_diag: Diagnosis
    labels: Labels
    headline: dict = field(default_factory=dict)

    @property
    def chain_short(self) -> str:
        """集成电路（芯片）产业链 → 集成电路产业链."""
        return re.sub(r"[（(][^）)]*[）)]", "", self.chain.name).strip() or self.chain.name

    def fmt_day(self, d: date) -> str:
        return f"{d.year}年{d.month}月{d.day}日"


def _region_name(code: str) -> str:
    from xinlian.registry import regions

    r = regions.lookup(code)
    return r.name if r is not None else code


def build_briefing(db, chain: str | Chain, region: str, period: str | Period, *, issuer: str | None = None,
                   now: datetime | date | None = None, labels_path: str | None = None) -> Briefing:
    """The briefing of ``chain`` in ``region`` for ``period``; see the module docstring for the stages.

    Args:
        db: a ``Database`` or an open ``Session``.
        chain: a packaged chain name (``semiconductor``) or a loaded ``Chain``.
        region: a GB/T 2260 code (``320412``).
        period: ``2025-03``, ``2025-Q1`` or ``2025`` (or a ``Period``).
        issuer: the issuing unit on the date line (default from ``report.yaml``: 武进区产业链研判工作组).
        now: the date printed on the date line; default the period's last day (nothing else reads a clock).

    Example:
        >>> b = build_briefing(db, "semiconductor", "320412", "2025-03")
        >>> [s.heading for s in b.sections][:2]
        ['一、总体情况', '二、产业链图谱与研判']
    """
    from xinlian.report import charts
    from xinlian.report import sections as builders

    lab = labels(labels_path)
    p = parse_period(period)
    prev = p.previous()
    chain_obj = chain if isinstance(chain, Chain) else load_chain(chain)
    region_name = _region_name(region)
    issued = (now.date() if isinstance(now, datetime) else now) if now is not None else p.end
    with session_of(db) as s:
        diag = diagnose(s, chain_obj, region, p.end, DiagnoseOptions(with_targets=True,
                                                                     top_n=lab.limits["targets_per_node"]))
        prev_diag = diagnose(s, chain_obj, region, prev.end, DiagnoseOptions(with_targets=False))
        ctx = Context(session=s, chain=chain_obj, region=region, region_name=region_name, codes=local_codes(region),
                      period=p, previous=prev, diag=diag, prev_diag=prev_diag, labels=lab)
        sections: list[Section] = []
        for i, (key, title) in enumerate(lab.sections):
            build = getattr(builders, f"section_{key}")
            sec = Section(key=key, number=NUMERALS[i] if i < len(NUMERALS) else str(i + 1), title=title)
            try:
                sec.blocks = build(ctx)
            except builders.SourceMissing as exc:
                sec.available = False
                sec.blocks = [Paragraph(f"本节数据来源尚未接入（{exc}），暂无内容。")]
            sections.append(sec)
    table_no = chart_no = 0
    for sec in sections:
        for block in sec.blocks:
            if hasattr(block, "columns"):
                table_no += 1
                block.number = table_no
            elif hasattr(block, "kind") and hasattr(block, "data"):
                chart_no += 1
                block.number = chart_no
    warnings = [w for w in [charts.font_warning()] if w]
    return Briefing(
        title=f"{region_name}{ctx.chain_short}研判简报（{p.label}）", chain=chain_obj.id, chain_name=ctx.chain_short,
        region=region, region_name=region_name, period=p.key, period_label=p.label, previous_period=prev.key,
        start=p.start, end=p.end, issuer=issuer or lab.default_issuer.format(region=region_name), issued_on=issued,
        sections=sections, warnings=warnings, headline=ctx.headline)
