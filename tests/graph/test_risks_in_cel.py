"""``risks`` in CEL (SPEC §3, §12): rules read the model's rated risks; they are
evaluated after the other rules, whose evidence gives the ratings, and their
own results feed no rating."""

from __future__ import annotations

import pytest

import policygate
from policygate.errors import PolicygateError
from policygate.explain import explain
from policygate.graph import build_risk_graph, load_risk_registers
from policygate.lint import lint_paths
from policygate.models import model_from_data
from policygate.report import Status

NOW = "2026-11-26T00:00:00Z"

REGISTER = """\
apiVersion: policygate/v1
kind: RiskRegister
metadata: {name: reg}
spec:
  risks:
    - {id: R-BIAS, title: Bias, category: fairness, likelihood: likely, impact: major,
       controls: [eu-ai-act:art-10]}
    - {id: R-DRIFT, title: Drift, likelihood: possible, impact: minor,
       controls: [eu-ai-act:art-72]}
"""

# The rule that reads risks comes first: it is still evaluated after `fair`.
POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: p}
spec:
  rules:
    - id: no-critical
      check: '!risks.exists(r, r.residual == "critical")'
      message: 'critical: {risks.filter(r, r.residual == "critical").map(r, r.id)}'
    - id: fair
      check: model.gap <= 0.1
      controls: [eu-ai-act:art-10]
    - id: monitored
      check: model.monitored
      controls: [eu-ai-act:art-72]
"""


def _setup(write, policy=POLICY, register=REGISTER):
    policies = policygate.load_policies([write("p.yaml", policy)])
    graph = build_risk_graph(load_risk_registers([write("reg.yaml", register)]), policies)
    return policies, graph


def _model(**fields):
    data = {"name": "m", "version": "1", "gap": 0.05, "monitored": True,
            "risks": ["R-BIAS", "R-DRIFT"]}  # fmt: skip
    data.update(fields)
    return model_from_data(data)


def _results(report, rule):
    return [r for r in report.models[0].results if r.rule == rule]


def test_a_rule_reads_the_residual_ratings(write):
    policies, graph = _setup(write)
    passing = policygate.evaluate([_model()], policies, now=NOW, risk_graph=graph)
    assert [r.status for r in _results(passing, "no-critical")] == [Status.PASS]
    failing = policygate.evaluate([_model(gap=0.5)], policies, now=NOW, risk_graph=graph)
    (result,) = _results(failing, "no-critical")
    assert result.status is Status.FAIL
    assert result.message == 'critical: ["R-BIAS"]'


def test_risks_rules_are_reported_in_their_policys_rule_order(write):
    policies, graph = _setup(write)
    report = policygate.evaluate([_model()], policies, now=NOW, risk_graph=graph)
    assert [r.rule for r in report.models[0].results] == ["no-critical", "fair", "monitored"]


def test_the_risks_map_has_ratings_and_control_states(write):
    text = POLICY.replace(
        """'!risks.exists(r, r.residual == "critical")'""",
        """'risks == [{"id": "R-BIAS", "title": "Bias", "category": "fairness",
              "likelihood": "likely", "impact": "major", "inherent": "critical",
              "residual": "critical", "owner": "", "via": ["record"],
              "controls": ["eu-ai-act:art-10"],
              "control_states": {"eu-ai-act:art-10": "violated"}},
             {"id": "R-DRIFT", "title": "Drift", "category": "", "likelihood": "possible",
              "impact": "minor", "inherent": "medium", "residual": "low", "owner": "",
              "via": ["record"], "controls": ["eu-ai-act:art-72"],
              "control_states": {"eu-ai-act:art-72": "satisfied"}}]'""",
    )
    policies, graph = _setup(write, text)
    report = policygate.evaluate([_model(gap=0.5)], policies, now=NOW, risk_graph=graph)
    assert [r.status for r in _results(report, "no-critical")] == [Status.PASS]


def test_a_risks_rules_failure_changes_no_rating(write):
    """The same model with and without the rule that reads risks (and fails): the
    same ratings and control states, and the failing rule is in no control."""
    policies, graph = _setup(write)
    without = policygate.load_policies(
        [write("q.yaml", POLICY.replace("""    - id: no-critical
      check: '!risks.exists(r, r.residual == "critical")'
      message: 'critical: {risks.filter(r, r.residual == "critical").map(r, r.id)}'
""", ""))]  # fmt: skip
    )
    model = _model(gap=0.5)
    one = policygate.evaluate([model], policies, now=NOW, risk_graph=graph).models[0]
    other = policygate.evaluate([model], without, now=NOW, risk_graph=graph).models[0]
    assert [r.status for r in one.results if r.rule == "no-critical"] == [Status.FAIL]
    assert one.risks == other.risks
    assert one.controls == other.controls
    assert all("p/no-critical" not in c.rules for c in one.controls)


