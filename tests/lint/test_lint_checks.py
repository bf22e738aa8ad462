"""lint runs one module per check code (issue 18, item 2), over the same parse step
the loader uses: the registry is exhaustive and documented, each module reports
only its own codes, and a load error keeps its own code in lint's data."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from pathlib import Path

import pytest

import policygate
import policygate.policy
from policygate.errors import CODES
from policygate.lint import CHECKS, lint_paths, render
from policygate.lint import checks as checks_package
from policygate.lint.checks import LOAD_ERRORS, MODULES

AUTHORING = Path(policygate.__file__).parents[2] / "docs" / "authoring.md"


def _documented_codes() -> list[str]:
    text = AUTHORING.read_text(encoding="utf-8")
    table = text.split("### The checks", 1)[1].split("\n\n", 2)[1]
    return re.findall(r"^\| `([a-z-]+)` \|", table, re.MULTILINE)


def test_every_module_of_the_package_is_registered():
    found = {
        info.name for info in pkgutil.iter_modules(checks_package.__path__)
    }
    assert found == {module.__name__.rsplit(".", 1)[1] for module in MODULES}
    for module in MODULES:
        assert module.CHECKS, module.__name__
        assert callable(module.run), module.__name__


def test_each_code_has_one_module_and_every_code_is_documented():
    owners: dict[str, str] = {}
    for module in MODULES:
        for check in module.CHECKS:
            assert check.code not in owners, (check.code, owners.get(check.code))
            owners[check.code] = module.__name__
    documented = _documented_codes()
    assert len(documented) == len(set(documented))
    assert sorted(documented) == sorted(owners) == sorted(CHECKS)


def test_a_module_is_named_after_its_code_or_its_family():
    for module in MODULES:
        name = module.__name__.rsplit(".", 1)[1].replace("_", "-")
        codes = [check.code for check in module.CHECKS]
        assert name in codes or len(codes) > 1, (name, codes)


def test_the_load_errors_a_module_claims_are_error_codes_it_reports():
    for module in MODULES:
        own = {check.code for check in module.CHECKS}
        for error_code, lint_code in getattr(module, "LOAD_ERRORS", {}).items():
            assert error_code in CODES, error_code
            assert lint_code is None or lint_code in own, (module.__name__, lint_code)
    assert LOAD_ERRORS["extends-cycle"] == "extends"
    assert LOAD_ERRORS["unknown-function"] is None  # its check says it with a did-you-mean


def test_each_module_reports_only_its_own_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run lint with one module at a time: what it finds is all of its own codes."""
    (tmp_path / "p.yaml").write_text(BROKEN, encoding="utf-8")
    everything = lint_paths([tmp_path / "p.yaml"]).problems
    linter = importlib.import_module("policygate.lint.linter")
    by_module = []
    for module in MODULES:
        monkeypatch.setattr(linter, "MODULES", (module,))
        problems = lint_paths([tmp_path / "p.yaml"]).problems
        assert {p.code for p in problems} <= {c.code for c in module.CHECKS}, module.__name__
        by_module.extend(problems)
    assert sorted(by_module, key=lambda p: p.sort_key()) == list(everything)
    assert len({p.code for p in everything}) >= 8


BROKEN = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: broken}
spec:
  extends: [missing.yaml]
  params: {min_auc: 0.8}
  rules:
    - id: a
      check: 'model.spec.metrics.auc >= params.min_acc && nosuch(1)'
      controls: [eu-ai-act:art-99]
    - id: a
      check: 'true'
      remediation: Fix it.
    - id: c
      when: 'modle.x > 1'
      check: 'model.spec.metrics.auc * 100 > 1.0 && model.spec.metricz.x > 0.0'
      message: 'x {model.}'
"""


def test_a_load_error_keeps_its_code_in_json_and_sarif(tmp_path: Path):
    (tmp_path / "p.yaml").write_text(BROKEN, encoding="utf-8")
    result = lint_paths([tmp_path / "p.yaml"])
    problems = json.loads(render(result, "json"))["problems"]
    extends = next(p for p in problems if p["code"] == "extends")
    assert extends["error_code"] == "extends-unreadable"
    duplicate = next(p for p in problems if p["code"] == "duplicate-id")
    assert duplicate["error_code"] == "duplicate-rule-id"
    found = {p["code"]: p.get("error_code") for p in problems}
    assert found["unknown-variable"] == "undeclared-variable"
    assert found["message-syntax"] == "message-syntax"
    assert "error_code" not in next(p for p in problems if p["code"] == "unknown-param")
    results = json.loads(render(result, "sarif"))["runs"][0]["results"]
    codes = {r["ruleId"]: r.get("properties", {}).get("errorCode") for r in results}
    assert codes["extends"] == "extends-unreadable"
    assert codes["unknown-param"] is None


def test_lint_and_the_loader_share_one_parse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Each document is parsed once per lint run, and its compile reads that parse."""
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "a.yaml").write_text(CHILD.format(name="a"), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(CHILD.format(name="b"), encoding="utf-8")
    parsed: list[str] = []
    original = policygate.policy.parse

    def counting(document):  # type: ignore[no-untyped-def]
        parsed.append(Path(document.source).name)
        return original(document)

    monkeypatch.setattr(policygate.policy, "parse", counting)
    result = lint_paths([tmp_path / "a.yaml", tmp_path / "b.yaml"])
    assert result.policies == 3
    assert sorted(parsed) == ["a.yaml", "b.yaml", "base.yaml"]


BASE = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: base}
spec:
  abstract: true
  params: {min_auc: 0.8}
  rules:
    - id: auc
      check: 'model.spec.metrics.auc >= params.min_auc'
      controls: [eu-ai-act:art-15]
      remediation: Retrain.
"""

CHILD = """\
apiVersion: policygate/v1
kind: Policy
metadata: {{name: {name}}}
spec:
  extends: [base.yaml]
  rules:
    - id: acc
      check: 'model.spec.metrics.accuracy >= params.min_auc'
      controls: [eu-ai-act:art-15]
      remediation: Retrain.
"""
