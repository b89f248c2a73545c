"""Atheris harness for the page cleaner: ``clean_page`` must never raise, and its text must be stable under a
second clean. Run outside CI (see fuzz/README.md):

    python fuzz/fuzz_clean.py -atheris_runs=10000
    python fuzz/fuzz_clean.py -max_total_time=120 fuzz/corpus/clean
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["xinlian"]):
    from xinlian.text.clean import clean_page, clean_text

FILENAMES = [None, "page.html", "page.txt", "page.htm"]
CONTENT_TYPES = [None, "text/html; charset=gb2312", "text/plain", "text/html; charset=utf-8", "application/pdf"]


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    filename = FILENAMES[fdp.ConsumeIntInRange(0, len(FILENAMES) - 1)]
    content_type = CONTENT_TYPES[fdp.ConsumeIntInRange(0, len(CONTENT_TYPES) - 1)]
    raw = fdp.ConsumeBytes(fdp.remaining_bytes())
    article = clean_page(raw, filename=filename, content_type=content_type)
    if not isinstance(article.text, str):
        raise AssertionError("clean_page returned non-text")
    article.to_contract()
    once = clean_text(article.text)
    if clean_text(once) != once:
        raise AssertionError(f"clean_text is not idempotent on {once[:200]!r}")


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
