"""``--set PATH=VALUE`` and ``set=``: record defaults (SPEC §5, §11, §13).

A default fills what a record does not say and never overrides what it says;
approvals and the record's identity can never be set; the value is YAML 1.2 core;
a bad path is a usage error (exit 2); a signed approval covers the record as judged.
"""

from __future__ import annotations

import copy
import datetime as _dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import policygate
from policygate.approvals import load_approvers, sign_approval
from policygate.approvals.signing import generate_key
from policygate.cli import main
from policygate.documents import load_file, to_yaml
from policygate.errors import GateFailed, LoadError, UsageError
from policygate.models import apply_set, model_from_data, parse_set, set_conflicts

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "models" / "credit-default-passes.yaml"
POLICIES = ROOT / "policies"
NOW = "2026-11-26T00:00:00Z"
SET = ["--set", "spec.risk_tier=high", "--set", "metadata.target_stage=production"]


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def example() -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(load_file(EXAMPLE)[0].data)
    return data


@pytest.fixture
def untiered(tmp_path) -> Path:
    """The passing example as a source would give it: no risk tier, no target stage."""
    data = example()
    del data["spec"]["risk_tier"]
    del data["metadata"]["target_stage"]
    path = tmp_path / "credit-default.yaml"
    path.write_text(to_yaml(data), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- parsing


def test_values_are_read_as_yaml_1_2_core():
    assert parse_set(
        ["spec.risk_tier=high", "spec.metrics.auc=0.9", "metadata.labels.on=yes",
         "spec.risks=[R-1, R-2]", "spec.extra.x=1:30", "spec.extra.n=null"]
    ) == {
        "spec.risk_tier": "high",
        "spec.metrics.auc": 0.9,
        "metadata.labels.on": "yes",  # 1.2 core: yes is a string
        "spec.risks": ["R-1", "R-2"],
        "spec.extra.x": "1:30",  # not base 60
        "spec.extra.n": None,
    }  # fmt: skip


@pytest.mark.parametrize(
    "bad",
    [
        "risk_tier=high",  # not under metadata./spec.
        "spec=high",
        "kind.x=Policy",
        "apiVersion.x=1",
        "spec..risk_tier=high",
        "spec.risk_tier",  # no '='
        "spec. risk_tier=high",
    ],
)
def test_a_bad_path_is_a_usage_error(bad):
    with pytest.raises(UsageError, match="PATH"):
        parse_set([bad])


@pytest.mark.parametrize(
    "refused",
    [
        "spec.approvals=[{role: model-risk-officer, approver: x, decision: approved}]",
        "spec.approvals.0.decision=approved",
        "spec.approvals.verified=true",
        "metadata.name=other-model",
        "metadata.version=9",
    ],
)
def test_approvals_and_identity_cannot_be_set(refused):
    with pytest.raises(UsageError, match="cannot be set"):
        parse_set([refused])


@pytest.mark.parametrize(
    ("refused", "why"),
    [
        ("spec.approvals=[]", "spec.approvals cannot be set: approvals come from the record or"
         " its attestations"),
        ("metadata.name=x", "metadata.name cannot be set: the name and version identify the"
         " record"),
        ("metadata.version=9", "metadata.version cannot be set: the name and version identify"
         " the record"),
    ],
)  # fmt: skip
def test_a_refused_path_says_its_own_reason(refused, why):
    """Each refused path gets its reason, not both (the name was refused because
    "approvals come from the record")."""
    with pytest.raises(UsageError) as raised:
        parse_set([refused])
    assert raised.value.message.endswith(why)


def test_the_same_path_twice_is_a_usage_error():
    with pytest.raises(UsageError, match="given twice"):
        parse_set(["spec.risk_tier=high", "spec.risk_tier=limited"])


# --------------------------------------------------------------------------- applying


def test_a_default_fills_only_what_the_record_does_not_say():
    record = model_from_data(
        {"metadata": {"name": "m", "version": "1", "owner": None},
         "spec": {"risk_tier": "high", "lineage": "in the wiki"}}
    )  # fmt: skip
    settings_ = {
        "spec.risk_tier": "minimal",  # given: stays
        "metadata.owner": "team",  # null: filled
        "metadata.target_stage": "production",  # missing: filled
        "spec.lineage.code.commit": "abc",  # a string where a mapping would be: stays
    }
    applied = apply_set(record, settings_)
    assert applied.data == {
        "metadata": {"name": "m", "version": "1", "owner": "team", "target_stage": "production"},
        "spec": {"risk_tier": "high", "lineage": "in the wiki"},
    }
    assert record.data["metadata"] == {"name": "m", "version": "1", "owner": None}  # untouched
    assert set_conflicts(record, settings_) == [
        "spec.risk_tier: the record gives 'high', kept instead of the default 'minimal'",
        "spec.lineage.code.commit: the record gives 'in the wiki', kept instead of the"
        " default 'abc'",
    ]


def test_a_default_the_schema_refuses_is_a_load_error():
    record = model_from_data(example(), "credit.yaml")
    del record.data["spec"]["risk_tier"]
    with pytest.raises(LoadError) as raised:
        apply_set(record, {"spec.risk_tier": "extreme"})
    # A local file is not imported: the message says what is invalid (it said "imported").
    assert raised.value.message.startswith(
        "--set: the record with its defaults is not a valid ModelRecord: $.spec.risk_tier:"
    )


_keys = st.text(alphabet="abcxyz_", min_size=1, max_size=3)
_leaves = st.one_of(st.none(), st.integers(), st.text(max_size=3), st.booleans())
_trees = st.recursive(
    _leaves, lambda children: st.dictionaries(_keys, children, max_size=3), max_leaves=8
)


def _paths(tree: Any, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    if not isinstance(tree, dict) or not tree:
        return {prefix: tree}
    found: dict[tuple[str, ...], Any] = {}
    for key, value in tree.items():
        found.update(_paths(value, (*prefix, key)))
    return found


@settings(max_examples=200, deadline=None)
@given(
    spec=st.dictionaries(_keys, _trees, max_size=4),
    defaults=st.dictionaries(
        st.lists(_keys, min_size=1, max_size=3).map(lambda p: "spec." + ".".join(p)),
        _leaves,
        max_size=4,
    ),
)
def test_a_default_never_changes_a_value_the_record_gives(spec, defaults):
    """The law of record defaults: every non-null value of the record survives, the
    result is a fixed point (applying again changes nothing), the input is untouched."""
    data = {"metadata": {"name": "m", "version": "1"}, "spec": spec}
    before = copy.deepcopy(data)
    applied = apply_set(data, defaults).data
    assert data == before
    for path, value in _paths(before["spec"], ("spec",)).items():
        if value is None or value == {}:
            continue
        node: Any = applied
        for part in path:
            node = node[part]
        assert node == value
    assert apply_set(applied, defaults).data == applied


# --------------------------------------------------------------------------- commands


def test_check_passes_a_source_that_says_no_tier_given_the_set_it_needs(untiered):
    without = run("check", str(untiered), "-p", str(POLICIES), "--now", NOW)
    assert without.exit_code == 1, without.output
    given_ = run("check", str(untiered), "-p", str(POLICIES), "--now", NOW, *SET)
    assert given_.exit_code == 0, given_.output
    assert "\n1 model, 1 passed, 0 failed · 44 pass, 0 fail, 0 error, " in given_.stdout


def test_check_keeps_the_records_value_and_warns(tmp_path):
    result = run("check", str(EXAMPLE), "-p", str(POLICIES), "--now", NOW,
                 "--set", "spec.risk_tier=minimal", "-f", "json")  # fmt: skip
    assert result.exit_code == 0
    assert result.stderr == (
        "policygate: warning: credit-default@3.1.0: --set spec.risk_tier: the record gives"
        " 'high', kept instead of the default 'minimal'\n"
    )
    report = json.loads(result.stdout)
    assert {p["name"] for p in report["policies"]} >= {"production-promotion"}
    assert any(r["policy"] == "production-promotion" for r in report["models"][0]["results"])


@pytest.mark.parametrize(
    "assignment, message",
    [
        ("risk_tier=high", "PATH must be a dotted path under metadata. or spec."),
        ("spec.approvals=[]", "spec.approvals cannot be set"),
        ("spec.risk_tier=[unclosed", "value does not parse"),
        ("spec.risk_tier=extreme", "is not a valid ModelRecord"),
    ],
)
@pytest.mark.parametrize("command", ["check", "explain", "diff"])
def test_a_bad_set_exits_2_on_every_evaluating_command(untiered, command, assignment, message):
    args = {
        "check": ["check", str(untiered), "-p", str(POLICIES)],
        "explain": ["explain", str(untiered), "-p", str(POLICIES), "--rule", "metadata.required"],
        "diff": ["diff", str(untiered), "--base", str(POLICIES), "--head", str(POLICIES)],
    }[command]
    result = run(*args, "--now", NOW, "--set", assignment)
    assert result.exit_code == 2, result.output
    assert message in result.stderr


def test_explain_and_diff_judge_the_record_with_its_defaults(untiered):
    rule = "production-promotion/performance.auc"
    explained = run("explain", str(untiered), "-p", str(POLICIES), "--rule", rule,
                    "--now", NOW, "-f", "json", *SET)  # fmt: skip
    assert explained.exit_code == 0, explained.output
    assert json.loads(explained.stdout)["status"] == "pass"
    unset = run("explain", str(untiered), "-p", str(POLICIES), "--rule",
                "production-promotion/performance.auc", "--now", NOW, "-f", "json")  # fmt: skip
    assert json.loads(unset.stdout)["status"] != "pass"  # applies_to cannot read the tier
    diffed = run("diff", str(untiered), "--base", str(POLICIES), "--head", str(POLICIES),
                 "--now", NOW, "-f", "json", "--set", "spec.risk_tier=high")  # fmt: skip
    assert diffed.exit_code == 0, diffed.output


def test_audit_fills_defaults_and_keeps_what_a_record_gives(tmp_path, untiered):
    given_tier = tmp_path / "given.yaml"
    data = example()
    data["metadata"]["name"] = "limited-one"
    data["spec"]["risk_tier"] = "limited"
    given_tier.write_text(to_yaml(data), encoding="utf-8")
    result = run("audit", str(untiered), str(given_tier), "-p", str(POLICIES), "--now", NOW,
                 "--set", "spec.risk_tier=high", "-f", "json")  # fmt: skip
    models = {m["name"]: m for m in json.loads(result.stdout)["models"]}
    policies_of = {
        name: {r["policy"] for r in m["results"] if r["status"] != "skip"}
        for name, m in models.items()
    }
    assert "production-promotion" in policies_of["credit-default"]  # filled
    assert "production-promotion" not in policies_of["limited-one"]  # kept
    assert "limited-risk-promotion" in policies_of["limited-one"]


def test_audit_refuses_setting_approvals(untiered):
    result = run("audit", str(untiered), "-p", str(POLICIES), "--now", NOW,
                 "--set", "spec.approvals=[]")  # fmt: skip
    assert result.exit_code == 2
    assert "spec.approvals cannot be set" in result.stderr


# --------------------------------------------------------------------------- library


def test_evaluate_and_gate_take_set(untiered):
    policies = policygate.load_policies([str(POLICIES)])
    defaults = {"spec.risk_tier": "high", "metadata.target_stage": "production"}
    report = policygate.evaluate([str(untiered)], policies, now=NOW, set=defaults)
    assert report.passed
    assert policygate.gate(str(untiered), policies, now=NOW, set=defaults).passed
    with pytest.raises(GateFailed):
        policygate.gate(str(untiered), policies, now=NOW)


def test_a_rejection_cannot_be_lifted_by_a_default(tmp_path):
    data = example()
    data["spec"]["approvals"][0]["decision"] = "rejected"
    policies = policygate.load_policies([str(POLICIES)])
    report = policygate.evaluate(
        [data], policies, now=NOW, set={"spec.risk_tier": "minimal"}
    )
    assert not report.passed
    with pytest.raises(UsageError, match="cannot be set"):
        policygate.evaluate([data], policies, now=NOW, set={"spec.approvals": []})


# --------------------------------------------------------------------------- signatures


def test_a_signature_covers_the_record_as_judged_defaults_included(tmp_path):
    """What the approver signed is what the rules judge: a default filled in after the
    signature makes the approval unverified (fail closed); signed with it, it verifies."""
    key = generate_key()
    directory = tmp_path / "approvers.yaml"
    directory.write_text(to_yaml({
        "apiVersion": "policygate/v1", "kind": "Approvers", "metadata": {"name": "d"},
        "spec": {"approvers": [{"id": "bob@example.com", "roles": ["model-risk-officer"],
                                "keys": [{"public_key": key.public.text}]}]},
    }), encoding="utf-8")  # fmt: skip
    approvers = load_approvers([directory])
    data = example()
    del data["metadata"]["target_stage"]
    data["spec"]["approvals"] = []
    granted = _dt.datetime(2026, 11, 20, tzinfo=_dt.UTC)
    sign = dict(role="model-risk-officer", approver="bob@example.com", granted_at=granted,
                expires_at=granted + _dt.timedelta(days=90), scope="production")  # fmt: skip
    data["spec"]["approvals"] = [sign_approval(data, key, **sign)]
    policies = policygate.load_policies([str(POLICIES)])
    defaults = {"metadata.target_stage": "production"}

    def verification(record: dict[str, Any]) -> str:
        report = policygate.evaluate(
            [record], policies, now=NOW, approvers=approvers, set=defaults,
            params={"require_signed_approvals": True},
        )  # fmt: skip
        (signed,) = [r for r in report.models[0].results
                     if r.rule == "approval.signed" and r.item == 0]  # model-risk-officer
        return signed.status.value

    assert verification(data) == "fail"
    filled = apply_set(data, defaults).data
    filled["spec"]["approvals"] = [sign_approval(filled, key, **sign)]
    assert verification(filled) == "pass"


# --------------------------------------------------------------------------- serve


def test_serve_fills_its_defaults_into_every_record_it_judges(untiered):
    from policygate.serve import ServeSettings, build_app

    data = load_file(untiered)[0].data
    body = json.dumps({"models": [data], "now": NOW}).encode()
    plain = build_app(ServeSettings(policies=(str(POLICIES),)))
    assert json.loads(plain.check(plain.served.current, body).body)["passed"] is False
    served = build_app(ServeSettings(policies=(str(POLICIES),), assignments=tuple(SET[1::2])))
    answer = served.check(served.served.current, body)
    assert answer.status == 200 and json.loads(answer.body)["passed"] is True


def test_serve_refuses_a_bad_set_before_it_starts():
    result = run("serve", "-p", str(POLICIES), "--set", "spec.approvals=[]")
    assert result.exit_code == 2
    assert "spec.approvals cannot be set" in result.stderr


def test_import_cannot_write_an_approval_either(tmp_path):
    """``import --set`` writes the record a later check reads: an approval set there would
    be one forged through --set, so it is refused too (exit 2, nothing written)."""
    card = ROOT / "tests" / "data" / "realdata" / "hf-modelcard"
    source = next(p for p in sorted(card.rglob("*.md")))
    out = tmp_path / "record.yaml"
    forged = "spec.approvals=[{role: model-risk-officer, decision: approved}]"
    result = run("import", f"hf:{source}", "-o", str(out), "--set", forged)
    assert result.exit_code == 2
    assert "spec.approvals cannot be set" in result.stderr
    assert not out.exists()
