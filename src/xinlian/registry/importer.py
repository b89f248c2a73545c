"""Import enterprises from the sheets bureaus have (CSV or XLSX) into the registry.

Stages, in order (one ``ImportOptions`` passed through):
1. keep the raw file (content-addressed, for good) and skip a file already imported with the same options;
2. read the sheet (``ingest.sheets``): header detection, streamed rows;
3. parse each row into a record (``registry.values``): credit code check (GB 32100), name, region (from the
   column, else from the credit code), nodes, flags, yearly figures with units → yuan; a bad cell refuses the row
   (severity ``error``), a value that is only ignored is a ``warning``;
4. within the file, the same firm twice: identical rows are counted once, conflicting rows are refused;
5. write everything in ONE transaction, in chunks (upsert by credit code, else by normalised name + region;
   blank cells never overwrite known values); the batch row, its error rows and the search index go in the same
   transaction, so a crash half-way leaves the database as it was;
6. write the error report (CSV or XLSX) and return the summary.
"""

from __future__ import annotations

import hashlib
import json
import time
from functools import lru_cache
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Iterator

from sqlalchemy import func, select, update

from xinlian.ingest.sheets import Column, Sheet, SheetError, column_letter, read_sheet
from xinlian.registry import creditcode, names, values
from xinlian.registry.placement import resolve_nodes
from xinlian.settings import get_settings
from xinlian.store import dialect
from xinlian.store.db import Database
from xinlian.store.tables.files import ImportBatch, ImportError_
from xinlian.store.tables.registry import Enterprise, EnterpriseAlias, EnterpriseFigure, EnterpriseNode
from xinlian.store.sheetsafe import write_rows  # one rule for every spreadsheet we write

FIGURE_FIELDS = ("output_value", "revenue", "tax", "employees", "rd_spend", "patents")
MONEY_FIELDS = {"output_value", "revenue", "tax", "rd_spend"}
FLAG_FIELDS = ("high_tech", "specialised", "little_giant", "chain_leader", "listed")
TEXT_FIELDS = ("address", "legal_rep", "products")


@dataclass
class ImportOptions:
    chain: str = field(default_factory=lambda: get_settings().chain)
    mapping_file: str | None = None
    sheet_name: str | None = None
    year: int | None = None  # year of figures when the sheet has no year column or year headers
    dry_run: bool = False
    errors_path: str | None = None  # .csv or .xlsx; default under HOME/imports/
    user: str | None = None
    source: str | None = None  # e.g. "工信局2024名录"
    is_sample: bool = False
    chunk_rows: int = field(default_factory=lambda: get_settings().import_batch_rows)
    on_progress: Callable[[int], None] | None = None

    def fingerprint(self) -> str:
        mapping = Path(self.mapping_file).read_bytes() if self.mapping_file else b""
        key = json.dumps([self.chain, self.sheet_name, self.year, self.source, self.is_sample]).encode()
        return hashlib.sha256(key + mapping).hexdigest()


@dataclass
class RowProblem:
    row: int | None
    column: str | None
    value: str | None
    reason: str
    severity: str = "error"  # error: row refused; warning: row kept, value ignored

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "value": self.value, "reason": self.reason,
                "severity": self.severity}


@dataclass
class ImportReport:
    file: str
    sha256: str
    batch_id: int | None = None
    rows_total: int = 0
    rows_ok: int = 0
    rows_bad: int = 0
    duplicates_in_file: int = 0
    inserted: int = 0
    updated: int = 0
    already_imported: bool = False
    dry_run: bool = False
    problems: list[RowProblem] = field(default_factory=list)
    errors_path: str | None = None
    seconds: float = 0.0
    columns: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        d = {k: v for k, v in self.__dict__.items() if k != "problems"}
        d["problems"] = [p.as_dict() for p in self.problems[:200]]
        d["problems_total"] = len(self.problems)
        return d


def match_key(credit_code: str | None, name_norm: str, region: str | None) -> str:
    return credit_code or f"n:{name_norm}|{region or ''}"


# --- parsing -----------------------------------------------------------------------------------------------------

