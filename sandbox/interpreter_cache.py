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
file changed on disk since. A sixth is per value: every tensor an operation makes builds its
shape anew as a ``tl.tuple`` of constexprs (each with its own ``tuple_type``), and every block
type re-validates its shape; a shape of plain ints is built and validated once, and tensors of
one shape share its (never mutated) tuple (``_shapes_once``).
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
    _shapes_once()
    _same_type_once(interpreter)


def _patch_lang_once(interpreter) -> None:
    """``_patch_lang`` once per set of language modules between restores. A launch's own patch
    always runs: a launch ends with a restore, and the first patch after it runs."""
    import triton.language as tl

    core = tl.core
    patch = interpreter._patch_lang
    scope_class = interpreter._LangPatchScope
    restore = scope_class.restore
    done: set[tuple[int, ...]] = set()

    def patch_lang(fn):
        # What _patch_lang patches depends on fn only through these, found as it finds them
        # (a module equals only itself).
        langs = tuple(id(v) for v in fn.__globals__.values() if v is tl or v is core)
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


def _shapes_once() -> None:
    """``block_type`` and ``tensor`` construction as Triton's own, but each shape of plain
    ints validated and made once: the first block type and the first tensor of a shape are
    made by Triton's code, and everything later of that shape shares what it made (a block
    type's shape, a ``tl.tuple`` of ints in Triton 3.9; a tensor's, a ``tl.tuple`` of
    constexprs; neither has a ``__setitem__``, and the interpreter never changes one in place).
    Where Triton's constructors set more than this copies (another Triton), both are left."""
    import builtins

    import triton.language as tl
    from triton.language import core

    block_init, tensor_init = core.block_type.__init__, core.tensor.__init__
    sample = core.block_type(tl.float32, [2, 4])
    value = core.tensor(None, sample)
    if set(vars(sample)) != {"element_ty", "shape", "numel", "name"} or set(vars(value)) != {
        "handle",
        "type",
        "dtype",
        "shape",
        "numel",
    }:
        return
    given = (list, type(sample.shape))  # what Triton 3.9 asserts a shape is: list or tl.tuple
    blocks: dict[tuple[int, ...], tuple[Any, Any, str]] = {}
    shapes: dict[tuple[int, ...], tuple[Any, Any]] = {}

    def ints(shape: Any) -> tuple[int, ...] | None:
        if type(shape) not in given:
            return None
        key = builtins.tuple(shape)
        return key if all(type(d) is int for d in key) else None

    def block_type_init(self, element_ty, shape) -> None:
        key = ints(shape)
        made = blocks.get(key) if key else None
        if made is None:
            block_init(self, element_ty, shape)  # Triton's own checks and errors
            if key:
                blocks[key] = (self.shape, self.numel, str(self.shape))
            return
        self.element_ty = element_ty
        self.shape, self.numel, text = made
        self.name = f"<{text}, {element_ty}>"

    def tensor_init_(self, handle, ty) -> None:
        key = ints(ty.shape) if ty.is_block() else ()
        made = shapes.get(key) if key is not None else None
        if made is None:
            tensor_init(self, handle, ty)
            if key is not None:
                shapes[key] = (self.shape, self.numel)
            return
        self.handle, self.type, self.dtype = handle, ty, ty.scalar
        self.shape, self.numel = made

    core.block_type.__init__ = block_type_init
    core.tensor.__init__ = tensor_init_


def _same_type_once(interpreter) -> None:
    """The interpreter's broadcast of two blocks of one shape, and its cast of a value to its
    own type, answered at once: both return their operands as they are (Triton's own code
    compares the shapes and types by value first, rebuilding them to compare). Shared shapes
    (``_shapes_once``) and Triton's dtype singletons make the common case an identity; any
    other pair goes through Triton's own code."""
    semantic = interpreter.interpreter_semantic  # the interpreter's alone, not the compiler's
    broadcast, cast = semantic.broadcast_impl_value, semantic.cast

    def broadcast_impl_value(lhs, rhs):
        lt, rt = lhs.type, rhs.type
        if lt.is_block() and rt.is_block() and lt.shape is rt.shape:
            return lhs, rhs
        return broadcast(lhs, rhs)

    def cast_(input, dst_ty, fp_downcast_rounding=None):
        if input.type.scalar is dst_ty.scalar:
            return input
        return cast(input, dst_ty, fp_downcast_rounding)

    semantic.broadcast_impl_value = broadcast_impl_value
    semantic.cast = cast_


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
