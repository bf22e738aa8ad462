"""The checked tree compiled to a tree of Python closures (cel-go's planner, in Python).

Each node becomes one ``Callable[[Activation], value]`` that calls its
children's closures; an evaluation error is a raised
:class:`~policygate.cel.lang.errors.EvalError`, caught only where CEL absorbs
errors (``&&``, ``||``), so the error-free path pays nothing for them.

Cost is charged in deterministic units *before* the work: a closure that
roots a straight-line block of nodes (no ``&&``, ``||``, ``?:`` or loop inside)
charges the block's node count once; each loop iteration charges one unit per
element; building a string, bytes, list or map charges its size first. A
budget that would go below zero raises :class:`BudgetExceeded`, which nothing
absorbs.

With an observer, every closure reports ``(node, value)`` (or the error) as it
returns, which is all an ``explain`` needs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from policygate.cel.lang import ast
from policygate.cel.lang.access import (
    field_path,
    has_field,
    insert_entry,
    local_field,
    optional_select,
    select_field,
    variable_path,
)
from policygate.cel.lang.activation import Activation, Closure, Observer, Value, charge
from policygate.cel.lang.arith import TABLES
from policygate.cel.lang.ast import Node
from policygate.cel.lang.errors import EvalError
from policygate.cel.lang.library import FUNCTIONS, style_error
from policygate.cel.lang.operators import (
    CONTROL,
    CONTROL_ARITY,
    SPECIAL,
    SPECIAL_ARITY,
    Shape,
    arithmetic,
    dynamic_matches,
    equal_constant,
    equal_local,
    function_call,
    literal_matches,
    logic_chain,
)
from policygate.cel.lang.values import TYPE_IDENTS, Optional, Uint, no_overload, type_name

__all__ = ["Activation", "Closure", "Observer", "Value", "compile_root", "compile_tree"]

_CONTROL = frozenset({"_&&_", "_||_", "_?_:_"})
_MISSING = object()


def is_control(node: Node) -> bool:
    """Whether ``node`` evaluates its children conditionally (so they charge themselves)."""
    return isinstance(node, ast.Comprehension) or (
        isinstance(node, ast.Call) and node.function in _CONTROL
    )


_LOGIC = frozenset({"_&&_", "_||_"})


def _chained(node: Node, function: str) -> bool:
    """Whether ``node`` is a link of a chain of ``function`` (two operands)."""
    return isinstance(node, ast.Call) and node.function == function and len(node.args) == 2


def block_cost(node: Node) -> int:
    """Units a block root charges: its nodes down to (excluding) control children."""
    total = 0
    stack = [node]
    while stack:
        current = stack.pop()
        total += 1
        if current is not node and is_control(current):
            total -= 1
            continue
        if current is node and is_control(current):
            continue
        stack.extend(ast.children(current))
        if isinstance(current, ast.ListExpr):
            total += len(current.elements)
        elif isinstance(current, ast.MapExpr):
            total += len(current.entries)
    return total


def compile_tree(root: Node, traced: bool = False) -> Closure:
    """The closure that evaluates ``root``; ``traced`` reports every node to the observer."""
    return _Compiler(traced).block(root, frozenset())


def compile_root(root: Node, traced: bool = False) -> tuple[Closure, int]:
    """The closure of ``root`` without its block's charge, and that charge.

    The caller charges the root block itself before calling (one closure call
    fewer per evaluation than :func:`compile_tree`).
    """
    return _Compiler(traced).node(root, frozenset()), block_cost(root)


class _Compiler:
    def __init__(self, traced: bool) -> None:
        self.traced = traced
        #: Loop accumulators, the only locals that may hold an error (see _Failed).
        self.accumulators: set[str] = set()

    def block(self, node: Node, scope: frozenset[str]) -> Closure:
        """``node`` as a block root: it charges its block before running it."""
        inner = self.node(node, scope)
        cost = block_cost(node)

        def charged(act: Activation) -> Value:
            act.budget -= cost
            if act.budget < 0:
                act.overdraw()
            return inner(act)

        return charged

    def child(self, node: Node, parent: Node, scope: frozenset[str]) -> Closure:
        """A child: its own block when the parent is a control node or it is one."""
        if is_control(parent) or is_control(node):
            return self.block(node, scope)
        return self.node(node, scope)

    def node(self, node: Node, scope: frozenset[str]) -> Closure:
        compiled = self.dispatch(node, scope)
        if not self.traced:
            return compiled
        return _traced(node, compiled)

    def dispatch(self, node: Node, scope: frozenset[str]) -> Closure:
        return _HANDLERS[type(node)](self, node, scope)

    def literal(self, node: ast.Literal, scope: frozenset[str]) -> Closure:
        value = node.value
        return lambda act: value

    def message(self, node: ast.MessageExpr, scope: frozenset[str]) -> Closure:
        message = f"message construction is not supported: {node.type_name}"

        def refuse(act: Activation) -> Value:
            raise EvalError(message, "unsupported")

        return refuse

    # -- names ----------------------------------------------------------------

    def ident(self, node: ast.Ident, scope: frozenset[str]) -> Closure:
        name = node.name
        if name in scope:
            if name not in self.accumulators:
                return lambda act: act.locals[name]

            def accumulator(act: Activation) -> Value:
                value = act.locals[name]
                if type(value) is _Failed:
                    raise value.error
                return value

            return accumulator
        name = name.lstrip(".")  # ".y": the variable y even where a loop variable y is in scope
        type_value = TYPE_IDENTS.get(name)

        def variable(act: Activation) -> Value:
            try:
                return act.variables[name]
            except KeyError:
                if type_value is not None:
                    return type_value
                raise EvalError(f"unknown variable '{name}'", "unknown_variable") from None

        return variable

    def select(self, node: ast.Select, scope: frozenset[str]) -> Closure:
        if not node.optional and not self.traced:
            fused = self._fused(node, scope)
            if fused is not None:
                return fused
        operand = self.child(node.operand, node, scope)
        field = node.field
        if node.test_only:

            def has(act: Activation) -> Value:
                value = operand(act)
                if type(value) is dict:
                    return field in value
                return has_field(value, field)

            return has
        if node.optional:

            def select_optional(act: Activation) -> Value:
                return optional_select(operand(act), field)

            return select_optional

        def select(act: Activation) -> Value:
            value = operand(act)
            if type(value) is dict:
                try:
                    return value[field]
                except KeyError:
                    raise EvalError(f"no such key: '{field}'", "no_such_key") from None
            return select_field(value, field)

        return select

    def _fused(self, node: ast.Select, scope: frozenset[str]) -> Closure | None:
        """A path of plain selects (``x.a.b.c``, or ``has(x.a.b.c)``) as one closure
        when it reads a variable, a loop variable or is two fields long or more;
        ``None`` for any other select. Its nodes are charged as before (a block's
        cost comes from the tree), and an error is the one the nodes would raise."""
        test = node.field if node.test_only else None
        fields = [] if node.test_only else [node.field]
        inner = node.operand
        while _plain_select(inner):
            assert isinstance(inner, ast.Select)
            fields.append(inner.field)
            inner = inner.operand
        fields.reverse()
        if isinstance(inner, ast.Ident):
            if inner.name not in scope:  # a variable (".y" is one even inside a loop on y)
                unbound = self.ident(inner, scope)
                return variable_path(inner.name.lstrip("."), tuple(fields), unbound, test)
            if test is None and len(fields) == 1 and inner.name not in self.accumulators:
                return local_field(inner.name, fields[0])
        if test is None and len(fields) > 1:
            return field_path(self.child(inner, node, scope), tuple(fields))
        return None

    # -- calls ----------------------------------------------------------------

    def call(self, node: ast.Call, scope: frozenset[str]) -> Closure:
        function = node.function
        parts = ((node.target,) if node.target is not None else ()) + node.args
        control = CONTROL.get(function)
        if function in _LOGIC and not self.traced and _chained(node.args[0], function) + _chained(
            node.args[1], function
        ):
            return self.chain(node, scope)
        if control is not None and len(parts) == CONTROL_ARITY[function]:
            # Each operand is a block the operator charges when (and only if) it runs it.
            operands = [self.node(a, scope) for a in parts]
            return control(operands, [block_cost(a) for a in parts])
        if function == "_==_" and len(parts) == 2 and not self.traced:
            fused = self._equal(parts[0], parts[1], node, scope)
            if fused is not None:
                return fused
        if function in _OPTIONAL_OR and node.target is not None and len(node.args) == 1:
            target = self.child(node.target, node, scope)
            return _optional_or(function, target, self.child(node.args[0], node, scope))
        args = [self.child(a, node, scope) for a in parts]
        special = SPECIAL.get(function)
        if special is not None and len(args) == SPECIAL_ARITY[function]:
            return special(args)
        if function in TABLES and len(args) == 2:
            return arithmetic(function, args[0], args[1])
        entry = FUNCTIONS.get(function)
        if style_error(function, node.target is not None) is not None:
            entry = None  # cel-go: no overload of that name in that style
        if entry is not None and len(parts) not in entry[1]:
            # (unchecked: no overload of that arity, as cel-go says; never folded)

            def no_arity(act: Activation) -> Value:
                raise no_overload(function, *[arg(act) for arg in args])

            return no_arity
        if (
            entry is not None
            and function in _FOLDABLE
            and all(isinstance(a, ast.Literal) for a in parts)
        ):
            folded = _fold(entry[0], [a.value for a in parts if isinstance(a, ast.Literal)])
            if folded is not _MISSING:
                return lambda act: folded
        if (
            function == "matches"
            and entry is not None
            and len(parts) == 2
            and isinstance(parts[1], ast.Literal)
            and type(parts[1].value) is str
        ):
            return literal_matches(args[0], parts[1].value, entry[0])
        if function == "matches" and entry is not None and len(parts) == 2:
            return dynamic_matches(args[0], args[1], entry[0])
        if entry is None:
            message = f"unbound function '{function}'"

            def unbound(act: Activation) -> Value:
                for arg in args:
                    arg(act)
                raise EvalError(message, "unbound_function")

            return unbound
        return function_call(function, entry[0], args)

    def _equal(
        self, left: Node, right: Node, node: ast.Call, scope: frozenset[str]
    ) -> Closure | None:
        """``x == "a"``, ``"a" == x`` (a literal string or number) and ``x == v`` (``v``
        a loop variable) without the constant's or the variable's own closure;
        ``None`` for any other ``==``."""
        for operand, other, first in ((left, right, False), (right, left, True)):
            if isinstance(other, ast.Literal) and type(other.value) in (str, float, int):
                return equal_constant(self.child(operand, node, scope), other.value, first)
        if (
            isinstance(right, ast.Ident)
            and right.name in scope
            and right.name not in self.accumulators
        ):
            return equal_local(self.child(left, node, scope), right.name)
        return None

    def chain(self, node: ast.Call, scope: frozenset[str]) -> Closure:
        """A tree of one logical operator as one closure (:func:`logic_chain`)."""
        function = node.function
        leaves: list[Closure] = []
        nodes: list[Node] = []
        charges: list[int] = []
        pending = [0]  # the charges of the nodes entered before the next leaf

        def walk(current: Node) -> Shape:
            if _chained(current, function):
                assert isinstance(current, ast.Call)
                pending[0] += block_cost(current)  # what its parent charges it: its own unit
                left = walk(current.args[0])
                right = walk(current.args[1])
                return (left, right)
            index = len(leaves)
            nodes.append(current)
            leaves.append(self.node(current, scope))
            charges.append(pending[0] + block_cost(current))
            pending[0] = 0
            return index

        first = walk(node.args[0])
        second = walk(node.args[1])
        guard = _path_guards(nodes, scope) if function == "_&&_" else None
        return logic_chain(function, leaves, charges, (first, second), guard)

    def list_expr(self, node: ast.ListExpr, scope: frozenset[str]) -> Closure:
        elements = tuple(self.child(e, node, scope) for e in node.elements)
        optional = node.optional_indices
        if not optional:

            def build(act: Activation) -> Value:
                return [e(act) for e in elements]

            return build

        flags = tuple(i in optional for i in range(len(elements)))

        def build_optional(act: Activation) -> Value:
            out = []
            for element, is_optional in zip(elements, flags, strict=True):
                value = element(act)
                if is_optional:
                    if type(value) is not Optional:
                        raise no_overload("optional list element", value)
                    if value.has:
                        out.append(value.value)
                else:
                    out.append(value)
            return out

        return build_optional

    def map_expr(self, node: ast.MapExpr, scope: frozenset[str]) -> Closure:
        entries = tuple(
            (self.child(e.key, node, scope), self.child(e.value, node, scope), e.optional)
            for e in node.entries
        )

        def build(act: Activation) -> Value:
            out: dict[Value, Value] = {}
            for key_of, value_of, is_optional in entries:
                key = key_of(act)
                if type(key) not in _KEY_TYPES:
                    raise EvalError(f"unsupported key type: {type_name(key)}", "invalid_argument")
                value = value_of(act)
                if is_optional:
                    if type(value) is not Optional:
                        raise no_overload("optional map entry", value)
                    if not value.has:
                        continue
                    value = value.value
                insert_entry(out, key, value)
            return out

        return build

    # -- loops ----------------------------------------------------------------

    def comprehension(self, node: ast.Comprehension, scope: frozenset[str]) -> Closure:
        quantifier = _quantifier_shape(node)
        if quantifier is not None and not self.traced:
            return self.quantifier(node, quantifier, scope)
        self.accumulators.add(node.accu_var)
        iter_range = self.block(node.iter_range, scope)
        init = self.block(node.accu_init, scope)
        loop_vars = {node.iter_var, node.accu_var}
        if node.iter_var2 is not None:
            loop_vars.add(node.iter_var2)
        inner = scope | loop_vars
        condition = self.block(node.loop_condition, inner)
        step = self._step(node, inner)
        result = self.block(node.result, scope | {node.accu_var})
        first, second, accu = node.iter_var, node.iter_var2, node.accu_var
        names = tuple(n for n in (first, second, accu) if n is not None)

        def loop(act: Activation) -> Value:
            items = iter_range(act)
            kind = type(items)
            if kind is list or kind is tuple:
                pairs: Any = enumerate(items) if second is not None else items
            elif kind is dict:
                pairs = items.items() if second is not None else items
            else:
                raise no_overload("comprehension range", items)
            local = act.locals
            saved = [local.get(n, _MISSING) for n in names]
            try:
                local[accu] = _attempt(init, act)
                for item in pairs:
                    act.budget -= 1
                    if act.budget < 0:
                        act.overdraw()
                    if second is None:
                        local[first] = item
                    else:
                        local[first], local[second] = item
                    if condition(act) is False:
                        break
                    local[accu] = _attempt(step, act)
                return result(act)
            finally:
                for n, old in zip(names, saved, strict=True):
                    if old is _MISSING:
                        local.pop(n, None)
                    else:
                        local[n] = old

        return loop

    def quantifier(
        self, node: ast.Comprehension, predicate: Node, scope: frozenset[str]
    ) -> Closure:
        """``all`` and ``exists`` without the generic loop's accumulator.

        The same results as the expansion (``@result && p`` per element, the
        first error kept and absorbed by a later ``false``/``true``), the same
        units per element (the condition's and step's nodes), one closure call
        per element instead of five.
        """
        first, second = node.iter_var, node.iter_var2
        # The predicate runs once per element: its block is charged with the element.
        test = self.node(predicate, scope | {first} | ({second} if second else set()))
        is_all = node.accu_init.value is True if isinstance(node.accu_init, ast.Literal) else True
        decisive = not is_all  # all() stops at false, exists() at true
        function = "_&&_" if is_all else "_||_"
        per_item = 1 + block_cost(node.loop_condition) + 2 + block_cost(predicate)
        # Decided before the last element, the generic loop still looks at the next
        # one (its unit and its condition, which is then false): charged here too, so
        # that explain's traced evaluation, which runs the generic loop, spends alike.
        after = 1 + block_cost(node.loop_condition)
        if second is None:
            # The range's block charged by the loop itself (one closure call fewer).
            return _quantify_one(
                self.node(node.iter_range, scope),
                block_cost(node.iter_range),
                first, test, per_item, after, decisive, function,
            )  # fmt: skip
        iter_range = self.block(node.iter_range, scope)
        names = (first, second)

        def quantify(act: Activation) -> Value:
            items = iter_range(act)
            kind = type(items)
            if kind is list or kind is tuple:
                pairs: Any = enumerate(items)  # (index, element)
            elif kind is dict:
                pairs = items.items()  # (key, value)
            else:  # (before the accumulator's units: the generic loop raises first too)
                raise no_overload("comprehension range", items)
            charge(act, 2)  # the accumulator init and result, as the generic loop charges
            local = act.locals
            saved = [local.get(n, _MISSING) for n in names]
            failure: EvalError | None = None
            try:
                last = len(items) - 1
                for position, item in enumerate(pairs):
                    act.budget -= per_item
                    if act.budget < 0:
                        act.overdraw()
                    local[first], local[second] = item
                    try:
                        outcome = test(act)
                    except EvalError as error:
                        if failure is None:
                            failure = error
                        continue
                    if outcome is decisive:
                        if position < last:
                            charge(act, after)
                        return decisive
                    if outcome is not (not decisive) and failure is None:
                        failure = no_overload(function, outcome)
            finally:
                for n, old in zip(names, saved, strict=True):
                    if old is _MISSING:
                        local.pop(n, None)
                    else:
                        local[n] = old
            if failure is not None:
                raise failure
            return not decisive

        return quantify

    def _step(self, node: ast.Comprehension, scope: frozenset[str]) -> Closure:
        """The loop step; ``@result + [x]`` appends in place (the accumulator is private).

        ``map`` and ``filter`` steps have that shape, alone or as the chosen
        branch of ``p ? @result + [x] : @result``; building a new list per
        element would make them quadratic.
        """
        step = node.loop_step
        accu = node.accu_var
        append = _append_shape(step, accu)
        guard: Closure | None = None
        if (
            append is None
            and isinstance(step, ast.Call)
            and step.function == "_?_:_"
            and isinstance(step.args[2], ast.Ident)
            and step.args[2].name == accu
        ):
            append = _append_shape(step.args[1], accu)
            if append is not None:
                guard = self.block(step.args[0], scope)
        if append is None:
            return self.block(step, scope)
        element = self.block(append, scope)

        def push(act: Activation) -> Value:
            out = act.locals[accu]
            if type(out) is _Failed:
                raise out.error
            if guard is not None:
                chosen = guard(act)
                if chosen is False:
                    return out
                if chosen is not True:
                    raise no_overload("_?_:_", chosen)
            act.budget -= 1
            if act.budget < 0:
                act.overdraw()
            out.append(element(act))
            return out

        return push


#: ``opt.or(other)`` and ``opt.orValue(default)``: ``other`` is evaluated only when
#: ``opt`` has no value, as cel-go, cel-cpp and cel-java evaluate them.
_OPTIONAL_OR = frozenset({"or", "orValue"})


def _optional_or(function: str, target: Closure, other: Closure) -> Closure:
    """``opt.or(other)`` / ``opt.orValue(default)``, short-circuiting on a value (the
    argument's nodes are charged with the block, whether it runs or not)."""
    impl = FUNCTIONS[function][0]
    unwrap = function == "orValue"

    def optional_or(act: Activation) -> Value:
        opt = target(act)
        if type(opt) is Optional and opt.has:
            return opt.value if unwrap else opt
        return impl(opt, other(act))  # none: the other; not an optional: no overload

    return optional_or


#: Conversions whose result from literals is small and the same at every evaluation
#: (``duration('720h')``), computed once when compiling; an error stays for run time.
_FOLDABLE = frozenset(
    {"timestamp", "duration", "int", "uint", "double", "string", "bool", "bytes", "dyn", "type"}
)


def _fold(impl: Callable[..., Value], values: list[Value]) -> Value:
    try:
        return impl(*values)
    except (EvalError, TypeError, ValueError, ArithmeticError):
        # (left to run time, where an error is the evaluation's, never the compiler's)
        return _MISSING


def _quantify_one(
    iter_range: Closure,
    range_cost: int,
    name: str,
    test: Closure,
    per_item: int,
    after: int,
    decisive: bool,
    function: str,
) -> Closure:
    """:meth:`_Compiler.quantifier`'s loop for one loop variable (``all(x, p)``,
    ``exists(x, p)``), the common case, with its charges, order and errors."""
    undecisive = not decisive

    def quantify(act: Activation) -> Value:
        act.budget -= range_cost  # (the range's block, before it runs)
        if act.budget < 0:
            act.overdraw()
        items = iter_range(act)
        kind = type(items)
        if not (kind is list or kind is tuple or kind is dict):
            # (before the accumulator's units: the generic loop raises first too)
            raise no_overload("comprehension range", items)
        act.budget -= 2  # the accumulator init and result, as the generic loop charges
        if act.budget < 0:
            act.overdraw()
        local = act.locals
        saved = local.get(name, _MISSING)
        failure: EvalError | None = None
        try:
            last = len(items) - 1
            for position, item in enumerate(items):
                act.budget -= per_item
                if act.budget < 0:
                    act.overdraw()
                local[name] = item
                try:
                    outcome = test(act)
                except EvalError as error:
                    if failure is None:
                        failure = error
                    continue
                if outcome is decisive:
                    if position < last:  # what the generic loop spends on the next one
                        act.budget -= after
                        if act.budget < 0:
                            act.overdraw()
                    return decisive
                if outcome is not undecisive and failure is None:
                    failure = no_overload(function, outcome)
        finally:
            if saved is _MISSING:
                local.pop(name, None)
            else:
                local[name] = saved
        if failure is not None:
            raise failure
        return undecisive

    return quantify


class _Failed:
    """An error held by a loop's accumulator, as CEL's error values are held.

    ``[1, 2, 3].all(e, 6 / (2 - e) == 6)`` is false: the error of the second
    element is absorbed by the ``&&`` of the third; reading the accumulator
    re-raises it.
    """

    __slots__ = ("error",)

    def __init__(self, error: EvalError) -> None:
        self.error = error


def _attempt(closure: Closure, act: Activation) -> Value:
    try:
        return closure(act)
    except EvalError as error:
        return _Failed(error)


def _quantifier_shape(node: ast.Comprehension) -> Node | None:
    """The predicate when ``node`` is the expansion of ``all`` or ``exists``."""
    init, step, result = node.accu_init, node.loop_step, node.result
    accu = node.accu_var
    if not (
        isinstance(init, ast.Literal)
        and type(init.value) is bool
        and isinstance(step, ast.Call)
        and step.function == ("_&&_" if init.value else "_||_")
        and isinstance(step.args[0], ast.Ident)
        and step.args[0].name == accu
        and isinstance(result, ast.Ident)
        and result.name == accu
        and isinstance(node.loop_condition, ast.Call)
        and node.loop_condition.function == "@not_strictly_false"
    ):
        return None
    predicate = step.args[1]
    if _mentions(predicate, accu):
        return None
    return predicate


def _mentions(node: Node, name: str) -> bool:
    """Whether ``node`` reads the variable ``name`` of its own scope: not where a
    comprehension inside binds that name again (a nested macro's accumulator has the
    same name, ``@result``, and is its own), only in its parts that see the outer one."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Ident) and current.name == name:
            return True
        if isinstance(current, ast.Comprehension):
            if name == current.accu_var:  # bound from the init on: the range and init see ours
                stack += [current.iter_range, current.accu_init]
                continue
            if name in (current.iter_var, current.iter_var2):  # bound in the loop only
                stack += [current.iter_range, current.accu_init, current.result]
                continue
        stack.extend(ast.children(current))
    return False


def _append_shape(step: Node, accu: str) -> Node | None:
    """``x`` when ``step`` is ``accu + [x]``, the shape of ``map`` and ``filter`` steps."""
    if (
        isinstance(step, ast.Call)
        and step.function == "_+_"
        and step.target is None
        and isinstance(step.args[0], ast.Ident)
        and step.args[0].name == accu
        and isinstance(step.args[1], ast.ListExpr)
        and len(step.args[1].elements) == 1
        and not step.args[1].optional_indices
    ):
        return step.args[1].elements[0]
    return None


# -- helpers ------------------------------------------------------------------

_KEY_TYPES = frozenset({int, Uint, bool, str})


def _traced(node: Node, compiled: Closure) -> Closure:
    def traced(act: Activation) -> Value:
        try:
            value = compiled(act)
        except EvalError as error:
            if act.observer is not None:
                act.observer(node, error)
            raise
        if act.observer is not None:
            act.observer(node, value)
        return value

    return traced


def _path_guards(leaves: list[Node], scope: frozenset[str]) -> tuple[str, tuple[str, ...]] | None:
    """``(x, (a, b, c))`` when an ``&&`` chain's leaves start with ``has(x.a)``,
    ``has(x.a.b)``, ``has(x.a.b.c)`` (two at least; ``x`` a variable, no loop's),
    the guards of a path (``logic_chain``'s ``guard``); else ``None``."""
    name: str | None = None
    fields: list[str] = []
    for leaf in leaves:
        if not (isinstance(leaf, ast.Select) and leaf.test_only):
            break
        path = [leaf.field]
        inner = leaf.operand
        while _plain_select(inner):
            assert isinstance(inner, ast.Select)
            path.append(inner.field)
            inner = inner.operand
        path.reverse()
        if not (isinstance(inner, ast.Ident) and inner.name not in scope):
            break
        root = inner.name.lstrip(".")
        if name is None:
            name = root
        if root != name or path != [*fields, leaf.field]:
            break
        fields.append(leaf.field)
    if name is None or len(fields) < 2:
        return None
    return name, tuple(fields)


def _plain_select(node: Node) -> bool:
    return isinstance(node, ast.Select) and not node.test_only and not node.optional


#: The compiler's method for each kind of node.
_HANDLERS: dict[type, Callable[[_Compiler, Any, frozenset[str]], Closure]] = {
    ast.Literal: _Compiler.literal,
    ast.Ident: _Compiler.ident,
    ast.Select: _Compiler.select,
    ast.Call: _Compiler.call,
    ast.ListExpr: _Compiler.list_expr,
    ast.MapExpr: _Compiler.map_expr,
    ast.Comprehension: _Compiler.comprehension,
    ast.MessageExpr: _Compiler.message,
}
