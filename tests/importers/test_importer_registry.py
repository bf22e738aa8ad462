"""The importer registry: exhaustive, strict about names, and the one door for sources."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import policygate
from policygate.errors import LoadError, UsageError
from policygate.importers import (
    MODULES,
    SourceFormat,
    import_records,
    importer,
    is_source,
    load_source,
    split_source,
)
from policygate.importers.interface import Importer

DATA = Path(__file__).parent.parent / "data"
CARD = DATA / "realdata" / "hf-modelcard" / "facebook-bart-large-cnn.md"


def test_registry_covers_every_format():
    assert set(MODULES) == set(SourceFormat)
    for fmt in SourceFormat:
        found = importer(fmt)
        assert isinstance(found, Importer)
        assert found.format == fmt.value
        assert found.title


def test_unknown_format_is_an_error_never_a_fallback():
    with pytest.raises(UsageError, match="unknown import format 'onnx'"):
        importer("onnx")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("hf:models/README.md", (SourceFormat.HF, "models/README.md")),
        ("mlflow:models:/credit/3", (SourceFormat.MLFLOW, "models:/credit/3")),
        ("cyclonedx:bom.json", (SourceFormat.CYCLONEDX, "bom.json")),
        ("mct:card.json", (SourceFormat.MCT, "card.json")),
        (
            "sagemaker:arn:aws:sagemaker:eu-west-1:1:model-package/m/3",
            (SourceFormat.SAGEMAKER, "arn:aws:sagemaker:eu-west-1:1:model-package/m/3"),
        ),
        ("azureml:model.json", (SourceFormat.AZUREML, "model.json")),
        ("wandb:acme/credit/m:production", (SourceFormat.WANDB, "acme/credit/m:production")),
        ("models/credit.yaml", None),
        ("./hf:odd-name.yaml", None),
        ("C:\\models\\credit.yaml", None),
    ],
)
def test_split_source(source, expected):
    assert split_source(source) == expected
    assert is_source(source) is (expected is not None)


def test_load_models_routes_sources_through_the_importers_in_argument_order(tmp_path):
    plain = tmp_path / "plain.yaml"
    plain.write_text("name: plain\nversion: '1'\n")
    records = policygate.load_models(
        [
            f"hf:{CARD}",
            str(plain),
            f"mct:{DATA / 'realdata' / 'model-card-toolkit' / 'full-v0.0.2.json'}",
        ]
    )
    assert [r.name for r in records] == ["facebook/bart-large-cnn", "plain", "name"]
    assert records[0].source == f"hf:{CARD}"


def test_load_source_errors_name_the_source(tmp_path):
    with pytest.raises(LoadError) as caught:
        load_source(f"hf:{tmp_path / 'missing.md'}")
    assert str(tmp_path / "missing.md") in str(caught.value)


def test_an_empty_location_is_a_usage_error():
    with pytest.raises(UsageError, match="names nothing"):
        import_records("hf", "")


def test_import_refuses_an_overlay_that_breaks_the_schema():
    with pytest.raises(LoadError, match="not a valid ModelRecord.*risk_tier"):
        import_records("hf", str(CARD), {"spec": {"risk_tier": "extreme"}})


def test_import_and_plain_check_never_import_mlflow():
    code = (
        "import sys, policygate\n"
        f"policygate.load_models(['hf:{CARD}'])\n"
        "print('mlflow' in sys.modules, 'rich' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


def test_without_the_mlflow_extra_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # as if it were not installed
    with pytest.raises(LoadError, match=r"pip install 'policygate\[mlflow\]'") as caught:
        load_source("mlflow:models:/credit/1")
    assert str(caught.value).startswith("mlflow:models:/credit/1: ")
