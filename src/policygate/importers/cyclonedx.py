"""CycloneDX ML-BOM (spec 1.5 to 1.7): one record per model component with a ``modelCard``.

Components of type ``machine-learning-model`` are searched at any depth.
Metric values are strings in CycloneDX (``"0.91"``); they become numbers.
Dataset references (``{"ref": ...}``) are resolved to the BOM's ``data``
components. A component property named ``policygate:PATH`` (e.g.
``policygate:spec.risk_tier`` = ``high``) sets that field of the record. See
docs/importers.md for the mapping table.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..errors import Location
from ..validation import short_value
from .interface import (
    SOURCE_LABEL,
    Importer,
    ImporterError,
    content_version,
    label_value,
    load_mapping,
    merge_overlay,
    metrics_by_slice,
    new_record,
    normalize_timestamp,
    overlay_path,
    prune,
    set_labels,
    yaml_value,
)

MODEL_TYPE = "machine-learning-model"
OVERLAY_PREFIX = "policygate:"


class CycloneDXImporter(Importer):
    format = "cyclonedx"
    title = "CycloneDX ML-BOM (components[].modelCard, spec 1.5-1.7)"

    def read(self, location: str) -> list[dict[str, Any]]:
        bom = load_mapping(location, "CycloneDX BOM")
        return records_from_bom(bom, location)


def records_from_bom(bom: dict[str, Any], source: str) -> list[dict[str, Any]]:
    """Every model component of ``bom`` that has a model card, as a record."""
    if bom.get("bomFormat") != "CycloneDX":
        raise ImporterError(
            f"not a CycloneDX BOM (bomFormat is {short_value(bom.get('bomFormat'))})",
            Location(source),
        )
    components = list(_components(bom.get("components")))
    models = [c for c in components if c.get("type") == MODEL_TYPE]
    with_card = [c for c in models if isinstance(c.get("modelCard"), dict)]
    if not with_card:
        found = (
            f"{len(models)} machine-learning-model component(s), none with a modelCard"
            if models
            else f"{len(components)} component(s), none of type {MODEL_TYPE}"
        )
        raise ImporterError(f"the BOM holds no model card: {found}", Location(source))
    by_ref = {c["bom-ref"]: c for c in components if isinstance(c.get("bom-ref"), str)}
    return [_record(bom, component, by_ref, source) for component in with_card]


def _components(value: Any) -> Iterator[dict[str, Any]]:
    for component in value if isinstance(value, list) else []:
        if isinstance(component, dict):
            yield component
            yield from _components(component.get("components"))


def _record(
    bom: dict[str, Any], component: dict[str, Any], by_ref: dict[str, Any], source: str
) -> dict[str, Any]:
    card: dict[str, Any] = component["modelCard"]
    parameters = _dict(card.get("modelParameters"))
    considerations = _dict(card.get("considerations"))
    analysis = _dict(card.get("quantitativeAnalysis"))
    meta = _dict(bom.get("metadata"))

    version = component.get("version")
    record = new_record(
        str(component.get("name") or component.get("bom-ref") or "model"),
        str(version) if version not in (None, "") else content_version(component),
    )
    headline, evaluations = metrics_by_slice(
        {
            "type": m.get("type"),
            "value": m.get("value"),
            "slice": m.get("slice"),
            "lower": _dict(m.get("confidenceInterval")).get("lowerBound"),
            "upper": _dict(m.get("confidenceInterval")).get("upperBound"),
        }
        for m in _dicts(analysis.get("performanceMetrics"))
    )
    anchor = component.get("bom-ref") or component.get("name")
    record["metadata"].update(
        prune(
            {
                "owner": _owner(component, meta),
                "created_at": normalize_timestamp(meta.get("timestamp")),
            }
        )
    )
    record["spec"] = prune(
        {
            "task": _str(parameters.get("task")),
            "intended_use": " ".join(_strs(considerations.get("useCases"))),
            "lineage": {
                "training_data": [_dataset(d, by_ref) for d in _dicts(parameters.get("datasets"))],
            },
            "documentation": {"model_card": f"{source}#{anchor}" if anchor else source},
            "metrics": headline,
            "evaluations": evaluations,
            "fairness": {
                "assessments": [
                    {
                        "group_at_risk": a.get("groupAtRisk"),
                        "benefits": a.get("benefits"),
                        "harms": a.get("harms"),
                        "mitigation_strategy": a.get("mitigationStrategy"),
                    }
                    for a in _dicts(considerations.get("fairnessAssessments"))
                ]
            },
        }
    )
    properties = [p for p in _dicts(component.get("properties")) if isinstance(p.get("name"), str)]
    set_labels(
        record,
        {
            SOURCE_LABEL: "cyclonedx",
            "license": _licenses(component.get("licenses")),
            "group": component.get("group"),
            "publisher": component.get("publisher"),
            "supplier": _dict(component.get("supplier")).get("name"),
            "purl": component.get("purl"),
            "approach": _dict(parameters.get("approach")).get("type"),
            "architecture_family": parameters.get("architectureFamily"),
            "tags": component.get("tags"),
            **{
                p["name"]: p.get("value")
                for p in properties
                if not p["name"].startswith(OVERLAY_PREFIX)
            },
        },
    )
    record["spec"]["extra"] = {
        "cyclonedx": {
            "bom": {k: v for k, v in bom.items() if k != "components"},
            "component": component,
        }
    }
    overlay: dict[str, Any] = {}
    for prop in properties:
        if prop["name"].startswith(OVERLAY_PREFIX):
            path = prop["name"][len(OVERLAY_PREFIX) :]
            parts = path.split(".")
            if len(parts) < 2 or parts[0] not in ("metadata", "spec") or not all(parts):
                raise ImporterError(
                    f"property {short_value(prop['name'], 80)}: expected policygate:metadata.X or "
                    "policygate:spec.X",
                    Location(source),
                )
            overlay_path(overlay, parts, yaml_value(str(prop.get("value", "")), prop["name"]))
    if overlay:
        merge_overlay(record, overlay, source)
    return record


def _owner(component: dict[str, Any], meta: dict[str, Any]) -> str | None:
    """The maker first, then the publisher, group and supplier; then the BOM's own."""
    authors = _dicts(component.get("authors"))
    for candidate in (
        _dict(component.get("manufacturer")).get("name"),
        component.get("publisher"),
        authors[0].get("name") if authors else None,
        component.get("group"),
        _dict(component.get("supplier")).get("name"),
        _dict(meta.get("manufacturer")).get("name"),
        _dict(meta.get("supplier")).get("name"),
    ):
        if isinstance(candidate, str) and candidate:
            return candidate
    return None


