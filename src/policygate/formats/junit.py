"""JUnit XML, the test report every CI system reads.

One ``<testsuite>`` per model and one ``<testcase>`` per result, inside a
``<testsuites>`` root, valid against the Apache Ant JUnit schema (the one CI
readers follow). Statuses map as JUnit readers expect:

- ``fail``  → ``<failure type="SEVERITY">`` (a warning failure shows too, typed
  ``warning``, even when ``--fail-on error`` lets the gate pass);
- ``error`` → ``<error type="SEVERITY">``: the rule could not be evaluated;
- ``skip``  → ``<skipped>`` with the reason;
- ``waived`` → ``<skipped>`` whose message names the waiver and its expiry;
- ``pass``  → an empty ``<testcase>``.

A run that found no model is one suite ``policygate`` whose one case is an
``<error type="nothing-evaluated">``: an empty report would read as a pass.

Times are ``0``: rules are not timed. The suite timestamp is the report's
``now``, so the same inputs give the same bytes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from ..report import ModelReport, Report, Result, Status
from .inert import inert
from .ordering import result_label
from .text import by_rating, rating_label

# Characters XML 1.0 cannot hold, even escaped; model content is untrusted.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(value: object) -> str:
    """Text for the XML: what a CI system shows of it as inert as the text report
    (a bidi override or a control character from a record is written as its
    escape; line breaks and tabs stay), then what XML cannot hold replaced."""
    return _NOT_XML.sub("\ufffd", inert(value, keep="\n\t"))


def render(report: Report, **_: Any) -> str:
    root = ET.Element("testsuites")
    for index, model in enumerate(report.models):
        root.append(_suite(report, model, index))
    if not report.models:  # an empty report would read as nothing failed
        root.append(_nothing_evaluated(report))
    return document(root)


def _nothing_evaluated(report: Report) -> ET.Element:
    """A run that found no model: one suite whose one case is the error saying so."""
    reason = f"nothing evaluated: {report.nothing_evaluated_reason()}"
    properties = [("passed", "false"), ("now", report.now), ("fail_on", report.fail_on),
                  ("policygate_version", report.version)]  # fmt: skip
    suite = testsuite("policygate", package="policygate", index=0, now=report.now,
                      counts=(1, 0, 1, 0), properties=properties)  # fmt: skip
    case = testcase("policygate/applicability", "policygate")
    ET.SubElement(case, "error", {"type": "nothing-evaluated", "message": reason}).text = reason
    suite.append(case)
    close_suite(suite, f"FAILED {reason}")
    return suite


def document(root: ET.Element) -> str:
    """The XML text of a ``<testsuites>`` root, indented, with its declaration."""
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def testsuite(
    name: str,
    *,
    package: str,
    index: int,
    now: str,
    counts: tuple[int, int, int, int],
    properties: list[tuple[str, str]],
) -> ET.Element:
    """A ``<testsuite>`` with the attributes and ``<properties>`` the Ant schema
    requires; ``counts`` is (tests, failures, errors, skipped), ``now`` RFC 3339.
    Its test cases follow, then :func:`close_suite`."""
    tests, failures, errors, skipped = counts
    suite = ET.Element(
        "testsuite",
        {
            "name": _xml_text(name),
            "package": _xml_text(package),
            "id": str(index),
            "timestamp": _timestamp(now),
            "hostname": "localhost",
            "tests": str(tests),
            "failures": str(failures),
            "errors": str(errors),
            "skipped": str(skipped),
            "time": "0",
        },
    )
    listed = ET.SubElement(suite, "properties")
    for key, value in properties:
        ET.SubElement(listed, "property", {"name": _xml_text(key), "value": _xml_text(value)})
    return suite


def testcase(name: str, classname: str) -> ET.Element:
    return ET.Element("testcase", {"name": _xml_text(name), "classname": _xml_text(classname),
                                   "time": "0"})  # fmt: skip


def close_suite(suite: ET.Element, out: str) -> None:
    """The ``<system-out>`` and ``<system-err>`` the schema puts after the cases."""
    ET.SubElement(suite, "system-out").text = _xml_text(out)
    ET.SubElement(suite, "system-err").text = ""


def _suite(report: Report, model: ModelReport, index: int) -> ET.Element:
    counts = model.counts()
    facts = [
        ("model", model.name),
        ("version", model.version),
        ("source", model.source),
        ("passed", str(model.passed).lower()),
        ("now", report.now),
        ("fail_on", report.fail_on),
        ("policygate_version", report.version),
    ]
    facts += [(f"policy.{p.name}", p.digest) for p in report.policies]
    facts += [(f"control.{c.id}", c.status.value) for c in model.controls]
    if model.risks is not None:  # with a risk register: both ratings of each risk
        facts.append(("rating_scale", ", ".join(report.rating_scale)))
        for risk in model.risks:
            facts.append((f"risk.{risk.id}.inherent", risk.inherent or "unrated"))
            facts.append((f"risk.{risk.id}.residual", risk.residual or "unrated"))
    suite = testsuite(
        model.ref,
        package=f"policygate.{model.name}",
        index=index,
        now=report.now,
        counts=(len(model.results), counts["fail"], counts["error"],
                counts["skip"] + counts["waived"]),  # fmt: skip
        properties=facts,
    )
    for result in model.results:
        suite.append(_case(model, result))
    verdict = "PASSED" if model.passed else "FAILED"
    out = [f"{verdict} {model.ref} ({model.source})"]
    risks = by_rating(model.risks or (), report.rating_scale)
    out += [f"risk {r.id}: {rating_label(r)}" for r in risks]
    close_suite(suite, "\n".join(out))
    return suite


def _case(model: ModelReport, result: Result) -> ET.Element:
    case = testcase(result_label(result), f"{model.ref}.{result.policy}")
    detail = _detail(result)
    if result.status is Status.FAIL:
        element = ET.SubElement(case, "failure", {"type": result.severity})
    elif result.status is Status.ERROR:
        # the error's stable code (no-such-key, budget-exceeded...): what a CI reads
        element = ET.SubElement(case, "error", {"type": result.error_code or result.severity})
    elif result.status in (Status.SKIP, Status.WAIVED):
        element = ET.SubElement(case, "skipped")
    else:
        return case
    element.set("message", _xml_text(_message(result)))
    element.text = _xml_text(detail)
    return case


def _message(result: Result) -> str:
    if result.status is Status.WAIVED and result.waiver is not None:
        w = result.waiver
        return f"waived by {w.name} until {w.expires_at} ({w.approved_by}): {w.justification}"
    return result.message or result.title or result.status.value


def _detail(result: Result) -> str:
    lines = [f"{result.status.value} ({result.severity}): {_message(result)}"]
    if result.title:
        lines.append(f"rule: {result.title}")
    if result.status is Status.WAIVED and result.message:
        lines.append(f"finding: {result.message}")
    if result.controls:
        lines.append(f"controls: {', '.join(result.controls)}")
    if result.remediation and result.status in (Status.FAIL, Status.ERROR):
        lines.append(f"fix: {result.remediation}")
    return "\n".join(lines)


def _timestamp(now: str) -> str:
    """The schema's timestamp has no zone and no fraction: ``2026-11-26T00:00:00``."""
    return now[:19]
