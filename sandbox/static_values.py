"""The values Triton's compiler fixes while it compiles a kernel, held against the interpreter's.

While it compiles, Triton's code generator evaluates part of a kernel body as Python: constexpr
arithmetic, an ``if`` on a constexpr, ``is``, ``isinstance``, names it maps to its own
(``print`` is ``tl.device_print`` there). Only what is left becomes the GPU program. On a CPU the
trials and the trusted replay run the body under Triton's interpreter instead, which evaluates
the same expressions at run time, by its own rules; where the two disagree, the program judged
is not the program a GPU runs (``if print is tl.device_print:`` is True for the compiler,
False for the interpreter). Comparing only the branches each side took would not do: a value
the two see differently can be carried into a branch both compile.

So three processes each do a part. The compile process, which runs Triton's code generator on
every launch record anyway (``aot.py``), notes the plain value (a bool, a number, a string, a
dtype, a tuple of them) of every expression it evaluates to one, by function specialisation,
source position and iteration of an unrolled ``tl.static_range`` (``recording``). The replay
runs kernels defined from a text with every expression of the kinds that compute wrapped in a
probe (``probed``), which notes what the interpreter computed there (``Probe``); the wrappers
change no line, so every line number stays the candidate's. The parent, holding both, finds the
first expression the interpreter computed otherwise (``disagreement``).
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import json
import math
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

# The expressions probed: those whose value is computed from others. A name's value comes from
# a parameter, a module constant or an assignment of one of these; a literal is the same text.
PROBED = (
    ast.Attribute,
    ast.Subscript,
    ast.Call,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.BoolOp,
    ast.IfExp,
)
KERNEL_MODULE = "kw_kernels"  # the __name__ kernel_source.define gives the kernels' module
_UNKNOWN = object()  # neither a plain value nor a tensor: a function, a module
RUNTIME = ("runtime",)  # what the compiler noted where it had neither (nothing to compare)

Pos = tuple[int, int, int, int, str]  # line, column, end line, end column (from the def), kind
# One line as Python's parser counts lines (``\r\n``, ``\r`` or ``\n`` ends one; a form
# feed does not), its end kept.
_PARSER_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")

# Why an `and`/`or`, or a chained comparison, on a tensor is refused (the compile's error, one
# line: the candidate is shown its last line).
BOOLEAN_ON_TENSOR = (
    "`and`, `or` or a chained comparison with a tensor operand before the last: Python (which "
    "checks the kernel here) stops at the first operand that decides and returns that operand, "
    "while Triton's compiler evaluates every operand on the GPU and returns their logical "
    "and/or, so the two run different programs; use & / | instead, e.g. `(a > 0) & (b < n)` "
    "for `a > 0 and b < n`, `(0 <= i) & (i < n)` for `0 <= i < n`"
)


def compiler_names() -> dict[str, Callable]:
    """Python's builtins the code generator reads as functions of its own (``print`` is
    ``tl.device_print``, ``max`` its ``builtin_max``: in Triton 3.6 and 3.9), each as that very
    function run by the interpreter: bound as the kernels' builtins, a name means one function
    on both sides (Python's ``max(n, 0.5)`` of an int32 tensor returns the int32; the
    compiler's, a float32)."""
    import builtins

    from triton.compiler.code_generator import CodeGenerator
    from triton.runtime import interpreter

    def on_interpreter(fn: Callable) -> Callable:
        # What the interpreter's own patch of a Triton builtin does: its semantic, not ours.
        def call(*args, **kwargs):
            kwargs.pop("_semantic", None)
            return fn(*args, **kwargs, _semantic=interpreter.interpreter_semantic)

        return call

    return {
        name: on_interpreter(fn)
        for name, fn in CodeGenerator.builtin_namespace.items()
        if fn is not getattr(builtins, name, None)
    }


def plain(value: Any) -> Any:
    """A value as both sides can state it, or _UNKNOWN. Floats are taken at float32: the
    compiler keeps a constexpr as a Python float where the interpreter, assigning it, stores
    it as float32, and a tensor computes with the float32 either way."""
    import numpy as np
    import triton.language as tl

    if isinstance(value, tl.constexpr):
        value = value.value
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return "nan" if math.isnan(value) else float(np.float32(value))
    if isinstance(value, np.generic):
        return plain(value.item())
    if isinstance(value, tl.dtype):
        return ("dtype", str(value))
    if isinstance(value, (tuple, list, tl.tuple)):
        items = tuple(plain(v) for v in value)
        return _UNKNOWN if any(v is _UNKNOWN for v in items) else items
    return _UNKNOWN


SCALAR_BOOL = ("tensor", "int1")  # a scalar condition's type
# Values that are their own plain value (``plain``), told apart by their exact type.
_EXACT = {bool, int, str, type(None)}

# Set while a combine function runs on whole arrays at once (the perturbed replay's reduction
# tree, ``semantics``): each lane is one call of the compiled combine, whose values are scalars.
_per_element = False


@contextlib.contextmanager
def per_element() -> Iterator[None]:
    """Tensors typed by their element type: a combine function called on many lanes at once."""
    global _per_element
    saved, _per_element = _per_element, True
    try:
        yield
    finally:
        _per_element = saved


def typed(value: Any) -> Any:
    """What both sides can state of a value: a constant's plain value, a tensor's type (its
    dtype, and shape for a block: ``("tensor", "<[64], fp32>")``, a compile-time fact on both
    sides), tuples item by item; else _UNKNOWN. The same text typed otherwise by the two
    (``n and 7`` is the tensor ``n`` compiled, the int 7 in Python) shows here even where the
    compiled value is a tensor, so never a constant the compiler could fold."""
    import triton.language as tl

    if isinstance(value, tl.tensor):
        return ("tensor", str(value.type.scalar if _per_element else value.type))
    if isinstance(value, (tuple, list, tl.tuple)):
        items = tuple(typed(v) for v in value)
        return _UNKNOWN if any(v is _UNKNOWN for v in items) else items
    return plain(value)


def interpreted(value: Any) -> Any:
    """``plain`` of an interpreter value, where a scalar is a one-element tensor: an unrolled
    loop's trip, as the probes key it."""
    import triton.language as tl

    if isinstance(value, tl.tensor):
        data = getattr(value.handle, "data", None)
        if value.type.is_block() or data is None or data.size != 1:
            return ("tensor", str(value.type))
        return plain(data.reshape(-1)[0])
    return plain(value)


def _pos(node: ast.AST, first_line: int) -> Pos:
    return (
        node.lineno - first_line + 1,
        node.col_offset,
        node.end_lineno - first_line + 1,
        node.end_col_offset,
        type(node).__name__,
    )


@dataclass
class Statics:
    """What the code generator fixed compiling one launch record. The kernel itself is
    specialisation "", a @jit function it calls the name the compiler mangled for the call."""

    # (specialisation, function, position, unrolled-loop values) -> the plain values it fixed
    # there, or RUNTIME where it left the value to run time
    values: dict[tuple, set] = field(default_factory=dict)
    # (specialisation, function, position of a call, unrolled-loop values) -> the
    # specialisation it compiled
    calls: dict[tuple, str] = field(default_factory=dict)
    # (specialisation, position of a for loop) the code generator unrolled
    unrolled: set[tuple] = field(default_factory=set)
    # specialisation of a candidate function -> that function's name
    functions: dict[str, str] = field(default_factory=dict)
    # specialisation of a library function -> what it calls: (specialisation, function, whether
    # it is the candidate's). A candidate function a library calls (a combine function passed
    # to a helper) is reached through no call site of the candidate's: mapped through these.
    library: dict[str, set[tuple[str, str, bool]]] = field(default_factory=dict)

    def dump(self) -> dict[str, list]:
        return {
            "values": [[*k, sorted(v, key=repr)] for k, v in self.values.items()],
            "calls": [[*k, v] for k, v in self.calls.items()],
            "unrolled": [list(k) for k in self.unrolled],
            "functions": sorted(self.functions.items()),
            "library": [[k, sorted(v)] for k, v in self.library.items()],
        }

    @classmethod
    def load(cls, data: dict[str, list]) -> Statics:
        return cls(
            values={_frozen(row[:4]): set(map(_frozen, row[4])) for row in data["values"]},
            calls={_frozen(row[:4]): row[4] for row in data["calls"]},
            unrolled={_frozen(row) for row in data["unrolled"]},
            functions=dict(data["functions"]),
            library={k: set(map(_frozen, v)) for k, v in data["library"]},
        )

    def entered(self, spec: str, function: str) -> str | None:
        """The specialisation of ``function`` that ``spec`` reached it by: ``spec`` itself
        where it is one of ``function``'s, else the one specialisation the library function
        ``spec`` (and the library functions it calls) compiled a call of ``function`` as;
        None where there is not exactly one (nothing to hold the interpreter's values to)."""
        if self.functions.get(spec) == function:
            return spec
        found, todo, done = set(), [spec], set()
        while todo:
            for callee, name, mine in self.library.get(todo.pop(), ()):
                if mine and name == function:
                    found.add(callee)
                elif not mine and callee not in done:
                    done.add(callee)
                    todo.append(callee)
        return found.pop() if len(found) == 1 else None


def _frozen(v: Any) -> Any:
    """A value back from JSON, its lists tuples again."""
    return tuple(map(_frozen, v)) if isinstance(v, list) else v


@contextlib.contextmanager
def recording(statics: Statics) -> Iterator[None]:
    """The code generator, noting what it evaluates in the candidate's own functions (Triton's
    and helper libraries' are trusted code, and what enters them is noted where it is passed)."""
    import triton.compiler.code_generator as cg
    import triton.language as tl

    visit, visit_for, call_jit, mangle = (
        cg.CodeGenerator.visit,
        cg.CodeGenerator.visit_For,
        cg.CodeGenerator.call_JitFunction,
        cg.mangle_fn,
    )
    mangled: list[list[str]] = []  # per call being compiled: the name it compiled as
    # An operand of `and`/`or` or of a chained comparison that another operand follows (by
    # id) -> that expression: Python may skip what follows it, at run time.
    followed: dict[int, ast.expr] = {}

    def spec(gen) -> str:
        return "" if gen.is_kernel else gen.function_name

    def candidate(gen) -> bool:
        return mine_fn(gen.jit_fn)

    def mine_fn(fn) -> bool:
        return getattr(fn.fn, "__module__", None) == KERNEL_MODULE

    def visit_hook(gen, node):
        mine = candidate(gen)
        if mine:
            statics.functions[spec(gen)] = gen.jit_fn.__name__
        if mine and isinstance(node, ast.BoolOp):
            followed.update((id(v), node) for v in node.values[:-1])
        elif mine and isinstance(node, ast.Compare) and len(node.ops) > 1:
            followed.update((id(v), node) for v in (node.left, *node.comparators[:-1]))
        ret = visit(gen, node)
        if mine and id(node) in followed and isinstance(ret, tl.tensor):
            raise gen._unsupported(followed[id(node)], BOOLEAN_ON_TENSOR)
        if (
            mine
            and isinstance(node, ast.expr)
            and hasattr(node, "lineno")  # not a node the code generator made up itself
            and not isinstance(getattr(node, "ctx", None), (ast.Store, ast.Del))
        ):
            value = typed(ret)
            if (
                value == SCALAR_BOOL
                and isinstance(node, ast.UnaryOp)
                and isinstance(node.op, ast.Not)
            ):
                # Python's `not` of a scalar is a bool of the same value, whatever the operand
                # (`if not (pid < n):`); where it goes next, it is probed there.
                value = _UNKNOWN
            key = (spec(gen), gen.jit_fn.__name__, _pos(node, 1), trips(gen, node))
            statics.values.setdefault(key, set()).add(RUNTIME if value is _UNKNOWN else value)
        return ret

    def trips(gen, node: ast.AST) -> tuple:
        """The trip of each unrolled loop around ``node``, outermost first (the extraction
        refuses a loop variable assigned in its loop: it is the trip). A loop is around the
        nodes of its body only, as the probes have it: its iterator's arguments are evaluated
        before its first trip, while the loop variable's name still holds what an earlier loop
        left there (``for s in tl.static_range(K)`` twice: the second ``K`` is no trip of
        either), and its ``else`` after its last."""
        found = []
        for loop in getattr(gen, "_kw_loops", ()):
            if not hasattr(loop, "lineno") or not isinstance(loop.target, ast.Name):
                continue
            if not _inside(node, loop.body):
                continue
            target = gen.lscope.get(loop.target.id)
            if isinstance(target, tl.constexpr):
                statics.unrolled.add((spec(gen), _pos(loop, 1)))
                found.append(plain(target))
        return tuple(found)

    def visit_for_hook(gen, node):
        gen._kw_loops = [*getattr(gen, "_kw_loops", ()), node]
        try:
            return visit_for(gen, node)
        finally:
            gen._kw_loops = gen._kw_loops[:-1]

    def call_jit_hook(gen, fn, args, kwargs, caller_context=None):
        at, named = gen.cur_node, []
        mangled.append(named)
        try:
            ret = call_jit(gen, fn, args, kwargs, caller_context)
        finally:
            mangled.pop()
        if not named:
            return ret
        if not candidate(gen):
            # Every call a library function compiles, the candidate's functions it calls too
            # (mangled again at each call, its body compiled once): ``Statics.entered``.
            edge = (named[0], fn.__name__, mine_fn(fn))
            statics.library.setdefault(spec(gen), set()).add(edge)
        elif isinstance(at, ast.Call) and hasattr(at, "lineno"):
            statics.calls[(spec(gen), gen.jit_fn.__name__, _pos(at, 1), trips(gen, at))] = named[0]
        return ret

    def mangle_hook(*args, **kwargs):
        name = mangle(*args, **kwargs)
        if mangled and not mangled[-1]:  # the callee's own name, before its body compiles
            mangled[-1].append(name)
        return name

    cg.CodeGenerator.visit = visit_hook
    cg.CodeGenerator.visit_For = visit_for_hook
    cg.CodeGenerator.call_JitFunction = call_jit_hook
    cg.mangle_fn = mangle_hook
    try:
        yield
    finally:
        cg.CodeGenerator.visit = visit
        cg.CodeGenerator.visit_For = visit_for
        cg.CodeGenerator.call_JitFunction = call_jit
        cg.mangle_fn = mangle


def _inside(node: ast.AST, body: list[ast.stmt]) -> bool:
    """Whether ``node`` lies within the statements ``body``, by source position: a node the
    code generator copies from one of them (``x += y`` compiles a copy of ``x``) is inside too."""
    if not body or not hasattr(node, "lineno"):
        return False
    start = (body[0].lineno, body[0].col_offset)
    end = (body[-1].end_lineno, body[-1].end_col_offset)
    return start <= (node.lineno, node.col_offset) and (node.end_lineno, node.end_col_offset) <= end


@dataclass(frozen=True)
class Site:
    """A probed expression: where it is, and the unrolled-loop candidates around it."""

    function: str
    pos: Pos
    loops: tuple[Pos, ...]  # the for loops around it, outermost first
    line: int  # in the candidate's file
    text: str


def probed(
    text: str, kernels: dict[str, int], static: str, call: str
) -> tuple[str, dict[int, Site], dict[int, Site]]:
    """``text`` with the expressions of each kernel in ``kernels`` (name -> line of its def)
    wrapped in probes, calls to ``static`` and ``call`` (names the candidate cannot guess):
    (the new text, the value probes' sites, the call probes' sites). Only characters are
    inserted inside lines, so every line keeps its number."""
    tree = ast.parse(text)
    wrapper = _Wrapper(text, static, call, _module_names(tree))
    for fn in tree.body:
        if isinstance(fn, ast.FunctionDef) and fn.name in kernels:
            wrapper.fn = fn
            wrapper.local = {a.arg for a in ast.walk(fn.args) if isinstance(a, ast.arg)} | {
                n.id
                for n in ast.walk(fn)
                if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)
            }
            for stmt in fn.body:
                wrapper.visit(stmt, ())
    lines = [ln.encode() for ln in text.splitlines(keepends=True)]
    for (line, col, *_), s in sorted(wrapper.inserts, reverse=True):
        b = lines[line - 1]
        lines[line - 1] = b[:col] + s.encode() + b[col:]  # columns are UTF-8 byte offsets
    return "".join(b.decode() for b in lines), wrapper.statics, wrapper.calls


