"""SARIF 2.1.0 for code-scanning services: one run, one reporting descriptor per
lint check, one result per problem with its file, line and column.

URIs are the paths as given, relative to the working directory (the
``%SRCROOT%`` base, left for the consumer to resolve, so the log is the same on
every machine), with forward slashes: an upload from the repository root
annotates the right lines.
"""

from __future__ import annotations

import json
import os
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from ... import __version__
from ..checks import CHECKS
from ..problem import LintResult, Problem

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://policygate.dev/docs/authoring"


def render(result: LintResult, **_: Any) -> str:
    codes = sorted(CHECKS)
    index = {code: i for i, code in enumerate(codes)}
    rules = [
        {
            "id": code,
            "name": _camel(code),
            "shortDescription": {"text": CHECKS[code].summary},
            "defaultConfiguration": {"level": CHECKS[code].level.value},
        }
        for code in codes
    ]
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "policygate-lint",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "results": [_result(p, index[p.code]) for p in result.problems],
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _result(problem: Problem, rule_index: int) -> dict[str, Any]:
    region: dict[str, int] = {}
    if problem.location.line is not None:
        region["startLine"] = problem.location.line
        if problem.location.column is not None:
            region["startColumn"] = problem.location.column
    physical: dict[str, Any] = {
        "artifactLocation": {"uri": _uri(problem.location.path), "uriBaseId": "%SRCROOT%"}
    }
    if region:
        physical["region"] = region
    result: dict[str, Any] = {
        "ruleId": problem.code,
        "ruleIndex": rule_index,
        "level": problem.level.value,
        "message": {"text": problem.message},
        "locations": [{"physicalLocation": physical}],
    }
    if problem.error_code:  # a load error: its own code, as SARIF's property bag holds extras
        result["properties"] = {"errorCode": problem.error_code}
    return result


def _uri(path: str) -> str:
    if os.path.isabs(path):
        try:
            path = os.path.relpath(path)
        except ValueError:  # another drive on Windows
            return PurePath(path).as_uri()
    return quote(PurePath(path).as_posix())


def _camel(code: str) -> str:
    first, *rest = code.split("-")
    return first + "".join(part.capitalize() for part in rest)
