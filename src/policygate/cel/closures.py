"""celpy's parse tree, compiled once per expression into a tree of Python closures.

celpy's interpreter (:class:`celpy.evaluation.Evaluator`) walks the lark parse
tree on every evaluation: a ``getattr`` dispatch, a ``visit_children`` list and
a method call for every node, nine of them for a lone ``x`` (``expr`` >
``conditionalor`` > ... > ``primary``). This module walks the tree once, when a
rule is loaded, and builds a closure per node that does what the interpreter's
method for that node does, with the children's closures in place of the
visits. The chains of one-child nodes disappear; no Python source is ever
generated, compiled or executed (a policy file is untrusted).

Same semantics, to the letter, as the metered interpreter of :mod:`.celpython`:

- the same values, and the same :class:`~celpy.evaluation.CELEvalError` values
  (same arguments, same ``tree`` or ``token``), so :func:`.celpython.describe_error`
  says the same thing; the same Python exceptions escape from the same places
  and are caught by the same handlers (a ``TypeError`` from inside a ``?:``
  branch or a map literal, a ``CELEvalError`` raised by a ``map()`` step);
- the same function table (``FUNCTIONS`` over celpy's ``base_functions``), so
  the operators charge for the sizes of their operands as before;
- the same cost units, charged at the same points: the interpreter charges one
  unit when it enters a node and :data:`ITERATION_UNITS` when it starts a macro
  step. Between two of its charges there is often nothing but *quiet* work, work
  that can neither fail nor charge (looking a name up, selecting a field, a
  literal), and moving a charge earlier across quiet work changes nothing that
  can be observed. So each closure is compiled with its *lead*: the units the
  interpreter charges, in its order, from entering the node up to the node's
  first loud event (a function or operator call, a macro, anything that may
  charge or raise); the caller charges the lead (merged with its own) before it
  calls the closure, and a closure charges a later child's lead itself, after a
  loud sibling. A comparison of two fields is one charge; the meter sees the
  same units in the same order relative to every operation that can charge or
  fail, so ``spent`` is always what the interpreter's would be, and a budget
  stops an evaluation at the same operation.

A tree this module does not handle (protobuf message construction, a leading
``.``, a macro of an odd shape, a tree too deep to compile) raises
:class:`Unsupported`; the caller then uses celpy's interpreter for that
expression.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Mapping, Sequence
from functools import reduce
from typing import Any, NamedTuple

import lark
from celpy import celtypes
from celpy.evaluation import (
    Activation,
    CELEvalError,
    Evaluator,
    NameContainer,
    eval_error,
)

METER = "@meter"
"""The key of the evaluation's :class:`~.budget.Meter` in a closure's variables
(never a CEL identifier)."""

ITERATION_UNITS = 5
"""Units per step of a macro (celpy copies the variables for each element)."""

MAX_DEPTH = 200
"""The deepest tree compiled. celpy's interpreter recurses four to six Python frames
per node and fails with a ``RecursionError`` somewhere past 400 nodes deep, where a
closure would not: a deeper tree is left to the interpreter, so that it fails the
same way (no real rule comes near: the shipped rules are under 40 deep)."""

MACROS = frozenset({"map", "filter", "all", "exists", "exists_one", "reduce", "min"})

Env = dict[str, Any]
Closure = Callable[[Env], Any]

_RELATIONS = {
    "relation_lt": "_<_", "relation_le": "_<=_", "relation_ge": "_>=_", "relation_gt": "_>_",
    "relation_eq": "_==_", "relation_ne": "_!=_", "relation_in": "_in_",
}  # fmt: skip
_ADDITIONS = {"addition_add": "_+_", "addition_sub": "_-_"}
_MULTIPLICATIONS = {
    "multiplication_div": "_/_", "multiplication_mul": "_*_", "multiplication_mod": "_%_",
}  # fmt: skip
_UNARIES = {"unary_not": "!_", "unary_neg": "-_"}

_AND: Callable[[Any, Any], Any] = eval_error("no such overload", TypeError)(celtypes.logical_and)
_OR: Callable[[Any, Any], Any] = eval_error("no such overload", TypeError)(celtypes.logical_or)

_MapType = celtypes.MapType
_ListType = celtypes.ListType
_BoolType = celtypes.BoolType
_FALSE = celtypes.BoolType(False)  # celtypes values are immutable: one of each will do
_TRUE = celtypes.BoolType(True)
_dict_getitem = dict.__getitem__


class Compiled(NamedTuple):
    """A node's closure; its lead (units the caller charges before calling it); whether
    all its work is quiet (then the lead is all it costs and it charges nothing)."""

    closure: Closure
    lead: int
    quiet: bool


class Unsupported(Exception):
    """A tree this compiler leaves to celpy's interpreter."""


