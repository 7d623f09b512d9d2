"""A ``tl.constexpr`` meeting a tensor in Triton's CPU interpreter, computed as the compiler does.

``constexpr.__mul__`` (and each of its operators) wraps whatever it computes in a constexpr:
with a tensor on the right, ``LOG2E * x`` (a module-level ``LOG2E = tl.constexpr(...)``) is a
constexpr holding a tensor, which the next operation cannot convert ("cannot convert ... of
type tensor to tensor"). The code generator hands such an operation to the tensor's reflected
operator and gets a tensor. So here each operator of a constexpr gives way
(``NotImplemented``) when the other operand is a tensor, and Python calls the tensor's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_installed = False
OPERATORS = [
    "add",
    "sub",
    "mul",
    "truediv",
    "floordiv",
    "mod",
    "pow",
    "lshift",
    "rshift",
    "and",
    "or",
    "xor",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "matmul",
]


def install() -> None:
    """Once per process, in every interpreted run (``interp_memory.install``)."""
    global _installed
    if _installed:
        return
    import triton.language.core as core

    for name in OPERATORS:
        for dunder in (f"__{name}__", f"__r{name}__"):
            original = core.constexpr.__dict__.get(dunder)
            if original is not None:
                setattr(core.constexpr, dunder, _deferring(original, core.tensor))
    _installed = True


def _deferring(original: Callable, tensor: type) -> Callable:
    def op(self: Any, other: Any) -> Any:
        if isinstance(other, tensor):
            return NotImplemented
        return original(self, other)

    return op
