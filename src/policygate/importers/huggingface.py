"""Hugging Face model cards: the YAML front matter of a ``README.md``.

The front matter (between the first two ``---`` lines) is read with the safe
loader; ``model-index[].results[]`` become evaluations, the first result's
metrics the headline ``spec.metrics``, ``datasets`` the training data,
``base_model`` the parent. The card itself is the model card, and an
"Intended use(s)" section of its body gives ``spec.intended_use``. See
docs/importers.md for the full mapping table.
"""

from __future__ import annotations

import os
import re
from typing import Any

from ..documents import load_text, read_bytes
from ..errors import LoadError, Location
from .interface import (
    SOURCE_LABEL,
    Importer,
    ImporterError,
    as_number,
    content_version,
    merge_overlay,
    new_record,
    prune,
    set_labels,
    unique_metric_keys,
)

# Keys whose whole content lands in canonical fields or labels; every other
# front-matter key is kept under spec.extra.hf as written.
_MAPPED = frozenset(
    {"license", "language", "library_name", "pipeline_tag", "datasets", "base_model", "policygate"}
)

_FENCE = re.compile(r"[ \t]*---[ \t]*")


class HuggingFaceImporter(Importer):
    format = "hf"
    title = "Hugging Face model card (README.md front matter)"

    def read(self, location: str) -> list[dict[str, Any]]:
        try:
            raw = read_bytes(location)  # through max-file-bytes, like every input
        except LoadError as error:
            message = f"cannot read model card: {error.message}"
            raise ImporterError(message, Location(location)) from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            message = f"model card is not UTF-8 (byte {error.start})"
            raise ImporterError(message, Location(location)) from None
        front, body = split_front_matter(text, location)
        return [record_from_card(front, body, location, content_version(raw))]


def split_front_matter(text: str, source: str) -> tuple[dict[str, Any], str]:
    """The front matter as data and the Markdown body after it.

    A card without front matter, with an unterminated one, or whose front
    matter is not a YAML mapping is an error naming the line.
    """
    lines = text.splitlines(keepends=True)
    if not lines or not _FENCE.fullmatch(lines[0].rstrip("\r\n")):
        raise ImporterError(
            "no YAML front matter: a model card starts with a '---' line", Location(source, 1, 1)
        )
    for end in range(1, len(lines)):
        if _FENCE.fullmatch(lines[end].rstrip("\r\n")):
            break
    else:
        raise ImporterError(
            "the YAML front matter is not closed by a '---' line", Location(source, 1, 1)
        )
    yaml_text = "".join(lines[1:end])
    try:
        documents = load_text(yaml_text, source)
    except LoadError as error:  # positions are relative to the front matter: shift past '---'
        loc = error.location
        line = loc.line + 1 if loc is not None and loc.line is not None else 1
        column = loc.column if loc is not None else None
        message = re.sub(r"\bline (\d+)", lambda m: f"line {int(m.group(1)) + 1}", error.message)
        raise ImporterError(
            f"broken front matter: {message}", Location(source, line, column)
        ) from None
    data = documents[0].data if documents else {}
    if len(documents) > 1 or not isinstance(data, dict):
        raise ImporterError("the front matter is not a YAML mapping", Location(source, 2, 1))
    return data, "".join(lines[end + 1 :])