def _error(message: Any, ex: BaseException, tree: Any = None, token: Any = None) -> CELEvalError:
    value = CELEvalError(message, ex.__class__, ex.args, tree=tree, token=token)
    value.__cause__ = ex
    return value


def _no_overload(op: str, operands: tuple[Any, ...], ex: BaseException, tree: Any) -> CELEvalError:
    """celpy's words for an operator that has no overload for its operands' types."""
    types = ", ".join(str(type(operand)) for operand in operands)
    return _error(f"found no matching overload for {op} applied to '({types})'", ex, tree=tree)


def not_iterable(value: Any, tree: Any) -> CELEvalError:
    """A macro over anything but a list or a map (Python would iterate a string's
    characters): the error itself when it is one, else no such overload."""
    if isinstance(value, CELEvalError):
        return value
    kind = type(value).__name__.replace("Type", "").lower()
    return _error("no such overload", TypeError(f"a macro needs a list or a map, got {kind}"),
                  tree=tree)  # fmt: skip


class Compiler:
    """Compiles the trees of one celpy :class:`~celpy.Runner` (its function table,
    its environment's names). ``calls`` maps a function of the table to one that a
    call ``f(...)`` may use instead (it must return what the function returns and
    raise what it raises); the name ``f`` still stands for the function itself."""

    def __init__(self, runner: Any, calls: Mapping[Any, Callable[..., Any]] | None = None) -> None:
        self._runner = runner
        self._calls = dict(calls or {})
        base = runner.new_activation()
        self.functions: collections.ChainMap[str, Any] = base.functions
        # Names the environment declares (``google``, for the protobuf wrapper
        # types): a NameContainer, whatever variable has the same name.
        self._containers = {
            name: referent.container
            for name, referent in base.identifiers.items()
            if referent.container is not None
        }
        self._annotations = set(base.identifiers)
        self._literal = Evaluator(ast=lark.Tree("expr", []), activation=base).literal

    # ------------------------------------------------------------------ entry

    def compile(self, ast: Any) -> Callable[[Mapping[str, Any], Any], Any]:
        """A function of (variables, meter) that does what the metered interpreter's
        ``evaluate(variables)`` does. Raises :class:`Unsupported`."""
        if _depth(ast) > MAX_DEPTH:
            raise Unsupported("too deep")
        try:
            body, lead, _ = self._node(ast)
        except RecursionError:
            raise Unsupported("too deep") from None
        units = ITERATION_UNITS + lead  # evaluate(context) starts with set_activation

        def run(variables: Mapping[str, Any], meter: Any) -> Any:
            meter.charge(units)
            env = dict(variables)
            env[METER] = meter
            value = body(env)
            if isinstance(value, CELEvalError):
                raise value
            return value

        return run

    def activation(self, env: Env) -> Activation:
        """The interpreter's activation for these variables (for the messages that
        print it)."""
        activation = self._runner.new_activation().clone()
        activation.identifiers.load_values({k: v for k, v in env.items() if k != METER})
        return activation

    # ------------------------------------------------------------------ dispatch

    def _node(self, tree: Any) -> Compiled:
        """The closure of ``tree``, whose lead includes the unit of ``tree`` itself."""
        if not isinstance(tree, lark.Tree):
            raise Unsupported(f"token {tree!r} where a tree was expected")
        method = getattr(self, "_" + str(tree.data), None)
        if method is None:
            raise Unsupported(str(tree.data))
        compiled: Compiled = method(tree)
        return compiled

    def _only_child(self, tree: Any) -> Compiled:
        """A node that evaluates its one child and returns its value (quiet itself)."""
        if len(tree.children) != 1:
            raise Unsupported(f"bad {tree.data} node")
        closure, lead, quiet = self._node(tree.children[0])
        return Compiled(closure, 1 + lead, quiet)

    @staticmethod
    def _charged(compiled: Compiled) -> Closure:
        """The closure, charging its lead first (where the interpreter's path forks)."""
        closure, units, _ = compiled

        def charged(env: Env) -> Any:
            env[METER].charge(units)
            return closure(env)

        return charged

    def _sequence(self, trees: Sequence[Any]) -> tuple[list[Closure], int, bool]:
        """Children evaluated one after the other: their closures (each child after a
        loud one charging the leads up to the next loud one), the lead of the first
        (the leads up to the first loud child), whether all are quiet."""
        compiled = [self._node(tree) for tree in trees]
        closures: list[Closure] = []
        first = 0
        after_loud: int | None = None  # index in closures of the segment's first child
        pending = 0
        for closure, lead, quiet in compiled:
            if after_loud is None:
                first += lead
                closures.append(closure)
            else:
                pending += lead
                closures.append(closure)
            if not quiet:
                if after_loud is not None:
                    closures[after_loud] = self._charged(
                        Compiled(closures[after_loud], pending, False)
                    )
                after_loud, pending = len(closures), 0
        if after_loud is not None and after_loud < len(closures):
            closures[after_loud] = self._charged(Compiled(closures[after_loud], pending, False))
        return closures, first, all(c.quiet for c in compiled)

    def _function(self, name: str) -> Any:
        return self.functions[name]

    # ------------------------------------------------------------------ expr

    def _expr(self, tree: Any) -> Compiled:
        if len(tree.children) == 1:
            return self._only_child(tree)
        if len(tree.children) != 3:
            raise Unsupported("bad expr node")
        func = self._function("_?_:_")
        condition, lead, _ = self._node(tree.children[0])
        then = self._charged(self._node(tree.children[1]))
        otherwise = self._charged(self._node(tree.children[2]))

        def conditional(env: Env) -> Any:
            cond_value = condition(env)
            left = right = _FALSE
            try:
                if cond_value:
                    left = then(env)
                else:
                    right = otherwise(env)
                return func(cond_value, left, right)
            except TypeError as ex:
                return _no_overload("_?_:_", (cond_value, left, right), ex, tree)

        return Compiled(conditional, 1 + lead, False)

    def _logical(self, tree: Any, op_name: str) -> Compiled:
        if len(tree.children) == 1:
            return self._only_child(tree)
        if len(tree.children) != 2:
            raise Unsupported(f"bad {tree.data} node")
        func = self._function(op_name)
        (left_closure, right_closure), lead, _ = self._sequence(tree.children)

        def logical(env: Env) -> Any:
            left = left_closure(env)
            right = right_closure(env)
            try:
                return func(left, right)
            except TypeError as ex:
                return _no_overload(op_name, (left, right), ex, tree)

        return Compiled(logical, 1 + lead, False)

    def _conditionalor(self, tree: Any) -> Compiled:
        return self._logical(tree, "_||_")

    def _conditionaland(self, tree: Any) -> Compiled:
        return self._logical(tree, "_&&_")

    def _binary(
        self, tree: Any, names: dict[str, str], catches: tuple[tuple[Any, str | None], ...]
    ) -> Compiled:
        """``relation``, ``addition``, ``multiplication``: ``[op(left), right]``, where
        the op node is visited too (it is quiet: it only collects its child's value);
        ``catches`` are the interpreter's handlers around the call, in order (``None``:
        the "no matching overload" message)."""
        if len(tree.children) == 1:
            return self._only_child(tree)
        if len(tree.children) != 2:
            raise Unsupported(f"bad {tree.data} node")
        left_op, right_tree = tree.children
        if not isinstance(left_op, lark.Tree) or str(left_op.data) not in names:
            raise Unsupported(f"bad {tree.data} node")
        if len(left_op.children) != 1:
            raise Unsupported(f"bad {left_op.data} node")
        func = self._function(names[str(left_op.data)])
        (left_closure, right_closure), lead, _ = self._sequence([left_op.children[0], right_tree])
        catch_all: Any = tuple(e for exceptions, _ in catches for e in _as_tuple(exceptions))

        def binary(env: Env) -> Any:
            left = left_closure(env)
            right = right_closure(env)
            try:
                return func(left, right)
            except catch_all as ex:
                for exceptions, message in catches:
                    if isinstance(ex, exceptions):
                        if message is None:
                            return _no_overload(repr(left_op.data), (left, right), ex, tree)
                        return _error(message, ex, tree=tree)
                raise  # pragma: no cover (catch_all is the union of the handlers)

        return Compiled(binary, 1 + 1 + lead, False)  # the node, its op node, the operands

    def _relation(self, tree: Any) -> Compiled:
        return self._binary(tree, _RELATIONS, ((TypeError, None),))

    def _addition(self, tree: Any) -> Compiled:
        return self._binary(
            tree,
            _ADDITIONS,
            ((TypeError, None), ((ValueError, OverflowError), "return error for overflow")),
        )

    def _multiplication(self, tree: Any) -> Compiled:
        return self._binary(
            tree,
            _MULTIPLICATIONS,
            (
                (TypeError, None),
                (ZeroDivisionError, "modulus or divide by zero"),
                ((ValueError, OverflowError), "return error for overflow"),
            ),
        )

    def _unary(self, tree: Any) -> Compiled:
        if len(tree.children) == 1:
            return self._only_child(tree)
        if len(tree.children) != 2:
            raise Unsupported("bad unary node")
        op_tree, right_tree = tree.children
        if not isinstance(op_tree, lark.Tree) or str(op_tree.data) not in _UNARIES:
            raise Unsupported("bad unary node")
        if op_tree.children:
            raise Unsupported("bad unary node")
        func = self._function(_UNARIES[str(op_tree.data)])
        operand, lead, _ = self._node(right_tree)

        def unary(env: Env) -> Any:
            right = operand(env)
            try:
                return func(right)
            except TypeError as ex:
                return _no_overload(repr(op_tree.data), (right,), ex, tree)
            except ValueError as ex:
                return _error("return error for overflow", ex, tree=tree)

        return Compiled(unary, 1 + 1 + lead, False)  # the node, its op node, the operand

    # ------------------------------------------------------------------ members

    def _member(self, tree: Any) -> Compiled:
        return self._only_child(tree)

    def _member_dot(self, tree: Any) -> Compiled:
        if len(tree.children) != 2 or not isinstance(tree.children[1], lark.Token):
            raise Unsupported("bad member_dot node")
        member_closure, lead, quiet = self._node(tree.children[0])
        property_name = tree.children[1].value

        def member_dot(env: Env) -> Any:
            member = member_closure(env)
            if type(member) is _MapType:  # the common case, as the last branch below
                try:
                    return _dict_getitem(member, property_name)
                except KeyError:
                    err = f"no such member in mapping: {property_name!r}"
                    return CELEvalError(err, KeyError, None, tree=tree)
            if isinstance(member, CELEvalError):
                return member
            if isinstance(member, NameContainer):
                if property_name in member:
                    return member[property_name].value
                err = f"No {property_name!r} in bindings {sorted(member.keys())}"
                return CELEvalError(err, KeyError, None, tree=tree)
            if isinstance(member, celtypes.MessageType):
                return member.get(property_name)
            if isinstance(member, _MapType):
                try:
                    return member[property_name]
                except KeyError:
                    err = f"no such member in mapping: {property_name!r}"
                    return CELEvalError(err, KeyError, None, tree=tree)
            err = f"{member!r} with type: '{type(member)}' does not support field selection"
            return CELEvalError(err, TypeError, None, tree=tree)

        return Compiled(member_dot, 1 + lead, quiet)  # selecting a field is quiet

    def _member_index(self, tree: Any) -> Compiled:
        if len(tree.children) != 2:
            raise Unsupported("bad member_index node")
        func = self._function("_[_]")
        (member_closure, index_closure), lead, _ = self._sequence(tree.children)

        def member_index(env: Env) -> Any:
            member = member_closure(env)
            index = index_closure(env)
            try:
                return func(member, index)
            except TypeError as ex:
                return _no_overload("_[_]", (member, index), ex, tree)
            except KeyError as ex:
                return _error("no such key", ex, tree=tree)
            except IndexError as ex:
                return _error("invalid_argument", ex, tree=tree)

        return Compiled(member_index, 1 + lead, False)

    def _member_dot_arg(self, tree: Any) -> Compiled:
        children = tree.children
        if len(children) not in (2, 3) or not isinstance(children[1], lark.Token):
            raise Unsupported("bad member_dot_arg node")
        method_ident = children[1]
        if method_ident.value in MACROS:
            return self._macro(tree)
        if len(children) == 2:
            member_closure, lead, _ = self._node(children[0])
            return self._method(method_ident, member_closure, None, 1 + lead)
        (member_closure, args_closure), lead, _ = self._sequence([children[0], children[2]])
        return self._method(method_ident, member_closure, args_closure, 1 + lead)

    def _missing(self, name: str, message: str, token: Any) -> Callable[[Env], CELEvalError]:
        """The error of a function that is not in the table (``{}``: the activation)."""
        compiler = self

        def missing(env: Env) -> CELEvalError:
            err = message.replace("{}", str(compiler.activation(env)), 1)
            return _error(err, KeyError(name), token=token)

        return missing

    def _method(
        self, method_ident: Any, target: Closure, arguments: Closure | None, lead: int
    ) -> Compiled:
        """``Evaluator.method_eval``: ``arguments`` is the exprlist's closure, if any."""
        name = method_ident.value
        function = self.functions.get(name)
        function = self._calls.get(function, function)
        missing = self._missing(name, f"undeclared reference to {name!r} (in activation '{{}}')",
                                method_ident)  # fmt: skip

        def method(env: Env) -> Any:
            obj = target(env)
            exprlist = arguments(env) if arguments is not None else None
            if function is None:
                return missing(env)
            if isinstance(obj, CELEvalError):
                return obj
            if isinstance(exprlist, CELEvalError):
                return exprlist
            try:
                return function(obj, *(exprlist or []))
            except ValueError as ex:
                return _error("return error for overflow", ex, token=method_ident)
            except (TypeError, AttributeError) as ex:
                return _error("no such overload", ex, token=method_ident)

        return Compiled(method, lead, False)

    def _function_call(self, name_token: Any, arguments: list[Closure], lead: int) -> Compiled:
        """``Evaluator.function_eval`` of the arguments' values."""
        name = name_token.value
        function = self.functions.get(name)
        function = self._calls.get(function, function)
        missing = self._missing(
            name, f"undeclared reference to '{name_token}' (in activation '{{}}')", name_token
        )

        def call(env: Env) -> Any:
            values = [argument(env) for argument in arguments]
            if function is None:
                return missing(env)
            for value in values:
                if isinstance(value, CELEvalError):
                    return value
            try:
                return function(*values)
            except ValueError as ex:
                return _error("return error for overflow", ex, token=name_token)
            except (TypeError, AttributeError) as ex:
                return _error("no such overload", ex, token=name_token)

        return Compiled(call, lead, False)

    # ------------------------------------------------------------------ macros

    def _macro(self, tree: Any) -> Compiled:
        name = tree.children[1].value
        member_closure, member_lead, _ = self._node(tree.children[0])
        lead = 1 + member_lead
        if name == "min":

            def macro_min(env: Env) -> Any:
                member_list: Any = member_closure(env)
                if type(member_list) is not _ListType and type(member_list) is not _MapType:
                    return not_iterable(member_list, tree)
                try:
                    return min(member_list)  # type: ignore[type-var]  # a CEL list
                except ValueError as ex:
                    err = "Attempt to reduce an empty sequence or a sequence with a None value"
                    return _error(err, ex, tree=tree)

            return Compiled(macro_min, lead, False)

        if len(tree.children) != 3 or not isinstance(tree.children[2], lark.Tree):
            raise Unsupported(f"bad {name} macro")
        args = tree.children[2].children
        if name == "reduce":
            return self._reduce(args, member_closure, lead, tree)
        if len(args) != 2:
            raise Unsupported(f"bad {name} macro")
        identifier = self._identifier(args[0])
        body, body_lead, _ = self._node(args[1])
        step = ITERATION_UNITS + body_lead

        def evaluate(env: Env, value: Any) -> Any:
            """``nested_eval.evaluate({identifier: value})``"""
            env[METER].charge(step)
            inner = dict(env)
            inner[identifier] = value
            result = body(inner)
            if isinstance(result, CELEvalError):
                raise result
            return result

        def predicate(env: Env, value: Any) -> Any:
            """``evaluate``, for ``filter()``/``exists_one()``: the body must be a bool
            (Python's truthiness of ``1`` or ``"x"`` is no CEL)."""
            result = evaluate(env, value)
            if type(result) is not _BoolType:
                raise _error("no such overload", TypeError(f"{name}() predicate gave a non-bool"),
                             tree=tree)  # fmt: skip
            return result

        def swallowing(env: Env, value: Any) -> Any:
            """The same, for ``all()``/``exists()``: an error becomes the value."""
            try:
                return evaluate(env, value)
            except CELEvalError as ex:
                return ex

        if name == "map":

            def macro_map(env: Env) -> Any:
                member_list = member_closure(env)
                if type(member_list) is not _ListType and type(member_list) is not _MapType:
                    return not_iterable(member_list, tree)
                return _ListType(map(lambda v: evaluate(env, v), member_list))

            return Compiled(macro_map, lead, False)

        if name == "filter":

            def macro_filter(env: Env) -> Any:
                member_list = member_closure(env)
                if type(member_list) is not _ListType and type(member_list) is not _MapType:
                    return not_iterable(member_list, tree)
                return _ListType(filter(lambda v: predicate(env, v), member_list))

            return Compiled(macro_filter, lead, False)

        if name in ("all", "exists"):
            oper, start = (_AND, _BoolType(True)) if name == "all" else (_OR, _BoolType(False))

            def macro_all_exists(env: Env) -> Any:
                member_list = member_closure(env)
                if type(member_list) is not _ListType and type(member_list) is not _MapType:
                    return not_iterable(member_list, tree)
                return reduce(oper, map(lambda v: swallowing(env, v), member_list), start)

            return Compiled(macro_all_exists, lead, False)

        assert name == "exists_one"

        def macro_exists_one(env: Env) -> Any:
            member_list = member_closure(env)
            if type(member_list) is not _ListType and type(member_list) is not _MapType:
                return not_iterable(member_list, tree)
            count = sum(1 for value in member_list if predicate(env, value))
            return _TRUE if count == 1 else _FALSE

        return Compiled(macro_exists_one, lead, False)

    def _reduce(self, args: list[Any], member_closure: Closure, lead: int, tree: Any) -> Compiled:
        if len(args) != 4:
            raise Unsupported("bad reduce macro")
        reduce_ident = self._identifier(args[0])
        iter_ident = self._identifier(args[1])
        initial = self._charged(self._node(args[2]))  # visited only for a list
        body, body_lead, _ = self._node(args[3])
        step = ITERATION_UNITS + body_lead

        def macro_reduce(env: Env) -> Any:
            member_list = member_closure(env)
            if type(member_list) is not _ListType and type(member_list) is not _MapType:
                return not_iterable(member_list, tree)

            def evaluate(r: Any, i: Any) -> Any:
                env[METER].charge(step)
                inner = dict(env)
                inner[reduce_ident] = r
                inner[iter_ident] = i
                result = body(inner)
                if isinstance(result, CELEvalError):
                    raise result
                return result

            initial_value = initial(env)
            return reduce(evaluate, member_list, initial_value)

        return Compiled(macro_reduce, lead, False)

    def _identifier(self, var_tree: Any) -> str:
        if not isinstance(var_tree, lark.Tree):
            raise Unsupported("bad macro variable")
        idents = list(var_tree.find_data("ident"))
        if len(idents) != 1:
            raise Unsupported("bad macro variable")
        token = idents[0].children[0]
        if not isinstance(token, lark.Token):
            raise Unsupported("bad macro variable")
        name = token.value
        if name in self._annotations:
            raise Unsupported(f"a macro variable named {name!r}")
        return str(name)

    # ------------------------------------------------------------------ primary

    def _primary(self, tree: Any) -> Compiled:
        if len(tree.children) != 1 or not isinstance(tree.children[0], lark.Tree):
            raise Unsupported("bad primary node")
        child = tree.children[0]
        kind = str(child.data)
        if kind == "literal":
            return self._literal_node(child)
        if kind == "paren_expr":
            return self._only_child(child)  # the paren node is not visited: 1 is the primary's
        if kind == "list_lit":
            return self._list_lit(child)
        if kind == "map_lit":
            return self._map_lit(tree, child)
        if kind == "ident_arg":
            return self._ident_arg(child)
        if kind == "ident":
            return self._ident(tree, child)
        raise Unsupported(kind)

    def _literal_node(self, literal: Any) -> Compiled:
        try:
            value = self._literal(literal)
        except Exception as error:  # CELSyntaxError, CELUnsupportedError: the interpreter's
            raise Unsupported(str(error)) from None
        lead = 1 + 1  # the primary, the literal
        if isinstance(value, CELEvalError):
            literal_method = self._literal

            def fresh_error(env: Env) -> Any:
                return literal_method(literal)

            return Compiled(fresh_error, lead, True)

        def constant(env: Env) -> Any:
            return value

        return Compiled(constant, lead, True)

    def _list_lit(self, child: Any) -> Compiled:
        if not child.children:

            def empty_list(env: Env) -> Any:
                return _ListType()

            return Compiled(empty_list, 1, True)
        return self._only_child(child)  # the exprlist is visited, the list_lit is not

    def _map_lit(self, primary: Any, child: Any) -> Compiled:
        if not child.children:

            def empty_map(env: Env) -> Any:
                return _MapType()

            return Compiled(empty_map, 1, True)
        if len(child.children) != 1:
            raise Unsupported("bad map_lit node")
        inits, lead, _ = self._node(child.children[0])

        def map_lit(env: Env) -> Any:
            try:
                return inits(env)
            except ValueError as ex:
                return CELEvalError(ex.args[0], ex.__class__, ex.args, tree=primary)
            except TypeError as ex:
                return CELEvalError(ex.args[0], ex.__class__, ex.args, tree=primary)

        return Compiled(map_lit, 1 + lead, False)

    def _ident_arg(self, child: Any) -> Compiled:
        if len(child.children) == 1:
            name_token, exprs = child.children[0], []
        elif len(child.children) == 2 and isinstance(child.children[1], lark.Tree):
            name_token, exprs = child.children[0], child.children[1].children
        else:
            raise Unsupported("bad ident_arg node")
        if not isinstance(name_token, lark.Token):
            raise Unsupported("bad ident_arg node")
        # the primary, then the arguments (their exprlist is not visited)
        closures, lead, quiet = self._sequence(exprs)
        if name_token.value in ("has", "dyn"):
            if len(closures) != 1:
                raise Unsupported(f"{name_token.value}() of {len(closures)} arguments")
            (argument,) = closures
            if name_token.value == "dyn":
                return Compiled(argument, 1 + lead, quiet)

            def has(env: Env) -> Any:
                return _FALSE if isinstance(argument(env), CELEvalError) else _TRUE

            return Compiled(has, 1 + lead, quiet)
        return self._function_call(name_token, closures, 1 + lead)

    def _ident(self, primary: Any, child: Any) -> Compiled:
        if len(child.children) != 1 or not isinstance(child.children[0], lark.Token):
            raise Unsupported("bad ident node")
        name_token = child.children[0]
        name = str(name_token.value)
        if name in self._containers:
            container = self._containers[name]

            def declared(env: Env) -> Any:
                return container

            return Compiled(declared, 1, True)
        if name in self._annotations:
            raise Unsupported(f"a name with an annotation: {name!r}")
        function = self.functions.get(name)
        compiler = self

        def ident(env: Env) -> Any:
            try:
                return env[name]
            except KeyError:
                pass
            if function is not None:
                return function
            err = (
                f"undeclared reference to '{name_token}' "
                f"(in activation '{compiler.activation(env)}')"
            )
            return _error(err, KeyError(name), tree=primary)

        return Compiled(ident, 1, True)

    # ------------------------------------------------------------------ lists, maps

    def _exprlist(self, tree: Any) -> Compiled:
        closures, lead, quiet = self._sequence(tree.children)

        def exprlist(env: Env) -> Any:
            values = [closure(env) for closure in closures]
            for value in values:
                if isinstance(value, CELEvalError):
                    return value
            return _ListType(values)

        return Compiled(exprlist, 1 + lead, quiet)  # building the list is quiet

    def _mapinits(self, tree: Any) -> Compiled:
        closures, lead, _ = self._sequence(tree.children)

        def mapinits(env: Env) -> Any:
            result_value = _MapType()
            keys_values = [closure(env) for closure in closures]
            for key, value in zip(keys_values[0::2], keys_values[1::2], strict=False):
                if key in result_value:
                    raise ValueError(f"Duplicate key {key!r}")
                result_value[key] = value
            return result_value

        return Compiled(mapinits, 1 + lead, False)  # a duplicate key raises


def _depth(tree: Any) -> int:
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((c, depth + 1) for c in node.children if isinstance(c, lark.Tree))
    return deepest


def _as_tuple(exceptions: Any) -> tuple[Any, ...]:
    return exceptions if isinstance(exceptions, tuple) else (exceptions,)


__all__ = ["Compiler", "ITERATION_UNITS", "METER", "Unsupported"]