def _module_names(tree: ast.Module) -> dict[str, str | None]:
    """Every name bound at module level: to "triton" or "language" where an import binds it to
    ``triton`` or ``triton.language``, else None."""
    bound: dict[str, str | None] = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    bound[a.asname] = {"triton": "triton", "triton.language": "language"}.get(
                        a.name
                    )
                else:
                    bound[a.name.split(".")[0]] = "triton" if a.name.startswith("triton") else None
        elif isinstance(node, ast.ImportFrom):
            for a in node.names:
                is_language = node.module == "triton" and a.name == "language"
                bound[a.asname or a.name] = "language" if is_language else None
        else:
            for n in ast.walk(node):
                if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
                    bound[n.id] = None
    return bound


class _Wrapper:
    """What ``probed`` inserts, walking one kernel at a time."""

    def __init__(self, text: str, static: str, call: str, module: dict[str, str | None]):
        self.static, self.call, self.module = static, call, module
        # The text's lines as the parser numbers them, split once: ``ast.get_source_segment``
        # splits the whole text again for every site (quadratic in a kernel's size).
        self.lines = _PARSER_LINE.findall(text)
        self.fn: ast.FunctionDef
        self.local: set[str] = set()  # the kernel's parameters and the names it assigns
        self.inserts: list[tuple[tuple, str]] = []
        self.statics: dict[int, Site] = {}
        self.calls: dict[int, Site] = {}

    def visit(self, node: ast.AST, loops: tuple[ast.For, ...]) -> None:
        if isinstance(node, ast.JoinedStr):
            return  # an f-string's parts are no expressions to wrap
        if isinstance(node, ast.For):
            self.visit(node.target, loops)
            if isinstance(node.iter, ast.Call):
                # `for i in tl.static_range(n)`: the code generator reads the iterator's
                # callee and arguments, never the call. (A `range` loop's variable is the
                # compiled loop's tensor in every interpreted run: ``interp_rewrite``.)
                for child in (*node.iter.args, *node.iter.keywords):
                    self.visit(child, loops)
            else:
                self.visit(node.iter, loops)
            inner = loops if self._dynamic(node) else (*loops, node)
            for child in node.body:
                self.visit(child, inner)
            for child in node.orelse:
                self.visit(child, loops)
            return
        if isinstance(node, ast.AnnAssign):  # a local annotation is never evaluated
            for child in (node.target, node.value):
                if child is not None:
                    self.visit(child, loops)
            return
        if isinstance(node, ast.Name):
            # A local name's type: where scoping differs (a comprehension's variable leaks
            # into the kernel's scope compiled, not in Python), the name is typed otherwise.
            if isinstance(node.ctx, ast.Load) and node.id in self.local:
                sid = len(self.statics)
                self.statics[sid] = self._site(node, loops)
                self._wrap(node, f"{self.static}({sid}, (", f"), {self._trips(loops)})")
            return
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            self._call(node.value, loops)  # its value is dropped: it decides nothing
            return
        if isinstance(node, PROBED) and not isinstance(
            getattr(node, "ctx", None), (ast.Store, ast.Del)
        ):
            sid = len(self.statics)
            self.statics[sid] = self._site(node, loops)
            self._wrap(node, f"{self.static}({sid}, (", f"), {self._trips(loops)})")
            if isinstance(node, ast.Call):
                self._call(node, loops)
                return
        if isinstance(node, ast.Attribute):
            self._chain(node.value, loops)
            return
        for child in ast.iter_child_nodes(node):
            self.visit(child, loops)

    def _chain(self, node: ast.AST, loops) -> None:
        """The inside of a dotted name is not probed (``tl.core`` alone is a module used as a
        value); the dotted name's value is."""
        if isinstance(node, ast.Attribute):
            self._chain(node.value, loops)
        else:
            self.visit(node, loops)

    def _dynamic(self, loop: ast.For) -> bool:
        """A loop over ``range`` or ``tl.range``, which the code generator never unrolls: the
        probes inside need not say which trip they are on (only ``tl.static_range`` loops are
        unrolled, and a loop whose iterator is named any other way may be one)."""
        f = loop.iter.func if isinstance(loop.iter, ast.Call) else None
        if isinstance(f, ast.Name):
            return f.id == "range" and f.id not in self.local and f.id not in self.module
        if not isinstance(f, ast.Attribute) or f.attr != "range":
            return False
        v = f.value
        if isinstance(v, ast.Attribute) and v.attr == "language" and isinstance(v.value, ast.Name):
            root, want = v.value.id, "triton"
        elif isinstance(v, ast.Name):
            root, want = v.id, "language"
        else:
            return False
        return self.module.get(root) == want and root not in self.local

    def _call(self, node: ast.Call, loops) -> None:
        # The callee is a function on both sides, never a plain value: what it is reached
        # through is probed, and the call itself, for the specialisation it compiled.
        self._chain(node.func.value if isinstance(node.func, ast.Attribute) else node.func, loops)
        for child in (*node.args, *node.keywords):
            self.visit(child, loops)
        cid = len(self.calls)
        self.calls[cid] = self._site(node, loops)
        self._wrap(node.func, f"{self.call}({cid}, (", f"), {self._trips(loops)})")

    @staticmethod
    def _trips(loops: tuple[ast.For, ...]) -> str:
        return (
            "("
            + "".join(f"{lp.target.id}, " for lp in loops if isinstance(lp.target, ast.Name))
            + ")"
        )

    def _wrap(self, node: ast.expr, head: str, tail: str) -> None:
        start, end = (node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset)
        # At one position: closings before openings, inner closings and outer openings first
        # (a node is wrapped before the nodes inside it).
        n = len(self.inserts)
        self.inserts.append(((*end, 0, -start[0], -start[1], -n), tail))
        self.inserts.append(((*start, 1, -end[0], -end[1], n), head))

    def _site(self, node: ast.expr, loops: tuple[ast.For, ...]) -> Site:
        first = self.fn.lineno
        return Site(
            self.fn.name,
            _pos(node, first),
            tuple(_pos(lp, first) for lp in loops if isinstance(lp.target, ast.Name)),
            node.lineno,
            self._first_line(node)[:80],
        )

    def _first_line(self, node: ast.expr) -> str:
        """The first line of ``ast.get_source_segment(text, node)``, from the lines split
        once (columns are UTF-8 byte offsets)."""
        line = self.lines[node.lineno - 1].encode()
        if node.end_lineno == node.lineno:
            return line[node.col_offset : node.end_col_offset].decode()
        return line[node.col_offset :].decode().split("\n")[0]


