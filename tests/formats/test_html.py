"""The HTML evidence report: self-contained, escaped, and readable in a real browser.

The browser tests render the page in headless Chromium (Debian's ``chromium``,
which ``.ci/run`` installs) and read what it parsed. They fail, never skip,
when Chromium is missing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html import escape
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from lxml import html as lxml_html

from hostile_text import hostile_text
from policygate.formats import render
from policygate.formats.html import breakable_id, model_anchors
from policygate.formats.inert import inert
from policygate.formats.svggraph import Graphs, Node, evidence_graph
from policygate.report import (
    ModelReport,
    PolicyUse,
    Report,
    Result,
    Status,
    control_statuses,
)

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail(
            "headless Chromium is needed for the HTML report tests and is not installed: "
            "`apt-get install -y chromium` (.ci/run does this)"
        )
    return path


def browse(chromium: str, page: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    command = [chromium, *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


def rendered_dom(chromium: str, text: str, tmp_path: Path) -> lxml_html.HtmlElement:
    page = tmp_path / "report.html"
    page.write_text(text, encoding="utf-8")
    dom = browse(chromium, page, tmp_path, "--dump-dom").stdout
    assert dom.strip(), "Chromium printed no DOM"
    return lxml_html.fromstring(dom)


def visible_text(element: lxml_html.HtmlElement) -> str:
    return re.sub(r"\s+", " ", element.text_content())


def cells(row: lxml_html.HtmlElement) -> list[str]:
    return [visible_text(td).strip() for td in row.xpath("./td")]


def test_chromium_shows_verdict_failing_rules_and_control_statuses(
    example_report, chromium, tmp_path
):
    dom = rendered_dom(chromium, render(example_report, "html"), tmp_path)
    verdict = visible_text(dom.get_element_by_id("verdict"))
    assert "Gate FAILED" in verdict and "2 of 4 models failed" in verdict
    assert "Exit code 1" in verdict

    first = dom.get_element_by_id("model-credit-limit-2.4.0")
    text = visible_text(first)
    assert "credit-limit@2.4.0" in text
    findings = first.xpath(".//h3[.='Findings']/following-sibling::table[1]")[0]
    rows = [cells(tr) for tr in findings.xpath(".//tbody/tr")]
    assert rows[0][:3] == ["fail", "production-promotion/approval.required-roles[0]", "error"]
    assert rows[0][3].startswith("No approved, unexpired approval by role model-risk-officer")
    assert rows[0][4].startswith("Request the approval")
    assert rows[1][:3] == ["waived", "production-promotion/fairness.gap[0]", "error"]
    assert "credit-limit-parity-2026q4 (until 2027-03-31T00:00:00Z" in rows[1][3]

    controls = first.xpath(".//h3[.='Control status']/following-sibling::table[1]")[0]
    statuses = {
        tr.xpath("./td[1]")[0].text_content(): tr.xpath("./td[2]")[0].text_content()
        for tr in controls.xpath(".//tbody/tr")
    }
    assert statuses["eu-ai-act:art-17"] == "violated"
    assert statuses["eu-ai-act:art-10"] == "waived"
    (satisfied,) = first.xpath(".//p[@class='sat']")
    assert "art-15" in visible_text(satisfied).split("eu-ai-act: ")[1].split(";")[0].split(", ")

    facts = dom.get_element_by_id("run")
    terms = [visible_text(e) for e in facts.xpath(".//dt")]
    values = [visible_text(e) for e in facts.xpath(".//dd")]
    assert dict(zip(terms, values, strict=True))["Evaluated as of (now)"] == "2026-11-26T00:00:00Z"
    page = visible_text(dom)
    for policy in example_report.policies:
        assert policy.digest in page
    (waiver,) = [cells(tr) for tr in dom.get_element_by_id("waivers").xpath(".//tbody/tr")]
    assert waiver[:4] == [
        "credit-limit-parity-2026q4", "active", "2027-03-31T00:00:00Z", "carol.haddad@example.com"
    ]  # fmt: skip
    # Without a risk register: a graph per framework of the controls not satisfied.
    svg = first.xpath(".//*[local-name()='svg']")
    assert len(svg) == 1
    titles = " ".join(svg[0].xpath(".//*[local-name()='title']/text()"))
    assert "production-promotion/approval.required-roles: fail" in titles
    assert "eu-ai-act:art-15" not in titles  # satisfied: in the table, not the graph


def test_chromium_keeps_hostile_text_as_text(hostile_report, chromium, tmp_path):
    dom = rendered_dom(chromium, render(hostile_report, "html"), tmp_path)
    assert dom.xpath("//script") == [] and dom.xpath("//img") == []
    assert dom.xpath("//b") == []  # not even harmless markup from a rule title
    assert '<script>alert("x")</script>' in visible_text(dom)
    rules = dom.get_element_by_id("rules")
    assert "Gap <b>title</b>" in [cells(tr)[1] for tr in rules.xpath(".//tbody/tr")]
    # The model's name makes no markup anywhere: its link, its section, its graph's label.
    # Its control and bidirectional characters read as escapes (\x00, \u202e: nothing
    # reorders the page); whitespace collapses as visible_text does
    ref = re.sub(r"\s+", " ", inert(hostile_report.models[0].ref, keep="\t\n\r"))
    assert "\x1b" not in visible_text(dom) and "\\x1b[31m" in visible_text(dom)
    (link,) = dom.get_element_by_id("models").xpath(".//tbody/tr/td[1]/a")
    assert visible_text(link) == ref
    anchor = link.get("href")[1:]
    assert re.fullmatch(r"model-[a-z0-9._-]+", anchor)
    section = dom.get_element_by_id(anchor)
    assert ref in visible_text(section.xpath("./h2")[0])
    (svg,) = section.xpath(".//*[local-name()='svg']")
    assert '<script>alert("x")</script>' in svg.get("aria-label")  # an attribute value
    assert svg.xpath(".//*[local-name()='script' or local-name()='foreignObject']") == []


def test_screenshot(example_report, chromium, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(render(example_report, "html"), encoding="utf-8")
    shot = tmp_path / "report.png"
    browse(chromium, page, tmp_path, f"--screenshot={shot}", "--window-size=1300,1600")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1300, 1600)
    assert len(data) > 50_000, "a page of tables and a graph makes a PNG of some size"


def test_self_contained_nothing_to_fetch(example_report):
    text = render(example_report, "html")
    document = lxml_html.fromstring(text)
    assert document.xpath("//script|//link|//img|//iframe|//object|//embed") == []
    for element in document.iter():
        for name in ("src", "href"):
            value = element.get(name)
            assert value is None or value.startswith("#"), (element.tag, value)
    assert "url(" not in text and "@import" not in text
    csp = document.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
    assert csp == ["default-src 'none'; style-src 'unsafe-inline'; img-src data:"]


def test_same_report_same_bytes(example_report):
    assert render(example_report, "html") == render(example_report, "html")


_APPLIES = (PolicyUse("p", True),)


def _results_model(*results: Result, policies=_APPLIES):
    return ModelReport("m", "1", "m.yaml", False, policies, results, control_statuses(results))


def _page(*models: ModelReport, **report) -> lxml_html.HtmlElement:
    text = render(Report(now="2026-11-26T00:00:00Z", fail_on="error", models=models, **report),
                  "html")  # fmt: skip
    return lxml_html.fromstring(text)


def test_evidence_lists_only_rules_of_policies_that_apply():
    """Issue 19: the evidence of a control named the rules of a policy that does
    not apply to the model (skipped), as if they were evidence about it."""
    results = (
        Result(policy="applies", rule="gap", status=Status.FAIL, controls=("c:1",)),
        Result(policy="applies", rule="ok", status=Status.PASS, controls=("c:1",)),
        Result(policy="elsewhere", rule="gap", status=Status.SKIP, controls=("c:1",)),
    )
    model = _results_model(
        *results, policies=(PolicyUse("applies", True), PolicyUse("elsewhere", False))
    )
    (row,) = _page(model).xpath("//section[@class='model']//table[@class='ctl']/tbody/tr")
    control, status, evidence = cells(row)
    assert (control, status) == ("c:1", "violated")
    assert evidence == "applies/ gap, ok"
    assert row.xpath("./td[3]/strong/text()") == ["gap"]  # the rule that did not pass, marked


def test_rules_of_an_undecided_policy_stay_evidence():
    """A policy whose applies_to could not be evaluated may apply: its rules (an
    error) stay in the evidence, fail closed."""
    results = (Result(policy="p", rule="r", status=Status.ERROR, controls=("c:1",)),)
    model = _results_model(*results, policies=(PolicyUse("p", None),))
    (row,) = _page(model).xpath("//table[@class='ctl']/tbody/tr")
    assert cells(row) == ["c:1", "violated", "p/ r"]


def test_no_mid_word_breaks():
    """Issue 19: ``overflow-wrap: anywhere`` broke rule and control ids mid-word."""
    from policygate.formats.html import _CSS

    assert "break-all" not in _CSS
    # only a name too long for 40em (hostile) may break anywhere, in the models' table
    (rule,) = [r for r in _CSS.split("}") if "anywhere" in r]
    assert rule.split("{")[0].strip().endswith("table.ovr td:first-child a")
    assert "max-width: 40em" in rule
    assert breakable_id("production-promotion/approval.required-roles[0]") == (
        "production-promotion/<wbr/>approval.required-roles[0]"
    )
    assert breakable_id("nist-ai-rmf:MEASURE-2") == "nist-ai-rmf:<wbr/>MEASURE-2"


@given(st.text(max_size=40))
def test_an_id_breaks_only_after_a_separator(text):
    marked = breakable_id(text)
    assert marked.replace("<wbr/>", "") == escape(inert(text, keep="\t\n\r"), quote=True)
    pieces = marked.split("<wbr/>")
    assert all(piece.endswith(("/", ":")) for piece in pieces[:-1])


@given(st.lists(st.tuples(hostile_text(max_size=12), st.text(max_size=6)), max_size=12))
def test_model_anchors_are_safe_and_unique(refs):
    models = [ModelReport(n, v, "m.yaml", True, (), ()) for n, v in refs]
    anchors = model_anchors(models)
    assert len(set(anchors)) == len(anchors) == len(models)
    assert all(re.fullmatch(r"model-[a-z0-9._-]+", a) for a in anchors)


def test_graph_per_group_rules_follow_their_controls():
    controls = [Node("c:1", "violated"), Node("c:2", "satisfied")]
    evidence = {
        "c:1": [Node("p/a", "fail"), Node("p/b", "pass")],
        "c:2": [Node("p/b", "pass"), Node("p/c", "pass")],
    }
    graph = evidence_graph(Node("R-1", "violated"), "Risk", controls, evidence)
    svg = etree.fromstring(f'<svg xmlns="http://www.w3.org/2000/svg">{graph.body}</svg>')
    ns = {"s": "http://www.w3.org/2000/svg"}
    headings = svg.xpath("//s:text[@class='col']/text()", namespaces=ns)
    assert headings == ["Risk (1)", "Controls (2)", "Rules giving evidence (3)"]
    nodes = [
        (g.xpath("./s:text/text()", namespaces=ns)[0], g.get("class"))
        for g in svg.xpath("//s:g", namespaces=ns)
    ]
    # p/b, shared by both controls, sits between the rules of c:1 and of c:2
    assert nodes == [("R-1", "node bad"), ("c:1", "node bad"), ("c:2", "node good"),
                     ("p/a", "node bad"), ("p/b", "node good"), ("p/c", "node good")]  # fmt: skip
    # R-1→c:1, c:1→p/a, c:1→p/b, R-1→c:2, c:2→p/b, c:2→p/c: no edge from the root to a rule
    edges = [p.get("class") for p in svg.xpath("//s:path", namespaces=ns)]
    assert edges == ["edge bad", "edge bad", "edge good", "edge good", "edge good", "edge good"]


def test_a_graph_drawn_again_is_a_use_of_the_first():
    one = evidence_graph(Node("R-1", "satisfied"), "Risk", [Node("c:1", "satisfied")], {})
    two = evidence_graph(Node("R-2", "violated"), "Risk", [Node("c:2", "violated")], {})
    graphs = Graphs()
    first = graphs.svg([one, two], "first")
    again = graphs.svg([one, two], "again")
    other = graphs.svg([two], "other")
    assert first.count('id="g-') == 2 and "<use" not in first
    (stack,) = re.findall(r'<g id="(s-[0-9a-f]+)">', first)
    assert re.search(rf'<use href="#{stack}"/></svg>$', again) and "R-1" not in again
    drawn = re.findall(r'<g id="(g-[0-9a-f]+)">', first)[1]  # two's, second in the stack
    assert f'<use href="#{drawn}" y="0"/>' in other and "R-2" not in other


def test_every_fragment_link_and_use_reaches_an_element_drawn_before_it(example_report):
    text = render(example_report, "html")
    document = lxml_html.fromstring(text)
    ids = [e.get("id") for e in document.iter() if e.get("id")]
    assert len(ids) == len(set(ids))
    for element in document.iter():
        href = element.get("href")
        if href is not None:
            assert href[1:] in ids, href
    for match in re.finditer(r'<use href="#([^"]+)"', text):
        assert f'id="{match.group(1)}"' in text[: match.start()]


def test_a_model_no_risk_applies_to_is_said_so_not_unrated():
    from dataclasses import replace

    model = replace(_results_model(Result(policy="p", rule="r", status=Status.PASS)), risks=())
    page = _page(model, risk_registers=(), rating_scale=("low", "high"))
    (row,) = page.get_element_by_id("models").xpath(".//tbody/tr")
    assert cells(row)[2] == "no risk"
    assert "No risk of the register applies" in visible_text(
        page.xpath("//section[@class='model']")[0]
    )


def page_width(chromium: str, text: str, tmp_path: Path, window: int) -> int:
    """How wide the page lays out in a ``window``-pixel-wide Chromium. Measured on a
    copy with a script that writes ``scrollWidth`` into the DOM (the report itself
    runs no script: its CSP would refuse this one, so the copy drops the CSP)."""
    probe = (
        "<script>addEventListener('load', () => document.body.setAttribute("
        "'data-width', document.documentElement.scrollWidth))</script></head>"
    )
    copy = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text, count=1)
    page = tmp_path / "measured.html"
    page.write_text(copy.replace("</head>", probe, 1), encoding="utf-8")
    dom = browse(chromium, page, tmp_path, "--dump-dom", f"--window-size={window},1000").stdout
    return int(lxml_html.fromstring(dom).xpath("//body/@data-width")[0])


def test_chromium_lays_the_report_out_within_the_window(example_report, chromium, tmp_path):
    """The evidence column of a report without a risk register was kept on one
    line (a rule meant for the risk register's "called for by" column), and ran
    off the page."""
    assert page_width(chromium, render(example_report, "html"), tmp_path, 1400) <= 1400


def test_chromium_keeps_a_long_unbroken_model_name_within_the_window(chromium, tmp_path):
    name = "model-" + "x" * 400  # no separator to break after: only there may it break
    model = ModelReport(name, "1", "m.yaml", True, _APPLIES, (Result("p", "r", Status.PASS),))
    text = render(Report(now="2026-11-26T00:00:00Z", fail_on="error", models=(model,)), "html")
    assert page_width(chromium, text, tmp_path, 1400) <= 1400


@given(hostile_text(max_size=20))
def test_no_control_or_bidirectional_character_reaches_the_page(name):
    """A model name holding U+202E reordered what the page showed after it, and a
    control character is an HTML parse error: each is written as its escape."""
    from policygate.formats.inert import _UNSAFE

    model = ModelReport(name or "m", "1", "m.yaml", False, (), ())
    page = render(Report(now="2026-11-26T00:00:00Z", fail_on="error", models=(model,)), "html")
    assert _UNSAFE.search(page.replace("\n", "").replace("\t", "").replace("\r", "")) is None
