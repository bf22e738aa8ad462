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
from ..validation import short_value
from .interface import (
    SOURCE_LABEL,
    Importer,
    ImporterError,
    as_number,
    content_version,
    merge_source_overlay,
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

class HuggingFaceImporter(Importer):
    format = "hf"
    title = "Hugging Face model card (README.md front matter)"

    def read(self, location: str) -> list[dict[str, Any]]:
        try:
            raw = read_bytes(location)  # through max-file-bytes, like every input
        except LoadError as error:
            message = f"cannot read model card: {error.message}"
            raise ImporterError(message, Location(location)) from None
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            message = "model card is UTF-16 (it starts with a UTF-16 byte order mark)"
            message += "; the Hub reads UTF-8"
            raise ImporterError(message, Location(location, 1, 1))
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            before = raw[: error.start]
            line = before.count(b"\n") + 1
            column = error.start - (before.rfind(b"\n") + 1) + 1
            message = f"model card is not UTF-8 (byte {error.start}: 0x{raw[error.start]:02x})"
            raise ImporterError(message, Location(location, line, column)) from None
        front, body = split_front_matter(text, location)
        return [record_from_card(front, body, location, content_version(raw))]


def front_matter_span(text: str) -> tuple[int, int, int] | None:
    """Where the front matter is, as the Hub finds it: ``(yaml_start, yaml_end, body_start)``.

    The Hub's own rule (``REGEX_YAML_BLOCK`` in huggingface_hub's
    ``repocard.py``, "exact same regex as in the Hub server"):
    ``^(\\s*---(?:\\r\\n|\\r|\\n))([\\S\\s]*?)((?:\\r\\n|\\r|\\n)---[ \\t]*(\\r\\n|\\n|$))``:
    any whitespace (blank lines included) before the opening ``---``, which
    ends its line; the block ends at the first later line that is ``---``
    (trailing blanks allowed). Written with string searches, not that regex,
    so a hostile card costs linear time. ``None``: no front matter.
    """
    opening = len(text) - len(text.lstrip())
    if not text.startswith("---", opening):
        return None
    start = opening + 3
    if text.startswith("\r\n", start):
        start += 2
    elif text[start : start + 1] in ("\r", "\n"):
        start += 1
    else:
        return None
    if text.startswith("---", start):  # an empty block: '---' right after the opening
        after = _closing_end(text, start + 3)
        if after is not None:
            return start, start, after
    found = start
    while (found := text.find("---", found)) != -1:
        if found - 1 >= start and text[found - 1] in "\r\n":
            after = _closing_end(text, found + 3)
            if after is not None:  # the YAML keeps its last line break
                return start, found, after
        found += 3
    return None


def _closing_end(text: str, index: int) -> int | None:
    """After a closing ``---``: blanks, then a line break or the end; where the body starts."""
    while text[index : index + 1] in (" ", "\t"):
        index += 1
    if index == len(text):
        return index
    if text.startswith("\r\n", index):
        return index + 2
    if text[index] == "\n":
        return index + 1
    return None


def split_front_matter(text: str, source: str) -> tuple[dict[str, Any], str]:
    """The front matter as data and the Markdown body after it.

    A card without front matter, with an unterminated one, or whose front
    matter is not a YAML mapping is an error naming the line. A plain
    ``.nan``/``.inf`` (written by some libraries in widget or emissions
    fields) is kept as that text; as a metric value it is not a number.
    """
    span = front_matter_span(text)
    if span is None:
        stripped = text.lstrip()
        line = text.count("\n", 0, len(text) - len(stripped)) + 1
        opening = stripped.split("\n", 1)[0].split("\r", 1)[0]
        if stripped.startswith("---") and opening.rstrip(" \t") != "---":
            raise ImporterError(
                f"no YAML front matter: the opening line is {short_value(opening, 40)}, and the Hub"
                " reads front matter only after a line that is exactly '---'",
                Location(source, line, 1),
            )
        if stripped.startswith("---"):
            raise ImporterError(
                "the YAML front matter is not closed by a '---' line", Location(source, line, 1)
            )
        raise ImporterError(
            "no YAML front matter: a model card starts with a '---' line"
            " (blank lines may come before it)",
            Location(source, line, 1),
        )
    start, end, body_start = span
    first_line = len(text[:start].splitlines()) + 1  # the line the YAML starts on
    shift = first_line - 1
    try:
        documents = load_text(text[start:end], source, nonfinite_as_text=True)
    except LoadError as error:  # positions are relative to the front matter: shift them
        loc = error.location
        line = loc.line + shift if loc is not None and loc.line is not None else first_line
        column = loc.column if loc is not None else None
        message = re.sub(
            r"\bline (\d+)", lambda m: f"line {int(m.group(1)) + shift}", error.message
        )
        raise ImporterError(
            f"broken front matter: {message}", Location(source, line, column)
        ) from None
    data = documents[0].data if documents else {}
    if len(documents) > 1 or not isinstance(data, dict):
        raise ImporterError(
            "the front matter is not a YAML mapping", Location(source, first_line, 1)
        )
    return data, text[body_start:]


def record_from_card(front: dict[str, Any], body: str, source: str, digest: str) -> dict[str, Any]:
    """The canonical record of one card (``digest`` is the card's content version)."""
    index = front.get("model-index")
    entries = index if isinstance(index, list) else []
    first = entries[0] if entries and isinstance(entries[0], dict) else {}
    display = first.get("name") if isinstance(first.get("name"), str) else None
    repo_id = repo_id_from_path(source) or (display if display and is_repo_id(display) else None)
    record = new_record(repo_id or _name_from_path(source), digest)
    owner = repo_id.split("/", 1)[0] if repo_id else None

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
    datasets = [
        d for d in _list(front.get("datasets")) if isinstance(d, str) and not placeholder(d)
    ]
    base = front.get("base_model")
    parents = [b for b in _list(base) if isinstance(b, str) and not placeholder(b)]
    record["metadata"].update(prune({"owner": owner}))
    use = intended_use(body)
    record["spec"] = prune(
        {
            "task": task if isinstance(task, str) and not placeholder(task) else None,
            "intended_use": None if use is None or placeholder(use) else use,
            "lineage": {
                "training_data": [{"name": d} for d in datasets],
                "parent": parents[0] if len(parents) == 1 else None,
            },
            "documentation": {"model_card": source},
            "metrics": headline(evaluations),
            "evaluations": evaluations,
        }
    )
    set_labels(
        record,
        {
            SOURCE_LABEL: "hf",
            **{
                label: value
                for label, value in (
                    ("license", front.get("license")),
                    ("language", front.get("language")),
                    ("library", front.get("library_name")),
                    ("pipeline_tag", front.get("pipeline_tag")),
                )
                if not (isinstance(value, str) and placeholder(value))
            },
            "base_model": base if len(parents) > 1 else None,
            "model_index_name": display if display and display != repo_id else None,
        },
    )
    extra = {  # a mapped key whose value is a placeholder stays as written too
        k: v
        for k, v in front.items()
        if k not in _MAPPED or (isinstance(v, str) and placeholder(v) and k != "policygate")
    }
    if extra:
        record["spec"]["extra"] = {"hf": extra}
    overlay = front.get("policygate")
    if overlay is not None:
        if not isinstance(overlay, dict):
            raise ImporterError("front matter key 'policygate' must be a mapping", Location(source))
        merge_source_overlay(record, overlay, source)
    return record


def headline(evaluations: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first result's metrics, less those another result on its data contradicts.

    A card may report one metric twice on the same dataset, config and split (a
    self-reported result and the Hub's verified evaluation, 0.95 and 0.61): which
    one counts cannot be told, so neither is the headline (a rule on it fails
    closed); each stays in its evaluation.
    """
    if not evaluations:
        return None
    first = evaluations[0]
    data = _data_of(first)
    metrics = dict(first["metrics"])
    for other in evaluations[1:]:
        if _data_of(other) == data:
            for key, value in other["metrics"].items():
                if key in metrics and metrics[key] != value:
                    del metrics[key]
    return metrics


def _data_of(evaluation: dict[str, Any]) -> tuple[Any, Any, Any]:
    return (
        evaluation.get("dataset_id") or evaluation.get("dataset"),
        evaluation.get("config"),
        evaluation.get("split"),
    )


# ------------------------------------------------------------------ identity and placeholders

# A Hub repo id: NAMESPACE/NAME, letters, digits, '-', '_', '.' (huggingface_hub's
# validate_repo_id allows these and at most 96 characters).
_REPO_PART = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


def is_repo_id(text: str) -> bool:
    """Whether ``text`` has the shape of a Hub repo id (``deepset/roberta-base-squad2``)."""
    parts = text.split("/")
    return (
        len(parts) == 2
        and len(text) <= 96
        and all(
            p and set(p) <= _REPO_PART and p not in (".", "..") and not p.startswith(("-", "."))
            for p in parts
        )
    )


def repo_id_from_path(source: str) -> str | None:
    """The repo id a card's path gives, or ``None``.

    Two layouts name the repository: huggingface_hub's cache
    (``.../models--ORG--NAME/snapshots/REV/README.md``) and a Hub mirror laid
    out as the Hub's URLs are (``.../models/ORG/NAME/README.md``).
    """
    parts = os.path.abspath(source).replace(os.sep, "/").split("/")
    for part in reversed(parts[:-1]):
        if part.startswith("models--") and part.count("--") >= 2:
            candidate = part[len("models--") :].replace("--", "/", 1)
            if is_repo_id(candidate):
                return candidate
    if len(parts) >= 4 and parts[-1].lower() == "readme.md" and parts[-4] == "models":
        candidate = f"{parts[-3]}/{parts[-2]}"
        if is_repo_id(candidate):
            return candidate
    return None


# What model-card templates leave where nothing was written: the Trainer's
# "More information needed", the Hub template's "[More Information Needed]".
_PLACEHOLDERS = frozenset(
    {"more information needed", "more info needed", "needs more information", "tbd", "todo"}
)


def placeholder(text: str) -> bool:
    """Whether ``text`` is a template placeholder, so the field is in truth missing."""
    core = text.strip()
    if core.startswith("[") and core.endswith(")") and "](" in core:  # [TBD](https://...)
        core = core[1 : core.index("](")]
    core = core.strip("[]()*_.!:` ").strip().lower()
    return " ".join(core.split()) in _PLACEHOLDERS


# --------------------------------------------------------------------------- metrics


def metric_value(value: Any) -> tuple[int | float, int | float | None] | None:
    """A metric value as ``(number, spread)``, or ``None`` when it is not a number.

    Besides numbers and numeric strings, cards write ``"245.37 +/- 48.64"`` or
    ``"0.91 ± 0.02"`` (a mean and its spread: both kept), percentages
    (``"85%"`` is 0.85, ``"85.2 ± 1.3 %"`` is 0.852 with spread 0.013) and
    decimal commas (``"0,912"`` is 0.912; ``"1,234,567"`` is 1234567; a lone
    ``"11,869"`` could be either and is not a number). Written with string
    operations: no regular expression sees the text.
    """
    number = as_number(value)
    if number is not None or not isinstance(value, str) or len(value) > 100:
        return None if number is None else (number, None)
    text = value.strip()
    for sign in ("+/-", "±", "+-"):
        mean, sep, spread = text.partition(sign)
        if sep:
            percent = spread.strip().endswith("%")
            left = _scalar(mean, percent)
            right = _scalar(spread, percent)
            if left is None or right is None:
                return None
            return left, right
    single = _scalar(text, False)
    return None if single is None else (single, None)


def _scalar(text: str, percent: bool) -> int | float | None:
    """One number of a metric value: ``85%`` -> 0.85, ``0,912`` -> 0.912."""
    text = text.strip()
    if text.endswith("%"):
        text, percent = text[:-1].rstrip(), True
    if "," in text and "." not in text:
        whole, _, rest = text.partition(",")
        groups = rest.split(",")
        if len(groups) == 1 and (len(rest) != 3 or whole.lstrip("+-") in ("", "0")):
            text = f"{whole}.{rest}"  # a decimal comma
        elif whole.lstrip("+-") not in ("", "0") and len(groups) > 1 and all(
            len(g) == 3 for g in groups
        ):
            text = whole + "".join(groups)  # thousands separators
        else:
            return None
    number = as_number(text)
    if number is None:
        return None
    return number / 100 if percent else number


def _evaluation(result: Any) -> dict[str, Any] | None:
    """One ``model-index`` result as an evaluation: dataset, split, task and numeric metrics.

    A value written as text (``"85%"``, ``"245.37 +/- 48.64"``) is normalised
    (:func:`metric_value`); the text stays in ``original_values`` and a spread
    in ``spreads``, by metric key.
    """
    if not isinstance(result, dict):
        return None
    entries = [m for m in _list(result.get("metrics")) if isinstance(m, dict) and "type" in m]
    keys = unique_metric_keys((str(m["type"]), _str(m.get("name"))) for m in entries)
    metrics: dict[str, int | float] = {}
    spreads: dict[str, int | float] = {}
    originals: dict[str, str] = {}
    for key, entry in zip(keys, entries, strict=True):
        raw = entry.get("value")
        found = metric_value(raw)
        if found is None:
            continue
        metrics[key], spread = found
        if spread is not None:
            spreads[key] = spread
        if isinstance(raw, str) and as_number(raw) is None:
            originals[key] = raw
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
            "spreads": spreads,
            "original_values": originals,
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
        text = " ".join(_without_comments("\n".join(prose)).split())
        return text or None
    return None


def _without_comments(text: str) -> str:
    """``text`` without its HTML comments, which a rendered card does not show.

    Templates leave ``<!-- Describe the intended use here -->`` under the
    heading; that is no intended use. A comment never closed hides the rest.
    String searches, linear in the text.
    """
    kept: list[str] = []
    index = 0
    while (start := text.find("<!--", index)) != -1:
        kept.append(text[index:start])
        end = text.find("-->", start + 4)
        if end == -1:
            return " ".join(kept)
        index = end + 3
    kept.append(text[index:])
    return " ".join(kept)


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
