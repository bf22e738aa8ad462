"""Adding an approval to a record file changes only the lines of the new approval."""

from __future__ import annotations

import json

import pytest
from approvals_support import CREDIT_DEFAULT

from policygate.approvals.record_text import add_approval
from policygate.documents import load_text
from policygate.errors import UsageError

APPROVAL = {
    "role": "model-risk-officer",
    "approver": "bob@example.com",
    "decision": "approved",
    "granted_at": "2026-11-20T00:00:00Z",
    "note": "yes: on 2026-01-01",
    "signature": {"algorithm": "ed25519", "value": "ab+/=="},
}
BLOCK = """\
- role: model-risk-officer
  approver: bob@example.com
  decision: approved
  granted_at: '2026-11-20T00:00:00Z'
  note: 'yes: on 2026-01-01'
  signature:
    algorithm: ed25519
    value: ab+/==
"""


def indent(text: str, column: int) -> str:
    return "".join(" " * column + line for line in text.splitlines(True))


def approvals_of(text: str) -> list:
    return load_text(text, "m.yaml")[0].data["spec"]["approvals"]


def test_after_the_last_approval_keeping_comments_and_layout():
    text = CREDIT_DEFAULT.read_text()
    new = add_approval(text, "m.yaml", APPROVAL)
    before, _, after = text.partition("  risks: [R-DISCRIMINATION, R-DRIFT]\n")
    assert new == before + indent(BLOCK, 4) + "  risks: [R-DISCRIMINATION, R-DRIFT]\n" + after
    assert approvals_of(new)[-1] == APPROVAL


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a list at the key's own indentation, a comment after it that belongs to what follows
        (
            "spec:\n  approvals:\n  - {role: a}   # first\n\n  # risks next\n  risks: []\n",
            "spec:\n  approvals:\n  - {role: a}   # first\n" + indent(BLOCK, 2)
            + "\n  # risks next\n  risks: []\n",
        ),
        # no approvals yet: a new key at the end of spec
        (
            "metadata: {name: m}\nspec:\n    task: x\n    metrics:\n      auc: 0.9\n# end\n",
            "metadata: {name: m}\nspec:\n    task: x\n    metrics:\n      auc: 0.9\n"
            "    approvals:\n" + indent(BLOCK, 4) + "# end\n",
        ),
        # an empty flow list, with a comment
        (
            "spec:\n  approvals: []   # none yet\n  risks: []\n",
            "spec:\n  approvals:   # none yet\n" + indent(BLOCK, 4) + "  risks: []\n",
        ),
        # an empty value
        (
            "spec:\n  approvals:\n  risks: []\n",
            "spec:\n  approvals:\n" + indent(BLOCK, 4) + "  risks: []\n",
        ),
        # no spec at all, and no final newline
        ("metadata: {name: m}", "metadata: {name: m}\nspec:\n  approvals:\n" + indent(BLOCK, 2)),
        # a block scalar as the last value of the last approval
        (
            "spec:\n  approvals:\n    - note: |\n        line one\n        line two\n\nrisks: []\n",
            "spec:\n  approvals:\n    - note: |\n        line one\n        line two\n"
            + indent(BLOCK, 4) + "\nrisks: []\n",
        ),
        # a block scalar that keeps its trailing blank line: the approval goes after it
        (
            "spec:\n  approvals:\n    - note: |+\n        kept\n\nrisks: []\n",
            "spec:\n  approvals:\n    - note: |+\n        kept\n\n" + indent(BLOCK, 4)
            + "risks: []\n",
        ),
    ],
)  # fmt: skip
def test_layouts(text, expected):
    new = add_approval(text, "m.yaml", APPROVAL)
    assert new == expected
    assert approvals_of(new)[-1] == APPROVAL


@pytest.mark.parametrize(
    "text", ["spec: {task: x}  # flow\n", "spec: {}\nrisks: []\n", "spec:\nrisks: []\n"]
)
def test_a_flow_or_empty_spec_is_rewritten_as_a_block(text):
    new = add_approval(text, "m.yaml", APPROVAL)
    assert new.startswith("spec:")
    assert approvals_of(new) == [APPROVAL]
    assert "\n  approvals:\n  - role: model-risk-officer\n" in new


def test_a_flow_list_with_items_is_rewritten_as_a_block():
    new = add_approval("spec:\n  approvals: [{role: a}]\n", "m.yaml", APPROVAL)
    assert approvals_of(new) == [{"role": "a"}, APPROVAL]


def test_json_records_stay_json():
    text = json.dumps({"metadata": {"name": "m"}, "spec": {"approvals": []}})
    new = add_approval(text, "m.json", APPROVAL)
    assert json.loads(new) == {"metadata": {"name": "m"}, "spec": {"approvals": [APPROVAL]}}
    assert new.endswith("}\n") and new.count("\n") > 5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\n---\nb: 2\n", "m.yaml: holds 2 documents; use --attestation PATH"),
        ("spec: 3\n", "m.yaml: the record has no spec mapping"),
        ("spec:\n  approvals: {a: 1}\n", "m.yaml: spec.approvals is not a list"),
        (
            "spec:\n  approvals: [\n    {role: a}]\n",
            "m.yaml: cannot re-write a multi-line flow collection",
        ),
        ("--- {spec: {approvals: []}}\n", "m.yaml: the record is not a block mapping"),
    ],
)
def test_what_cannot_be_edited_is_refused(text, message):
    with pytest.raises(UsageError) as caught:
        add_approval(text, "m.yaml", APPROVAL)
    assert str(caught.value).startswith(message)