class _Where(threading.local):
    """The calls a program is inside, its own: interleaved programs (``interleave.py``) each
    run in a thread, and one may hand over inside a call."""

    def __init__(self) -> None:
        self.path: list[tuple] = []
        self.at: tuple = ()  # the path, as a key


class Probe:
    """The probes' side in the interpreter: what each probed expression computed, by launch
    record, the calls it was reached through and the unrolled-loop candidates around it.
    A few distinct values per key are kept: an expression the compiler fixed has one."""

    KEPT = 4

    def __init__(self, source: str, sites: dict[int, Site], calls: dict[int, Site]) -> None:
        self.lines = source.splitlines()  # the candidate's, without the probes
        self.sites, self.calls = sites, calls
        self.records: dict[str, int] = {}  # launch record -> its index in the dump
        self.record = -1
        self.where = _Where()
        self.seen: dict[tuple, set] = {}
        import triton.language as tl

        self.tensor = tl.tensor

    @contextlib.contextmanager
    def launch(self, record: dict[str, Any]) -> Iterator[None]:
        """Around one launch, of this launch record (``launch_signature.record``)."""
        key = json.dumps(record, sort_keys=True, default=str)
        self.record = self.records.setdefault(key, len(self.records))
        self.where.path, self.where.at = [], ()
        try:
            yield
        finally:
            self.record = -1

    def static(self, sid: int, value: Any, loops: tuple = ()) -> Any:
        if self.record < 0:
            return value
        # typed(value), its common cases first: this runs at every probed expression and name
        if isinstance(value, self.tensor):
            got = ("tensor", str(value.type.scalar if _per_element else value.type))
        elif type(value) in _EXACT:
            got = value
        else:
            got = typed(value)
            if got is _UNKNOWN:
                return value
        trip = tuple(map(interpreted, loops)) if loops else ()
        key = (self.record, self.where.at, sid, trip)
        seen = self.seen.setdefault(key, set())
        if len(seen) < self.KEPT:
            seen.add(got)
        return value

    def call(self, cid: int, fn: Callable, loops: tuple = ()) -> Callable:
        if self.record < 0:
            return fn
        at = (cid, tuple(map(interpreted, loops)))

        def called(*args, **kwargs):
            where = self.where
            where.path.append(at)
            where.at = tuple(where.path)
            try:
                return fn(*args, **kwargs)
            finally:
                where.path.pop()
                where.at = tuple(where.path)

        return called

    def dump(self) -> dict[str, list]:
        return {
            "sites": [_row(s) for s in self.sites.values()],
            "calls": [_row(s) for s in self.calls.values()],
            "records": list(self.records),
            "seen": [[*k, sorted(v, key=repr)] for k, v in self.seen.items()],
        }


