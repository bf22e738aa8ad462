"""cel-spec's conformance tests, run through policygate's own CEL engine.

Two pytest items per in-scope test of each file in ``conformance_runner.FILES``:
through the public ``policygate.cel_evaluate`` and through the engine itself.
Tests that need protobuf message types are out of scope: each is listed by name
in :data:`OUT_OF_SCOPE` with the reason, and a test proves the list names real
tests that do need them. A known deviation is listed in :data:`DEVIATIONS`, and
its item asserts that the deviation still holds (so fixing it means updating
the list). ``bench/conformance.py`` prints the pass rate per file.
"""

from __future__ import annotations

import pytest
from conformance_runner import FILES, Case, OutOfScope, cases, run

from policygate.cel.lang import ast, parse

#: Tests that need protobuf message types (policygate evaluates YAML/JSON documents:
#: no message type exists to build, compare or select from), by name, with the reason.
BUILDS_MESSAGE = "builds a protobuf message (TestAllTypes, a wrapper, google.protobuf.Value)"
MESSAGE_VALUE = "expects a protobuf message value (TestAllTypes)"
USES_MESSAGE = "uses a protobuf message type"

OUT_OF_SCOPE: dict[str, str] = {
    "comparisons/eq_literal/eq_dyn_json_null": BUILDS_MESSAGE,
    "comparisons/eq_literal/not_eq_dyn_proto2_msg_null": BUILDS_MESSAGE,
    "comparisons/eq_literal/not_eq_dyn_proto3_msg_null": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_bool": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_bool_empty": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_bool_not_null": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_bool_proto2_null": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_bool_proto3_null": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_bytes": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_bytes_empty": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_bytes_not_null": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_bytes_proto2_null": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_bytes_proto3_null": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_double": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_double_empty": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_double_not_null": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_double_proto2_null": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_double_proto3_null": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_float": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_float_empty": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_float_not_null": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_float_proto2_null": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_float_proto3_null": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_int32": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_int32_empty": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_int32_not_null": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_int32_proto2_null": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_int32_proto3_null": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_int64": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_int64_empty": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_int64_not_null": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_int64_proto2_null": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_int64_proto3_null": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_string": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_string_empty": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_string_not_null": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_string_proto2_null": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_string_proto3_null": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_uint32": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_uint32_empty": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_uint32_not_null": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_uint32_proto2_null": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_uint32_proto3_null": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_uint64": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_uint64_empty": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_uint64_not_null": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_uint64_proto2_null": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_uint64_proto3_null": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_proto2": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_proto3": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_proto2_missing_fields_neq": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_proto3_missing_fields_neq": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_proto_nan_equal": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_proto_different_types": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_proto2_any_unpack_equal": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_proto2_any_unpack_not_equal": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_proto2_any_unpack_bytewise_fallback_not_equal": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_proto2_any_unpack_bytewise_fallback_equal": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_proto3_any_unpack_equal": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_proto3_any_unpack_not_equal": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_proto3_any_unpack_bytewise_fallback_not_equal": BUILDS_MESSAGE,
    "comparisons/eq_wrapper/eq_proto3_any_unpack_bytewise_fallback_equal": BUILDS_MESSAGE,
    "comparisons/ne_literal/ne_proto2": BUILDS_MESSAGE,
    "comparisons/ne_literal/ne_proto3": BUILDS_MESSAGE,
    "comparisons/ne_literal/ne_proto2_missing_fields_neq": BUILDS_MESSAGE,
    "comparisons/ne_literal/ne_proto3_missing_fields_neq": BUILDS_MESSAGE,
    "comparisons/ne_literal/ne_proto_nan_not_equal": BUILDS_MESSAGE,
    "comparisons/ne_literal/ne_proto_different_types": BUILDS_MESSAGE,
    "comparisons/ne_literal/ne_proto2_any_unpack": BUILDS_MESSAGE,
    "comparisons/ne_literal/ne_proto2_any_unpack_bytewise_fallback": BUILDS_MESSAGE,
    "comparisons/ne_literal/ne_proto3_any_unpack": BUILDS_MESSAGE,
    "comparisons/ne_literal/ne_proto3_any_unpack_bytewise_fallback": BUILDS_MESSAGE,
    "parse/nest/message_literal": BUILDS_MESSAGE,
    "parse/repeat/select": BUILDS_MESSAGE,
    "parse/repeat/message_literal": BUILDS_MESSAGE,
    "parse/whitespace/spaces": BUILDS_MESSAGE,
    "parse/whitespace/tabs": BUILDS_MESSAGE,
    "parse/whitespace/new_lines": BUILDS_MESSAGE,
    "parse/whitespace/new_pages": BUILDS_MESSAGE,
    "parse/whitespace/carriage_returns": BUILDS_MESSAGE,
    "parse/comments/new_line_terminated": BUILDS_MESSAGE,
    "parse/struct_field_names/as": MESSAGE_VALUE,
    "parse/struct_field_names/break": MESSAGE_VALUE,
    "parse/struct_field_names/const": MESSAGE_VALUE,
    "parse/struct_field_names/continue": MESSAGE_VALUE,
    "parse/struct_field_names/else": MESSAGE_VALUE,
    "parse/struct_field_names/for": MESSAGE_VALUE,
    "parse/struct_field_names/function": MESSAGE_VALUE,
    "parse/struct_field_names/if": MESSAGE_VALUE,
    "parse/struct_field_names/import": MESSAGE_VALUE,
    "parse/struct_field_names/let": MESSAGE_VALUE,
    "parse/struct_field_names/loop": MESSAGE_VALUE,
    "parse/struct_field_names/package": MESSAGE_VALUE,
    "parse/struct_field_names/namespace": MESSAGE_VALUE,
    "parse/struct_field_names/return": MESSAGE_VALUE,
    "parse/struct_field_names/var": MESSAGE_VALUE,
    "parse/struct_field_names/void": MESSAGE_VALUE,
    "parse/struct_field_names/while": MESSAGE_VALUE,
    "string_ext/format_errors/object not allowed": BUILDS_MESSAGE,
    "string_ext/format_errors/object inside list": BUILDS_MESSAGE,
    "string_ext/format_errors/object inside map": BUILDS_MESSAGE,
    "optionals/optionals/has_optional_ofNonZeroValue_struct_optional_ofNonZeroValue_map_optindex_field": BUILDS_MESSAGE,  # noqa: E501
    "optionals/optionals/optional_ofNonZeroValue_struct_optional_ofNonZeroValue_map_optindex_field": BUILDS_MESSAGE,  # noqa: E501
    "optionals/optionals/struct_map_optindex_field": BUILDS_MESSAGE,
    "optionals/optionals/struct_optional_ofNonZeroValue_map_optindex_field": BUILDS_MESSAGE,
    "optionals/optionals/struct_map_optindex_field_nested": BUILDS_MESSAGE,
    "optionals/optionals/struct_list_optindex_field": BUILDS_MESSAGE,
    "optionals/optionals/empty_struct_optindex_hasValue": BUILDS_MESSAGE,
    "optionals/optionals/optional_empty_struct_optindex_hasValue": BUILDS_MESSAGE,
    "optionals/optionals/struct_optindex_value": BUILDS_MESSAGE,
    "optionals/optionals/optional_struct_optindex_value": BUILDS_MESSAGE,
    "optionals/optionals/optional_struct_optindex_index_value": BUILDS_MESSAGE,
}

