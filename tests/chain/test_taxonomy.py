"""The chain taxonomies: packaged files load, broken files fail with file and line."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from xinlian.chain.taxonomy import STAGES, Chain, Edge, TaxonomyError, available_chains, load_chain

# --------------------------------------------------------------------------- packaged chains


@pytest.fixture(scope="module")
def semi() -> Chain:
    return load_chain("semiconductor")


def test_packaged_chains_are_listed_and_load():
    names = available_chains()
    assert {"semiconductor", "nev"} <= set(names)
    for name in names:
        chain = load_chain(name)
        assert chain.id == name
        assert chain.name and chain.nodes and chain.edges


def test_semiconductor_shape(semi):
    assert semi.name == "集成电路（芯片）产业链"
    assert 45 <= len(semi.nodes) <= 60
    stages = semi.by_stage()
    assert list(stages) == list(STAGES)
    assert all(stages[s] for s in STAGES)
    for leaf in semi.leaves():
        assert len(leaf.keywords) >= 10, leaf.id
        for ancestor in semi.ancestors(leaf.id):
            assert semi.stage_of(ancestor) == leaf.stage, (leaf.id, ancestor)


def test_nev_chain_is_small_and_separate():
    nev = load_chain("nev")
    assert 10 <= len(nev.nodes) <= 20
    assert nev.inputs_of("battery_packs") == ["battery_cells"]
    assert set(nev.inputs_of("battery_cells")) == {"cathode", "anode", "electrolyte", "separator"}
    assert not set(nev.nodes) & {"foundry", "photoresist"}


def test_load_is_cached_and_accepts_a_path(semi):
    assert load_chain("semiconductor") is semi
    by_path = load_chain(semi.path)
    assert by_path.nodes.keys() == semi.nodes.keys()


def test_unknown_chain_name_is_a_taxonomy_error():
    with pytest.raises(TaxonomyError) as info:
        load_chain("no_such_chain")
    assert "semiconductor" in str(info.value)


def test_supply_path_from_sic_substrate_to_vehicles(semi):
    path = ["sic_substrate", "sic_epitaxy", "compound_fab", "power_devices", "nev_vehicles"]
    for src, dst in zip(path, path[1:]):
        assert Edge(src, dst) in semi.edges, f"{src} → {dst}"
        assert src in semi.inputs_of(dst)
        assert dst in semi.outputs_of(src)


def test_hierarchy_queries(semi):
    assert semi.node("sic_substrate").parent == "materials"
    assert semi.is_leaf("photoresist") and not semi.is_leaf("materials")
    assert "lithography" in semi.descendants("equipment")
    assert semi.ancestors("lithography") == ["front_end_equipment", "equipment"]
    assert "front_end_equipment" in semi.children("equipment")
    assert "lithography" not in semi.children("equipment")
    leaf_ids = {n.id for n in semi.leaves()}
    assert "materials" not in leaf_ids and "photoresist" in leaf_ids
    assert set(semi.inputs_of("foundry")) >= {"photoresist", "lithography", "silicon_wafer", "digital_ic"}
    assert set(semi.outputs_of("eda")) >= {"digital_ic", "analog_ic", "power_ic", "rf_ic"}
    with pytest.raises(KeyError):
        semi.node("nope")


def test_every_upstream_leaf_supplies_something_and_every_scene_is_supplied(semi):
    for leaf in semi.leaves():
        if leaf.stage == "upstream":
            assert semi.outputs_of(leaf.id), f"{leaf.id} supplies nothing"
        if leaf.stage == "downstream":
            assert semi.inputs_of(leaf.id), f"{leaf.id} has no suppliers"


def test_to_dict_is_json_ready(semi):
    data = json.loads(json.dumps(semi.to_dict(), ensure_ascii=False))
    assert data["chain"] == "semiconductor"
    assert len(data["nodes"]) == len(semi.nodes)
    assert {"from": "photoresist", "to": "foundry"} in data["edges"]


@pytest.mark.parametrize(
    "term, expected",
    [
        ("化合物半导体", "compound_fab"),
        ("光学", "optical_components"),
        ("人工智能", "ai_computing"),
        ("低空经济", "low_altitude_economy"),
        ("舱驾融合", "nev_vehicles"),
        ("碳化硅", "sic_substrate"),
        ("eVTOL", "low_altitude_economy"),
        ("SiC", "sic_substrate"),
    ],
)
def test_keyword_index_finds_the_seed_article_nodes(semi, term, expected):
    index = semi.keyword_index()
    assert expected in index[term.lower()]


def test_keyword_index_keys_are_lower_case(semi):
    index = semi.keyword_index()
    assert all(key == key.lower() for key in index)
    assert "ai" in index and "AI" not in index


# --------------------------------------------------------------------------- broken files

HEADER = """\
chain: broken
name: 测试链
name_en: Test chain
nodes:
"""


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "chain.yaml"
    path.write_text(HEADER + textwrap.dedent(body), encoding="utf-8")
    return path


def line_of(path: Path, marker: str) -> int:
    """1-based line of the only line containing ``marker``."""
    hits = [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if marker in line]
    assert len(hits) == 1, hits
    return hits[0]


def load_error(path: Path) -> TaxonomyError:
    with pytest.raises(TaxonomyError) as info:
        load_chain(str(path))
    err = info.value
    assert err.file == str(path.resolve())
    assert str(err).startswith(f"{err.file}:{err.line}: ")
    return err


GOOD_NODES = """\
  - id: up
    name: 上游
    stage: upstream
    keywords: [甲]
  - id: mid
    name: 中游
    stage: midstream
    keywords: [乙]
  - id: down
    name: 下游
    stage: downstream
    keywords: [丙]
