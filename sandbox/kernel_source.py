"""The candidate's Triton kernels, lifted out of its module: the one extraction that both the
trusted replay (``replay.py``) and the ahead-of-time compiler (``aot.py``, which has no torch)
run, so what is replayed is what is compiled.

``extract`` keeps, from the module's top level: ``@triton.jit`` functions whose bodies stay
inside Triton's language (the jit decorator alone, with literal options; autotune and heuristics
are dropped: the launch record carries the config they chose), the imports that bring in
Triton's language, ``math`` or a helper library, and names bound to constant expressions, their
annotations dropped. Every other line is blanked, so a line number in a traceback or a compiler
message is the line in the candidate's own file.

``define`` executes that text with a few of Python's builtins and an import that admits only
kernel modules, then checks that nothing the kernels or constants name reaches outside Triton's
language, however it is reached (``tl.core.inspect``, a constant bound to a module).
"""

from __future__ import annotations

import ast
import builtins
import copy
import functools
import symtable
import textwrap
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Libraries of @triton.jit helpers a kernel may call (kernelwright's own, inductor's).
HELPER_MODULES = ("kernelwright.prompts.kwlib", "torch._inductor.runtime.triton_helpers")
LANGUAGE = "triton.language"
# Modules the extracted text may import; `__future__` only changes how it compiles.
KERNEL_MODULES = ("triton", "math", "__future__", *HELPER_MODULES)
# What `from triton import ...` may bring in for a kernel.
TRITON_NAMES = frozenset(["language", "jit", "cdiv", "next_power_of_2", "constexpr"])
JIT_NAMES = frozenset(["triton.jit", "jit", "triton.language.jit", "tl.jit"])
# @triton.jit options that are data; the rest (repr, launch_metadata) are hooks.
JIT_OPTIONS = frozenset(
    ["do_not_specialize", "do_not_specialize_on_alignment", "debug", "noinline"]
)
# Hooks the candidate's own process runs around a launch (a profiler's metadata, a name for
# the launcher), never the compiled kernel: dropped from the extraction, whatever they are.
JIT_HOOKS = frozenset(["launch_metadata", "repr"])
JIT_DECORATOR = "__kernelwright_jit__"
# Functions a module constant may call: Triton's and math's, and int/float.
CONST_CALLS = frozenset(
    ["constexpr", "next_power_of_2", "cdiv", "int", "float", "log2", "sqrt", "exp", "log"]
)
DENIED_CALLABLES = [getattr, setattr, delattr, eval, exec, compile, open, __import__, globals, vars]
# What a kernel body may call of Python's own: enough for Triton's frontend, nothing that
# reaches files, modules or other objects.
SAFE_BUILTINS = {
    name: getattr(builtins, name)
    for name in (
        "range",
        "min",
        "max",
        "abs",
        "len",
        "int",
        "float",
        "bool",
        "tuple",
        "list",
        "zip",
        "enumerate",
        "print",
        "isinstance",
        "round",
        "divmod",
        "pow",
        "sum",
        "all",
        "any",
        "reversed",
        "slice",
        "ValueError",
        "AssertionError",
        "TypeError",
        "RuntimeError",
    )
}
# Attributes a kernel body may not name: Triton's machinery beneath the language, and the
# interpreter's handles on the NumPy arrays behind its tensors.
DENIED_ATTRS = frozenset(
    [
        "runtime",
        "compiler",
        "backends",
        "tools",
        "knobs",
        "testing",
        "profiler",
        "handle",
        "data",
        "fn",
        "os",
        "sys",
        "builtins",
        "importlib",
        "subprocess",
        "interpreter_builder",
        # str.format walks attributes by name inside a string ("{0.handle.data}").
        "format",
        "format_map",
    ]
)
DENIED_NODES = (
    ast.Import,
    ast.ImportFrom,
    ast.Global,
    ast.Nonlocal,
    ast.ClassDef,
    ast.AsyncFunctionDef,
    ast.Await,
    ast.Yield,
    ast.YieldFrom,
    ast.With,
    ast.AsyncWith,
    ast.Try,
    ast.Delete,
    ast.Lambda,
    # A value bound inside any expression (an f-string's part) escapes every probe of what
    # the compiler fixes (static_values.py); so may a loop variable assigned in its loop.
    ast.NamedExpr,
)
# What a module constant's expression may be made of.
CONSTANT_NODES = (
    ast.Constant,
    ast.Name,
    ast.Attribute,
    ast.UnaryOp,
    ast.BinOp,
    ast.Tuple,
    ast.List,
    ast.Call,
    ast.keyword,
    ast.Load,
    ast.operator,
    ast.unaryop,
)


