"""Import enterprises from the sheets bureaus have (CSV or XLSX) into the registry.

Stages, in order (one ``ImportOptions`` passed through):
1. keep the raw file (content-addressed, for good) and skip a file already imported with the same options;
2. read the sheet (``ingest.sheets``): header detection, streamed rows;
3. parse each row into a record (``registry.values``): credit code check (GB 32100), name, region (from the
   column, else from the credit code), nodes, flags, yearly figures with units → yuan; a bad cell refuses the row
   (severity ``error``), a value that is only ignored is a ``warning``;
4. within the file, the same firm twice: identical rows are counted once, conflicting rows are refused;
   stages 2-4 run in a second process for a large sheet (``import_parse_process_min_bytes``), sending batches of
   ``Prepared`` rows (search terms already cut) to this one while it writes the previous batch;
5. write everything in ONE transaction, in chunks (upsert by credit code, else by normalised name + region;
   blank cells never overwrite known values): one lookup per chunk tells new firms from known ones; new firms get
   their ids at once and plain INSERTs (COPY on PostgreSQL), known ones the upsert. The batch row, its error rows
   and the search index go in the same transaction, so a crash half-way leaves the database as it was;
6. write the error report (CSV or XLSX) and return the summary.
"""

from __future__ import annotations

import gc
import hashlib
import json
import marshal
import threading
import time
from functools import lru_cache, partial
from operator import itemgetter
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Callable, Iterator, NamedTuple

from sqlalchemy import func, select, update

from xinlian.ingest.sheets import Column, Sheet, SheetError, column_letter, read_sheet
from xinlian.registry import creditcode, names, sensitive, values
from xinlian.registry.placement import resolve_nodes
from xinlian.settings import get_settings
from xinlian.store import dialect
from xinlian.store.changes import announce_change
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
    return credit_code or name_key(name_norm, region)


def name_key(name_norm: str, region: str | None) -> str:
    """The key of a firm without a credit code: its normalised name within its region."""
    return f"n:{name_norm}|{region or ''}"


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


class _Memo(dict):
    """A cell parser remembered per distinct text: bureau sheets repeat the same regions, flags, units, nodes and
    dates on every row. Returns (value, None) or (None, the ValueProblem's message). Only text cells are
    remembered (1, 1.0 and True hash alike but do not parse alike), and at most ``LIMIT`` of them. The hot sites read
    ``memo[text]`` (a plain dict lookup; ``__missing__`` parses a new text) and call ``memo(value)`` otherwise."""

    __slots__ = ("fn",)
    LIMIT = 20_000

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def _parse(self, v) -> tuple:
        try:
            return self.fn(v), None
        except values.ValueProblem as exc:
            return None, str(exc)

    def __missing__(self, v: str) -> tuple:
        out = self._parse(v)
        if len(self) < self.LIMIT:
            self[v] = out
        return out

    def __call__(self, v) -> tuple:
        return self[v] if type(v) is str else self._parse(v)


