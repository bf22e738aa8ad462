"""Tests for policy parameters: ``--param NAME=VALUE`` parsing and overriding."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from policygate.errors import UsageError
from policygate.policy import Policy, apply_params, load_policies, parse_param


@pytest.mark.parametrize(
    ("assignment", "expected"),
    [
        ("a=0.9", ("a", 0.9)),
        ("a=1", ("a", 1)),
        ("a=-2", ("a", -2)),
        ("a=1e-3", ("a", 0.001)),
        ("a=true", ("a", True)),
        ("a=false", ("a", False)),
        ("a=[x, y]", ("a", ["x", "y"])),
        ("a=[1, 2.5]", ("a", [1, 2.5])),
        ("a={b: 1}", ("a", {"b": 1})),
        ("a=2026-01-01", ("a", "2026-01-01")),
        ("a=2026-01-01T00:00:00Z", ("a", "2026-01-01T00:00:00Z")),
        ("a=hello world", ("a", "hello world")),
        ('a="0.9"', ("a", "0.9")),
        ("a=x=y", ("a", "x=y")),
        ("a=^RA-[0-9]{4}$", ("a", "^RA-[0-9]{4}$")),
        (" a = 1 ", ("a", 1)),
        ("min_auc=0.85", ("min_auc", 0.85)),
        ("a=", ("a", None)),
    ],
)
def test_parse_param_reads_the_value_as_yaml(assignment: str, expected: tuple[str, Any]) -> None:
    name, value = parse_param(assignment)
    assert (name, value) == expected
    assert type(value) is type(expected[1])


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("noequals", "--param 'noequals': expected NAME=VALUE"),
        ("=x", "--param '=x': expected NAME=VALUE"),
        (" =x", "--param ' =x': expected NAME=VALUE"),
        ("a b=1", "--param 'a b=1': 'a b' is not a parameter name"),
        ("1a=1", "--param '1a=1': '1a' is not a parameter name"),
        ("a=--- 1\n--- 2", "--param a: value holds several YAML documents"),
    ],
)
def test_parse_param_usage_errors(assignment: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_param(assignment)
    assert info.value.message == message
    assert info.value.location is None


@pytest.mark.parametrize(
    ("assignment", "detail"),
    [
        ("a=[1,", "expected a value, but found the end of the file"),
        ("a={b: 1", "expected ',' or '}'"),
        ("a=!!python/object x", "tag !!python/object is not allowed"),
        ("a=.inf", "is not a finite number"),
        ("a='unclosed", "the quoted string opened at line 1, column 1 is never closed"),
    ],
)
def test_parse_param_values_that_do_not_parse(assignment: str, detail: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_param(assignment)
    assert info.value.message.startswith("--param a: value does not parse: ")
    assert detail in info.value.message


# --------------------------------------------------------------------------- apply_params


def write_policy(path: Path, name: str, params: str, extends: str = "") -> Path:
    text = f"apiVersion: policygate/v1\nkind: Policy\nmetadata: {{name: {name}}}\nspec:\n"
    if extends:
        text += f"  extends: [{extends}]\n"
    text += f"  params: {params}\n  rules: [{{id: r, check: 'true'}}]\n"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def policies(tmp_path: Path) -> list[Policy]:
    write_policy(tmp_path / "a.yaml", "a", "{min_auc: 0.8, roles: [x]}")
    write_policy(tmp_path / "b.yaml", "b", "{min_auc: 0.7, days: 30}")
    write_policy(tmp_path / "c.yaml", "c", "{}")
    return load_policies([tmp_path])


def test_an_override_applies_to_every_policy_that_declares_it(policies: list[Policy]) -> None:
    a, b, c = apply_params(policies, {"min_auc": 0.9})
    assert dict(a.params) == {"min_auc": 0.9, "roles": ["x"]}
    assert dict(b.params) == {"min_auc": 0.9, "days": 30}
    assert dict(c.params) == {}
    assert c is policies[2]  # nothing to override: the same policy
    # The loaded policies are values: overriding makes new ones.
    assert dict(policies[0].params) == {"min_auc": 0.8, "roles": ["x"]}
    assert a.rules == policies[0].rules
    longer = apply_params(policies, {"days": 45})[1]
    assert longer.params["days"] == 45


def test_an_override_only_reaches_the_policies_that_declare_it(policies: list[Policy]) -> None:
    a, b, c = apply_params(policies, {"days": 7, "roles": ["y", "z"]})
    assert dict(a.params) == {"min_auc": 0.8, "roles": ["y", "z"]}
    assert dict(b.params) == {"min_auc": 0.7, "days": 7}
    assert "days" not in a.params and "roles" not in b.params
    assert dict(c.params) == {}


def test_an_unknown_param_is_a_usage_error_listing_the_declared_ones(
    policies: list[Policy],
) -> None:
    with pytest.raises(UsageError) as info:
        apply_params(policies, {"min_acu": 0.9, "min_auc": 0.9, "other": 1})
    assert info.value.message == (
        "unknown param min_acu, other (the loaded policies declare: days, min_auc, roles)"
    )


def test_an_unknown_param_when_nothing_is_declared(tmp_path: Path) -> None:
    (policy,) = load_policies([write_policy(tmp_path / "c.yaml", "c", "{}")])
    with pytest.raises(UsageError) as info:
        apply_params([policy], {"x": 1})
    assert info.value.message == "unknown param x (the loaded policies declare: none)"


def test_no_override_is_no_change(policies: list[Policy]) -> None:
    assert apply_params(policies, {}) == policies


def test_load_policies_applies_params(tmp_path: Path) -> None:
    write_policy(tmp_path / "a.yaml", "a", "{min_auc: 0.8}")
    (policy,) = load_policies([tmp_path], params={"min_auc": 0.95})
    assert dict(policy.params) == {"min_auc": 0.95}
    with pytest.raises(UsageError):
        load_policies([tmp_path], params={"nope": 1})


def test_an_override_reaches_params_inherited_through_extends(tmp_path: Path) -> None:
    write_policy(tmp_path / "base.yaml", "base", "{inherited: 1, both: 1}")
    write_policy(tmp_path / "child.yaml", "child", "{both: 2}", extends="base.yaml")
    base, child = load_policies([tmp_path])
    assert dict(child.params) == {"inherited": 1, "both": 2}
    base2, child2 = apply_params([base, child], {"inherited": 10, "both": 20})
    assert dict(base2.params) == {"inherited": 10, "both": 20}
    assert dict(child2.params) == {"inherited": 10, "both": 20}


def test_a_parsed_param_overrides_and_is_used_by_the_rules(tmp_path: Path) -> None:
    import datetime as dt

    from policygate import cel

    write_policy(tmp_path / "a.yaml", "a", "{min_auc: 0.8}")
    (policy,) = load_policies([tmp_path])
    (policy,) = apply_params([policy], dict([parse_param("min_auc=1")]))
    backend = cel.get_backend()
    program = backend.compile("model.auc >= params.min_auc")
    activation = backend.activation(
        model={"auc": 0.99},
        params=policy.params,
        now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        inputs={},
    )
    assert backend.truth(program.evaluate(activation)) is False


SHIPPED = Path(__file__).resolve().parents[1] / "policies"


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("min_auc=abc", "--param min_auc='abc' is not a number, as its default in policy"),
        ("min_auc=true", "--param min_auc=True is not a number"),  # a bool is never a number
        ("require_signed_approvals=yes", "--param require_signed_approvals='yes' is not a bool"),
        ("require_signed_approvals=1", "--param require_signed_approvals=1 is not a bool"),
        ("required_roles=model-risk-officer", "is not a list"),
        ("risk_assessment_pattern=[a]", "is not a string"),
    ],
)
def test_a_param_that_does_not_fit_its_declared_type_is_a_usage_error(
    assignment: str, message: str
) -> None:
    """SPEC §5: exit 2 before any model is judged, not every model failing with an
    error result (`min_auc=abc` made performance.auc an error on every model)."""
    from click.testing import CliRunner

    from policygate.cli import main

    with pytest.raises(UsageError) as refused:
        load_policies([SHIPPED], params=dict([parse_param(assignment)]))
    assert message in refused.value.message
    model = str(SHIPPED.parent / "examples" / "models" / "credit-default-passes.yaml")
    result = CliRunner().invoke(main, ["check", model, "-p", str(SHIPPED), "--param", assignment])
    assert result.exit_code == 2 and message in result.output


@pytest.mark.parametrize("assignment", ["min_auc=1", "min_auc=0.9", "required_roles=[a, b]",
                                        "require_signed_approvals=true"])  # fmt: skip
def test_a_param_of_its_declared_type_is_taken(assignment: str) -> None:
    name, value = parse_param(assignment)
    (policy, *_) = [p for p in load_policies([SHIPPED], params={name: value}) if name in p.params]
    assert policy.params[name] == value
