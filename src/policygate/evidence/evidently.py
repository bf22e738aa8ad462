"""Evidently 0.7 reports (``Report.run(...).json()`` / ``save_json``): tests and drift metrics.

Each test becomes a monitoring check: its name, the value of the metric it tested,
its threshold and direction where the test has one, and ``passed`` as Evidently
decided it (``SUCCESS``). A drift metric with a threshold that no test judges
becomes a check too, judged here by its method's direction.

**Direction.** A distance or divergence (PSI, Wasserstein, Jensen-Shannon, ...)
shows drift when it is *above* the threshold: the check passes at or below it
(``direction: max``). A statistical test's p-value (K-S, chi-square, Z-test, ...)
shows drift when it is *below* the threshold: the check passes at or above it
(``direction: min``). A method that is neither known distance nor known test
gets no direction, and only Evidently's own verdict (``passed``) judges it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..documents import Document
from ..importers.interface import as_number, prune
from .findings import EvidenceError, Findings

# Evidently's stat tests by id and by display name (evidently/legacy/calculations/stattests).
P_VALUE_METHODS = frozenset(
    {
        "ks",
        "chisquare",
        "z",
        "anderson",
        "fisher_exact",
        "cramer_von_mises",
        "g_test",
        "mannw",
        "es",
        "t_test",
        "empirical_mmd",
        "fisher's exact test",
        "mann-whitney u-rank test",
        "empirical-mmd",
    }
)
DISTANCE_METHODS = frozenset(
    {
        "psi",
        "wasserstein",
        "jensenshannon",
        "kl_div",
        "hellinger",
        "ed",
        "text_content_drift",
        "perc_text_content_drift",
        "abs_text_content_drift",
        "wasserstein distance (normed)",
        "jensen-shannon distance",
        "kullback-leibler divergence",
        "hellinger distance (normed)",
        "energy-distance",
    }
)
# Test types whose threshold is an upper or a lower bound.
UPPER_BOUNDS = frozenset({"LessThanMetricTest", "LessOrEqualMetricTest"})
LOWER_BOUNDS = frozenset({"GreaterThanMetricTest", "GreaterOrEqualMetricTest"})


def drift_direction(method: Any) -> str | None:
    """``max`` for a distance, ``min`` for a p-value, ``None`` for an unknown method."""
    if not isinstance(method, str):
        return None
    text = method.strip().lower()
    if "p_value" in text or "p-value" in text or text in P_VALUE_METHODS:
        return "min"
    if text in DISTANCE_METHODS or "text content drift" in text:
        return "max"
    return None


def read(document: Document, source: str, name: str | None) -> Findings:
    data = document.data
    if not isinstance(data, Mapping) or not isinstance(data.get("metrics"), list):
        raise EvidenceError(
            "not an Evidently report: expected an object with a metrics list", document.location()
        )
    found = data.get("tests")
    tests: list[Any] = found if isinstance(found, list) else []
    metrics = {m["id"]: m for m in data["metrics"] if isinstance(m, Mapping) and "id" in m}
    checks: list[dict[str, Any]] = []
    tested = set()
    for index, test in enumerate(tests):
        if not isinstance(test, Mapping):
            raise EvidenceError(
                "an Evidently test is an object", document.location(("tests", index))
            )
        metric_id = _dig(test, "metric_config", "metric_id")
        tested.add(metric_id)
        checks.append(_test_check(test, metrics.get(metric_id) or {}, source, name))
    for metric in data["metrics"]:
        if isinstance(metric, Mapping) and metric.get("id") not in tested:
            check = _metric_check(metric, source, name)
            if check is not None:
                checks.append(check)
    return Findings(checks=tuple(checks))


def _test_check(
    test: Mapping[str, Any], metric: Mapping[str, Any], source: str, name: str | None
) -> dict[str, Any]:
    config = _mapping(test.get("test_config"))
    bound = _mapping(test.get("bound_test"))
    kind = _short_type(config.get("type") or _dig(bound, "test", "type"))
    metric_config = _mapping(metric.get("config"))
    value = _metric_value(metric.get("value"), bound.get("is_count"))
    threshold = as_number(config.get("threshold"))
    direction = "max" if kind in UPPER_BOUNDS else "min" if kind in LOWER_BOUNDS else None
    method = metric_config.get("method")
    if kind == "ValueDriftTest":
        direction = drift_direction(method)
        threshold = as_number(metric_config.get("threshold"))
    if direction is None or threshold is None or value is None:
        direction = threshold = None  # judged by Evidently's verdict alone
    status = str(test.get("status") or "").upper()
    return prune(
        {
            "name": str(test.get("name") or metric.get("metric_name") or kind or "evidently test"),
            "value": value,
            "threshold": threshold,
            "direction": direction,
            "passed": status == "SUCCESS",
            "status": status,
            "test": kind,
            "metric": metric.get("metric_name"),
            "column": metric_config.get("column"),
            "method": method,
            "source": source,
            "evidence": name,
        }
    )


def _metric_check(
    metric: Mapping[str, Any], source: str, name: str | None
) -> dict[str, Any] | None:
    """A drift metric that no test judges, when it has a threshold and a known direction."""
    config = _mapping(metric.get("config"))
    kind = _short_type(config.get("type"))
    if kind == "ValueDrift":
        direction = drift_direction(config.get("method"))
        threshold = as_number(config.get("threshold"))
        value = as_number(metric.get("value"))
    elif kind == "DriftedColumnsCount":  # dataset drift: the share of drifted columns
        direction = "max"
        threshold = as_number(config.get("drift_share"))
        value = _metric_value(metric.get("value"), False)
    else:
        return None
    if direction is None or threshold is None or value is None:
        return None
    passed = value <= threshold if direction == "max" else value >= threshold
    if kind == "DriftedColumnsCount":
        passed = value < threshold  # Evidently: drift when the share reaches drift_share
    return prune(
        {
            "name": str(metric.get("metric_name") or kind),
            "value": value,
            "threshold": threshold,
            "direction": direction,
            "passed": passed,
            "metric": metric.get("metric_name"),
            "column": config.get("column"),
            "method": config.get("method"),
            "source": source,
            "evidence": name,
        }
    )


def _metric_value(value: Any, is_count: Any) -> int | float | None:
    """A metric's value: a number, or ``{count, share}`` read as the test reads it."""
    if isinstance(value, Mapping):
        return as_number(value.get("count" if is_count else "share"))
    return as_number(value)


def _short_type(value: Any) -> str | None:
    """``evidently:test_v2:LessThanMetricTest`` -> ``LessThanMetricTest``."""
    return value.rsplit(":", 1)[-1] if isinstance(value, str) and value else None


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
