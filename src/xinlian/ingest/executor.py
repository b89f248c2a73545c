"""Where CPU work runs: in this process by default, or on a Dask distributed cluster.

An ``Executor`` has one job: ``map(fn, items, chunksize)`` gives ``fn(item)`` for every item, **in input order**,
lazily. The pipeline sends page cleaning through it and keeps database writes on the client, so the stored result
does not depend on where the cleaning ran.

- ``LocalExecutor``: a plain loop.
- ``DaskExecutor``: ``DaskExecutor(address="tcp://host:8786")`` joins a running scheduler;
  ``DaskExecutor(workers=N)`` starts a ``LocalCluster`` of N single-threaded worker processes and stops it on
  ``close()``. Items travel in chunks of ``chunksize`` so that scheduling overhead (about 1.5 ms a task) stays
  small beside the work; at most ``max_in_flight`` chunks are submitted ahead of the one being read.

``fn`` must be importable by the workers (a module-level function in the library, never a lambda or a function
defined in a script).
"""

from __future__ import annotations

from collections import deque
from itertools import islice
from typing import Any, Callable, Iterable, Iterator, Protocol


class Executor(Protocol):
    def map(self, fn: Callable[[Any], Any], items: Iterable[Any], chunksize: int = 1) -> Iterator[Any]: ...

    def close(self) -> None: ...


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(items)
    while chunk := list(islice(it, max(1, size))):
        yield chunk


def apply_chunk(fn: Callable[[Any], Any], chunk: list[Any]) -> list[Any]:
    """Run ``fn`` over one chunk on a worker."""
    return [fn(item) for item in chunk]


class LocalExecutor:
    """Runs everything in this process, in order."""

    workers = 1

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any], chunksize: int = 1) -> Iterator[Any]:
        for item in items:
            yield fn(item)

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class DaskExecutor:
    """Runs chunks on a Dask distributed cluster (an existing scheduler, or a local one started here)."""

    def __init__(self, address: str | None = None, *, workers: int | None = None, max_in_flight: int | None = None):
        from distributed import Client, LocalCluster

        self._cluster = None
        if address:
            self.client = Client(address)
        else:
            self._cluster = LocalCluster(n_workers=workers or 2, threads_per_worker=1, processes=True,
                                         dashboard_address=None)
            self.client = Client(self._cluster)
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})) or (workers or 1))
        self.max_in_flight = max_in_flight or 2 * self.workers + 2

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any], chunksize: int = 16) -> Iterator[Any]:
        pending: deque = deque()
        chunks = _chunks(items, chunksize)
        for chunk in chunks:
            pending.append(self.client.submit(apply_chunk, fn, chunk, pure=False))
            if len(pending) >= self.max_in_flight:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def make_executor(*, scheduler: str | None = None, workers: int | None = None) -> LocalExecutor | DaskExecutor:
    """The executor the options ask for: a scheduler address or a worker count gives Dask, nothing gives local."""
    if scheduler or (workers and workers > 0):
        return DaskExecutor(scheduler, workers=workers)
    return LocalExecutor()
