"""One interface for every importer: a source in, canonical ModelRecord data out.

An importer turns metadata where a team already keeps it (a Hugging Face model
card, an MLflow model version, a CycloneDX ML-BOM, a Model Card Toolkit JSON)
into the canonical layout of SPEC §2.1. The rules every importer keeps:

- **Nothing is dropped.** What maps onto a canonical field goes there; flat
  facts that classify the model (licence, language, registry tags) go to
  ``metadata.labels`` as strings; everything else of the source stays under
  ``spec.extra.<format>`` as the source wrote it.
- **Numbers are numbers.** A metric written as ``"0.91"`` is the number 0.91,
  so ``>=`` against a threshold means what it says. A value that is not a
  number (placeholder text) stays out of ``metrics`` and is kept in ``extra``.
- **Governance fields the source cannot hold** (risk tier, target stage,
  approvals...) come from an *overlay*: a ``policygate`` mapping that the
  source carries (front matter key, tags, properties) or ``--set PATH=VALUE``.
- **Errors name the source**: an :class:`ImporterError` is a load error, so
  ``check`` exits 2 and ``audit`` reports the model as ``error``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import re
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from ..documents import load_file, load_text
from ..errors import LoadError, Location, UsageError
from ..timestamps import format_timestamp, parse_timestamp
from ..validation import short_value

API_VERSION = "policygate/v1"
SOURCE_LABEL = "policygate/source"  # metadata.labels key naming the format a record came from


class ImporterError(LoadError):
    """A source could not be read or holds no model (broken card, BOM without a model card...)."""

    code = "import-failed"


class Importer(ABC):
    """Reads one kind of source; ``location`` is what follows ``FORMAT:`` in a source."""

    format: ClassVar[str]  # the prefix: "hf", "mlflow", ...
    title: ClassVar[str]  # for help texts and docs

    @abstractmethod
    def read(self, location: str) -> list[dict[str, Any]]:
        """Every model the source holds, as canonical ModelRecord data (plain JSON values).

        Raises :class:`ImporterError` naming ``location`` when the source cannot
        be read or holds no model.
        """

    def source_of(self, record: dict[str, Any], location: str) -> str:
        """The source a record is reported under (a registry pins the version it read)."""
        return f"{self.format}:{location}"


# --------------------------------------------------------------------------- values


# Each digit run is followed by something it cannot match, so these never
# backtrack more than once per character: ``\d+\.?\d*`` (two digit runs
# side by side when the dot is absent) took ten seconds on 20,000 digits and an
# ``x``, quadratic in the length (issue 14).
# ASCII digits only: float("٠.٩١") is 0.91 in Python, and no source writes that.
_INT = re.compile(r"[+-]?\d+", re.ASCII)
_FLOAT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def as_number(value: Any) -> int | float | None:
    """``value`` as a JSON number, or ``None`` when it is not one.

    Sources write metrics as numbers or as strings (CycloneDX and Model Card
    Toolkit always use strings): ``0.91``, ``"0.91"``, ``" 1e-3 "``, ``"42"``
    all become numbers. Booleans, NaN, infinities, ``"91%"`` and text are not
    numbers, nor is an integer too long for Python to read (over 4,300 digits).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip()
        try:
            if _INT.fullmatch(text):
                return int(text)
            if _FLOAT.fullmatch(text):
                number = float(text)
                return number if math.isfinite(number) else None
        except ValueError:  # more digits than int() reads (sys.get_int_max_str_digits)
            return None
    return None


def metric_key(text: str) -> str:
    """A metric name as a CEL-friendly key: ``"ROUGE-1"`` -> ``rouge_1``."""
    key = re.sub(r"[^0-9a-z]+", "_", text.strip().lower()).strip("_")
    return key or "metric"


def unique_metric_keys(metrics: Iterable[tuple[str, str | None]]) -> list[str]:
    """One key per ``(type, name)``: the type when it is unique, else the name, else numbered.

    A Hugging Face result reports ``rouge`` four times (ROUGE-1, ROUGE-2,
    ROUGE-L, ROUGE-LSUM) and ``precision`` three times (macro, micro, weighted);
    each gets a key of its own so none overwrites another. Linear in the
    number of metrics (a card may list 20,000).
    """
    pairs = list(metrics)
    types = [metric_key(t) for t, _ in pairs]
    counts = Counter(types)
    keys = [
        metric_key(name) if counts[key] > 1 and name else key
        for (_, name), key in zip(pairs, types, strict=True)
    ]
    return numbered(keys)


