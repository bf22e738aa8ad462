"""CycloneDX ML-BOM (spec 1.5 to 1.7): one record per ``machine-learning-model`` component.

The BOM's subject (``metadata.component``) comes first when it is a model;
components are searched at any depth; a model card is not required (the
official Python library writes none). ``hashes`` give the artifact digest;
``dependencies`` give datasets (``data`` components) and base models.
Metric values are strings in CycloneDX (``"0.91"``); they become numbers.
Dataset references (``{"ref": ...}``) are resolved to the BOM's ``data``
components. A component property named ``policygate:PATH`` (e.g.
``policygate:spec.risk_tier`` = ``high``) sets that field of the record. See
docs/importers.md for the mapping table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ..errors import Location
from ..validation import short_value
from .interface import (
    SOURCE_LABEL,
    Importer,
    ImporterError,
    content_version,
    count_nodes,
    label_value,
    load_mapping,
    merge_source_overlay,
    metrics_by_slice,
    new_record,
    normalize_timestamp,
    overlay_path,
    overlay_value,
    prune,
    set_labels,
)

MODEL_TYPE = "machine-learning-model"
OVERLAY_PREFIX = "policygate:"


class CycloneDXImporter(Importer):
    format = "cyclonedx"
    title = "CycloneDX ML-BOM (machine-learning-model components, spec 1.5-1.7)"

    def read(self, location: str) -> list[dict[str, Any]]:
        bom = load_mapping(location, "CycloneDX BOM")
        return records_from_bom(bom, location)


def records_from_bom(bom: dict[str, Any], source: str) -> list[dict[str, Any]]:
    """Every ``machine-learning-model`` component of ``bom`` as a record, the BOM's subject first.

    The subject (``metadata.component``) is the model the BOM is about when it
    is of that type; a model listed both there and in ``components`` (the same
    ``bom-ref``) gives one record. A model card is not required.
    """
    if bom.get("bomFormat") != "CycloneDX":
        raise ImporterError(
            f"not a CycloneDX BOM (bomFormat is {short_value(bom.get('bomFormat'))})",
            Location(source),
        )
    components = list(_components(bom.get("components")))
    subject = _dict(_dict(bom.get("metadata")).get("component"))
    models: list[dict[str, Any]] = []
    seen: set[str] = set()
    for component in [subject, *components]:
        if component.get("type") != MODEL_TYPE:
            continue
        ref = component.get("bom-ref")
        if isinstance(ref, str):
            if ref in seen:
                continue
            seen.add(ref)
        models.append(component)
    if not models:
        kinds = sorted({str(c.get("type")) for c in components})
        found = f"{len(components)} component(s) ({', '.join(kinds) or 'none'})"
        if subject:
            kind = short_value(subject.get("type"))
            found += f"; the subject (metadata.component) is of type {kind}"
        raise ImporterError(
            f"the BOM holds no model: {found}, none of type {MODEL_TYPE}", Location(source)
        )
    by_ref = {
        c["bom-ref"]: c for c in [*components, subject] if isinstance(c.get("bom-ref"), str)
    }
    depends: dict[str, list[str]] = {}
    for entry in _dicts(bom.get("dependencies")):
        if isinstance(entry.get("ref"), str):
            depends[entry["ref"]] = [r for r in _strs(entry.get("dependsOn")) if r != entry["ref"]]
    lone = len(models) == 1
    headers = _headers(bom, models)
    return [
        _record(bom, component, by_ref, depends, source, lone=lone, header=headers(component))
        for component in models
    ]


HEADER_NODES = 100_000
"""The nodes of the BOM's header that the records of one BOM carry in all (one file's limit).

Each record keeps the header under ``spec.extra.cyclonedx.bom``; a BOM of 5,000
models and 20,000 dependencies made 5,000 copies of them (``import`` wrote for
minutes, ``check`` hashed them for 19 s). Past this many, each record keeps the
header's identity and its own ``dependencies`` entries, and names what it left out."""

_HEADER_IDENTITY = ("bomFormat", "specVersion", "serialNumber", "version")