class KernelSourceError(Exception):
    """The kernels cannot be defined from the source alone; the message says why."""


@dataclass
class Refusal:
    """Why a kernel is not extracted, and the candidate's line that says so."""

    line: int
    why: str

    def __str__(self) -> str:
        return self.why


@dataclass
class Extracted:
    text: str  # the module to execute, lines aligned with the candidate's
    kernels: dict[str, int] = field(default_factory=dict)  # name -> line of its def
    refused: dict[str, Refusal] = field(default_factory=dict)  # name -> why it is left out

    def dump(self) -> dict[str, Any]:
        """As JSON: the pool's extraction goes to the processes that define the kernels."""
        return {
            "text": self.text,
            "kernels": self.kernels,
            "refused": {k: [r.line, r.why] for k, r in self.refused.items()},
        }

    @classmethod
    def load(cls, d: dict[str, Any]) -> Extracted:
        refused = {k: Refusal(line, why) for k, (line, why) in d["refused"].items()}
        return cls(text=d["text"], kernels=dict(d["kernels"]), refused=refused)


def _language_module(name: str) -> bool:
    return name == "math" or name.startswith(LANGUAGE) or name.startswith(HELPER_MODULES)


def _from_allowed(module: str, name: str) -> bool:
    return _language_module(module) or _language_module(f"{module}.{name}")


def _kernel_import(node: ast.Import | ast.ImportFrom) -> ast.stmt | None:
    """The part of an import that brings in Triton's language (or math, or a helper library),
    or None: never Triton's runtime, compiler or interpreter."""
    if isinstance(node, ast.Import):
        names = [a for a in node.names if a.name == "triton" or _language_module(a.name)]
        keep: ast.stmt = ast.Import(names=names)
    elif node.module and node.level == 0:
        if node.module == "triton":
            names = [a for a in node.names if a.name in TRITON_NAMES]
        elif node.module == "__future__":
            names = node.names
        elif any(a.name == "*" for a in node.names):
            names = []  # what a star brings in is not known here
        else:
            # `from torch._inductor.runtime import triton_helpers` names a helper library
            # inside a package that is not one.
            names = [a for a in node.names if _from_allowed(node.module, a.name)]
        keep = ast.ImportFrom(module=node.module, names=names, level=0)
    else:
        return None
    return keep if names else None


def _constant(node: ast.expr, known: set[str]) -> bool:
    """A constant expression: literals, arithmetic, kept names and their public attributes,
    and calls of ``CONST_CALLS`` only."""
    for sub in ast.walk(node):
        if not isinstance(sub, CONSTANT_NODES):
            return False
        if isinstance(sub, ast.Name) and sub.id not in known and sub.id not in SAFE_BUILTINS:
            return False
        if isinstance(sub, ast.Attribute) and sub.attr.startswith("_"):
            return False
        if isinstance(sub, ast.Call):
            func = sub.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name not in CONST_CALLS:
                return False
    return True


def _jit_decorator(node: ast.FunctionDef) -> ast.expr | None:
    for dec in node.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        if ast.unparse(target) in JIT_NAMES:
            return dec
    return None


