"""Hugging Face cards as the Hub reads them: real cards from a Hub mirror (tests/data/hf/).

tests/data/hf/SOURCES.md says where each card comes from. The cards sit in the
Hub's layout (``models/ORG/NAME/README.md``), which gives the record its repo id.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policygate.errors import LoadError
from policygate.importers import import_records
from policygate.importers.huggingface import (
    front_matter_span,
    is_repo_id,
    metric_value,
    placeholder,
    repo_id_from_path,
)

HF = Path(__file__).parent.parent / "data" / "hf" / "models"
BROKEN = {
    "vesteinn/IceBERT-QA",
    "claudelkros/T5_french_wiki_summarizer",
    "qqhann/w2v_hf_commonvoice_from_xlsr53_pretrain_0329UTC1500",
    "lewtun/xlm-roberta-base-finetuned-marc-500-samples",
    "cambridgeltl/trans-encoder-bi-simcse-roberta-large",
    "osanseviero/test_tag",
    "yair/HeadlineGeneration-sagemaker",
    "vesteinn/XLMR-ENIS",
}
CARDS = sorted(HF.glob("*/*/README.md"))


def repo(path: Path) -> str:
    return f"{path.parent.parent.name}/{path.parent.name}"


def one(path: Path | str) -> dict:
    (record,) = import_records("hf", str(path))
    return record


def test_the_sample_set_is_there():
    assert len(CARDS) >= 26
    assert {repo(c) for c in CARDS} >= BROKEN


@pytest.mark.parametrize("path", [c for c in CARDS if repo(c) not in BROKEN], ids=repo)
def test_every_good_real_card_imports_named_by_its_repo_id(path):
    record = one(path)
    assert record["metadata"]["name"] == repo(path)
    assert record["metadata"]["owner"] == repo(path).split("/")[0]
    for evaluation in record["spec"].get("evaluations", []):
        for value in evaluation["metrics"].values():
            assert isinstance(value, (int, float)) and math.isfinite(value)


@pytest.mark.parametrize(
    ("name", "line", "column", "message"),
    [
        ("vesteinn/IceBERT-QA", 1, 1, "the opening line is '----'"),
        ("claudelkros/T5_french_wiki_summarizer", 1, 1, "UTF-16"),
        ("qqhann/w2v_hf_commonvoice_from_xlsr53_pretrain_0329UTC1500", 7, 1, "a key without ':'"),
        ("lewtun/xlm-roberta-base-finetuned-marc-500-samples", 2, 1, "not a YAML mapping"),
        ("cambridgeltl/trans-encoder-bi-simcse-roberta-large", 1, 1, "not closed"),
        ("osanseviero/test_tag", 2, 15, "broken front matter"),
        ("yair/HeadlineGeneration-sagemaker", 2, 1, "not closed"),
        ("vesteinn/XLMR-ENIS", 1, 1, "the opening line is '----'"),
    ],
)
def test_broken_real_cards_are_one_clear_error(name, line, column, message):
    card = HF / name / "README.md"
    with pytest.raises(LoadError, match=re.escape(message)) as caught:
        import_records("hf", str(card))
    where = caught.value.location
    assert (where.path, where.line, where.column) == (str(card), line, column)


# ------------------------------------------------------------------ front matter


@pytest.mark.parametrize(
    "name",
    [
        "A-bhimany-u08/bert-base-cased-qqp",
        "DaNLP/da-xlmr-ned",
        "SEBIS/legal_t5_small_cls_cs",
        "NbAiLab/wav2vec2-xls-r-1b-npsc-bokmaal",
        "Iskaj/xlsr_300m_CV_8.0_50_EP_new_params_nl",
        "Jorgeutd/sagemaker-roberta-base-emotion",
    ],
)
def test_front_matter_after_blank_lines_is_read_as_the_hub_reads_it(name):
    card = HF / name / "README.md"
    assert card.read_text(encoding="utf-8")[0] == "\n"
    record = one(card)
    assert record["metadata"]["labels"]["policygate/source"] == "hf"
    assert len(record["metadata"]["labels"]) > 1 or "extra" in record["spec"]


def test_an_error_in_front_matter_after_blank_lines_names_the_line_of_the_file(tmp_path):
    card = tmp_path / "README.md"
    card.write_text("\n\n---\nlicense: mit\ntags: [a\n---\n")
    with pytest.raises(LoadError) as caught:
        import_records("hf", str(card))
    assert caught.value.location.line >= 5  # the YAML starts on line 4, the error after it


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("---\na: 1\n---\nbody", ("a: 1\n", "body")),
        ("\n \n---\na: 1\n---\nbody", ("a: 1\n", "body")),
        ("---\r\na: 1\r\n---  \r\nbody", ("a: 1\r\n", "body")),
        ("---\na: 1\n---", ("a: 1\n", "")),
        ("---\na: 1\n--- x\n---\nb", ("a: 1\n--- x\n", "b")),
        ("---\n---\nbody", ("", "body")),
        ("--- \na: 1\n---\n", None),  # the opening '---' must end its line
        ("----\na: 1\n---\n", None),
        ("x\n---\na: 1\n---\n", None),
        ("---\na: 1\n", None),
    ],
)
def test_front_matter_span_follows_the_hub_regex(text, expected):
    span = front_matter_span(text)
    if expected is None:
        assert span is None
    else:
        start, end, body = span
        assert (text[start:end], text[body:]) == expected


_HUB = re.compile(r"^(\s*---(?:\r\n|\r|\n))([\S\s]*?)((?:\r\n|\r|\n)---[ \t]*(\r\n|\n|$))")


@given(st.text(alphabet=st.sampled_from(["-", "\n", "\r", " ", "\t", "a", ":"]), max_size=40))
def test_front_matter_span_agrees_with_the_hub_regex(text):
    """The law: where the Hub's regex finds a block, we find the same block and body."""
    match = _HUB.search(text)
    span = front_matter_span(text)
    if match is None:
        # we also read an empty block ('---' right after the opening) that the Hub skips
        assert span is None or span[0] == span[1]
    else:
        assert span is not None
        start, end, body = span
        assert text[start:end].rstrip("\r\n") == match.group(2)
        assert text[body:] == text[match.end() :] or text[body:] == text[match.end(3) :]


