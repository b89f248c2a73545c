"""The page pipeline: files and URLs in, stored clean articles grouped into stories out.

``ingest(db, paths, urls=..., options=IngestOptions(...))`` runs the stages below and returns an
``IngestSummary``; ``iter_ingest`` is the same run, yielding ``Progress`` (pages done, pages/s) as it goes and the
summary on the last one. One ``IngestOptions`` carries every switch.

Stages, in order, for each page:

1. **Read** (client) ``files.iter_pages`` for paths, ``fetch.Fetcher`` for URLs (robots.txt, delays, retries,
   size limit). URLs already stored with an article are not fetched again (``refetch=False``).
2. **Skip seen** (client) content whose SHA-256 already has a page (or came earlier in this run) is dropped
   *before any cleaning*, so re-running over the same folder adds nothing and costs one hash per file and one
   query per batch. (Its raw bytes are in the store already.)
3. **Keep** (client) the raw bytes of new content in the content-addressed raw store (``store.rawstore``), one
   ``raw_file`` row each, flushed to disk once per batch before the rows that point at them are committed.
4. **Clean** (executor: in-process or Dask workers) ``clean_item`` runs ``xinlian.text.clean.clean_page`` and
   computes the body hash and MinHash signature; any exception becomes that page's error.
5. **Extract** (executor, hook) when ``options.extract`` and ``xinlian.extract.pipeline`` is importable, the
   article's entities, chain nodes and events are read on the worker beside the cleaning.
6. **Group** (client, in input order; ``ingest.stories``) exact copies by body hash and near copies by MinHash
   LSH (``xinlian.text.dedupe.StoryIndex``, rebuilt from the stored signatures before the first article is
   grouped) into stories; the canonical article of a story is the earliest published one, then the first stored.
7. **Store** (client) pages, articles and stories, ``batch_size`` pages per transaction; a page without article
   text, or that failed anywhere above, is stored as a ``failed`` page with its error and the batch goes on.
8. **Index** (client) title and body of each article for Chinese full-text search (``dialect.index_documents``).
9. **Store extraction** (client, hook) ``xinlian.extract.store.store_extractions(session, [(article_id,
   contract)])`` when that module exists; until then the contract is only counted.

The executor only ever sees bytes in and plain dicts out; grouping and writing happen on the client in input order,
so a Dask run stores exactly what an in-process run stores.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass, field
from datetime import date
from importlib import import_module
from itertools import islice
from pathlib import Path
from typing import Any, Iterable, Iterator

from sqlalchemy import select, update

from xinlian.ingest.executor import make_executor
from xinlian.ingest.fetch import FetchOptions, Fetcher
from xinlian.ingest.files import PageInput, find_files, iter_pages
from xinlian.ingest.stories import StoryGrouper
from xinlian.settings import get_settings
from xinlian.store import rawstore
from xinlian.store.changes import announce_change
from xinlian.store.db import Database
from xinlian.store.dialect import index_documents
from xinlian.store.tables.files import ImportBatch
from xinlian.store.tables.news import Article, Page, Story
from xinlian.store.tables.base import utcnow

MAX_FAILURES_LISTED = 50


@dataclass
class IngestOptions:
    """Every switch of one ingest run.

    Attributes:
        workers: start a local Dask cluster with this many single-threaded worker processes (0: in-process).
        scheduler: address of a running Dask scheduler (wins over ``workers``).
        executor: an executor object to use as is (tests, benchmarks); the run does not close it.
        chunksize: pages per executor task (enough work per task that scheduling overhead stays small).
        batch_size: pages per database transaction.
        max_bytes: largest page read or fetched (default ``settings.fetch_max_bytes``).
        fetch: ``FetchOptions`` for URLs; ``transport`` injects an httpx transport (tests).
        refetch: fetch URLs again even when an article is already stored from them.
        extract: run the extraction hook (stage 5 and 9).
        chain: taxonomy the extraction scores against.
        clean_options: passed to ``clean_page`` unchanged.
    """

    workers: int = 0
    scheduler: str | None = None
    executor: Any = None
    chunksize: int = 8
    batch_size: int = 200
    max_bytes: int | None = None
    fetch: FetchOptions = field(default_factory=FetchOptions)
    transport: Any = None
    refetch: bool = False
    extract: bool = False
    chain: str | None = None
    clean_options: Any = None


@dataclass
class IngestSummary:
    batch_id: int | None = None
    inputs: int = 0
    ingested: int = 0
    skipped: int = 0  # content already ingested (same bytes), or URL already stored
    duplicates_exact: int = 0
    duplicates_near: int = 0
    new_stories: int = 0
    warnings: int = 0
    pages_with_warnings: int = 0
    failed: int = 0
    extracted: int = 0
    seconds: float = 0.0
    failures: list[dict] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        return self.duplicates_exact + self.duplicates_near

    @property
    def pages_per_s(self) -> float:
        return self.inputs / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["duplicates"] = self.duplicates
        d["pages_per_s"] = round(self.pages_per_s, 2)
        d["seconds"] = round(self.seconds, 3)
        return d


@dataclass
class Progress:
    done: int
    total: int | None
    pages_per_s: float
    summary: IngestSummary | None = None


# --- stage 4 and 5: the worker function (module level, so Dask workers can import it) -------------------------


def _extraction_available() -> bool:
    try:
        import_module("xinlian.extract.pipeline")
    except ImportError:
        return False
    return True


def clean_item(task: dict) -> dict:
    """Clean one page on a worker: ``task`` holds ``data`` and page metadata; returns a plain dict.

    The result holds ``meta`` (the task without its bytes) and either ``error`` or the article fields plus
    ``body_hash`` and ``minhash``; with ``task['extract']`` it also holds ``extraction`` (the contract parts).
    """
    meta = {k: v for k, v in task.items() if k != "data"}
    if task.get("error"):
        return {"meta": meta, "error": task["error"]}
    try:
        from xinlian.text.clean import clean_page
        from xinlian.text.dedupe import body_hash, signature

        art = clean_page(task["data"], url=task.get("url"), content_type=task.get("content_type"),
                         filename=task.get("filename"), options=task.get("clean_options"))
        text = art.text
        warnings = [{"code": w.code, "message": w.message, "raw": getattr(w, "raw", None)} for w in art.warnings]
        out = {
            "meta": meta,
            "title": art.title,
            "published": art.published,
            "outlet": art.outlet,
            "author": art.author,
            "text": text,
            "warnings": warnings,
            "encoding": art.encoding,
            "kind": getattr(art, "kind", None),
        }
        if not any(ch.isalnum() for ch in text):  # nothing but blanks, punctuation or U+FFFD
            codes = ", ".join(w["code"] for w in warnings) or "none"
            out["error"] = f"no readable article text (warnings: {codes})"
            return out
        out["body_hash"] = body_hash(text)
        out["minhash"] = bytes(signature(text))
    except Exception as exc:  # one bad page never stops the batch
        return {"meta": meta, "error": f"cleaning failed: {type(exc).__name__}: {exc}"[:2000]}
    if task.get("extract") and _extraction_available():
        try:
            from xinlian.extract.pipeline import extract

            kw = {"chain": task["chain"]} if task.get("chain") else {}
            x = extract(text, published=art.published, outlet=art.outlet, author=art.author, title=art.title, **kw)
            out["extraction"] = x.to_contract()
        except Exception as exc:  # extraction trouble is a warning on a page that cleaned well
            out["warnings"].append({"code": "extraction_failed", "message": f"{type(exc).__name__}: {exc}",
                                    "raw": None})
    return out


# --- the run -----------------------------------------------------------------------------------------------------


def _safe(s: str | None) -> str | None:
    """Text PostgreSQL accepts: no NUL, no lone surrogates."""
    if s is None:
        return None
    s = s.replace("\x00", "")
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        s = s.encode("utf-8", "replace").decode("utf-8")
    return s


def _parse_date(published: str | None) -> date | None:
    try:
        return date.fromisoformat(published[:10]) if published else None
    except ValueError:
        return None


def _batched(items: Iterable, n: int) -> Iterator[list]:
    it = iter(items)
    while chunk := list(islice(it, n)):
        yield chunk


class _Run:
    def __init__(self, db: Database, options: IngestOptions):
        self.db = db
        self.options = options
        self.max_bytes = options.max_bytes or get_settings().fetch_max_bytes
        self.summary = IngestSummary()
        self.seen: set[str] = set()
        self.stories: StoryGrouper | None = None

    # stage 1: read
    def inputs(self, paths: Iterable[str | Path], urls: Iterable[str]) -> Iterator[PageInput]:
        yield from iter_pages(find_files(paths), max_bytes=self.max_bytes)
        urls = list(dict.fromkeys(u.strip() for u in urls if u and u.strip()))
        if not urls:
            return
        fopts = self.options.fetch
        if self.options.max_bytes and fopts.max_bytes is None:
            fopts = FetchOptions(**{**asdict(fopts), "max_bytes": self.options.max_bytes})
        done: set[str] = set()
        if not self.options.refetch:
            with self.db.session() as s:
                rows = s.execute(select(Page.source).where(Page.source.in_(urls), Page.status != "failed"))
                done = {r[0] for r in rows}
        with Fetcher(fopts, transport=self.options.transport) as fetcher:
            for url in urls:
                if url in done:
                    yield PageInput(source=url, url=url, skip=True)
                    continue
                yield fetcher.fetch(url)

    # stages 2 and 3: skip what was seen, keep the rest; gives the tasks for the executor
    def tasks(self, inputs: Iterator[PageInput]) -> Iterator[dict]:
        opts = self.options
        for group in _batched(inputs, opts.batch_size):
            todo: list[PageInput] = []
            with self.db.session() as s:
                for p in group:
                    if p.error is not None and not p.skip and p.path is not None:
                        # too large to read: kept streamed, never read whole, and recorded as failed
                        p.sha256 = rawstore.keep_file(p.path, bind=s)
                shas = [p.sha256 for p in group if p.sha256]
                stored: set[str] = set()
                for start in range(0, len(shas), 500):
                    rows = s.execute(select(Page.raw_sha256).where(Page.raw_sha256.in_(shas[start:start + 500])))
                    stored.update(r[0] for r in rows)
                for p in group:
                    self.summary.inputs += 1
                    if p.skip or (p.sha256 and (p.sha256 in stored or p.sha256 in self.seen)):
                        self.summary.skipped += 1
                        continue
                    if p.sha256:
                        self.seen.add(p.sha256)
                    if p.data is not None:
                        rawstore.keep_bytes(p.data, original_name=p.url or p.filename or p.source,
                                            media_type=p.content_type, bind=s, sync=False)
                    todo.append(p)
                if any(p.data is not None for p in todo):
                    rawstore.sync_store()  # the kept bytes are on disk before their rows are committed
            for p in todo:
                yield {"data": p.data, "source": p.source, "url": p.url, "content_type": p.content_type,
                       "filename": p.filename, "sha256": p.sha256, "http_status": p.http_status, "error": p.error,
                       "extract": opts.extract, "chain": opts.chain, "clean_options": opts.clean_options}

    # stages 6 to 9: group and store one batch of cleaned results, in one transaction
    def store(self, batch_id: int, results: list[dict]) -> None:
        if any("error" not in r for r in results) and self.stories is None:
            with self.db.session() as s:
                self.stories = StoryGrouper.load(s)
        try:
            with self.db.session() as s:
                delta = self._store(s, batch_id, results)
            self._count(delta)
            return
        except Exception:
            pass
        # The database refused something in the batch, which was rolled back. The story index saw its articles,
        # so it is rebuilt from what is stored (again after each refusal); then the pages go one by one and a
        # refused one is stored as failed with the database's reason.
        with self.db.session() as s:
            self.stories = StoryGrouper.load(s)
        for r in results:
            try:
                with self.db.session() as s:
                    delta = self._store(s, batch_id, [r])
            except Exception as exc:
                with self.db.session() as s:
                    self.stories = StoryGrouper.load(s)
                failed = {"meta": r["meta"], "error": f"not stored: {type(exc).__name__}: {exc}"[:2000]}
                with self.db.session() as s:
                    delta = self._store(s, batch_id, [failed])
            self._count(delta)

    def _count(self, delta: IngestSummary) -> None:
        t = self.summary
        for name in ("ingested", "duplicates_exact", "duplicates_near", "new_stories", "warnings",
                     "pages_with_warnings", "failed", "extracted"):
            setattr(t, name, getattr(t, name) + getattr(delta, name))
        t.failures.extend(delta.failures[: max(0, MAX_FAILURES_LISTED - len(t.failures))])

    def _store(self, s, batch_id: int, results: list[dict]) -> IngestSummary:
        summary = IngestSummary()
        pages = []
        for r in results:
            m = r["meta"]
            pages.append(Page(raw_sha256=m.get("sha256"), source=_safe(m["source"]), url=_safe(m.get("url")),
                              status="failed" if "error" in r else "ok", error=_safe(r.get("error")),
                              batch_id=batch_id, http_status=m.get("http_status"),
                              content_type=_safe((m.get("content_type") or "")[:200]) or None))
        s.add_all(pages)
        s.flush()
        good = [(p, r) for p, r in zip(pages, results) if "error" not in r]
        articles = []
        for p, r in good:
            articles.append(Article(
                page_id=p.id, title=_safe(r["title"]), published=r["published"],
                published_date=_parse_date(r["published"]), outlet=_safe(r["outlet"]), author=_safe(r["author"]),
                text=_safe(r["text"]), warnings=[{k: _safe(v) for k, v in w.items()} for w in r["warnings"]],
                encoding=r["encoding"], kind=r.get("kind"), body_hash=r["body_hash"], minhash=r["minhash"],
                chain=self.options.chain if "extraction" in r else None,
            ))
        s.add_all(articles)
        s.flush()
        for (p, r), a in zip(good, articles):
            story_id, how = self.stories.place(a.id, a.body_hash, a.minhash)
            if story_id is None:
                story = Story(canonical_article_id=a.id, size=1)
                s.add(story)
                s.flush()
                a.story_id, a.is_canonical = story.id, True
                self.stories.new_story(story.id, a.id, a.published)
                summary.new_stories += 1
            else:
                a.story_id = story_id
                p.status = "duplicate"
                if how == "exact":
                    summary.duplicates_exact += 1
                else:
                    summary.duplicates_near += 1
                values = {"size": Story.size + 1}
                if self.stories.joins(story_id, a.id, a.published):
                    s.execute(update(Article).where(Article.story_id == story_id, Article.id != a.id)
                              .values(is_canonical=False))
                    a.is_canonical = True
                    values["canonical_article_id"] = a.id
                s.execute(update(Story).where(Story.id == story_id).values(**values))
            summary.ingested += 1
            if r["warnings"]:
                summary.pages_with_warnings += 1
                summary.warnings += len(r["warnings"])
        s.flush()
        index_documents(s, "article", [(a.id, f"{a.title or ''}\n{a.text}") for a in articles])
        extracted = [(a.id, r["extraction"]) for (p, r), a in zip(good, articles) if "extraction" in r]
        if extracted:
            _store_extractions(s, extracted)
            summary.extracted += len(extracted)
        for p, r in zip(pages, results):
            if "error" in r:
                summary.failed += 1
                summary.failures.append({"source": p.source, "error": p.error})
        return summary


def _store_extractions(session, pairs: list[tuple[int, dict]]) -> None:
    """Hook for stage 9: hand (article id, extraction contract) pairs to the extraction's own store module."""
    try:
        store = import_module("xinlian.extract.store")
    except ModuleNotFoundError as exc:
        if exc.name != "xinlian.extract.store":
            raise
        return
    store.store_extractions(session, pairs)