def _jit_options(jit: ast.expr) -> str | None:
    """The decorator's options as literal source, or None when one is not a literal of a data
    option: nothing of the candidate's runs when the decorator is applied (its hooks are
    dropped)."""
    if not isinstance(jit, ast.Call):
        return ""
    if jit.args:
        return None
    options = []
    for k in jit.keywords:
        if k.arg in JIT_HOOKS:
            continue
        try:
            value = ast.literal_eval(k.value)
        except (ValueError, TypeError):
            return None
        if k.arg not in JIT_OPTIONS:
            return None
        options.append(f"{k.arg}={value!r}")
    return "(" + ", ".join(options) + ")"


def _globals_read(fn: ast.FunctionDef) -> set[str]:
    """The names the kernel reads from outside itself, scoped as Python scopes them (which is
    how Triton's interpreter runs the body): a name bound only by a comprehension is that
    comprehension's, and read anywhere else in the body it is a global, one the interpreter
    may have added to the module (its own `inspect`, `np`)."""
    bare = copy.copy(fn)
    bare.decorator_list = []
    tables = [symtable.symtable(ast.unparse(bare), "<kernel>", "exec").get_children()[0]]
    found = set()
    while tables:
        table = tables.pop()
        found |= {s.get_name() for s in table.get_symbols() if s.is_global() and s.is_referenced()}
        tables += table.get_children()
    return found


def _assigns(body: list[ast.stmt], target: ast.expr) -> bool:
    bound = {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return any(
        isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load) and n.id in bound
        for stmt in body
        for n in ast.walk(stmt)
    )


def _read_after(fn: ast.FunctionDef, loop: ast.For) -> bool:
    """Whether a loop's variable is read outside every loop over it: after a ``range`` loop the
    compiled kernel's name is the loop region's placeholder (TTIR ``ub.poison``), Python's the
    last trip's value."""
    bound = {n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name)}
    inside = {
        id(n)
        for other in ast.walk(fn)
        if isinstance(other, ast.For)
        and bound & {t.id for t in ast.walk(other.target) if isinstance(t, ast.Name)}
        for stmt in other.body
        for n in ast.walk(stmt)
    }
    return any(
        isinstance(n, ast.Name)
        and isinstance(n.ctx, ast.Load)
        and n.id in bound
        and id(n) not in inside
        for n in ast.walk(fn)
    )


def _constexpr(annotation: ast.expr) -> bool:
    """``tl.constexpr``, ``triton.language.constexpr`` or a ``constexpr`` imported as such."""
    if isinstance(annotation, ast.Attribute):
        return annotation.attr == "constexpr"
    return isinstance(annotation, ast.Name) and annotation.id == "constexpr"


