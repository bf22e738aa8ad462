"""The quick validity check of the shipped schemas (policygate.quickschema): it may
say "valid" only where jsonschema finds no error, and it must say it for the valid
documents we ship, or the check would always fall back to jsonschema."""

from __future__ import annotations

import copy
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from policygate.documents import load_file
from policygate.quickschema import compile_schema
from policygate.validation import (
    SHIPPED,
    ShippedValidator,
    quick_valid,
    schema_errors,
    shipped_schema,
    shipped_validator,
    validate_document,
)

ROOT = Path(__file__).resolve().parent.parent


def _documents() -> dict[str, list[Any]]:
    """Every typed document of a shipped kind in the repository's YAML files."""
    found: dict[str, list[Any]] = {kind: [] for kind in SHIPPED}
    for folder in ("policies", "examples", "tests"):
        for path in sorted((ROOT / folder).rglob("*.y*ml")):
            try:
                documents = load_file(path)
            except Exception:  # noqa: BLE001 - broken on purpose (tests of errors)
                continue
            for document in documents:
                data = document.data
                if isinstance(data, dict) and data.get("kind") in found:
                    found[data["kind"]].append(data)
    return found


def _generated(found: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Kinds the repository keeps no file of: made the way the tests make them."""
    import policygate
    from policygate.approvals.signing import generate_key

    key = generate_key().public.text
    found["Approvers"].append({
        "apiVersion": "policygate/v1", "kind": "Approvers", "metadata": {"name": "d"},
        "spec": {"approvers": [
            {"id": "bob@example.com", "name": "Bob", "roles": ["model-risk-officer"],
             "keys": [{"public_key": key},
                      {"public_key": key, "valid_until": "2026-01-01T00:00:00Z"}]},
            {"id": "priya@example.com", "type": "person", "keys": [{"public_key": key}],
             "roles": [{"role": "model-validation", "valid_from": "2025-01-01T00:00:00Z"}]},
        ]},
    })  # fmt: skip
    found["Attestation"].append({
        "apiVersion": "policygate/v1", "kind": "Attestation", "metadata": {"name": "a"},
        "spec": {"model": {"name": "m", "version": "1"},
                 "approval": {"role": "r", "approver": "x@example.com", "decision": "approved",
                              "granted_at": "2026-01-01T00:00:00Z"}},
    })  # fmt: skip
    from policygate.access import normalize_request  # what access rules read (SPEC §8)
    from policygate.timestamps import parse_timestamp

    moment = parse_timestamp("2026-11-26T00:00:00Z")
    for action, target in (("set-alias", {"version": "3", "alias": "champion"}),
                           ("set-tag", {"tag": {"key": "policygate.x", "value": "y"}})):
        found["AccessRequest"].append(normalize_request(
            {"action": action, "actor": {"name": "a", "roles": ["r"]},
             "target": {"model": "m", **target}, "context": {"k": [1]}},
            now=moment, trust_request_roles=True, protected_aliases=["champion"]))  # fmt: skip
    policies = policygate.load_policies([ROOT / "policies"])
    models = sorted((ROOT / "examples" / "models").glob("*.yaml"))
    report = policygate.evaluate(models, policies, now="2026-11-26T00:00:00Z")
    found["Report"].append(report.to_dict())
    return found


DOCUMENTS = _generated(_documents())
ODD_VALUES = [None, True, False, 0, 1, -1, 1.0, 0.5, "", "x", "-", [], {}, ["x"], {"x": 1}]


def _mutate(data: Any, rng: random.Random) -> Any:
    """``data`` with one random change somewhere inside."""
    data = copy.deepcopy(data)
    holders: list[Any] = []

    def walk(value: Any) -> None:
        if isinstance(value, (dict, list)):
            holders.append(value)
            for child in value.values() if isinstance(value, dict) else value:
                walk(child)

    walk(data)
    if not holders:
        return rng.choice(ODD_VALUES)
    holder = rng.choice(holders)
    keys = list(holder) if isinstance(holder, dict) else list(range(len(holder)))
    action = rng.randrange(4)
    if action == 0 and keys:
        del holder[rng.choice(keys)]
    elif action == 1 and keys:
        holder[rng.choice(keys)] = copy.deepcopy(rng.choice(ODD_VALUES))
    elif action == 2 and isinstance(holder, dict):
        holder[rng.choice(["extra", "id", "name", "kind", "x-y"])] = rng.choice(ODD_VALUES)
    elif keys and isinstance(holder, list):
        holder.append(copy.deepcopy(holder[rng.choice(keys)]))
    return data


def test_every_shipped_schema_is_valid_and_covered():
    for kind in SHIPPED:
        schema = shipped_schema(kind)
        jsonschema.validators.validator_for(schema).check_schema(schema)
        assert compile_schema(schema) is not None, kind


@pytest.mark.parametrize("kind", sorted(SHIPPED))
def test_quick_check_never_accepts_what_jsonschema_refuses(kind):
    validator = shipped_validator(kind)
    rng = random.Random(kind)
    samples = DOCUMENTS[kind]
    assert samples, f"no {kind} document in the repository to check the quick validator on"
    checked = 0
    for data in samples:
        # The shipped examples are valid, and the quick check must say so.
        if not list(validator.iter_errors(data)):
            assert quick_valid(kind, data), data
        for _ in range(12):
            mutated = _mutate(data, rng)
            for _ in range(rng.randrange(3)):
                mutated = _mutate(mutated, rng)
            if quick_valid(kind, mutated):
                assert list(validator.iter_errors(mutated)) == [], mutated
            checked += 1
    assert checked


def test_same_answer_as_jsonschema_on_typical_mistakes():
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["a"],
        "additionalProperties": False,
        "properties": {
            "a": {"type": "integer", "minimum": 1},
            "b": {"type": ["string", "null"], "pattern": "^x", "minLength": 2},
            "c": {"enum": ["p", "q"]},
            "d": {"type": "array", "items": {"$ref": "#/$defs/e"}, "uniqueItems": True},
            "f": {"oneOf": [{"type": "string"}, {"type": "number"}]},
            "g": {"if": {"type": "string"}, "then": {"const": "yes"}, "else": {"type": "boolean"}},
            "h": {"const": 1},
            "i": {"enum": [None, True, 2.5, "s"]},
        },
        "patternProperties": {"^x-": {"type": "string"}},
        "$defs": {"e": {"type": "string", "maxLength": 3}},
    }
    check = compile_schema(schema)
    assert check is not None
    validator = jsonschema.Draft202012Validator(schema)
    cases = [
        {"a": 1}, {"a": 1.0}, {"a": True}, {"a": 0}, {}, {"a": 1, "z": 1}, {"a": 1, "x-y": "s"},
        {"a": 1, "x-y": 1}, {"a": 1, "b": None}, {"a": 1, "b": "xy"}, {"a": 1, "b": "yx"},
        {"a": 1, "b": "x"}, {"a": 1, "c": "p"}, {"a": 1, "c": "r"}, {"a": 1, "c": 1},
        {"a": 1, "d": ["ab", "cd"]}, {"a": 1, "d": ["ab", "ab"]}, {"a": 1, "d": ["abcd"]},
        {"a": 1, "d": [1]}, {"a": 1, "f": "s"}, {"a": 1, "f": 2}, {"a": 1, "f": True},
        {"a": 1, "g": "yes"}, {"a": 1, "g": "no"}, {"a": 1, "g": False}, {"a": 1, "g": 1},
        {"a": 1, "h": 1}, {"a": 1, "h": 1.0}, {"a": 1, "h": True}, {"a": 1, "h": "1"},
        {"a": 1, "i": None}, {"a": 1, "i": True}, {"a": 1, "i": 1}, {"a": 1, "i": 2.5},
        {"a": 1, "i": "s"}, {"a": 1, "i": False}, {"a": 1, "i": [None]},
        [], "a", None,
    ]  # fmt: skip
    for case in cases:
        assert check(case) == (not list(validator.iter_errors(case))), case


def test_keywords_it_does_not_know_leave_it_to_jsonschema():
    assert compile_schema({"type": "string", "format": "date"}) is None
    assert compile_schema({"properties": {"a": {"const": [1]}}}) is None  # const of a list
    assert compile_schema({"$ref": "https://example.com/schema.json"}) is None
    assert compile_schema({"$schema": "http://json-schema.org/draft-07/schema#"}) is None


def test_a_bad_document_still_gets_every_jsonschema_message(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(
        "apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: p}\n"
        "spec:\n  rules:\n    - {id: a, check: 'true', severity: fatal, extra: 1}\n",
        encoding="utf-8",
    )
    (document,) = load_file(path)
    assert not quick_valid("Policy", document.data)
    messages = [error.message for error in validate_document(document, "Policy")]
    expected = [message for _, message in schema_errors(shipped_validator("Policy"), document.data)]
    assert messages == expected and len(messages) == 2


def test_shipped_validator_for_a_policy_model_schema():
    validator = ShippedValidator("ModelRecord")
    good = DOCUMENTS["ModelRecord"][0]
    assert list(schema_errors(validator, good)) == []
    bad = {**good, "spec": "nothing"}
    assert list(schema_errors(validator, bad)) == list(
        schema_errors(shipped_validator("ModelRecord"), bad)
    )


def test_check_of_valid_files_does_not_import_jsonschema():
    code = (
        "import sys\n"
        "from policygate.cli import main\n"
        "try:\n"
        "    main(['check', 'examples/models/credit-default-passes.yaml', '-p', 'policies/',"
        " '--now', '2026-11-26T00:00:00Z', '-q', '--fail-on', 'never'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('jsonschema', 'rich',"
        " 'networkx')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True)  # fmt: skip
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout
