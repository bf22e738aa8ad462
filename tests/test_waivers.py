"""Tests for policygate.waivers and the RFC 3339 timestamps waivers rely on."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

import policygate
from policygate.errors import (
    ErrorGroup,
    LoadError,
    Location,
    PolicyError,
    PolicygateError,
    SchemaError,
)
from policygate.timestamps import format_timestamp, parse_timestamp
from policygate.waivers import Waiver, load_waivers

UTC = dt.UTC
REPO = Path(__file__).resolve().parents[1]


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def waiver_text(name: str = "w", *, expires_at: str | None = '"2026-12-31T00:00:00Z"',
                rule: str = "production-promotion/fairness.parity",
                models: str = '["credit-default@3.*"]', extra: str = "") -> str:  # fmt: skip
    text = (
        "apiVersion: policygate/v1\n"
        "kind: Waiver\n"
        f"metadata: {{name: {name}}}\n"
        "spec:\n"
        f"  rule: {rule}\n"
        f"  models: {models}\n"
        "  justification: Mitigation retraining scheduled; see RA-2026-051.\n"
        "  approved_by: carol@example.com\n"
    )
    if expires_at is not None:
        text += f"  expires_at: {expires_at}\n"
    return text + extra


def position_of(path: Path, marker: str) -> tuple[int, int]:
    text = path.read_text(encoding="utf-8")
    index = text.index(marker)
    before = text[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


def make(
    rule: str = "p/r", models: tuple[str, ...] = ("m",), expires: str = "2027-01-01T00:00:00Z"
) -> Waiver:
    return Waiver(
        name="w",
        rule=rule,
        models=models,
        justification="j",
        approved_by="a",
        expires_at=parse_timestamp(expires),
    )


# --------------------------------------------------------------------------- loading


def test_load_a_waiver(tmp_path: Path) -> None:
    path = write(tmp_path / "w.yaml", waiver_text())
    (waiver,) = load_waivers([path])
    assert waiver == Waiver(
        name="w",
        rule="production-promotion/fairness.parity",
        models=("credit-default@3.*",),
        justification="Mitigation retraining scheduled; see RA-2026-051.",
        approved_by="carol@example.com",
        expires_at=dt.datetime(2026, 12, 31, tzinfo=UTC),
        source=str(path),
        location=Location(str(path), 1, 1),
    )
    assert waiver.expires_at.tzinfo is not None


def test_load_several_waivers_from_files_and_directories(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    write(tmp_path / "dir" / "a.yaml", waiver_text("a") + "---\n" + waiver_text("b"))
    write(tmp_path / "c.json", '{"apiVersion": "policygate/v1", "kind": "Waiver",'
          ' "metadata": {"name": "c"}, "spec": {"rule": "p/r", "models": ["m"],'
          ' "justification": "j", "approved_by": "x",'
          ' "expires_at": "2027-01-01T00:00:00+02:00"}}')  # fmt: skip
    waivers = load_waivers([tmp_path / "dir", tmp_path / "c.json"])
    assert [w.name for w in waivers] == ["a", "b", "c"]
    assert waivers[2].expires_at == dt.datetime(2026, 12, 31, 22, tzinfo=UTC)


def test_the_shipped_example_waiver_loads() -> None:
    waivers = load_waivers([REPO / "examples" / "waivers"])
    assert waivers
    assert all(w.expires_at.tzinfo is not None for w in waivers)


def test_no_waiver_files_is_no_waivers(tmp_path: Path) -> None:
    assert load_waivers([]) == []
    (tmp_path / "empty").mkdir()
    assert load_waivers([tmp_path / "empty"]) == []


def test_a_waiver_without_expiry_is_a_load_error(tmp_path: Path) -> None:
    path = write(tmp_path / "w.yaml", waiver_text(expires_at=None))
    with pytest.raises(SchemaError) as info:
        load_waivers([path])
    error = info.value
    assert error.message == "'expires_at' is required"
    assert error.json_path == ("spec",)
    assert error.location == Location(str(path), *position_of(path, "rule:"))
    assert str(error) == f"{path}:5:3: 'expires_at' is required (at $.spec)"


@pytest.mark.parametrize(
    "value",
    [
        "2026-12-31",  # an unquoted YAML date stays a string, without a time
        '"2026-12-31T00:00:00"',  # no offset: a different instant in every office
        '"31/12/2026"',
        '"2026-02-30T00:00:00Z"',  # no such day
        '"2026-12-31T24:00:00Z"',
        '"next year"',
    ],
)
def test_a_bad_expiry_timestamp(tmp_path: Path, value: str) -> None:
    path = write(tmp_path / "w.yaml", waiver_text(expires_at=value))
    with pytest.raises(PolicyError) as info:
        load_waivers([path])
    error = info.value
    assert error.message.startswith("expires_at: ")
    assert error.location == Location(str(path), *position_of(path, value))


def test_an_expiry_of_the_wrong_type(tmp_path: Path) -> None:
    path = write(tmp_path / "w.yaml", waiver_text(expires_at="20261231"))
    with pytest.raises(SchemaError) as info:
        load_waivers([path])
    assert info.value.message == "must be of type string, got number"
    assert info.value.json_path == ("spec", "expires_at")
    assert info.value.location == Location(str(path), *position_of(path, "20261231"))


@pytest.mark.parametrize(
    ("override", "json_path", "message"),
    [
        ({"rule": "fairness.parity"}, ("spec", "rule"), "does not match"),
        ({"models": "[]"}, ("spec", "models"), "should be non-empty"),
        ({"extra": "  reason: typo\n"}, ("spec", "reason"), "unknown key 'reason'"),
    ],
)
def test_schema_violations_in_waivers(
    tmp_path: Path, override: dict[str, str], json_path: tuple[str, ...], message: str
) -> None:
    path = write(tmp_path / "w.yaml", waiver_text(**override))
    with pytest.raises(SchemaError) as info:
        load_waivers([path])
    assert info.value.json_path == json_path
    assert message in info.value.message
    assert info.value.location is not None and info.value.location.line is not None


@pytest.mark.parametrize(
    ("document", "found"),
    [
        ("apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: p}\n", "Policy"),
        ("metadata: {name: m}\n", "an untyped document"),
        ("- a list\n", "an untyped document"),
    ],
)
def test_a_document_that_is_not_a_waiver_is_an_error(
    tmp_path: Path, document: str, found: str
) -> None:
    path = write(tmp_path / "w.yaml", waiver_text() + "---\n" + document)
    with pytest.raises(PolicyError) as info:
        load_waivers([path])
    assert info.value.message == f"expected a Waiver document, found {found}"
    assert info.value.location == Location(str(path), 11, 1)  # after the '---' line


def test_an_unknown_kind_in_a_waivers_file(tmp_path: Path) -> None:
    path = write(tmp_path / "w.yaml", "apiVersion: policygate/v1\nkind: Waver\n")
    with pytest.raises(LoadError) as info:
        load_waivers([path])
    assert info.value.message.startswith("unknown kind 'Waver'")
    assert info.value.location == Location(str(path), 2, 7)


def test_several_waiver_errors_are_reported_together(tmp_path: Path) -> None:
    path = write(
        tmp_path / "w.yaml",
        waiver_text("ok")
        + "---\n"
        + waiver_text("no-expiry", expires_at=None)
        + "---\n"
        + waiver_text("bad-expiry", expires_at="tomorrow")
        + "---\nname: untyped\n",
    )
    with pytest.raises(ErrorGroup) as info:
        load_waivers([path])
    errors = info.value.errors
    assert [type(e) for e in errors] == [SchemaError, PolicyError, PolicyError]
    lines = [e.location.line for e in errors if e.location]
    assert lines == sorted(lines) and len(lines) == 3
    assert str(info.value).count("\n") == 2


def test_a_missing_waivers_file(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as info:
        load_waivers([tmp_path / "nope.yaml"])
    assert "no such file or directory" in info.value.message


# --------------------------------------------------------------------------- covers


@pytest.mark.parametrize(
    ("rule", "policy", "rule_id", "expected"),
    [
        ("p/r", "p", "r", True),
        ("p/r", "p", "r2", False),
        ("p/r", "q", "r", False),
        ("p/fairness.*", "p", "fairness.parity", True),
        ("p/fairness.*", "p", "fairness", False),
        ("p/fairness.*", "p", "performance.auc", False),
        ("*/fairness.parity", "any-policy", "fairness.parity", True),
        ("p/*", "p", "anything", True),
        ("p/r?", "p", "r1", True),
        ("p/r?", "p", "r12", False),
        ("P/R", "p", "r", False),  # case-sensitive
        ("p/fairness.parity", "p", "fairnessXparity", False),  # '.' is literal
    ],
)
def test_covers_rule_globs(rule: str, policy: str, rule_id: str, expected: bool) -> None:
    assert make(rule=rule).covers(policy, rule_id, "m", "1.0") is expected


@pytest.mark.parametrize(
    ("pattern", "name", "version", "expected"),
    [
        ("credit-default", "credit-default", "3.1.0", True),  # no version: every version
        ("credit-default", "credit-default", "", True),
        ("credit-default", "credit-limit", "3.1.0", False),
        ("credit-default@3.*", "credit-default", "3.1.0", True),
        ("credit-default@3.*", "credit-default", "3", False),
        ("credit-default@3.*", "credit-default", "4.0.0", False),
        ("credit-default@3.*", "credit-default", "13.0", False),
        ("credit-default@3.1.0", "credit-default", "3.1.0", True),
        ("credit-default@3.1.0", "credit-default", "3.1.01", False),
        ("credit-*", "credit-limit", "2.4.1", True),
        ("credit-*@2.4.*", "credit-limit", "2.4.1", True),
        ("credit-*@2.4.*", "credit-limit", "2.5.0", False),
        ("*", "anything", "1", True),
        ("*@1.*", "anything", "2.0", False),
        ("Credit-default", "credit-default", "1", False),  # case-sensitive
    ],
)
def test_covers_model_name_and_version_globs(
    pattern: str, name: str, version: str, expected: bool
) -> None:
    assert make(models=(pattern,)).covers("p", "r", name, version) is expected


def test_covers_any_of_several_model_patterns() -> None:
    waiver = make(models=("a@1.*", "b"))
    assert waiver.covers("p", "r", "a", "1.2")
    assert waiver.covers("p", "r", "b", "9")
    assert not waiver.covers("p", "r", "a", "2.0")
    assert not waiver.covers("p", "r", "c", "1.2")


def test_covers_needs_both_rule_and_model() -> None:
    waiver = make(rule="p/r", models=("m@1",))
    assert waiver.covers("p", "r", "m", "1")
    assert not waiver.covers("p", "other", "m", "1")
    assert not waiver.covers("p", "r", "other", "1")


# --------------------------------------------------------------------------- expiry


def test_active_until_the_expiry_instant() -> None:
    waiver = make(expires="2026-12-31T00:00:00Z")
    expiry = dt.datetime(2026, 12, 31, tzinfo=UTC)
    assert waiver.active(expiry - dt.timedelta(microseconds=1))
    assert waiver.active(expiry - dt.timedelta(days=365))
    assert not waiver.active(expiry)  # expires_at == now: expired
    assert not waiver.active(expiry + dt.timedelta(seconds=1))


def test_expiry_compares_instants_across_offsets() -> None:
    waiver = make(expires="2026-12-31T01:00:00+01:00")  # midnight UTC
    assert not waiver.active(dt.datetime(2026, 12, 31, tzinfo=UTC))
    assert waiver.active(dt.datetime(2026, 12, 30, 23, 59, 59, tzinfo=UTC))
    est = dt.timezone(dt.timedelta(hours=-5))
    assert waiver.active(dt.datetime(2026, 12, 30, 18, 59, 59, tzinfo=est))
    assert not waiver.active(dt.datetime(2026, 12, 30, 19, 0, 0, tzinfo=est))


# --------------------------------------------------------------------------- timestamps


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-31T00:00:00Z", dt.datetime(2026, 12, 31, tzinfo=UTC)),
        ("2026-12-31t00:00:00z", dt.datetime(2026, 12, 31, tzinfo=UTC)),
        ("2026-12-31T02:00:00+02:00", dt.datetime(2026, 12, 31, tzinfo=UTC)),
        ("2026-12-30T19:30:00-04:30", dt.datetime(2026, 12, 31, tzinfo=UTC)),
        ("2026-12-31T00:00:00.5Z", dt.datetime(2026, 12, 31, 0, 0, 0, 500000, tzinfo=UTC)),
        ("2026-12-31T00:00:00.1234567Z", dt.datetime(2026, 12, 31, 0, 0, 0, 123456, tzinfo=UTC)),
        ("2026-12-31T00:00:00.1+00:00", dt.datetime(2026, 12, 31, 0, 0, 0, 100000, tzinfo=UTC)),
        # Past nine digits the fraction is cut, as Go's time.Parse (cel-go) cuts it:
        ("2026-12-31T00:00:00.1234567890Z",
         dt.datetime(2026, 12, 31, 0, 0, 0, 123456, tzinfo=UTC)),  # fmt: skip
        ("2026-12-31T23:59:00+23:59", dt.datetime(2026, 12, 31, tzinfo=UTC)),
    ],
)
def test_parse_timestamp(text: str, expected: dt.datetime) -> None:
    value = parse_timestamp(text)
    assert value == expected
    assert value.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-31",
        "2026-12-31T00:00:00",
        "2026-12-31T00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-12-31T23:59:60Z",
        "2026-12-31T00:00:00+24:00",
        "2026-12-31T00:00:00+00:99",
        "2026-12-31T00:00:00+00:60",
        "2026-12-31 00:00:00Z",
        "  2026-12-31T00:00:00Z\n",
        "0001-01-01T00:00:00+01:00",  # before the first representable instant
        "9999-12-31T23:00:00-02:00",  # after the last
        "\uff12026-12-31T00:00:00Z",  # a full-width digit
        "2026-12-31T00:00:00Z trailing",
        "",
        "now",
    ],
)
def test_parse_timestamp_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(text)


def test_parse_timestamp_refuses_non_strings() -> None:
    with pytest.raises(ValueError):
        parse_timestamp(20261231)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (dt.datetime(2026, 12, 31, tzinfo=UTC), "2026-12-31T00:00:00Z"),
        (dt.datetime(2026, 12, 31, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))),
         "2026-12-31T00:00:00Z"),
        (dt.datetime(2026, 12, 31, 0, 0, 0, 500000, tzinfo=UTC), "2026-12-31T00:00:00.5Z"),
        (dt.datetime(2026, 12, 31, 0, 0, 0, 123, tzinfo=UTC), "2026-12-31T00:00:00.000123Z"),
        (dt.datetime(999, 1, 2, tzinfo=UTC), "0999-01-02T00:00:00Z"),
    ],
)  # fmt: skip
def test_format_timestamp(value: dt.datetime, text: str) -> None:
    assert format_timestamp(value) == text
    assert parse_timestamp(text) == value


def test_two_waivers_of_one_name_are_a_load_error(tmp_path):
    """Results and the decision log name a waiver by its name: two of one name
    would let the log record the digest of the other (issue 14, item 7)."""
    text = """\
apiVersion: policygate/v1
kind: Waiver
metadata: {name: same}
spec: {rule: p/r, models: [m], justification: j, approved_by: a, expires_at: "2027-01-01T00:00:00Z"}
"""
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(text.replace("p/r", "p/*"), encoding="utf-8")
    with pytest.raises(PolicygateError) as raised:
        load_waivers([tmp_path])
    assert raised.value.message.startswith("duplicate waiver name 'same' (first at ")
    assert raised.value.location is not None and raised.value.location.path.endswith("b.yaml")
    (first,) = load_waivers([tmp_path / "a.yaml"])
    with pytest.raises(PolicygateError, match="duplicate waiver name 'same'"):
        policygate.evaluate([{"name": "m"}], [], waivers=[first, first])