def _row(site: Site) -> tuple:
    """A site's fields in order, as ``dataclasses.astuple`` gives them (its fields are plain
    values and tuples of them) without its deep copy of each: thousands of sites a replay."""
    return tuple(getattr(site, name) for name in _SITE_FIELDS)


_SITE_FIELDS = tuple(f.name for f in dataclasses.fields(Site))


def disagreement(seen: dict[str, list], compiled: dict[str, Statics]) -> str | None:
    """The first expression the interpreter computed otherwise than the compiler fixed it, said
    for the candidate; None if there is none. ``seen`` is a ``Probe.dump()``, ``compiled`` the
    compile's ``Statics`` by launch record (a record it did not compile is not compared)."""
    sites = [Site(*map(_frozen, row)) for row in seen["sites"]]
    calls = [Site(*map(_frozen, row)) for row in seen["calls"]]
    for record, path, sid, loops, values in seen["seen"]:
        statics = compiled.get(seen["records"][record])
        if statics is None:
            continue
        # Where the compiler evaluated something at all, in any trip: a key it lacks there is a
        # trip or a specialisation the two sides ran otherwise, not a value it left free.
        valued, called = {k[:3] for k in statics.values}, {k[:3] for k in statics.calls}
        spec: str | None = ""
        for cid, trip in _frozen(path):
            call = calls[cid]
            spec = statics.entered(spec, call.function)
            if spec is None:
                return _unmapped(call)
            key = (spec, call.function, call.pos)
            spec = statics.calls.get((*key, _unrolled(statics, spec, call, trip)))
            if spec is None:
                if key in called:
                    return _otherwise(call, "compiled this call for other unrolled loop trips")
                break  # a call that compiled to no function of the candidate's
        if spec is None:
            continue
        site = sites[sid]
        spec = statics.entered(spec, site.function)
        if spec is None:
            return _unmapped(site)
        key = (spec, site.function, site.pos)
        fixed = statics.values.get((*key, _unrolled(statics, spec, site, _frozen(loops))))
        if fixed is None:
            if key in valued:
                return _otherwise(site, "evaluated it in other unrolled loop trips")
            continue  # never evaluated: in a branch the compiler pruned (its test is probed)
        if RUNTIME in fixed:
            continue  # a function or a module to the compiler: nothing either side states
        for got in map(_frozen, values):
            if not any(_same(got, w) for w in fixed):
                return _differs(site, fixed, got)
    return None


