"""Reading values: fields of maps (``a.b``, ``a.?b``, ``has(a.b)``), indexes
(``l[0]``, ``m[k]``, ``m[?k]``) and entries of a map being built."""

from __future__ import annotations

from policygate.cel.lang.activation import Activation, Closure, Value
from policygate.cel.lang.equality import is_missing, map_lookup
from policygate.cel.lang.errors import EvalError
from policygate.cel.lang.values import NONE, Optional, Uint, no_overload, type_name

_MISSING = object()


def field_path(operand: Closure, fields: tuple[str, ...]) -> Closure:
    """``x.a.b.c`` in one closure: the commonest shape of a rule reads a document path."""

    def path(act: Activation) -> Value:
        value = operand(act)
        for field in fields:
            if type(value) is dict:
                try:
                    value = value[field]
                except KeyError:
                    raise EvalError(f"no such key: '{field}'", "no_such_key") from None
            else:
                value = select_field(value, field)
        return value

    return path


def variable_path(
    name: str, fields: tuple[str, ...], unbound: Closure, test: str | None = None
) -> Closure:
    """``name.a.b`` (``has(name.a.b)`` with ``test="b"``) read from the variable
    ``name`` in one closure, with :func:`field_path`'s errors; ``unbound`` is the
    variable's own closure, for when it is not bound (its error, or a type's name)."""

    def path(act: Activation) -> Value:
        try:
            value = act.variables[name]
        except KeyError:
            value = unbound(act)
        for field in fields:
            if type(value) is dict:
                try:
                    value = value[field]
                except KeyError:
                    raise EvalError(f"no such key: '{field}'", "no_such_key") from None
            else:
                value = select_field(value, field)
        if test is None:
            return value
        if type(value) is dict:
            return test in value
        return has_field(value, test)

    return path


def local_field(name: str, field: str) -> Closure:
    """``x.a`` for a loop variable ``x`` in one closure (``a.role`` in ``exists``)."""

    def select(act: Activation) -> Value:
        value = act.locals[name]
        if type(value) is dict:
            try:
                return value[field]
            except KeyError:
                raise EvalError(f"no such key: '{field}'", "no_such_key") from None
        return select_field(value, field)

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
            raise EvalError(f"no such key: {key!r}", "no_such_key")
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
        raise EvalError(f"Failed with repeated key: {key!r}", "repeated_key")
    if key in out:
        raise EvalError(
            f"a map cannot hold both the keys {key!r} and {_collision(out, key)!r}",
            "unsupported",
        )
    out[key] = value


def _collision(out: dict[Value, Value], key: Value) -> Value:
    return next(k for k in out if k == key)
