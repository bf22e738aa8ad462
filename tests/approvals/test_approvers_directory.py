"""Loading ``kind: Approvers``: a good directory, and load errors with file:line:col."""

from __future__ import annotations

import pytest
from approvals_support import ALICE, BOB, PRIYA

from policygate.approvals import load_approvers
from policygate.errors import LoadError, PolicygateError
from policygate.timestamps import parse_timestamp

HEAD = "apiVersion: policygate/v1\nkind: Approvers\nmetadata: {name: d}\nspec:\n  approvers:\n"


def test_a_directory_loads(approvers, keys):
    assert [a.id for a in approvers.approvers] == [BOB, PRIYA, ALICE]
    bob = approvers.get(BOB)
    assert bob is not None and bob.name == "Bob Lindqvist" and bob.type == "person"
    assert [k.fingerprint for k in bob.keys] == [
        keys["bob"].public.fingerprint,
        keys["old"].public.fingerprint,
    ]
    assert approvers.owner_of(keys["priya"].public.fingerprint).id == PRIYA
    assert approvers.owner_of(keys["mallory"].public.fingerprint) is None
    assert approvers.get("nobody") is None
    priya = approvers.get(PRIYA)
    assert priya.holds("model-validation", parse_timestamp("2025-01-01T00:00:00Z"))
    assert not priya.holds("model-validation", parse_timestamp("2024-12-31T23:59:59Z"))
    assert not priya.holds("model-risk-officer", parse_timestamp("2026-01-01T00:00:00Z"))


def test_several_files_merge(tmp_path, keys):
    for name, key in (("a", "bob"), ("b", "priya")):
        entry = f"{{id: {name}, roles: [r], keys: [{{public_key: '{keys[key].public.text}'}}]}}"
        (tmp_path / f"{name}.yaml").write_text(f"{HEAD}    - {entry}\n")
    directory = load_approvers([tmp_path])
    assert [a.id for a in directory.approvers] == ["a", "b"]
    assert len(directory.sources) == 2


def load_error(tmp_path, body: str) -> str:
    path = tmp_path / "approvers.yaml"
    path.write_text(HEAD + body)
    with pytest.raises(LoadError) as caught:
        load_approvers([path])
    return str(caught.value).replace(str(path), "approvers.yaml")


def test_a_bad_public_key_points_at_it(tmp_path):
    message = load_error(
        tmp_path,
        "    - id: a\n      roles: [r]\n      keys:\n        - public_key: 'ed25519:AAAA'\n",
    )
    assert message == "approvers.yaml:9:23: an Ed25519 public key has 32 bytes, this one has 3"
    message = load_error(
        tmp_path, "    - {id: a, roles: [r], keys: [{public_key: 'ed25519:%%%'}]}\n"
    )
    assert message == "approvers.yaml:6:47: public key is not valid base64: 'ed25519:%%%'"


def test_schema_violations_point_at_them(tmp_path, keys):
    key = keys["bob"].public.text
    message = load_error(tmp_path, f"    - {{id: a, role: [r], keys: [{{public_key: '{key}'}}]}}\n")
    assert message.splitlines() == [
        "approvers.yaml:6:7: 'roles' is required (at $.spec.approvers[0])",
        "approvers.yaml:6:15: unknown key 'role' (at $.spec.approvers[0].role)",
    ]
    message = load_error(tmp_path, "    - {id: a, roles: [r], keys: [{public_key: 'rsa:AAAA'}]}\n")
    assert message.startswith("approvers.yaml:6:47: 'rsa:AAAA' does not match '^ed25519:'")


def test_bad_timestamps_and_windows(tmp_path, keys):
    key = keys["bob"].public.text
    message = load_error(
        tmp_path,
        f"    - id: a\n      roles: [{{role: r, valid_from: soon}}]\n"
        f"      keys: [{{public_key: '{key}'}}]\n"
        "      valid_from: '2027-01-01T00:00:00Z'\n      valid_until: '2026-01-01T00:00:00Z'\n",
    )
    assert message.splitlines() == [
        "approvers.yaml:7:37: valid_from: not an RFC 3339 timestamp with offset: 'soon' "
        "(e.g. 2026-12-31T00:00:00Z)",
        "approvers.yaml:10:20: valid_until must be after valid_from",
    ]


def test_an_identity_twice_and_a_shared_key_are_errors(tmp_path, keys):
    bob, priya = keys["bob"].public.text, keys["priya"].public.text
    message = load_error(
        tmp_path,
        f"    - {{id: a, roles: [r], keys: [{{public_key: '{bob}'}}]}}\n"
        f"    - {{id: a, roles: [r], keys: [{{public_key: '{priya}'}}]}}\n"
        f"    - {{id: b, roles: [r], keys: [{{public_key: '{bob}'}}]}}\n",
    )
    fingerprint = keys["bob"].public.fingerprint
    assert message.splitlines() == [
        "approvers.yaml:7:7: approver 'a' is listed twice (first at approvers.yaml:6:7)",
        f"approvers.yaml:8:7: key {fingerprint} of 'b' is also listed for 'a': "
        "a key belongs to one identity",
    ]


def test_other_kinds_are_refused(tmp_path):
    path = tmp_path / "waiver.yaml"
    path.write_text(
        "apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: p}\nspec: {rules: []}\n"
    )
    with pytest.raises(
        PolicygateError, match=r"waiver.yaml:1:1: expected an Approvers document, found Policy"
    ):
        load_approvers([path])
    path.write_text("name: just a model\n")
    with pytest.raises(PolicygateError, match="found an untyped document"):
        load_approvers([path])


def test_one_key_twice_for_one_identity_is_an_error(tmp_path, keys):
    """Two windows for one key: only the first was ever read, so retiring the key by a
    valid_until on the second entry changed nothing."""
    bob = keys["bob"].public.text
    message = load_error(
        tmp_path,
        f"    - id: a\n      roles: [r]\n      keys:\n        - {{public_key: '{bob}'}}\n"
        f"        - {{public_key: '{bob}', valid_until: '2026-01-01T00:00:00Z'}}\n",
    )
    fingerprint = keys["bob"].public.fingerprint
    assert message == (
        f"approvers.yaml:10:24: key {fingerprint} is listed twice for 'a' "
        "(first at approvers.yaml:9:24): give one key one entry"
    )
