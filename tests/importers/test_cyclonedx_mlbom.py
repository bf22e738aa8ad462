"""CycloneDX 1.5-1.7 ML-BOMs: models with or without a model card, the subject, dependencies.

tests/data/cyclonedx/cyclonedx-python-lib-subject-model-1.6.json was written by
cyclonedx-python-lib 11.12.0 (see tests/data/cyclonedx/SOURCES.md) with::

    bom = Bom(); bom.metadata.component = subject          # a machine-learning-model
    bom.components.add(base); ...add(data); ...add(lib)     # base model, data, library
    bom.register_dependency(subject, [base, data, lib])
    JsonV1Dot6(bom).output_as_string(indent=2)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policygate.errors import LoadError
from policygate.importers import import_records

DATA = Path(__file__).parent.parent / "data"
LIB_BOM = DATA / "cyclonedx" / "cyclonedx-python-lib-subject-model-1.6.json"
REAL = DATA / "realdata" / "cyclonedx"


def records(path: Path | str) -> list[dict]:
    return import_records("cyclonedx", str(path))


def write(tmp_path: Path, bom: dict) -> Path:
    path = tmp_path / "bom.json"
    path.write_text(json.dumps(bom))
    return path


def test_the_official_python_library_output_imports_subject_first():
    subject, base = records(LIB_BOM)
    meta = subject["metadata"]
    assert (meta["name"], meta["version"]) == ("sentiment-classifier", "2.3.0")
    assert meta["owner"] == "acme-nlp"  # group before supplier
    assert meta["labels"]["supplier"] == "ACME NLP team"
    assert meta["labels"]["license"] == "Apache-2.0"
    assert subject["spec"]["artifact"] == {
        "digest": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "hashes": {"SHA-256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
    }
    lineage = subject["spec"]["lineage"]
    assert lineage["parent"] == "distilbert-base-uncased@1.0"
    assert lineage["training_data"] == [
        {"name": "sst2", "version": "2024.01", "license": "CC-BY-4.0", "ref": "data:sst2@2024.01"}
    ]
    assert base["metadata"]["name"] == "distilbert-base-uncased"
    assert base["metadata"]["labels"]["purl"].startswith("pkg:huggingface/distilbert/")
    assert base["metadata"]["owner"] == "Hugging Face"


def test_a_subject_also_listed_in_components_is_one_record(tmp_path):
    model = {"type": "machine-learning-model", "name": "m", "version": "1", "bom-ref": "m@1"}
    bom = {"bomFormat": "CycloneDX", "metadata": {"component": model}, "components": [model]}
    (record,) = records(write(tmp_path, bom))
    assert record["metadata"]["name"] == "m"


def test_a_subject_that_is_not_a_model_is_named_in_the_error(tmp_path):
    bom = {
        "bomFormat": "CycloneDX",
        "metadata": {"component": {"type": "application", "name": "app"}},
        "components": [{"type": "library", "name": "numpy"}],
    }
    with pytest.raises(LoadError, match=r"subject \(metadata.component\) is of type 'application'"):
        records(write(tmp_path, bom))


@pytest.mark.parametrize("path", sorted(REAL.glob("*.json")), ids=lambda p: p.stem)
def test_every_real_bom_still_imports_every_model(path):
    bom = json.loads(path.read_text()) if "pr50" not in path.name else None
    found = records(path)
    if bom is not None:
        models = [c for c in bom.get("components", []) if c.get("type") == "machine-learning-model"]
        assert len(found) >= len(models)
    assert all(r["metadata"]["labels"]["policygate/source"] == "cyclonedx" for r in found)


def test_dependencies_name_several_base_models_and_data_components(tmp_path):
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.7",
        "components": [
            {"type": "machine-learning-model", "name": "merged", "bom-ref": "merged"},
            {"type": "machine-learning-model", "name": "a", "version": "1", "bom-ref": "a"},
            {"type": "machine-learning-model", "name": "b", "bom-ref": "b"},
            {"type": "data", "name": "corpus", "bom-ref": "corpus",
             "data": [{"classification": "public", "contents": {"url": "https://x/corpus"}}]},
        ],
        "dependencies": [{"ref": "merged", "dependsOn": ["a", "b", "corpus", "merged", "gone"]}],
    }  # fmt: skip
    merged = records(write(tmp_path, bom))[0]
    lineage = merged["spec"]["lineage"]
    assert lineage["base_models"] == ["a@1", "b"]
    assert "parent" not in lineage
    assert lineage["training_data"] == [
        {"name": "corpus", "classification": "public", "url": "https://x/corpus", "ref": "corpus"}
    ]


def test_a_lone_model_with_no_relations_takes_the_boms_data_components(tmp_path):
    bom = {
        "bomFormat": "CycloneDX",
        "components": [
            {"type": "machine-learning-model", "name": "m"},
            {"type": "data", "name": "d", "bom-ref": "d", "version": "3"},
        ],
    }
    (record,) = records(write(tmp_path, bom))
    assert record["spec"]["lineage"]["training_data"] == [{"name": "d", "version": "3", "ref": "d"}]


def test_the_strongest_hash_is_the_digest(tmp_path):
    bom = {
        "bomFormat": "CycloneDX",
        "components": [
            {
                "type": "machine-learning-model",
                "name": "m",
                "hashes": [
                    {"alg": "MD5", "content": "AB" * 16},
                    {"alg": "SHA-512", "content": "CD" * 64},
                    {"alg": "SHA-256", "content": "ef" * 32},
                    {"alg": "SHA-1", "content": None},
                ],
            }
        ],
    }
    (record,) = records(write(tmp_path, bom))
    assert record["spec"]["artifact"]["digest"] == "sha512:" + "cd" * 64
    assert set(record["spec"]["artifact"]["hashes"]) == {"MD5", "SHA-512", "SHA-256"}


@pytest.mark.parametrize(
    "bad",
    [
        {"metadata": "x", "components": "y", "dependencies": 3},
        {"components": [{"type": "machine-learning-model", "hashes": "x", "modelCard": []}]},
        {"components": [{"type": "machine-learning-model", "name": ["x"]}], "dependencies": [1]},
    ],
)
def test_odd_shapes_are_a_record_or_a_clear_error_never_a_crash(tmp_path, bad):
    bom = {"bomFormat": "CycloneDX", **bad}
    try:
        found = records(write(tmp_path, bom))
    except LoadError as error:
        assert error.location is not None and error.location.path == str(tmp_path / "bom.json")
    else:
        assert all(r["metadata"]["name"] for r in found)
