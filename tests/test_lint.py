"""policygate lint: every finding with its exact place, sorted, counted once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policygate.cli import main
from policygate.errors import UsageError
from policygate.lint import CHECKS, FORMATS, Level, lint_paths, render
from policygate.validation import make_validator

ROOT = Path(__file__).parent.parent


BROKEN = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: broken}
spec:
  params: {min_auc: 0.8}
  applies_to: 'true'
  rules:
    - id: perf
      check: 'model.spec.metrics.acuracy >= params.min_acc'
      controls: [eu-ai-act:art-99]
    - id: syntax
      check: 'model.spec.metrics.auc >= '
      message: 'x {item.foo}'
      remediation: fix
      controls: [eu-ai-act:art-15]
    - id: eval
      for_each: model.spec.evaluations
      check: 'item.metrics.auc >= params.min_auc && item.datset != "" && modle.x'
      message: 'on {item.dataset} {lenght(item)}'
      controls: [eu-ai-act:art-15]
      remediation: fix
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def lines(tmp_path: Path, *names: str, **options) -> list[str]:
    result = lint_paths([tmp_path / n for n in names], **options)
    prefix = f"{tmp_path}/"
    return [str(p).replace(prefix, "") for p in result.problems]


def policy(rules: str, spec: str = "", name: str = "p") -> str:
    return (
        f"apiVersion: policygate/v1\nkind: Policy\nmetadata: {{name: {name}}}\nspec:\n"
        f"{spec}  rules:\n{rules}"
    )


GOOD_RULE = """\
    - id: ok
      check: 'model.spec.metrics.auc >= 0.8'
      controls: [eu-ai-act:art-15]
      remediation: Retrain.
