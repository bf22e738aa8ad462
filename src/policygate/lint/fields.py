"""Whether a model field a rule reads exists in a JSON Schema, and what was meant if not.

A path is a tuple of keys, ``None`` standing for "an element" (a list index, or
the value of a map in a ``for_each`` or a macro). The walk follows
``properties``, ``patternProperties``, ``additionalProperties``, ``items``,
local ``$ref`` and the branches of ``allOf``/``anyOf``/``oneOf``. It only
speaks when the schema says something:

- an object that allows no other keys (``additionalProperties: false``) and
  lacks the key: an error;
- an object that declares its keys but allows others: a warning, since a
  record may carry its own fields but a typo is the likelier story;
- a map of typed values (``additionalProperties: {...}``): a warning only when
  the key is not known (a declared property or a key of the schema's
  ``examples``) but is close to a known key or to one that other expressions
  read at the same place (``acuracy`` for ``accuracy``);
- a list whose field is selected: an error.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .problem import Level

Key = str | None
Path = tuple[Key, ...]


@dataclass(frozen=True)
class FieldProblem:
    index: int  # the offending element of the path
    level: Level
    message: str


def render_path(variable: str, path: Iterable[Key]) -> str:
    out = variable
    for key in path:
        out += "[]" if key is None else (f".{key}" if key.isidentifier() else f"[{key!r}]")
    return out


def did_you_mean(word: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The candidate closest to ``word``, if any is close enough to be a likely typo."""
    matches = difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=cutoff)
    return matches[0] if matches else None


def _suffix(hint: str | None) -> str:
    return f"; did you mean {hint!r}?" if hint else ""


# Fields the engine writes into every record before any rule reads it: approvals
# are marked verified or not (policygate.approvals.with_verified_approvals).
ENGINE_FIELDS: Mapping[Path, frozenset[str]] = {
    ("spec", "approvals", None): frozenset({"verified", "verification"}),
}


class SchemaFields:
    """Field checks against one JSON Schema (``name`` says which, in messages) of the
    variable ``variable`` (``model``; ``request`` in access policies)."""

    def __init__(
        self,
        schema: Mapping[str, Any],
        name: str,
        *,
        declared_level: Level,
        variable: str = "model",
    ) -> None:
        self.root = schema
        self.name = name
        self.declared_level = declared_level
        self.variable = variable

    def check(self, path: Path, seen: Mapping[Path, set[str]] | None = None) -> FieldProblem | None:
        """The first problem along ``path`` (below ``model``), ``None`` when it may exist.

        ``seen`` maps a path prefix to the keys other expressions read there.
        """
        node: Any = self.root
        for index, key in enumerate(path):
            node = self._deref(node)
            if not isinstance(node, dict):
                return None
            where = render_path(self.variable, path[:index])
            if key is None:
                node = self._element(node)
                if node is None:
                    return None
                continue
            properties, patterns, additional = self._object(node)
            if key in properties:
                node = properties[key]
                continue
            if key in ENGINE_FIELDS.get(path[:index], ()):
                return None
            pattern = next((p for p in patterns if re.search(p, key)), None)
            if pattern is not None:
                node = patterns[pattern]
                continue
            if node.get("type") == "array" and not properties:
                return FieldProblem(
                    index,
                    Level.ERROR,
                    f"{where} is a list in {self.name}: select an element or iterate over it, "
                    f"it has no field {key!r}",
                )
            if additional is False:
                hint = did_you_mean(key, properties)
                return FieldProblem(
                    index,
                    Level.ERROR,
                    f"{where} has no field {key!r} in {self.name}, which allows no other"
                    + _suffix(hint),
                )
            if isinstance(additional, dict) and additional:
                known = set(properties) | self._example_keys(node)
                others = (seen or {}).get(path[:index], set())
                hint = did_you_mean(key, (known | others) - {key}, cutoff=0.8)
                if key not in known and hint:
                    return FieldProblem(
                        index,
                        Level.WARNING,
                        f"{key!r} is not a known key of {where}" + _suffix(hint),
                    )
                node = additional
                continue
            if properties:
                hint = did_you_mean(key, {*properties, *ENGINE_FIELDS.get(path[:index], ())})
                return FieldProblem(
                    index,
                    self.declared_level,
                    f"{where} has no field {key!r} in {self.name}" + _suffix(hint),
                )
            return None
        return None

    # -- schema walking --------------------------------------------------------

    def _deref(self, node: Any, depth: int = 0) -> Any:
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and depth < 32:
            ref = node["$ref"]
            if not ref.startswith("#"):
                return None  # a remote reference: nothing to say
            target: Any = self.root
            for part in ref[1:].split("/")[1:] if ref != "#" else []:
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, dict) or part not in target:
                    return None
                target = target[part]
            node, depth = target, depth + 1
        return node

    def _branches(self, node: dict[str, Any]) -> list[dict[str, Any]]:
        found = [node]
        for keyword in ("allOf", "anyOf", "oneOf"):
            for branch in node.get(keyword) or []:
                branch = self._deref(branch)
                if isinstance(branch, dict):
                    found.extend(self._branches(branch))
        return found

    def _object(self, node: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], Any]:
        properties: dict[str, Any] = {}
        patterns: dict[str, Any] = {}
        additional: Any = None
        for branch in self._branches(node):
            properties.update(branch.get("properties") or {})
            patterns.update(branch.get("patternProperties") or {})
            if "additionalProperties" in branch and branch is node:
                additional = branch["additionalProperties"]
        if any(keyword in node for keyword in ("anyOf", "oneOf")) and additional is False:
            additional = None  # another branch may allow the key
        return properties, patterns, additional

    def _element(self, node: dict[str, Any]) -> Any:
        for branch in self._branches(node):
            if isinstance(branch.get("items"), dict):
                return branch["items"]
            if isinstance(branch.get("additionalProperties"), dict):
                return branch["additionalProperties"]
        return None

    def _example_keys(self, node: dict[str, Any]) -> set[str]:
        keys: set[str] = set()
        for example in node.get("examples") or []:
            if isinstance(example, dict):
                keys.update(str(k) for k in example)
        return keys
