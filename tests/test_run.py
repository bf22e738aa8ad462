"""policygate.run: one run specification, loaded once, evaluated purely (issue 18)."""

from __future__ import annotations

import builtins
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import policygate
from policygate.cli import main
from policygate.cli.check import check as check_command
from policygate.config import load_config_file, option_defaults
from policygate.errors import ErrorGroup, UsageError
from policygate.run import Run, RunSpec, evaluate, load_run, render

ROOT = Path(__file__).parent.parent
PASSES = str(ROOT / "examples" / "models" / "credit-default-passes.yaml")
POLICIES = str(ROOT / "policies")
NOW = "2026-11-26T00:00:00Z"
POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: gate}
spec:
  params: {min_auc: 0.8}
  rules:
    - {id: auc, check: 'model.spec.metrics.auc >= params.min_auc'}
"""


@pytest.fixture
def policy(tmp_path: Path) -> str:
    path = tmp_path / "gate.yaml"
    path.write_text(POLICY, encoding="utf-8")
    return str(path)


def test_load_run_loads_everything_and_fixes_now(policy):
    run = load_run(RunSpec(models=(PASSES,), policies=(policy,), now=NOW))
    assert isinstance(run, Run)
    assert [r.name for r in run.records] == ["credit-default"]
    assert [p.name for p in run.policies] == ["gate"]
    assert policygate.timestamps.format_timestamp(run.now) == NOW  # type: ignore[attr-defined]
    report = evaluate(run)
    assert report.passed and report.now == NOW


def test_every_load_error_of_a_run_is_raised_together(tmp_path):
    (tmp_path / "bad-policy.yaml").write_text(POLICY.replace(">= params.min_auc", ">= ("),
                                              encoding="utf-8")  # fmt: skip
    (tmp_path / "bad-waiver.yaml").write_text("apiVersion: policygate/v1\nkind: Waiver\n",
                                              encoding="utf-8")  # fmt: skip
    (tmp_path / "bad-model.yaml").write_text("metadata: [\n", encoding="utf-8")
    spec = RunSpec(models=(str(tmp_path / "bad-model.yaml"),),
                   policies=(str(tmp_path / "bad-policy.yaml"),),
                   waivers=(str(tmp_path / "bad-waiver.yaml"),), now=NOW)  # fmt: skip
    with pytest.raises(ErrorGroup) as raised:
        load_run(spec)
    paths = {Path(e.location.path).name for e in raised.value.errors if e.location}
    assert paths == {"bad-model.yaml", "bad-policy.yaml", "bad-waiver.yaml"}
    # The command line prints them all (not only the first) and exits 2.
    result = CliRunner().invoke(main, ["check", *spec.models, "-p", *spec.policies,
                                       "--waivers", *spec.waivers, "--now", NOW])  # fmt: skip
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("policygate: error: ")
    assert [name for name in ("bad-model", "bad-policy", "bad-waiver")
            if any(name in line for line in lines)] == ["bad-model", "bad-policy", "bad-waiver"]


def test_a_param_is_checked_against_the_declared_type_at_load(policy):
    with pytest.raises(UsageError) as raised:
        load_run(RunSpec(policies=(policy,), params=("min_auc=high",)))
    assert "--param min_auc='high' is not a number" in str(raised.value)
    with pytest.raises(UsageError, match="unknown param max_auc"):
        load_run(RunSpec(policies=(policy,), params=("max_auc=0.9",)))
    run = load_run(RunSpec(policies=(policy,), params=("min_auc=0.95",)))
    assert run.policies[0].params["min_auc"] == 0.95


def test_evaluate_of_a_run_reads_no_file_no_clock_and_no_environment(policy, monkeypatch):
    run = load_run(RunSpec(models=(PASSES,), policies=(policy,)))  # now: the clock, read here
    first = render(evaluate(run), "json")

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("evaluate did I/O")

    class NoEnvironment(dict[str, str]):
        def __getitem__(self, key: str) -> str:
            raise AssertionError(f"evaluate read ${key}")

        get = __getitem__  # type: ignore[assignment]

    monkeypatch.setattr(builtins, "open", refused)
    monkeypatch.setattr(os, "open", refused)
    monkeypatch.setattr(os, "stat", refused)
    monkeypatch.setattr(os, "environ", NoEnvironment())
    monkeypatch.setattr("policygate.timestamps.utc_now", refused)
    again = render(evaluate(run), "json")
    assert again == first  # the same run, the same report


def test_the_evaluator_refuses_a_path_without_reading_it(policy, monkeypatch):
    from policygate.evaluate import evaluate as evaluate_records

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("evaluate read a file")

    monkeypatch.setattr("policygate.documents.read_bytes", refused)
    policies = policygate.load_policies([policy])
    with pytest.raises(UsageError, match="evaluate takes model records or mappings"):
        evaluate_records(PASSES, policies)


def test_the_library_reads_no_limit_from_the_environment(policy, monkeypatch):
    monkeypatch.setenv("POLICYGATE_MAX_FILE_BYTES", "10")
    spec = RunSpec(models=(PASSES,), policies=(policy,), now=NOW)
    assert load_run(spec).records  # the library: only what the spec says
    with pytest.raises(policygate.LoadError, match="10"):
        load_run(spec, environ=os.environ)  # the command line passes its environment


def test_inputs_that_contradict_each_other_are_usage_errors(policy):
    with pytest.raises(UsageError, match="--require-evidence needs --risk-register"):
        load_run(RunSpec(policies=(policy,), require_evidence=True))
    with pytest.raises(UsageError, match="--attestation-head needs --attestation-log"):
        load_run(RunSpec(policies=(policy,), attestation_head="sha256:" + "0" * 64))
    run = load_run(RunSpec(policies=(policy,)))
    with pytest.raises(UsageError, match="takes no other argument"):
        evaluate(run, run.policies)


def test_gate_and_evaluate_take_a_run_and_give_the_report_check_prints(policy):
    spec = RunSpec(models=(PASSES,), policies=(POLICIES,), now=NOW, set=("spec.extra.a=1",))
    run = policygate.load_run(spec)
    report = policygate.gate(run)
    printed = CliRunner().invoke(main, ["check", PASSES, "-p", POLICIES, "--now", NOW,
                                        "--set", "spec.extra.a=1", "-f", "json"])  # fmt: skip
    assert printed.exit_code == 0
    assert policygate.render(report, "json") == printed.stdout
    strict = policygate.load_run(RunSpec(models=(PASSES,), policies=(policy,), now=NOW,
                                         params=("min_auc=0.99",)))  # fmt: skip
    with pytest.raises(policygate.GateFailed) as failed:
        policygate.gate(strict)
    assert failed.value.report.models[0].passed is False  # type: ignore[attr-defined]


def test_spec_models_as_the_library_loads_them(policy):
    """policygate.evaluate(paths, policies) (SPEC §7) loads the paths itself."""
    policies = policygate.load_policies([policy])
    report = policygate.evaluate([PASSES], policies, now=NOW)
    assert report.passed


# --------------------------------------------------------------------------- laws

TEXT = st.text(alphabet="abcdefgh-_/.", min_size=1, max_size=8)
PAIRS = st.builds(lambda n, v: f"{n}={v}", st.sampled_from(["a", "b", "c_d"]), TEXT)


@st.composite
def specs(draw: Any) -> RunSpec:
    return RunSpec(
        models=tuple(draw(st.lists(TEXT, min_size=1, max_size=2))),
        policies=tuple(draw(st.lists(TEXT, min_size=1, max_size=2))),
        catalogs=tuple(draw(st.lists(TEXT, max_size=2))),
        waivers=tuple(draw(st.lists(TEXT, max_size=2))),
        risk_registers=tuple(draw(st.lists(TEXT, max_size=2))),
        require_evidence=draw(st.booleans()),
        approvers=tuple(draw(st.lists(TEXT, max_size=2))),
        attestations=tuple(draw(st.lists(TEXT, max_size=2))),
        attestation_log=draw(st.none() | TEXT),
        attestation_head=draw(st.none() | TEXT),
        inputs=tuple(draw(st.lists(PAIRS, max_size=2))),
        params=tuple(draw(st.lists(PAIRS, max_size=2))),
        set=tuple(draw(st.lists(PAIRS, max_size=2))),
        evidence=tuple(draw(st.lists(TEXT, max_size=2))),
        now=draw(st.none() | st.just(NOW)),
        limits=tuple(draw(st.lists(PAIRS, max_size=2))),
        fail_on=draw(st.sampled_from(["error", "warning", "info", "never"])),
    )


def argv(spec: RunSpec) -> list[str]:
    """The command line that gives ``spec``, written with RunSpec's own flags."""
    words: list[str] = []
    for name, option in RunSpec.options():
        value = getattr(spec, name)
        flag = option.flags[-1]
        if option.flag:
            words += [flag] if value else []
        elif option.multiple:
            words += [w for item in value for w in (flag, item)]
        elif value is not None:
            words += [flag, value]
    return [*words, "--", *spec.models]


