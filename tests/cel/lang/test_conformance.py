"""cel-spec's conformance tests, run through policygate's own CEL engine."""

from __future__ import annotations

#: Tests that need protobuf message types or other features out of scope, by name.
OUT_OF_SCOPE: dict[str, str] = {}
