"""Real samples with fields of other shapes: every importer answers with a record or a load
error naming the source, never an internal error (T-IMPORT-17)."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policygate.errors import PolicygateError
from policygate.importers import import_records

DATA = Path(__file__).parent.parent / "data"
SAMPLES = {
    "cyclonedx": [
        DATA / "realdata" / "cyclonedx" / "bom-examples-model-card-with-dataset-1.7.json",
        DATA / "realdata" / "cyclonedx" / "spec-valid-machine-learning-1.6.json",
        DATA / "cyclonedx" / "cyclonedx-python-lib-subject-model-1.6.json",
    ],
    "mct": [DATA / "realdata" / "model-card-toolkit" / "full-v0.0.2.json"],
    "sagemaker": [DATA / "sagemaker" / "credit-risk" / "package.json"],
    "azureml": [
        DATA / "azureml" / "model-version-rest.json",
        DATA / "azureml" / "model-version-cli.json",
    ],
    "wandb": [DATA / "wandb" / "artifact-graphql.json"],
    "mlflow": [
        DATA / "mlflow" / "model-version-export.json",
        DATA / "mlflow" / "registered-model-export.json",
        DATA / "mlflow" / "run-export.json",
    ],
}
ODD: list[Any] = [
    None, True, 0, -1, 1.5, 10**30, 1e308, 253_402_300_800_000, "", "x", "nan", "1e999", [], {},
    [None], [{}], {"a": None}, "policygate:spec.risk_tier", "[unclosed", "2020-01-01",
    "02/03/2020", "models:/m/1", "../../etc/passwd", "file:///etc/passwd", "a" * 300, "²",
]
KEYS = ["policygate", "policygate:spec.approvals", "policygate.spec.approvals", "tags",
        "properties", "metrics", "name", "version", "value", "type", "slice", "dataset"]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _mutate(doc: Any, rng: random.Random) -> Any:
    doc = copy.deepcopy(doc)
    for _ in range(rng.randint(1, 4)):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = rng.choice(paths)
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and rng.random() < 0.3:
            parent[rng.choice(KEYS)] = copy.deepcopy(rng.choice(ODD))
        else:
            parent[path[-1]] = copy.deepcopy(rng.choice(ODD))
    return doc


@pytest.mark.parametrize("fmt", sorted(SAMPLES))
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rng=st.randoms(use_true_random=False))
def test_a_mutated_real_sample_is_a_record_or_a_load_error(fmt, rng, tmp_path):
    sample = rng.choice(SAMPLES[fmt])
    doc = _mutate(json.loads(sample.read_text()), rng)
    name = "package.json" if fmt == "sagemaker" else "source.json"
    if fmt == "sagemaker":
        (tmp_path / "evaluation.json").write_bytes((sample.parent / "evaluation.json").read_bytes())
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    try:
        records = import_records(fmt, str(path))
    except PolicygateError as error:
        assert error.location is not None or str(path) in str(error)
    else:
        assert records and all(r["kind"] == "ModelRecord" for r in records)
