"""Byte-stable Office files: a .docx or .xlsx is a zip whose entries carry the time they were written, and whose
core properties say when the document was made. ``stable_zip`` rewrites the archive with every entry dated
``when`` (in the same order, same compression) and the core properties' created/modified set to ``when``, so the
same briefing gives the same bytes."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime

__all__ = ["stable_zip"]

_W3CDTF = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def stable_zip(data: bytes, when: datetime) -> bytes:
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    date_time = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            blob = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                blob = _W3CDTF.sub(lambda m: m.group(1) + stamp + m.group(3), blob)
            entry = zipfile.ZipInfo(info.filename, date_time=date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            entry.create_system = 0
            dst.writestr(entry, blob)
    return out.getvalue()