def _unit_of(col: Column) -> float:
    if col.unit:
        u = col.unit.replace(" ", "")
        if u in values.UNITS:
            return values.UNITS[u]
        if u.endswith("元") and u[:-1] in values.UNITS:
            return values.UNITS[u[:-1]]
    return 1.0


@lru_cache(maxsize=4096)
def _region_code(text: str) -> str:
    from xinlian.registry import regions

    s = text.strip()
    if s.isdigit() and len(s) == 6:
        if regions.lookup(s) is None:
            raise values.ValueProblem(f"行政区划代码 {s} 不在 GB/T 2260 代码表中")
        return s
    found = regions.find(s)
    if not found:
        # "常州市武进区": try the longest known name at the end
        for cut in range(1, len(s) - 1):
            found = regions.find(s[cut:])
            if found:
                break
    if not found:
        raise values.ValueProblem(f"无法识别的区县 {s!r}（可写 武进区、常州市武进区 或 320412）")
    if len(found) > 1:
        counties = [r for r in found if r.level == "county"]
        if len(counties) == 1:
            return counties[0].code
        raise values.ValueProblem(f"区县 {s!r} 有多个同名：{', '.join(r.code for r in found[:5])}，请填写代码")
    return found[0].code


class RowParser:
    """Turns one sheet row into (record, problems)."""

    def __init__(self, sheet: Sheet, options: ImportOptions):
        self.options = options
        self.by_field: dict[str, list[Column]] = {}
        for col in sheet.columns:
            if col.field:
                self.by_field.setdefault(col.field, []).append(col)
        if "name" not in self.by_field:
            raise SheetError(f"{sheet.path}: 找不到“企业名称”列（表头为：{', '.join(c.header for c in sheet.columns if c.header)}）")
        # Figures with no year of their own belong to --year, else to the newest year named in the headers,
        # else to last year.
        header_years = [c.year for c in sheet.columns if c.year]
        self.default_year = options.year or (max(header_years) if header_years else date.today().year - 1)

    def _cell(self, row, col: Column):
        return row.cells[col.index] if col.index < len(row.cells) else None

    def parse(self, row) -> tuple[dict | None, list[RowProblem]]:
        problems: list[RowProblem] = []
        rec: dict = {"row": row.number}

        def problem(col: Column | None, value, reason: str, severity: str = "error"):
            where = f"{column_letter(col.index)}（{col.header}）" if col else None
            problems.append(RowProblem(row.number, where, None if value is None else str(value)[:200], reason, severity))

        for idx, formula in row.formulas.items():
            col = next((c for c in self.by_field_all() if c.index == idx), None)
            if col is not None:
                problem(col, formula, "公式没有计算结果（请在 Excel/WPS 中打开并保存，或粘贴为数值）")

        cells = row.cells
        ncells = len(cells)
        by_field = self.by_field

        def first(fieldname: str):
            cols = by_field.get(fieldname)
            if not cols:
                return None, None
            for col in cols:
                v = cells[col.index] if col.index < ncells else None
                if v is not None and not values.is_blank(v):
                    return col, v
            return cols[0], None

        col, name = first("name")
        name = values.text(name)
        if not name:
            problem(col, name, "企业名称为空")
            return None, problems
        rec["name"] = names.basic(name)
        rec["name_norm"] = names.normalise(name)
        if not rec["name_norm"]:
            problem(col, name, "企业名称去掉组织形式后为空")

        col, code = first("credit_code")
        rec["credit_code"] = None
        if code is not None:
            try:
                rec["credit_code"] = creditcode.validate(str(code))
            except creditcode.CreditCodeError as exc:
                problem(col, code, f"统一社会信用代码无效：{exc}")

        col, region = first("region")
        rec["region_code"] = None
        if region is not None:
            try:
                rec["region_code"] = _region_code(values.text(region))
            except values.ValueProblem as exc:
                problem(col, region, str(exc))
        elif rec["credit_code"]:
            from xinlian.registry import regions

            guess = rec["credit_code"][2:8]
            if regions.lookup(guess) is not None:
                rec["region_code"] = guess

        for fname in TEXT_FIELDS:
            rec[fname] = values.text(first(fname)[1])
        col, founded = first("founded")
        try:
            rec["founded"] = values.date(founded)
        except values.ValueProblem as exc:
            problem(col, founded, str(exc))
        for fname in FLAG_FIELDS:
            col, v = first(fname)
            try:
                rec[fname] = values.flag(v)
            except values.ValueProblem as exc:
                problem(col, v, str(exc))

        rec["aliases"] = []
        for fname, kind in (("former_names", "former"), ("short_names", "short")):
            v = values.text(first(fname)[1])
            if v:
                for a in filter(None, (x.strip() for x in v.replace("，", "、").replace(",", "、").replace(";", "、").split("、"))):
                    rec["aliases"].append((names.basic(a), kind))

        rec["nodes"] = []
        col, v = first("nodes")
        v = values.text(v)
        if v:
            found, unknown = resolve_nodes(self.options.chain, v)
            rec["nodes"] = [(n, f"{self.sheet_name} 第{row.number}行 产业链环节：{v}") for n in found]
            for part in unknown:
                problem(col, part, f"未知的产业链环节 {part!r}（该值被忽略，企业照常导入）", "warning")

        col, y = first("year")
        try:
            row_year = values.count(y) if y is not None else None
        except values.ValueProblem as exc:
            problem(col, y, f"年份无效：{exc}")
            row_year = None
        figures: dict[int, dict] = {}
        for fname in FIGURE_FIELDS:
            for col in self.by_field.get(fname, []):
                v = self._cell(row, col)
                try:
                    parsed = (values.amount_yuan(v, _unit_of(col)) if fname in MONEY_FIELDS else values.count(v))
                except values.ValueProblem as exc:
                    problem(col, v, str(exc))
                    continue
                if parsed is None:
                    continue
                if parsed < 0:
                    problem(col, v, "数值不能为负")
                    continue
                year = col.year or row_year or self.default_year
                figures.setdefault(year, {})[fname] = parsed
        rec["figures"] = figures
        if any(p.severity == "error" for p in problems):
            return None, problems
        return rec, problems

    sheet_name = ""

    def by_field_all(self):
        for cols in self.by_field.values():
            yield from cols


