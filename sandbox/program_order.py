"""The programs of a launch, replayed in reverse order, whatever the kernel.

On a GPU the programs of one launch run in any order, and at once. A kernel whose result
depends on that order (a program that overwrites rows another owns, or reads back a scratch
row another writes) is a race: right or wrong by chance. Triton's CPU interpreter runs them
one after another in increasing program id (``GridExecutor``: x outermost, then y, then z),
so such a race gives the same, often right, answer every time. Half of the trusted replay's
runs (``reversed_replay``) therefore walk every launch's grid backwards, which flips the order
of every pair of programs at once; the candidate's own run and the other replays keep the
increasing order. The replays are the same in number and size: the check costs what it did.

Every kernel is reordered, atomics and volatile loads included: the order atomics arrive in
is part of the order (a ticket taken with ``tl.atomic_add`` equals the program id only in the
interpreter's order), and an exemption for kernels that "may synchronise" is one any kernel
could take with a useless volatile load. A kernel that may wait on another program (an atomic
or a volatile load, in its body or any @triton.jit helper it reaches: ``order_free`` reads the
source the interpreter runs) would wait forever reversed (a decoupled look-back waits on
program b - 1), so its programs run interleaved instead (``interleave.py``): all at once,
switching at each atomic or volatile access, in an order drawn from the replay's seed. The
decision is read from the source, not from Triton IR: the replay compiles nothing, and must
decide before a launch's first program. It errs towards interleaving: any attribute named
``atomic_*``, any name bound to a Triton atomic, and any ``volatile=`` that is not the literal
False (or a ``**`` that could carry one).

Nothing changes on a GPU: there the replay runs compiled kernels, whose programs the hardware
schedules in any order already.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import inspect
import textwrap
from collections.abc import Iterator
from typing import Any


def note(kernels: list[str]) -> str:
    """Said with a mismatch of a replay that reversed these kernels' launches, so the
    candidate knows why this replay's answer differs."""
    return (
        f"this replay ran the programs of each launch of {', '.join(kernels)} in another order "
        "(in reverse order; interleaved at each atomic or volatile access where the kernel has "
        "them): on a GPU the programs of a launch run in any order, and concurrently, so a "
        "result that depends on their order (one program reading or overwriting memory another "
        "program writes, a ticket taken with an atomic) is a race"
    )


def reversed_replay(n: int) -> bool:
    """Whether the plan's ``n``-th replay reverses: the first and every second one after it,
    so even a one-replay plan reverses while the candidate's own run stays in order."""
    return n % 2 == 0


@functools.cache
def order_free(kernel: Any) -> bool:
    """Whether no program of ``kernel`` can wait on another: no atomic and no volatile load in
    it or in any @triton.jit function it reaches (else its programs run interleaved).
    Read once per kernel (asked at every launch a replay reverses): its source does not change
    between launches, nor do the module's names (no kernel may bind one: ``global`` does not
    pass the extraction)."""
    return not _synchronises(kernel, set())


@contextlib.contextmanager
def reversed_programs(grid: tuple[int, int, int]) -> Iterator[None]:
    """While open, the interpreter runs each program (x, y, z) of a ``grid`` launch where it
    would have run (X-1-x, Y-1-y, Z-1-z): every program once, in reverse order."""
    from triton.runtime.interpreter import interpreter_builder

    forward = interpreter_builder.set_grid_idx
    nx, ny, nz = grid

    def backward(x: int, y: int, z: int) -> None:
        forward(nx - 1 - x, ny - 1 - y, nz - 1 - z)

    interpreter_builder.set_grid_idx = backward
    try:
        yield
    finally:
        interpreter_builder.set_grid_idx = forward


@functools.cache
def _jit_functions() -> tuple[type, ...]:
    from triton.runtime.interpreter import InterpretedFunction
    from triton.runtime.jit import JITFunction

    return (JITFunction, InterpretedFunction)


@functools.cache
def _atomics() -> tuple[Any, ...]:
    import triton.language as tl

    return tuple(getattr(tl, n) for n in dir(tl) if n.startswith("atomic_"))


# Triton's own @triton.jit functions (tl.sum, tl.softmax, ...): id -> (function, whether it
# synchronises), read once in the zygote (``read_library``). Every kernel that calls one
# reached it again, in every replay, and reading a function's source is this check's cost.
_LIBRARY: dict[int, tuple[Any, bool]] = {}


def read_library() -> None:
    """Read every @triton.jit function of Triton's language modules now (in the zygote, before
    any candidate: each child inherits the answers)."""
    import sys

    for name, module in list(sys.modules.items()):
        if name.startswith("triton.language") and module is not None:
            for value in list(vars(module).values()):
                if isinstance(value, _jit_functions()) and id(value) not in _LIBRARY:
                    _LIBRARY[id(value)] = (value, _synchronises(value, set()))


def _synchronises(kernel: Any, seen: set[int]) -> bool:
    known = _LIBRARY.get(id(kernel))
    if known is not None and known[0] is kernel:
        return known[1]
    if id(kernel) in seen:
        return False
    seen.add(id(kernel))
    fn = kernel.fn
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return True  # unread is not order-free
    atomics = _atomics()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("atomic_"):
            return True
        if isinstance(node, ast.keyword) and (
            node.arg is None
            or (
                node.arg == "volatile"
                and not (isinstance(node.value, ast.Constant) and node.value.value is False)
            )
        ):
            return True
        if isinstance(node, (ast.Name, ast.Attribute)):
            for value in _values(_resolve(node, fn.__globals__)):
                if any(value is a for a in atomics):
                    return True
                if isinstance(value, _jit_functions()) and _synchronises(value, seen):
                    return True
    return False


def _resolve(node: ast.expr, namespace: dict[str, Any]) -> Any:
    """What a name or dotted name of the kernel's module is bound to; None for a local."""
    if isinstance(node, ast.Name):
        return namespace.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _resolve(node.value, namespace)
        return None if base is None else getattr(base, node.attr, None)
    return None


def _values(value: Any) -> list[Any]:
    """A module constant's values: a constexpr's value, a tuple's items (a helper may be
    reached as ``HELPERS[0]``)."""
    import triton.language as tl

    if isinstance(value, tl.constexpr):
        value = value.value
    if isinstance(value, (tuple, list)):
        return [v for item in value for v in _values(item)]
    return [value]
