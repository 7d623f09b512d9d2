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

A third is per call of a helper: every call of a ``@triton.jit`` function inside a launch
patches the language again (``_patch_lang``, whose scope a helper call never restores), though
everything it patches is patched already by then: builtins it finds wrapped are left, and the
rest it sets to the same closures anew. Between two restores of a launch's patches, a call that
sees the same language modules as one already made is skipped (``_patch_lang_once``): the state
it would leave is the state it finds. A fourth is per operation: ``_get_np_dtype``, asked for every value an operation makes, builds
its table of twenty NumPy dtypes anew at each call; each scalar type's answer is kept
(``_np_dtypes_once``). A fifth is per kernel: Triton reads a function's source with ``inspect.getsourcelines``
(each ``JITFunction`` made, the interpreter's rewrite, and its file-and-line lookup, which
makes one more ``JITFunction``), and so do the replay's own checks of that text; each read
re-tokenises the function from its ``def``, five reads of every kernel per child. The first
read of a function is kept for the process (``_read_source_once``): every later reader gets the
same lines, so the text the interpreter runs is the very text that was checked, even if the
file changed on disk since.
"""

from __future__ import annotations

import inspect
import types
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
    _np_dtypes_once(interpreter)
    _patch_lang_once(interpreter)
    _read_source_once()


def _patch_lang_once(interpreter) -> None:
    """``_patch_lang`` once per set of language modules between restores. A launch's own patch
    always runs: a launch ends with a restore, and the first patch after it runs."""
    import triton.language as tl

    patch = interpreter._patch_lang
    scope_class = interpreter._LangPatchScope
    restore = scope_class.restore
    done: set[tuple[int, ...]] = set()

    def patch_lang(fn):
        # What _patch_lang patches depends on fn only through these, found as it finds them.
        langs = tuple(
            id(v) for v in fn.__globals__.values() if inspect.ismodule(v) and v in [tl, tl.core]
        )
        if langs in done:
            return scope_class()  # nothing changed here, nothing to undo
        scope = patch(fn)
        done.add(langs)
        return scope

    def restore_all(self) -> None:
        done.clear()
        restore(self)

    interpreter._patch_lang = patch_lang
    scope_class.restore = restore_all


def _np_dtypes_once(interpreter) -> None:
    """Triton's own answer for each scalar type, kept; a block of scalars answers as its
    element type (as Triton does), and anything else (pointers, blocks of them) is asked
    each time."""
    import triton.language as tl

    ask = interpreter._get_np_dtype
    kept: dict[Any, Any] = {}

    def get_np_dtype(tt_dtype):
        if isinstance(tt_dtype, tl.block_type) and type(tt_dtype.element_ty) is tl.dtype:
            tt_dtype = tt_dtype.element_ty
        if type(tt_dtype) is not tl.dtype:
            return ask(tt_dtype)
        found = kept.get(tt_dtype)  # a dtype is keyed by its name, as in Triton's table
        if found is None:
            found = kept[tt_dtype] = ask(tt_dtype)
        return found

    interpreter._get_np_dtype = get_np_dtype


def _read_source_once() -> None:
    """``inspect.getsourcelines`` of a plain function, read once per function: keyed by its
    code object, held so that no other object takes its id."""
    read = inspect.getsourcelines
    kept: dict[int, tuple[types.CodeType, list[str], int]] = {}

    def getsourcelines(obj):
        # Only what ``read`` would take as the function itself (no ``__wrapped__`` to follow).
        if type(obj) is not types.FunctionType or hasattr(obj, "__wrapped__"):
            return read(obj)
        code = obj.__code__
        entry = kept.get(id(code))
        if entry is None or entry[0] is not code:
            lines, first = read(obj)
            entry = kept[id(code)] = (code, lines, first)
        return list(entry[1]), entry[2]  # a list of its own for each reader, as read gives

    inspect.getsourcelines = getsourcelines


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
