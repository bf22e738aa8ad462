"""``log show`` prints what a decision log holds, and none of it raw (issue 14).

A decision log is a file anyone with write access can edit; whatever its
entries hold (model names, versions, stages, policy and waiver names, failed
rule labels, times), the lines ``log show`` prints carry no control,
bidirectional or format character and no line separator: each is escaped.
"""

from __future__ import annotations

import json
import tempfile
import unicodedata
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from policygate.cli import main

JOINERS = "\u200c\u200d"
PICKS = [chr(c) for c in range(0x20)] + list(
    "\x7f\x85\x9b\u2028\u2029\ufeff\u200b\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2066\u2067\u2068\u2069\ud800\udfff"
) + ["\x1b[2J", "\x1b]0;x\x07", "\r\n", "line 2  ", "PASSED"]  # fmt: skip
TEXT = st.lists(
    st.one_of(st.sampled_from(PICKS), st.characters(blacklist_categories=())), max_size=10
).map("".join)


def unsafe(output: str) -> list[str]:
    return [
        c
        for c in output
        if (unicodedata.category(c) == "Cc" and c != "\n")
        or unicodedata.category(c) in ("Zl", "Zp", "Cs")
        or (unicodedata.category(c) == "Cf" and c not in JOINERS)
    ]


def _entry(t: list[str]) -> dict:
    return {
        "time": t[0],
        "now": t[1],
        "model": {
            "name": t[2].replace("@", ""),
            "version": t[3],
            "stage": t[4],
            "target_stage": t[5] or "x",
        },
        "passed": False,
        "policies": [{"name": t[6], "version": t[7], "digest": t[8], "applicable": True}],
        "failed": [t[9], t[10]],
        "waivers": [{"name": t[11], "expires_at": t[12], "expired": False}],
    }


@settings(max_examples=100, deadline=None)
@given(st.lists(TEXT, min_size=13, max_size=13))
def test_log_show_prints_no_unsafe_character(texts):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "decisions.jsonl"
        # ensure_ascii: the file is plain ASCII, a lone surrogate an escape in it
        path.write_text(json.dumps(_entry(texts)) + "\n")
        for extra in ([], ["--model", texts[2].replace("@", "")]):  # NAME[@VERSION]
            result = CliRunner().invoke(main, ["log", "show", str(path), *extra])
            assert result.exit_code == 0, result.output
            assert unsafe(result.output) == []
            # one entry: its head line, its policies, failed, waivers, and the count
            assert len(result.output.splitlines()) == 5