#: In-scope tests policygate's engine does not pass, with the reason.
DEVIATIONS: dict[str, str] = {
    "string_ext/format/map support (all key types)": (
        "maps are Python dicts, which cannot hold both the key true and the key 1 "
        "(True == 1 in Python): {1: 'a', true: 'b'} is refused with an error. Documents "
        "from YAML/JSON only have string keys."
    ),
}

ALL_CASES = [case for file in FILES for case in cases(file)]
IN_SCOPE = [case for case in ALL_CASES if case.id not in OUT_OF_SCOPE]


@pytest.mark.parametrize("public", [True, False], ids=["cel_evaluate", "engine"])
@pytest.mark.parametrize("case", IN_SCOPE, ids=[case.id for case in IN_SCOPE])
def test_conformance(case: Case, public: bool) -> None:
    """Through ``policygate.cel_evaluate`` (Python values in and out), and through
    the engine with its own values (a timestamp's nanoseconds, uint, optional)."""
    outcome = run(case, public)
    if case.id in DEVIATIONS:
        assert not outcome.passed, f"{case.id} passes now: remove it from DEVIATIONS"
    else:
        assert outcome.passed, outcome.detail


def _builds_message(expr: str) -> bool:
    try:
        tree = parse(expr)
    except Exception:
        return False
    stack: list[ast.Node] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.MessageExpr):
            return True
        stack.extend(ast.children(node))
    return False


def test_out_of_scope_tests_exist_and_need_messages() -> None:
    by_id = {case.id: case for case in ALL_CASES}
    assert set(OUT_OF_SCOPE) <= set(by_id), set(OUT_OF_SCOPE) - set(by_id)
    for name in OUT_OF_SCOPE:
        case = by_id[name]
        expr = case.test["expr"][0].text
        try:
            run(case)
            needs_messages = (
                _builds_message(expr) or "TestAllTypes" in expr or ("google.protobuf." in expr)
            )
        except OutOfScope:
            needs_messages = True
        assert needs_messages, f"{name} is listed out of scope but needs no message type"


def test_every_other_test_is_in_scope() -> None:
    """A test that needs messages must be listed, never skipped without a name."""
    for case in IN_SCOPE:
        try:
            run(case)
        except OutOfScope as error:  # pragma: no cover - the failure message names it
            pytest.fail(f"{case.id} needs {error}: list it in OUT_OF_SCOPE")


def test_pass_rate_is_at_least_99_percent_in_every_file() -> None:
    for file in FILES:
        mine = [case for case in IN_SCOPE if case.file == file]
        passed = sum(run(case).passed for case in mine)
        rate = passed / len(mine)
        print(f"{file}: {passed}/{len(mine)} = {rate:.2%}")
        assert rate >= 0.99, f"{file}: {passed}/{len(mine)} in-scope tests pass"
