"""Parse before compile (issue 18, item 2): ``policy.parse`` gives the document as
written, every CEL text with its place and the schema errors as data, whatever
its shape; ``policy.compile`` turns it into the Policy that ``load_policies``
gives, or raises exactly the load errors, each with its code. lint and the
loader share these steps, so lint reports every error ``check`` would, under
its code (a law checked on generated policies)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policygate.documents import load_file
from policygate.errors import CODES, ErrorGroup, Location, PolicygateError
from policygate.lint import lint_paths
from policygate.lint.checks import LOAD_ERRORS
from policygate.policy import PolicyDocument, compile, load_policies, parse

POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: gate}
spec:
  extends: [base.yaml]
  params: {min_auc: 0.8}
  applies_to: 'model.spec.risk_tier == "high"'
  rules:
    - id: auc
      when: 'has(model.spec.metrics)'
      check: 'model.spec.metrics.auc >= params.min_auc'
      message: 'AUC {model.spec.metrics.auc} is low'
      controls: [eu-ai-act:art-15]
      remediation: Retrain.
    - id: each
      for_each: 'model.spec.evaluations'
      check: 'item.metrics.auc > 0.5'
"""

BASE = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: base}
spec:
  abstract: true
  params: {min_acc: 0.9}
  rules:
    - {id: acc, check: 'model.spec.metrics.accuracy >= params.min_acc'}
"""


def _parsed(tmp_path: Path, text: str = POLICY) -> PolicyDocument:
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    path = tmp_path / "gate.yaml"
    path.write_text(text, encoding="utf-8")
    (document,) = load_file(path)
    return parse(document)


def test_parse_gives_every_text_with_its_place(tmp_path: Path):
    parsed = _parsed(tmp_path)
    path = str(tmp_path / "gate.yaml")
    assert parsed.errors == ()
    assert (parsed.kind, parsed.name, parsed.abstract) == ("Policy", "gate", False)
    assert parsed.name_location == Location(path, 3, 18)
    assert [ref.text for ref in parsed.extends] == ["base.yaml"]
    assert parsed.extends[0].location == Location(path, 5, 13)
    assert dict(parsed.params) == {"min_auc": 0.8}
    assert parsed.applies_to is not None
    assert parsed.applies_to.path == ("spec", "applies_to")
    assert parsed.applies_to.location == Location(path, 7, 15)
    auc, each = parsed.rules
    assert (auc.id, auc.index, auc.id_location) == ("auc", 0, Location(path, 9, 11))
    assert auc.check is not None and auc.check.text == "model.spec.metrics.auc >= params.min_auc"
    assert auc.check.location == Location(path, 11, 14)
    assert auc.message is not None and auc.message.path == ("spec", "rules", 0, "message")
    assert auc.controls == (("eu-ai-act:art-15", Location(path, 13, 18)),)
    assert auc.remediation == "Retrain."
    assert each.for_each is not None and each.for_each.text == "model.spec.evaluations"
    assert each.when is None and each.message is None and each.remediation is None


def test_compile_of_the_parse_is_what_load_policies_gives(tmp_path: Path):
    parsed = _parsed(tmp_path)
    policy = compile(parsed)
    (loaded,) = load_policies([tmp_path / "gate.yaml"])
    assert policy == loaded
    assert policy.digest == loaded.digest
    assert [rule.id for rule in policy.rules] == ["acc", "auc", "each"]
    assert dict(policy.params) == {"min_acc": 0.9, "min_auc": 0.8}


def test_parse_reads_what_it_can_of_a_document_the_schema_refuses(tmp_path: Path):
    text = POLICY.replace("      remediation: Retrain.\n", "      remedy: 3\n").replace(
        "    - id: each\n", "    - 7\n    - id: each\n"
    )
    parsed = _parsed(tmp_path, text)
    assert {error.code for error in parsed.errors} == {"schema-invalid"}
    assert len(parsed.errors) == 2
    assert [rule.id for rule in parsed.rules] == ["auc", "each"]  # the 7 is no rule
    assert [rule.index for rule in parsed.rules] == [0, 2]
    try:
        compile(parsed)
    except ErrorGroup as group:
        assert list(group.errors) == sorted(parsed.errors, key=lambda e: e.location or Location(""))
    else:
        raise AssertionError("compiled a document its schema refuses")


def test_parse_of_a_document_of_any_shape_does_not_raise(tmp_path: Path):
    for spec in ("spec: 3", "spec: {rules: 5, extends: x, params: []}", "spec: {rules: [[], {}]}"):
        parsed = _parsed(tmp_path, f"apiVersion: policygate/v1\nkind: Policy\n{spec}\n")
        assert parsed.errors
        assert parsed.name is None


# --------------------------------------------------------------------------- the law

_TEXTS = st.one_of(
    st.text(alphabet="model.spec[]()!&|<>=+-*/\"' 0123456789abcitemparams,{}", max_size=30),
    st.sampled_from(["model.spec.metrics.auc > 1", "item.x", "params.p > 1", "true", "nosuch(1)",
                     "size(1, 2) > 0", "modle.x"]),
)  # fmt: skip
_RULES = st.lists(
    st.fixed_dictionaries(
        {"id": st.sampled_from(["a", "b", "a"]), "check": _TEXTS},
        optional={"when": _TEXTS, "for_each": _TEXTS,
                  "message": st.text("{}abc. item", max_size=12),
                  "severity": st.sampled_from(["error", "fatal"]),
                  "enforce_from": st.sampled_from(["2026-01-01", "soon"])},
    ),
    max_size=3,
)  # fmt: skip


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rules=_RULES, extends=st.sampled_from([[], ["base.yaml"], ["missing.yaml"], ["p.yaml"]]))
def test_lint_reports_every_load_error_under_its_code(
    tmp_path: Path, rules: list[dict[str, Any]], extends: list[str]
):
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    document = {"apiVersion": "policygate/v1", "kind": "Policy", "metadata": {"name": "p"},
                "spec": {"params": {"p": 1}, "extends": extends, "rules": rules}}  # fmt: skip
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    (loaded,) = load_file(path)
    parsed = parse(loaded)
    try:
        compile(parsed)
        errors: list[PolicygateError] = []
    except ErrorGroup as group:
        errors = list(group.errors)
    except PolicygateError as error:
        errors = [error]
    for error in errors:
        assert error.code in CODES
        json.dumps(error.to_dict())
    expected = {
        (str(e.location), LOAD_ERRORS.get(e.code, "load"), e.code)
        for e in errors
        if LOAD_ERRORS.get(e.code, "load") is not None
    }
    problems = lint_paths([path]).problems
    reported = {(str(p.location), p.code, p.error_code) for p in problems if p.error_code}
    assert reported == expected