def numbered(keys: list[str]) -> list[str]:
    """``keys`` made unique: each key given more than once is numbered ``key_1``, ``key_2``...

    A number is never one that another key already is (``accuracy`` twice beside an
    ``accuracy_1`` gives ``accuracy_2`` and ``accuracy_3``), so no metric
    overwrites another.
    """
    counts = Counter(keys)
    taken = set(counts)
    seen: dict[str, int] = {}
    result = []
    for key in keys:
        if counts[key] > 1:
            while True:
                seen[key] = seen.get(key, 0) + 1
                candidate = f"{key}_{seen[key]}"
                if candidate not in taken:
                    break
            taken.add(candidate)
            key = candidate
        result.append(key)
    return result


def keyed_metrics(named: Iterable[tuple[str, int | float]]) -> dict[str, int | float]:
    """Metrics by :func:`metric_key` of their names, in order.

    Names that give one key (``AUC`` and ``auc``, ``val/auc`` and ``val_auc``)
    are one metric when their values agree; when they differ, each is numbered
    (``auc_1``, ``auc_2``) and there is no ``auc``: which one the gate judged
    would otherwise depend on the order the source listed them in.
    """
    values: dict[str, list[int | float]] = {}
    for name, value in named:
        values.setdefault(metric_key(name), []).append(value)
    kept: list[tuple[str, int | float]] = []
    for key, given in values.items():
        kept += [(key, given[0])] if len(set(given)) == 1 else [(key, v) for v in given]
    keys = numbered([k for k, _ in kept])
    return {key: value for key, (_, value) in zip(keys, kept, strict=True)}


def label_value(value: Any) -> str | None:
    """A label as a string: lists are joined with ``", "``; mappings and ``None`` give ``None``."""
    if value is None or isinstance(value, Mapping):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        parts = [label_value(v) for v in value]
        return ", ".join(p for p in parts if p is not None)
    return str(value)


_DATE_FORMATS = (
    ("%Y-%m-%d", re.compile(r"\d{4}-\d{1,2}-\d{1,2}", re.ASCII)),
    ("%Y/%m/%d", re.compile(r"\d{4}/\d{1,2}/\d{1,2}", re.ASCII)),
    ("%m/%d/%Y", re.compile(r"\d{1,2}/\d{1,2}/\d{4}", re.ASCII)),
)