"""


def test_a_broken_policy_gives_all_its_problems_in_one_run(tmp_path):
    write(tmp_path, "broken.yaml", BROKEN)
    assert lines(tmp_path, "broken.yaml") == [
        "broken.yaml:6:16: warning: applies_to is always true: the policy always applies;"
        " remove applies_to [constant-condition]",
        "broken.yaml:8:11: warning: rule 'perf' has no remediation [missing-remediation]",
        "broken.yaml:9:34: warning: model.spec.metrics.acuracy: 'acuracy' is not a known key"
        " of model.spec.metrics; did you mean 'accuracy'? [unknown-field]",
        "broken.yaml:9:52: error: unknown param 'min_acc'; did you mean 'min_auc'? [unknown-param]",
        "broken.yaml:10:18: error: unknown control id 'eu-ai-act:art-99' in rule 'perf';"
        " did you mean 'eu-ai-act:art-9'? [unknown-control]",
        "broken.yaml:12:41: error: CEL syntax error: unexpected end of expression in check"
        " [cel-syntax]",
        "broken.yaml:13:20: error: 'item' is only bound inside a rule with for_each"
        " [unknown-variable]",
        "broken.yaml:18:58: warning: item.datset: model.spec.evaluations[] has no field 'datset'"
        " in the ModelRecord schema; did you mean 'dataset'? [unknown-field]",
        "broken.yaml:18:74: error: undeclared variable 'modle'; did you mean 'model'?"
        " [unknown-variable]",
        "broken.yaml:19:36: error: unknown function 'lenght' [unknown-function]",
    ]


def test_summary_and_exit_codes(tmp_path):
    write(tmp_path, "broken.yaml", BROKEN)
    result = lint_paths([tmp_path / "broken.yaml"])
    assert (result.errors, result.warnings) == (6, 4)
    assert result.summary() == "10 problems (6 errors, 4 warnings)"
    assert result.exit_code() == 1
    write(
        tmp_path,
        "warn.yaml",
        policy(GOOD_RULE + "    - id: bare\n      check: 'true == model.spec.x'\n"),
    )
    warnings_only = lint_paths([tmp_path / "warn.yaml"])
    assert (warnings_only.errors, warnings_only.warnings) == (0, 3)
    assert warnings_only.exit_code() == 1
    assert warnings_only.exit_code(fail_on="error") == 0
    write(tmp_path, "clean.yaml", policy(GOOD_RULE))
    clean = lint_paths([tmp_path / "clean.yaml"])
    assert clean.problems == () and clean.summary() == "0 problems (0 errors, 0 warnings)"
    assert clean.exit_code() == 0


def test_the_shipped_policies_lint_clean():
    result = lint_paths([ROOT / "policies"])
    assert [str(p) for p in result.problems] == []
    assert result.policies == 5  # the promotion packs and the access pack (policies/access/)


def test_no_policy_is_a_usage_error(tmp_path):
    write(tmp_path, "model.yaml", "name: m\n")
    with pytest.raises(UsageError, match="no policy found"):
        lint_paths([tmp_path])


def test_load_and_schema_errors_are_problems_with_codes(tmp_path):
    write(tmp_path, "bad-yaml.yaml", "a: [1,\n")
    write(tmp_path, "schema.yaml", policy(GOOD_RULE.replace("remediation: Retrain.", "remedy: x")))
    write(tmp_path, "kind.yaml", "apiVersion: policygate/v1\nkind: Polcy\n")
    found = lint_paths([tmp_path])
    codes = {(Path(p.location.path).name, p.code) for p in found.problems}
    assert codes == {
        ("bad-yaml.yaml", "load"),
        ("schema.yaml", "schema"),
        ("kind.yaml", "schema"),
        ("schema.yaml", "missing-remediation"),
    }
    schema = next(p for p in found.problems if p.code == "schema" and "remedy" in p.message)
    assert (schema.location.line, schema.location.column) == (9, 7)
    assert schema.message == "unknown key 'remedy' (at $.spec.rules[0].remedy)"


def test_message_placeholders_that_do_not_compile(tmp_path):
    rule = GOOD_RULE + "      message: 'AUC {model.spec.metrics.auc >} and {{literal}} {x'\n"
    write(tmp_path, "p.yaml", policy(rule))
    assert lines(tmp_path, "p.yaml") == [
        "p.yaml:10:64: error: message: unclosed '{' in message (write '{{' for a literal brace)"
        " [message-syntax]",
    ]
    write(
        tmp_path, "q.yaml", policy(GOOD_RULE + "      message: 'AUC {model.spec.metrics.auc >}'\n")
    )
    assert lines(tmp_path, "q.yaml") == [
        "q.yaml:10:46: error: CEL syntax error: unexpected end of expression in message"
        " placeholder {model.spec.metrics.auc >} [message-syntax]",
    ]


def test_fields_against_a_closed_model_schema_are_errors(tmp_path):
    write(
        tmp_path,
        "schemas/model.json",
        json.dumps(
            {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "owner": {"type": "string"},
                    "metrics": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {"auc": {"type": "number"}},
                    },
                    "evaluations": {"type": "array", "items": {"$ref": "#/$defs/evaluation"}},
                },
                "$defs": {
                    "evaluation": {"type": "object", "properties": {"dataset": {"type": "string"}}}
                },
            }
        ),
    )
    check = (
        'model.metrics.auc > 0.8 && model.metrics.acc > 0.8 && model.ownr != ""'
        ' && model.evaluations.dataset != ""'
    )
    rules = f"""\
    - id: r
      check: '{check}'
      controls: [eu-ai-act:art-15]
      remediation: fix
    - id: s
      for_each: model.evaluations
      check: 'item.datset != ""'
      controls: [eu-ai-act:art-15]
      remediation: fix