def _check_body(fn: ast.FunctionDef, names: set[str]) -> Refusal | None:
    """Why a kernel could leave Triton's language, or None. Default values and annotations
    run when the ``def`` runs: only constants may."""
    args = fn.args
    for value in [*args.defaults, *[d for d in args.kw_defaults if d is not None]]:
        if not _constant(value, names):
            return Refusal(
                value.lineno, f"line {value.lineno}: a default value that is not a constant"
            )
    for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
        if arg.annotation is not None and not _constexpr(arg.annotation):
            return Refusal(
                arg.lineno,
                f"line {arg.lineno}: parameter {arg.arg} is annotated with something other than "
                "tl.constexpr (Triton's launcher compiles a parameter annotated with a type, "
                "tl.float64 or '*i32', as that type, which the CPU check does not run)",
            )
    if fn.returns is not None and not _constant(fn.returns, names):
        return Refusal(fn.lineno, f"line {fn.lineno}: a return annotation that is not a constant")
    outside = _globals_read(fn)
    where = f"kernel {fn.name}"
    for sub in (node for stmt in fn.body for node in ast.walk(stmt)):
        line = getattr(sub, "lineno", fn.lineno)
        why = None
        if isinstance(sub, (*DENIED_NODES, ast.FunctionDef)):
            why = (
                f"{type(sub).__name__} is not Triton (a kernel body is compiled for the GPU; "
                "it cannot import, define classes or catch errors)"
            )
        elif isinstance(sub, ast.AnnAssign) and not _constexpr(sub.annotation):
            why = (
                "a local annotated with something other than tl.constexpr (the compiler makes "
                "it a tensor, the interpreter keeps a Python value)"
            )
        elif isinstance(sub, ast.For) and _assigns(sub.body, sub.target):
            why = (
                "a loop variable assigned in its own loop (the compiler unrolls a "
                "tl.static_range loop by that variable)"
            )
        elif isinstance(sub, ast.For) and _read_after(fn, sub):
            why = (
                "a loop variable read outside its loop (after a `range` loop the compiled "
                "kernel's variable is undefined, Python's the last trip's value): use another "
                "name outside the loop"
            )
        elif isinstance(sub, (ast.For, ast.While)) and sub.orelse:
            why = (
                "an `else` after a loop (the compiler runs it in every trip of a "
                "tl.static_range loop, Python once after the loop)"
            )
        elif isinstance(sub, ast.Attribute) and (
            sub.attr.startswith("_") or sub.attr in DENIED_ATTRS
        ):
            why = f".{sub.attr} is not part of Triton's language"
        elif (
            isinstance(sub, ast.Name)
            and isinstance(sub.ctx, ast.Load)
            and sub.id in outside
            and not (sub.id in names or sub.id in SAFE_BUILTINS)
        ):
            why = (
                f"{sub.id} is not a kernel parameter, a Triton module or a module-level "
                "constant or @triton.jit function"
            )
        if why:
            return Refusal(line, f"{where} (line {line}): {why}")
    return None


def _root(node: ast.expr) -> str | None:
    """The name an attribute or item chain starts from: ``LIMIT`` of ``LIMIT.value[0]``."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _local_names(fn: ast.AST) -> set[str]:
    """The names a function binds for itself (its parameters and plain assignments)."""
    args = getattr(fn, "args", None)
    params = {a.arg for a in ast.walk(args) if isinstance(a, ast.arg)} if args else set()
    return params | {
        n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }


def _module_bindings(tree: ast.Module) -> dict[str, list[int]]:
    """Every line that binds or changes each module-level name, anywhere in the module: at the
    top level, inside a module-level ``if``, loop, ``try``, ``with`` or ``match`` (a capture
    pattern), by an import, a ``def`` or a ``class``, inside a function or class that declares
    the name ``global``, and a store into what it holds (``LIMIT.value = 6.0``, ``S.value[0] =
    0.0``, ``setattr(LIMIT, ...)``) wherever the name is the module's; a star import counts as
    binding every name."""
    found: dict[str, list[int]] = {}

    def visit(node: ast.AST, module: bool, declared: frozenset[str], local: set[str]) -> None:
        for child in ast.iter_child_nodes(node):
            name = None
            if isinstance(child, (ast.Attribute, ast.Subscript)) and not isinstance(
                child.ctx, ast.Load
            ):
                root = _root(child)
                if root is not None and (module or root in declared or root not in local):
                    found.setdefault(root, []).append(child.lineno)
            elif (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Name)
                and child.func.id in ("setattr", "delattr")
                and child.args
                and (root := _root(child.args[0])) is not None
                and (module or root in declared or root not in local)
            ):
                found.setdefault(root, []).append(child.lineno)
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = child.name
            elif isinstance(child, ast.Name) and not isinstance(child.ctx, ast.Load):
                name = child.id
            elif isinstance(child, ast.alias):
                name = (child.asname or child.name).split(".")[0]
            elif isinstance(child, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)):
                name = child.name
            elif isinstance(child, ast.MatchMapping):
                name = child.rest
            if name is not None and (module or name in declared):
                found.setdefault(name, []).append(
                    getattr(child, "lineno", getattr(node, "lineno", 0))
                )
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                inner = {n for s in ast.walk(child) if isinstance(s, ast.Global) for n in s.names}
                visit(child, False, frozenset(inner), _local_names(child) - inner)
            else:
                visit(child, module, declared, local)

    visit(tree, True, frozenset(), set())
    # A star import binds names no one can list here: any name, once more.
    stars = [
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names)
    ]
    for lines in found.values():
        lines.extend(stars)
    return found


def _rebound(
    fn: ast.FunctionDef, names: set[str], bindings: dict[str, list[int]]
) -> Refusal | None:
    """A module-level name the kernel reads that the module binds more than once: the
    extraction keeps its one top-level binding, while the module a GPU runs may take another
    (under ``if torch.cuda.is_available():``, in a function that declares it ``global``). A
    kernel launched under another binding of its own name is ``kernel_identity``'s."""
    for name in sorted(_globals_read(fn) & names):
        bound = bindings.get(name, [])
        if len(bound) > 1:
            at = ", ".join(map(str, sorted(set(bound))))
            return Refusal(
                fn.lineno,
                f"kernel {fn.name} (line {fn.lineno}): {name}, which it reads, is bound or "
                f"changed more than once in the module (lines {at}); a kernel's constants and "
                "helpers must be bound once, unconditionally, at the top level, and never "
                "changed after, or what it computes depends on which binding or change ran "
                "(the check runs on this machine, a GPU run may take another, or compile with "
                "a value held only for a moment)",
            )
    return None