def normalize_timestamp(value: Any) -> str | None:
    """An RFC 3339 timestamp (UTC) from what sources write, or ``None`` if unsure.

    Accepts RFC 3339, epoch milliseconds (MLflow), ``2023-08-11 08:40:16.227``
    without an offset (MLflow writes UTC), and dates ``2020-01-01``,
    ``2020/02/02`` and ``08/28/2020``. A slashed date whose day and month could
    be swapped (``02/03/2020``) is ambiguous and gives ``None``.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            if not (math.isfinite(value) and value > 0):
                return None
            moment = _dt.datetime.fromtimestamp(value / 1000, _dt.UTC)
        except (OverflowError, OSError, ValueError):  # past year 9999, or past time_t
            return None
        return format_timestamp(moment)
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        return format_timestamp(parse_timestamp(text))
    except ValueError:
        pass
    try:
        naive = _dt.datetime.fromisoformat(text)
    except ValueError:
        naive = None
    if naive is not None and naive.tzinfo is None and ("T" in text or " " in text):
        return format_timestamp(naive.replace(tzinfo=_dt.UTC))
    for fmt, pattern in _DATE_FORMATS:
        if pattern.fullmatch(text):
            first, second = (int(p) for p in re.split(r"[/-]", text)[:2])
            if fmt == "%m/%d/%Y" and first <= 12 and second <= 12 and first != second:
                return None
            try:
                day = _dt.datetime.strptime(text, fmt)
            except ValueError:
                return None
            return format_timestamp(day.replace(tzinfo=_dt.UTC))
    return None


# --------------------------------------------------------------------------- records


def new_record(name: str, version: str) -> dict[str, Any]:
    """The skeleton every importer fills in."""
    return {
        "apiVersion": API_VERSION,
        "kind": "ModelRecord",
        "metadata": {"name": name, "version": version},
        "spec": {},
    }


def set_labels(
    record: dict[str, Any], labels: Mapping[str, Any], free: Mapping[str, Any] | None = None
) -> None:
    """Add ``labels`` (as strings, ``None`` skipped) to ``metadata.labels``.

    ``free`` are the labels the source's free-form fields give (registry tags,
    custom properties, a BOM's properties): each is added unless its key is
    one the importer derives (any key of ``labels``, given a value or not), so
    a tag ``approval_status: Approved`` never stands in for the registry's
    own status. The tag stays in ``spec.extra`` as written.
    """
    target = record["metadata"].setdefault("labels", {})
    reserved = {str(key) for key in labels} | set(target)
    for key, value in labels.items():
        text = label_value(value)
        if text is not None:
            target[str(key)] = text
    for key, value in (free or {}).items():
        text = label_value(value)
        if text is not None and str(key) not in reserved:
            target[str(key)] = text


def prune(value: Any) -> Any:
    """Drop ``None``, empty strings and empty containers from canonical fields an importer built.

    Only for what the importer assembled: data kept verbatim under ``extra``
    is not pruned.
    """
    if isinstance(value, dict):
        pruned = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        items = [prune(v) for v in value]
        return [v for v in items if v not in (None, "", [], {})]
    return value


def merge_overlay(record: dict[str, Any], overlay: Mapping[str, Any], origin: str) -> None:
    """Deep-merge ``overlay`` into ``record``: mappings merge, anything else replaces.

    The overlay may only touch ``metadata`` and ``spec`` (not ``apiVersion`` or
    ``kind``); ``origin`` names where it came from for the error message.
    """
    for key in overlay:
        if key not in ("metadata", "spec"):
            raise ImporterError(
                f"{origin}: overlay key {short_value(key, 80)} is not allowed"
                " (only metadata and spec)",
                Location(origin),
            )
    _merge(record, overlay)


SOURCE_OVERLAY_REFUSED = ("name", "version")
"""``metadata`` fields a source's own overlay may not set: the record's identity."""


def merge_source_overlay(
    record: dict[str, Any], overlay: Mapping[str, Any], origin: str, *, fill_only: bool = True
) -> None:
    """Merge the overlay a source carries (card key, tags, custom properties) into its record.

    The source is written by the team it describes, next to what the registry
    or the card's place says, so its overlay fills governance fields but never

    - changes a value the importer read from the source (``fill_only``): a custom
      property ``policygate:spec.metrics.auc`` over the digest-checked statistics
      file's AUC, ``policygate:metadata.created_by`` over the registry's creator
      (whom the approver-independence rule judges), a label over the registry's
      status. It fills what is missing; a value equal to the source's is no change.
      MLflow passes ``fill_only=False``: its ``policygate.*`` tags are the gate's
      to write (docs/registry-gate.md), and the gate's ``created_by`` replaces the
      user a client wrote into its run;

    - the identity, ``metadata.name`` and ``metadata.version``: the registry's
      (or the card's path), and what waivers and attestations are matched by;
    - the approvals the registry gave: overlay approvals are added after them,
      so a rejection stays (a ``policygate:spec.approvals`` of ``[]`` lifted a
      rejected SageMaker package's rejection);
    - ``metadata`` or ``spec`` as a whole (a value that is no mapping would
      replace every field the importer derived).

    ``import --set`` is the operator's and goes through :func:`merge_overlay`.
    """
    for part in ("metadata", "spec"):
        if part in overlay and not isinstance(overlay[part], Mapping):
            raise ImporterError(
                f"the source's policygate overlay gives {part} as"
                f" {type(overlay[part]).__name__}, not a mapping of fields",
                Location(origin),
            )
    metadata = overlay.get("metadata") or {}
    for name in SOURCE_OVERLAY_REFUSED:
        if name in metadata:
            raise ImporterError(
                f"the source's policygate overlay may not set metadata.{name}"
                " (a record's identity is what its registry or location gives; waivers and"
                " attestations are matched by it)",
                Location(origin),
            )
    spec = overlay.get("spec") or {}
    given = record.get("spec", {}).get("approvals")
    if "approvals" in spec and given:
        added = spec["approvals"]
        if not isinstance(added, list):
            raise ImporterError(
                f"the source's policygate overlay gives spec.approvals as"
                f" {type(added).__name__}; approvals are a list, added to the"
                f" {len(given)} the registry gives",
                Location(origin),
            )
        overlay = {**overlay, "spec": {**spec, "approvals": [*given, *added]}}
    if fill_only:
        for part in ("metadata", "spec"):
            if part not in overlay:
                continue
            conflict = _changed(record.get(part), overlay[part], (part,), ("spec", "approvals"))
            if conflict is not None:
                path, current, value = conflict
                raise ImporterError(
                    f"the source's policygate overlay gives {'.'.join(path)}"
                    f" {short_value(value, 80)}, but the source says {short_value(current, 80)}:"
                    " an overlay fills what the source cannot say, never changes what it says",
                    Location(origin),
                )
    merge_overlay(record, overlay, origin)


def _changed(
    current: Any, value: Any, path: tuple[str, ...], appended: tuple[str, ...]
) -> tuple[tuple[str, ...], Any, Any] | None:
    """The first place where merging ``value`` would change a non-empty ``current``."""
    if path == appended:
        return None
    if isinstance(value, Mapping) and isinstance(current, dict):
        for key, item in value.items():
            found = _changed(current.get(str(key)), item, (*path, str(key)), appended)
            if found is not None:
                return found
        return None
    if current in (None, "", [], {}) or _plain(value) == current:
        return None
    return path, current, value


def _merge(target: dict[str, Any], overlay: Mapping[str, Any]) -> None:
    for key, value in overlay.items():
        current = target.get(key)
        if isinstance(value, Mapping) and isinstance(current, dict):
            _merge(current, value)
        else:
            target[key] = _plain(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def overlay_from_assignments(assignments: Iterable[str], option: str = "--set") -> dict[str, Any]:
    """``metadata.owner=team`` / ``spec.risk_tier=high`` pairs as one overlay mapping.

    The VALUE is read as YAML, like ``--param`` (``0.9``, ``[a, b]``, ``{k: v}``).
    """
    overlay: dict[str, Any] = {}
    for assignment in assignments:
        path, sep, raw = assignment.partition("=")
        parts = path.strip().split(".")
        if not sep or len(parts) < 2 or not all(parts) or parts[0] not in ("metadata", "spec"):
            raise UsageError(
                f"{option} {assignment!r}: expected PATH=VALUE with PATH under metadata. or spec."
                " (e.g. spec.risk_tier=high)"
            )
        if parts[:2] == ["spec", "approvals"]:  # an approval is given, never set
            raise UsageError(
                f"{option} {short_value(path.strip(), 80)}: spec.approvals cannot be set:"
                " approvals come from the source or from policygate approve"
            )
        overlay_path(overlay, parts, yaml_value(raw, f"{option} {path.strip()}"))
    return overlay


def yaml_value(text: str, origin: str) -> Any:
    """A scalar or structure written as YAML (``high``, ``0.9``, ``[a, b]``), safely loaded."""
    where = origin if len(origin) <= 200 else f"{origin[:200]}... ({len(origin)} characters)"
    try:
        documents = load_text(text, origin)
    except LoadError as error:
        message = error.message
        if len(message) > 400:  # the loader may quote the value, which can be 1 MB
            message = f"{message[:400]}... ({len(message)} characters)"
        raise UsageError(f"{where}: value does not parse: {message}") from None
    if len(documents) > 1:
        raise UsageError(f"{where}: value holds several YAML documents")
    return documents[0].data if documents else None


def overlay_value(text: str, source: str, where: str) -> Any:
    """The value of an overlay tag or property (YAML text) of the file at ``source``.

    ``where`` names the field (``tag policygate.spec.risk_tier``, a JSON path):
    a value that does not parse is a load error at the source, naming it.
    """
    try:
        return yaml_value(text, where)
    except UsageError as error:
        raise ImporterError(error.message, Location(source)) from None


def overlay_path(overlay: dict[str, Any], parts: list[str], value: Any) -> None:
    """Set ``value`` at the dotted path ``parts`` inside ``overlay``."""
    node = overlay
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


def load_mapping(location: str, what: str) -> dict[str, Any]:
    """The one JSON/YAML document of the file at ``location``, which must be a mapping.

    Read by the safe loader, so JSON that only a lenient reader takes (trailing
    commas, as in some published BOMs) is read too, and errors carry
    ``path:line:col``.
    """
    documents = load_file(location)
    if len(documents) != 1 or not isinstance(documents[0].data, dict):
        found = (
            "no document"
            if not documents
            else (f"{len(documents)} documents" if len(documents) > 1 else "not a mapping")
        )
        raise ImporterError(
            f"expected one {what} (a JSON object), found {found}", Location(location)
        )
    data: dict[str, Any] = documents[0].data
    return data


def metrics_by_slice(
    entries: Iterable[Mapping[str, Any]],
) -> tuple[dict[str, int | float], list[dict[str, Any]]]:
    """Headline metrics and per-slice evaluations from metric entries.

    Entries are ``{type, value, slice, lower, upper, threshold}``.

    CycloneDX and Model Card Toolkit list performance metrics with an optional
    slice. Unsliced metrics (or the slice ``overall``) are the headline; each
    other slice becomes an evaluation named after it. When every metric is
    sliced, the first slice is the headline too. Values that are not numbers
    are left out (the source keeps them under ``extra``); confidence bounds
    and thresholds go beside the metrics of the evaluation.
    """
    groups: dict[str | None, list[Mapping[str, Any]]] = {}
    for entry in entries:
        slice_name = entry.get("slice")
        key = None if slice_name in (None, "", "overall") else str(slice_name)
        groups.setdefault(key, []).append(entry)
    built: dict[str | None, dict[str, Any]] = {}
    for slice_name, group in groups.items():
        keys = unique_metric_keys((str(e.get("type") or "metric"), None) for e in group)
        metrics: dict[str, int | float] = {}
        intervals: dict[str, dict[str, int | float]] = {}
        thresholds: dict[str, int | float] = {}
        for key, entry in zip(keys, group, strict=True):
            value = as_number(entry.get("value"))
            if value is None:
                continue
            metrics[key] = value
            lower, upper = as_number(entry.get("lower")), as_number(entry.get("upper"))
            if lower is not None and upper is not None:
                intervals[key] = {"lower": lower, "upper": upper}
            threshold = as_number(entry.get("threshold"))
            if threshold is not None:
                thresholds[key] = threshold
        built[slice_name] = prune(
            {
                "dataset": slice_name,
                "slice": slice_name,
                "metrics": metrics,
                "confidence_intervals": intervals,
                "thresholds": thresholds,
            }
        )
    evaluations = [e for name, e in built.items() if name is not None and e.get("metrics")]
    if None in built:
        headline = dict(built[None].get("metrics", {}))
    else:
        headline = dict(evaluations[0]["metrics"]) if evaluations else {}
    return headline, evaluations


def count_nodes(value: Any, limit: int) -> int:
    """The nodes of ``value`` (each mapping, list and scalar), counted to at most ``limit + 1``.

    What importers copy into every record of a source (a BOM's header, a registered
    model's tags and a shared run) is counted with it, so that one file cannot make
    thousands of records that each carry the rest of it.
    """
    count = 0
    stack = [value]
    while stack and count <= limit:
        node = stack.pop()
        count += 1
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return count


def content_version(data: Any) -> str:
    """The version of a source that has none: 12 hex digits of the SHA-256 of its content.

    Bytes are hashed as they are; data as canonical JSON, so the same card
    gives the same version wherever it is stored.
    """
    if not isinstance(data, bytes):
        data = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
            "utf-8"
        )
    return hashlib.sha256(data).hexdigest()[:12]