def _node_cell(chain: str, value) -> tuple[str | None, tuple[str, ...], tuple[str, ...]]:
    """A 产业链环节 cell: (its text, node ids it names, parts that name no node)."""
    text = values.text(value)
    found, unknown = resolve_nodes(chain, text) if text else ((), ())
    return text, found, unknown


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
        # Remembered parsers: one per kind of cell, one per figure column (its unit is part of the answer).
        chain = options.chain
        self._region = _Memo(lambda v: _region_code(values.text(v)))
        self._date = _Memo(values.date)
        self._flag = _Memo(values.flag)
        self._count = _Memo(values.count)
        self._nodes = _Memo(partial(_node_cell, chain))
        self._figure_cols = [(fname, col, _Memo(partial(values.amount_yuan, unit=_unit_of(col)))
                              if fname in MONEY_FIELDS else self._count)
                             for fname in FIGURE_FIELDS for col in self.by_field.get(fname, [])]
        self._flag_fields = [f for f in FLAG_FIELDS if f in self.by_field]
        self._text_fields = [f for f in TEXT_FIELDS if f in self.by_field]
        # What a row without the optional columns holds.
        self._template = {"credit_code": None, "region_code": None, "founded": None, "aliases": [], "nodes": [],
                          **{f: None for f in TEXT_FIELDS}, **{f: None for f in FLAG_FIELDS}}

    def _cell(self, row, col: Column):
        return row.cells[col.index] if col.index < len(row.cells) else None

    def parse(self, row) -> tuple[dict | None, list[RowProblem]]:
        problems: list[RowProblem] = []
        rec: dict = self._template.copy()
        rec["row"] = row.number
        rec["aliases"] = []
        number = row.number

        def problem(col: Column | None, value, reason: str, severity: str = "error"):
            where = f"{column_letter(col.index)}（{col.header}）" if col else None
            problems.append(RowProblem(number, where, None if value is None else str(value)[:200], reason, severity))

        if row.formulas:
            for idx, formula in row.formulas.items():
                col = next((c for c in self.by_field_all() if c.index == idx), None)
                if col is not None:
                    problem(col, formula, "公式没有计算结果（请在 Excel/WPS 中打开并保存，或粘贴为数值）")

        cells = row.cells
        ncells = len(cells)
        by_field = self.by_field
        is_blank = values.is_blank

        def first(fieldname: str):
            cols = by_field.get(fieldname)
            if not cols:
                return None, None
            for col in cols:
                v = cells[col.index] if col.index < ncells else None
                if v is not None and not is_blank(v):
                    return col, v
            return cols[0], None

        col, name = first("name")
        name = values.text(name)
        if not name:
            problem(col, name, "企业名称为空")
            return None, problems
        rec["name"], rec["name_norm"] = names.basic_and_key(name)
        if not rec["name_norm"]:
            problem(col, name, "企业名称去掉组织形式后为空")

        if "credit_code" in by_field:
            col, code = first("credit_code")
            if code is not None:
                try:
                    rec["credit_code"] = creditcode.validate(str(code))
                except creditcode.CreditCodeError as exc:
                    problem(col, code, f"统一社会信用代码无效：{exc}")

        col, region = first("region")
        if region is not None:
            rec["region_code"], err = self._region[region] if type(region) is str else self._region(region)
            if err:
                problem(col, region, err)
        elif rec["credit_code"]:
            rec["region_code"] = _region_of_code(rec["credit_code"][2:8])

        for fname in self._text_fields:
            rec[fname] = values.text(first(fname)[1])
        if "founded" in by_field:
            col, founded = first("founded")
            if founded is not None:
                rec["founded"], err = self._date(founded)
                if err:
                    problem(col, founded, err)
        for fname in self._flag_fields:
            col, v = first(fname)
            if v is not None:
                rec[fname], err = self._flag[v] if type(v) is str else self._flag(v)
                if err:
                    problem(col, v, err)

        for fname, kind in (("former_names", "former"), ("short_names", "short")):
            if fname not in by_field:
                continue
            v = values.text(first(fname)[1])
            if v:
                for a in filter(None, (x.strip() for x in v.replace("，", "、").replace(",", "、").replace(";", "、").split("、"))):
                    rec["aliases"].append((names.basic(a), kind))

        col, v = first("nodes")
        if v is not None:
            (v, found, unknown), _ = self._nodes[v] if type(v) is str else self._nodes(v)
            if v:
                evidence = f"{self.sheet_name} 第{number}行 产业链环节：{v}"
                rec["nodes"] = [(found[0], evidence)] if len(found) == 1 else [(n, evidence) for n in found]
                for part in unknown:
                    problem(col, part, f"未知的产业链环节 {part!r}（该值被忽略，企业照常导入）", "warning")

        row_year = None
        if "year" in by_field:
            col, y = first("year")
            if y is not None:
                row_year, err = self._count(y)
                if err:
                    problem(col, y, f"年份无效：{err}")
        figures: dict[int, dict] = {}
        default_year = row_year or self.default_year
        for fname, col, parse in self._figure_cols:
            v = cells[col.index] if col.index < ncells else None
            if v is None:
                continue
            parsed, err = parse[v] if type(v) is str else parse(v)
            if err:
                problem(col, v, err)
                continue
            if parsed is None:
                continue
            if parsed < 0:
                problem(col, v, "数值不能为负")
                continue
            year = col.year or default_year
            fig = figures.get(year)
            if fig is None:
                figures[year] = fig = {}
            fig[fname] = parsed
        rec["figures"] = figures
        if problems and any(p.severity == "error" for p in problems):
            return None, problems
        return rec, problems

    sheet_name = ""

    def by_field_all(self):
        for cols in self.by_field.values():
            yield from cols


