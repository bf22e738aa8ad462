"""Fairlearn results: a JSON report, or a ``MetricFrame`` in Python (:func:`from_metricframe`).

A JSON report is read in either shape:

- per attribute, metric values: ``{"metrics": {"gender": {"demographic_parity_difference":
  0.013, ...}, ...}}`` (what teams write from Fairlearn's ``demographic_parity_difference``,
  ``equalized_odds_difference`` ..., as in tests/data/evidence/);
- canonical entries: ``{"fairness": [{"attribute", "metric", "value"}, ...]}`` or a bare
  list of them (what :func:`from_metricframe` returns, dumped as JSON).

A metric whose name ends in ``_ratio`` is a ratio (1 is parity: ``direction: min``);
any other is a difference or gap (0 is parity: ``direction: max``), as the shipped
rules read them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..documents import Document
from ..importers.interface import as_number, prune
from .findings import EvidenceError, Findings


def direction_of(metric: str) -> str:
    return "min" if metric.endswith("_ratio") else "max"


def read(document: Document, source: str, name: str | None) -> Findings:
    data = document.data
    entries: list[dict[str, Any]] = []
    if isinstance(data, Mapping) and isinstance(data.get("metrics"), Mapping):
        for attribute, values in data["metrics"].items():
            if not isinstance(values, Mapping):
                raise EvidenceError(
                    f"fairlearn report: metrics of {attribute!r} must be a mapping of metric"
                    " name to value",
                    document.location(("metrics", attribute)),
                )
            for metric, value in values.items():
                entries.append(
                    _entry(
                        str(attribute),
                        str(metric),
                        value,
                        source,
                        name,
                        document,
                        ("metrics", attribute, metric),
                    )
                )
    else:
        listed = data.get("fairness") if isinstance(data, Mapping) else data
        if not isinstance(listed, list):
            raise EvidenceError(
                "not a fairlearn report: expected metrics per attribute ({metrics: {ATTRIBUTE:"
                " {METRIC: VALUE}}}) or a list of {attribute, metric, value}",
                document.location(),
            )
        prefix: tuple[str, ...] = ("fairness",) if isinstance(data, Mapping) else ()
        for index, item in enumerate(listed):
            path: tuple[str | int, ...] = (*prefix, index)
            if not isinstance(item, Mapping) or not {"attribute", "metric", "value"} <= set(item):
                raise EvidenceError(
                    "a fairness entry needs attribute, metric and value", document.location(path)
                )
            entry = _entry(
                str(item["attribute"]),
                str(item["metric"]),
                item["value"],
                source,
                name,
                document,
                (*path, "value"),
            )
            entries.append({**{k: v for k, v in item.items() if k not in entry}, **entry})
    attributes = tuple(dict.fromkeys(e["attribute"] for e in entries))
    return Findings(protected_attributes=attributes, fairness=tuple(entries))


def _entry(
    attribute: str,
    metric: str,
    value: Any,
    source: str,
    name: str | None,
    document: Document,
    path: tuple[Any, ...],
) -> dict[str, Any]:
    number = as_number(value)
    if number is None:
        raise EvidenceError(
            f"fairness metric {metric} of {attribute} is not a number: {value!r}",
            document.location(path),
            json_path=path,
        )
    return prune(
        {
            "attribute": attribute,
            "metric": metric,
            "value": number,
            "direction": direction_of(metric),
            "source": source,
            "evidence": name,
        }
    )


def from_metricframe(
    metric_frame: Any,
    *,
    attribute: str | None = None,
    source: str = "fairlearn:MetricFrame",
    name: str | None = None,
) -> list[dict[str, Any]]:
    """A Fairlearn ``MetricFrame`` as ``spec.fairness.metrics`` entries.

    For each metric of the frame, its largest difference between groups
    (``METRIC_difference``, ``direction: max``) and its smallest ratio
    (``METRIC_ratio``, ``direction: min``), from ``difference()`` and ``ratio()``,
    with the value of every group under ``groups`` and the overall value under
    ``overall``. ``attribute`` names the sensitive feature; by default the names of
    the frame's sensitive features, joined with ``,``.

    Only the frame's public attributes are read (``by_group``, ``overall``,
    ``difference()``, ``ratio()``), so a frame from any Fairlearn version works::

        record["spec"]["fairness"] = {
            "protected_attributes": ["sex"],
            "metrics": policygate.evidence.from_metricframe(frame, attribute="sex"),
        }
    """
    by_group = metric_frame.by_group
    names = [n for n in getattr(by_group.index, "names", []) if n is not None]
    attribute = attribute or ",".join(str(n) for n in names) or "sensitive_feature"
    single = str(getattr(by_group, "name", None) or "metric")  # a frame of one metric
    differences = _per_metric(metric_frame.difference(), single)
    ratios = _per_metric(metric_frame.ratio(), single)
    overall = _per_metric(metric_frame.overall, single)
    groups = _groups(by_group, single)
    entries = []
    for metric in differences:
        for kind, values in (("difference", differences), ("ratio", ratios)):
            value = values.get(metric)
            if value is None:
                continue
            entries.append(
                prune(
                    {
                        "attribute": attribute,
                        "metric": f"{metric}_{kind}",
                        "value": value,
                        "direction": "max" if kind == "difference" else "min",
                        "groups": groups.get(metric),
                        "overall": overall.get(metric),
                        "source": source,
                        "evidence": name,
                    }
                )
            )
    return entries


def _per_metric(value: Any, single: str) -> dict[str, float]:
    """``{metric: number}`` from a scalar (the frame's one metric, ``single``) or a Series."""
    if hasattr(value, "items") and not isinstance(value, (str, bytes)):
        found = {str(k): _number(v) for k, v in value.items()}
    else:
        found = {single: _number(value)}
    return {k: v for k, v in found.items() if v is not None}


def _groups(by_group: Any, single: str) -> dict[str, dict[str, float]]:
    """``{metric: {group: value}}`` from a Series (one metric) or a DataFrame."""
    columns = getattr(by_group, "columns", None)
    # a Series holds one metric, a DataFrame one per column
    series = {single: by_group} if columns is None else {str(c): by_group[c] for c in columns}
    result = {}
    for metric, values in series.items():
        result[metric] = {
            _group_key(k): number for k, v in values.items() if (number := _number(v)) is not None
        }
    return result


def _group_key(key: Any) -> str:
    return ",".join(str(k) for k in key) if isinstance(key, tuple) else str(key)


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
