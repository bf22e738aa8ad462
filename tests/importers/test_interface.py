"""The shared rules of every importer: numbers, metric keys, timestamps, overlays."""

from __future__ import annotations

import pytest

from policygate.errors import UsageError
from policygate.importers.interface import (
    ImporterError,
    as_number,
    content_version,
    label_value,
    merge_overlay,
    metrics_by_slice,
    new_record,
    normalize_timestamp,
    overlay_from_assignments,
    unique_metric_keys,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.91, 0.91),
        (42, 42),
        ("0.91", 0.91),
        (" 42 ", 42),
        ("1e-3", 0.001),
        ("-.5", -0.5),
        ("+7", 7),
        (True, None),
        ("91%", None),
        ("The value of the performance metric", None),
        ("nan", None),
        ("inf", None),
        (float("nan"), None),
        (None, None),
        ([1], None),
    ],
)
def test_as_number(value, expected):
    assert as_number(value) == expected
    if expected is not None:
        assert type(as_number(value)) is type(expected)


def test_unique_metric_keys_disambiguates_repeated_types_by_name():
    keys = unique_metric_keys(
        [("rouge", "ROUGE-1"), ("rouge", "ROUGE-2"), ("loss", "loss"), ("acc", None)]
    )
    assert keys == ["rouge_1", "rouge_2", "loss", "acc"]


def test_unique_metric_keys_numbers_what_names_cannot_tell_apart():
    assert unique_metric_keys([("accuracy", None), ("accuracy", None), ("f1", "F1")]) == [
        "accuracy_1",
        "accuracy_2",
        "f1",
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-09-14T10:00:00Z", "2026-09-14T10:00:00Z"),
        ("2026-09-14T12:00:00+02:00", "2026-09-14T10:00:00Z"),
        (1689485470786, "2023-07-16T05:31:10.786Z"),
        ("2023-08-11 08:40:16.227603", "2023-08-11T08:40:16.227603Z"),
        ("2020-01-01", "2020-01-01T00:00:00Z"),
        ("2020/02/02", "2020-02-02T00:00:00Z"),
        ("08/28/2020", "2020-08-28T00:00:00Z"),
        ("02/03/2020", None),  # day and month could be swapped
        ("02/02/2020", "2020-02-02T00:00:00Z"),
        ("2020-02-30", None),
        ("yesterday", None),
        (None, None),
        (True, None),
    ],
)
def test_normalize_timestamp(value, expected):
    assert normalize_timestamp(value) == expected


def test_label_value():
    assert label_value(["en", "fr"]) == "en, fr"
    assert label_value(True) == "true"
    assert label_value(3) == "3"
    assert label_value({"a": 1}) is None


def test_overlay_from_assignments_reads_yaml_values():
    overlay = overlay_from_assignments(
        ["spec.risk_tier=high", "metadata.owner=team", "spec.metrics.auc=0.9", "spec.risks=[R-1]"]
    )
    assert overlay == {
        "spec": {"risk_tier": "high", "metrics": {"auc": 0.9}, "risks": ["R-1"]},
        "metadata": {"owner": "team"},
    }


@pytest.mark.parametrize("bad", ["risk_tier=high", "kind=Policy", "spec.=x", "spec.risk_tier"])
def test_overlay_from_assignments_refuses_paths_outside_metadata_and_spec(bad):
    with pytest.raises(UsageError, match="PATH=VALUE"):
        overlay_from_assignments([bad])


def test_merge_overlay_merges_mappings_and_replaces_the_rest():
    record = new_record("m", "1")
    record["spec"] = {"metrics": {"auc": 0.8, "f1": 0.7}, "risks": ["A"]}
    merge_overlay(record, {"spec": {"metrics": {"auc": 0.9}, "risks": ["B"]}}, "test")
    assert record["spec"] == {"metrics": {"auc": 0.9, "f1": 0.7}, "risks": ["B"]}
    with pytest.raises(ImporterError, match="not allowed"):
        merge_overlay(record, {"kind": "Policy"}, "test")


def test_metrics_by_slice_headline_and_evaluations():
    headline, evaluations = metrics_by_slice(
        [
            {"type": "accuracy", "value": "0.97", "threshold": "0.5"},
            {"type": "accuracy", "value": "0.99", "slice": "cat", "lower": "0.98", "upper": "1.0"},
            {"type": "accuracy", "value": "n/a", "slice": "dog"},
        ]
    )
    assert headline == {"accuracy": 0.97}
    assert evaluations == [
        {
            "dataset": "cat",
            "slice": "cat",
            "metrics": {"accuracy": 0.99},
            "confidence_intervals": {"accuracy": {"lower": 0.98, "upper": 1.0}},
        }
    ]


def test_metrics_by_slice_without_unsliced_metrics_takes_the_first_slice_as_headline():
    headline, evaluations = metrics_by_slice(
        [{"type": "macro-f1", "value": "0.91", "slice": "eval"}]
    )
    assert headline == {"macro_f1": 0.91}
    assert [e["dataset"] for e in evaluations] == ["eval"]


def test_content_version_is_stable_and_short():
    assert content_version({"b": 1, "a": 2}) == content_version({"a": 2, "b": 1})
    assert len(content_version(b"text")) == 12
