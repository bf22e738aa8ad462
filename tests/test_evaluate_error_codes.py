"""An ``error`` result carries a stable code (issue 18, item 3): each code the
report can give is produced here by a real expression on a real record, and it
reaches the JSON report (valid against the shipped schema), SARIF and JUnit.

A law (hypothesis): every ``error`` result has a registered code, and no result
of another status has one."""

from __future__ import annotations

import json
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import policygate
from policygate import Status, evaluate, load_policies
from policygate.audit.runner import AuditConfig, Auditor, _safely, unreadable
from policygate.audit.sources import AuditItem, expand_sources
from policygate.cel.budget import Budget, Meter
from policygate.cel.lang.errors import KIND_CODES
from policygate.errors import CODES, EVALUATION_CODES
from policygate.graph import build_risk_graph, load_risk_registers
from policygate.report import Report, Result
from policygate.validation import shipped_validator

NOW = "2026-11-26T00:00:00Z"
REGISTERED = {*CODES, *EVALUATION_CODES}

RECORD: dict[str, Any] = {
    "metadata": {"name": "m", "version": "1"},
    "spec": {
        "risk_tier": "high",
        "metrics": {"auc": 0.9},
        "evaluations": [{"dataset": "a", "auc": 0.85}],
        "zero": 0,
        "three": 3,
        "two": 2,
        "huge": 1e19,
        "text": "yesterday",
        "pattern": "(",
        "a": "x",
        "b": "x",
        "yes": True,
        "one": 1,
        "tz": "Mars/Olympus",
    },
}


def _policy(directory: Path, rules: list[dict[str, Any]], **spec: Any) -> Path:
    doc = {
        "apiVersion": "policygate/v1",
        "kind": "Policy",
        "metadata": {"name": "p"},
        "spec": {"rules": rules, **spec},
    }
    path = directory / "p.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _results(tmp_path: Path, rules: list[dict[str, Any]], **options: Any) -> list[Result]:
    spec = options.pop("spec", {})
    policies = load_policies([_policy(tmp_path, rules, **spec)])
    report = evaluate(options.pop("record", RECORD), policies, now=NOW, **options)
    return list(report.models[0].results)


def _one_error(tmp_path: Path, rule: dict[str, Any], **options: Any) -> Result:
    errors = [r for r in _results(tmp_path, [rule], **options) if r.status is Status.ERROR]
    assert len(errors) == 1, errors
    return errors[0]


# --------------------------------------------------------------------------- the engine's codes

CHECKS = {
    "no-such-key": "model.spec.metrics.f1 > 0.5",
    "no-matching-overload": "model.spec.risk_tier > 1.0",
    "division-by-zero": "int(model.spec.three) / int(model.spec.zero) > 0",
    "modulus-by-zero": "int(model.spec.three) % int(model.spec.zero) == 0",
    "overflow": "int(model.spec.two) * 9223372036854775807 > 0",
    "range-error": "int(model.spec.huge) > 0",
    "index-out-of-bounds": "model.spec.evaluations[5].auc > 0.5",
    "invalid-argument": "now.getHours(model.spec.tz) > 1",
    "conversion-error": "timestamp(model.spec.text) > now",
    "bad-regex": "model.metadata.name.matches(model.spec.pattern)",
    "repeated-key": "size({model.spec.a: 1, model.spec.b: 2}) > 0",
    "unsupported": "size({model.spec.yes: 1, int(model.spec.one): 2}) > 0",
    "not-a-bool": "model.spec.metrics.auc",
}


@pytest.mark.parametrize(("code", "check"), sorted(CHECKS.items()))
def test_a_check_error_says_its_code(tmp_path: Path, code: str, check: str):
    result = _one_error(tmp_path, {"id": "r", "check": check})
    assert result.error_code == code
    assert result.to_dict()["error_code"] == code


@pytest.mark.parametrize(
    ("expression", "options", "code"),
    [
        ("x > 1", {"declarations": ["x"]}, "unknown-variable"),
        ("nosuch(1)", {"checked": False}, "unbound-function"),
        ("Foo{a: 1} == 1", {"checked": False}, "unsupported"),
    ],
)
def test_what_a_policy_cannot_reach_has_a_code_on_its_own(expression, options, code):
    """Undeclared names and functions are refused when a policy loads; evaluated on
    their own (``policygate eval``, ``cel_evaluate``) they are errors with a code."""
    with pytest.raises(policygate.CELEvaluationError) as raised:
        policygate.cel_evaluate(expression, **options)
    assert raised.value.evaluation_code == code


