"""The ``judged`` fuzz target: values a record puts where the shipped packs read
numbers. The passing example with some of its numbers replaced, as the fuzzer's
bytes choose, by bools, strings (YAML 1.1 booleans, numbers as text), nulls, lists
or maps, typed or untyped (no apiVersion/kind: accepted as is, with no schema to
catch a wrong type): never a pass (SECURITY.md, T-CEL-1)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

import policygate

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = yaml.safe_load((ROOT / "examples/models/credit-default-passes.yaml").read_text("utf-8"))
NOT_NUMBERS: list[Any] = [True, False, None, "yes", "no", "on", "off", "0.99", "", "1_0",
                          "0,99", "1:59", [], {}, [0.99], {"value": 0.99}]  # fmt: skip
_POLICIES: list[list[Any]] = []


def _numbers(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _numbers(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _numbers(child, (*path, index))
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield path


PATHS = list(_numbers(EXAMPLE))


def _policies() -> list[Any]:
    if not _POLICIES:
        _POLICIES.append(policygate.load_policies([str(ROOT / "policies")]))
    return _POLICIES[0]


def judge_non_numbers(data: bytes) -> None:
    if not data:
        return
    record = copy.deepcopy(EXAMPLE)
    if data[0] & 1:
        del record["apiVersion"], record["kind"]
    for position in range(1, len(data) - 1, 2):
        path = PATHS[data[position] % len(PATHS)]
        parent = record
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = copy.deepcopy(NOT_NUMBERS[data[position + 1] % len(NOT_NUMBERS)])
    if record == EXAMPLE or len(data) < 3:
        return  # nothing was replaced: the example passes, as it should
    try:
        report = policygate.evaluate([record], _policies(), now="2026-11-26T00:00:00Z")
    except policygate.PolicygateError:
        return  # refused (a typed record's schema): never a pass
    assert not report.passed, record
