"""Reading xinlian's YAML data files with line numbers, so every error can name FILE:LINE.

``LineLoader`` is a SafeLoader whose mappings are ``LineDict``s (they remember their own line and each key's
line) and which collects duplicate keys instead of silently keeping the last one. ``DataFileError`` is the one
error shape of every data file: one ``FILE:LINE: reason`` per problem. The taxonomy, the diagnosis rules and the
work rules all load through here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class DataFileError(ValueError):
    """A malformed data file. ``str(err)`` has one ``FILE:LINE: reason`` per problem, in line order.

    Attributes:
        file: path of the offending file, as a string.
        line: 1-based line of the first problem (0 when the file could not be read).
        errors: every problem as ``(line, reason)``.
    """

    def __init__(self, file: str | Path, errors: list[tuple[int, str]]):
        self.file = str(file)
        self.errors = sorted(errors, key=lambda e: e[0])
        self.line = self.errors[0][0] if self.errors else 0
        super().__init__("\n".join(f"{self.file}:{line}: {reason}" for line, reason in self.errors))


class LineDict(dict):
    """A YAML mapping remembering its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict

    def line_of(self, key: str | None = None) -> int:
        if key is not None and key in getattr(self, "key_lines", {}):
            return self.key_lines[key]
        return self.line


class LineLoader(yaml.SafeLoader):
    """SafeLoader whose mappings carry line numbers; duplicate keys are collected in ``duplicates``."""

    def __init__(self, stream: Any):
        super().__init__(stream)
        self.duplicates: list[tuple[int, str]] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:
        self.flatten_mapping(node)
        out = LineDict()
        out.line = node.start_mark.line + 1
        out.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if key in out:
                self.duplicates.append((line, f"重复的键 duplicate key {key!r}"))
            out[key] = self.construct_object(value_node, deep=True)
            if isinstance(key, str):
                out.key_lines[key] = line
        return out


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, LineLoader.construct_mapping)


def parse(path: str | Path, error: type[DataFileError] = DataFileError) -> tuple[Any, list[tuple[int, str]]]:
    """Read and parse one YAML data file: (data, duplicate-key problems). An unreadable file or a syntax error
    raises ``error`` naming the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(path, [(0, f"无法读取 cannot read: {exc}")]) from exc
    loader = LineLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise error(path, [((mark.line + 1) if mark else 0, f"YAML syntax 语法错误: {exc.problem or exc}")]) from exc
    finally:
        loader.dispose()
    return data, list(loader.duplicates)
