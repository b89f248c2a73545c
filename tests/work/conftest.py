"""Fixtures for the work-tracking tests (helpers live in work_support.py)."""

from __future__ import annotations

from datetime import date

import pytest

from work_support import make_enterprise


@pytest.fixture
def firm(db):
    """A fictional investor enterprise; returns its id."""
    with db.session() as s:
        return make_enterprise(s, "样例芯材科技(常州)有限公司", nodes=["sic_substrate"], founded=date(2019, 5, 1))
