from __future__ import annotations

import shutil

import pytest

from xinlian.extract.lexicon import LEXICON_DIR, LexiconError, Matcher, NameIndex, lexicons, load_lexicons


def _copy(tmp_path):
    d = tmp_path / "lex"
    shutil.copytree(LEXICON_DIR, d)
    return d


def test_package_lexicons_load():
    lx = lexicons()
    assert "书记" in lx.title_bases and "副" in lx.title_prefixes
    assert "欧阳" in lx.surnames and "恽" in lx.surnames
    assert ("大学", "university") in lx.type_suffixes
    assert "visit" in lx.event_triggers and "调研" in lx.event_triggers["visit"]


def test_bad_kind_names_file_and_line(tmp_path):
    d = _copy(tmp_path)
    p = d / "org_suffixes.yaml"
    lines = p.read_text(encoding="utf-8").splitlines()
    i = next(n for n, line in enumerate(lines) if "suffix: 大学" in line)
    lines[i] = "  - {suffix: 大学, kind: school}"
    p.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(LexiconError, match=rf"^org_suffixes\.yaml:{i + 1}: .*school"):
        load_lexicons(d)


def test_unknown_event_type_names_line(tmp_path):
    d = _copy(tmp_path)
    p = d / "events.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("  visit:", "  vist:"), encoding="utf-8")
    with pytest.raises(LexiconError, match=r"^events\.yaml:\d+: unknown event type 'vist'"):
        load_lexicons(d)


def test_bad_surname_names_line(tmp_path):
    d = _copy(tmp_path)
    p = d / "surnames.txt"
    p.write_text("# x\n王 李\n张三丰\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"^surnames\.txt:3:"):
        load_lexicons(d)


def test_broken_yaml_names_file(tmp_path):
    d = _copy(tmp_path)
    (d / "media.yaml").write_text("outlets: [新华社\n  - x", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"^media\.yaml:\d+:"):
        load_lexicons(d)


def test_matcher_longest_prefers_long_words():
    m = Matcher([("有限公司", 1), ("公司", 2), ("限公", 3)])
    assert [w for _s, _e, w, _p in m.longest("某某有限公司")] == ["有限公司"]


def test_name_index_keeps_all_ids():
    idx = NameIndex([("星衡微电子", "E1"), ("星衡微电子", "E2"), ("星", "E3")])
    hits = idx.find("星衡微电子量产")
    assert [(h.name, h.ids) for h in hits] == [("星衡微电子", ("E1", "E2"))]
    assert len(idx) == 1  # one-character names are not indexed
