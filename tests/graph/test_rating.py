"""Risk ratings (SPEC §12): the default 5×5 matrix cell by cell, a register's
own matrix, the residual for each combination of control states, the laws
the ratings keep (hypothesis), load errors with their locations, and the
heat map the HTML report draws."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import policygate
from policygate.errors import ErrorGroup, PolicygateError
from policygate.graph import build_risk_graph, load_risk_registers
from policygate.graph.rating import (
    DEFAULT_MATRIX,
    LIKELIHOODS,
    RATINGS,
    RiskMatrix,
    heat_map,
    rank,
)
from policygate.report import ModelReport, Report, RiskUse
from policygate.validation import shipped_validator

NOW = "2026-11-26T00:00:00Z"
STATES = ("satisfied", "violated", "waived", "unverified")

# The default matrix as docs/risks-and-controls.md prints it: rows are likelihood
# (rare .. almost-certain), columns impact (negligible .. severe).
EXPECTED_DEFAULT = {
    "rare": ("low", "low", "low", "medium", "medium"),
    "unlikely": ("low", "medium", "medium", "high", "high"),
    "possible": ("low", "medium", "high", "high", "critical"),
    "likely": ("medium", "high", "high", "critical", "critical"),
    "almost-certain": ("medium", "high", "critical", "critical", "critical"),
}


@pytest.mark.parametrize(("likelihood", "impact"), list(itertools.product(range(5), range(5))))
def test_every_cell_of_the_default_matrix(likelihood, impact):
    expected = EXPECTED_DEFAULT[LIKELIHOODS[likelihood]][impact]
    assert DEFAULT_MATRIX.inherent(likelihood, impact) == expected


def test_default_scales():
    assert DEFAULT_MATRIX.likelihoods == (
        "rare", "unlikely", "possible", "likely", "almost-certain",
    )  # fmt: skip
    assert DEFAULT_MATRIX.impacts == ("negligible", "minor", "moderate", "major", "severe")
    assert DEFAULT_MATRIX.ratings == ("low", "medium", "high", "critical")
    assert DEFAULT_MATRIX.lower_when_satisfied == 1


# --------------------------------------------------------------------------- residual


@pytest.mark.parametrize("states", list(itertools.product(STATES, repeat=2)))
def test_residual_for_each_combination_of_two_control_states(states):
    residual = DEFAULT_MATRIX.residual("critical", states)
    if set(states) == {"satisfied"}:
        assert residual == "high"
    else:  # violated, waived or unverified: no evidence that the control holds
        assert residual == "critical"


@pytest.mark.parametrize("state", STATES)
def test_residual_for_one_control(state):
    assert DEFAULT_MATRIX.residual("high", [state]) == (
        "medium" if state == "satisfied" else "high"
    )


def test_a_risk_without_controls_stays_inherent():
    assert DEFAULT_MATRIX.residual("high", []) == "high"


def test_unrated_stays_unrated():
    assert DEFAULT_MATRIX.residual("", ["satisfied"]) == ""


def test_lowering_is_clamped_at_the_lowest_rating():
    assert DEFAULT_MATRIX.residual("low", ["satisfied"]) == "low"
    two = RiskMatrix(lower_when_satisfied=2)
    assert two.residual("medium", ["satisfied"]) == "low"
    assert two.residual("critical", ["satisfied"]) == "medium"
    assert RiskMatrix(lower_when_satisfied=0).residual("high", ["satisfied"]) == "high"


# --------------------------------------------------------------------------- laws


@st.composite
def matrices(draw):
    """A valid matrix: ratings that never fall as likelihood or impact rise."""
    rows = draw(st.integers(2, 6))
    cols = draw(st.integers(2, 6))
    ratings = tuple(f"r{i}" for i in range(draw(st.integers(2, 6))))
    # A monotone table: each cell the max of its upper and left neighbour plus a step.
    steps = draw(st.lists(st.integers(0, 2), min_size=rows * cols, max_size=rows * cols))
    table = [[0] * cols for _ in range(rows)]
    for r in range(rows):
        for c in range(cols):
            before = max(table[r - 1][c] if r else 0, table[r][c - 1] if c else 0)
            table[r][c] = min(len(ratings) - 1, before + steps[r * cols + c])
    return RiskMatrix(
        likelihoods=tuple(f"l{i}" for i in range(rows)),
        impacts=tuple(f"i{i}" for i in range(cols)),
        ratings=ratings,
        cells=tuple(tuple(ratings[v] for v in row) for row in table),
        lower_when_satisfied=draw(st.integers(0, 7)),
    )


@given(matrices(), st.data())
def test_residual_is_never_above_inherent(matrix, data):
    likelihood = data.draw(st.integers(0, len(matrix.likelihoods) - 1))
    impact = data.draw(st.integers(0, len(matrix.impacts) - 1))
    states = data.draw(st.lists(st.sampled_from(STATES), max_size=6))
    inherent = matrix.inherent(likelihood, impact)
    residual = matrix.residual(inherent, states)
    assert rank(residual, matrix.ratings) <= rank(inherent, matrix.ratings)


@given(matrices(), st.data())
def test_all_satisfied_lowers_by_the_declared_steps_clamped(matrix, data):
    inherent = data.draw(st.sampled_from(matrix.ratings))
    count = data.draw(st.integers(1, 6))
    residual = matrix.residual(inherent, ["satisfied"] * count)
    expected = max(0, matrix.ratings.index(inherent) - matrix.lower_when_satisfied)
    assert matrix.ratings.index(residual) == expected


@given(matrices(), st.data())
def test_any_other_state_keeps_inherent(matrix, data):
    inherent = data.draw(st.sampled_from(matrix.ratings))
    states = data.draw(st.lists(st.sampled_from(STATES), min_size=1, max_size=6))
    states.append(data.draw(st.sampled_from(STATES[1:])))
    assert matrix.residual(inherent, data.draw(st.permutations(states))) == inherent


@given(st.data())
def test_default_ratings_are_monotone_in_likelihood_and_impact(data):
    l1, l2 = sorted(data.draw(st.lists(st.integers(0, 4), min_size=2, max_size=2)))
    i1, i2 = sorted(data.draw(st.lists(st.integers(0, 4), min_size=2, max_size=2)))
    low, high = DEFAULT_MATRIX.inherent(l1, i1), DEFAULT_MATRIX.inherent(l2, i2)
    assert rank(low, RATINGS) <= rank(high, RATINGS)


@given(st.data())
def test_residual_is_monotone_in_likelihood_and_impact(data):
    """With the same control states, a likelier or graver risk never ends lower."""
    l1, l2 = sorted(data.draw(st.lists(st.integers(0, 4), min_size=2, max_size=2)))
    i1, i2 = sorted(data.draw(st.lists(st.integers(0, 4), min_size=2, max_size=2)))
    states = data.draw(st.lists(st.sampled_from(STATES), max_size=4))
    low = DEFAULT_MATRIX.residual(DEFAULT_MATRIX.inherent(l1, i1), states)
    high = DEFAULT_MATRIX.residual(DEFAULT_MATRIX.inherent(l2, i2), states)
    assert rank(low, RATINGS) <= rank(high, RATINGS)


# --------------------------------------------------------------------------- loading

REGISTER = """\
apiVersion: policygate/v1
kind: RiskRegister
metadata: {name: reg}
spec:
  risks:
    - id: R-A
      title: A
      likelihood: likely
      impact: major
    - id: R-B
      title: B
      likelihood: 2
      impact: 5
    - id: R-C
      title: C
