"""Hugging Face model cards: every real sample, and the broken ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from policygate.errors import LoadError
from policygate.importers import import_records
from policygate.importers.huggingface import intended_use

CARDS = Path(__file__).parent.parent / "data" / "realdata" / "hf-modelcard"
SAMPLES = sorted(CARDS.glob("*.md"))


def one(path: Path | str, overlay=None) -> dict:
    (record,) = import_records("hf", str(path), overlay)
    return record


def test_the_sample_set_is_complete():
    assert len(SAMPLES) == 10


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_every_real_card_imports_with_numbers_as_numbers(path):
    record = one(path)
    meta, spec = record["metadata"], record["spec"]
    assert meta["name"] and len(meta["version"]) == 12
    assert meta["labels"]["policygate/source"] == "hf"
    assert meta["labels"]["license"]
    assert spec["documentation"]["model_card"] == str(path)
    for evaluation in spec.get("evaluations", []):
        for value in evaluation["metrics"].values():
            assert isinstance(value, (int, float)) and not isinstance(value, bool)


def test_model_index_results_become_evaluations_and_the_first_the_headline():
    record = one(CARDS / "deepset-roberta-base-squad2.md")  # CRLF line endings
    spec = record["spec"]
    assert record["metadata"]["name"] == "deepset/roberta-base-squad2"
    assert record["metadata"]["owner"] == "deepset"
    assert spec["task"] == "question-answering"
    assert spec["metrics"] == {"exact_match": 79.9309, "f1": 82.9501, "total": 11869}
    assert isinstance(spec["metrics"]["total"], int)
    first = spec["evaluations"][0]
    assert first["dataset"] == "squad_v2" and first["split"] == "validation"
    assert first["verified"] == ["exact_match", "f1", "total"]
    assert spec["lineage"]["training_data"] == [{"name": "squad_v2"}]
    assert "model-index" in spec["extra"]["hf"]  # the original stays, verify tokens and all


def test_repeated_metric_types_keep_every_value():
    bart = one(CARDS / "facebook-bart-large-cnn.md")["spec"]["metrics"]
    assert bart["rouge_1"] == 42.9486 and bart["rouge_lsum"] == 40.0376
    deberta = one(CARDS / "moritzlaurer-deberta-v3-base-mnli-fever-anli.md")["spec"]
    assert deberta["metrics"]["accuracy"] == 0.495
    assert {"precision_macro", "precision_micro", "precision_weighted"} <= set(deberta["metrics"])
    assert len(deberta["evaluations"]) > 1


def test_sixteen_results_sixteen_evaluations():
    spec = one(CARDS / "helsinki-opus-mt-tc-big-en-fr.md")["spec"]
    assert len(spec["evaluations"]) == 16
    assert all("bleu" in e["metrics"] for e in spec["evaluations"])


def test_cards_without_model_index():
    record = one(CARDS / "sentence-transformers-all-MiniLM-L6-v2.md")
    assert "metrics" not in record["spec"] and "evaluations" not in record["spec"]
    assert record["metadata"]["name"] == "sentence-transformers-all-MiniLM-L6-v2"  # the file's stem
    assert len(record["spec"]["lineage"]["training_data"]) == 21
    assert record["spec"]["intended_use"].startswith("Our model is intented to be used")  # sic


def test_a_result_without_dataset_still_gives_its_metrics():
    spec = one(CARDS / "fixture-invalid-model-index.md")["spec"]
    assert spec["evaluations"] == [{"task": "image-classification", "metrics": {"acc": 0.9}}]


def test_base_model_is_the_parent_and_dataset_args_strings_survive():
    assert one(CARDS / "st-bge-base-financial-matryoshka.md")["spec"]["lineage"]["parent"] == (
        "BAAI/bge-base-en-v1.5"
    )
    whisper = one(CARDS / "whisper-medium-mn-trainer-generated.md")
    assert whisper["spec"]["metrics"] == {"wer": 42.52948885976409}
    assert whisper["metadata"]["labels"]["language"] == "mn"


def test_intended_use_is_the_prose_of_its_section():
    body = (
        "# M\n## Intended uses & limitations\n\nUse it for X.\nNot for Y.\n\n"
        "```py\ncode\n```\n### How to use\nmore\n"
    )
    assert intended_use(body) == "Use it for X. Not for Y."
    assert intended_use("# M\n## Usage\ntext\n") is None


def test_a_readme_is_named_after_its_directory(tmp_path):
    card = tmp_path / "credit-scorer" / "README.md"
    card.parent.mkdir()
    card.write_text("---\nlicense: mit\n---\n# Credit\n")
    assert one(card)["metadata"]["name"] == "credit-scorer"


def test_front_matter_overlay_sets_governance_fields(tmp_path):
    card = tmp_path / "README.md"
    card.write_text(
        "---\nlicense: mit\npolicygate:\n  metadata: {owner: nlp-team}\n"
        "  spec: {risk_tier: limited}\n---\n"
    )
    record = one(card)
    assert record["metadata"]["owner"] == "nlp-team"
    assert record["spec"]["risk_tier"] == "limited"
    assert "policygate" not in record["spec"].get("extra", {}).get("hf", {})


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("# no front matter\n", "no YAML front matter", 1),
        ("---\nlicense: mit\n", "not closed", 1),
        ("---\nlicense: mit\ntags: [a,\n---\n", "broken front matter", 4),
        ("---\nlicense: !!python/object:os.system x\n---\n", "broken front matter", 2),
        ("---\n- a list\n---\n", "not a YAML mapping", 2),
    ],
)
def test_broken_cards_give_one_error_naming_the_file_and_line(tmp_path, text, message, line):
    card = tmp_path / "README.md"
    card.write_text(text)
    with pytest.raises(LoadError, match=message) as caught:
        import_records("hf", str(card))
    assert caught.value.location is not None
    assert caught.value.location.path == str(card)
    assert caught.value.location.line == line


def test_a_card_that_is_not_utf8(tmp_path):
    card = tmp_path / "README.md"
    card.write_bytes(b"---\nlicense: \xff\n---\n")
    with pytest.raises(LoadError, match="not UTF-8"):
        import_records("hf", str(card))
