"""The shortcuts of the cel-cpp codec (policygate.cel.cppast): a node that nothing
changed is written back as the bytes it was read from, and the tree a rewrite made
is handed to the cost bound instead of being decoded again. Both must give exactly
what the long way gives."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from policygate.cel import cppast, get_backend
from policygate.message import Placeholder, split_template

ROOT = Path(__file__).resolve().parent.parent.parent

EXTRA = [
    "model.a > 1",
    "model.l.exists(x, x.b == 'c') && {'k': [1, 2u, -3, 4.5, b'x', null]}.size() > 0",
    "has(model.a.b) ? -9223372036854775808 : 18446744073709551615u",
    "model.a * 2 + model.b % 3 > string(model.c).size()",
    "timestamp(model.t) - timestamp('2026-01-01') < duration('2d')",
    "model.x > 9007199254740993 && model.s.matches('^a') && int(model.n) == size(model.l)",
    "[has(item.a.b), {'k': has(model.m.n)}, model.l.map(v, v * 1.5)]",
    "timestamp(has(model.a.b) ? 'x' : 'y')",
]


def _texts() -> list[str]:
    texts = set(EXTRA)
    for path in sorted((ROOT / "policies").rglob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            spec = (document or {}).get("spec") or {}
            for rule in spec.get("rules") or []:
                texts.update(rule[k] for k in ("check", "when", "for_each") if k in rule)
                if "message" in rule:
                    parts = split_template(rule["message"])
                    texts.update(p.text for p in parts if isinstance(p, Placeholder))
    return sorted(texts)


TEXTS = _texts()


@pytest.fixture(scope="module")
def env():
    return get_backend("cel-cpp")._env  # type: ignore[attr-defined]


def _without_raw(monkeypatch: pytest.MonkeyPatch) -> None:
    """Decode as before the shortcut: no node remembers its bytes."""
    decode = cppast._decode_expr
    monkeypatch.setattr(
        cppast, "_decode_expr", lambda data: dataclasses.replace(decode(data), raw=None)
    )


@pytest.mark.parametrize("text", TEXTS)
def test_rewrites_are_the_same_bytes_without_the_shortcut(env, text, monkeypatch):
    data = env.compile(text, disable_check=True).serialize()
    assert cppast.Parsed.decode(data).encode() == data
    fast = cppast.rewrite(data)
    with monkeypatch.context() as patched:
        _without_raw(patched)
        assert cppast.Parsed.decode(data).encode() == data
        assert cppast.rewrite(data) == fast


@pytest.mark.parametrize("text", TEXTS)
def test_the_tree_handed_on_is_the_tree_decoded(env, text):
    cppast._RECENT.clear()
    expression = env.compile(text, disable_check=True)
    rewritten = cppast.rewrite(expression.serialize())
    final = env.deserialize(rewritten) if rewritten is not None else expression
    data = final.serialize()
    assert cppast._split(data)[1] in cppast._RECENT
    assert cppast.read(data) == cppast.Parsed.decode(data).root
    assert cppast._split(data)[1] not in cppast._RECENT  # taken once
    assert cppast.read(data) == cppast.Parsed.decode(data).root  # then decoded
