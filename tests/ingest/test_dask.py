"""A batch cleaned on a 2-worker local Dask cluster stores exactly what the in-process run stores."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).parent))

from pages import write_folder  # noqa: E402

from xinlian.ingest.executor import DaskExecutor, LocalExecutor, apply_chunk  # noqa: E402
from xinlian.ingest.pipeline import IngestOptions, ingest  # noqa: E402
from xinlian.store.db import open_db  # noqa: E402
from xinlian.store.tables.news import Article, Page, Story  # noqa: E402


def _stored(db) -> list[tuple]:
    """Everything stored, keyed by source, with story ids replaced by the first member's source."""
    with db.session() as s:
        rows = s.execute(select(Page, Article).outerjoin(Article, Article.page_id == Page.id).order_by(Page.id)).all()
        stories = {st.id: st for (st,) in s.execute(select(Story))}
    first_source: dict[int, str] = {}
    out = []
    for p, a in rows:
        if a is not None:
            first_source.setdefault(a.story_id, Path(p.source).name)
        out.append((
            Path(p.source).name, p.status, p.raw_sha256, p.error,
            None if a is None else (a.title, a.published, a.outlet, a.author, a.text, a.warnings, a.encoding,
                                    a.body_hash, a.minhash, first_source[a.story_id], a.is_canonical,
                                    stories[a.story_id].size),
        ))
    return out


@pytest.mark.slow
def test_two_worker_dask_run_stores_the_same_as_in_process(sqlite_db, tmp_path):
    root = tmp_path / "pages"
    write_folder(root)
    for i in range(6):  # more pages than chunks, so several tasks run on each worker
        (root / f"extra-{i}.txt").write_text(
            f"西岭区第{i + 1}批重点项目集中开工\n发布日期：2025-08-{i + 1:02d}\n"
            f"本批次共有{i + 3}个项目开工，涉及功率半导体、传感器和工业软件等方向，总投资{10 + i}亿元。\n"
            f"区领导要求各部门加强协调，确保项目按期建成投产，尽快形成有效产能。", encoding="utf-8")
    local = ingest(sqlite_db, [root], options=IngestOptions(executor=LocalExecutor()))

    other = open_db(f"sqlite:///{tmp_path / 'dask.db'}")
    try:
        with DaskExecutor(workers=2) as executor:
            assert executor.workers == 2
            assert list(executor.map(len, [[1], [1, 2], []], chunksize=2)) == [1, 2, 0]  # order kept
            distributed = ingest(other, [root], options=IngestOptions(executor=executor, chunksize=3, batch_size=4))
        assert _stored(other) == _stored(sqlite_db)
        assert distributed.to_dict() | {"seconds": 0, "pages_per_s": 0, "batch_id": 0} == \
            local.to_dict() | {"seconds": 0, "pages_per_s": 0, "batch_id": 0}
        assert local.ingested == 11 and local.failed == 2
    finally:
        other.dispose()


def test_local_executor_and_chunk_helper_keep_order():
    assert list(LocalExecutor().map(str, [3, 1, 2], chunksize=2)) == ["3", "1", "2"]
    assert apply_chunk(abs, [-1, 2, -3]) == [1, 2, 3]