def test_a_value_too_deep_to_evaluate_is_an_internal_error():
    from policygate.cel import lang

    deep: list[Any] = []
    for _ in range(5_000):
        deep = [deep]
    with pytest.raises(policygate.CELEvaluationError) as raised:
        lang.evaluate("x == y", {"x": deep, "y": [deep]})
    assert raised.value.evaluation_code == "internal-error"


def test_every_engine_kind_has_a_registered_code():
    assert set(KIND_CODES.values()) <= REGISTERED
    engine = Path(policygate.__file__).parent / "cel" / "lang"
    kinds = set()
    for path in engine.glob("*.py"):
        import ast

        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) in ("EvalError", "CELEvaluationError")
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
            ):
                kinds.add(node.args[1].value)
    assert len(kinds) >= 12
    assert kinds <= set(KIND_CODES)


# --------------------------------------------------------------------------- policygate's own


def test_a_when_that_errors_has_its_code(tmp_path: Path):
    result = _one_error(tmp_path, {"id": "r", "when": "model.spec.nope == 1", "check": "true"})
    assert (result.error_code, result.waivable) == ("no-such-key", False)


def test_a_for_each_that_is_no_collection_has_its_code(tmp_path: Path):
    result = _one_error(tmp_path, {"id": "r", "for_each": "model.spec.two", "check": "true"})
    assert result.error_code == "not-a-collection"


def test_an_unevaluable_applies_to_has_its_code(tmp_path: Path):
    rule = {"id": "r", "check": "true"}
    results = _results(tmp_path, [rule], spec={"applies_to": "model.spec.nope == 1"})
    assert [(r.rule, r.status, r.error_code) for r in results if r.status is Status.ERROR] == [
        ("applies_to", Status.ERROR, "no-such-key")
    ]


def test_a_model_nothing_applies_to_is_nothing_evaluated(tmp_path: Path):
    result = _one_error(tmp_path, {"id": "r", "when": "false", "check": "true"})
    assert result.error_code == "nothing-evaluated"


def test_the_cost_budget_is_budget_exceeded(tmp_path: Path):
    check = "[1, 2, 3, 4, 5, 6, 7, 8].all(x, [1, 2, 3, 4, 5, 6, 7, 8].all(y, x * y > 0))"
    result = _one_error(tmp_path, {"id": "r", "check": check}, budget=Budget(cost=20))
    assert result.error_code == "budget-exceeded"


class _LateBudget(Budget):
    """A budget whose meters' clock moves ten seconds a reading: past the deadline at
    once, whatever the machine's speed (no wall-clock test)."""

    def meter(self, clock: Any = None) -> Meter:
        ticks = count(step=10.0)
        return Meter(self, lambda: next(ticks))


def test_the_deadline_is_deadline_exceeded(tmp_path: Path):
    """The time is up before the rule's evaluation starts: its error is the
    deadline's, not the missing key it would have met."""
    result = _one_error(tmp_path, {"id": "r", "check": "model.spec.nope > 1.0"},
                        budget=_LateBudget(seconds=5.0))  # fmt: skip
    assert result.error_code == "deadline-exceeded"


class _TurningLate(Budget):
    """A budget whose meters' clock says 0 for ``readings`` readings (the first sets
    the deadline, 5 s later), then 100 s."""

    readings = 0

    def meter(self, clock: Any = None) -> Meter:
        ticks, late = count(), self.readings
        return Meter(self, lambda: 0.0 if next(ticks) < late else 100.0)