def test_without_a_register_a_rule_that_reads_risks_fails_closed(write):
    # risks would be an empty list, and !risks.exists(...) would pass every model unjudged.
    policies = policygate.load_policies([write("p.yaml", POLICY)])
    report = policygate.evaluate([_model()], policies, now=NOW)
    (result,) = _results(report, "no-critical")
    assert result.status is Status.ERROR
    assert result.error_code == "no-risk-register"
    assert "--risk-register" in result.message
    assert not report.passed


def test_without_a_register_a_risks_rule_its_when_leaves_out_stays_skip(write):
    text = POLICY.replace("""'!risks.exists(r, r.residual == "critical")'""",
                          """'!risks.exists(r, r.residual == "critical")'\n      when: 'false'""")
    policies = policygate.load_policies([write("p.yaml", text)])
    report = policygate.evaluate([_model()], policies, now=NOW)
    assert [r.status for r in _results(report, "no-critical")] == [Status.SKIP]


def test_with_a_register_a_model_without_risks_reads_an_empty_list(write):
    text = POLICY.replace(
        """'!risks.exists(r, r.residual == "critical")'""", "'risks == []'"
    )
    policies, graph = _setup(write, policy=text)
    report = policygate.evaluate([_model(risks=[])], policies, now=NOW, risk_graph=graph)
    assert report.models[0].risks == ()
    assert [r.status for r in _results(report, "no-critical")] == [Status.PASS]


def test_a_waiver_covers_a_risks_rule(write):
    from policygate.waivers import load_waivers

    policies, graph = _setup(write)
    waivers = load_waivers(
        [
            write(
                "w.yaml",
                """\
                apiVersion: policygate/v1
                kind: Waiver
                metadata: {name: accept}
                spec:
                  rule: p/no-critical
                  models: [m]
                  justification: accepted by the risk committee
                  approved_by: carol@example.com
                  expires_at: "2027-01-01T00:00:00Z"
                """,
            )
        ]
    )
    report = policygate.evaluate(
        [_model(gap=0.5)], policies, now=NOW, risk_graph=graph, waivers=waivers
    )
    assert [r.status for r in _results(report, "no-critical")] == [Status.WAIVED]


def test_a_policy_whose_applies_to_reads_risks_is_evaluated_after(write):
    text = """\
    apiVersion: policygate/v1
    kind: Policy
    metadata: {name: critical-only}
    spec:
      applies_to: 'risks.exists(r, r.inherent == "critical")'
      rules:
        - id: reviewed
          check: has(model.review)
    """
    evidence = POLICY.split("    - id: no-critical")[0] + POLICY.split("r.id)}'\n")[1]
    policies = policygate.load_policies([write("e.yaml", evidence), write("c.yaml", text)])
    graph = build_risk_graph(load_risk_registers([write("reg.yaml", REGISTER)]), policies)
    report = policygate.evaluate([_model()], policies, now=NOW, risk_graph=graph)
    model = report.models[0]
    uses = [(u.name, u.applicable) for u in model.policies]
    assert uses == [("p", True), ("critical-only", True)]
    assert [r.status for r in _results(report, "reviewed")] == [Status.FAIL]
    drift_only = policygate.evaluate(
        [_model(risks=["R-DRIFT"])], policies, now=NOW, risk_graph=graph
    )
    assert [r.status for r in _results(drift_only, "reviewed")] == [Status.SKIP]


def test_without_a_register_a_policy_whose_applies_to_reads_risks_is_undecided(write):
    # risks.exists(...) would be false: the policy would silently not apply, and the
    # models pass on the other policies.
    text = """\
    apiVersion: policygate/v1
    kind: Policy
    metadata: {name: critical-only}
    spec:
      applies_to: 'risks.exists(r, r.inherent == "critical")'
      rules:
        - id: reviewed
          check: has(model.review)
    """
    evidence = POLICY.split("    - id: no-critical")[0] + POLICY.split("r.id)}'\n")[1]
    policies = policygate.load_policies([write("e.yaml", evidence), write("c.yaml", text)])
    model = policygate.evaluate([_model()], policies, now=NOW).models[0]
    uses = [(u.name, u.applicable) for u in model.policies]
    assert uses == [("p", True), ("critical-only", None)]
    (undecided,) = [r for r in model.results if r.policy == "critical-only"]
    assert (undecided.rule, undecided.status, undecided.error_code) == (
        "applies_to", Status.ERROR, "no-risk-register"
    )
    assert not model.passed


