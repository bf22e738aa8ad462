"""Tests for policygate.evaluate: models × policies → Report, with real CEL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from policygate import (
    ModelRecord,
    PolicygateError,
    Status,
    UsageError,
    Waiver,
    cel,
    evaluate,
    load_policies,
)
from policygate.report import ControlState
from policygate.validation import shipped_validator

NOW = "2026-11-26T00:00:00Z"
EXAMPLES = Path(__file__).parent.parent / "examples"


def write_policy(
    directory: Path,
    rules: list[dict[str, Any]],
    *,
    name: str = "p",
    params: dict[str, Any] | None = None,
    applies_to: str | None = None,
    model_schema: str | None = None,
) -> Path:
    """A Policy document written as JSON (a JSON text is YAML)."""
    spec: dict[str, Any] = {"rules": rules}
    if params is not None:
        spec["params"] = params
    if applies_to is not None:
        spec["applies_to"] = applies_to
    if model_schema is not None:
        spec["model_schema"] = model_schema
    doc = {
        "apiVersion": "policygate/v1",
        "kind": "Policy",
        "metadata": {"name": name},
        "spec": spec,
    }
    path = directory / f"{name}.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def policies_of(tmp_path: Path, rules: list[dict[str, Any]], **kwargs: Any) -> list:
    return load_policies([write_policy(tmp_path, rules, **kwargs)])


def statuses(report, model: int = 0) -> dict[str, str]:
    """``rule[item]`` -> status for one model."""
    out = {}
    for r in report.models[model].results:
        ref = r.rule if r.item is None else f"{r.rule}[{r.item}]"
        out[ref] = r.status.value
    return out


def waiver(rule: str, models: tuple[str, ...], expires_at: str, name: str = "w") -> Waiver:
    return Waiver(
        name=name,
        rule=rule,
        models=models,
        justification="accepted risk",
        approved_by="carol@example.com",
        expires_at=dt.datetime.fromisoformat(expires_at.replace("Z", "+00:00")),
        source="waivers/w.yaml",
    )


MODEL = {
    "metadata": {"name": "m", "version": "1.0.0", "target_stage": "production"},
    "spec": {
        "risk_tier": "high",
        "metrics": {"auc": 0.9, "accuracy": 0.7},
        "evaluations": [{"dataset": "a", "auc": 0.85}, {"dataset": "b", "auc": 0.6}],
    },
}


# --------------------------------------------------------------------------- statuses


def test_every_status_from_one_policy(tmp_path):
    pols = policies_of(
        tmp_path,
        [
            {"id": "passes", "check": "model.spec.metrics.auc >= 0.8"},
            {"id": "fails", "check": "model.spec.metrics.accuracy >= 0.8"},
            {"id": "errors", "check": "model.spec.robustness.score > 0.5"},
            {"id": "skips", "when": "false", "check": "true"},
            {"id": "waived", "check": "false"},
        ],
    )
    report = evaluate(
        MODEL, pols, now=NOW, waivers=[waiver("p/waived", ("m",), "2027-01-01T00:00:00Z")]
    )
    assert statuses(report) == {
        "passes": "pass",
        "fails": "fail",
        "errors": "error",
        "skips": "skip",
        "waived": "waived",
    }
    assert report.models[0].counts() == {"pass": 1, "fail": 1, "error": 1, "skip": 1, "waived": 1}
    assert not report.passed
    assert report.exit_code() == 1


def test_pass_result_has_no_message_and_fail_uses_the_template(tmp_path):
    pols = policies_of(
        tmp_path,
        [
            {
                "id": "auc",
                "check": "model.spec.metrics.accuracy >= params.min",
                "message": "accuracy {model.spec.metrics.accuracy} is below {params.min}",
            },
            {"id": "ok", "check": "true", "message": "never shown {1}"},
        ],
        params={"min": 0.8},
    )
    results = {r.rule: r for r in evaluate(MODEL, pols, now=NOW).models[0].results}
    assert results["auc"].status is Status.FAIL
    assert results["auc"].message == "accuracy 0.7 is below 0.8"
    assert results["ok"].status is Status.PASS
    assert results["ok"].message is None


def test_fail_without_message_quotes_the_check(tmp_path):
    pols = policies_of(tmp_path, [{"id": "r", "check": "model.spec.metrics.auc > 0.95"}])
    (result,) = evaluate(MODEL, pols, now=NOW).models[0].results
    assert result.status is Status.FAIL
    assert result.message == "check failed: model.spec.metrics.auc > 0.95"


def test_result_carries_the_rule_metadata(tmp_path):
    pols = policies_of(
        tmp_path,
        [
            {
                "id": "perf.auc",
                "title": "AUC high enough",
                "category": "performance",
                "severity": "warning",
                "check": "false",
                "controls": ["eu-ai-act:art-15"],
                "remediation": "Retrain.",
            }
        ],
    )
    (result,) = evaluate(MODEL, pols, now=NOW).models[0].results
    assert (result.policy, result.rule, result.title, result.category, result.severity) == (
        "p",
        "perf.auc",
        "AUC high enough",
        "performance",
        "warning",
    )
    assert result.controls == ("eu-ai-act:art-15",)
    assert result.remediation == "Retrain."
    assert result.rule_ref == "p/perf.auc"


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("check", "needle"),
    [
        ("model.spec.robustness.score > 0.5", "model.spec.robustness"),
        ("model.spec.metrics.f1 > 0.5", "model.spec.metrics.f1"),
        ("model.spec.evaluations.all(e, e.recall > 0.5)", "recall"),
    ],
)
def test_missing_field_is_an_error_naming_the_field(tmp_path, check, needle):
    pols = policies_of(tmp_path, [{"id": "r", "check": check}])
    (result,) = evaluate(MODEL, pols, now=NOW).models[0].results
    assert result.status is Status.ERROR
    assert needle in result.message
    assert result.message.startswith("cannot evaluate check: ")


def test_non_bool_check_is_an_error(tmp_path):
    pols = policies_of(tmp_path, [{"id": "r", "check": "model.spec.metrics.auc"}])
    (result,) = evaluate(MODEL, pols, now=NOW).models[0].results
    assert result.status is Status.ERROR
    assert "bool" in result.message and "double" in result.message


def test_type_mismatch_is_an_error(tmp_path):
    pols = policies_of(tmp_path, [{"id": "r", "check": 'model.spec.metrics.auc >= "high"'}])
    (result,) = evaluate(MODEL, pols, now=NOW).models[0].results
    assert result.status is Status.ERROR


@pytest.mark.parametrize("field", ["when", "for_each"])
def test_error_in_when_or_for_each_is_an_error_result(tmp_path, field):
    rule = {"id": "r", "check": "true", field: "model.spec.nothing.here"}
    pols = policies_of(tmp_path, [rule])
    (result,) = evaluate(MODEL, pols, now=NOW).models[0].results
    assert result.status is Status.ERROR
    assert result.message.startswith(f"cannot evaluate {field}: ")
    assert "model.spec.nothing" in result.message


def test_for_each_over_a_scalar_is_an_error(tmp_path):
    pols = policies_of(tmp_path, [{"id": "r", "for_each": "model.spec.risk_tier", "check": "true"}])
    (result,) = evaluate(MODEL, pols, now=NOW).models[0].results
    assert result.status is Status.ERROR
    assert "list or a map" in result.message


def test_applies_to_error_is_one_error_result_and_unknown_applicability(tmp_path):
    pols = policies_of(tmp_path, [{"id": "r", "check": "true"}], applies_to="model.spec.nope == 1")
    model_report = evaluate(MODEL, pols, now=NOW).models[0]
    (result,) = model_report.results
    assert (result.rule, result.status) == ("applies_to", Status.ERROR)
    assert "model.spec.nope" in result.message
    assert model_report.policies[0].applicable is None
    assert not model_report.passed


# --------------------------------------------------------------------------- skips


def test_applies_to_false_skips_every_rule(tmp_path):
    applicable = write_policy(tmp_path, [{"id": "a", "check": "true"}], name="always")
    never = write_policy(
        tmp_path,
        [{"id": "x", "check": "false"}, {"id": "y", "check": "false"}],
        name="never",
        applies_to='model.spec.risk_tier == "minimal"',
    )
    model_report = evaluate(MODEL, load_policies([applicable, never]), now=NOW).models[0]
    skipped = [r for r in model_report.results if r.policy == "never"]
    assert [(r.rule, r.status) for r in skipped] == [("x", Status.SKIP), ("y", Status.SKIP)]
    assert all(r.message == "policy does not apply (applies_to is false)" for r in skipped)
    assert [(p.name, p.applicable) for p in model_report.policies] == [
        ("always", True),
        ("never", False),
    ]
    assert model_report.passed


def test_when_false_and_empty_for_each_skip(tmp_path):
    pols = policies_of(
        tmp_path,
        [
            {
                "id": "staging-only",
                "when": 'model.metadata.target_stage == "staging"',
                "check": "false",
            },
            {"id": "none", "for_each": "[]", "check": "false"},
            {"id": "empty-map", "for_each": "{}", "check": "false"},
            {"id": "evaluated", "check": "true"},
        ],
    )
    results = evaluate(MODEL, pols, now=NOW).models[0].results
    assert [(r.rule, r.status.value, r.message) for r in results] == [
        ("staging-only", "skip", "when is false"),
        ("none", "skip", "for_each is empty"),
        ("empty-map", "skip", "for_each is empty"),
        ("evaluated", "pass", None),
    ]


def test_non_bool_when_is_an_error(tmp_path):
    pols = policies_of(tmp_path, [{"id": "r", "when": "1", "check": "true"}])
    (result,) = evaluate(MODEL, pols, now=NOW).models[0].results
    assert result.status is Status.ERROR


# --------------------------------------------------------------------------- for_each


def test_for_each_over_a_list_gives_one_result_per_element(tmp_path):
    pols = policies_of(
        tmp_path,
        [
            {
                "id": "evals",
                "for_each": "model.spec.evaluations",
                "check": "item.auc >= 0.8",
                "message": "{item.dataset} #{index}: {item.auc}",
            }
        ],
    )
    results = evaluate(MODEL, pols, now=NOW).models[0].results
    assert [(r.item, r.status.value, r.message) for r in results] == [
        (0, "pass", None),
        (1, "fail", "b #1: 0.6"),
    ]


def test_for_each_over_a_map_binds_key_and_item_in_key_order(tmp_path):
    pols = policies_of(
        tmp_path,
        [
            {
                "id": "metrics",
                "for_each": "model.spec.metrics",
                "check": "item >= 0.8",
                "message": "{key} is {item} (position {index})",
            }
        ],
    )
    results = evaluate(MODEL, pols, now=NOW).models[0].results
    assert [(r.item, r.status.value, r.message) for r in results] == [
        ("accuracy", "fail", "accuracy is 0.7 (position 0)"),
        ("auc", "pass", None),
    ]


def test_for_each_element_error_is_per_element(tmp_path):
    model = {"name": "m", "spec": {"xs": [{"v": 1}, {}, {"v": 3}]}}
    pols = policies_of(tmp_path, [{"id": "r", "for_each": "model.spec.xs", "check": "item.v > 2"}])
    results = evaluate(model, pols, now=NOW).models[0].results
    assert [(r.item, r.status.value) for r in results] == [(0, "fail"), (1, "error"), (2, "pass")]
    assert "item.v" in results[1].message


# --------------------------------------------------------------------------- CEL variables


def test_now_params_and_inputs_are_visible(tmp_path):
    pols = policies_of(
        tmp_path,
        [
            {"id": "now", "check": 'now == timestamp("2026-11-26T00:00:00Z")'},
            {"id": "days", "check": 'timestamp("2026-11-20T00:00:00Z") + days(params.d) > now'},
            {"id": "inputs", "check": "model.metadata.name in inputs.approved"},
        ],
        params={"d": 7},
    )
    report = evaluate(MODEL, pols, now=NOW, inputs={"approved": ["m", "n"]})
    assert statuses(report) == {"now": "pass", "days": "pass", "inputs": "pass"}
    report = evaluate(MODEL, pols, now="2026-11-28T00:00:00Z", inputs={"approved": []})
    assert statuses(report) == {"now": "fail", "days": "fail", "inputs": "fail"}


@pytest.mark.parametrize("value", [1, 1.0])
def test_numbers_compare_as_numbers(tmp_path, value):
    pols = policies_of(
        tmp_path,
        [
            {"id": "ge-int", "check": "model.x >= 1"},
            {"id": "ge-double", "check": "model.x >= 1.0"},
            {"id": "eq-param", "check": "model.x == params.one"},
        ],
        params={"one": 1},
    )
    report = evaluate({"name": "m", "x": value}, pols, now=NOW)
    assert set(statuses(report).values()) == {"pass"}


def test_params_override_through_evaluate(tmp_path):
    pols = policies_of(
        tmp_path,
        [{"id": "r", "check": "model.spec.metrics.auc >= params.min"}],
        params={"min": 0.8},
    )
    assert statuses(evaluate(MODEL, pols, now=NOW)) == {"r": "pass"}
    assert statuses(evaluate(MODEL, pols, now=NOW, params={"min": 0.95})) == {"r": "fail"}
    with pytest.raises(UsageError, match="unknown param"):
        evaluate(MODEL, pols, now=NOW, params={"mni": 0.95})


# --------------------------------------------------------------------------- fail_on


SEVERITY_POLICY = [
    {"id": "err", "severity": "error", "check": "model.ok_error"},
    {"id": "warn", "severity": "warning", "check": "model.ok_warning"},
    {"id": "info", "severity": "info", "check": "model.ok_info"},
]


@pytest.mark.parametrize(
    ("failing", "fail_on", "passed"),
    [
        ("error", "error", False),
        ("warning", "error", True),
        ("info", "error", True),
        ("error", "warning", False),
        ("warning", "warning", False),
        ("info", "warning", True),
        ("info", "info", False),
        ("error", "never", True),
        ("warning", "never", True),
    ],
)
def test_fail_on_thresholds(tmp_path, failing, fail_on, passed):
    model = {"name": "m", **{f"ok_{s}": s != failing for s in ("error", "warning", "info")}}
    report = evaluate(model, policies_of(tmp_path, SEVERITY_POLICY), now=NOW, fail_on=fail_on)
    assert report.models[0].passed is passed
    assert report.passed is passed
    assert report.exit_code() == (0 if passed else 1)
    assert report.fail_on == fail_on


@pytest.mark.parametrize(
    ("fail_on", "passed"), [("error", True), ("warning", False), ("never", True)]
)
def test_error_on_a_warning_rule_follows_fail_on(tmp_path, fail_on, passed):
    pols = policies_of(
        tmp_path,
        [
            {"id": "ok", "check": "true"},
            {"id": "w", "severity": "warning", "check": "model.spec.missing > 1"},
        ],
    )
    report = evaluate(MODEL, pols, now=NOW, fail_on=fail_on)
    assert statuses(report)["w"] == "error"
    assert report.passed is passed


def test_unknown_fail_on_is_a_usage_error(tmp_path):
    pols = policies_of(tmp_path, [{"id": "r", "check": "true"}])
    with pytest.raises(UsageError, match="fail_on"):
        evaluate(MODEL, pols, now=NOW, fail_on="sometimes")


# --------------------------------------------------------------------------- nothing evaluated


def test_model_no_rule_applies_to_gets_the_applicability_error(tmp_path):
    pols = policies_of(tmp_path, [{"id": "r", "check": "true"}], applies_to="false")
    other = write_policy(
        tmp_path, [{"id": "x", "when": "model.name == 'a'", "check": "true"}], name="q"
    )
    both = pols + load_policies([other])
    report = evaluate([{"name": "a"}, {"name": "b"}], both, now=NOW)
    a, b = report.models
    assert a.passed and a.evaluated
    assert not b.passed and not b.evaluated
    last = b.results[-1]
    assert (last.policy, last.rule, last.status) == ("policygate", "applicability", Status.ERROR)
    assert "no rule" in last.message
    assert not report.nothing_evaluated
    assert report.exit_code() == 1


def test_every_result_skipped_is_nothing_evaluated(tmp_path):
    pols = policies_of(tmp_path, [{"id": "r", "check": "true"}], applies_to="false")
    report = evaluate(MODEL, pols, now=NOW)
    assert report.nothing_evaluated
    assert not report.passed
    assert report.exit_code() == 2
    assert "no rule applies" in report.nothing_evaluated_reason()


@pytest.mark.parametrize("fail_on", ["error", "never"])
def test_no_model_is_nothing_evaluated(tmp_path, fail_on):
    pols = policies_of(tmp_path, [{"id": "r", "check": "true"}])
    report = evaluate([], pols, now=NOW, fail_on=fail_on)
    assert report.nothing_evaluated and not report.passed
    assert report.exit_code() == 2
    assert report.nothing_evaluated_reason() == "no model found"


def test_no_policy_is_nothing_evaluated_and_says_so():
    report = evaluate(MODEL, [], now=NOW)
    assert report.exit_code() == 2
    assert report.nothing_evaluated_reason() == "no policy found"


def test_applicability_error_cannot_be_waived(tmp_path):
    """A catch-all waiver must not let a model that nothing was evaluated for pass."""
    pols = policies_of(tmp_path, [{"id": "r", "when": "model.name == 'a'", "check": "true"}])
    catch_all = waiver("*", ("*",), "2027-01-01T00:00:00Z")
    report = evaluate([{"name": "a"}, {"name": "b"}], pols, now=NOW, waivers=[catch_all])
    b = report.models[1]
    assert b.results[-1].status is Status.ERROR
    assert not b.passed
    assert report.exit_code() == 1


def test_a_catch_all_waiver_never_waives_an_applies_to_or_when_error(tmp_path):
    """`spec: {}` makes applies_to and when fail; a `p/*` waiver covers the rules'
    failures, not the question of whether they apply (issue 14, item 5)."""
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({
        "apiVersion": "policygate/v1", "kind": "Policy", "metadata": {"name": "p"},
        "spec": {"applies_to": "model.spec.risk_tier == 'high'",
                 "rules": [{"id": "r", "check": "false"}]},
    }), encoding="utf-8")  # fmt: skip
    when_path = tmp_path / "q.yaml"
    when_path.write_text(yaml.safe_dump({
        "apiVersion": "policygate/v1", "kind": "Policy", "metadata": {"name": "q"},
        "spec": {"rules": [{"id": "r", "when": "model.spec.risk_tier == 'high'",
                            "check": "false"}]},
    }), encoding="utf-8")  # fmt: skip
    catch_all = waiver("*", ("*",), "2027-01-01T00:00:00Z")
    for source in (path, when_path):
        pols = load_policies([source])
        report = evaluate([{"metadata": {"name": "m", "version": "1"}, "spec": {}}], pols,
                          now=NOW, waivers=[catch_all])  # fmt: skip
        (result,) = report.models[0].results
        assert result.status is Status.ERROR and result.waiver is None
        assert not report.passed and report.exit_code() == 1


def test_a_model_whose_every_result_is_waived_does_not_pass(tmp_path):
    """'Nothing evaluated' is judged after waivers: waivers alone never pass a model."""
    pols = policies_of(tmp_path, FAILING)
    report = evaluate(MODEL, pols, now=NOW, waivers=[waiver("p/*", ("m",), "2027-01-01T00:00:00Z")])
    model = report.models[0]
    assert [r.status for r in model.results[:2]] == [Status.WAIVED, Status.WAIVED]
    assert model.results[-1].rule == "applicability"
    assert model.results[-1].message.startswith("every rule that applies to this model was waived")
    assert not report.passed and report.exit_code() == 2


# --------------------------------------------------------------------------- waivers


FAILING = [
    {"id": "fairness.gap", "check": "false", "message": "gap too large", "controls": ["c:1"]},
    {"id": "approval", "check": "model.spec.approvals.size() > 0", "controls": ["c:2"]},
]


PASSING_TOO = {"id": "documented", "check": "true"}


def test_active_waiver_waives_a_failure_and_an_error(tmp_path):
    pols = policies_of(tmp_path, [*FAILING, PASSING_TOO])
    waivers = [waiver("p/fairness.gap", ("m@1.*",), "2026-12-31T00:00:00Z", name="w1"),
               waiver("p/approval", ("m@1.*",), "2026-12-31T00:00:00Z", name="w2")]  # fmt: skip
    report = evaluate(MODEL, pols, now=NOW, waivers=waivers)
    model_report = report.models[0]
    assert statuses(report) == {
        "fairness.gap": "waived", "approval": "waived", "documented": "pass"
    }  # fmt: skip
    gap = model_report.results[0]
    assert gap.message == "gap too large"
    assert gap.waiver is not None
    assert (gap.waiver.name, gap.waiver.expired, gap.waiver.expires_at) == (
        "w1",
        False,
        "2026-12-31T00:00:00Z",
    )
    assert gap.waiver.approved_by == "carol@example.com"
    assert model_report.passed and report.passed
    assert [(c.id, c.status) for c in model_report.controls] == [
        ("c:1", ControlState.WAIVED),
        ("c:2", ControlState.WAIVED),
    ]


def test_expired_waiver_waives_nothing_and_says_when(tmp_path):
    pols = policies_of(tmp_path, FAILING)
    waivers = [waiver("p/fairness.gap", ("m",), "2026-11-01T12:00:00Z", name="old")]
    report = evaluate(MODEL, pols, now=NOW, waivers=waivers)
    gap = report.models[0].results[0]
    assert gap.status is Status.FAIL
    assert gap.message == "gap too large (waiver 'old' expired 2026-11-01T12:00:00Z)"
    assert gap.waiver is not None and gap.waiver.expired
    assert not report.passed


def test_waiver_expiring_exactly_now_is_expired(tmp_path):
    pols = policies_of(tmp_path, FAILING[:1])
    report = evaluate(MODEL, pols, now=NOW, waivers=[waiver("p/*", ("m",), NOW)])
    assert report.models[0].results[0].status is Status.FAIL


def test_active_waiver_wins_over_an_expired_one(tmp_path):
    pols = policies_of(tmp_path, [FAILING[0], PASSING_TOO])
    waivers = [
        waiver("p/fairness.gap", ("m",), "2026-01-01T00:00:00Z", name="old"),
        waiver("p/fairness.gap", ("m",), "2027-01-01T00:00:00Z", name="new"),
    ]
    result, _ = evaluate(MODEL, pols, now=NOW, waivers=waivers).models[0].results
    assert result.status is Status.WAIVED
    assert result.waiver.name == "new"


@pytest.mark.parametrize(
    ("rule", "models"),
    [
        ("p/other", ("m",)),
        ("q/*", ("m",)),
        ("p/*", ("n",)),
        ("p/*", ("m@2.*",)),
    ],
)
def test_waiver_that_does_not_match_changes_nothing(tmp_path, rule, models):
    pols = policies_of(tmp_path, FAILING[:1])
    (result,) = (
        evaluate(MODEL, pols, now=NOW, waivers=[waiver(rule, models, "2027-01-01T00:00:00Z")])
        .models[0]
        .results
    )
    assert result.status is Status.FAIL
    assert result.waiver is None


def test_waiver_never_touches_passing_or_skipped_results(tmp_path):
    pols = policies_of(
        tmp_path, [{"id": "ok", "check": "true"}, {"id": "s", "when": "false", "check": "false"}]
    )
    report = evaluate(MODEL, pols, now=NOW, waivers=[waiver("*", ("*",), "2027-01-01T00:00:00Z")])
    assert statuses(report) == {"ok": "pass", "s": "skip"}
    assert all(r.waiver is None for r in report.models[0].results)


# --------------------------------------------------------------------------- controls


def test_control_statuses(tmp_path):
    pols = policies_of(
        tmp_path,
        [
            {"id": "a", "check": "true", "controls": ["c:sat", "c:mixed"]},
            {"id": "b", "check": "false", "controls": ["c:mixed", "c:bad"]},
            {"id": "c", "when": "false", "check": "true", "controls": ["c:unv"]},
            {"id": "d", "check": "false", "controls": ["c:wv"]},
            {"id": "e", "check": "true", "controls": ["c:wv"]},
        ],
    )
    report = evaluate(MODEL, pols, now=NOW, waivers=[waiver("p/d", ("m",), "2027-01-01T00:00:00Z")])
    controls = {c.id: (c.status.value, c.rules) for c in report.models[0].controls}
    assert controls == {
        "c:bad": ("violated", ("p/b",)),
        "c:mixed": ("violated", ("p/a", "p/b")),
        "c:sat": ("satisfied", ("p/a",)),
        "c:unv": ("unverified", ("p/c",)),
        "c:wv": ("waived", ("p/d", "p/e")),
    }
    assert [c.id for c in report.models[0].controls] == sorted(controls)


# --------------------------------------------------------------------------- model_schema


def test_model_schema_violations_are_fail_results_naming_json_paths(tmp_path):
    schema = {
        "type": "object",
        "required": ["metadata"],
        "properties": {
            "metadata": {
                "type": "object",
                "required": ["owner"],
                "properties": {"version": {"type": "string"}},
            }
        },
    }
    (tmp_path / "schema.json").write_text(json.dumps(schema))
    pols = policies_of(tmp_path, [{"id": "r", "check": "true"}], model_schema="schema.json")
    model = {"metadata": {"name": "m", "version": 3}}
    results = evaluate(model, pols, now=NOW).models[0].results
    schema_results = [r for r in results if r.rule == "schema"]
    assert [(r.status.value, r.item) for r in schema_results] == [
        ("fail", "$.metadata"),
        ("fail", "$.metadata.version"),
    ]
    assert schema_results[0].message == "$.metadata: 'owner' is required"
    assert schema_results[1].message == "$.metadata.version: must be of type string, got number"
    good = evaluate({"metadata": {"owner": "x", "version": "1"}}, pols, now=NOW).models[0].results
    assert [(r.rule, r.status.value) for r in good] == [("schema", "pass"), ("r", "pass")]


# --------------------------------------------------------------------------- inputs and outputs


def test_model_as_dict_record_and_path(tmp_path):
    pols = policies_of(tmp_path, [{"id": "r", "check": "model.spec.metrics.auc >= 0.8"}])
    path = tmp_path / "model.json"
    path.write_text(json.dumps(MODEL))
    record = ModelRecord("m", "1.0.0", MODEL, source="somewhere")
    report = evaluate([MODEL, record, path, str(path)], pols, now=NOW)
    assert [(m.name, m.version, m.source) for m in report.models] == [
        ("m", "1.0.0", "<memory>"),
        ("m", "1.0.0", "somewhere"),
        ("m", "1.0.0", str(path)),
        ("m", "1.0.0", str(path)),
    ]
    assert all(m.passed for m in report.models)
    assert evaluate(path, pols, now=NOW).models[0].source == str(path)


def test_directory_of_models(tmp_path):
    pols = policies_of(tmp_path, [{"id": "r", "check": "true"}])
    report = evaluate([EXAMPLES / "models"], pols, now=NOW)
    assert len(report.models) == 4


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2026-11-26T01:00:00+01:00", "2026-11-26T00:00:00Z"),
        (dt.datetime(2026, 11, 26, tzinfo=dt.UTC), "2026-11-26T00:00:00Z"),
        ("2026-11-26T00:00:00.5Z", "2026-11-26T00:00:00.5Z"),
    ],
)
def test_now_is_normalised_to_utc(tmp_path, now, expected):
    pols = policies_of(tmp_path, [{"id": "r", "check": "true"}])
    assert evaluate(MODEL, pols, now=now).now == expected


BAD_NOWS = ["yesterday", "2026-11-26", "2026-11-26T00:00:00", "2026-02-30T00:00:00Z"]


@pytest.mark.parametrize("now", [*BAD_NOWS, dt.datetime(2026, 11, 26)])
def test_bad_now_is_a_usage_error(tmp_path, now):
    pols = policies_of(tmp_path, [{"id": "r", "check": "true"}])
    with pytest.raises(UsageError):
        evaluate(MODEL, pols, now=now)


def test_default_now_is_the_current_second(tmp_path):
    pols = policies_of(tmp_path, [{"id": "r", "check": "true"}])
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    report = evaluate(MODEL, pols)
    after = dt.datetime.now(dt.UTC)
    moment = dt.datetime.fromisoformat(report.now.replace("Z", "+00:00"))
    assert before <= moment <= after
    assert "." not in report.now


def test_report_names_policies_and_engine(tmp_path):
    pols = policies_of(tmp_path, [{"id": "r", "check": "true"}])
    report = evaluate(MODEL, pols, now=NOW)
    assert report.engine == cel.ENGINE == "policygate"
    (ref,) = report.policies
    assert ref.name == "p" and ref.digest.startswith("sha256:")


def test_report_validates_against_the_shipped_schema(tmp_path):
    pols = policies_of(
        tmp_path,
        [
            {"id": "a", "check": "true", "controls": ["c:x"]},
            {"id": "b", "for_each": "model.spec.metrics", "check": "item > 0.8"},
            {"id": "c", "check": "model.nope"},
            {"id": "d", "check": "false"},
        ],
    )
    report = evaluate(MODEL, pols, now=NOW, waivers=[waiver("p/d", ("m",), "2027-01-01T00:00:00Z")])
    shipped_validator("Report").validate(report.to_dict())


def test_evaluation_errors_never_escape_as_exceptions(tmp_path):
    pols = policies_of(
        tmp_path,
        [
            {"id": "div", "check": "1 / 0 > 0"},
            {"id": "idx", "check": "model.spec.evaluations[5].auc > 0"},
            {"id": "re", "check": 'model.metadata.name.matches("[")'},
            {"id": "ts", "check": 'timestamp("not a time") < now'},
            {"id": "msg", "check": "false", "message": "value {model.nope.deeper}"},
        ],
    )
    report = evaluate(MODEL, pols, now=NOW)
    got = statuses(report)
    assert got == {"div": "error", "idx": "error", "re": "error", "ts": "error", "msg": "fail"}
    assert report.models[0].results[-1].message.startswith("value <")


def test_library_errors_derive_from_policygate_error(tmp_path):
    with pytest.raises(PolicygateError):
        evaluate(tmp_path / "nope.yaml", [], now=NOW)