def iter_ingest(
    db: Database,
    paths: Iterable[str | Path] = (),
    *,
    urls: Iterable[str] = (),
    options: IngestOptions | None = None,
) -> Iterator[Progress]:
    """Run the pipeline (see the module docstring), yielding ``Progress`` after each stored batch; the last one
    carries the ``IngestSummary``."""
    options = options or IngestOptions()
    run = _Run(db, options)
    started = time.perf_counter()
    paths, urls = [str(p) for p in paths], list(urls)
    files = find_files(paths)
    total = len(files) + len(urls)
    with db.session() as s:
        batch = ImportBatch(kind="pages", file_name=_safe("; ".join(paths + urls))[:2000] or None,
                            options_hash=hashlib.sha256(repr((options.chain, options.extract)).encode()).hexdigest())
        s.add(batch)
        s.flush()
        batch_id = batch.id
    run.summary.batch_id = batch_id

    executor = options.executor
    own = executor is None
    if own:
        executor = make_executor(scheduler=options.scheduler, workers=options.workers)
    status = "failed"
    try:
        results = executor.map(clean_item, run.tasks(run.inputs(files, urls)), options.chunksize)
        pending: list[dict] = []
        cleaned = 0
        for r in results:
            pending.append(r)
            cleaned += 1
            if len(pending) >= options.batch_size:
                run.store(batch_id, pending)
                pending = []
            done = cleaned + run.summary.skipped
            yield Progress(done, max(total, run.summary.inputs), done / (time.perf_counter() - started))
        if pending:
            run.store(batch_id, pending)
        status = "done"
    finally:
        if own:
            executor.close()
        summary = run.summary
        summary.seconds = time.perf_counter() - started
        with db.session() as s:
            s.execute(update(ImportBatch).where(ImportBatch.id == batch_id).values(
                finished_at=utcnow(), status=status, rows_total=summary.inputs,
                rows_ok=summary.ingested, rows_bad=summary.failed, inserted=summary.ingested + summary.failed,
                summary=summary.to_dict()))
        announce_change()  # a running web app's workers recompute their cached pages
    yield Progress(summary.inputs, max(total, summary.inputs), summary.pages_per_s, summary)


def ingest(
    db: Database,
    paths: Iterable[str | Path] = (),
    *,
    urls: Iterable[str] = (),
    options: IngestOptions | None = None,
) -> IngestSummary:
    """Ingest files, folders and URLs; see the module docstring for the stages.

    Example:
        >>> s = ingest(db, ["pages/"])                                   # doctest: +SKIP
        >>> s.ingested, s.duplicates, s.failed                           # doctest: +SKIP
        (60, 2, 0)
    """
    last = None
    for last in iter_ingest(db, paths, urls=urls, options=options):
        pass
    return last.summary


__all__ = ["IngestOptions", "IngestSummary", "Progress", "clean_item", "ingest", "iter_ingest"]
