"""Adding an approval to a model record file without rewriting the rest of it.

A person reviews a model record in a diff: signing should add the approval
and change nothing else, comments and layout included. So the approval is
inserted as text, after the last line of ``spec.approvals`` (or as a new
``approvals:`` at the end of ``spec``), with the list's own indentation; the
result is then read back and must mean exactly the old record plus the new
approval, or nothing is written. A JSON record is re-written as indented JSON
(JSON holds no comments to keep).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

import yaml

from ..documents import load_text, to_yaml
from ..errors import UsageError

_CANNOT = "use --attestation PATH to keep the approval in a separate file instead"


def add_approval(text: str, source: str, approval: Mapping[str, Any]) -> str:
    """The text of the record in ``text`` with ``approval`` appended to ``spec.approvals``."""
    documents = load_text(text, source)
    if len(documents) != 1:
        raise UsageError(f"{source}: holds {len(documents)} documents; {_CANNOT}")
    data = documents[0].data
    if not isinstance(data, dict) or not isinstance(data.get("spec") or {}, dict):
        raise UsageError(f"{source}: the record has no spec mapping to add approvals to; {_CANNOT}")
    expected = copy.deepcopy(data)
    spec = expected["spec"] = expected.get("spec") or {}
    approvals = spec.get("approvals")
    if approvals is not None and not isinstance(approvals, list):
        raise UsageError(f"{source}: spec.approvals is not a list")
    spec["approvals"] = [*(approvals or []), dict(approval)]

    if text.lstrip().startswith("{"):
        candidates = [json.dumps(expected, indent=2, ensure_ascii=False) + "\n"]
    else:
        # Right after the last value; failing that (a `|+` block scalar keeps its
        # trailing blank lines), after those blank lines.
        candidates = [_insert_yaml(text, source, dict(approval), tight) for tight in (True, False)]
    for new_text in candidates:
        if load_text(new_text, source)[0].data == expected:
            return new_text
    raise UsageError(f"{source}: could not add the approval without changing the record; {_CANNOT}")


def _insert_yaml(text: str, source: str, approval: dict[str, Any], tight: bool) -> str:
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode) or root.flow_style:
        raise UsageError(f"{source}: the record is not a block mapping; {_CANNOT}")
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    spec_key, spec = _entry(root, "spec")
    if spec is None or spec_key is None:
        block = "spec:\n" + _indent("approvals:\n" + to_yaml([approval]), 2)
        return "".join(lines) + block
    if not isinstance(spec, yaml.MappingNode) or spec.flow_style or not spec.value:
        # `spec: {...}` or `spec:` (null): re-write spec as a block.
        data = _data_of(text, source).get("spec") or {}
        block = to_yaml({**data, "approvals": [*data.get("approvals", []), approval]})
        column = spec_key.start_mark.column + 2
        return _replace_flow(lines, spec_key, spec, _indent(block, column), source)
    key, value = _entry(spec, "approvals")
    if key is None or value is None:
        column = spec.value[0][0].start_mark.column
        block = _indent("approvals:\n" + to_yaml([approval]), column)
        return _insert_after(lines, _last_line(spec, lines, tight), block)
    if isinstance(value, yaml.SequenceNode) and not value.flow_style and value.value:
        last = value.value[-1]
        line = lines[last.start_mark.line]
        dash = line.rfind("-", 0, last.start_mark.column)
        column = dash if dash >= 0 else key.start_mark.column
        end = _last_line(value, lines, tight)
        return _insert_after(lines, end, _indent(to_yaml([approval]), column))
    # `approvals: []`, `approvals: [...]` or `approvals:` (null): re-write the list as a block.
    is_null = isinstance(value, yaml.ScalarNode) and value.tag.endswith(":null")
    if not (isinstance(value, yaml.SequenceNode) or is_null):
        raise UsageError(f"{source}: spec.approvals is not a list")
    items = _data_of(text, source)["spec"].get("approvals") or []
    block = _indent(to_yaml([*items, approval]), key.start_mark.column + 2)
    return _replace_flow(lines, key, value, block, source)


def _replace_flow(
    lines: list[str], key: yaml.Node, value: yaml.Node, block: str, source: str
) -> str:
    """Drop the one-line flow (or empty) ``value`` after ``key`` and put ``block`` below it."""
    start, end = value.start_mark, value.end_mark
    if start.line != end.line or start.line != key.start_mark.line:
        raise UsageError(f"{source}: cannot re-write a multi-line flow collection; {_CANNOT}")
    head = lines[start.line]
    lines[start.line] = head[: start.column].rstrip() + head[end.column :]
    if not lines[start.line].endswith("\n"):
        lines[start.line] += "\n"
    return _insert_after(lines, start.line, block)


def _data_of(text: str, source: str) -> Any:
    return load_text(text, source)[0].data


def _entry(node: yaml.MappingNode, name: str) -> tuple[yaml.Node | None, yaml.Node | None]:
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == name:
            return key, value
    return None, None


def _last_line(node: yaml.Node, lines: list[str], tight: bool) -> int:
    """The 0-based line of the last character that belongs to ``node``.

    Block collections end where the next token starts (possibly after
    comments that belong to what follows), so their end is that of their last
    child; scalars and flow collections end at their end mark, which for a
    block scalar lies after its trailing blank lines (skipped when ``tight``).
    """
    if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
        last_key, last_value = node.value[-1]
        return max(_last_line(last_key, lines, tight), _last_line(last_value, lines, tight))
    if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
        return _last_line(node.value[-1], lines, tight)
    start, end = node.start_mark.line, node.end_mark
    line = end.line - 1 if end.column == 0 and end.line > start else end.line
    while tight and line > start and not lines[line].strip():
        line -= 1
    return line


def _insert_after(lines: list[str], line: int, block: str) -> str:
    return "".join([*lines[: line + 1], block, *lines[line + 1 :]])


def _indent(block: str, column: int) -> str:
    pad = " " * column
    return "".join(pad + line if line.strip() else line for line in block.splitlines(True))
