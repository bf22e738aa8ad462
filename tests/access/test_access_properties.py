"""Laws of authorize: the rules see one shape of request, and more rules never allow more."""

from __future__ import annotations

from dataclasses import replace

import jsonschema
from access_support import NOW, POLICIES, record
from hypothesis import given, settings
from hypothesis import strategies as st

from policygate import authorize, load_access_policies
from policygate.access import normalize_request
from policygate.policy import ACTIONS
from policygate.timestamps import parse_timestamp
from policygate.validation import shipped_schema

PACK = load_access_policies([POLICIES / "access"])[0]
RECORD = record()
NAMES = st.sampled_from(["champion", "production", "challenger", "policygate.decision", "team",
                         "Production", "staging", ""])  # fmt: skip
ACTORS = st.sampled_from(["rita@example.com", "alice.moreau@example.com",
                          "bob.lindqvist@example.com", "policygate"])  # fmt: skip


@st.composite
def requests(draw: st.DrawFn) -> dict:
    action = draw(st.sampled_from(ACTIONS))
    name = draw(NAMES) or "x"
    target = {"model": "credit-default", "version": draw(st.sampled_from(["3.1.0", "1"])),
              "alias": name, "stage": name, "new_name": name, "tag": {"key": name},
              "aliases": draw(st.lists(NAMES.filter(bool), max_size=3))}  # fmt: skip
    actor = {"name": draw(ACTORS), "authenticated": draw(st.booleans()),
             "gate": draw(st.booleans()),
             "roles": draw(st.lists(st.sampled_from(["release-manager", "ml-engineer"]),
                                    max_size=2))}  # fmt: skip
    protected = {"aliases": draw(st.lists(NAMES.filter(bool), max_size=2)),
                 "stages": draw(st.lists(st.sampled_from(["Production", "Staging"]),
                                         max_size=2))}  # fmt: skip
    return {"action": action, "actor": actor, "target": target, "protected": protected}


@given(requests())
def test_every_normalized_request_has_the_shipped_shape(request):
    normalized = normalize_request(request, now=parse_timestamp(NOW), trust_request_roles=True)
    jsonschema.validate(normalized, shipped_schema("AccessRequest"))


@settings(max_examples=60, deadline=None)
@given(requests(), st.data())
def test_more_rules_never_allow_more(request, data):
    rules = PACK.rules
    larger = data.draw(st.lists(st.sampled_from(range(len(rules))), unique=True, min_size=1))
    smaller = data.draw(st.lists(st.sampled_from(larger), unique=True, min_size=1))

    def allowed(indexes: list[int]) -> bool:
        policy = replace(PACK, rules=tuple(rules[i] for i in sorted(indexes)))
        return authorize(request, access_policies=[policy], model=RECORD, now=NOW,
                         trust_request_roles=True).allowed  # fmt: skip

    if allowed(larger):
        assert allowed(smaller)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),  # fmt: skip
    max_leaves=12,
)
FIELDS = st.sampled_from(["action", "actor", "target", "registry", "time", "protected",
                          "context", "name", "roles", "model", "alias", "tag", "gate"])  # fmt: skip


@st.composite
def hostile_requests(draw: st.DrawFn) -> object:
    """A request with any JSON in any place: a valid one with parts replaced, or noise."""
    if draw(st.booleans()):
        return draw(JSON)
    base = draw(requests())
    for _ in range(draw(st.integers(1, 3))):
        # a part replaced before may be no mapping any more: only mappings hold fields
        holders = [h for h in (base, base.get("actor"), base.get("target")) if isinstance(h, dict)]
        holder = draw(st.sampled_from(holders))
        holder[draw(FIELDS)] = draw(JSON)
    return base


@settings(max_examples=150, deadline=None)
@given(hostile_requests())
def test_any_request_is_a_decision_or_a_usage_error_never_a_crash(request):
    from policygate import PolicygateError

    try:
        decision = authorize(request, access_policies=[PACK], model=RECORD, now=NOW)
    except PolicygateError:
        return
    assert decision.allowed in (True, False)
    if decision.allowed:  # nothing is allowed that a rule of the pack could not decide
        assert all(r.status.value in ("pass", "skip") for r in decision.results)
