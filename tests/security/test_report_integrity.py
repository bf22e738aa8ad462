"""A report shows each model's own evidence (SECURITY.md): text a model team
controls cannot make the HTML report draw another model's graph in place of
its own, nor send a link to another model's or risk's section."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from lxml import html as lxml_html

from policygate.cli import main
from policygate.formats.svggraph import Graph, Graphs

ROOT = Path(__file__).parents[2]
NOW = "2026-11-26T00:00:00Z"

# Two bodies whose SHA-256 digests share their first 48 bits (found in about a
# minute by a Pollard rho search): graphs keyed by a truncated digest took the
# second for a repeat of the first and drew the first in its place.
COLLIDING = ("body-2ca407133a86", "body-cbc7c783e060")


def test_two_distinct_graphs_are_both_drawn_even_when_their_digests_collide():
    graphs = Graphs()
    good, bad = Graph(COLLIDING[0], 10, 10), Graph(COLLIDING[1], 10, 10)
    first = graphs.svg([good], "a passing model's risk")
    second = graphs.svg([bad], "a failing model's risk")
    assert COLLIDING[0] in first
    assert COLLIDING[1] in second, second


def test_two_distinct_stacks_are_both_drawn_even_when_their_graphs_collide():
    graphs = Graphs()
    plain = Graph("plain", 10, 10)
    first = graphs.svg([plain, Graph(COLLIDING[0], 10, 10)], "first")
    second = graphs.svg([plain, Graph(COLLIDING[1], 10, 10)], "second")
    assert COLLIDING[0] in first
    assert COLLIDING[1] in second, second


REGISTER = """\
apiVersion: policygate/v1
kind: RiskRegister
metadata: {name: cased}
spec:
  risks:
    - {id: R-DRIFT, title: Drift, likelihood: rare, impact: minor}
    - {id: r-drift, title: Another risk, likelihood: likely, impact: severe}
"""


def test_risks_whose_ids_differ_in_case_get_distinct_anchors(tmp_path):
    """Risk ids are case-sensitive: ``R-DRIFT`` and ``r-drift`` are two risks, and
    each model's link must reach its own row of the register."""
    register = tmp_path / "register.yaml"
    register.write_text(REGISTER, encoding="utf-8")
    model = tmp_path / "model.yaml"
    text = (ROOT / "examples" / "models" / "credit-default-passes.yaml").read_text("utf-8")
    model.write_text(
        text.replace("risks: [R-DISCRIMINATION, R-DRIFT]", "risks: [R-DRIFT, r-drift]"), "utf-8"
    )
    result = CliRunner().invoke(main, ["check", str(model), "-p", str(ROOT / "policies"),
                                       "--risk-register", str(register), "--now", NOW,
                                       "-f", "html"])  # fmt: skip
    assert result.exit_code == 0, result.output
    document = lxml_html.fromstring(result.stdout)
    ids = [e.get("id") for e in document.iter() if e.get("id")]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for risk_id in ("R-DRIFT", "r-drift"):
        (link,) = document.xpath(f'//section[@class="model"]//a[text()="{risk_id}"]')
        (row,) = document.xpath(f'//tr[@id="{link.get("href")[1:]}"]')
        assert row.xpath("string(td[1])") == risk_id