@settings(max_examples=60, deadline=None)
@given(specs())
def test_the_options_of_check_read_back_the_spec_they_were_made_from(spec):
    """The click options are generated from RunSpec: any spec, written as options,
    parses back to itself."""
    context = check_command.make_context("check", argv(spec))
    params = dict(context.params)
    models = params.pop("models")
    assert RunSpec.from_options(params, models=tuple(models)) == spec


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    policies=st.lists(st.sampled_from(["p/", "q.yaml"]), max_size=2),
    params=st.dictionaries(st.sampled_from(["min_auc", "tier"]),
                           st.integers(0, 9) | st.booleans() | TEXT, max_size=2),
    defaults=st.dictionaries(st.sampled_from(["spec.risk_tier", "metadata.owner"]), TEXT,
                             max_size=2),
    fail_on=st.sampled_from(["error", "warning", "never"]),
)  # fmt: skip
def test_the_configuration_fills_the_same_spec_for_commands_and_the_library(
    tmp_path, policies, params, defaults, fail_on
):
    """A configuration gives check's options (default_map) exactly the spec that
    RunSpec.from_config gives the library."""
    import json

    path = tmp_path / "policygate.yaml"
    settings = {"policies": policies, "params": params, "set": defaults, "fail_on": fail_on,
                "waivers": ["w/"]}  # fmt: skip
    path.write_text(json.dumps(settings), encoding="utf-8")
    config = load_config_file(path)
    names = [p.name for p in check_command.params if p.name]
    filled = option_defaults(config, names, "check")
    assert RunSpec.from_options(filled) == RunSpec.from_config(config)