@settings(max_examples=20, deadline=None)
@given(readings=st.integers(1, 12))
def test_a_for_each_cut_short_by_the_deadline_is_deadline_exceeded(tmp_path_factory, readings):
    """Whenever the time runs out (before the list, inside an element, between
    two), every error result of the rule says deadline-exceeded, but for the one
    element with no ``v`` when it is reached in time."""
    budget = _TurningLate(seconds=5.0)
    object.__setattr__(budget, "readings", readings)
    rule = {"id": "r", "for_each": "model.spec.xs", "check": "item.v > 0.5"}
    elements = [{"v": 1.0}, {"v": 1.0}, {"w": 1.0}, {"v": 1.0}, {"v": 1.0}]
    record = {**RECORD, "spec": {**RECORD["spec"], "xs": elements}}
    results = _results(tmp_path_factory.mktemp("late"), [rule], record=record, budget=budget)
    errors = [(r.item, r.error_code) for r in results if r.status is Status.ERROR]
    assert errors
    assert all(code == "deadline-exceeded" or (item, code) == (2, "no-such-key")
               for item, code in errors), errors  # fmt: skip
    if readings == 1:  # late from the first reading after the meter's start
        assert errors == [(None, "deadline-exceeded")]


def test_an_unknown_risk_is_unknown_risk(tmp_path: Path):
    register = tmp_path / "reg.yaml"
    register.write_text(
        "apiVersion: policygate/v1\nkind: RiskRegister\nmetadata: {name: reg}\n"
        "spec:\n  risks:\n    - {id: R-1, title: one}\n",
        encoding="utf-8",
    )
    policies = load_policies([_policy(tmp_path, [{"id": "r", "check": "true"}])])
    graph = build_risk_graph(load_risk_registers([register]), policies)
    record = {**RECORD, "spec": {**RECORD["spec"], "risks": ["R-NOPE"]}}
    report = evaluate(record, policies, now=NOW, risk_graph=graph)
    errors = [r for r in report.models[0].results if r.status is Status.ERROR]
    assert [(r.rule, r.error_code) for r in errors] == [("risks.declared", "unknown-risk")]


def test_a_waived_error_has_no_code_and_an_expired_waiver_keeps_it(tmp_path: Path):
    import datetime as dt

    from policygate import Waiver

    def waiver(expires: str) -> Waiver:
        return Waiver(name="w", rule="p/r", models=("m",), justification="known",
                      approved_by="carol@example.com", source="w.yaml",
                      expires_at=dt.datetime.fromisoformat(expires))  # fmt: skip

    rules = [{"id": "r", "check": "model.spec.nope > 1"}, {"id": "ok", "check": "true"}]
    waived, _ = _results(tmp_path, rules, waivers=[waiver("2027-01-01T00:00:00+00:00")])
    assert (waived.status, waived.error_code) == (Status.WAIVED, None)
    assert "error_code" not in waived.to_dict()
    expired, _ = _results(tmp_path, rules, waivers=[waiver("2026-01-01T00:00:00+00:00")])
    assert (expired.status, expired.error_code) == (Status.ERROR, "no-such-key")


# --------------------------------------------------------------------------- audit sources


def test_an_unreadable_audit_source_has_its_load_errors_code(tmp_path: Path):
    policy = _policy(tmp_path, [{"id": "r", "check": "true"}])
    auditor = Auditor(AuditConfig(policies=(str(policy),), now=NOW))
    (report,) = auditor.evaluate(AuditItem(str(tmp_path / "absent.yaml")))
    assert [r.error_code for r in report.results] == ["file-not-found"]
    (item,) = expand_sources([str(tmp_path / "no-such-dir") + "/"])
    (report,) = auditor.evaluate(item)
    assert report.results[0].error_code == item.error_code
    assert item.error_code in CODES and item.error_code != "load-error"


def test_an_audit_that_fails_inside_is_an_internal_error(tmp_path: Path):
    class Broken(Auditor):
        def __init__(self) -> None:
            pass

        def evaluate(self, item: AuditItem) -> list[Any]:
            raise RuntimeError("boom")

    (report,) = _safely(Broken(), AuditItem("x.yaml"))
    assert report.results[0].error_code == "internal-error"
    assert unreadable("x", "m").results[0].error_code == "load-error"


# --------------------------------------------------------------------------- the formats


def _report(tmp_path: Path) -> Report:
    rules = [
        {"id": "missing", "check": "model.spec.metrics.f1 > 0.5"},
        {"id": "fails", "check": "false"},
        {"id": "passes", "check": "true"},
    ]
    policies = load_policies([_policy(tmp_path, rules)])
    return evaluate(RECORD, policies, now=NOW)