@functools.lru_cache(maxsize=8)
def extracted(code: str) -> Extracted:
    """``extract``, once per source in this process: the pool's, whose answer the replay and
    the compile take with their requests instead of extracting again (a third of a small
    kernel's fixed cost in each). Not to be changed in place: ``dataclasses.replace``."""
    return extract(code)


def extract(code: str) -> Extracted:
    """The kernels of ``code`` (which must parse) as a module safe to execute."""
    tree = ast.parse(code)
    lines = code.splitlines()
    out = [""] * len(lines)
    simple: dict[int, list[str]] = {}  # line -> the kept statements that start on it
    names: set[str] = set()
    kernels: list[tuple[ast.FunctionDef, str]] = []
    result = Extracted(text="")
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            kept = _kernel_import(node)
            if kept is not None:
                simple.setdefault(node.lineno - 1, []).append(ast.unparse(kept))
                names |= {(a.asname or a.name).split(".")[0] for a in kept.names}
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if all(isinstance(t, ast.Name) for t in targets) and _constant(node.value, names):
                # Without its annotation: an annotation is code too.
                kept = ast.Assign(targets=targets, value=node.value, lineno=node.lineno)
                simple.setdefault(node.lineno - 1, []).append(ast.unparse(kept))
                names |= {t.id for t in targets}
        elif isinstance(node, ast.FunctionDef) and (jit := _jit_decorator(node)) is not None:
            options = _jit_options(jit)
            if options is None:
                result.refused[node.name] = Refusal(
                    jit.lineno,
                    f"kernel {node.name} (line {jit.lineno}): its @triton.jit(...) options are "
                    f"not literal values of {', '.join(sorted(JIT_OPTIONS))}",
                )
                continue
            kernels.append((node, options))
            names.add(node.name)
    bindings = _module_bindings(tree)
    for fn, options in kernels:
        why = _check_body(fn, names) or _rebound(fn, names, bindings)
        if why:
            result.refused[fn.name] = why
            continue
        out[fn.lineno - 1 : fn.end_lineno] = lines[fn.lineno - 1 : fn.end_lineno]
        indent = lines[fn.lineno - 1][: fn.col_offset]
        out[fn.lineno - 2] = f"{indent}@{JIT_DECORATOR}{options}"
        result.kernels[fn.name] = fn.lineno
    for i, statements in simple.items():
        out[i] = "; ".join(statements)  # `A = 1; import os` keeps A and nothing else
    result.text = "\n".join(out) + "\n"
    return result