"""


def test_register_rates_labels_and_numbers(write):
    register = load_risk_registers([write("reg.yaml", REGISTER)])
    assert register.rating_scale == RATINGS
    a, b, c = register.risks
    assert (a.likelihood, a.impact, a.inherent) == ("likely", "major", "critical")
    assert (b.likelihood, b.impact, b.inherent) == ("unlikely", "severe", "high")
    assert (c.likelihood, c.impact, c.inherent) == ("", "", "")


@pytest.mark.parametrize(
    ("old", "new", "where", "message"),
    [
        (
            "likelihood: likely", "likelihood: often", "8:19",
            "unknown likelihood 'often' of risk 'R-A': expected one of rare, unlikely, "
            "possible, likely, almost-certain or 1-5 (at $.spec.risks[0].likelihood)",
        ),
        (
            "impact: 5", "impact: 6", "13:15",
            "unknown impact 6 of risk 'R-B': expected one of negligible, minor, moderate, "
            "major, severe or 1-5 (at $.spec.risks[1].impact)",
        ),
        (
            "impact: major\n", "\n", "6:7",
            "risk 'R-A' has a likelihood but no impact: give both to rate it, or neither "
            "to leave it unrated (at $.spec.risks[0])",
        ),
    ],
)  # fmt: skip
def test_bad_likelihood_or_impact_is_a_load_error_at_the_value(write, old, new, where, message):
    path = write("reg.yaml", REGISTER.replace(old, new))
    with pytest.raises(PolicygateError) as caught:
        load_risk_registers([path])
    assert str(caught.value) == f"{path}:{where}: {message}"


CUSTOM = """\
apiVersion: policygate/v1
kind: RiskRegister
metadata: {name: reg}
spec:
  matrix:
    likelihood: [low, medium, high]
    impact: [limited, serious, grave]
    ratings: [green, amber, red]
    cells:
      low: [green, green, amber]
      medium: [green, amber, red]
      high: [amber, red, red]
    lower_when_satisfied: 2
  risks:
    - id: R-A
      title: A
      likelihood: high
      impact: serious
      controls: [eu-ai-act:art-10]
    - id: R-B
      title: B
      likelihood: 1
      impact: grave