def test_the_json_report_carries_the_code_and_validates(tmp_path: Path):
    data = json.loads(_report(tmp_path).to_json())
    shipped_validator("Report").validate(data)
    by_rule = {r["rule"]: r for r in data["models"][0]["results"]}
    assert by_rule["missing"]["error_code"] == "no-such-key"
    assert "error_code" not in by_rule["fails"] and "error_code" not in by_rule["passes"]


def test_the_schema_wants_the_code_exactly_on_an_error(tmp_path: Path):
    import jsonschema

    data = json.loads(_report(tmp_path).to_json())
    results = data["models"][0]["results"]
    validator = shipped_validator("Report")
    del results[0]["error_code"]
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(data)
    results[0]["error_code"] = "no-such-key"
    results[1]["error_code"] = "no-such-key"  # on a fail
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(data)


SCHEMAS = Path(__file__).parent / "data" / "schemas"  # the official SARIF and JUnit schemas


def test_sarif_gives_the_code_as_a_result_property(tmp_path: Path):
    from jsonschema import Draft4Validator

    from policygate.formats import renderer

    sarif = json.loads(renderer("sarif")(_report(tmp_path)))
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    Draft4Validator(schema).validate(sarif)
    properties = {r["ruleId"]: r["properties"] for r in sarif["runs"][0]["results"]}
    assert properties["p/missing"]["errorCode"] == "no-such-key"
    assert "errorCode" not in properties["p/fails"]


def test_junit_gives_the_code_as_the_error_type(tmp_path: Path):
    import xml.etree.ElementTree as ET

    from lxml import etree

    from policygate.formats import renderer

    text = renderer("junit")(_report(tmp_path))
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "junit.xsd")))
    assert schema.validate(etree.fromstring(text.encode("utf-8"))), schema.error_log
    root = ET.fromstring(text)
    assert [e.get("type") for e in root.iter("error")] == ["no-such-key"]
    assert [f.get("type") for f in root.iter("failure")] == ["error"]  # a severity, as before


def test_serve_answers_with_the_json_reports_code(tmp_path: Path):
    from policygate.serve import ServeSettings, build_app

    policy = tmp_path / "gate.yaml"
    policy.write_text(
        "apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: gate}\n"
        "spec:\n  rules:\n    - {id: auc, check: 'model.auc >= 0.8'}\n",
        encoding="utf-8",
    )
    service = build_app(ServeSettings(policies=(str(policy),)))
    answer = service.check(service.served.current, b'{"models": [{"name": "m"}]}')
    assert answer.status == 200, answer.body
    data = json.loads(answer.body)
    shipped_validator("Report").validate(data)
    (result,) = data["models"][0]["results"]
    assert (result["status"], result["error_code"]) == ("error", "no-such-key")


def test_text_and_markdown_do_not_show_the_code(tmp_path: Path):
    from policygate.formats import renderer

    report = _report(tmp_path)
    for fmt in ("text", "markdown"):
        assert "no-such-key" not in renderer(fmt)(report), fmt


# --------------------------------------------------------------------------- the law

_ANY_CODE = st.none() | st.sampled_from(sorted(REGISTERED))


@settings(max_examples=200, deadline=None)
@given(status=st.sampled_from(list(Status)), code=_ANY_CODE)
def test_only_an_error_has_a_code_and_every_error_has_a_registered_one(status, code):
    result = Result(policy="p", rule="r", status=status, error_code=code)
    if status is Status.ERROR:
        assert result.error_code in REGISTERED
        assert result.to_dict()["error_code"] == result.error_code
    else:
        assert result.error_code is None and "error_code" not in result.to_dict()


_PIECES = st.sampled_from(sorted(CHECKS.values()) + ["true", "false", "model.spec.two > 1.0"])


@settings(max_examples=40, deadline=None)
@given(checks=st.lists(_PIECES, min_size=1, max_size=4), when=st.sampled_from([None, "true",
       "false", "model.spec.nope"]))  # fmt: skip
def test_every_error_result_of_an_evaluation_has_a_registered_code(tmp_path_factory, checks, when):
    directory = tmp_path_factory.mktemp("law")
    rules = [
        {"id": f"r{n}", "check": check, **({"when": when} if when is not None else {})}
        for n, check in enumerate(checks)
    ]
    for result in _results(directory, rules):
        if result.status is Status.ERROR:
            assert result.error_code in REGISTERED, result
        else:
            assert result.error_code is None, result
