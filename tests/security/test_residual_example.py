"""The shipped rule on residual ratings (examples/policies/residual-risk.yaml)
fails closed: a risk of the model that nobody rated is no risk within
appetite (docs/risks-and-controls.md: a rule that bounds the ratings asks for
them too)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from policygate.cli import main

ROOT = Path(__file__).parents[2]
NOW = "2026-11-26T00:00:00Z"
MODEL = ROOT / "examples" / "models" / "credit-default-passes.yaml"
RESIDUAL = ROOT / "examples" / "policies" / "residual-risk.yaml"
REGISTER = """\
apiVersion: policygate/v1
kind: RiskRegister
metadata: {name: half-rated}
spec:
  risks:
    - {id: R-DISCRIMINATION, title: Discrimination, likelihood: rare, impact: minor}
    - {id: R-DRIFT, title: Drift nobody rated}
"""


def check(register: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", str(MODEL), "-p", str(ROOT / "policies"),
                                       "-p", str(RESIDUAL), "--risk-register", str(register),
                                       "--now", NOW, "-f", "json"])  # fmt: skip
    return result.exit_code, result.stdout


def test_an_unrated_risk_fails_the_shipped_residual_rule(tmp_path):
    register = tmp_path / "register.yaml"
    register.write_text(REGISTER, encoding="utf-8")
    code, out = check(register)
    assert code == 1, out
    (model,) = json.loads(out)["models"]
    failed = [
        r for r in model["results"] if r["policy"] == "residual-risk" and r["status"] == "fail"
    ]
    assert failed and all("R-DRIFT" in r["message"] for r in failed), failed


def test_rated_risks_below_critical_pass_it(tmp_path):
    register = tmp_path / "register.yaml"
    register.write_text(
        REGISTER.replace("title: Drift nobody rated", "title: Drift, likelihood: 1, impact: 1"),
        encoding="utf-8",
    )
    code, out = check(register)
    assert code == 0, out


def test_the_shipped_residual_rules_fail_closed_without_a_risk_register():
    # Without a register risks is empty: both rules would pass every model unjudged.
    argv = ["check", str(MODEL), "-p", str(ROOT / "policies"), "-p", str(RESIDUAL),
            "--now", NOW, "-f", "json"]  # fmt: skip
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 1
    (model,) = json.loads(result.stdout)["models"]
    residual = [r for r in model["results"] if r["policy"] == "residual-risk"]
    assert residual and {r["status"] for r in residual} == {"error"}
    assert {r["error_code"] for r in residual} == {"no-risk-register"}