def test_a_run_without_policies_fails_closed():
    run = load_run(RunSpec(models=(PASSES,), now=NOW))
    report = evaluate(run)
    assert report.nothing_evaluated and not report.passed and report.exit_code() == 2
    with pytest.raises(policygate.GateFailed, match="nothing evaluated|no policy"):
        policygate.gate(run)


def test_a_bad_risk_register_is_raised_together_with_the_other_load_errors(tmp_path):
    """load_run raises every load error together (docs/library.md): the risk
    register's with a policy's, not one after the other is fixed."""
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: bad}\nspec:\n"
        "  rules:\n    - {id: a, check: 'model.x >'}\n",
        encoding="utf-8",
    )
    register = tmp_path / "register.yaml"
    register.write_text(
        "apiVersion: policygate/v1\nkind: RiskRegister\nmetadata: {name: r}\nspec:\n"
        "  risks:\n    - {id: R-1, title: One, likelihood: sometimes, impact: minor}\n",
        encoding="utf-8",
    )
    spec = RunSpec(models=(PASSES,), policies=(str(policy),),
                   risk_registers=(str(register),), now=NOW)  # fmt: skip
    with pytest.raises(ErrorGroup) as raised:
        load_run(spec)
    paths = sorted(str(e.location.path) for e in raised.value.errors if e.location)
    assert paths == [str(policy), str(register)]
    assert "sometimes" in str(raised.value)


# --- one plan per policy for all of a run's with_records runs (audit's sources) ------

MODELS = sorted(str(p) for p in (ROOT / "examples" / "models").glob("*.yaml"))


def _fresh(run: Run) -> policygate.Report:
    """The run's report from an evaluation that shares nothing with another."""
    from policygate.evaluate import evaluate as evaluate_records

    return evaluate_records(list(run.records), list(run.policies), **run.evaluation())


def test_a_runs_with_records_runs_share_its_plans():
    """An audit evaluates each source as ``run.with_records(...)``: the rules' plans
    (quick evaluations, passes, the rules that read risks set apart) are made once
    for all of them, not once per source: the second source's passes are the very
    objects the first one's were."""
    run = load_run(RunSpec(models=(PASSES,), policies=(POLICIES,), now=NOW))
    first = evaluate(run.with_records(run.records))
    second = evaluate(run.with_records(run.records))
    # (a for_each rule's passes, one per item, are made by each evaluation)
    each = {(p.name, r.id) for p in run.policies for r in p.rules if r.for_each is not None}
    passes = [(a, b) for a, b in zip(first.models[0].results, second.models[0].results,
                                     strict=True)
              if a.status.value == "pass" and (a.policy, a.rule) not in each]  # fmt: skip
    assert len(passes) > 5 and all(a is b for a, b in passes)
    assert run.memo["plans"] and set(run.memo["plans"]) <= {id(p) for p in run.policies}


@pytest.mark.parametrize("register", [False, True])
def test_shared_plans_give_the_reports_fresh_evaluations_give(register):
    """Sharing the plans changes no result: every example model, evaluated one by one
    through the run's memo, gets the report an evaluation sharing nothing gives;
    with the residual-risk policy, whose rules reading ``risks`` are set apart."""
    policies = (POLICIES, str(ROOT / "examples" / "policies" / "residual-risk.yaml"))
    registers = (str(ROOT / "examples" / "risk-register.yaml"),) if register else ()
    run = load_run(RunSpec(models=tuple(MODELS), policies=policies,
                           risk_registers=registers, now=NOW))  # fmt: skip
    for _ in range(2):  # the second time round, every plan comes from the memo
        for record in run.records:
            alone = run.with_records([record])
            assert evaluate(alone).to_dict() == _fresh(alone).to_dict()
    assert run.memo["splits"]


def test_a_memo_given_other_policies_each_time_stays_bounded(monkeypatch, policy):
    import sys

    evaluation = sys.modules["policygate.evaluate"]  # (the package's name is the function)
    monkeypatch.setattr(evaluation, "_MEMO_POLICIES", 3)
    memo: dict[str, Any] = {}
    record = {"apiVersion": "policygate/v1", "kind": "ModelRecord",
              "metadata": {"name": "m", "version": "1"},
              "spec": {"metrics": {"auc": 0.9}}}  # fmt: skip
    for _ in range(10):  # new policy objects each time: nothing to reuse
        policies = policygate.load_policies([policy])
        evaluation.evaluate([record], policies, now=NOW, memo=memo)
        assert len(memo["plans"]) <= 4