def test_a_policy_schema_is_checked_once_when_rules_read_risks(write):
    (write("schema.json", '{"type": "object", "required": ["gap"]}'))
    text = POLICY.replace("spec:\n", "spec:\n  model_schema: schema.json\n", 1)
    policies, graph = _setup(write, text)
    report = policygate.evaluate([_model()], policies, now=NOW, risk_graph=graph)
    assert [r.rule for r in report.models[0].results] == [
        "schema", "no-critical", "fair", "monitored",
    ]  # fmt: skip


def test_a_rule_reading_risks_may_name_no_control(write):
    text = POLICY.replace(
        """r.id)}'\n""", """r.id)}'\n      controls: [eu-ai-act:art-9]\n""", 1
    )
    path = write("p.yaml", text)
    with pytest.raises(PolicygateError) as caught:
        policygate.load_policies([path])
    assert str(caught.value) == (
        f"{path}:9:17: rule 'no-critical' reads risks and names controls: a rule that "
        "reads the risk ratings gives no evidence for the controls they are rated from; "
        "move the controls to a rule that does not read risks"
    )


def test_a_policy_whose_applies_to_reads_risks_may_have_no_rule_with_controls(write):
    text = POLICY.replace("spec:\n", "spec:\n  applies_to: size(risks) > 0\n", 1)
    path = write("p.yaml", text)
    with pytest.raises(PolicygateError) as caught:
        policygate.load_policies([path])
    assert [str(e) for e in getattr(caught.value, "errors", [caught.value])] == [
        f"{path}:{line}:7: rule {rule!r} is of a policy whose applies_to reads risks and "
        "names controls: a rule that reads the risk ratings gives no evidence for the "
        "controls they are rated from; move the controls to a rule that does not read risks"
        for line, rule in ((10, "fair"), (13, "monitored"))
    ]


def test_a_risk_selector_may_not_read_risks(write):
    text = REGISTER.replace(
        "controls: [eu-ai-act:art-72]}",
        "controls: [eu-ai-act:art-72],\n       applies_to: size(risks) > 0}",
    )
    path = write("reg.yaml", text)
    with pytest.raises(PolicygateError) as caught:
        load_risk_registers([path])
    assert "undeclared variable 'risks'" in str(caught.value)
    assert str(caught.value).startswith(f"{path}:10:25: ")


def test_lint_knows_risks_and_asks_no_controls_of_its_rules(write):
    result = lint_paths([write("p.yaml", POLICY)])
    codes = [p.code for p in result.problems]
    assert "unknown-variable" not in codes and "undeclared-variable" not in codes
    missing = [p.message for p in result.problems if p.code == "missing-controls"]
    assert missing == []
    other = POLICY.replace("      controls: [eu-ai-act:art-10]\n", "")
    missing = [p.message for p in lint_paths([write("o.yaml", other)]).problems
               if p.code == "missing-controls"]  # fmt: skip
    assert missing == ["rule 'fair' names no controls it gives evidence for"]
    broken = lint_paths([write("q.yaml", POLICY.replace("!risks.exists", "!risk.exists"))])
    assert "undeclared variable 'risk'; did you mean 'risks'?" in [
        p.message for p in broken.problems
    ]


def test_explain_shows_what_a_risks_rule_saw(write):
    policies, graph = _setup(write)
    found = explain(_model(gap=0.5), policies, "no-critical", now=NOW, risk_graph=graph)
    assert found.status is Status.FAIL
    (item,) = found.items
    assert item.check.error is None and item.check.value is False
    exists = next(p for p in item.check.parts if p.text.startswith("risks.exists"))
    assert exists.value is True


def test_when_and_for_each_may_read_risks_too(write):
    text = POLICY.replace(
        """      check: '!risks.exists(r, r.residual == "critical")'
      message: 'critical: {risks.filter(r, r.residual == "critical").map(r, r.id)}'
""",
        """      when: size(risks) > 1
      for_each: risks
      check: item.residual != "critical"
      message: '{item.id} is {item.residual}'
""",
    )
    policies, graph = _setup(write, text)
    report = policygate.evaluate([_model(gap=0.5)], policies, now=NOW, risk_graph=graph)
    found = [(r.item, r.status, r.message) for r in _results(report, "no-critical")]
    assert found == [(0, Status.FAIL, "R-BIAS is critical"), (1, Status.PASS, None)]
    one = policygate.evaluate([_model(risks=["R-BIAS"])], policies, now=NOW, risk_graph=graph)
    assert [r.status for r in _results(one, "no-critical")] == [Status.SKIP]
