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
import contextlib
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
    if t in (tuple, list):
        items = [canonical(x) for x in v]
        return None if None in items else f"{t.__name__} ({', '.join(items)})"
    if isinstance(v, _DTYPE) and t.__module__.startswith("triton."):
        return f"dtype {v}"
    if isinstance(v, _NOT_VALUES) or _python_function(v):
        return None
    return f"an object of {t.__module__}.{t.__qualname__}"


class Identity:
    """The sources (key -> digest) and constants (key -> canonical value) one launched kernel
    reaches: the kernel itself, and every @triton.jit helper and constant it reaches by a name
    of its own module (the key is the name), of another module (a helper library's, Triton's:
    ``module:name``) or as an attribute of a module it holds (``tl.sum``, ``kwlib.helper``:
    ``module:attribute``), recursively."""

    def __init__(self, kernel: Any, skip: frozenset[str] = frozenset()):
        self.sources: dict[str, str] = {}
        self.constants: dict[str, str] = {}
        self.problem: str | None = None  # a function changed since @triton.jit read it
        fn = _python_function(kernel)
        if fn is None:
            return
        home = fn.__globals__
        todo, seen = [(fn.__name__, kernel, fn)], set()
        while todo:
            key, obj, f = todo.pop()
            if id(f) in seen:
                continue
            seen.add(id(f))
            self.sources[key] = _digest(obj, f) or "unreadable"
            if self.problem is None and (why := changed_since_jit(obj, f)):
                self.problem = f"{key}: {why}"
            module = f.__globals__
            names = _names(f.__code__)
            place = "" if module is home else f"{module.get('__name__')}:"
            reached = [(f"{place}{n}", module[n]) for n in names if n in module]
            for held in {id(v): v for _, v in reached if isinstance(v, types.ModuleType)}.values():
                attrs = vars(held)
                reached += [(f"{held.__name__}:{a}", attrs[a]) for a in names if a in attrs]
            for k, v in sorted(reached, key=lambda kv: kv[0]):
                if k in skip:
                    continue
                helper = _python_function(v)
                if helper is not None:
                    todo.append((k, v, helper))
                elif (c := canonical(v)) is not None:
                    self.constants[k] = c


# What @triton.jit read of each function when it wrapped it. A GPU's JITFunction reads the
# source text and the signature (defaults and annotations evaluated) once, then, and compiles and
# binds every launch from them. The text is read now here too: the interpreter reads a function's
# source once (``interpreter_cache``), so it runs what a GPU would compile, whatever the file or
# ``linecache`` say later. The signature is kept and held against the function's at each launch,
# which the launch log binds the arguments by (``guards.install`` reads every object made after
# it).
_AT_JIT: dict[int, tuple[Any, str | None]] = {}


def read_at_jit(obj: Any) -> None:
    fn = _python_function(obj)
    if fn is None:
        return
    with contextlib.suppress(OSError, TypeError):
        inspect.getsourcelines(fn)
    _AT_JIT[id(obj)] = (obj, _signature(fn))


def changed_since_jit(obj: Any, fn: types.FunctionType) -> str | None:
    """Where ``fn``'s signature is not what @triton.jit read when it wrapped it into ``obj``,
    said for the candidate."""
    held, sig = _AT_JIT.get(id(obj), (None, None))
    if held is not obj or sig == (now := _signature(fn)):
        return None
    return (
        f"its signature was ({sig}) when @triton.jit read it and is ({now}) at this launch: a "
        "GPU binds every launch's arguments, defaults and annotations as @triton.jit read them"
    )


def _signature(fn: types.FunctionType) -> str | None:
    try:
        return str(inspect.signature(fn))
    except (TypeError, ValueError):
        return None


# The constants each kernel's code (its def and helpers, by digest) read at its first launch or
# compile in this process. On a GPU that one compiled the binary later launches reuse, through
# the kernel object's cache or Triton's cache on disk, which another object of the same code
# shares: Triton holds the globals a kernel read against their values at compile time with
# ``==``, and -0.0 == 0.0, so a constant changed for a launch outside forward (at import, in
# __init__, in a hook) and changed back is what a GPU runs, while the launch log records the
# value it was changed back to.
# Once they changed, every later launch of that code is refused: a launch between may have
# compiled the binary one with the first values reuses.
_FIRST: dict[frozenset, dict[str, str]] = {}
_CHANGED: dict[frozenset, str] = {}


def changed_since_first(identity: Identity) -> str | None:
    """Where a launch's constants differ from those its code read at its first launch or
    compile in this process, or did at an earlier one, said for the candidate."""
    key = frozenset(identity.sources.items())
    first = _FIRST.setdefault(key, identity.constants)
    now = identity.constants
    changed = sorted(k for k in first.keys() | now.keys() if first.get(k) != now.get(k))
    if changed and key not in _CHANGED:
        _CHANGED[key] = _changed(changed[0], first, now)
    return _CHANGED.get(key)


def _changed(k: str, first: dict[str, str], now: dict[str, str]) -> str:
    return (
        f"{k} held {first.get(k, 'nothing')} at the first launch or compile of this kernel's "
        f"code in the process and holds {now.get(k, 'nothing')} at this one: on a GPU the "
        "first compiled the binary this launch reuses (Triton finds a changed constant only "
        "where it compares unequal), so a kernel's constants must keep one value throughout"
    )


# Modules whose names a replay may resolve by importing them: Triton's and the helper
# libraries a kernel may import (``kernel_source.HELPER_MODULES``).
def _trusted(module: str) -> bool:
    from kernelwright.sandbox.kernel_source import HELPER_MODULES

    return module == "triton" or module.startswith("triton.") or module in HELPER_MODULES


_MISSING = object()


def _resolve(key: str, namespace: dict[str, Any]) -> Any:
    """What ``key`` names in the replay: a name of the replayed kernels' module, or
    ``module:name`` of a module the replay imports itself (_MISSING where it cannot)."""
    if ":" not in key:
        return namespace.get(key, _MISSING)
    module, _, name = key.rpartition(":")
    if not _trusted(module):
        return _MISSING
    import importlib

    try:
        return vars(importlib.import_module(module)).get(name, _MISSING)
    except ImportError:
        return _MISSING


def mismatch(
    kernel: str,
    sources: dict[str, str],
    constants: dict[str, str],
    defs: dict[str, str],
    namespace: dict[str, Any],
) -> str | None:
    """Why a launch recorded as ``kernel`` did not run what the replay runs, or None. ``defs``:
    the extraction's digest of each def; ``namespace``: the replayed kernels' module."""
    for key, digest in sorted(sources.items()):
        want = defs.get(key)
        if want is None:
            obj = _resolve(key, namespace)
            helper = _python_function(obj)
            want = _digest(obj, helper) if helper is not None else None
        if digest != want:
            what = "it" if key == kernel else f"its helper {key}"
            return (
                f"the launch of {kernel}: {what} is not the @triton.jit def {key} that the "
                "replay runs (a def kept aside under another binding, one made inside a "
                "function, a helper library's function replaced): every kernel and helper must "
                "be a @triton.jit def at the top level of its module, launched and called under "
                "its own name"
            )
    for key, value in sorted(constants.items()):
        obj = _resolve(key, namespace)
        want = canonical(obj) if obj is not _MISSING else None
        if ":" in key and obj is _MISSING:
            want = "nothing the replay has"
        if want is not None and value != want:
            return (
                f"the launch of {kernel}: the constant {key} it reads held {value} when it "
                f"was launched, while the replay's is {want}: a kernel's constants must keep the "
                "value their binding gives them"
            )
    return None
