"""The engine registry: which backend runs, and how a user chooses one (SPEC §3)."""

from __future__ import annotations

import importlib.util

import pytest

from policygate import cel
from policygate.cel import get_backend
from policygate.errors import UsageError


def test_every_registered_backend_is_installed_and_named_by_its_key() -> None:
    # the test extra installs the fast extra, so no backend is skipped here
    for name in cel.BACKENDS:
        assert get_backend(name).name == name
    assert set(cel.BACKENDS) == {cel.PORTABLE, cel.FAST, cel.OWN}


def test_policygates_own_engine_is_the_default_with_or_without_cel_cpp(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert cel.default_engine() == cel.OWN == cel.DEFAULT
    real = importlib.util.find_spec

    def without_fast(name: str, *args: object) -> object:
        return None if name == "cel_expr_python" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without_fast)
    assert cel.default_engine() == cel.OWN


def test_cel_cpp_without_its_package_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cel, "fast_available", lambda: False)
    monkeypatch.setattr(cel, "_instances", {})
    with pytest.raises(UsageError, match=r"pip install 'policygate\[fast\]'"):
        get_backend("cel-cpp")


@pytest.mark.parametrize("name", ["cel-python", "cel-cpp"])
def test_the_environment_forces_an_engine(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(cel.ENV_VAR, name)
    assert get_backend().name == name


def test_a_name_beats_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cel.ENV_VAR, "cel-cpp")
    assert get_backend("cel-python").name == "cel-python"
