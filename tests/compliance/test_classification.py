"""The EU AI Act classification pack (policies/eu-ai-act-classification.yaml)
and ``policygate classify``: every Annex III area and point, every Art. 5(1)
practice and exception, the Art. 6(1) route, every Art. 6(3) exception with
and without its Art. 6(4) assessment, the profiling override, and Art. 50."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from policygate import evaluate, load_policies
from policygate.classify import TIERS, classify
from policygate.cli import main
from policygate.errors import UsageError
from policygate.models import model_from_data

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "policies" / "eu-ai-act-classification.yaml"
NOW = "2026-11-26T00:00:00Z"

# Annex III of Regulation (EU) 2024/1689: its eight areas and their points.
ANNEX_III = {
    1: "abc",
    2: "",
    3: "abcd",
    4: "ab",
    5: "abcd",
    6: "abcde",
    7: "abcd",
    8: "ab",
}
ANNEX_III_POINTS = [
    (area, point or None) for area, points in ANNEX_III.items() for point in (points or [""])
]
ART_5_POINTS = "abcdefgh"
# Art. 5(1): the exceptions the points' own text makes, and the Annex III point
# the excepted use is then.
ART_5_EXCEPTIONS = [
    ("d", "supports-human-assessment", "6(d)"),
    ("f", "medical-or-safety", "1(c)"),
    ("g", "dataset-labelling", "1(b)"),
    ("g", "law-enforcement-categorisation", "1(b)"),
    ("h", "h-i", "1(a)"),
    ("h", "h-ii", "1(a)"),
    ("h", "h-iii", "1(a)"),
]
ART_50 = {
    "interaction": "50(1)",
    "synthetic-content": "50(2)",
    "emotion-recognition": "50(3)",
    "biometric-categorisation": "50(3)",
    "deep-fake": "50(4)",
    "public-interest-text": "50(4)",
}


@pytest.fixture(scope="module")
def pack():
    return load_policies([PACK])


def record(use: dict[str, Any], tier: str = "minimal") -> Any:
    data = {
        "apiVersion": "policygate/v1",
        "kind": "ModelRecord",
        "metadata": {"name": "system", "version": "1", "owner": "team"},
        "spec": {"risk_tier": tier, "intended_use": "Test", "use": use},
    }
    return model_from_data(data, "system.yaml")


def derive(pack, use: dict[str, Any], tier: str = "minimal"):
    (found,) = classify([record(use, tier)], pack, now=NOW)
    return found


def bases(classification) -> list[str]:
    return [r.basis for r in classification.reasons]


def test_annex_iii_lists_eight_areas_and_twenty_five_points(pack):
    (policy,) = pack
    assert sorted(policy.params["annex_iii_areas"]) == [str(a) for a in range(1, 9)]
    keys = {f"{a}({p})" if p else str(a) for a, p in ANNEX_III_POINTS}
    assert set(policy.params["annex_iii"]) == keys and len(keys) == 25
    assert sorted(policy.params["art_5"]) == list(ART_5_POINTS)
    assert sorted(policy.params["art_6_3"]) == list("abcd")
    assert set(policy.params["art_50"]) == set(ART_50)


@pytest.mark.parametrize(("area", "point"), ANNEX_III_POINTS)
def test_every_annex_iii_point_is_high_risk(pack, area, point):
    entry = {"area": area, **({"point": point} if point else {})}
    key = f"{area}({point})" if point else str(area)
    found = derive(pack, {"annex_iii": [entry]})
    assert found.derived == "high"
    assert bases(found) == [f"Art. 6(2), Annex III point {key}"]
    # declared minimal: the baseline rule fails, naming the point
    assert [p.rule for p in found.problems] == ["risk-tier.not-below-derived[0]"]
    assert f"lower than high: Art. 6(2), Annex III point {key}:" in found.problems[0].message
    assert derive(pack, {"annex_iii": [entry]}, "high").consistent


def test_a_fractional_area_is_no_area_of_annex_iii(pack):
    use = {"annex_iii": [{"area": 4.5, "point": "a"}]}
    data = {"metadata": {"name": "m", "version": "1"}, "spec": {"risk_tier": "minimal", "use": use}}
    (found,) = classify([model_from_data(data, "m.yaml")], pack, now=NOW)
    assert found.derived == "high" and bases(found) == ["Art. 6(2), Annex III"]
    assert "use.annex-iii[0]" in [p.rule for p in found.problems]


@pytest.mark.parametrize(("area", "point"), [(2, "a"), (1, "d"), (4, "c"), (6, "f"), (8, "c")])
def test_a_point_annex_iii_does_not_have_fails_closed(pack, area, point):
    found = derive(pack, {"annex_iii": [{"area": area, "point": point}]}, "high")
    assert found.derived == "high"  # fail closed: high until corrected
    assert [p.rule for p in found.problems] == ["use.annex-iii[0]"]
    assert f"Annex III has no point {area}({point})" in found.problems[0].message


@pytest.mark.parametrize("point", ART_5_POINTS)
def test_every_art_5_practice_is_unacceptable(pack, point):
    found = derive(pack, {"prohibited_practices": [{"point": point}]}, "unacceptable")
    assert found.derived == "unacceptable"
    assert bases(found) == [f"Art. 5(1)({point})"]
    assert [p.rule for p in found.problems] == ["prohibited.none[0]"]
    assert found.problems[0].message.startswith(f"Art. 5(1)({point}) prohibits placing")


@pytest.mark.parametrize(("point", "exception", "annex_iii"), ART_5_EXCEPTIONS)
def test_every_art_5_exception_is_its_annex_iii_use(pack, point, exception, annex_iii):
    practice = {"point": point, "exception": exception, "authorisation": "AUTH-1"}
    found = derive(pack, {"prohibited_practices": [practice]}, "high")
    assert found.derived == "high" and found.consistent
    assert bases(found) == [
        f"Art. 5(1)({point}), exception; Art. 6(2), Annex III point {annex_iii}"
    ]


@pytest.mark.parametrize("exception", ["h-i", "h-ii", "h-iii"])
def test_a_real_time_biometric_exception_needs_the_art_5_3_authorisation(pack, exception):
    found = derive(pack, {"prohibited_practices": [{"point": "h", "exception": exception}]})
    assert found.derived == "unacceptable"
    assert "prior authorisation of Art. 5(3)" in found.problems[0].message


@pytest.mark.parametrize(
    ("point", "exception"), [("a", "h-i"), ("c", "medical-or-safety"), ("f", "h-ii")]
)
def test_an_exception_of_another_point_does_not_apply(pack, point, exception):
    practice = {"point": point, "exception": exception, "authorisation": "AUTH-1"}
    found = derive(pack, {"prohibited_practices": [practice]}, "unacceptable")
    assert found.derived == "unacceptable"
    assert "use.prohibited-practices[0]" in [p.rule for p in found.problems]


@pytest.mark.parametrize("exception", "abcd")
def test_every_art_6_3_exception_with_its_assessment_is_not_high_risk(pack, exception):
    entry = {"area": 4, "point": "a", "exception": exception, "assessment": "RA-6-4"}
    found = derive(pack, {"annex_iii": [entry]})
    assert found.derived == "minimal" and found.consistent
    assert bases(found) == [f"Art. 6(3)({exception}), Annex III point 4(a)"]


@pytest.mark.parametrize("exception", "abcd")
def test_every_art_6_3_exception_without_its_assessment_stays_high(pack, exception):
    entry = {"area": 5, "point": "b", "exception": exception}
    found = derive(pack, {"annex_iii": [entry]})
    assert found.derived == "high"
    assert bases(found) == ["Art. 6(4), Annex III point 5(b)"]
    assert "use.art-6-3-exception[0]" in [p.rule for p in found.problems]


@pytest.mark.parametrize("exception", "abcd")
def test_profiling_overrides_every_art_6_3_exception(pack, exception):
    entry = {"area": 4, "point": "b", "exception": exception, "assessment": "RA-6-4"}
    found = derive(pack, {"profiling": True, "annex_iii": [entry]})
    assert found.derived == "high"
    assert bases(found) == ["Art. 6(3) last subparagraph, Annex III point 4(b)"]
    assert "performs profiling of natural persons" in found.reasons[0].text
    assert derive(pack, {"profiling": False, "annex_iii": [entry]}).derived == "minimal"


def test_profiling_without_annex_iii_use_is_not_high_risk(pack):
    assert derive(pack, {"profiling": True}).derived == "minimal"


@pytest.mark.parametrize(("role", "third_party", "tier"), [
    ("product", True, "high"),
    ("safety-component", True, "high"),
    ("product", False, "minimal"),
    ("safety-component", False, "minimal"),
])  # fmt: skip
def test_the_art_6_1_route_needs_both_conditions(pack, role, third_party, tier):
    annex_i = {
        "legislation": "Regulation (EU) 2023/1230 (machinery)",
        "role": role,
        "third_party_conformity_assessment": third_party,
    }
    found = derive(pack, {"annex_i": annex_i})
    assert found.derived == tier
    expected = "Art. 6(1)(a) and (b), Annex I" if tier == "high" else "Art. 6(1)"
    assert bases(found) == [expected]


def test_an_art_6_3_exception_does_not_lift_the_art_6_1_route(pack):
    use = {
        "annex_i": {"role": "product", "third_party_conformity_assessment": True},
        "annex_iii": [{"area": 3, "point": "b", "exception": "a", "assessment": "RA"}],
    }
    assert derive(pack, use).derived == "high"


@pytest.mark.parametrize(("obligation", "paragraph"), sorted(ART_50.items()))
def test_every_art_50_obligation_is_limited(pack, obligation, paragraph):
    found = derive(pack, {"transparency": [obligation]}, "limited")
    assert found.derived == "limited" and found.consistent
    assert bases(found) == [f"Art. {paragraph}"]
    assert not derive(pack, {"transparency": [obligation]}, "minimal").consistent


def test_an_empty_use_is_minimal_and_a_higher_declared_tier_is_fine(pack):
    found = derive(pack, {}, "high")
    assert found.derived == "minimal" and found.consistent
    assert found.reasons == ()


def test_a_record_without_a_use_is_not_classified(pack):
    data = {"metadata": {"name": "m", "version": "1"}, "spec": {"risk_tier": "high"}}
    (found,) = classify([model_from_data(data, "m.yaml")], pack, now=NOW)
    assert found.derived is None and not found.consistent


@pytest.mark.parametrize("declared", [None, "severe", 3])
def test_a_missing_or_unknown_declared_tier_fails(pack, declared):
    data = {
        "metadata": {"name": "m", "version": "1"},
        "spec": {"use": {"annex_iii": [{"area": 5, "point": "c"}]}},
    }
    if declared is not None:
        data["spec"]["risk_tier"] = declared
    (found,) = classify([model_from_data(data, "m.yaml")], pack, now=NOW)
    assert found.derived == "high" and not found.consistent


def test_classify_needs_the_pack():
    others = load_policies([ROOT / "policies" / "limited-risk.yaml"])
    with pytest.raises(UsageError, match="no policy named eu-ai-act-classification"):
        classify([record({})], others)


def test_a_use_the_schema_refuses_is_a_load_error_with_its_path(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(
        "apiVersion: policygate/v1\nkind: ModelRecord\nmetadata: {name: m, version: '1'}\n"
        "spec:\n  use:\n    annex_iii: [{area: 9, point: a}]\n"
    )
    result = CliRunner().invoke(main, ["classify", str(path), "-p", str(PACK)])
    assert result.exit_code == 2
    assert f"{path}:6:" in result.stderr and "spec.use.annex_iii[0].area" in result.stderr


# ── the law behind the derivation: the tier is the highest of its steps ───────

annex_iii_entries = st.builds(
    lambda ap, exc: {
        "area": ap[0],
        **({"point": ap[1]} if ap[1] else {}),
        **({"exception": exc, "assessment": "RA"} if exc else {}),
    },
    st.sampled_from(ANNEX_III_POINTS),
    st.sampled_from(["", "a", "b", "c", "d"]),
)
uses = st.fixed_dictionaries(
    {},
    optional={
        "annex_iii": st.lists(annex_iii_entries, max_size=3),
        "prohibited_practices": st.lists(
            st.builds(lambda p: {"point": p}, st.sampled_from(ART_5_POINTS)), max_size=2
        ),
        "transparency": st.lists(st.sampled_from(sorted(ART_50)), max_size=2),
        "profiling": st.booleans(),
    },
)


def expected_tier(use: dict[str, Any]) -> str:
    if use.get("prohibited_practices"):
        return "unacceptable"
    for entry in use.get("annex_iii", []):
        if "exception" not in entry or use.get("profiling"):
            return "high"
    return "limited" if use.get("transparency") else "minimal"


@settings(max_examples=40, deadline=None)
@given(use=uses, more=uses)
def test_the_derived_tier_is_the_highest_step_and_more_use_never_lowers_it(use, more):
    pack = load_policies([PACK])
    found = derive(pack, use)
    assert found.derived == expected_tier(use)
    merged: dict[str, Any] = {
        key: use.get(key, []) + more.get(key, [])
        for key in ("annex_iii", "prohibited_practices", "transparency")
    }
    merged["profiling"] = bool(use.get("profiling") or more.get("profiling"))
    assert TIERS.index(derive(pack, merged).derived) >= TIERS.index(found.derived)


def test_check_and_classify_agree(pack):
    use = {"annex_iii": [{"area": 7, "point": "b"}], "transparency": ["interaction"]}
    report = evaluate([record(use, "limited")], pack, now=NOW)
    failed = [r.item for r in report.models[0].results if r.status.value == "fail"]
    assert failed == [0]
    assert not derive(pack, use, "limited").consistent


# ── the command ──────────────────────────────────────────────────────────────


def write_record(path: Path, tier: str, use: str) -> Path:
    path.write_text(
        "apiVersion: policygate/v1\nkind: ModelRecord\n"
        f"metadata: {{name: {path.stem}, version: '1'}}\n"
        f"spec:\n  risk_tier: {tier}\n  use: {use}\n"
    )
    return path


def test_classify_prints_the_tier_and_its_reasons(tmp_path):
    model = write_record(tmp_path / "credit.yaml", "high", "{annex_iii: [{area: 5, point: b}]}")
    result = CliRunner().invoke(main, ["classify", str(model), "-p", str(PACK), "--now", NOW])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"OK       credit@1  derived: high  declared: high  {model}\n"
        "  high         Art. 6(2), Annex III point 5(b): Access to and enjoyment of essential "
        "private services and essential public services and benefits: evaluating the "
        "creditworthiness of natural persons or establishing their credit score (not AI "
        "systems used for the purpose of detecting financial fraud)\n"
        "1 model, 1 consistent, 0 with problems\n"
    )


def test_classify_exits_1_for_a_tier_below_the_derived_one(tmp_path):
    model = write_record(tmp_path / "chat.yaml", "minimal", "{transparency: [interaction]}")
    args = ["classify", str(model), "-p", str(PACK), "-f", "json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    (found,) = json.loads(result.stdout)["models"]
    assert found["derived"] == "limited" and found["declared"] == "minimal"
    assert found["consistent"] is False
    assert found["reasons"][0] == {
        "tier": "limited",
        "basis": "Art. 50(1)",
        "text": "intended to interact directly with natural persons",
    }
    assert found["problems"][0]["rule"] == "risk-tier.not-below-derived[0]"


def test_classify_judges_the_tier_not_the_technical_file(tmp_path):
    model = write_record(tmp_path / "cv.yaml", "high", "{annex_iii: [{area: 4, point: a}]}")
    text = model.read_text().replace("version: '1'", "version: '1', target_stage: production")
    model.write_text(text)
    result = CliRunner().invoke(main, ["classify", str(model), "-p", str(PACK), "--now", NOW])
    assert result.exit_code == 0, result.output  # annex-iv.sections fails, in check
    assert "annex-iv" not in result.stdout


def test_classify_takes_set_for_what_a_source_lacks(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("name: m\nversion: '1'\nspec: {use: {annex_iii: [{area: 5, point: b}]}}\n")
    args = ["classify", str(path), "-p", str(PACK), "--set", "spec.risk_tier=limited"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "derived: high  declared: limited" in result.stdout