def test_nan_outside_metrics_is_tolerated_and_a_nan_metric_is_not_a_number(tmp_path):
    card = tmp_path / "README.md"
    card.write_text(
        "---\nlicense: mit\nco2_eq_emissions:\n  emissions: .nan\nmodel-index:\n- name: m\n"
        "  results:\n  - metrics:\n    - {type: accuracy, value: .nan}\n"
        "    - {type: f1, value: 0.8}\n---\n"
    )
    record = one(card)
    assert record["spec"]["extra"]["hf"]["co2_eq_emissions"] == {"emissions": ".nan"}
    assert record["spec"]["metrics"] == {"f1": 0.8}


def test_a_nan_in_a_plain_record_is_still_refused(tmp_path):
    path = tmp_path / "model.yaml"
    path.write_text("apiVersion: policygate/v1\nkind: ModelRecord\nspec: {metrics: {auc: .nan}}\n")
    from policygate.documents import load_file

    with pytest.raises(LoadError, match="not a finite number"):
        load_file(path)


# ------------------------------------------------------------------ metric values


def test_mean_and_spread_are_kept_from_a_real_rl_card():
    record = one(HF / "sb3" / "ppo-Acrobot-v1" / "README.md")
    assert record["metadata"]["name"] == "sb3/ppo-Acrobot-v1"  # not "PPO"
    assert record["metadata"]["labels"]["model_index_name"] == "PPO"
    (evaluation,) = record["spec"]["evaluations"]
    assert evaluation["metrics"] == {"mean_reward": -74.6}
    assert evaluation["spreads"] == {"mean_reward": 11.48}
    assert evaluation["original_values"] == {"mean_reward": "-74.60 +/- 11.48"}
    assert record["spec"]["metrics"] == {"mean_reward": -74.6}


def test_decimal_commas_from_a_real_card():
    record = one(HF / "MoritzLaurer" / "DeBERTa-v3-large-mnli-fever-anli-ling-wanli" / "README.md")
    accuracies = [e["metrics"]["accuracy"] for e in record["spec"]["evaluations"]]
    assert accuracies == [0.912, 0.908, 0.702, 0.64, 0.77, 0.87]
    assert record["spec"]["evaluations"][0]["original_values"] == {"accuracy": "0,912"}


