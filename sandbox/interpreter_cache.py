"""What Triton's CPU interpreter would redo in every child, done once in the zygote.

Two costs of the interpreter (Triton 3.9) are paid per forked child, and they were most of a
check's kernel time: every call of a ``@triton.jit`` helper inside a kernel (``tl.sum``,
``tl.max``, ``tl.where``'s friends: Triton's standard library is made of them) re-lists
``triton.language`` with ``inspect.getmembers`` to patch its builtins, and every child
re-parses and recompiles the source of each standard-library helper it meets. Here the
builtins' names are listed once, and the helpers are rewritten once, in the zygote; a child
inherits both. What a kernel computes is unchanged: the same members are patched with the
same wrappers, and the rewritten helpers are Triton's own functions, the same in every child.
Candidate kernels are never rewritten here (the zygote never sees one).
"""

from __future__ import annotations

import inspect
from typing import Any


def install() -> None:
    """Call in the zygote, under TRITON_INTERPRET=1."""
    try:
        from triton.runtime import interpreter
    except ImportError:
        return
    if not hasattr(interpreter, "_patch_builtin") or not hasattr(
        interpreter, "InterpretedFunction"
    ):
        return  # another Triton: its interpreter keeps its own costs
    _list_builtins_once(interpreter)
    _rewrite_library(interpreter)


def _list_builtins_once(interpreter) -> None:
    import triton.language as tl

    is_builtin = tl.core.is_builtin
    # The packages _patch_lang patches: the language, its core, their tensor classes and math.
    packages: list[Any] = [tl, tl.core, tl.tensor, tl.core.tensor, tl.math]
    if hasattr(tl.core, "tensor_descriptor_base"):
        packages.append(tl.core.tensor_descriptor_base)
    names = {id(p): (p, [n for n, m in inspect.getmembers(p) if is_builtin(m)]) for p in packages}
    listed = interpreter._patch_builtin

    def patch_builtin(pkg, builder, scope) -> None:
        known = names.get(id(pkg))
        if known is None or known[0] is not pkg:
            listed(pkg, builder, scope)
            return
        # As Triton does: patch what is a builtin now (a nested call finds the outer call's
        # wrappers in place, which are not builtins, and leaves them).
        for name in known[1]:
            member = getattr(pkg, name, None)
            if is_builtin(member):
                interpreter._patch_attr(pkg, name, member, builder, scope)

    interpreter._patch_builtin = patch_builtin


def _rewrite_library(interpreter) -> None:
    import sys

    cls = interpreter.InterpretedFunction
    for name, module in list(sys.modules.items()):
        if not name.startswith("triton.language") or module is None:
            continue
        for value in list(vars(module).values()):
            if isinstance(value, cls):
                try:
                    value.rewrite()
                except Exception:  # a helper that cannot be rewritten is rewritten on use
                    continue