"""


def test_custom_matrix_rates_its_risks(write):
    register = load_risk_registers([write("reg.yaml", CUSTOM)])
    assert register.rating_scale == ("green", "amber", "red")
    a, b = register.risks
    assert (a.likelihood, a.impact, a.inherent) == ("high", "serious", "red")
    assert (b.likelihood, b.impact, b.inherent) == ("low", "grave", "amber")
    assert a.matrix.residual("red", ["satisfied"]) == "green"


@pytest.mark.parametrize(
    ("old", "new", "where", "message"),
    [
        (
            "      medium: [green, amber, red]\n", "", "10:7",
            "matrix cells: no row for likelihood 'medium' (at $.spec.matrix.cells)",
        ),
        (
            "medium: [green, amber, red]", "medium: [green, amber]", "11:15",
            "matrix cells: the row of 'medium' has 2 ratings, one per impact needs 3 "
            "(limited, serious, grave) (at $.spec.matrix.cells.medium)",
        ),
        (
            "high: [amber, red, red]", "high: [amber, red, purple]", "12:26",
            "matrix cells: 'purple' is not a rating of the matrix (ratings: green, amber, red) "
            "(at $.spec.matrix.cells.high[2])",
        ),
        (
            "      low: [green, green, amber]\n",
            "      low: [green, green, amber]\n      lowest: [green, green, green]\n",
            "11:15",
            "matrix cells: 'lowest' is not a likelihood of the matrix "
            "(likelihood: low, medium, high) (at $.spec.matrix.cells.lowest)",
        ),
        (
            "high: [amber, red, red]", "high: [red, amber, red]", "12:19",
            "matrix cells: 'high' × 'serious' is rated 'amber', below 'red' for the lower "
            "impact 'limited' (at $.spec.matrix.cells.high[1])",
        ),
        (
            "low: [green, green, amber]", "low: [amber, amber, amber]", "11:16",
            "matrix cells: 'medium' × 'limited' is rated 'green', below 'amber' for the "
            "lower likelihood 'low' (at $.spec.matrix.cells.medium[0])",
        ),
        (
            "ratings: [green, amber, red]", "ratings: [green, amber, amber]", "8:29",
            "matrix ratings: 'amber' is listed twice (at $.spec.matrix.ratings[2])",
        ),
        (
            "likelihood: high\n", "likelihood: medium-high\n", "17:19",
            "unknown likelihood 'medium-high' of risk 'R-A': expected one of low, medium, "
            "high or 1-3 (at $.spec.risks[0].likelihood)",
        ),
        (
            "likelihood: 1\n", "likelihood: 4\n", "22:19",
            "unknown likelihood 4 of risk 'R-B': expected one of low, medium, high or 1-3 "
            "(at $.spec.risks[1].likelihood)",
        ),
    ],
)  # fmt: skip
def test_bad_matrix_is_a_load_error_at_the_value(write, old, new, where, message):
    assert old in CUSTOM
    path = write("reg.yaml", CUSTOM.replace(old, new))
    with pytest.raises(PolicygateError) as caught:
        load_risk_registers([path])
    assert str(caught.value) == f"{path}:{where}: {message}"


def test_matrix_problems_are_reported_together(write):
    text = CUSTOM.replace("high: [amber, red, red]", "high: [amber, pink]")
    path = write("reg.yaml", text)
    with pytest.raises(ErrorGroup) as caught:
        load_risk_registers([path])
    assert [str(e) for e in caught.value.errors] == [
        f"{path}:12:13: matrix cells: the row of 'high' has 2 ratings, one per impact needs 3 "
        "(limited, serious, grave) (at $.spec.matrix.cells.high)",
        f"{path}:12:21: matrix cells: 'pink' is not a rating of the matrix "
        "(ratings: green, amber, red) (at $.spec.matrix.cells.high[1])",
    ]


def test_matrix_of_the_wrong_shape_is_a_schema_error(write):
    path = write("reg.yaml", CUSTOM.replace("low: [green, green, amber]", "low: green"))
    with pytest.raises(PolicygateError) as caught:
        load_risk_registers([path])
    assert str(caught.value) == (
        f"{path}:10:12: must be of type array, got string (at $.spec.matrix.cells.low)"
    )


def test_custom_levels_need_cells(write):
    text = CUSTOM.split("    cells:")[0] + "  risks: []\n"
    path = write("reg.yaml", text)
    with pytest.raises(PolicygateError) as caught:
        load_risk_registers([path])
    assert str(caught.value) == (
        f"{path}:6:5: matrix: cells are required when the levels or ratings are not the "
        "defaults (at $.spec.matrix)"
    )


def test_registers_loaded_together_share_one_rating_scale(write):
    first = write("a.yaml", CUSTOM)
    second = write(
        "b.yaml", REGISTER.replace("R-A", "R-X").replace("R-B", "R-Y").replace("R-C", "R-Z")
    )
    with pytest.raises(PolicygateError) as caught:
        load_risk_registers([first, second])
    assert str(caught.value) == (
        f"{second}:1:1: the matrix rates on low, medium, high, critical, but the register's "
        f"matrix at {first}:6:5 rates on green, amber, red: the registers loaded together "
        "share one rating scale"
    )


# --------------------------------------------------------------------------- heat map


def _report(*risks: tuple[str, str], scale=RATINGS) -> Report:
    uses = tuple(
        RiskUse(id=f"R-{n}", title="t", inherent=inherent, residual=residual)
        for n, (inherent, residual) in enumerate(risks)
    )
    model = ModelReport("m", "1", "m.yaml", True, (), (), risks=uses)
    return Report(now=NOW, fail_on="error", models=(model,), risk_registers=(), rating_scale=scale)


def test_heat_map_counts_pairs_per_cell_in_scale_order():
    report = _report(("critical", "high"), ("critical", "high"), ("low", "low"), ("", ""))
    found = heat_map(report)
    assert found.scale == RATINGS
    assert found.counts == (
        (1, 0, 0, 0),
        (0, 0, 0, 0),
        (0, 0, 0, 0),
        (0, 0, 2, 0),
    )
    assert found.count("critical", "high") == 2
    assert found.pairs[("critical", "high")] == (("m@1", "R-0"), ("m@1", "R-1"))
    assert found.unrated == 1
    assert found.total == 3


def test_heat_map_without_a_register_is_empty():
    report = Report(now=NOW, fail_on="error", models=())
    found = heat_map(report)
    assert (found.scale, found.counts, found.unrated) == ((), (), 0)


# --------------------------------------------------------------------------- in the report

POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: p}
spec:
  rules:
    - id: fair
      check: model.gap <= 0.1
      controls: [eu-ai-act:art-10]
    - id: documented
      check: has(model.card)
      controls: [eu-ai-act:art-13]
"""