@lru_cache(maxsize=4096)
def _region_of_code(guess: str) -> str | None:
    """The region a credit code names (its characters 3-8), when that code is in the table."""
    from xinlian.registry import regions

    return guess if regions.lookup(guess) is not None else None


def _fingerprint(rec: Prepared) -> int:
    """What a row says, without where it stands in the file (row numbers, evidence text). Only compared within one
    import, so Python's own hash of the values is enough."""
    figures, nodes = rec.figures, rec.nodes
    # the common row (one node, one year) takes the same tuples without the sorting
    node_ids = (nodes[0][0],) if len(nodes) == 1 else tuple(sorted(n for n, _ in nodes))
    if len(figures) == 1:
        (year, figs), = figures.items()
        said = ((year, tuple(sorted(figs.items()))),)
    else:
        said = tuple(sorted((y, tuple(sorted(f.items()))) for y, f in figures.items())) if figures else ()
    return hash((rec.values, rec.aliases, node_ids, said))


# --- writing -----------------------------------------------------------------------------------------------------

ENTERPRISE_COLS = ("credit_code", "name", "name_norm", "region_code", "address", "founded", "legal_rep", "products",
                   *FLAG_FIELDS)


class Prepared(NamedTuple):
    """One accepted row, shaped for writing (and cheap to send between processes)."""

    key: str  # match key
    values: tuple  # ENTERPRISE_COLS, in that order
    name_key: str | None  # the name-only match key of a row that has a credit code (see _adopt_codes)
    aliases: tuple  # (alias, alias_norm, kind)
    nodes: tuple  # (node_id, evidence)
    figures: dict  # year -> {field: value}
    terms: str  # search terms of name, aliases and products


def prepare(rec: dict) -> Prepared:
    code, by_name = rec["credit_code"], name_key(rec["name_norm"], rec["region_code"])
    aliases, products = rec["aliases"], rec.get("products")
    document = _document(rec["name"], aliases, products) if aliases or products else rec["name"]
    return Prepared(code or by_name, _enterprise_values(rec), by_name if code else None,
                    tuple((a, names.normalise(a), kind) for a, kind in aliases) if aliases else (),
                    tuple(rec["nodes"]), rec["figures"], " ".join(dialect.search_terms(document)))


_enterprise_values = itemgetter(*ENTERPRISE_COLS)  # a record's ENTERPRISE_COLS as one tuple


_as_prepared = partial(tuple.__new__, Prepared)  # a plain tuple of Prepared's fields -> Prepared, at C speed


def _document(name: str, aliases, products: str | None) -> str:
    """What the search index holds for an enterprise: its name, aliases and products."""
    return " ".join([name, *(a for a, *_ in aliases), products or ""])


_NEW_COLS = ("id", *ENTERPRISE_COLS, "match_key", "status", "is_sample", "source", "version")
_UPSERT_COLS = (*ENTERPRISE_COLS, "match_key", "status", "is_sample", "source", "version")
_UPDATE_COLS = [c for c in ENTERPRISE_COLS if c != "name_norm"] + ["source"]


