"""Promotions, rollbacks, deletions and tag writes through a real ``mlflow server --app-name
policygate``, driven with the real ``MlflowClient``: what is allowed happens, with its
``policygate.*`` tags and its lifecycle entry; what is denied does not, and MlflowClient
raises MLflow's own PERMISSION_DENIED naming every failing rule."""

from __future__ import annotations

import pytest
from gate_support import Seeded, register
from mlflow.exceptions import MlflowException

from policygate.integrations.mlflow import OUTCOME_TAGS


def last(seeded: Seeded) -> dict:
    return seeded.server.entries()[-1]


def champion(seeded: Seeded) -> str | None:
    aliases = seeded.server.client("admin").get_registered_model(seeded.model).aliases
    return None if "champion" not in aliases else str(aliases["champion"])


def test_reads_are_never_judged(seeded):
    before = len(seeded.server.entries())
    bob = seeded.server.client("bob")
    assert bob.get_registered_model(seeded.model).name == seeded.model
    assert [v.version for v in bob.search_model_versions(f"name='{seeded.model}'")]
    assert bob.get_model_version(seeded.model, seeded.good).version == seeded.good
    assert len(seeded.server.entries()) == before


def test_registering_is_logged_with_the_authenticated_creator(seeded):
    registered = [e for e in seeded.server.entries() if e["event"] == "registered"]
    versions = [e for e in registered if e["action"] == "create-version"][:4]
    assert [(e["actor"]["name"], e["target"]["version"]) for e in versions] == [
        ("alice", "1"), ("alice", "2"), ("carol", "3"), ("alice", "4"),
    ]  # fmt: skip
    tags = seeded.server.client("admin").get_model_version(seeded.model, seeded.carols).tags
    assert tags["policygate.metadata.created_by"] == "carol"


def test_a_protected_alias_needs_the_release_manager_role(seeded):
    before = champion(seeded)
    with pytest.raises(MlflowException) as denied:
        seeded.server.client("bob").set_registered_model_alias(seeded.model, "champion", "1")
    text = str(denied.value)
    assert denied.value.error_code == "PERMISSION_DENIED"
    assert "registry-access/protected-alias.role" in text
    assert "bob may not move champion: the release-manager role is required" in text
    assert champion(seeded) == before
    entry = last(seeded)
    assert (entry["event"], entry["allowed"], entry["applied"]) == ("denied", False, False)
    assert entry["actor"] == {"name": "bob", "authenticated": True, "via": "mlflow basic auth",
                              "roles": ["ml-engineer"]}  # fmt: skip
    assert [f["rule"] for f in entry["failed"]] == ["registry-access/protected-alias.role"]


def test_a_model_that_fails_the_promotion_policies_is_not_promoted(seeded):
    before = champion(seeded)
    with pytest.raises(MlflowException) as denied:
        seeded.server.client("rita").set_registered_model_alias(seeded.model, "champion", "2")
    assert "registry-promotion/performance.auc: AUC 0.62 is below 0.8" in str(denied.value)
    assert champion(seeded) == before
    entry = last(seeded)
    assert entry["event"] == "denied" and entry["promotion"]["passed"] is False
    assert entry["model"]["digest"].startswith("sha256:")


def test_nobody_promotes_a_version_they_created_whatever_their_run_says(seeded):
    # carol's run claims another user (MLflow takes a run's user from the client); the
    # gate stamped who registered the version, and judges that
    before = champion(seeded)
    with pytest.raises(MlflowException) as denied:
        seeded.server.client("carol").set_registered_model_alias(seeded.model, "champion", "3")
    assert "registry-access/no-self-promotion: carol created version 3" in str(denied.value)
    assert champion(seeded) == before


def test_every_failing_rule_is_named_in_one_denial(seeded):
    with pytest.raises(MlflowException) as denied:
        seeded.server.client("bob").set_registered_model_alias(seeded.model, "champion", "2")
    text = str(denied.value)
    assert "registry-access/protected-alias.role" in text
    assert "registry-promotion/performance.auc" in text


def test_an_allowed_promotion_moves_the_alias_writes_the_tags_and_is_logged(seeded):
    seeded.server.client("rita").set_registered_model_alias(seeded.model, "champion", "1")
    assert champion(seeded) == "1"
    tags = seeded.server.client("admin").get_model_version(seeded.model, "1").tags
    assert set(OUTCOME_TAGS) <= set(tags)
    assert tags["policygate.passed"] == "true"
    assert tags["policygate.policies"] == "registry-promotion@2.0.0"
    entry = last(seeded)
    assert (entry["event"], entry["allowed"], entry["applied"], entry["status"]) == (
        "promoted", True, True, 200,
    )  # fmt: skip
    assert entry["actor"]["name"] == "rita" and entry["actor"]["roles"] == ["release-manager"]
    assert entry["target"]["alias"] == "champion" and entry["target"]["version"] == "1"
    assert entry["promotion"]["report_digest"] == tags["policygate.report_digest"]
    kinds = {p["name"]: p["kind"] for p in entry["policies"]}
    assert kinds == {"registry-access": "AccessPolicy", "registry-promotion": "Policy"}
    assert all(p["digest"].startswith("sha256:") for p in entry["policies"])


