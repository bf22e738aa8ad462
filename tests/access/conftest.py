"""Fixtures of the access tests: the access policy of SPEC §8 and the shipped packs."""

from __future__ import annotations

from pathlib import Path

import pytest
from access_support import ACCESS, POLICIES

from policygate import load_access_policies, load_policies
from policygate.policy import Policy


@pytest.fixture
def access_file(tmp_path: Path) -> Path:
    path = tmp_path / "access.yaml"
    path.write_text(ACCESS, encoding="utf-8")
    return path


@pytest.fixture
def access(access_file: Path) -> list[Policy]:
    return load_access_policies([access_file])


@pytest.fixture(scope="session")
def promotion() -> list[Policy]:
    return load_policies([POLICIES])
