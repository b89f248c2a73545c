"""Checklist 16 (ASVS 1.2.4): no SQL text built from strings at run time, unless the line says why it is safe.

An AST walk over ``src/xinlian``: a call to ``text()``, ``execute()``, ``exec_driver_sql()``, ``executemany()`` or
``executescript()`` whose first argument is an f-string, a ``%`` or ``+`` expression involving a string, or
``"...".format(...)`` is an error, unless a ``# sql-ok: <reason>`` comment sits on the call's first or last line or
on the comment lines just above it. Values always go in as bound parameters; the marker is for identifiers the
code makes itself (temporary table names, column names from the schema, a fixed list of settings).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "xinlian"
SQL_CALLS = {"text", "execute", "exec_driver_sql", "executemany", "executescript"}
MARKER = re.compile(r"#\s*sql-ok:\s*\S.{3,}")


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _has_string(node: ast.AST) -> bool:
    return any(isinstance(n, ast.JoinedStr) or (isinstance(n, ast.Constant) and isinstance(n.value, str))
               for n in ast.walk(node))


def _built_sql(arg: ast.expr) -> str | None:
    """Why ``arg`` is SQL built at run time, or None."""
    if isinstance(arg, ast.JoinedStr) and any(isinstance(v, ast.FormattedValue) for v in arg.values):
        return "f-string"
    if isinstance(arg, ast.BinOp) and isinstance(arg.op, (ast.Add, ast.Mod)) and _has_string(arg):
        return "% formatting" if isinstance(arg.op, ast.Mod) else "+ concatenation"
    if (isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) and arg.func.attr == "format"
            and _has_string(arg.func.value)):
        return ".format()"
    return None


def _marked_lines(source: str) -> tuple[set[int], set[int]]:
    """(lines holding a sql-ok marker comment, lines holding only a comment)."""
    marked, comment_only = set(), set()
    code_lines = set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            if MARKER.search(tok.string):
                marked.add(tok.start[0])
        elif tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
            code_lines.update(range(tok.start[0], tok.end[0] + 1))
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT and tok.start[0] not in code_lines:
            comment_only.add(tok.start[0])
    return marked, comment_only


def lint(source: str, name: str = "<source>") -> list[str]:
    """Every unmarked run-time-built SQL call in ``source``, as ``name:line: why``."""
    marked, comment_only = _marked_lines(source)
    problems = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and _called_name(node.func) in SQL_CALLS and node.args):
            continue
        why = _built_sql(node.args[0])
        if why is None:
            continue
        ok = node.lineno in marked or node.end_lineno in marked
        line = node.lineno - 1
        while not ok and line in comment_only:
            ok = line in marked
            line -= 1
        if not ok:
            problems.append(f"{name}:{node.lineno}: SQL built with {why}; bind the values, or add "
                            "'# sql-ok: <why it is safe>'")
    return problems


# Files being written in the same session as this lint (level-3 encryption of figures); their author reads each hit
# and marks or fixes it, then removes the entry. An entry whose file has no hit left fails the test below.
PENDING: set[str] = set()


def test_no_sql_is_built_from_strings_without_a_reason():
    problems, pending_hits = [], set()
    for path in sorted(SRC.rglob("*.py")):
        name = str(path.relative_to(SRC.parent))
        found = lint(path.read_text(encoding="utf-8"), name)
        if name in PENDING:
            pending_hits.update([name] if found else [])
        else:
            problems += found
    assert not problems, "\n".join(problems)
    assert pending_hits == PENDING, f"no unmarked SQL left in {PENDING - pending_hits}: remove them from PENDING"


@pytest.mark.parametrize("snippet, flagged", [
    ('conn.execute(text(f"SELECT * FROM t WHERE name = \'{name}\'"))', True),
    ('session.execute(text("SELECT * FROM t WHERE id = " + str(i)))', True),
    ('cur.execute("SELECT * FROM t WHERE id = %s" % i)', True),
    ('conn.exec_driver_sql("DELETE FROM {}".format(table))', True),
    ('conn.execute(text("SELECT * FROM t WHERE name = :n"), {"n": name})', False),
    ('ax.text(x + 0.5, y, label)', False),  # matplotlib's text(): arithmetic, no string
    ('conn.execute(text(f"SELECT 1"))', False),  # an f-string with nothing put in
    ('conn.execute(text(f"ANALYZE {tmp}"))  # sql-ok: tmp is our own temp table name', False),
    ('conn.execute(text(f"ANALYZE {tmp}"))  # sql-ok:', True),  # a marker needs a reason
    ('# sql-ok: identifiers from the fixed tuple NAMES\n# (second comment line)\n'
     'conn.execute(text(f"SHOW {n}"))', False),
    ('# sql-ok: too far above\nx = 1\nconn.execute(text(f"SHOW {n}"))', True),
    ('sql = text(f"""\nSELECT * FROM {t}  # sql-ok: inside the string, not a comment\n""")', True),
])
def test_the_lint_itself(snippet, flagged):
    assert bool(lint(snippet)) is flagged
