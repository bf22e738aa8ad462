"""Reading values: fields of maps (``a.b``, ``a.?b``, ``has(a.b)``), indexes
(``l[0]``, ``m[k]``, ``m[?k]``) and entries of a map being built."""

from __future__ import annotations

from policygate.cel.lang.activation import Activation, Closure, Value
from policygate.cel.lang.equality import is_missing, map_lookup
from policygate.cel.lang.errors import EvalError, quoted
from policygate.cel.lang.values import NONE, Optional, Uint, no_overload, type_name

_MISSING = object()


#: What subscripting a value that is no map with a field's name raises: every CEL
#: value but ``dict`` (a list, a string, a number, null, Timestamp, Optional...)
#: refuses a string subscript with a TypeError, and a map without the key raises
#: KeyError. So ``v[a][b]`` that raises neither walked maps only, and is the value
#: the checked walk gives; either error sends the path to the checked walk, which
#: raises the node's own error (or selects on an Optional).
_NOT_THERE = (KeyError, TypeError)


def field_path(operand: Closure, fields: tuple[str, ...]) -> Closure:
    """``x.a.b.c`` in one closure: the commonest shape of a rule reads a document path."""

    def path(act: Activation) -> Value:
        start = value = operand(act)
        try:
            for field in fields:
                value = value[field]
        except _NOT_THERE:
            return _walk(start, fields)
        return value

    return path


def _walk(value: Value, fields: tuple[str, ...]) -> Value:
    """``value.f1.f2...`` node by node: each map's field, or the select's error."""
    for field in fields:
        if type(value) is dict:
            try:
                value = value[field]
            except KeyError:
                raise EvalError(f"no such key: '{field}'", "no_such_key") from None
        else:
            value = select_field(value, field)
    return value


def variable_path(
    name: str, fields: tuple[str, ...], unbound: Closure, test: str | None = None
) -> Closure:
    """``name.a.b`` (``has(name.a.b)`` with ``test="b"``) read from the variable
    ``name`` in one closure, with :func:`field_path`'s errors; ``unbound`` is the
    variable's own closure, for when it is not bound (its error, or a type's name).

    A path of maps is read by subscripts alone (see ``_NOT_THERE``); anything else
    (a missing key, a value that is no map, an unbound variable) is walked node by
    node, which gives the value or the error the nodes give."""

    def checked(act: Activation) -> Value:
        try:
            value = act.variables[name]
        except KeyError:
            value = unbound(act)
        value = _walk(value, fields)
        if test is None:
            return value
        if type(value) is dict:
            return test in value
        return has_field(value, test)

    if test is not None:  # has(): the last value must be a map ("b" in "abc" is True)

        def has(act: Activation) -> Value:
            try:
                value = act.variables[name]
                for field in fields:
                    value = value[field]
            except _NOT_THERE:
                return checked(act)
            if type(value) is dict:
                return test in value
            return checked(act)

        return has
    if len(fields) == 1:
        (first,) = fields

        def path1(act: Activation) -> Value:
            try:
                return act.variables[name][first]
            except _NOT_THERE:
                return checked(act)

        return path1
    if len(fields) == 2:
        first, second = fields

        def path2(act: Activation) -> Value:
            try:
                return act.variables[name][first][second]
            except _NOT_THERE:
                return checked(act)

        return path2
    if len(fields) == 3:
        first, second, third = fields

        def path3(act: Activation) -> Value:
            try:
                return act.variables[name][first][second][third]
            except _NOT_THERE:
                return checked(act)

        return path3

    def path(act: Activation) -> Value:
        try:
            value = act.variables[name]
            for field in fields:
                value = value[field]
        except _NOT_THERE:
            return checked(act)
        return value

    return path


def local_field(name: str, field: str) -> Closure:
    """``x.a`` for a loop variable ``x`` in one closure (``a.role`` in ``exists``)."""

    def select(act: Activation) -> Value:
        value = act.locals[name]
        try:
            return value[field]
        except _NOT_THERE:
            return _walk(value, (field,))

    return select


def has_field(value: Value, field: str) -> bool:
    if type(value) is Optional:
        return value.has and has_field(value.value, field)
    if type(value) is dict:
        return field in value
    raise EvalError(
        f"type '{type_name(value)}' does not support field selection", "no_matching_overload"
    )


def select_field(value: Value, field: str) -> Value:
    if type(value) is Optional:
        return optional_select(value, field)
    raise EvalError(
        f"type '{type_name(value)}' does not support field selection", "no_matching_overload"
    )


def optional_select(value: Value, field: str) -> Optional:
    if type(value) is Optional:
        if not value.has:
            return NONE
        value = value.value
    if type(value) is dict:
        found = value.get(field, _MISSING)
        return NONE if found is _MISSING else Optional(True, found)
    raise EvalError(
        f"type '{type_name(value)}' does not support field selection", "no_matching_overload"
    )


def index(container: Value, key: Value) -> Value:
    kind = type(container)
    if kind is list or kind is tuple:
        tk = type(key)
        if tk is int or tk is Uint or tk is float and key.is_integer():
            position = int(key)
        else:
            raise no_overload("_[_]", container, key)
        if position < 0 or position >= len(container):
            raise EvalError(f"index out of range: {position}", "index_out_of_bounds")
        return container[position]
    if kind is dict:
        found = map_lookup(container, key)
        if is_missing(found):
            raise EvalError(f"no such key: {quoted(key)}", "no_such_key")
        return found
    if kind is Optional:
        return optional_index(container, key)
    raise no_overload("_[_]", container, key)


def optional_index(container: Value, key: Value) -> Optional:
    if type(container) is Optional:
        if not container.has:
            return NONE
        container = container.value
    kind = type(container)
    if kind is dict:
        found = map_lookup(container, key)
        return NONE if is_missing(found) else Optional(True, found)
    if kind is list or kind is tuple:
        tk = type(key)
        if tk is not int and tk is not Uint:
            raise no_overload("_[?_]", container, key)
        if 0 <= key < len(container):
            return Optional(True, container[key])
        return NONE
    raise no_overload("_[?_]", container, key)


def insert_entry(out: dict[Value, Value], key: Value, value: Value) -> None:
    """``out[key] = value`` for a map being built: a repeated key is CEL's error.

    A Python dict cannot hold both ``true`` and ``1`` (or ``false`` and ``0``):
    they are one key to it. Such a map is refused rather than silently merged.
    """
    if not is_missing(map_lookup(out, key)):
        raise EvalError(f"Failed with repeated key: {quoted(key)}", "repeated_key")
    if key in out:
        raise EvalError(
            f"a map cannot hold both the keys {quoted(key)} and {quoted(_collision(out, key))}",
            "unsupported",
        )
    out[key] = value


def _collision(out: dict[Value, Value], key: Value) -> Value:
    return next(k for k in out if k == key)