def _fingerprint(rec: dict) -> int:
    """What a row says, without where it stands in the file (row numbers, evidence text). Only compared within one
    import, so Python's own hash of the values is enough."""
    return hash((rec["name"], rec["credit_code"], rec["region_code"], rec.get("address"), rec.get("founded"),
                 rec.get("legal_rep"), rec.get("products"), *(rec.get(f) for f in FLAG_FIELDS),
                 tuple(rec["aliases"]), tuple(sorted(n for n, _ in rec["nodes"])),
                 tuple(sorted((y, tuple(sorted(f.items()))) for y, f in rec["figures"].items()))))


# --- writing -----------------------------------------------------------------------------------------------------

ENTERPRISE_COLS = ("credit_code", "name", "name_norm", "region_code", "address", "founded", "legal_rep", "products",
                   *FLAG_FIELDS)


def _write_chunk(session, chunk: list[dict], options: ImportOptions, report: ImportReport) -> None:
    table = Enterprise.__table__
    _adopt_codes(session, [r for r in chunk if r["credit_code"]])
    keys = [match_key(r["credit_code"], r["name_norm"], r["region_code"]) for r in chunk]
    known = _ids_by_key(session, set(keys))
    source = options.source or Path(report.file).name
    rows = _dedupe([{**{c: r.get(c) for c in ENTERPRISE_COLS}, "match_key": key, "status": "active",
                     "is_sample": options.is_sample, "source": source, "version": 1}
                    for r, key in zip(chunk, keys)], ("match_key",))
    # Blank cells never overwrite what is known: COALESCE(new, old) for every column a sheet can fill.
    dialect.upsert_many(session, table.name, rows, keys=["match_key"], keep_old_when_null=True,
                        update=[c for c in ENTERPRISE_COLS if c != "name_norm"] + ["source"],
                        extra_set=[("version", "enterprise.version + 1"), ("updated_at", "CURRENT_TIMESTAMP")])
    ids = {**known, **_ids_by_key(session, set(keys) - set(known))}
    report.inserted += len(set(keys)) - len(known)
    report.updated += len(known)

    aliases, nodes, figures, docs = [], [], [], []
    for r, key in zip(chunk, keys):
        eid = ids[key]
        for alias, kind in r["aliases"]:
            aliases.append({"enterprise_id": eid, "alias": alias, "alias_norm": names.normalise(alias), "kind": kind,
                            "source": source})
        for node_id, evidence in r["nodes"]:
            nodes.append({"enterprise_id": eid, "chain": options.chain, "node_id": node_id, "role": "main",
                          "evidence": evidence, "source": "import", "score": 1.0})
        for year, figs in r["figures"].items():
            figures.append({"enterprise_id": eid, "year": year, **{f: figs.get(f) for f in FIGURE_FIELDS}})
        docs.append((eid, " ".join([r["name"], *(a for a, _ in r["aliases"]), r.get("products") or ""])))
    dialect.upsert_many(session, "enterprise_alias", _dedupe(aliases, ("enterprise_id", "alias")),
                        keys=["enterprise_id", "alias"])
    dialect.upsert_many(session, "enterprise_node", _dedupe(nodes, ("enterprise_id", "chain", "node_id")),
                        keys=["enterprise_id", "chain", "node_id"], update=["evidence"])
    dialect.upsert_many(session, "enterprise_figure", _dedupe(figures, ("enterprise_id", "year")),
                        keys=["enterprise_id", "year"], update=list(FIGURE_FIELDS), keep_old_when_null=True)
    dialect.index_documents(session, "enterprise", docs)


