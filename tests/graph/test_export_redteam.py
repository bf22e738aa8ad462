"""Record text in ``graph export``: the names a model team writes (model, datasets,
the risk ids it names) reach the Mermaid, GraphML and DOT a reviewer opens."""

from __future__ import annotations

import html
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from policygate import load_policies
from policygate.evaluate import evaluate
from policygate.formats.inert import inert
from policygate.graph.build import load_risk_graph
from policygate.models import model_from_data

ROOT = Path(__file__).resolve().parents[2]
REGISTER = ROOT / "examples" / "risk-register.yaml"
NOW = "2026-11-26T00:00:00Z"


def graph_of(datasets: list[str], name: str = "m"):
    data = {
        "apiVersion": "policygate/v1",
        "kind": "ModelRecord",
        "metadata": {"name": name, "version": "1"},
        "spec": {
            "risk_tier": "high",
            "lineage": {"training_data": [{"name": d} for d in datasets]},
        },
    }
    records = [model_from_data(data, "m.json")]
    policies = load_policies([ROOT / "policies"])
    risk_graph = load_risk_graph([REGISTER], policies)
    report = evaluate(records, policies, now=NOW, risk_graph=risk_graph)
    return risk_graph.with_models(report, records)


def mermaid_shows(label: str) -> str:
    """The text Mermaid shows for a quoted label: ``#name;`` and ``#NN;`` become
    ``&name;`` and ``&#NN;`` (its encodeEntities/decodeEntities), which the page
    then decodes as HTML."""
    coded = re.sub(r"#(\w+);", lambda m: f"&{'#' if m[1].isdigit() else ''}{m[1]};", label)
    return html.unescape(coded)


def dataset_labels(text: str) -> list[str]:
    return re.findall(r'^  n\d+\[\("dataset: (.*)"\)\]$', text, flags=re.M)


DIRECTIVES = ["%%{init: {'theme':'dark','themeCSS':'svg{background:url(https://t.example/p.png)}'}}%%",
              "%%{wrap}%%", "%% comment"]  # fmt: skip
SPOOFS = ["R&#45;DRIFT", "R#45;DRIFT", "&lt;b&gt;", "#lt;b#gt;", "\ufb02\u00b0lt\u00b6\u00dfb"]


def test_a_dataset_name_writes_no_mermaid_directive():
    from policygate.graph.export import to_mermaid

    text = to_mermaid(graph_of(DIRECTIVES))
    assert "%" not in text and "'" not in text


def test_mermaid_shows_each_name_as_the_record_writes_it():
    from policygate.graph.export import to_mermaid

    labels = dataset_labels(to_mermaid(graph_of(SPOOFS)))
    assert sorted(mermaid_shows(label) for label in labels) == sorted(SPOOFS)


@settings(max_examples=60, deadline=None)
@given(names=st.lists(st.text(min_size=1, max_size=10), min_size=1, max_size=3, unique=True))
def test_every_mermaid_label_shows_its_name(names):
    from policygate.graph.export import to_mermaid

    labels = dataset_labels(to_mermaid(graph_of(names)))
    shown = sorted(mermaid_shows(label) for label in labels)
    assert shown == sorted(inert(n) for n in names)
    assert not any("%%" in label or "'" in label for label in labels)


def graphml_nodes(text: str) -> list[str]:
    import xml.etree.ElementTree as ET

    from lxml import etree

    etree.fromstring(text.encode("utf-8"))  # a second parser reads it too
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    return [n.get("id") for n in ET.fromstring(text).iterfind(".//g:node", ns)]


def test_graphml_of_a_name_xml_cannot_hold_is_read_by_xml_parsers():
    from policygate.graph.export import to_graphml

    nodes = graphml_nodes(to_graphml(graph_of(["a\x01b", "c\x0bd", "e\ufffef", "g\x00"])))
    datasets = sorted(n for n in nodes if n.startswith("dataset:"))
    assert datasets == ["dataset:a\\x01b", "dataset:c\\x0bd", "dataset:e\\ufffef", "dataset:g\\x00"]


