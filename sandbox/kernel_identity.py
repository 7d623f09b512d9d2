"""What a launch ran, as a GPU's compiler takes it, held against what the replay runs.

The replay defines each kernel from the extracted source (``kernel_source``) and finds it by the
name the launch log gives. The candidate's process launched some function object under that
name: a def kept aside under an earlier binding, a kernel defined inside a host function, a
module constant changed after it was bound (``LIMIT.value = 6.0``) all run other code there,
and on a GPU, than the replay runs; on the inputs the candidate's own trials see the two may
agree. So each launch records, in the candidate's process, the launched def (its syntax tree
without decorators, where it was defined, whether it closes over anything), the same of every
@triton.jit helper it reaches by a module name, and the values of the module constants they
read; the replay holds each against the extraction's own (``mismatch``) and refuses the launch
where they differ.

The record is made in the candidate's process, so it is a description, not evidence: code that
rewrites a function's code object after Triton took its source, or forges the record itself,
is beyond it. It closes the plain ways of launching one kernel under another's name.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import inspect
import textwrap
import types
from typing import Any

import triton.language as tl

# Taken when the zygote imports this module, before any candidate: no class of the
# candidate's passes for these.
_CONSTEXPR, _DTYPE = tl.constexpr, tl.dtype
_PLAIN = (int, float, bool, str, type(None))
_NOT_VALUES = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type)


def def_digest(node: ast.FunctionDef, qualname: str, freevars: tuple[str, ...] = ()) -> str:
    """A def as the compiler reads it: its syntax tree (no decorators, no positions), and
    where it lives (a module-level def's qualified name is its name; it closes over nothing)."""
    node = copy.copy(node)
    node.decorator_list = []
    text = f"{ast.dump(node)}|{qualname}|{','.join(freevars)}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# Per object, function and code object: a kernel launched once per row is read once.
_DIGESTS: dict[tuple, str | None] = {}


def _digest(obj: Any, fn: types.FunctionType) -> str | None:
    """A @triton.jit object's def: on a GPU the text its JITFunction compiles (``src``, taken
    when it was decorated), under the interpreter the file's text, which it runs."""
    src = getattr(obj, "src", None)
    key = (id(obj), fn, fn.__code__, src if isinstance(src, str) else None)
    if key not in _DIGESTS:
        try:
            text = src if isinstance(src, str) else "".join(inspect.getsourcelines(fn)[0])
            tree = ast.parse(textwrap.dedent(text))
        except (OSError, TypeError, SyntaxError, IndentationError):
            tree = None
        node = (
            next((n for n in tree.body if isinstance(n, ast.FunctionDef)), None) if tree else None
        )
        _DIGESTS[key] = node and def_digest(node, fn.__qualname__, fn.__code__.co_freevars)
    return _DIGESTS[key]


def _python_function(obj: Any) -> types.FunctionType | None:
    """The Python function behind a @triton.jit object (JITFunction, InterpretedFunction)."""
    fn = getattr(obj, "fn", None)
    return fn if isinstance(fn, types.FunctionType) else None


def _names(code: types.CodeType) -> set[str]:
    out = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            out |= _names(c)
    return out


def canonical(v: Any) -> str | None:
    """A constant as a kernel reads it, by exact type (a subclass is named as its own class);
    None for what is not a value (a module, a function)."""
    t = type(v)
    if t is _CONSTEXPR:
        inner = canonical(v.__dict__.get("value"))
        return None if inner is None else f"constexpr {inner}"
    if t in _PLAIN:
        return f"{t.__name__} {v!r}"
    if t is tuple:
        items = [canonical(x) for x in v]
        return None if None in items else f"tuple ({', '.join(items)})"
    if isinstance(v, _DTYPE) and t.__module__.startswith("triton."):
        return f"dtype {v}"
    if isinstance(v, _NOT_VALUES) or _python_function(v):
        return None
    return f"an object of {t.__module__}.{t.__qualname__}"


class Identity:
    """The sources (name -> digest) and constants (name -> canonical value) one launched
    kernel reaches: the kernel itself, its helpers through module names, recursively."""

    def __init__(self, kernel: Any, skip: frozenset[str] = frozenset()):
        self.sources: dict[str, str] = {}
        self.constants: dict[str, str] = {}
        fn = _python_function(kernel)
        if fn is None:
            return
        todo, seen = [(fn.__name__, kernel, fn)], set()
        while todo:
            name, obj, f = todo.pop()
            if id(f) in seen:
                continue
            seen.add(id(f))
            self.sources[name] = _digest(obj, f) or "unreadable"
            module = f.__globals__
            for n in sorted(_names(f.__code__)):
                if n not in module or n in skip:
                    continue
                v = module[n]
                helper = _python_function(v)
                if helper is not None:
                    todo.append((n, v, helper))
                elif (c := canonical(v)) is not None:
                    self.constants[n] = c


def mismatch(
    kernel: str,
    sources: dict[str, str],
    constants: dict[str, str],
    defs: dict[str, str],
    namespace: dict[str, Any],
) -> str | None:
    """Why a launch recorded as ``kernel`` did not run what the replay runs, or None. ``defs``:
    the extraction's digest of each def; ``namespace``: the replayed kernels' module."""
    for name, digest in sorted(sources.items()):
        want = defs.get(name)
        obj = namespace.get(name)
        if want is None and (helper := _python_function(obj)) is not None:
            want = _digest(obj, helper)  # a helper library's, read from its own file
        if digest != want:
            what = "it" if name == kernel else f"its helper {name}"
            return (
                f"the launch of {kernel}: {what} is not the module-level def {name} of the "
                "source that the replay runs (a def kept aside under another binding, or one "
                "made inside a function): every kernel and helper must be a @triton.jit def "
                "at the top level of the module, launched under its own name"
            )
    for name, value in sorted(constants.items()):
        if name in namespace and (want := canonical(namespace[name])) is not None:
            if value != want:
                return (
                    f"the launch of {kernel}: the module constant {name} it reads held "
                    f"{value} when it was launched, while the source binds it to {want}: a "
                    "kernel's constants must keep the value their binding gives them"
                )
    return None