def _write_chunk(session, chunk: list[Prepared], options: ImportOptions, report: ImportReport) -> None:
    """Write one chunk inside the import's transaction. Firms not yet in the table (one lookup by key tells) get
    ids at once and plain INSERTs; known firms are upserted, where blank cells never overwrite what is known."""
    _adopt_codes(session, [(r.name_key, r.values[0]) for r in chunk if r.name_key])
    if len({r.key for r in chunk}) < len(chunk):
        chunk = _merge_same_firm(chunk)
    known = _ids_by_key(session, {r.key for r in chunk})
    fresh = [r for r in chunk if r.key not in known]
    again = [r for r in chunk if r.key in known] if known else []
    source = options.source or Path(report.file).name
    tail = ("active", options.is_sample, source, 1)
    ids = dict(known)
    if fresh:
        new_ids = dialect.next_ids(session, "enterprise", len(fresh))
        ids.update(zip((r.key for r in fresh), new_ids))
        dialect.insert_rows(session, "enterprise", _NEW_COLS,
                            [(i, *r.values, r.key, *tail) for i, r in zip(new_ids, fresh)])
    if again:
        # Blank cells never overwrite what is known: COALESCE(new, old) for every column a sheet can fill.
        dialect.upsert_rows(session, "enterprise", _UPSERT_COLS, [(*r.values, r.key, *tail) for r in again],
                            keys=["match_key"], keep_old_when_null=True, update=_UPDATE_COLS,
                            extra_set=[("version", "enterprise.version + 1"), ("updated_at", "CURRENT_TIMESTAMP")])
    report.inserted += len(fresh)
    report.updated += len(again)

    chain = options.chain
    for group, is_new in ((fresh, True), (again, False)):
        if not group:
            continue
        aliases = [(ids[r.key], alias, norm, kind, source) for r in group for alias, norm, kind in r.aliases]
        nodes = [(ids[r.key], chain, node_id, "main", evidence, "import", 1.0)
                 for r in group for node_id, evidence in r.nodes]
        if is_new:  # one record per firm by now, and a record names each node once
            dialect.insert_rows(session, "enterprise_alias", _ALIAS_COLS, _unique(aliases, 2))
            dialect.insert_rows(session, "enterprise_node", _NODE_COLS, nodes)
        else:
            dialect.upsert_rows(session, "enterprise_alias", _ALIAS_COLS, _unique(aliases, 2),
                                keys=["enterprise_id", "alias"])
            dialect.upsert_rows(session, "enterprise_node", _NODE_COLS, _unique(nodes, 3),
                                keys=["enterprise_id", "chain", "node_id"], update=["evidence"])
    figures = [{**_NO_FIGURES, **figs, "enterprise_id": ids[r.key], "year": year}
               for r in chunk for year, figs in r.figures.items()]
    # The one figure writer: plain at security level 2, SM4-GCM ciphertext at level 3 (registry.sensitive).
    sensitive.write_figures(session, figures)
    dialect.index_terms(session, "enterprise", [(ids[r.key], r.terms) for r in chunk])


_NO_FIGURES = dict.fromkeys(FIGURE_FIELDS)
_ALIAS_COLS = ("enterprise_id", "alias", "alias_norm", "kind", "source")
_NODE_COLS = ("enterprise_id", "chain", "node_id", "role", "evidence", "source", "score")


def _unique(rows: list[tuple], width: int) -> list[tuple]:
    """Rows whose first ``width`` values repeat, once (the later one)."""
    if len(rows) < 2:
        return rows
    return list({r[:width]: r for r in rows}.values())


def _merge_same_firm(chunk: list[Prepared]) -> list[Prepared]:
    """One record per firm when a chunk holds the same firm twice (rows with different years of figures): a later
    value wins over an earlier one, a blank never erases one, aliases and nodes add up, figures merge per year."""
    merged: dict[str, Prepared] = {}
    for r in chunk:
        old = merged.get(r.key)
        if old is None:
            merged[r.key] = r
            continue
        values_ = tuple(new if new is not None else prev for new, prev in zip(r.values, old.values))
        figures = {y: dict(f) for y, f in old.figures.items()}
        for year, figs in r.figures.items():
            figures.setdefault(year, {}).update({k: v for k, v in figs.items() if v is not None})
        aliases = tuple(dict.fromkeys(old.aliases + r.aliases))
        nodes = tuple({n: (n, e) for n, e in old.nodes + r.nodes}.values())
        name, products = values_[ENTERPRISE_COLS.index("name")], values_[ENTERPRISE_COLS.index("products")]
        terms = " ".join(dialect.search_terms(_document(name, aliases, products)))
        merged[r.key] = Prepared(r.key, values_, r.name_key or old.name_key, aliases, nodes, figures, terms)
    return list(merged.values())


