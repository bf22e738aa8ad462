"""One run of the gate: what it is given (:class:`RunSpec`), everything loaded
(:class:`Run`), the report (:func:`evaluate`) and its text (:func:`render`).

Every command that evaluates models (check, explain, diff, audit, promote,
authorize, serve, the MLflow gate) builds its run here, so each evaluation
input (SPEC §5) is declared once, means the same everywhere, and is loaded the
same way. The command line's options are generated from :class:`RunSpec`'s
fields (their metadata is what click needs), and the configuration file
(SPEC §11) fills the same fields (:meth:`RunSpec.from_config`)::

    spec = RunSpec(models=("models/",), policies=("policies/",), params=("min_auc=0.9",))
    run = load_run(spec)           # every document loaded, validated and compiled
    report = evaluate(run)         # pure: no file, no clock, no environment
    text = render(report, "json")

:func:`load_run` collects every load error of the run and raises them together
(:class:`~policygate.errors.ErrorGroup`, one error as itself). It reads no
environment variable: the command line passes ``environ`` for ``POLICYGATE_*``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .errors import ErrorGroup, PolicygateError, UsageError

if TYPE_CHECKING:
    from .approvals import Approvers, Attestation
    from .documents import Limits
    from .graph.build import RiskGraph
    from .graph.catalogs import ControlCatalog
    from .limits import RunLimits
    from .models import ModelRecord
    from .policy import Policy
    from .report import Report
    from .waivers import Waiver

FAIL_ON = ("error", "warning", "info", "never")  # report.FAIL_ON, without importing report


@dataclass(frozen=True)
class Option:
    """How a :class:`RunSpec` field is given on the command line."""

    flags: tuple[str, ...]
    help: str
    metavar: str | None = None
    dest: str | None = None
    """The click parameter's name (default: the field's); kept as the commands had it."""
    multiple: bool = True
    flag: bool = False
    choices: tuple[str, ...] | None = None
    by_name: bool = False
    """``NAME=VALUE`` entries: the command line overrides the configuration's by name."""
    config: str | None = None
    """The configuration file's key (SPEC §11) that fills the field, if any."""


def _option(default: Any, *flags: str, **meta: Any) -> Any:
    return field(default=default, metadata={"option": Option(flags, **meta)})


def _limit_help() -> str:
    from .limits import describe  # a short module; describe() lists the limit names

    return ("Change a limit (repeatable; also POLICYGATE_* variables, see SECURITY.md): "
            f"{describe()}.")  # fmt: skip


SET_HELP = (
    "Record default (repeatable): fill PATH where a record says nothing, e.g. "
    "spec.risk_tier=high; VALUE is read as YAML. A value the record gives is kept."
)


