"""``unknown-rating``: a rule that compares a risk's rating, likelihood or impact
with a label that is on no scale can never match, so the gate passes a model it
should fail (``!risks.exists(r, r.residual == "critcal")``)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from policygate.cli import main
from policygate.graph.rating import DEFAULT_MATRIX
from policygate.lint import lint_paths
from policygate.lint.problem import Level

HEAD = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: p}
spec:
  rules:
    - id: r
"""


def _policy(tmp_path: Path, body: str, name: str = "p.yaml") -> Path:
    path = tmp_path / name
    path.write_text(HEAD + textwrap.indent(textwrap.dedent(body), "      "), encoding="utf-8")
    return path


def _found(path: Path, **options):  # type: ignore[no-untyped-def]
    return [p for p in lint_paths([path], **options).problems if p.code == "unknown-rating"]


def _where(path: Path, needle: str, nth: int = 0) -> tuple[int, int]:
    """The 1-based line and column of the ``nth`` ``needle`` in the file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    seen = 0
    for number, line in enumerate(lines, 1):
        start = line.find(needle)
        while start != -1:
            if seen == nth:
                return number, start + 1
            seen += 1
            start = line.find(needle, start + 1)
    raise AssertionError(needle)


@pytest.mark.parametrize(
    ("check", "literal", "hint"),
    [
        ("""'!risks.exists(r, r.residual == "critcal")'""", '"critcal"', "critical"),
        ("""'!risks.exists(r, "critcal" == r.residual)'""", '"critcal"', "critical"),
        ("""'risks.all(r, r.inherent != "hihg")'""", '"hihg"', "high"),
        ("""'!risks.exists(r, r.residual in ["high", "critcal"])'""", '"critcal"', "critical"),
        ("""'!("critcal" in risks.map(r, r.inherent))'""", '"critcal"', "critical"),
        ("""'!risks.exists(r, r.likelihood == "likley")'""", '"likley"', "likely"),
        ("""'!risks.exists(r, r.impact == "sever")'""", '"sever"', "severe"),
        ("""'risks.filter(r, r.residual == "hgh").size() == 0'""", '"hgh"', "high"),
        ("""'!risks.map(r, r.residual).exists(x, x == "critcal")'""", '"critcal"', "critical"),
        ("""'!risks.exists(r, r["residual"] == "critcal")'""", '"critcal"', "critical"),
        ("""'size(risks) == 0 || risks[0].residual != "mediun"'""", '"mediun"', "medium"),
    ],
)  # fmt: skip
def test_a_label_on_no_scale_is_reported_at_the_literal(tmp_path, check, literal, hint):
    path = _policy(tmp_path, f"check: {check}\n")
    (problem,) = _found(path)
    assert (problem.location.line, problem.location.column) == _where(path, literal)
    assert f"did you mean {hint!r}?" in problem.message
    assert problem.level is Level.WARNING  # no register given: the default scale


def test_a_label_of_another_scale_says_which(tmp_path):
    path = _policy(tmp_path, """check: '!("severe" in risks.map(r, r.inherent))'\n""")
    (problem,) = _found(path)
    assert (problem.location.line, problem.location.column) == _where(path, '"severe"')
    assert "'severe' is an impact, not a rating" in problem.message
    assert "default" in problem.message and "--risk-register" in problem.message


def test_every_literal_of_a_list_is_checked(tmp_path):
    path = _policy(tmp_path, """check: '!risks.exists(r, r.residual in ["hihg", "critcal"])'\n""")
    found = _found(path)
    assert [(p.location.line, p.location.column) for p in found] == [
        _where(path, '"hihg"'), _where(path, '"critcal"')
    ]  # fmt: skip


def test_when_message_and_for_each_item_are_checked(tmp_path):
    body = """\
        for_each: risks
        when: risks.exists(r, r.residual == "hi")
        check: item.residual != "critcal"
        message: 'risk {item.id} {risks.filter(r, r.inherent == "lw").size()}'
        """
    path = _policy(tmp_path, body)
    found = sorted((p.location.line, p.location.column) for p in _found(path))
    assert found == sorted(_where(path, s) for s in ('"hi"', '"critcal"', '"lw"'))


def test_labels_on_the_scale_and_unrated_are_not_reported(tmp_path):
    body = """\
        check: >-
          risks.all(r, r.inherent != "" && r.likelihood in ["rare", "almost-certain", ""])
          && !risks.exists(r, r.residual == "critical" || r.impact == "severe")
          && !("high" in risks.map(r, r.residual))
        """
    assert _found(_policy(tmp_path, body)) == []


def test_other_comparisons_are_not_ratings(tmp_path):
    """Not a risk's rating: a record's field, a macro variable shadowing risks,
    a risk's other fields, a variable over a list that is not risks."""
    body = """\
        check: >-
          model.spec.risk_tier != "critcal"
          && model.spec.approvals.exists(risks, risks.residual == "x")
          && risks.exists(r, r.id == "critcal" && r.owner != "hgh")
          && ["a"].exists(r, r == "critcal")
        """
    assert _found(_policy(tmp_path, body)) == []


