"""policygate.authorize (SPEC §8): access rules, promotions, fail closed."""

from __future__ import annotations

import json

import pytest
from access_support import CREATOR, CREDIT_LIMIT, NOW, record, request

import policygate
from policygate import UsageError, authorize
from policygate.report import Status


def test_allowed_when_every_rule_that_judges_the_action_passes(access, promotion):
    decision = authorize(
        request(),
        access_policies=access,
        policies=promotion,
        model=record(),
        protected_aliases=["champion"],
        trust_request_roles=True,
        now=NOW,
    )
    assert decision.allowed
    assert decision.is_promotion
    assert [(r.rule, r.status) for r in decision.results] == [
        ("protected-alias.role", Status.PASS),
        ("no-self-promotion", Status.PASS),
    ]
    assert decision.promotion is not None and decision.promotion.passed
    assert decision.failing == ()


def test_a_failing_rule_denies_with_its_message(access):
    decision = authorize(
        request(roles=()), access_policies=access, model=record(), trust_request_roles=True, now=NOW
    )
    assert not decision.allowed
    assert decision.failing == (
        (
            "registry-access/protected-alias.role",
            "rita@example.com may not move champion: the release-manager role is required",
        ),
    )
    assert "denied by policygate: registry-access/protected-alias.role" in decision.message()


def test_rules_judge_only_their_actions(access):
    # delete-model: neither rule judges it; nothing denies
    decision = authorize(request("delete-model", roles=()), access_policies=access, now=NOW)
    assert decision.allowed
    assert decision.results == ()


def test_a_when_that_is_false_skips_the_rule(access):
    decision = authorize(
        request(alias="staging-candidate", roles=()),
        access_policies=access,
        model=record(),
        trust_request_roles=True,
        now=NOW,
    )
    assert decision.allowed
    assert decision.results[0].status is Status.SKIP
    assert not decision.is_promotion  # no protected alias named


def test_a_rule_reading_a_missing_model_errors_and_denies(access):
    decision = authorize(request(), access_policies=access, trust_request_roles=True, now=NOW)
    assert not decision.allowed
    rules = dict(decision.failing)
    assert rules["registry-access/no-self-promotion"].startswith("cannot evaluate check")


def test_self_promotion_is_denied(access, promotion):
    decision = authorize(
        request(actor=CREATOR),
        access_policies=access,
        policies=promotion,
        model=record(),
        protected_aliases=["champion"],
        trust_request_roles=True,
        now=NOW,
    )
    assert not decision.allowed
    assert [rule for rule, _ in decision.failing] == ["registry-access/no-self-promotion"]


def test_a_promotion_without_a_model_record_is_denied(access):
    decision = authorize(
        request("transition-stage", stage="production", actor="bob"),
        access_policies=access,
        protected_stages=["Production"],
        now=NOW,
    )
    assert decision.is_promotion  # stages compare without case, as MLflow's do
    assert "policygate/promotion.model" in dict(decision.failing)


def test_a_promotion_with_no_promotion_policy_is_denied(access):
    decision = authorize(
        request(),
        access_policies=access,
        model=record(),
        protected_aliases=["champion"],
        trust_request_roles=True,
        now=NOW,
    )
    assert not decision.allowed
    assert list(dict(decision.failing)) == ["policygate/promotion.policies"]


def test_a_promotion_of_a_failing_model_is_denied_by_its_rules(access, promotion):
    decision = authorize(
        request(),
        access_policies=access,
        policies=promotion,
        model=record(CREDIT_LIMIT),
        protected_aliases=["champion"],
        trust_request_roles=True,
        now=NOW,
    )
    assert not decision.allowed
    assert decision.promotion is not None and not decision.promotion.passed
    assert decision.failing
    assert all(not rule.startswith("registry-access/") for rule, _ in decision.failing)


def test_an_unprotected_alias_is_no_promotion(access, promotion):
    decision = authorize(
        request(alias="challenger"),
        access_policies=access,
        policies=promotion,
        model=record(CREDIT_LIMIT),
        protected_aliases=["champion"],
        trust_request_roles=True,
        now=NOW,
    )
    assert decision.allowed and not decision.is_promotion and decision.promotion is None


def test_request_roles_are_not_trusted_by_default(access):
    decision = authorize(request(), access_policies=access, model=record(), now=NOW)
    assert decision.request["actor"]["roles"] == []
    assert not decision.allowed


def test_paths_are_loaded_like_loaded_policies(access_file):
    decision = authorize(request(roles=()), access_policies=[access_file], model=record(), now=NOW)
    assert dict(decision.failing).keys() == {"registry-access/protected-alias.role"}


def test_a_promotion_policy_given_as_access_policy_is_a_usage_error(promotion):
    with pytest.raises(UsageError, match="is a Policy, not a AccessPolicy"):
        authorize(request(), access_policies=promotion, now=NOW)


def test_no_access_policy_is_a_usage_error():
    with pytest.raises(UsageError, match="at least one access policy"):
        authorize(request(), access_policies=[], now=NOW)


def test_params_reach_access_policies(access):
    decision = authorize(
        request(alias="gold", roles=()),
        access_policies=access,
        model=record(),
        params={"protected_aliases": ["gold"]},
        now=NOW,
    )
    assert "registry-access/protected-alias.role" in dict(decision.failing)


def test_to_json_is_the_authorize_body(access):
    decision = authorize(request(roles=()), access_policies=access, model=record(), now=NOW)
    body = json.loads(decision.to_json())
    assert body["allowed"] is False
    assert [r["rule"] for r in body["results"]] == ["protected-alias.role", "no-self-promotion"]
    assert body["results"][0]["status"] == "fail"
    assert body["failing"][0]["rule"] == "registry-access/protected-alias.role"
    assert body["now"] == NOW


def test_the_same_inputs_give_the_same_bytes(access):
    first = authorize(request(), access_policies=access, model=record(), now=NOW)
    second = authorize(request(), access_policies=access, model=record(), now=NOW)
    assert first.to_json() == second.to_json()


def test_exported_from_the_package():
    assert policygate.authorize is authorize
    assert "authorize" in policygate.__all__ and "AccessDecision" in policygate.__all__


def test_a_waiver_grants_no_permission(access):
    from policygate.documents import load_text
    from policygate.waivers import waiver_from_document

    [document] = load_text(
        "apiVersion: policygate/v1\nkind: Waiver\nmetadata: {name: w}\nspec:\n"
        "  rule: registry-access/*\n  models: [credit-default]\n  justification: j\n"
        "  approved_by: a\n  expires_at: '2027-01-01T00:00:00Z'\n",
        "w.yaml",
    )
    decision = authorize(request(roles=()), access_policies=access, model=record(),
                         waivers=[waiver_from_document(document)], now=NOW)
    assert not decision.allowed
    assert decision.results[0].status is Status.FAIL and decision.results[0].waiver is None


def test_report_only_is_no_access_decision(access):
    with pytest.raises(UsageError, match="fail_on 'never' reports without failing"):
        authorize(request(roles=()), access_policies=access, model=record(), fail_on="never")
