"""Model card bodies whose intended use is not what a reader of the rendered card sees."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policygate.importers.huggingface import intended_use, placeholder

COMMENT = "<!-- Describe here what the model is intended for and what it must not be used for. -->"


@pytest.mark.parametrize(
    "section",
    [
        COMMENT,
        f"{COMMENT}\n\nMore information needed",
        "<!--\nA comment over\nseveral lines, longer than forty characters.\n-->",
        "<!-- a comment that is never closed hides the rest of the card\n\nUse it for anything.",
        "[More Information Needed](https://huggingface.co/docs/hub/model-cards#model-card-metadata)",
        f"{COMMENT}\n[More Information Needed](https://huggingface.co/docs/hub/model-cards)",
    ],
)
def test_a_section_a_reader_sees_empty_or_as_a_placeholder_is_no_intended_use(section):
    body = f"# Model\n\n## Intended uses & limitations\n\n{section}\n\n## Training\nx\n"
    use = intended_use(body)
    assert use is None or placeholder(use)


def test_prose_around_a_comment_is_the_intended_use():
    body = f"## Intended use\n\nScreening of loan applications.{COMMENT} Not for hiring.\n"
    assert intended_use(body) == "Screening of loan applications. Not for hiring."


def test_a_placeholder_linked_somewhere_is_a_placeholder():
    assert placeholder("[More Information Needed](https://huggingface.co/docs/hub/model-cards)")
    assert not placeholder("[Read the paper](https://arxiv.org/abs/1) for the intended use")


def test_many_unclosed_comments_take_linear_time():
    body = "## Intended use\n" + "<!-- x " * 200_000
    start = time.process_time()
    assert intended_use(body) is None
    assert time.process_time() - start < 5


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["<!--", "-->", "<!", "--", ">", "a", " ", "\n"])).map("".join))
def test_no_comment_text_ever_reaches_the_intended_use(text):
    use = intended_use(f"## Intended use\n{text}\n") or ""
    assert "<!--" not in use


def _card(tmp_path, results: str):
    from policygate.importers import import_records

    card = tmp_path / "README.md"
    card.write_text(f"---\nmodel-index:\n- name: org/m\n  results:\n{results}---\n")
    (record,) = import_records("hf", str(card))
    return record["spec"]


SQUAD = "    dataset: {name: SQuAD v2, type: squad_v2, split: validation}\n"


def test_two_results_on_one_dataset_that_disagree_give_no_headline_value(tmp_path):
    """The Hub's verified evaluation (0.61) listed after a self-reported one (0.95) on the same
    split: the headline took whichever the card listed first."""
    spec = _card(
        tmp_path,
        f"  - task: {{type: question-answering}}\n{SQUAD}"
        "    metrics:\n    - {type: exact_match, value: 0.95}\n    - {type: f1, value: 0.9}\n"
        f"  - task: {{type: question-answering}}\n{SQUAD}"
        "    metrics:\n    - {type: exact_match, value: 0.61, verified: true}\n"
        "    - {type: f1, value: 0.9}\n",
    )
    assert "exact_match" not in spec["metrics"] and spec["metrics"]["f1"] == 0.9
    assert [e["metrics"]["exact_match"] for e in spec["evaluations"]] == [0.95, 0.61]


def test_results_on_other_datasets_or_splits_do_not_touch_the_headline(tmp_path):
    spec = _card(
        tmp_path,
        f"  - {SQUAD.strip()}\n    metrics:\n    - {{type: exact_match, value: 0.95}}\n"
        "  - dataset: {name: SQuAD v2, type: squad_v2, split: test}\n"
        "    metrics:\n    - {type: exact_match, value: 0.61}\n"
        "  - dataset: {name: Adversarial QA, type: adversarial_qa, split: validation}\n"
        "    metrics:\n    - {type: exact_match, value: 0.2}\n",
    )
    assert spec["metrics"]["exact_match"] == 0.95
