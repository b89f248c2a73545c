"""The docs are part of the product: every setting and CLI verb is documented, the README starts with the two
commands, and the commands it names exist."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_documented():
    from xinlian.settings import Settings

    text = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    missing = [f for f in Settings.model_fields if f"XINLIAN_{f.upper()}" not in text]
    assert not missing, f"settings missing from docs/settings.md: {missing}"


def test_readme_opens_with_the_two_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
    first = [line.split("#")[0].strip() for line in blocks[0].strip().splitlines()]
    assert first == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci


def _verbs():
    from typer.main import get_command

    from xinlian.cli import _load_areas, app

    _load_areas()
    root = get_command(app)
    out = []

    def walk(cmd, prefix):
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, prefix + [name])
        else:
            out.append(" ".join(prefix))

    walk(root, [])
    return out


def test_every_cli_verb_is_in_the_guide():
    guide = (ROOT / "docs" / "guide.md").read_text(encoding="utf-8")
    missing = [v for v in _verbs() if f"xinlian {v}" not in guide]
    assert not missing, f"verbs missing from docs/guide.md: {missing}"


def _readme_command_lines() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
    return [l for b in blocks for l in b.splitlines() if l.startswith("xinlian ")]


@pytest.mark.parametrize("line", _readme_command_lines())
def test_readme_commands_exist(line):
    verbs = _verbs()
    words = line.split("#")[0].split()
    assert any(" ".join(words[1:1 + len(v.split())]) == v for v in verbs), line
