"""The format registry covers every OutputFormat member; an unknown name is an error."""

from __future__ import annotations

import importlib

import pytest

from policygate import UsageError
from policygate.cli.check import check
from policygate.formats import MODULES, OutputFormat, render, renderer
from policygate.report import ModelReport, PolicyUse, Report, Result, Status

REPORT = Report(
    now="2026-11-26T00:00:00Z",
    fail_on="error",
    models=(
        ModelReport(
            "m", "1", "m.yaml", True, (PolicyUse("p", True),),
            (Result(policy="p", rule="r", status=Status.PASS),),
        ),
    ),
)  # fmt: skip


def test_registry_is_exhaustive():
    assert set(MODULES) == set(OutputFormat)


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_every_format_renders_a_string(fmt):
    module = importlib.import_module(f"policygate.formats.{MODULES[fmt]}")
    assert renderer(fmt) is module.render
    assert renderer(fmt.value) is module.render
    text = render(REPORT, fmt)
    assert isinstance(text, str) and text
    assert render(REPORT, fmt.value) == text


@pytest.mark.parametrize("name", ["bogus", "", "JSON", " text", "txt"])
def test_unknown_format_is_a_usage_error(name):
    with pytest.raises(UsageError, match="unknown format") as info:
        renderer(name)
    for fmt in OutputFormat:
        assert fmt.value in str(info.value)


def test_cli_offers_exactly_the_registered_formats():
    option = next(p for p in check.params if p.name == "fmt")
    assert list(option.type.choices) == [f.value for f in OutputFormat]


def test_default_format_is_text():
    assert render(REPORT) == render(REPORT, OutputFormat.TEXT)