def _ids_by_key(session, keys: set[str]) -> dict[str, int]:
    table = Enterprise.__table__
    out: dict[str, int] = {}
    keys_list = list(keys)
    for part in _chunks(keys_list, 5000):
        out.update((k, i) for i, k in session.execute(
            select(table.c.id, table.c.match_key).where(table.c.match_key.in_(part))).all())
    return out


def _adopt_codes(session, coded: list[dict]) -> None:
    """A firm first known by name only, now given with its credit code: move its key so it is not duplicated."""
    if not coded:
        return
    table = Enterprise.__table__
    by_name_key = {match_key(None, r["name_norm"], r["region_code"]): r["credit_code"] for r in coded}
    existing = []
    for part in _chunks(list(by_name_key), 5000):
        existing += session.execute(select(table.c.id, table.c.match_key).where(
            table.c.match_key.in_(part), table.c.credit_code.is_(None))).all()
    if not existing:
        return
    taken = set(session.execute(select(table.c.credit_code).where(
        table.c.credit_code.in_([by_name_key[k] for _, k in existing]))).scalars())
    for ent_id, key in existing:
        code = by_name_key[key]
        if code not in taken:
            session.execute(update(table).where(table.c.id == ent_id).values(match_key=code, credit_code=code))
            taken.add(code)


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _dedupe(rows: list[dict], key: tuple[str, ...]) -> list[dict]:
    seen: dict[tuple, dict] = {}
    for r in rows:
        seen[tuple(r[k] for k in key)] = r
    return list(seen.values())


# --- the orchestrator --------------------------------------------------------------------------------------------

