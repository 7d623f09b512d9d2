"""Triton's CPU interpreter reading two kinds of kernel text as Triton's compiler reads them.

The interpreter runs a kernel as Python, from its text rewritten (``ASTTransformer`` in
``triton/runtime/interpreter.py``): each assignment's value goes through
``to_tensor(value, False)``, so a constant assigned becomes a scalar tensor, as the code
generator's does. Two kinds of text it leaves as Python reads them, where the code generator
(``code_generator.py``, Triton 3.9) gives the names another type; the static-value check
(``static_values.py``) then refuses a legitimate kernel, or the candidate's own trials fail where
the compiled kernel runs:

* An assignment to a tuple of names (``lo, hi = 0, start_m * BLOCK_M``, Triton's fused-attention
  tutorial): the compiler converts the value leaf by leaf (``_sanitize_target_value``), so
  ``lo`` is an int32 tensor; the interpreter's ``to_tensor`` of a tuple returns the tuple, so
  ``lo`` was the int 0. Here the value of an assignment to a tuple target is converted leaf by
  leaf, through nested tuples, each leaf as ``to_tensor(leaf, False)`` converts a single value
  (a number or a constexpr of one becomes a scalar tensor, anything else is left). An
  assignment to one name is left as the interpreter has it: a tuple assigned to a name
  (``t = (n, 2)``) keeps Python's items, and the static-value check refuses what is typed
  otherwise there.
* A ``range`` or ``tl.range`` loop's variable (``for b in range(pid, n, nprog): b.to(tl.int64)``):
  the compiled loop's is a scalar tensor of the integer promotion of its bounds and step as
  tensors (``visit_For``; int32, or int64 where a bound is), the interpreter's a Python int, on
  which ``.to`` is no method and ``i * 2**32`` does not wrap. Here it is that tensor
  (``typed_loop``); a ``tl.static_range`` loop's variable stays the Python int (a constexpr
  compiled). A step known only at run time must be positive: scf.for counts up only (the code
  generator negates a constexpr step, never a runtime one).

Installed once per process, in every run of the interpreter: the candidate's trials (the zygote:
``interp_memory.install``) and every replay (``replay.load_kernels``). The names the rewritten
text calls are drawn per process, so no kernel can have bound or call them itself.
"""

from __future__ import annotations

import ast
import builtins
import secrets
from collections.abc import Callable, Iterator
from typing import Any

_installed = False
_TAG = secrets.token_hex(8)
ASSIGNED = f"__kw_assigned_{_TAG}"  # the tuple value of an assignment, converted leaf by leaf
LOOP = f"__kw_range_{_TAG}"  # a loop's iterator, its variable typed if it is a range loop


def install() -> None:
    """Rewrite tuple assignments and range loops in the interpreter's text of every kernel and
    library function rewritten from now on (and those rewritten already, again). Interpreter
    only; once per process."""
    global _installed
    if _installed:
        return
    try:
        from triton.runtime import interpreter
    except ImportError:
        return
    transformer = getattr(interpreter, "ASTTransformer", None)
    if transformer is None or not hasattr(interpreter, "interpreter_semantic"):
        return  # another Triton: its interpreter's rewrite is not this one
    import triton.language as tl

    to_tensor = interpreter.interpreter_semantic.to_tensor
    tl_range = tl.core.range  # the class itself: a launch patches its name

    def assigned(value: Any) -> Any:
        if isinstance(value, tl.tuple):
            items = [assigned(v) for v in value.values]
            return tl.tuple(items, tl.core._type_for_tuple_values(items, value.type.fields))
        if isinstance(value, tuple):
            items = [assigned(v) for v in value]
            return type(value)(*items) if hasattr(type(value), "_fields") else tuple(items)
        return to_tensor(value, False)

    def loop(make: Callable, attribute: str | None) -> Callable:
        # What the iterator's callee is at run time: Python's range, or Triton's `range` reached
        # as an attribute (a launch patches tl.range and tl.static_range to one function, so
        # only the name it was reached by tells them apart).
        if make is builtins.range:
            return typed_loop(make)
        if attribute == "range" and any(make is getattr(m, "range", None) for m in (tl, tl.core)):
            return typed_loop(make, tl_range)
        return make

    # Bound as the interpreter module's globals: its rewrite runs each function with them.
    vars(interpreter)[ASSIGNED] = assigned
    vars(interpreter)[LOOP] = loop
    assign, visit_for = transformer.visit_Assign, getattr(transformer, "visit_For", None)

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        node = assign(self, node)
        if len(node.targets) == 1 and isinstance(node.targets[0], ast.Tuple):
            # (the interpreter's own call holds the value already visited)
            node.value = ast.Call(ast.Name(ASSIGNED, ast.Load()), [node.value.args[0]], [])
        return node

    def visit_For(self, node: ast.For) -> ast.AST:
        node = visit_for(self, node) if visit_for else self.generic_visit(node)
        if isinstance(node.iter, ast.Call):
            func = node.iter.func
            attribute = func.attr if isinstance(func, ast.Attribute) else None
            node.iter.func = ast.Call(
                ast.Name(LOOP, ast.Load()), [func, ast.Constant(attribute)], []
            )
        return node

    transformer.visit_Assign = visit_Assign
    transformer.visit_For = visit_For
    interpreter.InterpretedFunction.rewritten_fn.clear()  # rewritten before: again, on use
    _installed = True


def typed_loop(make: Callable, tl_range: Any = None) -> Callable:
    """``range``, or ``tl.range`` (``make`` as the interpreter has it; ``tl_range`` its class, to
    read its arguments), whose variable is what the compiled loop's is: a scalar tensor of the
    type the code generator gives it (``visit_For``: bounds and step as tensors, their integer
    promotion, a negative constexpr step negated first)."""
    import numpy as np
    import triton.language as tl
    from triton.runtime.interpreter import TensorHandle, _get_np_dtype, interpreter_semantic

    def loop(*args, **kwargs) -> Iterator[Any]:
        if tl_range is None:
            start, end, step = (0, *args, 1)[:3] if len(args) == 1 else (*args, 1)[:3]
        else:  # tl.range's own reading of its arguments
            it = tl_range(*args, **kwargs)
            start, end, step = it.start, it.end, it.step
        if isinstance(step, tl.tensor) and step.handle.data.item() <= 0:
            # scf.for counts up only: a step known at run time is never negated. A fact of the
            # run, not of the text: a RuntimeError (the trials' runtime_error, as the replay's).
            raise RuntimeError(
                f"a `range` loop's step computed at run time is {step.handle.data.item()}: "
                "the compiled loop (scf.for) only counts up by a positive step, where "
                "Python counts down; make a negative step a constexpr"
            )
        constant = step.value if isinstance(step, tl.constexpr) else step
        if isinstance(constant, int) and constant < 0:
            step = -constant  # the code generator's own normalisation, before it types it
        ty = None
        for bound in (start, end, step):
            t = interpreter_semantic.to_tensor(bound).dtype
            ty = t if ty is None else interpreter_semantic.integer_promote_impl(ty, t)
        np_type = _get_np_dtype(ty)
        for i in make(*args, **kwargs):
            yield tl.tensor(TensorHandle(np.array([i], dtype=np_type), ty), ty)

    return loop
