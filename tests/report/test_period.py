"""Report periods: months, quarters and years, their ends and the period before."""

from __future__ import annotations

from datetime import date

import pytest

from xinlian.report.period import PeriodError, parse_period


@pytest.mark.parametrize("text,start,end,label,prev", [
    ("2025-03", date(2025, 3, 1), date(2025, 3, 31), "2025年3月", "2025-02"),
    ("2025年1月", date(2025, 1, 1), date(2025, 1, 31), "2025年1月", "2024-12"),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "2024年2月", "2024-01"),
    ("2025-Q1", date(2025, 1, 1), date(2025, 3, 31), "2025年第一季度", "2024-Q4"),
    ("2025q4", date(2025, 10, 1), date(2025, 12, 31), "2025年第四季度", "2025-Q3"),
    ("2025", date(2025, 1, 1), date(2025, 12, 31), "2025年", "2024"),
])
def test_periods(text, start, end, label, prev):
    p = parse_period(text)
    assert (p.start, p.end, p.label, p.previous().key) == (start, end, label, prev)
    assert p.contains(start) and p.contains(end) and not p.contains(p.previous().end)
    assert p.previous().end.toordinal() + 1 == p.start.toordinal()  # periods tile the calendar


@pytest.mark.parametrize("bad", ["2025-13", "2025-00", "25-03", "2025-Q5", "三月", ""])
def test_bad_periods_say_what_is_accepted(bad):
    with pytest.raises(PeriodError, match="2025-Q1"):
        parse_period(bad)


def test_report_rules_file_errors_name_file_and_line(tmp_path):
    from xinlian.report.content import LabelsError, labels

    bad = tmp_path / "report.yaml"
    bad.write_text("sections:\n  - key: overview\n    title: 总体情况\n  - key: nonsense\n    title: 乱码\n"
                   "limits:\n  target_nodes: 0\n  targets_per_node: 3\n  focus_nodes: 5\n  events: 5\n  rows: 5\n",
                   encoding="utf-8")
    with pytest.raises(LabelsError) as err:
        labels(str(bad))
    message = str(err.value)
    assert f"{bad}:4: unknown section key 'nonsense'" in message
    assert "limits.target_nodes must be a positive integer" in message
    packaged = labels()
    assert [k for k, _ in packaged.sections] == ["overview", "chain", "projects", "news", "visits", "targets"]