def test_moving_to_a_newer_version_promotes_and_back_is_a_rollback(seeded):
    rita = seeded.server.client("rita")
    rita.set_registered_model_alias(seeded.model, "champion", "1")
    rita.set_registered_model_alias(seeded.model, "champion", "4")
    assert (last(seeded)["event"], last(seeded)["previous"]) == ("promoted", "1")
    rita.set_registered_model_alias(seeded.model, "champion", "1")
    entry = last(seeded)
    assert (entry["event"], entry["previous"], entry["target"]["version"]) == (
        "rolled-back", "4", "1",
    )  # fmt: skip
    assert champion(seeded) == "1"


def test_an_alias_nobody_protects_is_an_update(seeded):
    seeded.server.client("bob").set_registered_model_alias(seeded.model, "candidate", "2")
    entry = last(seeded)
    assert (entry["event"], entry["allowed"], entry["protected"]) == ("updated", True, False)


def test_a_version_holding_a_protected_alias_cannot_be_deleted(seeded):
    rita = seeded.server.client("rita")
    rita.set_registered_model_alias(seeded.model, "champion", "1")
    with pytest.raises(MlflowException) as denied:
        rita.delete_model_version(seeded.model, "1")
    assert "registry-access/protected-version.delete" in str(denied.value)
    assert seeded.server.client("admin").get_model_version(seeded.model, "1").version == "1"
    assert last(seeded)["target"]["aliases"] == ["champion"]


def test_deleting_another_version_is_logged_as_deleted(seeded):
    doomed = register(seeded.server, "alice", seeded.model, 0.5)
    seeded.server.client("alice").delete_model_version(seeded.model, doomed)
    entry = last(seeded)
    assert (entry["event"], entry["target"]["version"], entry["applied"]) == (
        "deleted", doomed, True,
    )  # fmt: skip


def test_removing_a_protected_alias_is_a_retirement(seeded):
    rita = seeded.server.client("rita")
    rita.set_registered_model_alias(seeded.model, "champion", "4")
    rita.delete_registered_model_alias(seeded.model, "champion")
    entry = last(seeded)
    assert (entry["event"], entry["previous"], entry["target"]["version"]) == (
        "retired", "4", "4",
    )  # fmt: skip
    assert champion(seeded) is None
    rita.set_registered_model_alias(seeded.model, "champion", "1")


@pytest.mark.parametrize("user", ["alice", "rita", "admin"])
def test_nobody_writes_a_policygate_tag_not_even_an_admin(seeded, user):
    client = seeded.server.client(user)
    with pytest.raises(MlflowException) as denied:
        client.set_model_version_tag(seeded.model, "2", "policygate.passed", "true")
    assert "registry-access/gate-tags" in str(denied.value)
    with pytest.raises(MlflowException):
        client.delete_model_version_tag(seeded.model, "1", "policygate.passed")
    tags = seeded.server.client("admin").get_model_version(seeded.model, "2").tags
    assert tags.get("policygate.passed") != "true"


def test_a_create_carrying_a_policygate_tag_is_judged_as_setting_it(seeded):
    client = seeded.server.client("alice")
    with pytest.raises(MlflowException) as denied:
        client.create_registered_model("sneaky", tags={"policygate.spec.risk_tier": "minimal"})
    assert "registry-access/gate-tags" in str(denied.value)
    with pytest.raises(MlflowException, match="RESOURCE_DOES_NOT_EXIST|not found"):
        seeded.server.client("admin").get_registered_model("sneaky")


def test_an_ordinary_tag_is_logged_as_tagged(seeded):
    seeded.server.client("alice").set_model_version_tag(seeded.model, "2", "reviewed", "yes")
    entry = last(seeded)
    assert (entry["event"], entry["target"]["tag"]) == ("tagged", {"key": "reviewed",
                                                                   "value": "yes"})  # fmt: skip


def test_a_transition_to_a_protected_stage_is_a_promotion(seeded):
    with pytest.raises(MlflowException) as denied:
        seeded.server.client("bob").transition_model_version_stage(seeded.model, "4", "Production")
    assert "registry-access/protected-stage.role" in str(denied.value)
    seeded.server.client("rita").transition_model_version_stage(seeded.model, "4", "Production")
    entry = last(seeded)
    assert (entry["event"], entry["target"]["stage"]) == ("promoted", "Production")
    assert seeded.server.client("admin").get_model_version(seeded.model, "4").current_stage == (
        "Production"
    )
    seeded.server.client("rita").transition_model_version_stage(seeded.model, "4", "Archived")
    assert last(seeded)["event"] == "retired"


def test_an_allowed_request_mlflow_refuses_is_logged_as_not_applied(seeded):
    with pytest.raises(MlflowException):
        seeded.server.client("alice").update_model_version(seeded.model, "999", "nothing")
    entry = last(seeded)
    # the record of a version that does not exist cannot be read: rules reading model error
    assert entry["applied"] is False
