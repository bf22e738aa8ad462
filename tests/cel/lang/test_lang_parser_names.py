"""The names the checker knows: the strings extension is registered in
:mod:`policygate.cel.lang.library` (names and argument counts) and imported when one
of its functions is first called; each registered function is the module's."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from policygate.cel.lang import library, strings_ext
from policygate.cel.lang.errors import EvalError


def test_the_strings_extension_is_registered_as_written() -> None:
    assert library.STRINGS_EXT.keys() == strings_ext.STRINGS_EXT.keys()
    for name, (_, arities) in strings_ext.STRINGS_EXT.items():
        assert library.FUNCTIONS[name][1] == arities
        assert library.STRINGS_EXT[name][1] == arities


_args = st.one_of(
    st.text(alphabet="aB c%sd,.-", max_size=6),
    st.integers(min_value=-3, max_value=8),
    st.lists(st.text(alphabet="ab,", max_size=3), max_size=3),
    st.none(),
)


def _outcome(function: Any, args: list[Any]) -> tuple[str, Any]:
    try:
        return "value", function(*args)
    except EvalError as error:
        return "error", (error.message, error.kind)
    except TypeError as error:
        return "type", str(error)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(strings_ext.STRINGS_EXT)), st.data())
def test_each_registered_function_is_the_extension_one(name: str, data: st.DataObject) -> None:
    """Called through the library's table (first call or later), the same value or
    the same error as the extension's own function, for every argument count."""
    real, arities = strings_ext.STRINGS_EXT[name]
    count = data.draw(st.sampled_from(sorted(arities | {max(arities) + 1})))
    args = data.draw(st.lists(_args, min_size=count, max_size=count))
    assert _outcome(library.STRINGS_EXT[name][0], args) == _outcome(real, args)


def test_a_policy_without_string_functions_does_not_import_them() -> None:
    code = (
        "import sys\n"
        "from policygate.cel import lang\n"
        "assert lang.evaluate('[1, 2].exists(x, x > 1) && \"ab\".startsWith(\"a\")')\n"
        "assert 'policygate.cel.lang.strings_ext' not in sys.modules\n"
        "print(lang.evaluate(\"'AbC'.lowerAscii() + 'a,b'.split(',')[1] + '%d'.format([7])\"))\n"
        "assert 'policygate.cel.lang.strings_ext' in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "abcb7\n"
