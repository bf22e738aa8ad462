"""A policy's ``model_schema`` never reaches the network (SECURITY.md T-POLICY-2, issue 14).

A ``$ref`` that leaves the machine (``https://...``, ``http://...``, a ``$id``
that makes a relative ref remote, any scheme but a local file) is a load error
naming the policy file, found when the policy loads, not an HTTP GET per model
when it is evaluated. A relative ``$ref`` to a file beside or below the policy
or the schema is read through the safe loader; one that leaves those
directories is refused too. Every test runs with a socket guard that fails it on
any connection attempt.
"""

from __future__ import annotations

import json
import socket
import textwrap
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

import policygate
from policygate.cli import main
from policygate.errors import PolicygateError

NOW = "2026-11-26T00:00:00Z"
RULES = """\
  rules:
    - id: r
      title: Anything
      category: metadata
      check: "true"
"""
MODEL = {
    "apiVersion": "policygate/v1",
    "kind": "ModelRecord",
    "metadata": {"name": "m", "version": "1"},
    "spec": {},
}


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"a network access was attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def setup(tmp_path: Path, schema: dict, reference: str = "schema.json") -> Path:
    target = tmp_path / reference
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(schema))
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        textwrap.dedent(
            f"""\
            apiVersion: policygate/v1
            kind: Policy
            metadata: {{name: p, version: "1"}}
            spec:
              model_schema: {reference}
            """
        )
        + RULES
    )
    return policy


def write_model(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data))
    return path


REMOTE = [
    {"$ref": "https://example.com/model.schema.json"},
    {"properties": {"spec": {"$ref": "http://127.0.0.1:9/spec.json#/$defs/spec"}}},
    {"$id": "https://example.com/root.json", "$ref": "defs.json"},
    {"$defs": {"a": {"$ref": "ftp://example.com/a.json"}}, "$ref": "#/$defs/a"},
    {"prefixItems": [{"$ref": "//example.com/schema.json"}]},
    {"$dynamicRef": "https://example.com/dyn.json#meta"},
]


@pytest.mark.parametrize("schema", REMOTE, ids=range(len(REMOTE)))
def test_a_remote_ref_is_a_load_error_naming_the_policy_not_a_fetch(tmp_path, schema):
    policy = setup(tmp_path, schema)
    with pytest.raises(PolicygateError) as caught:
        policygate.load_policies([str(policy)])
    text = str(caught.value)
    assert text.startswith(f"{policy}:5:")
    assert "model_schema 'schema.json'" in text
    assert "not fetched" in text


def test_the_command_line_exits_2_naming_the_policy(tmp_path):
    policy = setup(tmp_path, {"$ref": "https://example.com/model.schema.json"})
    model = write_model(tmp_path, MODEL)
    result = CliRunner().invoke(main, ["check", str(model), "-p", str(policy), "--now", NOW])
    assert result.exit_code == 2, result.output
    assert f"{policy}:5:" in result.output
    assert "https://example.com/model.schema.json" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "ref",
    ["../outside.json", "/etc/hosts", "file:///etc/hosts", "sub/../../outside.json"],
)
def test_a_local_ref_that_leaves_the_policy_and_schema_directories_is_refused(tmp_path, ref):
    (tmp_path / "outside.json").write_text('{"type": "object"}')
    inner = tmp_path / "repo"
    policy = setup(inner, {"$ref": ref})
    with pytest.raises(PolicygateError) as caught:
        policygate.load_policies([str(policy)])
    assert str(caught.value).startswith(f"{policy}:5:")
    assert "outside" in str(caught.value)


def test_a_remote_ref_in_a_local_ref_file_is_refused_too(tmp_path):
    (tmp_path / "defs.json").write_text('{"$ref": "https://example.com/deeper.json"}')
    policy = setup(tmp_path, {"$ref": "defs.json"})
    with pytest.raises(PolicygateError, match="not fetched") as caught:
        policygate.load_policies([str(policy)])
    assert "defs.json" in str(caught.value)


def test_a_local_relative_ref_is_read_and_judges_the_model(tmp_path):
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    (schemas / "defs.yaml").write_text(
        "$defs:\n  owner: {type: object, required: [owner]}\n  nested: {$ref: 'sub/more.json'}\n"
    )
    (schemas / "sub").mkdir()
    (schemas / "sub" / "more.json").write_text('{"type": "object"}')
    schema = {
        "type": "object",
        "properties": {
            "metadata": {"$ref": "defs.yaml#/$defs/owner"},
            "spec": {"$ref": "defs.yaml#/$defs/nested"},
        },
    }
    policy = setup(tmp_path, schema, "schemas/model.json")
    (loaded,) = policygate.load_policies([str(policy)])
    assert loaded.model_schema is not None
    without = policygate.evaluate([str(write_model(tmp_path, MODEL))], [loaded], now=NOW)
    (schema_result,) = [r for r in without.models[0].results if r.rule == "schema"]
    assert schema_result.status.value == "fail"
    assert "owner" in schema_result.message
    owned = {**MODEL, "metadata": {**MODEL["metadata"], "owner": "team"}}
    report = policygate.evaluate([str(write_model(tmp_path, owned))], [loaded], now=NOW)
    assert report.passed


def test_a_ref_within_the_schema_and_to_a_known_id_is_fine(tmp_path):
    schema = {
        "$id": "urn:example:model",
        "$defs": {"m": {"$id": "urn:example:meta", "type": "object"}},
        "properties": {"metadata": {"$ref": "urn:example:meta"}, "spec": {"$ref": "#/$defs/m"}},
    }
    (loaded,) = policygate.load_policies([str(setup(tmp_path, schema))])
    assert loaded.model_schema is not None
    assert loaded.model_schema.validator.is_valid(MODEL)
    assert not loaded.model_schema.validator.is_valid({**MODEL, "spec": 1})


def test_a_draft_4_id_moves_relative_refs_as_jsonschema_reads_them(tmp_path):
    (tmp_path / "defs.json").write_text('{"type": "string"}')
    schema = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "id": "sub/",
        "properties": {"metadata": {"$ref": "defs.json"}},
    }
    with pytest.raises(PolicygateError, match="sub/defs.json"):
        policygate.load_policies([str(setup(tmp_path, schema))])
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "defs.json").write_text('{"type": "object"}')
    (loaded,) = policygate.load_policies([str(setup(tmp_path, schema))])
    assert loaded.model_schema is not None
    assert loaded.model_schema.validator.is_valid(MODEL)
    assert not loaded.model_schema.validator.is_valid({"metadata": 1})
    # up to draft 7 an id beside a $ref is ignored, as jsonschema ignores it
    beside = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "sub/",
        "$ref": "defs.json",
    }
    (loaded,) = policygate.load_policies([str(setup(tmp_path, beside))])
    assert loaded.model_schema is not None
    assert not loaded.model_schema.validator.is_valid(MODEL)  # defs.json: a string


def test_a_ref_that_still_does_not_resolve_fails_the_model_never_passes_it():
    """The backstop: a validator whose registry lacks a ref gives a violation, not a crash."""
    import jsonschema
    from referencing import Registry

    from policygate.validation import schema_errors

    validator = jsonschema.Draft202012Validator({"$ref": "elsewhere.json"}, registry=Registry())
    assert list(schema_errors(validator, MODEL)) == [
        ((), "the schema's $ref 'elsewhere.json' cannot be resolved")
    ]