@pytest.mark.parametrize(
    "name",
    [
        "DewiBrynJones/wav2vec2-large-xlsr-welsh",
        "Rubens/Wav2Vec2-Large-XLSR-53-Portuguese",
        "chrisjay/fonxlsr",
        "techiaith/wav2vec2-xlsr-ft-cy",
    ],
)
def test_percentages_from_real_cards(name):
    record = one(HF / name / "README.md")
    evaluation = next(e for e in record["spec"]["evaluations"] if e.get("original_values"))
    key = next(iter(evaluation["original_values"]))
    original = evaluation["original_values"][key]
    assert original.strip().endswith("%")
    assert evaluation["metrics"][key] == pytest.approx(float(original.strip()[:-1]) / 100)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.9, (0.9, None)),
        ("0.91", (0.91, None)),
        ("245.37 +/- 48.64", (245.37, 48.64)),
        ("0.91 ± 0.02", (0.91, 0.02)),
        ("-12.90 +- 8.87", (-12.9, 8.87)),
        ("85%", (0.85, None)),
        ("85.2 ± 1.3 %", (0.852, 0.013)),
        ("0,912", (0.912, None)),
        ("12,5", (12.5, None)),
        ("1,234,567", (1234567, None)),
        ("11,869", None),  # 11.869 or 11869: left out
        ("NA", None),
        ("???", None),
        (".nan", None),
        ("nan ± 1", None),
        ("1 +/- ", None),
        (True, None),
        ("9" * 200 + "%", None),
    ],
)
def test_metric_values(value, expected):
    found = metric_value(value)
    if expected is None:
        assert found is None
    else:
        assert found is not None
        assert found[0] == pytest.approx(expected[0])
        assert (found[1] is None) == (expected[1] is None)
        if expected[1] is not None:
            assert found[1] == pytest.approx(expected[1])


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.floats(0, 1e3))
def test_a_written_mean_and_spread_reads_back(mean, spread):
    found = metric_value(f"{mean!r} +/- {spread!r}")
    assert found == (mean, spread)


@given(st.integers(0, 10_000))
def test_a_percentage_is_the_fraction(hundredths):
    found = metric_value(f"{hundredths / 100}%")
    assert found is not None and found[0] == pytest.approx(hundredths / 10_000)


# ------------------------------------------------------------------ identity, placeholders


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("mirror/models/deepset/roberta-base-squad2/README.md", "deepset/roberta-base-squad2"),
        (
            "cache/hub/models--google-bert--bert-base-uncased/snapshots/86b5e/README.md",
            "google-bert/bert-base-uncased",
        ),
        ("projects/credit/README.md", None),
        ("models/credit/README.md", None),
        ("models/../x/README.md", None),
    ],
)
def test_repo_id_from_path(path, expected):
    assert repo_id_from_path(path) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("deepset/roberta-base-squad2", True),
        ("PPO", False),
        ("a/b/c", False),
        ("../x", False),
        ("org/" + "x" * 100, False),
        ("XLS-R-300M - German", False),
    ],
)
def test_is_repo_id(text, expected):
    assert is_repo_id(text) is expected


def test_a_display_name_is_not_the_identity(tmp_path):
    card = tmp_path / "my-agent" / "README.md"
    card.parent.mkdir()
    card.write_text("---\nmodel-index:\n- name: PPO\n  results: []\n---\n")
    record = one(card)
    assert record["metadata"]["name"] == "my-agent"
    assert "owner" not in record["metadata"]
    assert record["metadata"]["labels"]["model_index_name"] == "PPO"


@pytest.mark.parametrize(
    "text",
    ["More information needed", "[More Information Needed]", " more  info needed. ", "TBD"],
)
def test_placeholders(text):
    assert placeholder(text)


def test_a_real_trainer_card_placeholder_is_a_missing_intended_use():
    card = HF / "09panesara" / "distilbert-base-uncased-finetuned-cola" / "README.md"
    assert "More information needed" in card.read_text(encoding="utf-8")
    record = one(card)
    assert "intended_use" not in record["spec"]
    assert record["spec"]["metrics"]  # the card's metrics are still there


def test_template_placeholders_in_front_matter_are_missing(tmp_path):
    card = tmp_path / "README.md"
    card.write_text(
        "---\nlicense: '[More Information Needed]'\nbase_model: '[More Information Needed]'\n---\n"
        "## Intended uses\n\n[More Information Needed]\n"
    )
    record = one(card)
    assert "license" not in record["metadata"]["labels"]
    assert "lineage" not in record["spec"] and "intended_use" not in record["spec"]
    assert record["spec"]["extra"]["hf"]["license"] == "[More Information Needed]"  # kept