def _ids_by_key(session, keys: set[str]) -> dict[str, int]:
    """Enterprise ids by match key, for the keys already in the table (one statement per call)."""
    return dict(dialect.lookup(session, "enterprise", "match_key", list(keys)))


def _adopt_codes(session, coded: list[tuple[str, str]]) -> None:
    """A firm first known by name only, now given with its credit code: move its key so it is not duplicated.
    ``coded``: (name-only match key, credit code) of the rows that have a code."""
    if not coded or not _any_name_only(session):
        return
    table = Enterprise.__table__
    by_name_key = dict(coded)
    existing = [(ent_id, key) for key, ent_id in dialect.lookup(session, "enterprise", "match_key", list(by_name_key),
                                                                where="credit_code IS NULL")]
    if not existing:
        return
    taken = {code for code, in dialect.lookup(session, "enterprise", "credit_code",
                                              [by_name_key[k] for _, k in existing], select=())}
    for ent_id, key in existing:
        code = by_name_key[key]
        if code not in taken:
            session.execute(update(table).where(table.c.id == ent_id).values(match_key=code, credit_code=code))
            taken.add(code)


def _any_name_only(session) -> bool:
    """Whether any enterprise is known by name only (no credit code): one probe of the credit-code index."""
    table = Enterprise.__table__
    return session.execute(select(table.c.id).where(table.c.credit_code.is_(None)).limit(1)).first() is not None


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --- parsing the whole sheet: in this process, or in a second one while this one writes ----------------------

@dataclass
class _Batch:
    """Up to ``chunk_rows`` parsed records, ready to write, with the problems and counts of the rows read for them."""
    records: list[Prepared]
    problems: list[RowProblem]
    rows_total: int = 0
    rows_ok: int = 0
    rows_bad: int = 0
    duplicates: int = 0


def _parse_sheet(path: Path, options: ImportOptions) -> tuple[dict[str, str], Iterator[_Batch]]:
    """Read and parse the sheet (stages 2-4): the recognised columns, then the batches. Raises ``SheetError`` at once
    when the sheet cannot be read."""
    sheet = read_sheet(path, kind="enterprise", mapping_file=options.mapping_file, sheet_name=options.sheet_name)
    parser = RowParser(sheet, options)
    parser.sheet_name = path.name
    columns = {c.header: c.field for c in sheet.columns if c.header}
    return columns, _batches(sheet, parser, options.chunk_rows)


def _batches(sheet: Sheet, parser: RowParser, chunk_rows: int) -> Iterator[_Batch]:
    # The same firm twice in the file: one entry per (match key, years of figures), holding the first row's number
    # and what the row said (packed in one int: a million rows must stay well inside the memory budget).
    seen: dict[str, int] = {}
    batch = _Batch([], [])
    is_blank = values.is_blank
    for row in sheet.rows:
        if all(map(is_blank, row.cells)):
            continue  # blank row
        batch.rows_total += 1
        rec, problems = parser.parse(row)
        if problems:
            batch.problems.extend(problems)
        if rec is None:
            batch.rows_bad += 1
            continue
        # Shaped for writing here, so that with a parsing process the work is done there, not in the writer.
        rec = prepare(rec)
        figures = rec.figures
        if not figures:
            key = rec.key
        elif len(figures) == 1:
            key = f"{rec.key}\x00{next(iter(figures))}"
        else:
            key = f"{rec.key}\x00{','.join(map(str, sorted(figures)))}"
        said = _fingerprint(rec) & _FP_MASK
        first = seen.get(key)
        if first is not None:
            if first & _FP_MASK == said:
                batch.duplicates += 1
            else:
                batch.rows_bad += 1
                batch.problems.append(RowProblem(
                    row.number, None, rec.values[0] or rec.values[1],
                    f"与第{first >> 64}行是同一企业但内容不同（冲突），本行未导入；请核对后保留一行"))
            continue
        seen[key] = row.number << 64 | said
        batch.rows_ok += 1
        batch.records.append(rec)
        if len(batch.records) >= chunk_rows:
            yield batch
            batch = _Batch([], [])
    yield batch


