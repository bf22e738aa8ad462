"""Google Model Card Toolkit JSON (schema v0.0.1 and v0.0.2).

Metric values are strings in the toolkit's schema (``"0.9781"``); they become
numbers, and per-slice metrics (``cat``, ``Dog``) become evaluations. Owners,
version and date, data, sensitive attributes and use cases map onto the
canonical fields; a top-level ``policygate`` mapping sets governance fields
the toolkit has no place for. See docs/importers.md for the mapping table.
"""

from __future__ import annotations

from typing import Any

from ..errors import Location
from .interface import (
    SOURCE_LABEL,
    Importer,
    ImporterError,
    content_version,
    load_mapping,
    merge_source_overlay,
    metrics_by_slice,
    new_record,
    normalize_timestamp,
    prune,
    set_labels,
)


class ModelCardToolkitImporter(Importer):
    format = "mct"
    title = "Google Model Card Toolkit JSON (schema v0.0.1/v0.0.2)"

    def read(self, location: str) -> list[dict[str, Any]]:
        card = load_mapping(location, "Model Card Toolkit card")
        return [record_from_card(card, location)]


def record_from_card(card: dict[str, Any], source: str) -> dict[str, Any]:
    details = card.get("model_details")
    if not isinstance(details, dict):
        raise ImporterError(
            "not a Model Card Toolkit card: it has no model_details object", Location(source)
        )
    parameters = _dict(card.get("model_parameters"))
    considerations = _dict(card.get("considerations"))
    analysis = _dict(card.get("quantitative_analysis"))
    version = _dict(details.get("version"))
    owners = _dicts(details.get("owners"))
    data = _dicts(parameters.get("data"))

    card_without_overlay = {k: v for k, v in card.items() if k != "policygate"}
    record = new_record(
        str(details.get("name") or "model"),
        str(version["name"])
        if version.get("name") not in (None, "")
        else content_version(card_without_overlay),
    )
    headline, evaluations = metrics_by_slice(
        {
            "type": m.get("type"),
            "value": m.get("value"),
            "slice": m.get("slice"),
            "threshold": m.get("threshold"),
            "lower": _dict(m.get("confidence_interval")).get("lower_bound"),
            "upper": _dict(m.get("confidence_interval")).get("upper_bound"),
        }
        for m in _dicts(analysis.get("performance_metrics"))
    )
    sensitive = [
        attribute
        for entry in data
        for attribute in _list(_dict(entry.get("sensitive")).get("sensitive_data"))
        if isinstance(attribute, str)
    ]
    record["metadata"].update(
        prune(
            {
                "owner": owners[0].get("name") if owners else None,
                "created_at": normalize_timestamp(version.get("date")),
            }
        )
    )
    record["spec"] = prune(
        {
            "intended_use": " ".join(_descriptions(considerations.get("use_cases"))),
            "lineage": {
                "training_data": [
                    prune({"name": str(d.get("name") or f"data-{i}"), "url": d.get("link")})
                    for i, d in enumerate(data)
                ]
            },
            "documentation": prune({"model_card": source}),
            "metrics": headline,
            "evaluations": evaluations,
            "fairness": {"protected_attributes": list(dict.fromkeys(sensitive))},
        }
    )
    set_labels(
        record,
        {
            SOURCE_LABEL: "mct",
            "license": [
                lic.get("identifier") or lic.get("custom_text")
                for lic in _dicts(details.get("licenses"))
            ]
            or None,
            "owners": [
                f"{o.get('name')} <{o['contact']}>" if o.get("contact") else o.get("name")
                for o in owners
            ]
            or None,
            "architecture": parameters.get("model_architecture"),
            "schema_version": card.get("schema_version"),
        },
    )
    record["spec"]["extra"] = {"mct": card_without_overlay}
    overlay = card.get("policygate")
    if overlay is not None:
        if not isinstance(overlay, dict):
            raise ImporterError("key 'policygate' must be a mapping", Location(source))
        merge_source_overlay(record, overlay, source)
    return record


def _descriptions(value: Any) -> list[str]:
    texts = []
    for entry in value if isinstance(value, list) else []:
        text = entry.get("description") if isinstance(entry, dict) else entry
        if isinstance(text, str) and text.strip():
            texts.append(text.strip())
    return texts


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


IMPORTER = ModelCardToolkitImporter()