@dataclass(frozen=True)
class RunSpec:
    """Every evaluation input of a run, as given: paths and ``NAME=VALUE`` strings.

    The same fields are the command line's options (``policygate.cli.common.run_options``)
    and the configuration's keys; a spec is a value, so it can be built in one
    process and loaded in another (``audit --jobs``).
    """

    models: tuple[str, ...] = ()
    """MODEL sources (files, directories, ``hf:``, ``mlflow:``, ...): the commands'
    arguments, so no option."""
    policies: tuple[str, ...] = _option(
        (), "-p", "--policy", metavar="POLICY", config="policies",
        help="Policy file or directory (repeatable).")  # fmt: skip
    catalogs: tuple[str, ...] = _option(
        (), "--catalog", metavar="PATH", config="catalogs",
        help="Extra control catalog (kind: ControlCatalog) besides the shipped ones.")  # fmt: skip
    waivers: tuple[str, ...] = _option(
        (), "--waivers", metavar="PATH", config="waivers", help="Waiver file or directory.")
    risk_registers: tuple[str, ...] = _option(
        (), "--risk-register", metavar="PATH", config="risk_registers",
        help="Risk register (kind: RiskRegister): report each model's risks and control "
             "states.")  # fmt: skip
    require_evidence: bool = _option(
        False, "--require-evidence", flag=True, multiple=False,
        help="With --risk-register: an unverified control of a high-risk model fails it.")
    approvers: tuple[str, ...] = _option(
        (), "--approvers", metavar="PATH", config="approvers",
        help="Approvers directory (kind: Approvers) that signed approvals are verified "
             "against.")  # fmt: skip
    attestations: tuple[str, ...] = _option(
        (), "--attestations", metavar="PATH",
        help="Signed approvals kept outside the records (kind: Attestation).")
    attestation_log: str | None = _option(
        None, "--attestation-log", metavar="PATH", multiple=False,
        help="Attestation log (approve --attestation-log): a record missing a decision "
             "logged for it is refused (exit 2).")  # fmt: skip
    attestation_head: str | None = _option(
        None, "--attestation-head", metavar="DIGEST", multiple=False,
        help="With --attestation-log: a head of the log kept elsewhere, which must be an "
             "entry of it (else its head file is required).")  # fmt: skip
    inputs: tuple[str, ...] = _option(
        (), "--input", metavar="NAME=PATH", by_name=True, config="inputs",
        help="Extra document available to rules as inputs.NAME.")
    params: tuple[str, ...] = _option(
        (), "--param", metavar="NAME=VALUE", by_name=True, config="params",
        help="Override a policy parameter; VALUE is read as YAML and must be of the "
             "kind of the parameter's default.")  # fmt: skip
    set: tuple[str, ...] = _option(
        (), "--set", metavar="PATH=VALUE", dest="assignments", by_name=True, config="set",
        help=SET_HELP)
    evidence: tuple[str, ...] = _option(
        (), "--evidence", metavar="NAME@VERSION-GLOB=FORMAT:PATH",
        help="Attach a report (evidently:, fairlearn:, aiverify:) to the models it matches "
             "(repeatable; docs/evidence.md).")  # fmt: skip
    now: str | None = _option(
        None, "--now", metavar="RFC3339", multiple=False,
        help="Evaluate as of this time (default: now, UTC).")
    limits: tuple[str, ...] = _option(
        (), "--limit", metavar="NAME=VALUE", dest="limit_values", help="")
    fail_on: str = _option(
        "error", "--fail-on", multiple=False, choices=FAIL_ON, config="fail_on",
        help="Lowest severity whose fail or error fails the gate.")  # fmt: skip

    @classmethod
    def options(cls) -> list[tuple[str, Option]]:
        """Each field that is an option, with its option, in declaration order."""
        found = []
        for spec_field in dataclasses.fields(cls):
            option = spec_field.metadata.get("option")
            if option is not None:
                if spec_field.name == "limits":
                    option = dataclasses.replace(option, help=_limit_help())
                found.append((spec_field.name, option))
        return found

    @classmethod
    def from_options(cls, given: Mapping[str, Any], **fields: Any) -> RunSpec:
        """The spec of a command's parsed options (by their click names); ``fields``
        add what is not an option (``models``) or what the command fixes."""
        values: dict[str, Any] = {}
        for name, option in cls.options():
            dest = option.dest or name
            if dest in given:
                value = given[dest]
                values[name] = tuple(value) if option.multiple else value
        values.update(fields)
        return cls(**values)

    @classmethod
    def from_config(cls, config: Any, **fields: Any) -> RunSpec:
        """The spec the configuration file (:class:`policygate.config.Config`) gives;
        ``fields`` override it."""
        values: dict[str, Any] = {}
        for name, option in cls.options():
            if option.config is None:
                continue
            value = getattr(config, option.config)
            if option.config in ("params", "set"):
                value = tuple(assignments(value))
            elif option.config == "inputs":
                value = tuple(f"{key}={path}" for key, path in value.items())
            if value not in (None, ()):
                values[name] = value
        values.update(fields)
        return cls(**values)


def assignments(values: Mapping[str, Any]) -> list[str]:
    """``{name: value}`` as ``NAME=VALUE`` strings whose VALUE reads back as the same
    YAML (JSON is YAML), as ``--param`` and ``--set`` parse them: how a configuration's
    ``params`` and ``set`` become a spec's."""
    import json

    return [f"{name}={json.dumps(value, ensure_ascii=False)}" for name, value in values.items()]


