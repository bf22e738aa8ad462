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
from policygate.graph.build import load_risk_graph
from policygate.models import model_from_data

ROOT = Path(__file__).resolve().parents[2]
REGISTER = ROOT / "examples" / "risk-register.yaml"
NOW = "2026-11-26T00:00:00Z"
BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"


def graph_of(datasets: list[str], name: str = "m"):
    data = {
        "apiVersion": "policygate/v1",
        "kind": "ModelRecord",
        "metadata": {"name": name, "version": "1"},
        "spec": {"risk_tier": "high", "lineage": {"training_data": [{"name": d} for d in datasets]}},
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
    assert shown == sorted(n.translate({ord(c): " " for c in BREAKS}) for n in names)
    assert not any("%%" in label or "'" in label for label in labels)
