"""The HTML evidence report: self-contained, escaped, and readable in a real browser.

The browser tests render the page in headless Chromium (Debian's ``chromium``,
which ``.ci/run`` installs) and read what it parsed. They fail, never skip,
when Chromium is missing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree
from lxml import html as lxml_html

from policygate.formats import render
from policygate.formats.svggraph import model_graph
from policygate.report import ModelReport, PolicyUse, Result, Status

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

    first = dom.get_element_by_id("model-0")
    text = visible_text(first)
    assert "credit-limit@2.4.0" in text
    findings = first.xpath(".//h3[.='Findings']/following-sibling::table[1]")[0]
    rows = [cells(tr) for tr in findings.xpath(".//tbody/tr")]
    assert rows[0][:3] == ["fail", "production-promotion/approval.required-roles[0]", "error"]
    assert rows[0][3].startswith("No approved, unexpired approval by role model-risk-officer")
    assert rows[0][5].startswith("Request the approval")
    assert rows[1][:3] == ["waived", "production-promotion/fairness.gap[0]", "error"]
    assert "credit-limit-parity-2026q4 (until 2027-03-31T00:00:00Z" in rows[1][3]

    controls = first.xpath(".//h3[.='Control status']/following-sibling::table[1]")[0]
    statuses = {
        tr.xpath("./td[1]")[0].text_content(): tr.xpath("./td[2]")[0].text_content()
        for tr in controls.xpath(".//tbody/tr")
    }
    assert statuses["eu-ai-act:art-17"] == "violated"
    assert statuses["eu-ai-act:art-10"] == "waived"
    assert statuses["eu-ai-act:art-15"] == "satisfied"

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
    svg = first.xpath(".//*[local-name()='svg']")
    assert len(svg) == 1 and "production-promotion/approval.required-roles" in (
        " ".join(svg[0].xpath(".//*[local-name()='title']/text()"))
    )


def test_chromium_keeps_hostile_text_as_text(hostile_report, chromium, tmp_path):
    dom = rendered_dom(chromium, render(hostile_report, "html"), tmp_path)
    assert dom.xpath("//script") == [] and dom.xpath("//img") == []
    assert dom.xpath("//b") == []  # not even harmless markup from a rule title
    assert '<script>alert("x")</script>' in visible_text(dom)
    assert "Gap <b>title</b>" in [s.get("title") for s in dom.xpath("//span[@title]")]


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


def _svg(model: ModelReport) -> etree._Element:
    return etree.fromstring(model_graph(model).encode("utf-8"))


def test_graph_without_risks_is_model_control_rule():
    results = (
        Result(policy="p", rule="a", status=Status.FAIL, controls=("c:1",)),
        Result(policy="p", rule="b", status=Status.PASS, controls=("c:1", "c:2")),
        Result(policy="p", rule="c", status=Status.PASS),
    )
    from policygate.report import control_statuses

    model = ModelReport("m", "1", "m.yaml", False, (PolicyUse("p", True),), results,
                        control_statuses(results))  # fmt: skip
    svg = _svg(model)
    ns = {"s": "http://www.w3.org/2000/svg"}
    headings = svg.xpath("//s:text[@class='col']/text()", namespaces=ns)
    assert headings == ["Model (1)", "Controls (2)", "Rules (3)"]
    nodes = {
        g.xpath("./s:text/text()", namespaces=ns)[0]: g.get("class")
        for g in svg.xpath("//s:g", namespaces=ns)
    }
    assert nodes == {
        "m@1": "node bad",
        "c:1": "node bad",
        "c:2": "node good",
        "p/a": "node bad",
        "p/b": "node good",
        "p/c": "node good",
    }
    # c:1→p/a, c:1→p/b, c:2→p/b, m→c:1, m→c:2, and m→p/c (a rule with no control)
    assert len(svg.xpath("//s:path", namespaces=ns)) == 6


class _WithRisks(ModelReport):
    """A model report as the risk register work will give it: risks in ``to_dict``."""

    def to_dict(self):
        data = super().to_dict()
        data["risks"] = [{"id": "R-BIAS", "title": "Unfair outcomes", "controls": ["c:1"]}]
        data["controls"].append({"id": "c:9", "status": "unverified", "rules": []})
        return data


def test_graph_draws_risks_when_the_report_has_them():
    results = (Result(policy="p", rule="a", status=Status.FAIL, controls=("c:1",)),)
    from policygate.report import control_statuses

    model = _WithRisks("m", "1", "m.yaml", False, (PolicyUse("p", True),), results,
                       control_statuses(results))  # fmt: skip
    svg = _svg(model)
    ns = {"s": "http://www.w3.org/2000/svg"}
    headings = svg.xpath("//s:text[@class='col']/text()", namespaces=ns)
    assert headings == ["Model (1)", "Risks (1)", "Controls (2)", "Rules (1)"]
    edges = [p.get("class") for p in svg.xpath("//s:path", namespaces=ns)]
    # m→R-BIAS, R-BIAS→c:1, c:1→p/a, and m→c:9 dashed: no risk calls for c:9
    assert sorted(edges) == ["edge bad", "edge bad", "edge bad", "edge warn direct"]
    text = render_html_of(model)
    assert "<h3>Risks</h3>" in text and "Unfair outcomes" in text


def render_html_of(model: ModelReport) -> str:
    from policygate.report import Report

    return render(Report(now="2026-11-26T00:00:00Z", fail_on="error", models=(model,)), "html")
