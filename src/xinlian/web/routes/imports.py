"""Import pages: upload a sheet (enterprises, projects, visits, demands), then read the bad-row report.

Uploads are checked before anything parses them: the body limit (413) is enforced by the security middleware,
the extension must be .xlsx or .csv, an .xlsx must start with the zip signature and pass
``ingest.sheets.check_xlsx`` (declared size, ratio, entry count, paths: zip bombs refused), and the file is
written under a server-chosen name, removed after the import whatever happens.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy import func, select

from xinlian.ingest.sheets import SheetError, check_xlsx
from xinlian.store.tables.files import ImportBatch, ImportError_
from xinlian.users import scope as uscope
from xinlian.web.access import out_of_scope, scope_prefix
from xinlian.web.pages import Ctx, WebError, get_ctx, page
from xinlian.web.security import rate_limit

router = APIRouter(tags=["imports"])

KINDS = ("enterprises", "projects", "visits", "demands")
EXTENSIONS = (".xlsx", ".csv")
ZIP_MAGIC = b"PK\x03\x04"
ERRORS_SHOWN = 500


def batch_row(b: ImportBatch) -> dict:
    return {"id": b.id, "kind": b.kind, "file_name": b.file_name, "started_at": b.started_at,
            "finished_at": b.finished_at, "status": b.status, "dry_run": b.dry_run, "rows_total": b.rows_total,
            "rows_ok": b.rows_ok, "rows_bad": b.rows_bad, "inserted": b.inserted, "updated": b.updated,
            "user": b.user}


@page(router, "/imports", "imports.html", summary="导入 imports: upload a sheet, recent batches")
def imports(ctx: Ctx = Depends(get_ctx)):
    """The upload form and the latest import batches (for a scoped user: those made inside their scope)."""
    query = select(ImportBatch).order_by(ImportBatch.id.desc())
    prefix = uscope.region_part(scope_prefix(ctx))  # batches name no firm: security labels do not apply
    if prefix is not None:  # object-level access: only batches whose uploader's scope lies inside the user's
        owners = uscope.importer_prefixes(ctx.session, ctx.session.scalars(select(ImportBatch.user).distinct()))
        mine = [u for u, p in owners.items() if uscope.batch_visible(prefix, p)]
        query = query.where(ImportBatch.user.in_(mine or [""]))
    rows = ctx.session.scalars(query.limit(50)).all()
    return {"kinds": list(KINDS), "max_bytes": ctx.settings.upload_max_bytes, "batches": [batch_row(b) for b in rows]}


@page(router, "/imports/{bid:int}", "import_batch.html", summary="导入结果 one batch and its bad-row report")
def batch(bid: int, page_no: int = Query(1, ge=1, le=10_000, alias="page"), ctx: Ctx = Depends(get_ctx)):
    """One import batch: counts, and every refused row or cell with where and why."""
    b = ctx.session.get(ImportBatch, bid)
    if b is None:
        raise WebError(404, "not_found")
    if not uscope.filter_batches(ctx.session, scope_prefix(ctx), [{"user": b.user}]):
        raise out_of_scope(ctx, "import_batch", bid)  # 404 like a missing id, audited
    total = ctx.session.scalar(select(func.count()).select_from(ImportError_).where(ImportError_.batch_id == bid))
    errors = ctx.session.scalars(select(ImportError_).where(ImportError_.batch_id == bid).order_by(ImportError_.id)
                                 .limit(ERRORS_SHOWN).offset((page_no - 1) * ERRORS_SHOWN)).all()
    return {"batch": batch_row(b), "summary": b.summary, "errors_total": total, "page": page_no,
            "pages": max(1, -(-total // ERRORS_SHOWN)),
            "errors": [{"row": e.row, "column": e.column, "value": e.value, "reason": e.reason} for e in errors]}


def _check_upload(head: bytes, suffix: str, path: Path) -> None:
    if suffix not in EXTENSIONS:
        raise WebError(415, "refused", "只接受 .xlsx 或 .csv 文件")
    if suffix == ".xlsx":
        if not head.startswith(ZIP_MAGIC):
            raise WebError(415, "refused", "文件内容不是 XLSX（缺少 zip 文件头）")
        try:
            check_xlsx(path)
        except SheetError as exc:
            raise WebError(400, "refused", str(exc).replace(str(path), "上传文件")) from None
    elif head.startswith(ZIP_MAGIC) or b"\x00" in head[:4096]:
        raise WebError(415, "refused", "CSV 文件内容不是文本")


def _run(ctx: Ctx, kind: str, path: Path, dry_run: bool, original: str) -> int | None:
    user = ctx.who["username"]
    if kind == "enterprises":
        from xinlian.registry.importer import ImportOptions, import_enterprises

        report = import_enterprises(ctx.web.db, path, ImportOptions(dry_run=dry_run, user=user,
                                                                    source=f"web upload {original}"[:200],
                                                                    errors_path=str(path) + ".errors.csv"))
        return report.batch_id
    from xinlian.work.sheets import import_sheet

    result = import_sheet(ctx.web.db, kind, path, dry_run=dry_run, user=user)
    return result.batch_id


@router.post("/imports", summary="上传导入 upload a sheet (multipart: file, kind, dry_run); too large → 413, wrong "
             "type → 415, zip bomb → 400")
def upload(file: UploadFile = File(...), kind: str = Form(..., pattern="^(enterprises|projects|visits|demands)$"),
           dry_run: bool = Form(False), ctx: Ctx = Depends(get_ctx)):
    rate_limit(ctx, "import")
    original = Path(file.filename or "upload").name[:200]
    suffix = Path(original).suffix.lower()
    folder = ctx.settings.home / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{secrets.token_hex(12)}{suffix if suffix in EXTENSIONS else '.bin'}"
    limit = ctx.settings.upload_max_bytes
    written = 0
    try:
        with open(path, "wb") as out:
            head = b""
            while chunk := file.file.read(1 << 20):
                written += len(chunk)
                if written > limit:
                    raise WebError(413, "too_large")
                if len(head) < 8192:
                    head += chunk[:8192]
                out.write(chunk)
        try:
            _check_upload(head, suffix, path)
            ctx.commit()  # release this request's transaction: the importer writes in its own
            batch_id = _run(ctx, kind, path, dry_run, original)
        except WebError as exc:
            ctx.audit("import", ("file", original), "failure", detail=f"{kind}: {exc.detail or exc.code}")
            ctx.commit()
            raise
        except (SheetError, ValueError) as exc:
            ctx.audit("import", ("file", original), "failure", detail=f"{kind}: {exc}"[:500])
            ctx.commit()
            raise WebError(400, "refused", str(exc).replace(str(path), "上传文件")) from None
    finally:
        for p in (path, Path(str(path) + ".errors.csv")):
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
    ctx.audit("import", ("import_batch", batch_id), after={"kind": kind, "file": original, "bytes": written,
                                                          "dry_run": dry_run})
    ctx.commit()
    return RedirectResponse(f"/imports/{batch_id}" if batch_id else "/imports", status_code=303)
