"""AI Verify's fairness metrics toolbox for classification: its output JSON.

``results[i]`` holds, for the i-th of ``output_classes``, each metric as a list of
``{group: [g], metric: value}`` (a rate per group) or, for a ratio, one entry whose
group is a pair (``Disparate Impact``: ``group: [0, 1]``). A rate becomes its gap,
the largest minus the smallest group value (``METRIC_difference``, ``direction:
max``); a ratio is kept as ``METRIC_ratio`` (``direction: min``). ``Equal
Selection Parity`` is a count of selections, not a rate: it is listed under
``ignored``, not judged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..documents import Document
from ..importers.interface import as_number, metric_key, prune
from .findings import EvidenceError, Findings

COUNTS = frozenset({"Equal Selection Parity"})


def metric_name(label: str) -> str:
    """``"True Positive Rate"`` -> ``true_positive_rate`` (the importers' metric keys)."""
    return metric_key(label)


def read(document: Document, source: str, name: str | None) -> Findings:
    data = document.data
    if not isinstance(data, Mapping) or not isinstance(data.get("results"), list):
        raise EvidenceError(
            "not an AI Verify fairness metrics toolbox output: expected results and"
            " sensitive_feature",
            document.location(),
        )
    features = data.get("sensitive_feature")
    if not isinstance(features, list) or not features:
        raise EvidenceError("AI Verify output names no sensitive_feature", document.location())
    attribute = ",".join(str(f) for f in features)
    found = data.get("output_classes")
    classes: list[Any] = found if isinstance(found, list) else []
    entries: list[dict[str, Any]] = []
    ignored: list[str] = []
    for index, result in enumerate(data["results"]):
        if not isinstance(result, Mapping):
            raise EvidenceError(
                "an AI Verify result is an object", document.location(("results", index))
            )
        output_class = classes[index] if index < len(classes) else index
        for label, groups in result.items():
            path = ("results", index, label)
            if str(label) in COUNTS:
                ignored.append(f"{label} (output class {output_class}): a count, not a rate")
                continue
            values = _group_values(groups, document, path)
            pairs = [g for g in values if len(g[0]) == 2]
            if pairs:
                for (first, second), value in pairs:
                    entries.append(
                        _entry(
                            attribute,
                            f"{metric_name(str(label))}_ratio",
                            value,
                            "min",
                            output_class,
                            {f"{first}/{second}": value},
                            source,
                            name,
                        )
                    )
                continue
            by_group = {str(g[0]): v for g, v in values}
            if len(by_group) < 2:
                ignored.append(f"{label} (output class {output_class}): fewer than two groups")
                continue
            gap = max(by_group.values()) - min(by_group.values())
            entries.append(
                _entry(
                    attribute,
                    f"{metric_name(str(label))}_difference",
                    gap,
                    "max",
                    output_class,
                    by_group,
                    source,
                    name,
                )
            )
    return Findings(
        protected_attributes=(attribute,), fairness=tuple(entries), ignored=tuple(ignored)
    )


def _group_values(
    groups: Any, document: Document, path: tuple[Any, ...]
) -> list[tuple[tuple[Any, ...], float]]:
    if not isinstance(groups, list):
        raise EvidenceError(
            "an AI Verify metric is a list of {group, metric}", document.location(path)
        )
    values = []
    for index, entry in enumerate(groups):
        group = entry.get("group") if isinstance(entry, Mapping) else None
        value = as_number(entry.get("metric")) if isinstance(entry, Mapping) else None
        if not isinstance(group, list) or value is None:
            raise EvidenceError(
                "an AI Verify metric entry needs a group list and a numeric metric",
                document.location((*path, index)),
                json_path=(*path, index),
            )
        values.append((tuple(group), float(value)))
    return values


def _entry(
    attribute: str,
    metric: str,
    value: float,
    direction: str,
    output_class: Any,
    groups: dict[str, float],
    source: str,
    name: str | None,
) -> dict[str, Any]:
    return prune(
        {
            "attribute": attribute,
            "metric": metric,
            "value": value,
            "direction": direction,
            "output_class": str(output_class),
            "groups": groups,
            "source": source,
            "evidence": name,
        }
    )