def define(
    extracted: Extracted,
    filename: str,
    jit: Callable,
    extra: dict[str, Any] | None = None,
    builtins: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Execute the extracted kernels with ``jit`` as their decorator: name -> kernel. ``extra``
    names are bound in the kernels' module once its own code has run (nothing it defines can
    take their place); ``builtins`` replace Python's of the same name (a module name still
    comes first, as for the compiler).

    ``filename`` must hold ``extracted.text``: Triton reads a kernel's source from its file."""
    namespace: dict[str, Any] = {
        "__builtins__": {**SAFE_BUILTINS, **(builtins or {}), "__import__": _kernel_module_import},
        "__name__": "kw_kernels",
        "__file__": filename,
        JIT_DECORATOR: jit,
    }
    try:
        # dont_inherit: only the candidate's own __future__ imports decide how it compiles.
        code = compile(extracted.text, filename, "exec", dont_inherit=True)
        exec(code, namespace)
    except Exception as e:
        raise KernelSourceError(
            f"the kernels could not be defined: {type(e).__name__}: {e}"
        ) from None
    namespace.update(extra or {})
    for node in ast.parse(extracted.text).body:
        if isinstance(node, ast.Assign):
            bound = {t.id: "module constant" for t in node.targets}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound = {(a.asname or a.name).split(".")[0]: "import" for a in node.names}
        else:
            bound = {}
        for name, what in bound.items():
            value = namespace[name]
            # `import triton` binds triton itself; past it, a dotted name reaches TRITON_NAMES.
            if _outside(value) and getattr(value, "__name__", None) != "triton":
                raise KernelSourceError(
                    f"line {node.lineno}: {what} {name} is not a value of Triton's language"
                )
        if isinstance(node, (ast.Assign, ast.FunctionDef)):
            _check_reach(node, namespace)
    return {name: namespace[name] for name in extracted.kernels}


def interpreted_as_checked(kernels: dict[str, Any], text: str) -> None:
    """Raise KernelSourceError unless Triton's interpreter would run each kernel as checked.

    The interpreter does not run the function object: it re-reads the kernel's lines from its
    file and runs them from a line it finds by its own rule (in Triton 3.x: the last line that
    starts with ``def ``, or only the last line if none does), at module level in the kernel
    module's globals, while the compiler and this extraction start at the ``def``. So the text
    it would take is asked of the interpreter itself, without running it, and must parse to
    the very function that was checked: a second ``def`` in a docstring, or ``def<TAB>name``,
    would have it run unchecked text that no compiler sees."""
    import inspect

    from triton.runtime.interpreter import FunctionRewriter, InterpretedFunction

    checked = {n.name: n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef)}
    text_lines = text.splitlines(keepends=True)
    for name, kernel in kernels.items():
        if not isinstance(kernel, InterpretedFunction):
            continue
        lines, first = inspect.getsourcelines(kernel.fn)
        rewriter = FunctionRewriter(kernel.fn)
        node = checked[name]
        try:
            rewriter.def_lineno = rewriter._find_def(lines)
            taken = rewriter._prepare_source(lines)
        except AttributeError:  # an interpreter whose rule this check does not know
            raise KernelSourceError(
                "this Triton's interpreter reads kernels in a way kernelwright cannot check"
            ) from None
        # The same text, from its def to its last line, is the same function (the common case,
        # without parsing it again); any other text must parse to it.
        if taken == textwrap.dedent("".join(text_lines[node.lineno - 1 : node.end_lineno])):
            continue
        try:
            tree = ast.parse(taken)
        except SyntaxError:
            tree = None
        want = copy.copy(node)
        want.decorator_list = []
        if tree is None or len(tree.body) != 1 or ast.dump(tree.body[0]) != ast.dump(want):
            start = first + (rewriter.def_lineno or len(lines)) - 1
            raise KernelSourceError(
                f"kernel {name}: Triton's interpreter would run its text from line {start} (the "
                f"last line that starts with 'def ', or the last line if none does), not the "
                f"kernel defined at line {checked[name].lineno} that the GPU compiler compiles: "
                "write the def as `def name(...)` and keep no line of the body starting with "
                "'def '"
            )


