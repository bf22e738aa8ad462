"""``log show`` prints what a decision log holds, and none of it raw (issue 14).

A decision log is a file anyone with write access can edit; whatever its
entries hold (model names, versions, stages, policy and waiver names, failed
rule labels, times), the lines ``log show`` prints carry no control,
bidirectional or format character and no line separator: each is escaped.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from hostile_text import hostile_text, unsafe
from policygate.cli import main

TEXT = hostile_text("line 2  ", "PASSED")


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