def test_graphml_keeps_a_carriage_return_in_a_value():
    import networkx as nx

    from policygate.graph.export import to_graphml

    names = ["a b", "a\u2028b", "a\rb", "a\nb", "a\r\nb", "a\tb"]
    graph = nx.parse_graphml(to_graphml(graph_of(names)))
    ids = sorted(d["id"] for n, d in graph.nodes(data=True) if d["kind"] == "dataset")
    assert ids == sorted(names)
    assert sorted(n for n in graph if n.startswith("dataset:")) == sorted(
        f"dataset:{n}" for n in names
    )


def test_graphml_refuses_two_nodes_that_escaping_would_make_one():
    import pytest

    from policygate.errors import UsageError
    from policygate.graph.export import to_graphml

    with pytest.raises(UsageError, match="would have one id"):
        to_graphml(graph_of(["a\x01", "a\\x01"]))


@settings(max_examples=40, deadline=None)
@given(names=st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=3, unique=True))
def test_every_graphml_export_parses_with_one_node_per_name(names):
    from policygate.errors import UsageError
    from policygate.graph.export import to_graphml

    try:
        text = to_graphml(graph_of(names))
    except UsageError:
        return
    nodes = graphml_nodes(text)
    assert len(nodes) == len(set(nodes))
    assert len([n for n in nodes if n.startswith("dataset:")]) == len(names)


DOT_STRING = r'"((?:[^"\\]|\\.)*)"'


def dot_shows(quoted: str) -> str:
    """What Graphviz shows for the inside of a DOT label: ``\\"`` and ``\\\\``
    unescaped, ``\\n`` a line break, then the HTML entities it decodes."""
    text = re.sub(r"\\(.)", lambda m: "\n" if m[1] == "n" else m[1], quoted)
    return html.unescape(text)


def dot_nodes(text: str) -> dict[str, str]:
    """node id → label of each node statement, read by the grammar of DOT strings."""
    found = {}
    for line in text.splitlines()[3:-1]:
        node = re.fullmatch(rf"  {DOT_STRING} \[label={DOT_STRING}, shape=\w+(, .*)?\];", line)
        edge = re.fullmatch(rf"  {DOT_STRING} -> {DOT_STRING} \[label=\"[a-z_]+\"\];", line)
        assert node or edge, line
        if node:
            found[node[1]] = node[2]
    return found


def test_dot_shows_each_name_as_the_record_writes_it():
    from policygate.graph.export import to_dot

    names = [*SPOOFS, 'a"]; x [URL="javascript:alert(1)"', "b\\", 'c\\"', "d\ne"]
    labels = [v for k, v in dot_nodes(to_dot(graph_of(names))).items() if k.startswith("dataset:")]
    assert sorted(dot_shows(label) for label in labels) == sorted(inert(n) for n in names)


def test_dot_of_a_name_xml_cannot_hold_has_no_such_character():
    from policygate.graph.export import to_dot

    text = to_dot(graph_of(["a\x00b", "a\x00c", "d\x01\ufffe"]))
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", text)
    datasets = [k for k in dot_nodes(text) if k.startswith("dataset:")]
    assert sorted(datasets) == [
        "dataset:a\\\\x00b",
        "dataset:a\\\\x00c",
        "dataset:d\\\\x01\\\\ufffe",
    ]


def test_dot_refuses_two_nodes_that_escaping_would_make_one():
    import pytest

    from policygate.errors import UsageError
    from policygate.graph.export import to_dot

    with pytest.raises(UsageError, match="would have one id"):
        to_dot(graph_of(["a\x01", "a\\x01"]))


BIDI = ["\u202eTFIRD-R", "R-DRIFT\u200b", "R-X\nR-DRIFT"]


def test_a_name_cannot_show_as_another_in_mermaid_or_dot():
    from policygate.graph.export import to_dot, to_mermaid

    risk_graph = graph_of(BIDI)
    shown = [mermaid_shows(label) for label in dataset_labels(to_mermaid(risk_graph))]
    shown += [dot_shows(v) for k, v in dot_nodes(to_dot(risk_graph)).items() if "dataset:" in k]
    assert sorted(shown) == sorted(["\\u202eTFIRD-R", "R-DRIFT\\u200b", "R-X\\x0aR-DRIFT"] * 2)
