"""A model's Annex IV technical file: each section of :data:`.sections.SECTIONS`
filled from the record, and marked complete, partial or missing with what is
missing; the gate results, the evidence and the risks (with a register) add
what they say to the sections they belong to.

A section's status follows from the record alone, part by part, so the file
and the shipped rule pack (policies/eu-ai-act-technical-file.yaml) agree:
a part is complete when every source is present, missing when none is,
partial otherwise; a section is complete when every mandatory part is,
missing when every mandatory part is missing, partial otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .sections import DATASHEETS, SECTIONS, Part, Section, Source

if TYPE_CHECKING:
    from ..models import ModelRecord
    from ..report import ModelReport

COMPLETE, PARTIAL, MISSING, NOT_DECLARED = "complete", "partial", "missing", "not declared"
MAX_VALUE_CHARS = 400  # a record value shown in the file is cut here
MAX_ENTRIES = 25  # list entries shown per value


@dataclass(frozen=True)
class Filled:
    """A source that the record fills, with what it says (shortened)."""

    source: Source
    value: str


@dataclass(frozen=True)
class PartFile:
    part: Part
    status: str
    filled: tuple[Filled, ...]
    missing: tuple[Source, ...]


@dataclass(frozen=True)
class SectionFile:
    section: Section
    status: str
    parts: tuple[PartFile, ...]
    notes: tuple[str, ...] = ()  # what the gate results, evidence and risks add

    @property
    def missing(self) -> tuple[Source, ...]:
        return tuple(s for p in self.parts if not p.part.optional for s in p.missing)


@dataclass(frozen=True)
class TechnicalFile:
    name: str
    version: str
    source: str
    risk_tier: Any
    sections: tuple[SectionFile, ...]
    gate: str  # the gate's verdict for the model, or "" when no policy was evaluated

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}" if self.version else self.name

    def counts(self) -> dict[str, int]:
        counts = {COMPLETE: 0, PARTIAL: 0, MISSING: 0}
        for section in self.sections:
            counts[section.status] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "risk_tier": self.risk_tier,
            "sections": [
                {
                    "section": s.section.number,
                    "title": s.section.title,
                    "status": s.status,
                    "missing": [m.dotted for m in s.missing],
                }
                for s in self.sections
            ],
        }


def technical_file(record: ModelRecord, model: ModelReport | None = None) -> TechnicalFile:
    """The technical file of ``record``; ``model`` (its report) adds the gate
    results, the control states and, with a risk register, the risks."""
    sections = []
    for section in SECTIONS:
        parts = tuple(_part(record.data, part) for part in section.parts)
        mandatory = [p.status for p in parts if not p.part.optional]
        if all(s == COMPLETE for s in mandatory):
            status = COMPLETE
        elif all(s == MISSING for s in mandatory):
            status = MISSING
        else:
            status = PARTIAL
        notes = _notes(section.number, record, model) if model is not None else ()
        sections.append(SectionFile(section, status, parts, notes))
    spec = record.data.get("spec") if isinstance(record.data, Mapping) else None
    tier = spec.get("risk_tier") if isinstance(spec, Mapping) else None
    gate = "" if model is None else ("passed" if model.passed else "failed")
    return TechnicalFile(record.name, record.version, record.source, tier, tuple(sections), gate)


def _part(data: Any, part: Part) -> PartFile:
    filled, missing = [], []
    for source in part.sources:
        value = _at(data, source.path)
        if present(value, source.kind):
            filled.append(Filled(source, summary(value)))
        else:
            missing.append(source)
    if not missing:
        status = COMPLETE
    elif part.optional:
        status = NOT_DECLARED
    else:
        status = MISSING if not filled else PARTIAL
    return PartFile(part, status, tuple(filled), tuple(missing))


def _at(data: Any, path: Sequence[str]) -> Any:
    for key in path:
        if not isinstance(data, Mapping) or key not in data:
            return None
        data = data[key]
    return data


def present(value: Any, kind: str = "value") -> bool:
    """Whether a record value fills its part: text that is not blank, any number,
    ``true``, a list or a map with an entry that is itself filled (:func:`_filled`);
    never null, ``false``, blank text or ``[""]``. For DATASHEETS, a non-empty list
    of datasets that each name a datasheet. The pack's annex-iv rules say the same
    in CEL (tests/annex_iv holds them equal)."""
    if kind == DATASHEETS:
        return (
            isinstance(value, list)
            and bool(value)
            and all(isinstance(d, Mapping) and present(d.get("datasheet")) for d in value)
        )
    if isinstance(value, list):
        return any(_filled(v) for v in value)
    if isinstance(value, Mapping):
        return any(_filled(v) for v in value.values())
    return _filled(value)


def _filled(value: Any) -> bool:
    """Not null, not ``false``, not blank text (white space as CEL's ``trim`` sees
    it), not an empty list or map."""
    from ..cel.lang.strings_ext import trim

    if value is None or value is False:
        return False
    if isinstance(value, str):
        return trim(value) != ""
    if isinstance(value, list | Mapping):
        return len(value) > 0
    return True


def summary(value: Any) -> str:
    """A record value as short text (the renderers escape it)."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, list):
        shown = [_compact(v) for v in value[:MAX_ENTRIES]]
        more = len(value) - len(shown)
        text = "; ".join(shown) + (f"; … {more} more" if more > 0 else "")
    else:
        text = _compact(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _compact(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _notes(number: int, record: ModelRecord, model: ModelReport) -> tuple[str, ...]:
    """What the evaluation adds: test results to 2, risks to 5, monitoring to 9."""
    notes: list[str] = []
    if number == 2:
        counts = model.counts()
        tally = ", ".join(f"{n} {status}" for status, n in counts.items())
        notes.append(f"Gate results for {model.ref}: {'passed' if model.passed else 'failed'} "
                     f"({tally}).")  # fmt: skip
        for r in model.results:
            if r.status.value in ("fail", "error", "waived"):
                notes.append(f"{r.status.value}: {r.rule_ref}: {r.message or r.title}")
        spec = record.data.get("spec") if isinstance(record.data, Mapping) else None
        evidence = spec.get("evidence") if isinstance(spec, Mapping) else None
        if isinstance(evidence, list) and evidence:
            notes.append(
                "Evidence the record attaches, read before the rules ran: " + summary(evidence)
            )
    if number == 5:
        for risk in model.risks or ():
            controls = {c.id: c.status.value for c in model.controls}
            states = ", ".join(f"{c} {controls.get(c, 'unverified')}" for c in risk.controls)
            rating = (f"rated {risk.inherent}, residual {risk.residual}" if risk.inherent
                      else "unrated")  # fmt: skip
            notes.append(f"Risk {risk.id} ({risk.title}): likelihood {risk.likelihood}, "
                         f"impact {risk.impact}, {rating}; "
                         f"controls: {states or 'none'}")  # fmt: skip
    if number in (2, 9):
        for control in model.controls:
            if number == 9 and not control.id.endswith(("art-72", "A.6.2.6")):
                continue
            if number == 2 and not control.id.endswith(("art-15", "A.6.2.4")):
                continue
            notes.append(f"Control {control.id}: {control.status.value} "
                         f"({', '.join(control.rules) or 'no rule'})")  # fmt: skip
    return tuple(notes)
