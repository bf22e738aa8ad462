"""Bounded evaluation (SECURITY.md, T-EVAL-*): a hostile or careless rule cannot
hang or exhaust the gate. Every cost bomb becomes an ``error`` result that says
which limit it hit, quickly, and the run goes on."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import policygate
from policygate import Status, cel
from policygate.cel.budget import Budget, BudgetExceeded, Meter
from policygate.cli import main
from policygate.limits import configure

ROOT = Path(__file__).parents[2]
NOW = "2026-11-26T00:00:00Z"
NOW_DT = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)

MODEL = {"name": "m", "version": "1", "l": list(range(1000)), "s": "ab" * 500_000, "ok": True}

# Each of these would run for hours or take gigabytes unbounded.
BOMBS = {
    "nested-comprehensions": "model.l.map(x, model.l.map(y, model.l.map(z, z))).size() > 0",
    "nested-exists": "model.l.exists(x, model.l.exists(y, y == -1))",
    "quadratic-list-building": "model.l.map(x, model.l.filter(y, y < x)).size() > 0",
    "strings-built-in-a-loop": 'model.l.all(x, (model.s + model.s).size() > 0)',
    "huge-strings-in-a-map": "model.l.map(x, model.s + model.s).size() > 0",
    "membership-in-a-loop": "model.l.all(x, x in model.l)",
    "scanning-in-a-loop": 'model.l.all(x, !model.s.contains("zz"))',
    "absorbed-by-or": "model.l.map(x, model.l.map(y, y)).size() > 0 || true",
    "list-equality-in-a-loop": "model.l.all(x, model.l == model.l)",
}


def activation(backend: cel.Backend) -> cel.Activation:
    return backend.activation(model=MODEL, params={}, now=NOW_DT, inputs={})


def policy_text(checks: dict[str, str], extra: str = "") -> str:
    rules = "".join(
        f"    - id: {rid}\n      check: '{text}'\n{extra}" for rid, text in checks.items()
    )
    return (
        "apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: hostile}\n"
        f"spec:\n  rules:\n{rules}"
    )


def load(tmp_path: Path, text: str) -> list[policygate.Policy]:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return policygate.load_policies([path])


# --------------------------------------------------------------------------- the meter


def test_meter_counts_cost_per_evaluation_and_time_per_rule():
    clock = [0.0]
    meter = Meter(Budget(cost=10, seconds=1.0), clock=lambda: clock[0])
    meter.begin()
    meter.charge(10)
    with pytest.raises(BudgetExceeded, match="more than 10 cost units"):
        meter.charge()
    with pytest.raises(BudgetExceeded):  # sticky within the evaluation
        meter.check()
    meter.begin()  # the next evaluation starts from zero
    meter.charge(5)
    clock[0] = 2.0
    with pytest.raises(BudgetExceeded, match="ran longer than 1 s"):
        meter.charge()
    with pytest.raises(BudgetExceeded, match="ran longer"):  # the deadline is the rule's
        meter.begin()
    assert meter.timed_out


@pytest.mark.parametrize("kwargs", [{"cost": 0}, {"cost": 1.5}, {"cost": True},
                                    {"seconds": 0}, {"seconds": float("nan")},
                                    {"seconds": float("inf")}, {"seconds": "1"}])  # fmt: skip
def test_budget_refuses_nonsense(kwargs):
    with pytest.raises(policygate.UsageError):
        Budget(**kwargs)


# --------------------------------------------------------------------------- the engine


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_cost_bombs_stop_quickly_with_a_clear_error(name):
    backend = cel.get_backend()
    program = backend.compile(BOMBS[name])
    started = time.process_time()  # CPU time: CI machines are shared
    with pytest.raises(cel.CELEvaluationError, match="evaluation budget exceeded"):
        program.evaluate(activation(backend), Budget(seconds=60).meter())
    assert time.process_time() - started < 2.0


def test_evaluation_without_a_meter_is_bounded_by_the_default_budget():
    backend = cel.get_backend()
    with pytest.raises(cel.CELEvaluationError, match="evaluation budget exceeded"):
        backend.compile(BOMBS["nested-comprehensions"]).evaluate(activation(backend))


def test_the_time_limit_stops_what_the_cost_limit_allows():
    backend = cel.get_backend()
    program = backend.compile(BOMBS["nested-exists"])
    started = time.monotonic()
    with pytest.raises(BudgetExceeded, match="ran longer than 0.2 s"):
        program.evaluate(activation(backend), Budget(cost=10**9, seconds=0.2).meter())
    assert time.monotonic() - started < 1.5


def test_a_cheap_expression_is_unaffected():
    backend = cel.get_backend()
    meter = Budget(cost=1000).meter()
    value = backend.compile('model.ok && size(model.l) == 1000 && model.name == "m"').evaluate(
        activation(backend), meter
    )
    assert backend.truth(value) is True


def test_an_overlong_expression_is_refused_before_it_is_parsed():
    with pytest.raises(cel.CELSyntaxError, match="longer than 20000 characters"):
        cel.get_backend().compile(" && ".join(["true"] * 5000))


# --------------------------------------------------------------------------- the evaluator


def test_a_bomb_rule_is_an_error_result_and_the_run_goes_on(tmp_path):
    checks = {"bomb": BOMBS["nested-comprehensions"], "fine": "model.ok"}
    policies = load(tmp_path, policy_text(checks))
    started = time.process_time()
    report = policygate.evaluate(dict(MODEL), policies, now=NOW, budget=Budget(seconds=60))
    assert time.process_time() - started < 3.0
    results = {r.rule: r for r in report.models[0].results}
    assert results["bomb"].status is Status.ERROR
    assert results["bomb"].message.startswith("cannot evaluate check: evaluation budget exceeded")
    assert results["fine"].status is Status.PASS
    assert report.passed is False


def test_every_part_of_a_rule_is_metered(tmp_path):
    bomb = BOMBS["nested-exists"]
    text = (
        "apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: parts}\n"
        f"spec:\n  applies_to: '{bomb} || true'\n  rules:\n    - {{id: r, check: 'true'}}\n"
    )
    report = policygate.evaluate(dict(MODEL), load(tmp_path, text), now=NOW)
    (result,) = report.models[0].results
    assert (result.rule, result.status) == ("applies_to", Status.ERROR)
    assert "evaluation budget exceeded" in result.message
    for part in ("when", "for_each"):
        text = (
            "apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: parts}\n"
            f"spec:\n  rules:\n    - {{id: r, {part}: 'model.l.map(x, model.l.map(y, y))', "
            "check: 'true'}\n"
        )
        report = policygate.evaluate(dict(MODEL), load(tmp_path, text), now=NOW)
        (result,) = report.models[0].results
        assert result.status is Status.ERROR, part
        assert f"cannot evaluate {part}: evaluation budget exceeded" in result.message


def test_a_message_placeholder_that_is_a_bomb_cannot_hang_the_report(tmp_path):
    text = policy_text({"r": "false"}, "      message: 'x {" + BOMBS["nested-exists"] + "}'\n")
    report = policygate.evaluate(dict(MODEL), load(tmp_path, text), now=NOW)
    (result,) = report.models[0].results
    assert result.status is Status.FAIL
    assert "evaluation budget exceeded" in result.message


def test_a_huge_for_each_stops_at_the_rule_deadline_with_one_error(tmp_path):
    """A record that makes an honest rule iterate a huge list: one error for the rest
    (a million items: more than any machine checks in the 0.2 s allowed)."""
    model = {"name": "m", "version": "1", "items": list(range(1_000_000))}
    text = (
        "apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: honest}\n"
        "spec:\n  rules:\n    - {id: each, for_each: model.items, check: 'item >= 0'}\n"
    )
    policies = load(tmp_path, text)
    started = time.monotonic()
    report = policygate.evaluate(model, policies, now=NOW, budget=Budget(seconds=0.2))
    assert time.monotonic() - started < 3.0
    results = report.models[0].results
    last = results[-1]
    assert last.status is Status.ERROR
    assert "ran longer than 0.2 s" in last.message and "items not evaluated" in last.message
    assert len(results) < 1_000_000
    assert not report.passed


def test_gate_takes_a_budget(tmp_path):
    policies = load(tmp_path, policy_text({"r": "model.l.all(x, x >= 0)"}))
    policygate.gate(dict(MODEL), policies, now=NOW)
    with pytest.raises(policygate.GateFailed) as failed:
        policygate.gate(dict(MODEL), policies, now=NOW, budget=Budget(cost=100))
    (result,) = failed.value.report.models[0].results
    assert "more than 100 cost units" in result.message


def test_shipped_policies_stay_far_below_the_default_budget(tmp_path):
    """The defaults must never bite real rules: every evaluation of the shipped
    policies on the shipped examples costs under 2% of the default."""
    spent: list[int] = []
    original = Meter.begin

    def recording(self: Meter) -> None:
        if self.spent:
            spent.append(self.spent)
        original(self)

    policies = policygate.load_policies([ROOT / "policies"])
    models = policygate.load_models([ROOT / "examples" / "models"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Meter, "begin", recording)
        policygate.evaluate(models, policies, now=NOW)
    assert spent and max(spent) < Budget().cost // 50


# --------------------------------------------------------------------------- configuration


def test_limits_come_from_defaults_then_environment_then_options():
    assert configure((), {}).rule == Budget()
    limits = configure(
        ["rule-cost=123", "max-depth=7"],
        {"POLICYGATE_RULE_COST": "5", "POLICYGATE_RULE_SECONDS": "0.25",
         "POLICYGATE_MAX_FILE_BYTES": "2048"},
    )  # fmt: skip
    assert limits.rule == Budget(cost=123, seconds=0.25)
    assert (limits.load.max_depth, limits.load.max_bytes) == (7, 2048)


@pytest.mark.parametrize(
    "assignment, message",
    [("rule-cost", "expected NAME=VALUE"), ("nope=1", "NAME one of"),
     ("rule-cost=abc", "'abc' is not an integer"), ("rule-seconds=-1", "must be positive"),
     ("rule-seconds=nan", "must be positive"), ("max-depth=0", "must be positive")],
)  # fmt: skip
def test_bad_limits_are_usage_errors(assignment, message):
    with pytest.raises(policygate.UsageError, match=message):
        configure([assignment], {})


def test_bad_environment_limit_names_the_variable():
    with pytest.raises(policygate.UsageError, match="POLICYGATE_MAX_NODES: 'many'"):
        configure((), {"POLICYGATE_MAX_NODES": "many"})


def test_cli_reports_a_bomb_as_an_error_and_honours_limit_options(tmp_path):
    model = tmp_path / "model.json"
    model.write_text('{"name": "m", "version": "1", "l": [1, 2, 3]}', encoding="utf-8")
    policy = tmp_path / "policy.yaml"
    policy.write_text(policy_text({"r": "model.l.all(x, x > 0)"}), encoding="utf-8")
    runner = CliRunner()
    args = ["check", str(model), "-p", str(policy), "--now", NOW]
    assert runner.invoke(main, args).exit_code == 0
    result = runner.invoke(main, [*args, "--limit", "rule-cost=20"])
    assert result.exit_code == 1
    assert "evaluation budget exceeded: more than 20 cost units" in result.output
    result = runner.invoke(main, args, env={"POLICYGATE_RULE_COST": "20"})
    assert result.exit_code == 1
    result = runner.invoke(main, [*args, "--limit", "rule-cost=lots"])
    assert result.exit_code == 2
    assert "policygate: error: --limit rule-cost: 'lots' is not an integer" in result.output
