"""kind: AccessPolicy loads as a Policy does, with actions and request (SPEC §8)."""

from __future__ import annotations

from pathlib import Path

import pytest
from access_support import ACCESS, CREDIT_DEFAULT, POLICIES

from policygate import NothingEvaluatedError, evaluate, load_access_policies, load_policies
from policygate.errors import PolicygateError


def _write(tmp_path: Path, text: str, name: str = "access.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_an_access_policy_loads_with_its_kind_and_actions(tmp_path):
    [policy] = load_access_policies([_write(tmp_path, ACCESS)])
    assert policy.kind == "AccessPolicy"
    assert [rule.actions for rule in policy.rules] == [
        ("set-alias", "delete-alias"),
        ("set-alias", "transition-stage"),
    ]
    assert policy.digest.startswith("sha256:")


def test_a_rule_without_actions_judges_every_action(tmp_path):
    text = ACCESS.replace("      actions: [set-alias, transition-stage]\n", "")
    [policy] = load_access_policies([_write(tmp_path, text)])
    assert policy.rules[1].actions == ()
    assert policy.rules[1].judges("delete-model")
    assert not policy.rules[0].judges("delete-model")


def test_an_unknown_action_is_a_load_error_at_its_place(tmp_path):
    path = _write(
        tmp_path, ACCESS.replace("[set-alias, transition-stage]", "[set-alias, transition-stages]")
    )
    with pytest.raises(PolicygateError) as raised:
        load_access_policies([path])
    assert str(raised.value) == (
        f"{path}:15:28: unknown action 'transition-stages'; did you mean 'transition-stage'?"
    )


def test_request_is_undeclared_in_a_promotion_policy(tmp_path):
    text = ACCESS.replace("kind: AccessPolicy", "kind: Policy")
    text = "\n".join(line for line in text.splitlines() if "actions:" not in line) + "\n"
    path = _write(tmp_path, text)
    with pytest.raises(PolicygateError, match="undeclared variable 'request'"):
        load_policies([path])


def test_actions_are_refused_in_a_promotion_policy(tmp_path):
    path = _write(
        tmp_path, ACCESS.replace("kind: AccessPolicy", "kind: Policy").replace("request.", "model.")
    )
    with pytest.raises(PolicygateError, match="actions"):
        load_policies([path])


def test_check_passes_over_access_policies_beside_promotion_policies(tmp_path):
    _write(tmp_path, ACCESS)
    for name in ("baseline.yaml", "limited-risk.yaml"):
        (tmp_path / name).write_text((POLICIES / name).read_text("utf-8"), encoding="utf-8")
    loaded = load_policies([tmp_path])
    assert [p.kind for p in loaded] == ["Policy"]
    assert evaluate([CREDIT_DEFAULT], loaded, now="2026-11-26T00:00:00Z").models
    assert [p.kind for p in load_access_policies([tmp_path])] == ["AccessPolicy"]


def test_a_folder_without_access_policy_is_nothing_to_authorize_with():
    with pytest.raises(NothingEvaluatedError, match="no access policy found"):
        load_access_policies([POLICIES / "baseline.yaml"])


def test_an_access_policy_is_no_model_record(tmp_path):
    from policygate import load_models

    _write(tmp_path, ACCESS)
    assert load_models([tmp_path]) == []


def test_extends_reaches_an_access_policy(tmp_path):
    _write(tmp_path, ACCESS, "parent.yaml")
    child = _write(
        tmp_path,
        """\
apiVersion: policygate/v1
kind: AccessPolicy
metadata: {name: child}
spec:
  extends: [parent.yaml]
  rules:
    - id: authenticated
      check: request.actor.authenticated
""",
        "child.yaml",
    )
    policies = load_access_policies([child])
    by_name = {p.name: p for p in policies}
    assert [r.id for r in by_name["child"].rules] == [
        "protected-alias.role",
        "no-self-promotion",
        "authenticated",
    ]


def test_check_of_the_shipped_packs_is_the_same_with_the_access_pack_beside_them(tmp_path):
    import shutil

    shutil.copytree(POLICIES, tmp_path / "policies", ignore=shutil.ignore_patterns("access"))
    assert not (tmp_path / "policies" / "access").exists()
    models = sorted((POLICIES.parent / "examples" / "models").glob("*.yaml"))
    with_pack = evaluate(models, load_policies([POLICIES]), now="2026-11-26T00:00:00Z")
    without = evaluate(models, load_policies([tmp_path / "policies"]), now="2026-11-26T00:00:00Z")
    assert [p.digest for p in with_pack.policies] == [p.digest for p in without.policies]
    assert [m.to_dict()["results"] for m in with_pack.models] == [
        m.to_dict()["results"] for m in without.models
    ]