def _differs(site: Site, fixed: set, got: Any) -> str:
    shown = " or ".join(sorted(map(_shown, fixed)))
    where = f"kernel {site.function} (line {site.line})"
    if not any(map(_is_type, (*fixed, got))):
        return (
            f"{where}: Triton's compiler folds `{site.text}` to {shown} while it compiles the "
            f"kernel, but the interpreter that ran it here computes {_shown(got)}, so the "
            "compiled kernel a GPU runs is not the program that was checked. Make what the "
            "kernel does depend on its arguments and constexprs alone"
        )
    shown = " or ".join(sorted(map(_kind, fixed)))
    return (
        f"{where}: Triton's compiler makes `{site.text}` {shown}, but the interpreter that ran "
        f"it here makes it {_kind(got)}: Python and Triton give this text different meanings "
        "(the compiled kernel a GPU runs is not the program that was checked). Write it so both "
        "read it alike: tensors where the compiler has tensors (`tl.full`, `.to(...)`), `&`/`|` "
        "for `and`/`or`, no comprehension variable reused outside it"
    )


def _is_type(v: Any) -> bool:
    return isinstance(v, tuple) and ((len(v) == 2 and v[0] == "tensor") or any(map(_is_type, v)))


def _unrolled(statics: Statics, spec: str, site: Site, trip: tuple) -> tuple:
    """The trips of the loops around ``site`` that the compiler unrolled in ``spec``."""
    return tuple(
        v for pos, v in zip(site.loops, trip, strict=True) if (spec, pos) in statics.unrolled
    )