RATED = """\
apiVersion: policygate/v1
kind: RiskRegister
metadata: {name: reg}
spec:
  risks:
    - {id: R-BIAS, title: Bias, likelihood: likely, impact: major,
       controls: [eu-ai-act:art-10]}
    - {id: R-OPAQUE, title: Opaque, likelihood: possible, impact: moderate,
       controls: [eu-ai-act:art-13, eu-ai-act:art-14]}
    - {id: R-ALL, title: All, likelihood: rare, impact: minor,
       controls: [eu-ai-act:art-10, eu-ai-act:art-13]}
    - {id: R-NONE, title: No control, likelihood: almost-certain, impact: severe}
    - {id: R-UNRATED, title: Unrated, controls: [eu-ai-act:art-10]}
"""

RISK_IDS = ["R-ALL", "R-BIAS", "R-NONE", "R-OPAQUE", "R-UNRATED"]


def _rated(write, **fields):
    policies = policygate.load_policies([write("p.yaml", POLICY)])
    graph = build_risk_graph(load_risk_registers([write("reg.yaml", RATED)]), policies)
    data = {"name": "m", "version": "1", "gap": 0.05, "card": "x", "risks": RISK_IDS}
    data.update(fields)
    return policygate.evaluate([data], policies, now=NOW, risk_graph=graph)


