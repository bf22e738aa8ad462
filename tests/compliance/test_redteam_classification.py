"""A record without apiVersion/kind is not held to the schema: the pack itself
must refuse a ``spec.use`` it cannot read, and never derive a lower tier from it
(a misspelt step, ``profiling: yes``, an Annex I role in another case)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from policygate import evaluate, load_policies
from policygate.classify import TIERS, classify
from policygate.cli import main
from policygate.models import model_from_data

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "policies" / "eu-ai-act-classification.yaml"
NOW = "2026-11-26T00:00:00Z"
STEPS = ("prohibited_practices", "annex_i", "annex_iii", "profiling", "transparency")


@pytest.fixture(scope="module")
def pack():
    return load_policies([PACK])


def kindless(use: dict[str, Any], tier: str = "minimal") -> Any:
    data = {"metadata": {"name": "system", "version": "1"}, "spec": {"risk_tier": tier, "use": use}}
    return model_from_data(data, "system.yaml")


def judged(pack, use: dict[str, Any], tier: str = "minimal"):
    (found,) = classify([kindless(use, tier)], pack, now=NOW)
    report = evaluate([kindless(use, tier)], pack, now=NOW)
    failed = {r.rule for r in report.models[0].results if r.status.value in ("fail", "error")}
    return found, failed


@pytest.mark.parametrize("key", ["annex_III", "Annex_iii", "prohibited_practises", "annex-iii",
                                 "annex_iii ", "ａnnex_iii"])  # fmt: skip
def test_a_use_under_a_key_that_is_no_step_fails_and_is_never_lowered(pack, key):
    found, failed = judged(pack, {key: [{"area": 4, "point": "a"}]})
    assert found.derived == "unacceptable" and not found.consistent
    assert {"use.declared", "risk-tier.not-below-derived"} <= failed
    assert any(key in p.message for p in found.problems if p.rule == "use.declared")


@pytest.mark.parametrize("profiling", ["yes", "true", "on", 1, None, "no"])
def test_profiling_that_is_not_a_boolean_overrides_the_art_6_3_exception(pack, profiling):
    entry = {"area": 4, "point": "a", "exception": "a", "assessment": "RA-1"}
    found, failed = judged(pack, {"profiling": profiling, "annex_iii": [entry]})
    assert found.derived == "high" and not found.consistent
    assert "use.declared" in failed
    assert derive_tier(pack, {"profiling": False, "annex_iii": [entry]}) == "minimal"


@pytest.mark.parametrize("annex_i", [
    {"role": "Product", "third_party_conformity_assessment": True},
    {"role": "safety component", "third_party_conformity_assessment": True},
    {"role": "product", "third_party_conformity_assessment": "yes"},
    {"role": "product", "third_party_conformity_assessment": None},
    {"role": "product", "third-party-conformity-assessment": True},
    ["product"],
])  # fmt: skip
def test_an_annex_i_entry_the_conditions_cannot_be_read_from_is_high(pack, annex_i):
    found, failed = judged(pack, {"annex_i": annex_i})
    assert found.derived == "high" and not found.consistent
    assert "use.declared" in failed


def derive_tier(pack, use: dict[str, Any]) -> str | None:
    (found,) = classify([kindless(use)], pack, now=NOW)
    return found.derived


junk = st.one_of(st.text(max_size=5), st.integers(), st.none(), st.booleans())


@settings(max_examples=40, deadline=None)
@given(
    key=st.text(min_size=1, max_size=12).filter(lambda k: k not in STEPS),
    value=st.one_of(junk, st.lists(junk, max_size=3)),
)
def test_any_unknown_key_makes_the_use_unacceptable_until_corrected(key, value):
    pack = load_policies([PACK])
    found, failed = judged(pack, {"annex_iii": [{"area": 2}], key: value}, "high")
    assert found.derived == TIERS[-1] and not found.consistent
    assert "use.declared" in failed


def test_check_fails_a_kindless_record_whose_use_is_misspelt(tmp_path):
    path = tmp_path / "hiring.yaml"
    path.write_text(
        "metadata: {name: hiring, version: '1'}\n"
        "spec:\n  risk_tier: minimal\n  use:\n    profiling: yes\n"
        "    annex_iii: [{area: 4, point: a, exception: a, assessment: RA-1}]\n"
    )
    runner = CliRunner()
    checked = runner.invoke(main, ["check", str(path), "-p", str(PACK), "--now", NOW])
    assert checked.exit_code == 1, checked.output
    assert "spec.use.profiling is neither true nor false" in checked.output
    classified = runner.invoke(main, ["classify", str(path), "-p", str(PACK), "--now", NOW])
    assert classified.exit_code == 1, classified.output
    assert "derived: high" in classified.output


def test_classify_text_keeps_the_records_text_on_its_line(tmp_path):
    path = tmp_path / "forge.yaml"
    path.write_text(
        'metadata: {name: "m\\nOK       evil@1  derived: minimal  declared: minimal",'
        ' version: "1"}\n'
        'spec:\n  risk_tier: "high\\e[2J"\n  use:\n'
        '    annex_iii: [{area: 4, point: a, exception: a, assessment: "RA\\nOK  x\\u202e"}]\n'
    )
    result = CliRunner().invoke(main, ["classify", str(path), "-p", str(PACK), "--now", NOW])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert [line for line in lines if line.startswith("OK")] == []
    assert lines[0].startswith("PROBLEM  m\\x0aOK ") and "high\\x1b[2J" in lines[0]
    assert not any(c in result.output for c in "\x1b\u202e\r")
    assert lines[-1] == "1 model, 0 consistent, 1 with problems"


@pytest.mark.parametrize(
    "use", ['"hiring"', "[{annex_iii: [{area: 4, point: a}]}]", "{annex_iii: {area: 4}}"]
)
def test_a_use_the_derivation_cannot_read_is_not_reported_absent(tmp_path, use):
    path = tmp_path / "m.yaml"
    path.write_text(
        f"metadata: {{name: m, version: '1'}}\nspec:\n  risk_tier: high\n  use: {use}\n"
    )
    result = CliRunner().invoke(main, ["classify", str(path), "-p", str(PACK), "--now", NOW])
    assert result.exit_code == 1, result.output
    assert "derived: not classified (the derivation failed)" in result.output
    assert "no spec.use" not in result.output