def import_enterprises(db: Database, path: str | Path, options: ImportOptions | None = None) -> ImportReport:
    """Import one sheet of enterprises. See the module docstring for the stages.

    Args:
        db: the open database.
        path: a .csv or .xlsx file.
        options: chain, mapping file, year, dry run, error report path, progress callback.
    Returns:
        An ``ImportReport``; ``report.problems`` has one entry per refused cell (errors) or ignored value
        (warnings). Raises ``SheetError`` when the file cannot be read at all.
    """
    from xinlian.store import rawstore

    options = options or ImportOptions()
    started = time.perf_counter()
    path = Path(path)
    if not path.exists():
        raise SheetError(f"{path}: 文件不存在")
    with db.session() as session:
        sha = rawstore.keep_file(path, original_name=path.name, bind=session)
    report = ImportReport(file=str(path), sha256=sha, dry_run=options.dry_run)
    fp = options.fingerprint()
    if not options.dry_run:
        with db.session() as session:
            done = session.execute(select(ImportBatch.id).where(
                ImportBatch.kind == "enterprises", ImportBatch.raw_sha256 == sha, ImportBatch.options_hash == fp,
                ImportBatch.status == "done", ImportBatch.dry_run.is_(False))).scalar()
        if done:
            report.already_imported = True
            report.batch_id = done
            report.seconds = time.perf_counter() - started
            return report

    sheet = read_sheet(path, kind="enterprise", mapping_file=options.mapping_file, sheet_name=options.sheet_name)
    parser = RowParser(sheet, options)
    parser.sheet_name = path.name
    report.columns = {c.header: c.field for c in sheet.columns if c.header}
    seen: dict[tuple, tuple[int, int]] = {}

    def records() -> Iterator[dict]:
        for row in sheet.rows:
            if not any(not values.is_blank(c) for c in row.cells):
                continue  # blank row
            report.rows_total += 1
            if options.on_progress and report.rows_total % 1000 == 0:
                options.on_progress(1000)
            rec, problems = parser.parse(row)
            report.problems.extend(problems)
            if rec is None:
                report.rows_bad += 1
                continue
            key = (match_key(rec["credit_code"], rec["name_norm"], rec["region_code"]),
                   tuple(sorted(rec["figures"])))
            fp_row = _fingerprint(rec)
            if key in seen:
                first_row, first_fp = seen[key]
                if first_fp == fp_row:
                    report.duplicates_in_file += 1
                else:
                    report.rows_bad += 1
                    report.problems.append(RowProblem(
                        row.number, None, rec["credit_code"] or rec["name"],
                        f"与第{first_row}行是同一企业但内容不同（冲突），本行未导入；请核对后保留一行"))
                continue
            seen[key] = (row.number, fp_row)
            report.rows_ok += 1
            yield rec

    if options.dry_run:
        for _ in records():
            pass
    else:
        with db.session() as session:
            batch = ImportBatch(kind="enterprises", raw_sha256=sha, options_hash=fp, file_name=path.name,
                                user=options.user, dry_run=False)
            session.add(batch)
            session.flush()
            chunk: list[dict] = []
            for rec in records():
                chunk.append(rec)
                if len(chunk) >= options.chunk_rows:
                    _write_chunk(session, chunk, options, report)
                    chunk = []
            if chunk:
                _write_chunk(session, chunk, options, report)
            for part in _chunks(report.problems, 1000):
                session.execute(ImportError_.__table__.insert(), [
                    {"batch_id": batch.id, "row": p.row, "column": p.column, "value": p.value,
                     "reason": f"[{p.severity}] {p.reason}"} for p in part])
            batch.status = "done"
            batch.rows_total, batch.rows_ok, batch.rows_bad = report.rows_total, report.rows_ok, report.rows_bad
            batch.inserted, batch.updated = report.inserted, report.updated
            batch.finished_at = func.current_timestamp()
            batch.summary = {"duplicates_in_file": report.duplicates_in_file, "columns": report.columns}
            session.flush()
            report.batch_id = batch.id
    if report.problems:
        report.errors_path = str(write_problems(report, options))
    report.seconds = time.perf_counter() - started
    return report


def write_problems(report: ImportReport, options: ImportOptions) -> Path:
    """The bad-row report: one line per problem (row, column, value, reason), as CSV (UTF-8 with BOM, so Excel
    and WPS open it) or XLSX by the file suffix."""
    if options.errors_path:
        out = Path(options.errors_path)
    else:
        stem = Path(report.file).stem
        out = get_settings().home / "imports" / f"{stem}-{report.sha256[:8]}-errors.csv"
    header = ["行号 row", "列 column", "值 value", "原因 reason", "级别 severity"]
    lines = [[p.row, p.column, p.value, p.reason, p.severity] for p in report.problems]
    title = (f"文件 {Path(report.file).name}：共 {report.rows_total} 行，导入 {report.rows_ok} 行，"
             f"拒绝 {report.rows_bad} 行")
    return write_rows(out, header, lines, sheet_title="错误报告", title=title)

