"""Pages from files and folders: .html/.htm, .txt and .jsonl (one page per line, ``{url, html}`` or
``{url, text}``).

``find_files(paths)`` lists the files to read (folders walked in sorted order, hidden files skipped), and
``iter_pages(files)`` turns each into ``PageInput`` items with bytes and SHA-256. A file larger than the limit is
not read into memory: the item carries only its path and an error, and the pipeline keeps it streamed and records
it as failed. A .jsonl line that is not valid JSON becomes a failed item too; nothing here raises for one bad input.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

PAGE_SUFFIXES = {".html", ".htm", ".txt", ".jsonl"}


@dataclass
class PageInput:
    """One page to ingest, before any cleaning.

    ``data`` is None when the page could not be read (``error`` says why); ``path`` is set when the raw bytes
    are a whole file on disk (so an oversized one can be kept without reading it into memory).
    """

    source: str
    data: bytes | None = None
    sha256: str | None = None
    url: str | None = None
    content_type: str | None = None
    filename: str | None = None
    path: str | None = None
    error: str | None = None
    http_status: int | None = None
    skip: bool = False  # already stored (a URL not fetched again): counted, never cleaned or stored


def find_files(paths: Iterable[str | Path]) -> list[Path]:
    """Every page file under ``paths`` (files given by name are taken whatever their suffix), sorted, no repeats."""
    out: dict[Path, None] = {}
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    f = Path(root) / name
                    if not name.startswith(".") and f.suffix.lower() in PAGE_SUFFIXES:
                        out.setdefault(f, None)
        else:
            out.setdefault(p, None)
    return list(out)


def _jsonl_pages(path: Path, max_bytes: int) -> Iterator[PageInput]:
    with open(path, "rb") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            source = f"{os.path.abspath(path)}#{number}"
            if len(line) > max_bytes:
                yield PageInput(source=source, error=f"line larger than {max_bytes} bytes")
                continue
            try:
                rec = json.loads(line)
                if not isinstance(rec, dict):
                    raise ValueError("a line must be a JSON object")
                url = rec.get("url")
                if isinstance(rec.get("html"), str):
                    body, ctype, name = rec["html"], "text/html; charset=utf-8", "page.html"
                elif isinstance(rec.get("text"), str):
                    body, ctype, name = rec["text"], "text/plain; charset=utf-8", "page.txt"
                else:
                    raise ValueError("a line needs an 'html' or a 'text' string")
            except ValueError as exc:  # JSONDecodeError is a ValueError
                yield PageInput(source=source, error=f"bad .jsonl line: {exc}")
                continue
            data = body.encode("utf-8", "surrogatepass")
            yield PageInput(source=source, data=data, sha256=hashlib.sha256(data).hexdigest(),
                            url=url if isinstance(url, str) else None, content_type=ctype, filename=name)


def iter_pages(files: Iterable[Path], *, max_bytes: int) -> Iterator[PageInput]:
    """Read each file into ``PageInput`` items (a .jsonl gives one per non-blank line)."""
    for path in files:
        source = os.path.abspath(path)
        try:
            if path.suffix.lower() == ".jsonl":
                yield from _jsonl_pages(path, max_bytes)
                continue
            size = path.stat().st_size
            if size > max_bytes:
                yield PageInput(source=source, path=source, filename=path.name,
                                error=f"file is {size} bytes, larger than the limit of {max_bytes}")
                continue
            data = path.read_bytes()
        except OSError as exc:
            yield PageInput(source=source, filename=path.name, error=f"cannot read: {exc.strerror or exc}")
            continue
        yield PageInput(source=source, data=data, sha256=hashlib.sha256(data).hexdigest(), filename=path.name,
                        path=source)