def test_report_gives_inherent_and_residual_per_model_and_risk(write):
    report = _rated(write)
    assert report.rating_scale == RATINGS
    ratings = {r.id: (r.inherent, r.residual) for r in report.models[0].risks}
    assert ratings == {
        "R-ALL": ("low", "low"),  # satisfied, clamped at the lowest
        "R-BIAS": ("critical", "high"),  # its one control satisfied
        "R-NONE": ("critical", "critical"),  # calls for no control
        "R-OPAQUE": ("high", "high"),  # art-14 unverified
        "R-UNRATED": ("", ""),
    }


def test_a_violated_control_keeps_the_inherent_rating(write):
    report = _rated(write, gap=0.5)
    ratings = {r.id: (r.inherent, r.residual) for r in report.models[0].risks}
    assert ratings["R-BIAS"] == ("critical", "critical")


def test_json_report_has_the_ratings_and_the_scale_and_validates(write):
    data = _rated(write).to_dict()
    shipped_validator("Report").validate(data)
    assert data["rating_scale"] == ["low", "medium", "high", "critical"]
    bias = next(r for r in data["models"][0]["risks"] if r["id"] == "R-BIAS")
    assert (bias["inherent"], bias["residual"]) == ("critical", "high")


def test_json_report_without_a_register_has_no_scale():
    policies = policygate.load_policies(["policies/"])
    data = policygate.evaluate(["examples/models/"], policies, now=NOW).to_dict()
    assert "rating_scale" not in data


def test_a_custom_scale_reaches_the_json_report(write):
    policies = policygate.load_policies([write("p.yaml", POLICY)])
    register = load_risk_registers([write("reg.yaml", CUSTOM)])
    graph = build_risk_graph(register, policies)
    data = {"name": "m", "version": "1", "gap": 0.05, "card": "x", "risks": ["R-A", "R-B"]}
    report = policygate.evaluate([data], policies, now=NOW, risk_graph=graph).to_dict()
    shipped_validator("Report").validate(report)
    assert report["rating_scale"] == ["green", "amber", "red"]
    ratings = {r["id"]: (r["inherent"], r["residual"]) for r in report["models"][0]["risks"]}
    assert ratings == {"R-A": ("red", "green"), "R-B": ("amber", "amber")}