_FP_MASK = (1 << 64) - 1


# An import makes a dozen small tuples and dicts per row (records, pickled batches), and every 700 of them set off
# a pass of Python's cyclic collector, which walks the young objects and, every tenth pass, the older ones too: about
# a fifth of the import's CPU time in both processes. The records hold no reference cycles, so during an import the
# passes may come much less often. The thresholds are process-wide: put back when the last running import ends.
_IMPORT_GC_THRESHOLD = (50_000, 20, 100)


_gc_lock = threading.Lock()
_gc_imports = 0  # imports running in this process (the web app may run two at once, in threads)
_gc_saved: tuple[int, ...] | None = None


def _fewer_collections() -> None:
    """Space the collector's passes out while an import runs; ``_usual_collections`` puts them back after the last."""
    global _gc_imports, _gc_saved
    with _gc_lock:
        if _gc_imports == 0:
            _gc_saved = gc.get_threshold()
            if _gc_saved[0] < _IMPORT_GC_THRESHOLD[0]:
                gc.set_threshold(*_IMPORT_GC_THRESHOLD)
        _gc_imports += 1


def _usual_collections() -> None:
    global _gc_imports
    with _gc_lock:
        _gc_imports -= 1
        if _gc_imports == 0 and _gc_saved is not None:
            gc.set_threshold(*_gc_saved)


def _parsed_batches(path: Path, options: ImportOptions) -> tuple[dict[str, str], Iterator[_Batch]]:
    """``_parse_sheet``, in a second process for a large sheet (setting ``import_parse_process_min_bytes``): that
    process reads and parses while this one writes, and a machine with two cores does both at once. The batches
    come through a pipe in file order, at most a couple ahead of the writer, so memory stays bounded."""
    threshold = get_settings().import_parse_process_min_bytes
    if threshold < 0 or path.stat().st_size < threshold:
        return _parse_sheet(path, options)
    import os
    import pickle
    import subprocess
    import sys
    from multiprocessing.connection import Connection

    # A fresh interpreter running ``python -m xinlian.registry.parse_process``, not multiprocessing: forking is unsafe
    # when the caller runs threads (the web app), and multiprocessing's spawn re-runs the caller's main script.
    # The batches come back pickled over a pipe of their own; the options go in on stdin.
    read_fd, write_fd = os.pipe()
    package_root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    try:
        proc = subprocess.Popen([sys.executable, "-m", "xinlian.registry.parse_process", str(write_fd), str(path)],
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, pass_fds=(write_fd,), env=env)
    finally:
        os.close(write_fd)
    batches = _ChildBatches(proc, Connection(read_fd, writable=False))
    try:
        proc.stdin.write(pickle.dumps(replace(options, on_progress=None)))
        proc.stdin.close()
        columns = batches.first()
    except BaseException:
        batches.close()
        raise
    return columns, batches


class _ChildBatches:
    """The batches the parsing process sends; ``close()`` stops that process (also when never iterated)."""

    def __init__(self, proc, receive):
        self.proc, self.receive = proc, receive

    def _message(self):
        try:
            kind, payload = self.receive.recv()
        except EOFError:
            try:
                code = self.proc.wait(5)
            except Exception:  # noqa: BLE001 - still running without a pipe: closed below
                code = None
            raise RuntimeError(f"导入的解析进程意外退出（exit code {code}）") from None
        if kind == "error":
            raise payload
        return kind, payload

    def first(self) -> dict[str, str]:
        return self._message()[1]

    def __iter__(self) -> Iterator[_Batch]:
        while True:
            kind, payload = self._message()
            if kind == "end":
                return
            records = payload.records
            payload.records = list(map(_as_prepared, marshal.loads(records) if type(records) is bytes else records))
            yield payload

    def close(self) -> None:
        self.receive.close()
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait()


