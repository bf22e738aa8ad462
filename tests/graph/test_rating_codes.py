"""The codes of the risk register's and the ratings' load errors: each case its
own (never the generic ``policy-invalid``), registered, and kept through
lint's JSON output."""

from __future__ import annotations

import pytest

import policygate
from policygate.errors import CODES, ErrorGroup, PolicygateError
from policygate.graph import load_risk_registers
from policygate.lint import lint_paths

CUSTOM = """\
apiVersion: policygate/v1
kind: RiskRegister
metadata: {name: reg}
spec:
  matrix:
    likelihood: [low, medium, high]
    impact: [limited, serious, grave]
    ratings: [green, amber, red]
    cells:
      low: [green, green, amber]
      medium: [green, amber, red]
      high: [amber, red, red]
  risks:
    - {id: R-A, title: A, likelihood: high, impact: serious}
    - {id: R-B, title: B, likelihood: 1, impact: grave}
"""

DEFAULT = """\
apiVersion: policygate/v1
kind: RiskRegister
metadata: {name: other}
spec:
  risks:
    - {id: R-X, title: X, likelihood: likely, impact: major}
"""


def _codes(error: PolicygateError) -> list[str]:
    return [e.code for e in (error.errors if isinstance(error, ErrorGroup) else [error])]


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        ("ratings: [green, amber, red]", "ratings: [green, amber, amber]", "risk-matrix-invalid"),
        ("      medium: [green, amber, red]\n", "", "risk-matrix-invalid"),
        ("medium: [green, amber, red]", "medium: [green, amber]", "risk-matrix-invalid"),
        ("high: [amber, red, red]", "high: [amber, red, purple]", "risk-matrix-invalid"),
        ("high: [amber, red, red]", "high: [red, amber, red]", "risk-matrix-invalid"),
        ("low: [green, green, amber]", "low: [green, green, amber]\n      top: [red, red, red]",
         "risk-matrix-invalid"),
        ("likelihood: high, impact", "likelihood: often, impact", "risk-level-unknown"),
        ("impact: grave", "impact: 4", "risk-level-unknown"),
        ("likelihood: high, impact: serious", "likelihood: high", "risk-rating-incomplete"),
    ],
)  # fmt: skip
def test_each_rating_load_error_has_its_own_code(write, old, new, code):
    assert old in CUSTOM
    path = write("reg.yaml", CUSTOM.replace(old, new))
    with pytest.raises(PolicygateError) as caught:
        load_risk_registers([path])
    assert set(_codes(caught.value)) == {code}
    assert code in CODES


def test_custom_levels_without_cells_are_risk_matrix_invalid(write):
    path = write("reg.yaml", CUSTOM.split("    cells:")[0] + "  risks: []\n")
    with pytest.raises(PolicygateError) as caught:
        load_risk_registers([path])
    assert _codes(caught.value) == ["risk-matrix-invalid"]


def test_two_rating_scales_are_rating_scale_mismatch(write):
    with pytest.raises(PolicygateError) as caught:
        load_risk_registers([write("a.yaml", CUSTOM), write("b.yaml", DEFAULT)])
    assert _codes(caught.value) == ["rating-scale-mismatch"]
    assert "rating-scale-mismatch" in CODES


def test_register_document_errors_say_their_case(write):
    duplicate = DEFAULT.replace("R-X", "R-A")
    with pytest.raises(PolicygateError) as caught:
        load_risk_registers([write("a.yaml", CUSTOM), write("b.yaml", duplicate)])
    assert "duplicate-risk-id" in _codes(caught.value)
    policy = "apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: p}\nspec: {rules: []}\n"
    with pytest.raises(PolicygateError) as caught:
        load_risk_registers([write("p.yaml", policy)])
    assert _codes(caught.value) == ["unknown-kind"]


POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: p}
spec:
  rules:
    - id: no-critical
      check: '!risks.exists(r, r.residual == "critical")'
      controls: [eu-ai-act:art-9]
"""


def test_a_risks_rule_naming_controls_is_risks_rule_controls(write):
    with pytest.raises(PolicygateError) as caught:
        policygate.load_policies([write("p.yaml", POLICY)])
    assert _codes(caught.value) == ["risks-rule-controls"]
    text = POLICY.replace("spec:\n", "spec:\n  applies_to: size(risks) > 0\n").replace(
        "'!risks.exists(r, r.residual == \"critical\")'", "model.ok"
    )
    with pytest.raises(PolicygateError) as caught:
        policygate.load_policies([write("q.yaml", text)])
    assert _codes(caught.value) == ["risks-rule-controls"]


def test_lint_reports_risks_rule_controls_with_its_code(write):
    result = lint_paths([write("p.yaml", POLICY)])
    found = [p for p in result.problems if p.error_code == "risks-rule-controls"]
    assert [(p.location.line, p.location.column) for p in found] == [(8, 17)]  # its controls
    assert found[0].to_dict()["error_code"] == "risks-rule-controls"