"""
    write(tmp_path, "p.yaml", policy(rules, spec="  model_schema: schemas/model.json\n"))
    assert lines(tmp_path, "p.yaml") == [
        "p.yaml:8:56: error: model.metrics.acc: model.metrics has no field 'acc' in model schema"
        " schemas/model.json, which allows no other; did you mean 'auc'? [unknown-field]",
        "p.yaml:8:75: error: model.ownr: model has no field 'ownr' in model schema"
        " schemas/model.json, which allows no other; did you mean 'owner'? [unknown-field]",
        "p.yaml:8:107: error: model.evaluations.dataset: model.evaluations is a list in model"
        " schema schemas/model.json: select an element or iterate over it, it has no field"
        " 'dataset' [unknown-field]",
        "p.yaml:13:20: warning: item.datset: model.evaluations[] has no field 'datset' in model"
        " schema schemas/model.json; did you mean 'dataset'? [unknown-field]",
    ]


def test_model_schema_option_for_policies_that_declare_none(tmp_path):
    write(tmp_path, "export.json", json.dumps({"type": "object", "properties": {"auc": {}}}))
    write(tmp_path, "p.yaml", policy(GOOD_RULE.replace("model.spec.metrics.auc", "model.acu")))
    assert lines(tmp_path, "p.yaml", model_schema=tmp_path / "export.json") == [
        "p.yaml:7:21: warning: model.acu: model has no field 'acu' in model schema export.json;"
        " did you mean 'auc'? [unknown-field]",
    ]
    assert lines(tmp_path, "p.yaml")[0].startswith(
        "p.yaml:7:21: warning: model.acu: model has no field 'acu' in the ModelRecord schema"
    )


def test_params_come_from_the_whole_extends_chain(tmp_path):
    write(
        tmp_path,
        "base.yaml",
        policy(GOOD_RULE, spec="  abstract: true\n  params: {floor: 1}\n", name="base"),
    )
    child = GOOD_RULE.replace("0.8", "params.floor + params.ceiling + params.flor")
    write(
        tmp_path,
        "child.yaml",
        policy(child, spec="  extends: [base.yaml]\n  params: {ceiling: 2}\n"),
    )
    assert lines(tmp_path, "child.yaml") == [
        "child.yaml:9:80: error: unknown param 'flor'; did you mean 'floor'? [unknown-param]",
    ]


def test_an_abstract_policy_may_leave_a_param_to_its_children(tmp_path):
    write(
        tmp_path,
        "base.yaml",
        policy(GOOD_RULE.replace("0.8", "params.min_auc"), spec="  abstract: true\n", name="base"),
    )
    (problem,) = lint_paths([tmp_path / "base.yaml"]).problems
    assert problem.level is Level.WARNING and problem.code == "unknown-param"
    assert problem.message == (
        "unknown param 'min_auc' (declared: none); every policy extending this one must declare it"
    )


def test_duplicate_ids_within_a_file_across_parents_and_policy_names(tmp_path):
    write(tmp_path, "a.yaml", policy(GOOD_RULE, name="a", spec="  abstract: true\n"))
    write(tmp_path, "b.yaml", policy(GOOD_RULE, name="b", spec="  abstract: true\n"))
    write(
        tmp_path,
        "child.yaml",
        policy(GOOD_RULE + GOOD_RULE, name="a", spec="  extends: [a.yaml, b.yaml]\n"),
    )
    assert lines(tmp_path, "a.yaml", "b.yaml", "child.yaml") == [
        "child.yaml:3:18: error: duplicate policy name 'a' (first defined at a.yaml:3:18)"
        " [duplicate-id]",
        "child.yaml:5:21: warning: rule id 'ok' is defined by two policies this one extends"
        " (a.yaml:7:11 and b.yaml:7:11); the later replaces the earlier [duplicate-id]",
        "child.yaml:11:11: error: duplicate rule id 'ok' (first at line 7) [duplicate-id]",
    ]


def test_a_child_replacing_its_parents_rule_is_no_problem(tmp_path):
    write(tmp_path, "base.yaml", policy(GOOD_RULE, name="base", spec="  abstract: true\n"))
    write(tmp_path, "child.yaml", policy(GOOD_RULE, name="child", spec="  extends: [base.yaml]\n"))
    assert lines(tmp_path, "child.yaml") == []


def test_parents_are_linted_through_their_children(tmp_path):
    write(
        tmp_path,
        "base.yaml",
        policy(
            GOOD_RULE.replace("[eu-ai-act:art-15]", "[nope:x]"),
            name="base",
            spec="  abstract: true\n",
        ),
    )
    write(tmp_path, "child.yaml", policy(GOOD_RULE, name="child", spec="  extends: [base.yaml]\n"))
    assert lines(tmp_path, "child.yaml") == [
        "base.yaml:9:18: error: unknown control id 'nope:x' in rule 'ok' [unknown-control]",
    ]
    write(
        tmp_path,
        "orphan.yaml",
        policy(GOOD_RULE, name="orphan", spec="  extends: [missing.yaml]\n"),
    )
    (problem,) = lint_paths([tmp_path / "orphan.yaml"]).problems
    assert problem.code == "extends" and problem.message.startswith("extends 'missing.yaml'")


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("when", "1 > 2", "when is always false: the rule never applies"),
        ("when", "true", "when is always true: the rule always applies; remove when"),
        ("check", "true", "check is always true: the rule can never fail"),
        ("check", "false", "check is always false: the rule always fails"),
        ("check", "1 + 1", "check is constant and not a bool (2): the rule always errors"),
        ("when", "1 / 0 == 1", "when does not depend on the model and cannot be evaluated:"),
    ],
)
def test_constant_conditions(tmp_path, field, text, message):
    rule = GOOD_RULE if field == "check" else GOOD_RULE + f"      {field}: '{text}'\n"
    if field == "check":
        rule = rule.replace("'model.spec.metrics.auc >= 0.8'", f"'{text}'")
    write(tmp_path, "p.yaml", policy(rule))
    (problem,) = lint_paths([tmp_path / "p.yaml"]).problems
    assert problem.code == "constant-condition"
    assert problem.message.startswith(message)


def test_params_only_conditions_are_switches_not_constants(tmp_path):
    write(
        tmp_path,
        "p.yaml",
        policy(GOOD_RULE + "      when: 'params.strict'\n", spec="  params: {strict: true}\n"),
    )
    assert lines(tmp_path, "p.yaml") == []


def test_rules_without_controls_or_remediation_are_warnings(tmp_path):
    write(tmp_path, "p.yaml", policy("    - id: bare\n      check: model.spec.metrics.auc > 0.5\n"))
    assert lines(tmp_path, "p.yaml") == [
        "p.yaml:6:11: warning: rule 'bare' names no controls it gives evidence for"
        " [missing-controls]",
        "p.yaml:6:11: warning: rule 'bare' has no remediation [missing-remediation]",
    ]


def test_extra_catalogs_define_more_control_ids(tmp_path):
    from policygate.graph.catalogs import load_catalogs

    write(tmp_path, "p.yaml", policy(GOOD_RULE.replace("eu-ai-act:art-15", "acme:AI-01")))
    assert [p.code for p in lint_paths([tmp_path / "p.yaml"]).problems] == ["unknown-control"]
    extra = load_catalogs([ROOT / "examples" / "catalogs"])
    ids = {c.id for catalog in extra for c in catalog.controls}
    if "acme:AI-01" in ids:
        assert lint_paths([tmp_path / "p.yaml"], catalogs=extra).problems == ()


def test_problems_are_sorted_by_file_line_and_column(tmp_path):
    write(tmp_path, "a.yaml", BROKEN)
    write(tmp_path, "b.yaml", BROKEN.replace("name: broken", "name: broken2"))
    result = lint_paths([tmp_path / "b.yaml", tmp_path / "a.yaml"])
    keys = [p.sort_key() for p in result.problems]
    assert keys == sorted(keys)
    assert Path(result.problems[0].location.path).name == "a.yaml"


# --------------------------------------------------------------------------- formats


def test_text_format_ends_with_the_count(tmp_path):
    write(tmp_path, "p.yaml", policy("    - id: bare\n      check: model.spec.metrics.auc > 0.5\n"))
    text = render(lint_paths([tmp_path / "p.yaml"]), "text")
    assert text.endswith("\n2 problems (0 errors, 2 warnings)\n")


def test_json_format(tmp_path):
    write(tmp_path, "p.yaml", BROKEN)
    data = json.loads(render(lint_paths([tmp_path / "p.yaml"]), "json"))
    assert data["summary"] == {"problems": 10, "errors": 6, "warnings": 4}
    assert data["problems"][0] == {
        "path": str(tmp_path / "p.yaml"),
        "line": 6,
        "column": 16,
        "level": "warning",
        "code": "constant-condition",
        "message": "applies_to is always true: the policy always applies; remove applies_to",
    }


# The parts of the SARIF 2.1.0 schema (OASIS) that lint writes, closed with
# additionalProperties: false where the standard closes them.
_MESSAGE = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
SARIF_SUBSET = {
    "type": "object",
    "required": ["version", "runs"],
    "additionalProperties": False,
    "properties": {
        "$schema": {"type": "string"},
        "version": {"const": "2.1.0"},
        "runs": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["tool"],
                "additionalProperties": False,
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name"],
                                "additionalProperties": False,
                                "properties": {
                                    "name": {"type": "string"},
                                    "version": {"type": "string"},
                                    "semanticVersion": {"type": "string"},
                                    "informationUri": {"type": "string"},
                                    "rules": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["id"],
                                            "additionalProperties": False,
                                            "properties": {
                                                "id": {"type": "string"},
                                                "name": {"type": "string"},
                                                "shortDescription": _MESSAGE,
                                                "defaultConfiguration": {
                                                    "type": "object",
                                                    "additionalProperties": False,
                                                    "properties": {
                                                        "level": {
                                                            "enum": [
                                                                "none",
                                                                "note",
                                                                "warning",
                                                                "error",
                                                            ]
                                                        }
                                                    },
                                                },
                                            },
                                        },
                                    },
                                },
                            }
                        },
                    },
                    "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["message"],
                            "additionalProperties": False,
                            "properties": {
                                "ruleId": {"type": "string"},
                                "ruleIndex": {"type": "integer", "minimum": -1},
                                "level": {"enum": ["none", "note", "warning", "error"]},
                                "message": _MESSAGE,
                                # SARIF's property bag (3.8): a load error's own code
                                "properties": {"type": "object"},
                                "locations": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "additionalProperties": False,
                                        "properties": {
                                            "physicalLocation": {
                                                "type": "object",
                                                "additionalProperties": False,
                                                "properties": {
                                                    "artifactLocation": {
                                                        "type": "object",
                                                        "additionalProperties": False,
                                                        "properties": {
                                                            "uri": {"type": "string"},
                                                            "uriBaseId": {"type": "string"},
                                                        },
                                                    },
                                                    "region": {
                                                        "type": "object",
                                                        "additionalProperties": False,
                                                        "properties": {
                                                            "startLine": {
                                                                "type": "integer",
                                                                "minimum": 1,
                                                            },
                                                            "startColumn": {
                                                                "type": "integer",
                                                                "minimum": 1,
                                                            },
                                                        },
                                                    },
                                                },
                                            }
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def test_sarif_is_valid_2_1_0_and_points_at_the_problems(tmp_path, monkeypatch):
    write(tmp_path, "policies/p.yaml", BROKEN)
    monkeypatch.chdir(tmp_path)
    result = lint_paths(["policies/p.yaml"])
    log = json.loads(render(result, "sarif"))
    assert list(make_validator(SARIF_SUBSET).iter_errors(log)) == []
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(CHECKS)
    first = run["results"][0]
    assert rules[first["ruleIndex"]]["id"] == first["ruleId"] == "constant-condition"
    assert first["level"] == "warning"
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "policies/p.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 6, "startColumn": 16},
    }
    assert len(run["results"]) == len(result.problems)


def test_unknown_format_is_an_error(tmp_path):
    write(tmp_path, "p.yaml", policy(GOOD_RULE))
    with pytest.raises(UsageError, match="unknown lint format 'xml'"):
        render(lint_paths([tmp_path / "p.yaml"]), "xml")
    assert set(FORMATS) == {"text", "json", "sarif"}


# --------------------------------------------------------------------------- laws

_expressions = st.one_of(
    st.text(alphabet="model.spec[]()!&|<>=+-*/\"' 0123456789abcitemparams,{}", max_size=30),
    st.sampled_from(["model.spec.metrics.auc > 1", "item.x", "params.p", "true", "x.exists(a, a)"]),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    check=_expressions,
    when=st.one_of(st.none(), _expressions),
    for_each=st.one_of(st.none(), _expressions),
    message=st.one_of(st.none(), st.text(alphabet="{}abc. item", max_size=20)),
    controls=st.lists(st.text(alphabet="eu-ai-act:art-15xyz", max_size=20), max_size=3),
    extra=st.dictionaries(
        st.sampled_from(["title", "severity", "category", "id"]),
        st.one_of(st.integers(), st.text(max_size=5), st.none()),
        max_size=2,
    ),
)
def test_lint_never_raises_on_any_generated_policy(
    tmp_path, check, when, for_each, message, controls, extra
):
    rule = {"id": "r", "check": check, "controls": controls, **extra}
    for key, value in (("when", when), ("for_each", for_each), ("message", message)):
        if value is not None:
            rule[key] = value
    document = {
        "apiVersion": "policygate/v1",
        "kind": "Policy",
        "metadata": {"name": "p"},
        "spec": {"params": {"p": 1}, "rules": [rule]},
    }
    path = tmp_path / "generated.yaml"
    path.write_text(yaml.safe_dump(document))
    result = lint_paths([path])
    for problem in result.problems:
        assert problem.code in CHECKS
        assert problem.location.path == str(path)


def test_fields_the_engine_adds_to_approvals_are_known(tmp_path):
    rule = GOOD_RULE.replace(
        "'model.spec.metrics.auc >= 0.8'",
        "'model.spec.approvals.exists(a, a.verified && a.verification != \"\" && a.verifed)'",
    )
    write(tmp_path, "p.yaml", policy(rule))
    assert lines(tmp_path, "p.yaml") == [
        "p.yaml:7:86: warning: a.verifed: model.spec.approvals[] has no field 'verifed' in the"
        " ModelRecord schema; did you mean 'verified'? [unknown-field]",
    ]


def test_int_literals_in_arithmetic_with_document_numbers_are_warned(tmp_path):
    rule = """\
    - id: drop
      check: 'model.spec.metrics.auc * 100 - 5.0 >= params.floor - 1'
      controls: [eu-ai-act:art-15]
      remediation: Retrain.