def test_a_number_is_no_label(tmp_path):
    path = _policy(tmp_path, """check: '!risks.exists(r, r.likelihood == 4)'\n""")
    (problem,) = _found(path)
    assert "did you mean 'likely'?" in problem.message


REGISTER = """\
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
  risks:
    - {id: R-A, title: A, likelihood: high, impact: serious}
"""


def test_with_risk_registers_the_registers_scale_is_checked_and_it_is_an_error(tmp_path):
    register = tmp_path / "reg.yaml"
    register.write_text(REGISTER, encoding="utf-8")
    body = """check: '!risks.exists(r, r.residual == "rde" || r.impact == "grave")'\n"""
    path = _policy(tmp_path, body)
    (problem,) = _found(path, risk_registers=[register])
    assert problem.level is Level.ERROR
    assert (problem.location.line, problem.location.column) == _where(path, '"rde"')
    assert "did you mean 'red'?" in problem.message
    # the same rule against the default scale: "rde" and "grave" are both unknown
    assert len(_found(path)) == 2
    ok = _policy(tmp_path, """check: '!risks.exists(r, r.residual == "red")'\n""", "ok.yaml")
    assert _found(ok, risk_registers=[register]) == []


def test_lint_takes_risk_registers_on_the_command_line(tmp_path):
    register = tmp_path / "reg.yaml"
    register.write_text(REGISTER, encoding="utf-8")
    path = _policy(tmp_path, """check: '!risks.exists(r, r.residual == "rde")'\n""")
    runner = CliRunner()
    result = runner.invoke(main, ["lint", str(path), "--risk-register", str(register)])
    assert result.exit_code == 1
    line, column = _where(path, '"rde"')
    assert f"{path}:{line}:{column}: error: " in result.output
    assert "did you mean 'red'? [unknown-rating]" in result.output
    # a register that does not load is a load error (exit 2), never a clean lint
    broken = tmp_path / "broken.yaml"
    broken.write_text(REGISTER.replace("impact: serious", "impact: dire"), encoding="utf-8")
    result = runner.invoke(main, ["lint", str(path), "--risk-register", str(broken)])
    assert result.exit_code == 2
    assert "unknown impact 'dire'" in result.output


@given(st.sampled_from(DEFAULT_MATRIX.ratings), st.sampled_from(("residual", "inherent")))
def test_every_rating_of_the_default_scale_is_known(rating, field):
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        check = f"""'!risks.exists(r, r.{field} == "{rating}")'"""
        path = _policy(Path(directory), f"check: {check}\n")
        assert _found(path) == []
        misspelt = _policy(Path(directory), f"check: {check.replace(rating, rating + 'x')}\n",
                           "q.yaml")  # fmt: skip
        (problem,) = _found(misspelt)
        assert f"did you mean {rating!r}?" in problem.message


LABELS = st.one_of(
    st.sampled_from((*DEFAULT_MATRIX.ratings, *DEFAULT_MATRIX.impacts, "")),
    st.text(alphabet="abcdefghiklmnorstuvw-", max_size=12),
)


@given(LABELS, st.sampled_from(("==", "!=", "in")))
def test_reported_exactly_when_the_label_is_on_no_scale(label, operator):
    """The law: a label compared with a rating is reported iff it is neither a
    rating of the scale nor "" (unrated), whichever way it is compared."""
    import tempfile

    compared = {
        "==": f'risks.exists(r, r.residual == "{label}")',
        "!=": f'risks.all(r, "{label}" != r.inherent)',
        "in": f'"{label}" in risks.map(r, r.residual)',
    }[operator]
    with tempfile.TemporaryDirectory() as directory:
        path = _policy(Path(directory), f"check: '{compared}'\n")
        found = _found(path)
    assert bool(found) is (label not in (*DEFAULT_MATRIX.ratings, ""))
