"""The news verbs through the real command line (typer's CliRunner), on both databases."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))

from support import SHARED, shared_path  # noqa: E402
from pages import PINYIN_TEXT, STORY_TITLE, write_folder  # noqa: E402

from xinlian.cli import _load_areas, app  # noqa: E402

_load_areas()
runner = CliRunner()


def _run(*args, input=None):
    result = runner.invoke(app, list(args), input=input, catch_exceptions=False)
    return result


def test_ingest_list_show(db, tmp_path):
    root = tmp_path / "pages"
    write_folder(root)
    res = _run("ingest", str(root), "--json")
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert (summary["ingested"], summary["duplicates"], summary["failed"]) == (5, 2, 2)

    res = _run("ingest", str(root), "--json")  # again: nothing new
    assert json.loads(res.stdout)["skipped"] == 7 and json.loads(res.stdout)["ingested"] == 0

    listed = json.loads(_run("news", "list", "--json").stdout)
    assert len(listed) == 5
    assert [r["published"][:10] for r in listed] == sorted((r["published"][:10] for r in listed), reverse=True)
    assert len(json.loads(_run("news", "list", "--json", "--limit", "2").stdout)) == 2
    canon = json.loads(_run("news", "list", "--json", "--canonical").stdout)
    assert len(canon) == 3
    found = json.loads(_run("news", "list", "--json", "-q", "集成电路").stdout)
    assert {r["title"] for r in found} == {STORY_TITLE}

    story = next(r for r in listed if r["title"] == STORY_TITLE and r["is_canonical"])
    shown = json.loads(_run("news", "show", str(story["id"]), "--json").stdout)
    assert shown["page"]["raw_sha256"] and len(shown["page"]["raw_sha256"]) == 64
    assert shown["story"]["size"] == 3 and len(shown["story"]["other_copies"]) == 2
    assert "encoding_guessed" in {w["code"] for w in shown["warnings"]}
    text = _run("news", "show", str(story["id"])).stdout
    assert STORY_TITLE in text and shown["page"]["raw_sha256"] in text

    missing = _run("news", "show", "99999")
    assert missing.exit_code == 1


def test_ingest_refuses_missing_paths(db, tmp_path):
    res = _run("ingest", str(tmp_path / "nothing-here"))
    assert res.exit_code == 1


def test_clean_file_and_stdin(tmp_path):
    path = tmp_path / "page.txt"
    path.write_text(PINYIN_TEXT, encoding="utf-8")
    from_file = _run("clean", str(path))
    assert from_file.exit_code == 0
    assert from_file.stdout.startswith("区领导调研新材料产业相关企业\n")
    assert "有限公司" in from_file.stdout and "(yǒu)" not in from_file.stdout
    from_stdin = _run("clean", "-", input=PINYIN_TEXT.encode("utf-8"))
    assert from_stdin.stdout == from_file.stdout


def test_extract_seed_json_follows_the_contract(tmp_path):
    seed = shared_path("fixtures", "seed", "wujin-2025-03-06.txt")
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((SHARED / "contracts" / "article.schema.json").read_text("utf-8"))
    res = _run("extract", str(seed), "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    jsonschema.validate(doc, schema)
    assert doc["title"] == "区领导调研芯片产业相关企业"
    assert doc["published"] == "2025-03-06T20:22:49+08:00"
    assert set(doc) >= {"entities", "chain_nodes", "events"}


def test_extract_without_shared(tmp_path):
    path = tmp_path / "page.txt"
    path.write_text(PINYIN_TEXT, encoding="utf-8")
    doc = json.loads(_run("extract", str(path), "--json").stdout)
    assert doc["title"] == "区领导调研新材料产业相关企业"
    assert doc["outlet"] == "南溪新闻" and doc["published"] == "2025-03-18T16:05:12+08:00"
    assert isinstance(doc["entities"]["organizations"], list) and isinstance(doc["events"], list)
