# ruff: noqa: E501  (the rule tables read best one rule to a line)
"""The benchmark workloads' data: generated model records and one 40-rule policy,
written three ways (policygate YAML with CEL, Rego for regopy, plain Python)
from a single table, so the three evaluate the same rules.

Records are deterministic (a seeded generator): mostly complete, some below a
threshold, some without optional fields (``has()`` false), and about 1 in 50
missing a required metric, which is an ``error`` result (fail closed).
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable, Iterator
from typing import Any

NOW = "2026-11-26T00:00:00Z"
NOW_DT = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)

# name, direction, threshold: 12 headline-metric thresholds
METRICS = [
    ("auc", ">=", 0.8), ("accuracy", ">=", 0.85), ("precision", ">=", 0.7),
    ("recall", ">=", 0.6), ("f1", ">=", 0.65), ("brier", "<=", 0.2),
    ("log_loss", "<=", 0.5), ("calibration_error", "<=", 0.05), ("latency_ms", "<=", 50),
    ("coverage", ">=", 0.9), ("stability", ">=", 0.8), ("drift_psi", "<=", 0.2),
]  # fmt: skip
# field path (under model), CEL has() chain: 8 documentation/lineage presence rules
PRESENCE = [
    ("spec.documentation.model_card",), ("spec.documentation.datasheet",),
    ("spec.documentation.explainability_report",), ("spec.monitoring.dashboard",),
    ("spec.lineage.code.commit",), ("spec.lineage.parent",), ("spec.intended_use",),
    ("metadata.owner",),
]  # fmt: skip
# string rules: id, field, CEL check of x, Python check of x, Rego check of x
STRINGS: list[tuple[str, str, str, Callable[[str], bool], str]] = [
    ("commit-hex", "spec.lineage.code.commit", 'x.matches("^[0-9a-f]{7,40}$")',
     lambda x: re.search("^[0-9a-f]{7,40}$", x) is not None, 'regex.match("^[0-9a-f]{7,40}$", x)'),
    ("semver", "metadata.version", 'x.matches("^[0-9]+[.][0-9]+[.][0-9]+$")',
     lambda x: re.search("^[0-9]+[.][0-9]+[.][0-9]+$", x) is not None,
     'regex.match("^[0-9]+[.][0-9]+[.][0-9]+$", x)'),
    ("owner-team", "metadata.owner", 'x.endsWith("-ml")', lambda x: x.endswith("-ml"),
     'endswith(x, "-ml")'),
    ("name-kebab", "metadata.name", 'x.matches("^[a-z][a-z0-9-]*$")',
     lambda x: re.search("^[a-z][a-z0-9-]*$", x) is not None,
     'regex.match("^[a-z][a-z0-9-]*$", x)'),
    ("repo-https", "spec.lineage.code.repository", 'x.startsWith("https://")',
     lambda x: x.startswith("https://"), 'startswith(x, "https://")'),
    ("tier-known", "spec.risk_tier", 'x in ["minimal", "limited", "high"]',
     lambda x: x in ("minimal", "limited", "high"), 'x in {"minimal", "limited", "high"}'),
    ("stage-known", "metadata.target_stage", 'x in ["staging", "production"]',
     lambda x: x in ("staging", "production"), 'x in {"staging", "production"}'),
    ("use-described", "spec.intended_use", "size(x) >= 20", lambda x: len(x) >= 20,
     "count(x) >= 20"),
]  # fmt: skip
ROLES = ["model-risk-officer", "model-validation"]
ATTRIBUTES = ["sex", "age_band", "ethnicity", "disability"]


def _has(path: str) -> str:
    parts = path.split(".")
    return " && ".join("has(model." + ".".join(parts[: i + 1]) + ")" for i in range(len(parts)))


def policy_yaml() -> str:
    """The 40-rule policy (YAML, CEL)."""
    rules: list[str] = []

    def rule(rule_id: str, check: str, **extra: str) -> None:
        lines = [f"    - id: {rule_id}", f"      check: '{check}'"]
        lines += [f"      {key}: '{value}'" for key, value in extra.items()]
        rules.append("\n".join(lines))

    for name, op, _ in METRICS:  # 12
        limit = ("min_" if op == ">=" else "max_") + name
        rule(f"metric.{name}", f"model.spec.metrics.{name} {op} params.{limit}",
             message=f"{name} {{model.spec.metrics.{name}}} vs {{params.{limit}}}")  # fmt: skip
    for (path,) in PRESENCE:  # 8
        rule(f"present.{path}", _has(path))
    for rule_id, path, check, _, _ in STRINGS:  # 8
        rule(f"string.{rule_id}", f"{_has(path)} && {check.replace('x', 'model.' + path, 1)}"
             if check.count("x") == 1 else check)  # fmt: skip
    # 4 fairness (for_each over the 4 metrics), 4 approvals, 4 others
    rule("fairness.gap", "item.value <= params.max_gap",
         for_each="model.spec.fairness.metrics",
         message="{item.metric} for {item.attribute} is {item.value}")  # fmt: skip
    rule("fairness.known-attribute", "item.attribute in params.attributes",
         for_each="model.spec.fairness.metrics")  # fmt: skip
    rule("fairness.measured-recently",
         "now - timestamp(item.measured_at) < days(params.max_fairness_age_days)",
         for_each="model.spec.fairness.metrics")  # fmt: skip
    rule("fairness.all-attributes",
         "params.attributes.all(a, model.spec.fairness.metrics.exists(m, m.attribute == a))")
    for role in ROLES:
        rule(f"approval.{role}", "has(model.spec.approvals) && model.spec.approvals.exists(a, "
             f'a.role == "{role}" && a.decision == "approved" && timestamp(a.expires_at) > now)')
    rule("approval.recent", "!has(model.spec.approvals) || model.spec.approvals.all(a, "
         "now - timestamp(a.granted_at) < days(params.max_approval_age_days))")
    rule("approval.risk-assessment", "!has(model.spec.approvals) || model.spec.approvals.all(a, "
         'has(a.risk_assessment) && a.risk_assessment.matches("^RA-[0-9]{4}-[0-9]{3,}$"))')
    rule("evaluations.present", "has(model.spec.evaluations) && size(model.spec.evaluations) > 0")
    rule("robustness.drop", "!has(model.spec.robustness) || model.spec.robustness.all(r, "
         "r.baseline - r.value <= params.max_drop)")
    rule("monitoring.checks", "!has(model.spec.monitoring) || !has(model.spec.monitoring.checks)"
         " || model.spec.monitoring.checks.all(c, c.value <= c.threshold)")
    rule("risks.listed", "has(model.spec.risks) && size(model.spec.risks) > 0",
         when='model.metadata.target_stage == "production"')  # fmt: skip
    assert len(rules) == 40, len(rules)
    params = {("min_" if op == ">=" else "max_") + n: t for n, op, t in METRICS}
    params.update(max_gap=0.1, attributes=ATTRIBUTES, max_fairness_age_days=180,
                  max_approval_age_days=365, max_drop=0.05)  # fmt: skip
    import json

    return (
        "apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: bench-w1}\nspec:\n"
        f"  params: {json.dumps(params)}\n  rules:\n" + "\n".join(rules) + "\n"
    )


# --------------------------------------------------------------------------- records


def record(i: int, rng: random.Random) -> dict[str, Any]:
    """Model record ``i``: valid in most respects, with seeded variations."""
    metrics = {}
    for name, op, limit in METRICS:
        good = rng.random() < 0.95
        if op == ">=":
            value = limit + rng.uniform(0, 0.1) if good else limit - rng.uniform(0.01, 0.1)
        else:
            value = limit * rng.uniform(0.2, 0.99) if good else limit * rng.uniform(1.01, 1.5)
        metrics[name] = round(value, 4) if name != "latency_ms" else int(value)
    if rng.random() < 0.02:
        del metrics[rng.choice(list(metrics))]  # a missing required metric: error
    when = NOW_DT - dt.timedelta(days=rng.randint(1, 400))

    def stamp(moment: dt.datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    model: dict[str, Any] = {
        "apiVersion": "policygate/v1",
        "kind": "ModelRecord",
        "metadata": {
            "name": f"model-{i}",
            "version": f"1.{i % 7}.{i % 13}",
            "owner": rng.choice(["credit-ml", "vision-ml", "Fraud Team"]),
            "target_stage": rng.choice(["staging", "production", "production"]),
        },
        "spec": {
            "risk_tier": rng.choice(["limited", "high", "high"]),
            "intended_use": "Scores applications to support a human decision maker.",
            "metrics": metrics,
            "evaluations": [{"dataset": "holdout", "metrics": dict(metrics)}],
            "documentation": {"model_card": "docs/card.md",
                              "explainability_report": "reports/shap.html"},
            "lineage": {"code": {"repository": "https://git.example.com/ml/m",
                                 "commit": rng.choice(["9f1c2ab47e0d", "main"])},
                        "parent": f"model-{i}@0.9.0"},
            "fairness": {"metrics": [
                {"attribute": a, "metric": "demographic_parity_difference",
                 "value": round(rng.uniform(0, 0.12), 3),
                 "measured_at": stamp(NOW_DT - dt.timedelta(days=rng.randint(1, 200)))}
                for a in ATTRIBUTES]},
            "approvals": [
                {"role": role, "approver": "someone@example.com",
                 "decision": "approved" if rng.random() < 0.95 else "rejected",
                 "granted_at": stamp(when),
                 "expires_at": stamp(when + dt.timedelta(days=rng.randint(30, 700))),
                 "risk_assessment": rng.choice(["RA-2026-044", "RA-2026-051", "pending"])}
                for role in ROLES],
            "robustness": [{"test": "noise", "value": 0.85, "baseline": 0.87}],
            "monitoring": {"dashboard": "https://monitoring.example.com/m",
                           "checks": [{"name": "psi", "value": round(rng.uniform(0, 0.25), 3),
                                       "threshold": 0.2}]},
            "risks": ["R-DRIFT"] if rng.random() < 0.9 else [],
        },
    }  # fmt: skip
    if rng.random() < 0.1:
        del model["spec"]["documentation"]["explainability_report"]
    if rng.random() < 0.05:
        del model["spec"]["lineage"]["parent"]
    return model


def records(count: int, seed: int = 7) -> list[dict[str, Any]]:
    return list(iter_records(count, seed))


def iter_records(count: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """:func:`records` one at a time (writing 100,000 files needs no list of them)."""
    rng = random.Random(seed)
    return (record(i, rng) for i in range(count))


# --------------------------------------------------------------------------- Rego


def _rego_path(path: str) -> str:
    return "input." + path


def rego_module() -> str:
    """The same 40 rules in Rego (v1 syntax), one boolean (or list) per rule."""
    # rego-cpp (regopy 1.5.2) leaves time.parse_rfc3339_ns undefined for a "Z" offset, which
    # OPA accepts; every record's times end in "Z", so they are given as "+00:00".
    out = ["package w1", "", "import rego.v1", "", "p := data.params", "",
           'ts(s) := time.parse_rfc3339_ns(replace(s, "Z", "+00:00"))', ""]
    names: list[tuple[str, str]] = []

    def boolean(rule_id: str, body: str) -> None:
        name = "r" + str(len(names))
        names.append((rule_id, name))
        out.extend([f"default {name} := false", f"{name} if {{", f"  {body}", "}", ""])

    for metric, op, _ in METRICS:
        limit = ("min_" if op == ">=" else "max_") + metric
        boolean(f"metric.{metric}", f"input.spec.metrics.{metric} {op} p.{limit}")
    for (path,) in PRESENCE:
        boolean(f"present.{path}", f"{_rego_path(path)} != null")
    for rule_id, path, _, _, check in STRINGS:
        boolean(f"string.{rule_id}", f"x := {_rego_path(path)}\n  {check}")
    for rule_id, body in [
        ("fairness.gap", "m.value <= p.max_gap"),
        ("fairness.known-attribute", "m.attribute in p.attributes"),
        ("fairness.measured-recently",
         "data.now_ns - ts(m.measured_at) < p.max_fairness_age_days * 86400000000000"),
    ]:  # fmt: skip
        name = "r" + str(len(names))
        names.append((rule_id, name))
        out += [f"{name} := [ok | some m in input.spec.fairness.metrics; ok := {name}_ok(m)]",
                f"default {name}_ok(_) := false", f"{name}_ok(m) if {{", f"  {body}", "}", ""]  # fmt: skip
    boolean("fairness.all-attributes",
            "every a in p.attributes { some m in input.spec.fairness.metrics; m.attribute == a }")
    for role in ROLES:
        boolean(f"approval.{role}",
                f'some a in input.spec.approvals\n  a.role == "{role}"\n  a.decision == "approved"\n'
                "  ts(a.expires_at) > data.now_ns")  # fmt: skip
    boolean("approval.recent",
            "every a in object.get(input.spec, \"approvals\", []) {\n"
            "    data.now_ns - ts(a.granted_at) < "
            "p.max_approval_age_days * 86400000000000\n  }")  # fmt: skip
    boolean("approval.risk-assessment",
            'every a in object.get(input.spec, "approvals", []) {\n'
            '    regex.match("^RA-[0-9]{4}-[0-9]{3,}$", a.risk_assessment)\n  }')  # fmt: skip
    boolean("evaluations.present", "count(input.spec.evaluations) > 0")
    boolean("robustness.drop",
            'every r in object.get(input.spec, "robustness", []) { r.baseline - r.value <= p.max_drop }')
    boolean("monitoring.checks",
            'every c in object.get(object.get(input.spec, "monitoring", {}), "checks", []) '
            "{ c.value <= c.threshold }")  # fmt: skip
    # `when` false gives a skip in policygate: here the rule is "skip" where it does not apply
    names.append(("risks.listed", "r39"))
    out += ["default r39 := false", 'r39 := "skip" if {', '  input.metadata.target_stage != "production"',
            "} else := true if {", "  count(input.spec.risks) > 0", "}", ""]  # fmt: skip
    assert len(names) == 40, len(names)
    fields = ",\n".join(f'  "{rule_id}": {name}' for rule_id, name in names)  # lines < 1024
    out.append(f"results := {{\n{fields}\n}}")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- Python


def _get(document: Any, path: str) -> Any:
    for key in path.split("."):
        document = document[key]
    return document


def _present(document: Any, path: str) -> bool:
    for key in path.split("."):
        if not isinstance(document, dict) or key not in document:
            return False
        document = document[key]
    return True


def _ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def python_rules(params: dict[str, Any]) -> list[tuple[str, Callable[[dict[str, Any]], Any]]]:
    """The same 40 rules as plain Python functions: each returns a bool (or a list
    of bools for the for_each rules, or None when ``when`` is false) or raises."""
    rules: list[tuple[str, Callable[[dict[str, Any]], Any]]] = []
    day = dt.timedelta(days=1)
    for metric, op, _ in METRICS:
        limit = params[("min_" if op == ">=" else "max_") + metric]
        if op == ">=":
            rules.append((f"metric.{metric}", lambda m, k=metric, t=limit: m["spec"]["metrics"][k] >= t))
        else:
            rules.append((f"metric.{metric}", lambda m, k=metric, t=limit: m["spec"]["metrics"][k] <= t))
    for (path,) in PRESENCE:
        rules.append((f"present.{path}", lambda m, p=path: _present(m, p)))
    for rule_id, path, _, check, _ in STRINGS:
        rules.append((f"string.{rule_id}",
                      lambda m, p=path, c=check: _present(m, p) and c(_get(m, p))))  # fmt: skip
    gap, attributes = params["max_gap"], params["attributes"]
    age = params["max_fairness_age_days"] * day
    rules += [
        ("fairness.gap", lambda m: [f["value"] <= gap for f in m["spec"]["fairness"]["metrics"]]),
        ("fairness.known-attribute",
         lambda m: [f["attribute"] in attributes for f in m["spec"]["fairness"]["metrics"]]),
        ("fairness.measured-recently",
         lambda m: [NOW_DT - _ts(f["measured_at"]) < age for f in m["spec"]["fairness"]["metrics"]]),
        ("fairness.all-attributes",
         lambda m: all(any(f["attribute"] == a for f in m["spec"]["fairness"]["metrics"])
                       for a in attributes)),
    ]  # fmt: skip
    for role in ROLES:
        rules.append((f"approval.{role}", lambda m, r=role: "approvals" in m["spec"] and any(
            a["role"] == r and a["decision"] == "approved" and _ts(a["expires_at"]) > NOW_DT
            for a in m["spec"]["approvals"])))  # fmt: skip
    approval_age = params["max_approval_age_days"] * day
    ra = re.compile("^RA-[0-9]{4}-[0-9]{3,}$")
    rules += [
        ("approval.recent", lambda m: all(NOW_DT - _ts(a["granted_at"]) < approval_age
                                          for a in m["spec"].get("approvals", []))),
        ("approval.risk-assessment",
         lambda m: all("risk_assessment" in a and ra.search(a["risk_assessment"]) is not None
                       for a in m["spec"].get("approvals", []))),
        ("evaluations.present", lambda m: len(m["spec"].get("evaluations", [])) > 0),
        ("robustness.drop", lambda m: all(r["baseline"] - r["value"] <= params["max_drop"]
                                          for r in m["spec"].get("robustness", []))),
        ("monitoring.checks", lambda m: all(c["value"] <= c["threshold"]
                                            for c in m["spec"].get("monitoring", {}).get("checks", []))),
        ("risks.listed", lambda m: None if m["metadata"]["target_stage"] != "production"
         else len(m["spec"].get("risks", [])) > 0),
    ]  # fmt: skip
    assert len(rules) == 40, len(rules)
    return rules


def evaluate_python(rules: list[tuple[str, Callable[[dict[str, Any]], Any]]],
                    model: dict[str, Any]) -> list[tuple[str, str]]:  # fmt: skip
    """(rule, status) per result, as policygate would count them."""
    results: list[tuple[str, str]] = []
    for rule_id, check in rules:
        try:
            outcome = check(model)
        except (KeyError, TypeError, ValueError):
            results.append((rule_id, "error"))
            continue
        if outcome is None:
            results.append((rule_id, "skip"))
        elif isinstance(outcome, list):
            results.extend((rule_id, "pass" if ok else "fail") for ok in outcome)
        else:
            results.append((rule_id, "pass" if outcome else "fail"))
    return results
