"""A digit is 0-9 wherever policygate reads a number out of text (T-CEL-3).

Python's ``\\d`` and ``int()`` also take the digits of other scripts
(``int("٢٠٢٦")`` is 2026, ``float("٠.٩١")`` 0.91) and ``str.isdigit()`` takes
superscripts that ``int()`` then refuses. CEL (cel-go, cel-cpp) reads only ASCII
digits in a timestamp, a duration, a time zone's offset and a format clause,
and no source policygate imports writes any other: each such text is an error
(or stays text), as it is in every other tool that reads the record.
"""

from __future__ import annotations

import datetime as _dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

import policygate
from policygate.importers.interface import as_number, normalize_timestamp
from policygate.lifecycle import classify

ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.mark.parametrize("digits", [ARABIC, FULLWIDTH], ids=["arabic-indic", "fullwidth"])
@pytest.mark.parametrize(
    ("template", "ascii_value"),
    [
        ("timestamp('{2026}-01-01T00:00:00Z') > timestamp('2000-01-01T00:00:00Z')", True),
        ("timestamp('2026-01-01T00:00:00+{05}:30').getHours()", 18),
        ("duration('{1}h') > duration('0s')", True),
        ("timestamp('2026-01-01T00:00:00Z').getHours('+{05}:30')", 5),
        ("'%.{2}f'.format([1.5])", "1.50"),
    ],
)
def test_cel_reads_only_ascii_digits(template: str, ascii_value: object, digits: dict) -> None:
    ascii_text = template.replace("{", "").replace("}", "")
    assert policygate.cel_evaluate(ascii_text) == ascii_value  # the same text in 0-9 works
    start, end = template.index("{"), template.index("}")
    other = template[:start] + template[start + 1 : end].translate(digits) + template[end + 1 :]
    with pytest.raises(policygate.CELEvaluationError):
        policygate.cel_evaluate(other)


def test_a_timestamp_fraction_past_nine_digits_is_cut_as_cel_go_cuts_it() -> None:
    """Go's time.Parse (cel-go) and cel-cpp read any number of fraction digits and
    keep nine; the engine refused the text before."""
    text = "string(timestamp('2026-01-01T00:00:00.1234567899+01:00'))"
    assert policygate.cel_evaluate(text) == "2025-12-31T23:00:00.123456789Z"


def test_an_expiry_in_other_digits_never_passes_a_rule(tmp_path) -> None:
    """A record's own date, read by a rule with ``timestamp()``: in other digits it is
    the rule's error, never its pass."""
    path = tmp_path / "expiry.yaml"
    path.write_text(
        "apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: expiry}\nspec:\n"
        "  rules:\n    - id: approval-current\n"
        "      check: timestamp(model.spec.approved_until) > now\n",
        encoding="utf-8",
    )
    policies = policygate.load_policies([path])

    def outcome(until: str) -> str:
        record = {"apiVersion": "policygate/v1", "kind": "ModelRecord",
                  "metadata": {"name": "m", "version": "1"},
                  "spec": {"approved_until": until}}  # fmt: skip
        report = policygate.evaluate([record], policies, now="2026-06-01T00:00:00Z")
        [result] = report.models[0].results
        return str(result.status.value)

    assert outcome("2099-01-01T00:00:00Z") == "pass"
    assert outcome("2099-01-01T00:00:00Z".translate(ARABIC)) == "error"


@given(st.text(alphabet="0123456789.-+e", min_size=1, max_size=8))
def test_an_imported_number_in_other_digits_stays_text(text: str) -> None:
    """``as_number`` reads a metric written as text; the same text in other digits is
    not a number (it was: "٠.٩١" became 0.91)."""
    other = text.translate(ARABIC)
    if other != text:
        assert as_number(other) is None
    assert as_number(text) is None or isinstance(as_number(text), (int, float))


def test_an_imported_date_in_other_digits_is_not_a_date() -> None:
    assert normalize_timestamp("2020-01-01") == "2020-01-01T00:00:00Z"
    assert normalize_timestamp("2020-01-01".translate(ARABIC)) is None
    assert normalize_timestamp("08/28/2020".translate(FULLWIDTH)) is None


def test_a_superscript_version_is_ordered_as_text_not_a_crash() -> None:
    """``"²".isdigit()`` is true and ``int("²")`` fails: the registry's event of a
    promotion naming such a version was an internal error."""
    assert classify("set-alias", allowed=True, protected=True, version="²", previous="3") == (
        "promoted"
    )
    assert classify("set-alias", allowed=True, protected=True, version="2", previous="3") == (
        "rolled-back"
    )


def test_now_is_not_read_from_other_digits() -> None:
    with pytest.raises((ValueError, policygate.PolicygateError)):
        policygate.cel_evaluate("now", now="2026-01-01T00:00:00Z".translate(ARABIC))
    assert policygate.cel_evaluate("now", now="2026-01-01T00:00:00Z") == _dt.datetime(
        2026, 1, 1, tzinfo=_dt.UTC
    )


def test_a_superscript_registry_version_is_no_version_number() -> None:
    """``models:/m/²`` is not version 2 (nor sent to the registry as a number), and a
    W&B artifact version ``v²`` has no index (``int()`` of it failed)."""
    from types import SimpleNamespace

    from policygate.errors import PolicygateError
    from policygate.importers.mlflow import resolve_versions
    from policygate.importers.wandb import artifact_fragment

    with pytest.raises(PolicygateError, match="neither a version number nor a stage"):
        resolve_versions("models:/credit/²", None)  # type: ignore[arg-type]
    artifact = SimpleNamespace(name="credit:v²", version="v²", logged_by=lambda: None)
    assert artifact_fragment(artifact)["versionIndex"] is None
    artifact = SimpleNamespace(name="credit:v12", version="v12", logged_by=lambda: None)
    assert artifact_fragment(artifact)["versionIndex"] == 12