def _headers(
    bom: dict[str, Any], models: list[dict[str, Any]]
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The header each model's record keeps: the whole header, or within :data:`HEADER_NODES`."""
    header = {k: v for k, v in bom.items() if k != "components"}
    if count_nodes(header, HEADER_NODES // max(len(models), 1)) * len(models) <= HEADER_NODES:
        return lambda component: header
    own: dict[str, list[dict[str, Any]]] = {}
    for entry in _dicts(bom.get("dependencies")):
        if isinstance(entry.get("ref"), str):
            own.setdefault(entry["ref"], []).append(entry)
    left_out = sorted(str(k) for k in header if k not in _HEADER_IDENTITY)

    def trimmed(component: dict[str, Any]) -> dict[str, Any]:
        ref = component.get("bom-ref")
        return {
            **{k: header[k] for k in _HEADER_IDENTITY if k in header},
            "dependencies": own.get(ref, []) if isinstance(ref, str) else [],
            "left_out": left_out,
        }

    return trimmed


def _components(value: Any) -> Iterator[dict[str, Any]]:
    for component in value if isinstance(value, list) else []:
        if isinstance(component, dict):
            yield component
            yield from _components(component.get("components"))


def _record(
    bom: dict[str, Any],
    component: dict[str, Any],
    by_ref: dict[str, Any],
    depends: dict[str, list[str]],
    source: str,
    *,
    lone: bool,
    header: dict[str, Any],
) -> dict[str, Any]:
    card = _dict(component.get("modelCard"))
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
            "lineage": _lineage(component, parameters, by_ref, depends, lone=lone),
            "artifact": _artifact(component.get("hashes")),
            # a component without a modelCard is an inventory entry, no model card
            "documentation": {
                "model_card": (f"{source}#{anchor}" if anchor else source) if card else None
            },
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
        },
        {
            p["name"]: p.get("value")
            for p in properties
            if not p["name"].startswith(OVERLAY_PREFIX)
        },
    )
    record["spec"]["extra"] = {
        "cyclonedx": {
            "bom": header,
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
            value = overlay_value(str(prop.get("value", "")), source, f"property {prop['name']}")
            overlay_path(overlay, parts, value)
    if overlay:
        merge_source_overlay(record, overlay, source)
    return record


def _lineage(
    component: dict[str, Any],
    parameters: dict[str, Any],
    by_ref: dict[str, Any],
    depends: dict[str, list[str]],
    *,
    lone: bool,
) -> dict[str, Any]:
    """Datasets and base models: the model card's datasets, then what ``dependencies`` say.

    A ``dependsOn`` that is a ``data`` component is a dataset; one that is a
    ``machine-learning-model`` a base model (the parent when there is one).
    When the BOM relates nothing to its only model, its ``data`` components
    are that model's datasets.
    """
    datasets = [_dataset(d, by_ref) for d in _dicts(parameters.get("datasets"))]
    named = {d.get("ref") for d in datasets}
    bases: list[str] = []
    ref = component.get("bom-ref")
    related = depends.get(ref, []) if isinstance(ref, str) else []
    for target_ref in related:
        target = _dict(by_ref.get(target_ref))
        if target.get("type") == "data" and target_ref not in named:
            datasets.append(_dataset({"ref": target_ref}, by_ref))
            named.add(target_ref)
        elif target.get("type") == MODEL_TYPE:
            bases.append(_identity(target) or target_ref)
    if lone and not datasets and not related:
        for target_ref, target in by_ref.items():
            if target.get("type") == "data":
                datasets.append(_dataset({"ref": target_ref}, by_ref))
    return {
        "training_data": datasets,
        "parent": bases[0] if len(bases) == 1 else None,
        "base_models": bases if len(bases) > 1 else None,
    }


def _identity(component: dict[str, Any]) -> str | None:
    name, version = _str(component.get("name")), _str(component.get("version"))
    if name is None:
        return None
    return f"{name}@{version}" if version else name


# Strongest first: the digest a record names its artifact by.
_HASH_HEX = {
    "SHA-512": 128, "SHA3-512": 128, "BLAKE2B-512": 128,
    "SHA-384": 96, "SHA3-384": 96, "BLAKE2B-384": 96,
    "SHA-256": 64, "SHA3-256": 64, "BLAKE2B-256": 64, "BLAKE3": 64,
}  # fmt: skip
"""The algorithms a digest may name, strongest first, with their length in hex digits.
MD5 and SHA-1 (collisions can be made) and a content that is not the algorithm's length
of hex digits (the CycloneDX schema's own pattern) name no digest; they stay in hashes."""
_HASH_ORDER = tuple(_HASH_HEX)
_HEX = frozenset("0123456789abcdef")


def _artifact(hashes: Any) -> dict[str, Any] | None:
    """``{digest: "sha256:…", hashes: {SHA-256: …}}`` from a component's ``hashes``."""
    found = {
        str(h["alg"]).upper(): str(h["content"]).lower()
        for h in _dicts(hashes)
        if isinstance(h.get("alg"), str) and isinstance(h.get("content"), str) and h["content"]
    }
    if not found:
        return None
    best = next(
        (
            alg
            for alg in _HASH_ORDER
            if alg in found and len(found[alg]) == _HASH_HEX[alg] and set(found[alg]) <= _HEX
        ),
        None,
    )
    digest = f"{best.lower().replace('-', '')}:{found[best]}" if best else None
    return prune({"digest": digest, "hashes": found})


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