"""


def extra_node(node_id: str, stage: str, parent: str | None = None, comment: str = "") -> str:
    """YAML for one more node, appended after GOOD_NODES."""
    text = f"  - id: {node_id}{comment}\n    name: 附加\n    stage: {stage}\n"
    if parent:
        text += f"    parent: {parent}\n"
    return text + "    keywords: [附加]\n"


def test_small_valid_file_loads(tmp_path):
    path = write(tmp_path, GOOD_NODES + "edges:\n  - {from: up, to: mid}\n  - {from: mid, to: down}\n")
    chain = load_chain(str(path))
    assert chain.inputs_of("down") == ["mid"]
    assert [n.id for n in chain.leaves()] == ["up", "mid", "down"]
    assert chain.node("mid").line == line_of(path, "id: mid")


def test_duplicate_id(tmp_path):
    path = write(tmp_path, GOOD_NODES + extra_node("mid", "midstream", comment="  # again"))
    err = load_error(path)
    assert err.line == line_of(path, "id: mid  # again")
    assert "duplicate node id 'mid'" in str(err)


def test_missing_parent(tmp_path):
    path = write(tmp_path, GOOD_NODES + extra_node("orphan", "upstream", parent="ghost"))
    err = load_error(path)
    assert err.line == line_of(path, "parent: ghost")
    assert "'ghost' is not defined" in str(err)


def test_cycle_in_edges(tmp_path):
    edges = (
        "edges:\n  - {from: up, to: mid}\n  - {from: mid, to: down}\n"
        "  - {from: down, to: up}  # closes\n"
    )
    path = write(tmp_path, GOOD_NODES + edges)
    err = load_error(path)
    assert err.line == line_of(path, "# closes")
    assert "cycle in edges: up → mid → down → up" in str(err)


def test_unknown_edge_node(tmp_path):
    path = write(tmp_path, GOOD_NODES + "edges:\n  - {from: up, to: mid}\n  - {from: mid, to: nowhere}\n")
    err = load_error(path)
    assert err.line == line_of(path, "to: nowhere")
    assert "'nowhere': no such node" in str(err)


def test_bad_stage(tmp_path):
    path = write(tmp_path, GOOD_NODES + extra_node("odd", "sidestream"))
    err = load_error(path)
    assert err.line == line_of(path, "stage: sidestream")
    assert "'sidestream' is not one of" in str(err)


def test_child_must_share_parent_stage(tmp_path):
    path = write(tmp_path, GOOD_NODES + extra_node("kid", "downstream", parent="up"))
    err = load_error(path)
    assert err.line == line_of(path, "parent: up")
    assert "its parent 'up' is upstream" in str(err)


def test_cycle_in_parents(tmp_path):
    body = """\
      - id: a
        name: 甲
        stage: upstream
        parent: b
        keywords: [x]
      - id: b
        name: 乙
        stage: upstream
        parent: a
        keywords: [y]
    """
    err = load_error(write(tmp_path, body))
    assert "cycle in parents" in str(err)
    assert len(err.errors) == 1


def test_bad_id_duplicate_edge_and_missing_keywords_are_all_reported(tmp_path):
    body = GOOD_NODES + (
        "  - id: BadId\n    name: 坏\n    stage: upstream\n    keywords: [辛]\n"
        "  - id: bare\n    name: 空\n    stage: upstream\n"
        "edges:\n  - {from: up, to: mid}\n  - {from: up, to: mid}  # twice\n"
    )
    path = write(tmp_path, body)
    err = load_error(path)
    reasons = dict((line, reason) for line, reason in err.errors)
    assert "not snake_case" in reasons[line_of(path, "id: BadId")]
    assert "leaf node 'bare' has no keywords" in reasons[line_of(path, "id: bare")]
    assert "duplicate edge up → mid" in reasons[line_of(path, "# twice")]
    assert err.line == line_of(path, "id: BadId")  # the first problem in the file
    assert len(str(err).splitlines()) == 3


def test_yaml_syntax_error_has_a_line(tmp_path):
    path = write(tmp_path, GOOD_NODES + "edges: [unclosed\n")
    err = load_error(path)
    assert err.line >= line_of(path, "edges: [unclosed")