def _unmapped(site: Site) -> str:
    return (
        f"kernel {site.function} (line {site.line}): `{site.text}` ran here in a function of "
        "yours that Triton's compiler compiled at this place never or in more than one way "
        "(reached through a library function, e.g. a combine function passed to a helper), so "
        "what the interpreter computed there cannot be held against the compiled kernel a GPU "
        "runs. Call your @triton.jit functions from your own code, or pass them to tl.reduce / "
        "tl.associative_scan directly"
    )


def _otherwise(site: Site, what: str) -> str:
    return (
        f"kernel {site.function} (line {site.line}): Triton's compiler {what} than the "
        f"interpreter that ran `{site.text}` here, so the compiled kernel a GPU runs is not the "
        "program that was checked"
    )


def _same(a: Any, b: Any) -> bool:
    """Equal, a float within a few float32 roundings: a constexpr the compiler computes in
    double precision, the interpreter computes from float32 tensors (an assigned value is
    one). A decision on a float is a bool, and a bool must be equal."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=2**-20, abs_tol=1e-30)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(map(_same, a, b))
    return a == b


def _shown(v: Any) -> str:
    if isinstance(v, tuple) and len(v) == 2 and v[0] == "dtype":
        return v[1]
    if isinstance(v, tuple) and len(v) == 2 and v[0] == "tensor":
        return f"{'an' if v[1][0] in 'aeiou' else 'a'} {v[1]} tensor"
    return repr(v)


def _kind(v: Any) -> str:
    """A value said with its kind: a tensor's type, or a constant."""
    if _is_type(v):
        return _shown(v) if v[0] == "tensor" else "(" + ", ".join(map(_kind, v)) + ")"
    return f"the constant {_shown(v)}"
