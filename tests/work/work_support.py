"""Helpers for the work-tracking tests: fictional enterprises written straight into the registry tables."""

from __future__ import annotations

from datetime import date

from xinlian.registry.names import normalise
from xinlian.store.tables.registry import Enterprise, EnterpriseAlias, EnterpriseFigure, EnterpriseNode


def make_enterprise(s, name: str, *, region: str = "320412", aliases=(), nodes=(), figures=(), founded=None,
                    **flags) -> int:
    e = Enterprise(name=name, name_norm=normalise(name), match_key=f"n:{normalise(name)}|{region}", region_code=region,
                   founded=founded, status="active", **flags)
    s.add(e)
    s.flush()
    for a in aliases:
        s.add(EnterpriseAlias(enterprise_id=e.id, alias=a, alias_norm=normalise(a)))
    for n in nodes:
        s.add(EnterpriseNode(enterprise_id=e.id, chain="semiconductor", node_id=n))
    for year, fig in figures:
        s.add(EnterpriseFigure(enterprise_id=e.id, year=year, **fig))
    s.flush()
    return e.id