def _outside(obj: Any) -> bool:
    """An object outside Triton's language: a module that is not one of its modules, a function
    or class defined elsewhere (``tl.core.inspect``, ``tl.core.wraps``), a denied builtin."""
    import triton
    import triton.language as tl
    from triton.runtime.interpreter import InterpretedFunction
    from triton.runtime.jit import JITFunction

    if isinstance(obj, (tuple, list)):
        return any(map(_outside, obj))
    if isinstance(obj, types.ModuleType):
        return not _language_module(obj.__name__)
    if isinstance(obj, tl.constexpr):
        # A module held in a constexpr is a module as a value: what is read through it
        # (`LANG.value.core.inspect`) would go unchecked, as for a module held in a local.
        return isinstance(obj.value, types.ModuleType) or _outside(obj.value)
    if any(obj is d for d in DENIED_CALLABLES):
        return True
    if callable(obj):
        if obj is tl.PropagateNan or any(obj is getattr(triton, n, 0) for n in TRITON_NAMES):
            return False
        # A kernel is where its function was written (the interpreter's wrapper is not).
        defined = obj.fn if isinstance(obj, (JITFunction, InterpretedFunction)) else obj
        module = getattr(defined, "__module__", None) or ""
        return not (_language_module(module) or any(obj is b for b in SAFE_BUILTINS.values()))
    return False


def _check_reach(node: ast.AST, namespace: dict[str, Any]) -> None:
    """Every dotted name read from a module resolves inside Triton's language (or math):
    ``tl.core.builtins`` or a helper module's ``os`` is refused, whatever path reaches it. In a
    kernel a module is only ever the start of a dotted name: held in a local, what is read from
    it would go unchecked."""
    kernel = isinstance(node, ast.FunctionDef)
    where = f"kernel {node.name} (line" if kernel else "(line"
    inner = {id(sub.value) for sub in ast.walk(node) if isinstance(sub, ast.Attribute)}
    for sub in ast.walk(node):
        if (
            kernel
            and isinstance(sub, ast.Name)
            and id(sub) not in inner
            and isinstance(namespace.get(sub.id), types.ModuleType)
        ):
            raise KernelSourceError(f"{where} {sub.lineno}): the module {sub.id} used as a value")
        if not isinstance(sub, ast.Attribute) or id(sub) in inner:  # whole chains only
            continue
        chain, root = [], sub
        while isinstance(root, ast.Attribute):
            chain.append(root.attr)
            root = root.value
        if not isinstance(root, ast.Name) or not isinstance(
            namespace.get(root.id), types.ModuleType
        ):
            continue
        obj, path = namespace[root.id], root.id
        for n, attr in enumerate(reversed(chain)):
            # `triton` itself is no language module: past it, only TRITON_NAMES.
            beyond_triton = n == 0 and obj.__name__ == "triton" and attr not in TRITON_NAMES
            obj, path = getattr(obj, attr, None), f"{path}.{attr}"
            if beyond_triton or _outside(obj):
                raise KernelSourceError(
                    f"{where} {sub.lineno}): {path} reaches outside Triton's language"
                )
        if kernel and isinstance(obj, types.ModuleType):
            raise KernelSourceError(f"{where} {sub.lineno}): the module {path} used as a value")


def _kernel_module_import(name, globals=None, locals=None, fromlist=(), level=0):
    allowed = name.startswith(KERNEL_MODULES) or (
        fromlist and all(_from_allowed(name, f) for f in fromlist)
    )
    if level or not allowed:
        raise ImportError(f"{name} is not a kernel module")
    return builtins.__import__(name, globals, locals, fromlist, level)