def _dataset(entry: dict[str, Any], by_ref: dict[str, Any]) -> dict[str, Any]:
    """An inline dataset, or the ``data`` component a ``{"ref": ...}`` points at."""
    ref = entry.get("ref")
    if isinstance(ref, str):
        target = by_ref.get(ref)
        if target is None:
            return {"name": ref, "ref": ref, "unresolved": True}
        data = _dicts(target.get("data"))
        first = data[0] if data else {}
        return prune(
            {
                "name": _str(target.get("name")) or ref,
                "version": _str(target.get("version")),
                "license": _licenses(target.get("licenses")),
                "classification": _str(first.get("classification")),
                "url": _str(_dict(first.get("contents")).get("url")),
                "ref": ref,
            }
        )
    return prune(
        {
            "name": _str(entry.get("name")) or "dataset",
            "version": _str(entry.get("version")),
            "classification": _str(entry.get("classification")),
            "url": _str(_dict(entry.get("contents")).get("url")),
        }
    )


def _licenses(value: Any) -> str | None:
    names = []
    for entry in _dicts(value):
        lic = _dict(entry.get("license"))
        name = lic.get("id") or lic.get("name") or entry.get("expression")
        if name:
            names.append(str(name))
    return label_value(names) or None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _strs(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    return str(value) if isinstance(value, (str, int, float)) and value != "" else None


IMPORTER = CycloneDXImporter()
