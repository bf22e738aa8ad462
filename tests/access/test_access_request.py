"""A request as access rules read it: checked strictly, completed, roles from the directory."""

from __future__ import annotations

import datetime as _dt

import pytest
from access_support import NOW, directory_text, record, request
from hypothesis import given
from hypothesis import strategies as st

from policygate import UsageError, authorize, load_approvers
from policygate.access import normalize_request
from policygate.policy import ACTIONS
from policygate.timestamps import parse_timestamp

MOMENT = parse_timestamp(NOW)


@pytest.fixture(scope="module")
def directory(tmp_path_factory):
    path = tmp_path_factory.mktemp("directory") / "approvers.yaml"
    path.write_text(directory_text(), encoding="utf-8")
    return load_approvers([path])


def test_every_field_a_rule_may_read_is_there():
    normalized = normalize_request(
        {"action": "delete-model", "actor": {"name": "a"}, "target": {"model": "m"}}, now=MOMENT
    )
    assert normalized == {
        "action": "delete-model",
        "actor": {"name": "a", "roles": [], "authenticated": False, "gate": False},
        "target": {
            "model": "m",
            "version": "",
            "new_name": "",
            "alias": "",
            "aliases": [],
            "stage": "",
            "tag": {"key": "", "value": ""},
        },
        "registry": "",
        "time": NOW,
        "protected": {"aliases": [], "stages": []},
        "context": {},
        "promotion": False,
    }


@pytest.mark.parametrize(
    ("given_request", "message"),
    [
        ({"actor": {"name": "a"}, "target": {"model": "m"}}, "request.action is required"),
        (
            {"action": "set-alais", "actor": {"name": "a"}, "target": {"model": "m"}},
            "request.action: unknown action 'set-alais'; did you mean 'set-alias'?",
        ),
        (
            {"action": "delete-model", "target": {"model": "m"}},
            "request.actor must be a mapping, got nothing",
        ),
        (
            {"action": "delete-model", "actor": {"name": ""}, "target": {"model": "m"}},
            "request.actor.name is required",
        ),
        (
            {"action": "delete-model", "actor": {"name": "a"}, "target": {}},
            "request.target.model is required",
        ),
        (
            {
                "action": "set-alias",
                "actor": {"name": "a"},
                "target": {"model": "m", "version": "1", "alais": "champion"},
            },
            "request.target: unknown key 'alais'; did you mean 'alias'?",
        ),
        (
            {
                "action": "set-alias",
                "actor": {"name": "a"},
                "target": {"model": "m", "version": "1"},
            },
            "request.target.alias is required for set-alias",
        ),
        (
            {"action": "set-tag", "actor": {"name": "a"}, "target": {"model": "m"}},
            "request.target.tag.key is required for set-tag",
        ),
        (
            {
                "action": "delete-model",
                "actor": {"name": "a", "roles": "admin"},
                "target": {"model": "m"},
            },
            "request.actor.roles must be a list of strings, got str",
        ),
        (
            {
                "action": "delete-model",
                "actor": {"name": "a", "gate": "yes"},
                "target": {"model": "m"},
            },
            "request.actor.gate must be true or false, got str",
        ),
        (
            {
                "action": "delete-model",
                "actor": {"name": "a"},
                "target": {"model": "m"},
                "time": "yesterday",
            },
            "request.time: ",
        ),
        (
            {
                "action": "delete-model",
                "actor": {"name": "a"},
                "target": {"model": "m"},
                "promotion": True,
            },
            "request: unknown key 'promotion'",
        ),
        ([], "request must be a mapping, got list"),
    ],
)
def test_a_bad_request_is_a_usage_error(given_request, message):
    with pytest.raises(UsageError) as raised:
        normalize_request(given_request, now=MOMENT)
    assert raised.value.message.startswith(message)


def test_an_integer_version_is_mlflows_and_accepted():
    normalized = normalize_request(request(version=3), now=MOMENT)
    assert normalized["target"]["version"] == "3"


def test_the_directory_gives_the_roles_whatever_the_request_says(directory):
    claimed = normalize_request(
        request(actor="ron@example.com", roles=("release-manager",)),
        now=MOMENT,
        approvers=directory,
        trust_request_roles=True,
    )
    assert claimed["actor"]["roles"] == ["ml-engineer"]  # his release-manager grant ended
    rita = normalize_request(request(roles=()), now=MOMENT, approvers=directory)
    assert rita["actor"]["roles"] == ["release-manager"]
    stranger = normalize_request(
        request(actor="eve@example.com"), now=MOMENT, approvers=directory, trust_request_roles=True
    )
    assert stranger["actor"]["roles"] == []


def test_roles_are_those_held_at_the_evaluation_time(directory):
    later = MOMENT + _dt.timedelta(days=400)  # past Rita's own validity
    assert normalize_request(request(), now=later, approvers=directory)["actor"]["roles"] == []


def test_authorize_takes_roles_from_the_directory(access, directory):
    assert authorize(
        request(roles=()), access_policies=access, model=record(), approvers=directory, now=NOW
    ).allowed
    denied = authorize(
        request(actor="ron@example.com"),
        access_policies=access,
        model=record(),
        approvers=directory,
        trust_request_roles=True,
        now=NOW,
    )
    assert "registry-access/protected-alias.role" in dict(denied.failing)


def test_protected_names_of_the_request_and_of_the_caller_add_up():
    normalized = normalize_request(
        {**request(alias="gold"), "protected": {"aliases": ["gold"]}},
        now=MOMENT,
        protected_aliases=["champion"],
    )
    assert normalized["protected"]["aliases"] == ["gold", "champion"]
    assert normalized["promotion"] is True


@given(st.sampled_from(ACTIONS), st.text(min_size=1, max_size=20))
def test_promotion_only_for_a_protected_alias_or_stage(action, name):
    target = {
        "model": "m",
        "version": "1",
        "alias": name,
        "stage": name,
        "tag": {"key": name},
        "new_name": name,
    }
    unprotected = normalize_request(
        {"action": action, "actor": {"name": "a"}, "target": target}, now=MOMENT
    )
    assert unprotected["promotion"] is False
    protected = normalize_request(
        {"action": action, "actor": {"name": "a"}, "target": target},
        now=MOMENT,
        protected_aliases=[name],
        protected_stages=[name],
    )
    assert protected["promotion"] is (action in ("set-alias", "transition-stage"))