def _parse_in_child(send, path: str, options: ImportOptions) -> None:
    """The parsing process (``xinlian.registry.parse_process``): sends ("columns", {...}), then ("batch", _Batch)
    ..., then ("end", None); or ("error", exc) when reading fails."""
    try:
        _fewer_collections()  # this process only parses, and ends afterwards
        columns, batches = _parse_sheet(Path(path), options)
        send.send(("columns", columns))
        for batch in batches:
            # Plain tuples pickle at half the cost of named ones; the writer makes them Prepared again. Records of
            # plain values (all but a founding date) go as one marshal blob, half the cost of pickling them again.
            batch.records = list(map(tuple, batch.records))
            try:
                batch.records = marshal.dumps(batch.records)
            except ValueError:  # a datetime.date: pickled with the batch instead
                pass
            send.send(("batch", batch))
        send.send(("end", None))
    except (BrokenPipeError, ConnectionResetError):
        return  # the writer is gone (killed, or stopped after a failure): nothing left to do
    except BaseException as exc:  # noqa: BLE001 - everything goes back to the writer, which raises it
        try:
            send.send(("error", exc))
        except (BrokenPipeError, ConnectionResetError):
            return
        except Exception:  # noqa: BLE001 - an exception that does not pickle
            send.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
    finally:
        send.close()


# --- the orchestrator --------------------------------------------------------------------------------------------

# A bulk import at least this large refreshes the planner statistics of the registry tables afterwards.
STATISTICS_AFTER_ROWS = 10_000


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

    columns, batches = _parsed_batches(path, options)
    report.columns = columns
    _fewer_collections()

    def take(batch: _Batch) -> list[Prepared]:
        report.rows_total += batch.rows_total
        report.rows_ok += batch.rows_ok
        report.rows_bad += batch.rows_bad
        report.duplicates_in_file += batch.duplicates
        report.problems.extend(batch.problems)
        if options.on_progress and batch.rows_total:
            options.on_progress(batch.rows_total)
        return batch.records

    try:
        if options.dry_run:
            for batch in batches:
                take(batch)
        else:
            with db.session() as session, dialect.bulk_write(session):
                batch_row = ImportBatch(kind="enterprises", raw_sha256=sha, options_hash=fp, file_name=path.name,
                                        user=options.user, dry_run=False)
                session.add(batch_row)
                session.flush()
                for batch in batches:
                    chunk = take(batch)
                    if chunk:
                        _write_chunk(session, chunk, options, report)
                for part in _chunks(report.problems, 1000):
                    session.execute(ImportError_.__table__.insert(), [
                        {"batch_id": batch_row.id, "row": p.row, "column": p.column, "value": p.value,
                         "reason": f"[{p.severity}] {p.reason}"} for p in part])
                batch_row.status = "done"
                batch_row.rows_total, batch_row.rows_ok, batch_row.rows_bad = (report.rows_total, report.rows_ok,
                                                                               report.rows_bad)
                batch_row.inserted, batch_row.updated = report.inserted, report.updated
                batch_row.finished_at = func.current_timestamp()
                batch_row.summary = {"duplicates_in_file": report.duplicates_in_file, "columns": report.columns}
                session.flush()
                report.batch_id = batch_row.id
            if report.inserted + report.updated >= STATISTICS_AFTER_ROWS:
                with db.session() as session:  # the planner learns the new table sizes (diagnosis speed)
                    dialect.refresh_statistics(session)
            announce_change()  # a running web app's workers recompute their cached pages
    finally:
        _usual_collections()
        batches.close()  # stops the parsing process, if any, when the write failed half-way
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

