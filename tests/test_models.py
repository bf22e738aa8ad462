"""Tests for policygate.models: model records, typed or as exported."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from policygate import LoadError, ModelRecord, PolicygateError, SchemaError, load_models
from policygate.errors import ErrorGroup
from policygate.models import model_from_data

EXAMPLES = Path(__file__).parent.parent / "examples"


@pytest.mark.parametrize(
    ("data", "source", "name", "version"),
    [
        ({"metadata": {"name": "credit", "version": "3.1.0"}}, "x.yaml", "credit", "3.1.0"),
        ({"metadata": {"name": "credit", "version": 3}}, "x.yaml", "credit", "3"),
        ({"name": "churn", "version": "1.2"}, "x.yaml", "churn", "1.2"),
        ({"metadata": {"name": "a"}, "version": "9"}, "x.yaml", "a", "9"),
        ({"metadata": "not a mapping", "name": "b"}, "x.yaml", "b", ""),
        ({"metrics": {}}, "exports/fraud-model.json", "fraud-model", ""),
        ({"metrics": {}}, "<memory>", "model", ""),
        ({"metrics": {}}, "<stdin>", "model", ""),
        ([1, 2], "dir/list.yaml", "list", ""),
    ],
)
def test_model_from_data_names(data, source, name, version):
    record = model_from_data(data, source)
    assert (record.name, record.version, record.source) == (name, version, source)
    assert record.data is data


def test_ref():
    assert ModelRecord("m", "1.0", {}).ref == "m@1.0"
    assert ModelRecord("m", "", {}).ref == "m"


def test_record_equality_ignores_the_document():
    a = ModelRecord("m", "1", {"x": 1}, "s")
    b = ModelRecord("m", "1", {"x": 1}, "s", document=None)
    assert a == b
    assert "data" not in repr(a)


def test_load_examples_directory_skips_other_kinds():
    records = load_models([EXAMPLES])  # examples/ also holds waivers
    assert sorted(r.ref for r in records) == [
        "churn-predictor@1.6.2",
        "credit-default@3.1.0",
        "credit-limit@2.4.0",
        "skin-lesion-triage@2.0.0",
    ]
    assert all(r.document is not None for r in records)


def test_untyped_documents_are_taken_as_they_are(tmp_path):
    path = tmp_path / "export.yaml"
    path.write_text("name: fraud\nversion: 2\nanything: {goes: here}\n---\nname: other\n")
    records = load_models([path])
    assert [(r.name, r.version) for r in records] == [("fraud", "2"), ("other", "")]
    assert records[0].data == {"name": "fraud", "version": 2, "anything": {"goes": "here"}}
    assert records[0].source == str(path)


def test_policies_and_waivers_in_a_model_directory_are_skipped(tmp_path):
    (tmp_path / "p.yaml").write_text(
        "apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: p}\nspec: {rules: []}\n"
    )
    (tmp_path / "m.json").write_text(json.dumps({"name": "m"}))
    assert [r.name for r in load_models([tmp_path])] == ["m"]


def test_typed_model_record_is_validated_with_json_path_and_location(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "apiVersion: policygate/v1\n"
        "kind: ModelRecord\n"
        "metadata:\n"
        "  name: m\n"
        "  version: 3\n"
        "spec: {}\n"
    )
    with pytest.raises(SchemaError) as info:
        load_models([path])
    error = info.value
    assert error.json_path == ("metadata", "version")
    assert str(error).startswith(f"{path}:5:12: ")
    assert "$.metadata.version" in str(error)


def test_non_mapping_model_is_a_load_error(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(LoadError, match="must be a mapping") as info:
        load_models([path])
    assert str(info.value).startswith(f"{path}:1:1: ")


def test_unknown_kind_is_a_load_error(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("apiVersion: policygate/v1\nkind: Modelrecord\nmetadata: {name: m}\n")
    with pytest.raises(LoadError, match="unknown kind 'Modelrecord'") as info:
        load_models([path])
    assert str(info.value).startswith(f"{path}:2:7: ")


def test_several_errors_are_reported_together(tmp_path):
    (tmp_path / "a.yaml").write_text("- 1\n")
    (tmp_path / "b.yaml").write_text("- 2\n")
    with pytest.raises(ErrorGroup) as info:
        load_models([tmp_path])
    lines = str(info.value).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(str(tmp_path / "a.yaml"))
    assert lines[1].startswith(str(tmp_path / "b.yaml"))


def test_bad_yaml_names_file_line_and_column(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("name: m\nmetrics: {auc: 0.9\n")
    with pytest.raises(LoadError) as info:
        load_models([path])
    assert str(info.value).startswith(f"{path}:3:1: ")


def test_missing_path(tmp_path):
    with pytest.raises(PolicygateError, match="no such file or directory") as info:
        load_models([tmp_path / "nope.yaml"])
    assert str(tmp_path / "nope.yaml") in str(info.value)


def test_empty_directory_gives_no_models(tmp_path):
    assert load_models([tmp_path]) == []


def test_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b'{"name": "piped"}')))
    (record,) = load_models(["-"])
    assert (record.name, record.source) == ("piped", "<stdin>")