"""
    write(tmp_path, "p.yaml", policy(rule, spec="  params: {floor: 80}\n"))
    assert lines(tmp_path, "p.yaml") == [
        "p.yaml:8:40: warning: the int literal 100 meets a document number (a double) in"
        " arithmetic, which is an error in CEL; write 100.0 [int-arithmetic]",
        "p.yaml:8:68: warning: the int literal 1 meets a document number (a double) in"
        " arithmetic, which is an error in CEL; write 1.0 [int-arithmetic]",
    ]
    # and it is one: the rule errors on every model
    from policygate import evaluate, load_policies

    report = evaluate({"spec": {"metrics": {"auc": 0.9}}}, load_policies([tmp_path / "p.yaml"]),
                      now="2026-11-26T00:00:00Z")  # fmt: skip
    assert report.models[0].results[0].status.value == "error"


def test_an_expression_over_the_budget_is_warned_and_cost_lists_worst_cases(tmp_path):
    big = "[" + ", ".join(["1"] * 200) + "]"
    rule = f"""\
    - id: heavy
      check: '{big}.all(x, {big}.exists(y, y > x))'
      controls: [eu-ai-act:art-15]
      remediation: Simplify.
"""
    write(tmp_path, "p.yaml", policy(GOOD_RULE + rule))
    result = lint_paths([tmp_path / "p.yaml"], costs=True)
    (problem,) = [p for p in result.problems if p.code != "constant-condition"]
    assert problem.code == "cost-over-budget" and "over the rule budget of 30,000" in str(problem)
    worst = {c.expression[:22]: c.worst_case for c in result.costs}
    assert worst["model.spec.metrics.auc"] == 6  # six nodes
    assert worst[big[:22]] is not None and worst[big[:22]] > 30_000
    runner = CliRunner()
    shown = runner.invoke(main, ["lint", str(tmp_path / "p.yaml"), "--cost"])
    assert "worst case 6 units: model.spec.metrics.auc >= 0.8" in shown.output
    data = json.loads(runner.invoke(main, ["lint", str(tmp_path / "p.yaml"), "--cost",
                                           "-f", "json"]).output)  # fmt: skip
    assert {c["worst_case"] for c in data["costs"]} >= {6}


@pytest.mark.parametrize("check", ["model.metadata.tags.all(t, t == 'prod')",
                                   "model.metadata.tags.exists_one(i, t, i == 0 && t == 'prod')",
                                   "model.metadata.tags.exists(t, t.startsWith('p'))"])  # fmt: skip
def test_an_unknown_field_a_loop_variable_ranges_over_is_one_problem(tmp_path, check):
    """The loop variable reads its collection's path too: one unknown field where it
    is written is reported once, not once more for the variable."""
    rule = f"    - id: tags\n      check: \"{check}\"\n      controls: [eu-ai-act:art-15]\n" \
           "      remediation: fix\n"
    write(tmp_path, "p.yaml", policy(rule))
    found = [line for line in lines(tmp_path, "p.yaml") if "[unknown-field]" in line]
    assert found == ["p.yaml:7:30: warning: model.metadata.tags: model.metadata has no field"
                     " 'tags' in the ModelRecord schema; did you mean 'stage'? [unknown-field]"]