def record_from_card(front: dict[str, Any], body: str, source: str, digest: str) -> dict[str, Any]:
    """The canonical record of one card (``digest`` is the card's content version)."""
    index = front.get("model-index")
    entries = index if isinstance(index, list) else []
    first = entries[0] if entries and isinstance(entries[0], dict) else {}
    repo_id = first.get("name") if isinstance(first.get("name"), str) else None
    name = repo_id or _name_from_path(source)
    record = new_record(name, digest)
    owner = repo_id.split("/", 1)[0] if repo_id and "/" in repo_id else None

    evaluations = [
        evaluation
        for entry in entries
        if isinstance(entry, dict)
        for result in _list(entry.get("results"))
        if (evaluation := _evaluation(result)) is not None
    ]
    task = front.get("pipeline_tag")
    if not isinstance(task, str) and evaluations:
        task = evaluations[0].get("task")
    datasets = [d for d in _list(front.get("datasets")) if isinstance(d, str)]
    base = front.get("base_model")
    parents = [b for b in _list(base) if isinstance(b, str)]
    record["metadata"].update(prune({"owner": owner}))
    record["spec"] = prune(
        {
            "task": task if isinstance(task, str) else None,
            "intended_use": intended_use(body),
            "lineage": {
                "training_data": [{"name": d} for d in datasets],
                "parent": parents[0] if len(parents) == 1 else None,
            },
            "documentation": {"model_card": source},
            "metrics": dict(evaluations[0]["metrics"]) if evaluations else None,
            "evaluations": evaluations,
        }
    )
    set_labels(
        record,
        {
            SOURCE_LABEL: "hf",
            "license": front.get("license"),
            "language": front.get("language"),
            "library": front.get("library_name"),
            "pipeline_tag": front.get("pipeline_tag"),
            "base_model": base if len(parents) > 1 else None,
        },
    )
    extra = {k: v for k, v in front.items() if k not in _MAPPED}
    if extra:
        record["spec"]["extra"] = {"hf": extra}
    overlay = front.get("policygate")
    if overlay is not None:
        if not isinstance(overlay, dict):
            raise ImporterError("front matter key 'policygate' must be a mapping", Location(source))
        merge_overlay(record, overlay, source)
    return record


def _evaluation(result: Any) -> dict[str, Any] | None:
    """One ``model-index`` result as an evaluation: dataset, split, task and numeric metrics."""
    if not isinstance(result, dict):
        return None
    entries = [m for m in _list(result.get("metrics")) if isinstance(m, dict) and "type" in m]
    keys = unique_metric_keys((str(m["type"]), _str(m.get("name"))) for m in entries)
    metrics = {}
    for key, entry in zip(keys, entries, strict=True):
        number = as_number(entry.get("value"))
        if number is not None:
            metrics[key] = number
    dataset = _mapping(result.get("dataset"))
    task = _mapping(result.get("task"))
    evaluation = prune(
        {
            "dataset": _str(dataset.get("name")) or _str(dataset.get("type")),
            "dataset_id": _str(dataset.get("type")),
            "config": _str(dataset.get("config")),
            "split": _str(dataset.get("split")),
            "task": _str(task.get("type")),
            "metrics": metrics,
            "verified": sorted(k for k, e in zip(keys, entries, strict=True) if e.get("verified")),
        }
    )
    evaluation.setdefault("metrics", {})
    return evaluation


_INTENDED = re.compile(r"\bintended\s+(uses?|purposes?)\b", re.IGNORECASE)


def heading(line: str) -> str | None:
    """The text of an ATX heading line (``## Intended uses ##`` -> ``Intended uses``), or None.

    One to six ``#``, whitespace, the text, optional closing ``#``s. Written with
    string methods: the regular expression it replaces
    (``^(#{1,6})\\s+(.*?)\\s*#*\\s*$``) backtracked in cubic time on a long
    line of spaces (a 4 KB heading took a minute).
    """
    rest = line.lstrip("#")
    if not 1 <= len(line) - len(rest) <= 6 or not rest[:1].isspace():
        return None
    return rest.strip().rstrip("#").rstrip()


def intended_use(body: str) -> str | None:
    """The prose of the first "Intended use(s)" section, before any sub-heading or code."""
    lines = body.splitlines()
    for start, line in enumerate(lines):
        title = heading(line)
        if title is None or not _INTENDED.search(title):
            continue
        prose: list[str] = []
        fenced = False
        for following in lines[start + 1 :]:
            if following.lstrip().startswith(("```", "~~~")):
                fenced = not fenced
                continue
            if not fenced and heading(following) is not None:
                break
            if not fenced:
                prose.append(following.strip())
        text = " ".join(" ".join(prose).split())
        return text or None
    return None


def _name_from_path(source: str) -> str:
    """``models/bert/README.md`` is the card of ``bert``; ``bert.md`` of ``bert``."""
    path = os.path.abspath(source)
    stem, _ = os.path.splitext(os.path.basename(path))
    if stem.lower() == "readme":
        parent = os.path.basename(os.path.dirname(path))
        return parent or stem
    return stem


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _str(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


IMPORTER = HuggingFaceImporter()