# --------------------------------------------------------------------------- laws, end to end


@pytest.fixture(scope="module")
def rated_setup(tmp_path_factory):
    base = tmp_path_factory.mktemp("rated")
    (base / "p.yaml").write_text(POLICY, encoding="utf-8")
    (base / "reg.yaml").write_text(RATED, encoding="utf-8")
    policies = policygate.load_policies([base / "p.yaml"])
    return policies, build_risk_graph(load_risk_registers([base / "reg.yaml"]), policies)


MODELS = st.lists(
    st.fixed_dictionaries(
        {
            "gap": st.sampled_from([0.0, 0.05, 0.5]),
            "card": st.booleans(),
            "risks": st.lists(st.sampled_from(RISK_IDS), unique=True),
        }
    ),
    min_size=1,
    max_size=5,
)


@given(MODELS)
def test_evaluated_ratings_keep_the_laws(rated_setup, models):
    """Whatever the evidence: residual never above inherent, lowered exactly when
    every control the risk calls for is satisfied, and the heat map counts every
    rated (model, risk) pair once, on or below its diagonal."""
    policies, graph = rated_setup
    records = []
    for n, fields in enumerate(models):
        data = {"name": f"m{n}", "version": "1", "gap": fields["gap"], "risks": fields["risks"]}
        if fields["card"]:
            data["card"] = "x"
        records.append(data)
    report = policygate.evaluate(records, policies, now=NOW, risk_graph=graph)
    scale = report.rating_scale
    rated = 0
    for model in report.models:
        states = {c.id: c.status.value for c in model.controls}
        for risk in model.risks or ():
            if not risk.inherent:
                assert risk.residual == ""
                continue
            rated += 1
            assert rank(risk.residual, scale) <= rank(risk.inherent, scale)
            satisfied = bool(risk.controls) and all(
                states[c] == "satisfied" for c in risk.controls
            )
            expected = DEFAULT_MATRIX.lowered(risk.inherent, 1) if satisfied else risk.inherent
            assert risk.residual == expected
    found = heat_map(report)
    assert found.total == rated
    for i, row in enumerate(found.counts):
        assert all(count == 0 for count in row[i + 1 :])


@given(st.lists(st.lists(st.sampled_from(["green", "amber", "red"]), min_size=3, max_size=3),
                min_size=3, max_size=3))  # fmt: skip
def test_a_matrix_loads_exactly_when_it_never_rates_a_likelier_or_graver_risk_lower(rows):
    scale = ["green", "amber", "red"]
    monotone = all(
        scale.index(rows[r][c]) >= max(
            scale.index(rows[r - 1][c]) if r else 0, scale.index(rows[r][c - 1]) if c else 0
        )
        for r in range(3)
        for c in range(3)
    )
    names = ("low", "medium", "high")
    cells = "\n".join(
        f"      {name}: [{', '.join(row)}]" for name, row in zip(names, rows, strict=True)
    )
    text = CUSTOM.split("    cells:\n")[0] + "    cells:\n" + cells + "\n  risks: []\n"
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "reg.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            register = load_risk_registers([path])
        except PolicygateError as error:
            assert not monotone, str(error)
            assert "matrix cells:" in str(error) and "is rated" in str(error)
        else:
            assert monotone
            assert register.rating_scale == ("green", "amber", "red")


def test_every_risk_of_the_shipped_register_is_rated():
    root = Path(__file__).resolve().parents[2]
    register = load_risk_registers([root / "examples" / "risk-register.yaml"])
    assert {r.id: r.inherent for r in register.risks} == {
        "R-DISCRIMINATION": "critical",
        "R-DRIFT": "high",
        "R-UNAPPROVED-RELEASE": "high",
        "R-OPACITY": "high",
        "R-AUTOMATION-BIAS": "critical",
        "R-MISUSE": "critical",
    }