@dataclass(frozen=True)
class Run:
    """A :class:`RunSpec` loaded: everything validated and compiled, ``now`` fixed."""

    spec: RunSpec
    now: _dt.datetime
    records: tuple[ModelRecord, ...] = ()
    policies: tuple[Policy, ...] = ()
    access_policies: tuple[Policy, ...] = ()
    """``access="also"``: the ``AccessPolicy`` documents among the policy paths."""
    catalogs: tuple[ControlCatalog, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    approvers: Approvers | None = None
    attestations: tuple[Attestation, ...] = ()
    inputs: Mapping[str, Any] = field(default_factory=dict)
    risk_graph: RiskGraph | None = None
    defaults: Mapping[str, Any] = field(default_factory=dict)
    """``--set``: the record defaults (already filled into :attr:`records`)."""
    limits: RunLimits | None = None
    warnings: tuple[str, ...] = ()
    """What the caller should say: each ``--set`` default a record contradicts."""
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """What evaluating plans once per policy (:func:`policygate.evaluate.evaluate`'s
    ``memo``), shared by this run and every :meth:`with_records` run made of it."""

    @property
    def fail_on(self) -> str:
        return self.spec.fail_on

    def evaluation(self) -> dict[str, Any]:
        """The keywords of :func:`policygate.evaluate.evaluate` (and of ``explain``,
        ``diff``, ``authorize``) this run gives: the same inputs for every command."""
        return {
            "now": self.now, "waivers": self.waivers, "inputs": self.inputs,
            "fail_on": self.fail_on, "approvers": self.approvers,
            "attestations": self.attestations, "risk_graph": self.risk_graph,
            "require_evidence": self.spec.require_evidence,
            "budget": self.limits.rule if self.limits is not None else None,
        }  # fmt: skip

    def with_records(self, records: Sequence[ModelRecord]) -> Run:
        """The same run for other records (an audit's source, the version ``promote``
        reads from the registry), ``--set``'s defaults filled in."""
        from .models import apply_set

        if self.defaults:
            records = [apply_set(record, self.defaults) for record in records]
        return dataclasses.replace(self, records=tuple(records))


AccessMode = Literal["no", "only", "also"]


def load_run(
    spec: RunSpec,
    *,
    access: AccessMode = "no",
    environ: Mapping[str, str] | None = None,
    now: _dt.datetime | None = None,
) -> Run:
    """Load, validate and compile everything ``spec`` names; raise every load error
    together (a usage error when the inputs contradict each other).

    ``access`` says which policies ``-p`` gives: ``no`` promotion policies
    (``kind: Policy``; paths that hold none are an error, no paths load none and
    the run evaluates to nothing evaluated), ``only`` access policies (``explain`` and
    ``diff`` with a request), ``also`` both kinds, either may be absent
    (``authorize``, ``serve``; the caller says which it needs). ``environ`` gives
    the ``POLICYGATE_*`` limits (the command line passes ``os.environ``; the
    library reads none). ``now`` is the time of the run when ``spec.now`` is
    unset (default: the clock, read here once, so evaluating is pure).
    """
    from .limits import configure

    if spec.require_evidence and not spec.risk_registers:
        raise UsageError("--require-evidence needs --risk-register")
    if spec.attestation_head and not spec.attestation_log:
        raise UsageError("--attestation-head needs --attestation-log")
    limits = configure(spec.limits, environ if environ is not None else {})
    load = limits.load
    errors: list[PolicygateError] = []

    def attempt(step: Callable[[], Any], default: Any = None) -> Any:
        try:
            return step()
        except ErrorGroup as group:
            errors.extend(group.errors)
        except PolicygateError as error:
            errors.append(error)
        return default

    moment = attempt(lambda: _moment(spec.now, now))
    params = attempt(lambda: _params(spec.params), {})
    defaults = attempt(lambda: _defaults(spec.set), {})
    policies, access_policies = attempt(lambda: _policies(spec, access, params, load), ([], []))
    catalogs: list[ControlCatalog] = []
    if spec.catalogs or any(rule.controls for policy in policies for rule in policy.rules):
        # Without either there is nothing to verify (the shipped catalogs are sound:
        # tests check them), so a policy naming no control never loads a catalog.
        from .graph.catalogs import load_catalogs, verify_control_ids

        catalogs = attempt(lambda: load_catalogs(spec.catalogs, limits=load), [])
        attempt(lambda: verify_control_ids(policies, catalogs))
    waivers = attempt(lambda: _waivers(spec.waivers, load), [])
    approvers = attempt(lambda: _approvers(spec.approvers, load))
    attestations = attempt(lambda: _attestations(spec.attestations, load), [])
    inputs = attempt(lambda: load_inputs(spec.inputs, load), {})
    records, warnings = attempt(lambda: _records(spec, defaults, load), ([], []))
    register = None
    if spec.risk_registers:  # loaded with the rest, so its errors come with theirs
        from .graph.register import load_risk_registers

        register = attempt(lambda: load_risk_registers(spec.risk_registers, limits=load))
    if errors:
        raise ErrorGroup.of(errors)
    # What follows reads the records and policies loaded above.
    if spec.attestation_log:
        from .approvals.attestation_log import require_logged_decisions, validate_head

        require_logged_decisions(spec.attestation_log, records, attestations,
                                 head=validate_head(spec.attestation_head))  # fmt: skip
    risk_graph = None
    if register is not None:
        from .graph.build import risk_graph_of

        risk_graph = risk_graph_of(register, policies, records=records if spec.models else None,
                                   extra_catalogs=catalogs)  # fmt: skip
    return Run(
        spec=spec, now=moment, records=tuple(records), policies=tuple(policies),
        access_policies=tuple(access_policies), catalogs=tuple(catalogs),
        waivers=tuple(waivers), approvers=approvers, attestations=tuple(attestations),
        inputs=inputs, risk_graph=risk_graph, defaults=defaults, limits=limits,
        warnings=tuple(warnings),
    )  # fmt: skip


def _moment(text: str | None, given: _dt.datetime | None) -> _dt.datetime:
    from .timestamps import parse_timestamp, utc_now

    if text is None:
        return given if given is not None else utc_now()
    try:
        return parse_timestamp(text)
    except ValueError as error:
        raise UsageError(f"now: {error}") from None


def _params(assignments: Sequence[str]) -> dict[str, Any]:
    from .policy import parse_param

    return dict(parse_param(p) for p in assignments)


def _defaults(assignments: Sequence[str]) -> dict[str, Any]:
    from .models import parse_set

    return parse_set(assignments)


def _policies(
    spec: RunSpec, access: AccessMode, params: Mapping[str, Any], limits: Any
) -> tuple[list[Policy], list[Policy]]:
    """The policies of ``-p``; each ``--param`` checked against the type of the
    parameter's default in every policy that declares it (SPEC §5: exit 2)."""
    from .policy import apply_params, load_policies

    if not spec.policies:  # nothing to load; evaluating then fails closed (nothing evaluated)
        return [], []
    if access != "also":
        kind = "AccessPolicy" if access == "only" else "Policy"
        return load_policies(spec.policies, params=params, limits=limits, kind=kind), []
    from .errors import NothingEvaluatedError

    found: dict[str, list[Policy]] = {}
    errors: list[PolicygateError] = []
    for kind in ("Policy", "AccessPolicy"):
        try:
            found[kind] = load_policies(spec.policies, limits=limits, kind=kind)
        except NothingEvaluatedError:
            found[kind] = []
        except ErrorGroup as group:
            errors.extend(group.errors)
        except PolicygateError as error:
            errors.append(error)
    if errors:  # each broken file once, though both loads read it
        unique = list({str(error): error for error in errors}.values())
        raise ErrorGroup.of(unique)
    promotion, access_policies = found["Policy"], found["AccessPolicy"]
    if params:
        both = apply_params([*promotion, *access_policies], params)
        promotion, access_policies = both[: len(promotion)], both[len(promotion) :]
    return promotion, access_policies


def _waivers(paths: Sequence[str], limits: Any) -> list[Waiver]:
    if not paths:
        return []
    from .waivers import load_waivers

    return load_waivers(paths, limits=limits)


def _approvers(paths: Sequence[str], limits: Any) -> Approvers | None:
    if not paths:
        return None
    from .approvals import load_approvers

    return load_approvers(paths, limits=limits)


def _attestations(paths: Sequence[str], limits: Any) -> list[Attestation]:
    if not paths:
        return []
    from .approvals import load_attestations

    return load_attestations(paths, limits=limits)


def load_inputs(assignments: Sequence[str], limits: Limits | None = None) -> dict[str, Any]:
    """``NAME=PATH`` pairs into ``{name: data}``; a file of several documents gives a list."""
    from .documents import DEFAULT_LIMITS, load_file
    from .errors import LoadError

    inputs: dict[str, Any] = {}
    for assignment in assignments:
        name, sep, path = assignment.partition("=")
        name = name.strip()
        if not sep or not name or not path:
            raise UsageError(f"--input {assignment!r}: expected NAME=PATH")
        if not name.isidentifier():
            raise UsageError(f"--input {assignment!r}: {name!r} is not a valid name")
        if name in inputs:
            raise UsageError(f"--input {name} given twice")
        documents = load_file(path, limits or DEFAULT_LIMITS)
        if not documents:
            raise LoadError(f"--input {name}: {path} holds no document")
        inputs[name] = documents[0].data if len(documents) == 1 else [d.data for d in documents]
    return inputs


def _records(
    spec: RunSpec, defaults: Mapping[str, Any], limits: Any
) -> tuple[list[ModelRecord], list[str]]:
    """The records of ``spec.models``, ``--set``'s defaults filled in and
    ``--evidence`` attached; the warnings name each default a record contradicts."""
    if not spec.models:
        return [], []
    from .models import apply_set, load_models, set_conflicts

    records = load_models(spec.models, limits=limits)
    warnings = [f"{record.ref}: --set {conflict}"
                for record in records for conflict in set_conflicts(record, defaults)]  # fmt: skip
    if defaults:
        records = [apply_set(record, defaults) for record in records]
    if spec.evidence:
        from .evidence import attach_option

        records = attach_option(records, spec.evidence, limits)
    return records, warnings


def evaluate(
    run: Run | Any,
    policies: Sequence[Policy] | None = None,
    **keywords: Any,
) -> Report:
    """The report of a loaded :class:`Run`: pure (no file, clock or environment).

    ``evaluate(models, policies, now=..., ...)`` is SPEC §7's form: records, dicts
    or paths (loaded here, as :func:`policygate.load_models` loads them), and the
    keywords of :func:`policygate.evaluate.evaluate`.
    """
    from .evaluate import evaluate as evaluate_records

    if isinstance(run, Run):
        if policies is not None or keywords:
            raise UsageError("evaluate(run) takes no other argument: the run holds them")
        return evaluate_records(list(run.records), list(run.policies), **run.evaluation(),
                                memo=run.memo)  # fmt: skip
    if policies is None:
        raise UsageError("evaluate needs a Run, or models and policies")
    return evaluate_records(_loaded(run), policies, **keywords)


def _loaded(models: Any) -> list[Any]:
    """Records and dicts as they are, every path loaded as a model source."""
    from .models import ModelRecord, load_models

    if isinstance(models, (ModelRecord, Mapping, str, os.PathLike)):
        models = [models]
    loaded: list[Any] = []
    for model in models:
        if isinstance(model, (str, os.PathLike)):
            loaded.extend(load_models([model]))
        else:
            loaded.append(model)
    return loaded


def render(report: Report, fmt: str, **options: Any) -> str:
    """The report in ``fmt`` (text, json, junit, sarif, markdown, html): what
    :func:`policygate.formats.render` gives; an unknown format is an error."""
    from .formats import render as render_format

    return render_format(report, fmt, **options)


__all__ = [
    "Option", "Run", "RunSpec", "assignments", "evaluate", "load_inputs", "load_run", "render",
]  # fmt: skip
