"""The catalogue of realistic kernel bugs, applied to a correct solution's source.

Each operator finds the places in a solution where one bug of its class could be made
(mostly inside ``@triton.jit`` functions; the grid, the strides passed at launch, the
zero-initialisation before atomics and sizes read from the inputs live in host code) and
yields one mutant per place. A mutant is the original source with a few spans replaced,
so its diff against the original is a line or two a person can read. Pure ``ast``: no
torch, nothing runs here.
"""

from __future__ import annotations

import ast
import difflib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from kernelwright import pyast

# Bug classes, in the order reports list them, with what each stands for.
CLASSES = {
    "mask": "a load/store mask dropped or weakened",
    "grid": "a tile count floored (// where triton.cdiv is needed)",
    "offset": "an off-by-one pointer offset",
    "strides": "two strides swapped",
    "other": "the wrong `other` for a masked load",
    "precision": "float32 accumulation or cast made float16",
    "scale": "a normalisation, scale or shift skipped",
    "axis": "a reduction along the wrong axis",
    "zero_init": "no zero-initialisation before atomics",
    "size": "a size hard-coded to the checked shape's",
}

REDUCTIONS = {"sum", "max", "min", "argmax", "argmin", "reduce", "cumsum", "cumprod", "xor_sum"}
# A subexpression that mentions one of these computes an address, not a value.
_INDEX_WORDS = ("ptr", "stride", "offs", "pid", "idx")


@dataclass(frozen=True)
class Edit:
    """Replace source[start:end] (character offsets) with ``text``."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Mutant:
    id: str
    bug_class: str
    operator: str
    line: int
    description: str
    code: str
    # A hard-coded size: (which forward input, its dim or None, the whole shape or a count).
    size_read: tuple[int, int | None, bool] | None = None

    def diff(self, original: str, name: str = "solution.py") -> str:
        return "".join(
            difflib.unified_diff(
                original.splitlines(keepends=True),
                self.code.splitlines(keepends=True),
                f"a/{name}",
                f"b/{name}",
                n=1,
            )
        )


@dataclass(frozen=True)
class Site:
    """One place an operator can break, and how."""

    line: int
    description: str
    edits: tuple[Edit, ...]
    size_read: tuple[int, int | None, bool] | None = None


class _Source:
    """Character offsets of AST nodes (whose columns count UTF-8 bytes)."""

    def __init__(self, code: str):
        self.code = code
        self.starts = [0]
        for line in code.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(line))
        self.lines = code.splitlines(keepends=True)

    def offset(self, lineno: int, col: int) -> int:
        line = self.lines[lineno - 1] if lineno - 1 < len(self.lines) else ""
        return self.starts[lineno - 1] + len(line.encode()[:col].decode(errors="ignore"))

    def span(self, node: ast.AST) -> tuple[int, int]:
        return (
            self.offset(node.lineno, node.col_offset),
            self.offset(node.end_lineno, node.end_col_offset),
        )

    def text(self, node: ast.AST) -> str:
        a, b = self.span(node)
        return self.code[a:b]

    def replace(self, node: ast.AST, text: str) -> Edit:
        return Edit(*self.span(node), text)


@dataclass
class _Context:
    src: _Source
    tree: ast.Module
    jit: list[ast.FunctionDef]
    host: list[ast.AST]  # top-level statements outside the jit functions
    input_shapes: dict[str, tuple[int, ...]]
    input_index: dict[str, int]  # forward's parameter -> its position


Operator = Callable[[_Context], Iterator[Site]]


def is_jit(fn: ast.AST) -> bool:
    if not isinstance(fn, ast.FunctionDef):
        return False
    for d in fn.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        if ast.unparse(target).split(".")[-1] == "jit":
            return True
    return False


def _callee(node: ast.AST) -> str | None:
    """The last name of a call's function (``tl.load`` -> ``load``)."""
    if not isinstance(node, ast.Call):
        return None
    f = node.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None


def _kw(call: ast.Call, name: str) -> ast.keyword | None:
    return next((k for k in call.keywords if k.arg == name), None)


def _calls(nodes: list[ast.AST], *names: str) -> Iterator[ast.Call]:
    for root in nodes:
        for n in ast.walk(root):
            if _callee(n) in names:
                yield n


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
    }


def _is_index(node: ast.AST) -> bool:
    return any(w in name for name in _names(node) for w in _INDEX_WORDS) or any(
        _callee(n) in ("program_id", "arange") for n in ast.walk(node)
    )


def _params(fn: ast.FunctionDef) -> list[ast.arg]:
    return [*fn.args.posonlyargs, *fn.args.args]


def _constexpr(a: ast.arg) -> bool:
    return a.annotation is not None and "constexpr" in ast.unparse(a.annotation)


# --- operators ---------------------------------------------------------------------------


# Where tl.load and tl.store take their mask when it is passed by position.
_MASK_POSITION = {"load": 1, "store": 2}


def _mask_arg(call: ast.Call) -> ast.AST | None:
    if m := _kw(call, "mask"):
        return m.value
    at = _MASK_POSITION.get(_callee(call) or "")
    return call.args[at] if at is not None and len(call.args) > at else None


def drop_mask(cx: _Context) -> Iterator[Site]:
    for call in _calls(cx.jit, "load", "store"):
        if _mask_arg(call) is not None:
            # The mask and everything after it (other, a positional other) go.
            kept = call.args[: _MASK_POSITION[_callee(call)]]
            args = [cx.src.text(a) for a in kept]
            args += [
                f"{k.arg}={cx.src.text(k.value)}"
                for k in call.keywords
                if k.arg not in ("mask", "other")
            ]
            text = f"{cx.src.text(call.func)}({', '.join(args)})"
            yield Site(
                call.lineno, f"drop the mask of tl.{_callee(call)}", (cx.src.replace(call, text),)
            )


def _mask_exprs(cx: _Context) -> Iterator[ast.AST]:
    for fn in cx.jit:
        for n in ast.walk(fn):
            if _callee(n) in _MASK_POSITION and (m := _mask_arg(n)) is not None:
                yield m
            elif isinstance(n, ast.Assign) and any(
                "mask" in ast.unparse(t).lower() for t in n.targets
            ):
                yield n.value


def weaken_mask(cx: _Context) -> Iterator[Site]:
    seen: set[tuple[int, int]] = set()
    for expr in _mask_exprs(cx):
        for n in ast.walk(expr):
            key = (n.lineno, n.col_offset) if hasattr(n, "lineno") else None
            if key in seen:
                continue
            if isinstance(n, ast.Compare) and len(n.ops) == 1 and isinstance(n.ops[0], ast.Lt):
                seen.add(key)
                text = f"{cx.src.text(n.left)} <= {cx.src.text(n.comparators[0])}"
                yield Site(n.lineno, "weaken a mask bound (< to <=)", (cx.src.replace(n, text),))
            elif isinstance(n, ast.BinOp) and isinstance(n.op, ast.BitAnd):
                seen.add(key)
                for keep, side in ((n.left, "right"), (n.right, "left")):
                    yield Site(
                        n.lineno,
                        f"drop the {side} half of a combined mask",
                        (cx.src.replace(n, f"({cx.src.text(keep)})"),),
                    )


def _grid_nodes(cx: _Context) -> set[int]:
    """ids of the nodes inside a launch grid: ``k[grid]``'s subscript, a ``grid = ...``
    assignment, a grid lambda."""
    found: set[int] = set()
    for root in cx.host:
        for n in ast.walk(root):
            inside = None
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Subscript):
                inside = n.func.slice
            elif isinstance(n, ast.Assign) and any(
                "grid" in ast.unparse(t).lower() for t in n.targets
            ):
                inside = n.value
            elif isinstance(n, ast.Lambda):
                inside = n.body
            if inside is not None:
                found.update(id(x) for x in ast.walk(inside))
    return found


def _round_up_div(n: ast.AST) -> tuple[ast.AST, ast.AST] | None:
    """(a, b) of ``(a + b - 1) // b``, cdiv written out."""
    if not (isinstance(n, ast.BinOp) and isinstance(n.op, ast.FloorDiv)):
        return None
    top = n.left
    if not (
        isinstance(top, ast.BinOp)
        and isinstance(top.op, ast.Sub)
        and isinstance(top.right, ast.Constant)
        and top.right.value == 1
        and isinstance(top.left, ast.BinOp)
        and isinstance(top.left.op, ast.Add)
        and ast.dump(top.left.right) == ast.dump(n.right)
    ):
        return None
    return top.left.left, n.right


def floor_cdiv(cx: _Context) -> Iterator[Site]:
    grid = _grid_nodes(cx)
    for in_kernel, nodes in ((False, cx.host), (True, cx.jit)):
        for n in (n for root in nodes for n in ast.walk(root)):
            if _callee(n) == "cdiv" and len(n.args) == 2 and not n.keywords:
                a, b = n.args
            elif parts := _round_up_div(n):
                a, b = parts
            else:
                continue
            where = (
                "a tile count in the kernel"
                if in_kernel
                else "the grid"
                if id(n) in grid
                else "a tile count in host code"
            )
            yield Site(
                n.lineno,
                f"floor {where} ({cx.src.text(n)} -> {cx.src.text(a)} // {cx.src.text(b)})",
                (cx.src.replace(n, f"(({cx.src.text(a)}) // ({cx.src.text(b)}))"),),
            )


def off_by_one(cx: _Context) -> Iterator[Site]:
    for call in _calls(cx.jit, "load", "store"):
        if call.args:
            ptr = call.args[0]
            yield Site(
                call.lineno,
                f"off-by-one pointer of tl.{_callee(call)}",
                (cx.src.replace(ptr, f"{cx.src.text(ptr)} + 1"),),
            )


def _launches(cx: _Context, fn: ast.FunctionDef) -> Iterator[dict[str, ast.AST]]:
    """Each host launch ``fn[grid](...)``: the argument passed to each parameter, by name."""
    names = [a.arg for a in _params(fn)]
    for root in cx.host:
        for n in ast.walk(root):
            if (
                isinstance(n, ast.Call)
                and isinstance(n.func, ast.Subscript)
                and ast.unparse(n.func.value).split(".")[-1] == fn.name
                and not any(isinstance(a, ast.Starred) for a in n.args)
            ):
                bound = dict(zip(names, n.args, strict=False))
                bound.update({k.arg: k.value for k in n.keywords if k.arg})
                yield bound


def _stride_of(arg: ast.AST) -> tuple[str, str] | None:
    """(tensor, dim) of an argument written ``t.stride(d)``."""
    if _callee(arg) == "stride" and isinstance(arg.func, ast.Attribute) and len(arg.args) == 1:
        return ast.unparse(arg.func.value), ast.unparse(arg.args[0])
    return None


def _stride_name(name: str) -> tuple[str, str] | None:
    """(tensor, dim) as a stride parameter's name spells them: ``stride_am`` (a, m),
    ``x_row_stride`` (x, row), ``x_stride0`` (x, 0); None where the name shows no dimension
    (``stride_x``: the one stride of x)."""
    parts = [p for p in name.replace("stride", "_").split("_") if p]
    if len(parts) >= 2:
        return "_".join(parts[:-1]), parts[-1]
    if len(parts) == 1 and len(parts[0]) >= 2:
        return parts[0][:-1], parts[0][-1]
    return None


def _same_tensor(cx: _Context, fn: ast.FunctionDef, s: str, t: str) -> bool:
    """Are parameters ``s`` and ``t`` two strides of one tensor? What the launches pass says
    (``x.stride(0)``, ``x.stride(1)``); where no launch says, their names do."""
    seen = False
    for bound in _launches(cx, fn):
        a, b = _stride_of(bound.get(s)), _stride_of(bound.get(t))
        if a and b:
            if a[0] != b[0] or a[1] == b[1]:
                return False
            seen = True
    if seen:
        return True
    a, b = _stride_name(s), _stride_name(t)
    return bool(a and b and a[0] == b[0] and a[1] != b[1])


def swap_strides(cx: _Context) -> Iterator[Site]:
    # At launch: x.stride(0), x.stride(1) passed in the wrong order.
    for call in (n for root in cx.host for n in ast.walk(root) if isinstance(n, ast.Call)):
        args = call.args
        for a, b in zip(args, args[1:], strict=False):
            if _callee(a) == "stride" == _callee(b) and ast.dump(a.func) == ast.dump(b.func):
                yield Site(
                    a.lineno,
                    f"swap {cx.src.text(a)} and {cx.src.text(b)} at launch",
                    (cx.src.replace(a, cx.src.text(b)), cx.src.replace(b, cx.src.text(a))),
                )
    # In the kernel: two strides of one tensor (stride_am/stride_ak) used for each other;
    # never the strides of two tensors (stride_x/stride_r), which a layout can make equal.
    for fn in cx.jit:
        strides = [a.arg for a in _params(fn) if "stride" in a.arg and not _constexpr(a)]
        for i, s in enumerate(strides):
            for t in strides[i + 1 :]:
                if not _same_tensor(cx, fn, s, t):
                    continue
                uses = [n for n in ast.walk(fn) if isinstance(n, ast.Name) and n.id in (s, t)]
                edits = tuple(cx.src.replace(n, t if n.id == s else s) for n in uses)
                if edits:
                    first = min(n.lineno for n in uses)
                    yield Site(first, f"swap {s} and {t} in {fn.name}", edits)


def _loaded(expr: ast.AST, loads: dict[str, ast.Call | None]) -> ast.Call | None:
    """The tl.load an operand is (through casts: ``w.to(x.dtype)``), where its name is bound
    once, to a load."""
    while _callee(expr) == "to" and isinstance(expr.func, ast.Attribute):
        expr = expr.func.value
    if isinstance(expr, ast.Name):
        return loads.get(expr.id)
    return expr if _callee(expr) == "load" else None


def _literal(node: ast.AST | None) -> float | None:
    try:
        return float(ast.literal_eval(node)) if node is not None else None
    except (ValueError, TypeError, SyntaxError):
        return None


def _zeroed_by_partner(cx: _Context) -> set[int]:
    """ids of the loads whose ``other`` no output can see: one operand of a ``tl.dot`` whose
    partner is a load with ``other=0`` under the same condition on K (``k[None, :] < n`` for
    the left operand, ``k[:, None] < n`` for the right). Where the one is masked so is the
    other, and a finite ``other`` times 0 adds 0 to the product."""
    found: set[int] = set()
    for fn in cx.jit:
        bound: dict[str, list[ast.AST]] = {}
        for n in ast.walk(fn):
            if isinstance(n, ast.Assign):
                for t in n.targets:
                    if isinstance(t, ast.Name):
                        bound.setdefault(t.id, []).append(n.value)
        loads = {
            name: _loaded(values[0], {}) if len(values) == 1 else None
            for name, values in bound.items()
        }
        dtype_reads = {
            id(n.value) for n in ast.walk(fn) if isinstance(n, ast.Attribute) and n.attr == "dtype"
        }
        uses: dict[str, int] = {}
        for n in ast.walk(fn):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and id(n) not in dtype_reads:
                uses[n.id] = uses.get(n.id, 0) + 1
        safe: dict[int, list[str | None]] = {}
        for dot in _calls([fn], "dot"):
            if len(dot.args) < 2:
                continue
            left, right = (_loaded(a, loads) for a in dot.args[:2])
            if left is None or right is None:
                continue
            lm, rm = _mask_arg(left), _mask_arg(right)
            if lm is None or rm is None:
                continue
            lk, rk = ast.unparse(lm), ast.unparse(rm)
            if not ("[None, :]" in lk and "[:, None]" not in lk):
                continue
            if not ("[:, None]" in rk and "[None, :]" not in rk):
                continue
            if lk.replace("[None, :]", "[]") != rk.replace("[:, None]", "[]"):
                continue
            for mine, partner, operand in ((left, right, dot.args[0]), (right, left, dot.args[1])):
                other = _kw(partner, "other")
                if other is not None and _literal(other.value) == 0.0:
                    safe.setdefault(id(mine), []).append(_root_name(operand))
        # A load is unseen only if every use of its value is such an operand (its dtype aside).
        for fn_load, names in safe.items():
            name = names[0]
            if name is None or all(n == name for n in names) and uses.get(name) == len(names):
                found.add(fn_load)
    return found


def _root_name(operand: ast.AST) -> str | None:
    while _callee(operand) == "to" and isinstance(operand.func, ast.Attribute):
        operand = operand.func.value
    return operand.id if isinstance(operand, ast.Name) else None


def wrong_other(cx: _Context) -> Iterator[Site]:
    unseen = _zeroed_by_partner(cx)
    for call in _calls(cx.jit, "load"):
        other = _kw(call, "other")
        if other is None or id(call) in unseen:
            continue
        value = _literal(other.value)  # None for -float("inf") and friends
        new = "1.0" if value == 0.0 else "0.0"
        yield Site(
            call.lineno,
            f"other={cx.src.text(other.value)} -> other={new} in tl.load",
            (cx.src.replace(other.value, new),),
        )


def half_precision(cx: _Context) -> Iterator[Site]:
    for fn in cx.jit:
        for n in ast.walk(fn):
            if isinstance(n, ast.Attribute) and n.attr == "float32":
                yield Site(
                    n.lineno,
                    "compute in float16 where the kernel uses float32",
                    (cx.src.replace(n, cx.src.text(n).replace("float32", "float16")),),
                )


def _scale_like(node: ast.AST, assigned: dict[str, ast.AST], params: set[str]) -> bool:
    """A value that scales or normalises: a scalar parameter, a reduction, an rsqrt, a divide."""
    if isinstance(node, ast.Name):
        if node.id in params:
            return True
        node = assigned.get(node.id, node)
        if isinstance(node, ast.Name):
            return False
    return any(
        _callee(n) in REDUCTIONS | {"rsqrt", "sqrt"}
        or (isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div))
        for n in ast.walk(node)
    )


def _index_names(fn: ast.FunctionDef) -> set[str]:
    """Names bound to integer index arithmetic: over program ids, aranges, the kernel's
    parameters and each other (``start = split * cols_per_split``). A product of them is an
    address, not a scale. Anything that loads, reduces, selects or multiplies matrices is
    data."""
    data = REDUCTIONS | {"load", "dot", "where", "exp", "exp2", "log", "sqrt", "rsqrt"}
    params = {a.arg for a in _params(fn)}
    assigns = [
        (t.id, n.value)
        for n in ast.walk(fn)
        if isinstance(n, ast.Assign)
        for t in n.targets
        if isinstance(t, ast.Name)
        and not any(_callee(x) in data for x in ast.walk(n.value))
        and not any(
            isinstance(x, ast.Constant) and isinstance(x.value, float) for x in ast.walk(n.value)
        )
    ]
    found: set[str] = set()
    while True:
        more = set()
        for name, value in assigns:
            names = {x.id for x in ast.walk(value) if isinstance(x, ast.Name)}
            seeded = any(_callee(x) in ("program_id", "arange") for x in ast.walk(value))
            if name not in found and (seeded or names & found):
                # Module names (tl) are not values; every other name must be an index too.
                if all(x in found or x in params or x in ("tl", "triton") for x in names):
                    more.add(name)
        if not more:
            return found
        found |= more


def skip_scale(cx: _Context) -> Iterator[Site]:
    for fn in cx.jit:
        params = {
            a.arg
            for a in _params(fn)
            if not _constexpr(a) and not any(w in a.arg for w in _INDEX_WORDS)
        }
        assigned = {
            t.id: n.value
            for n in ast.walk(fn)
            if isinstance(n, ast.Assign)
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        index = _index_names(fn)
        # The name each expression's statement assigns: `l = l * alpha + ...` rescales the
        # running value l by alpha, whatever l was computed from.
        target = {
            id(x): t.id
            for n in ast.walk(fn)
            if isinstance(n, (ast.Assign, ast.AugAssign))
            for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
            if isinstance(t, ast.Name)
            for x in ast.walk(n.value)
        }
        for n in ast.walk(fn):
            if not isinstance(n, ast.BinOp) or _is_index(n) or _names(n) & index:
                continue
            drops = []
            if isinstance(n.op, ast.Div):
                drops.append((n.left, "skip a divide"))
            elif isinstance(n.op, ast.Mult):
                running = isinstance(n.left, ast.Name) and n.left.id == target.get(id(n))
                if running or _scale_like(n.right, assigned, params):
                    drops.append((n.left, "skip a scale"))
                elif _scale_like(n.left, assigned, params):
                    drops.append((n.right, "skip a scale"))
            elif isinstance(n.op, ast.Sub) and _scale_like(n.right, assigned, params):
                drops.append((n.left, "skip a shift or normalisation"))
            for keep, what in drops:
                yield Site(
                    n.lineno,
                    f"{what}: {cx.src.text(n)} -> {cx.src.text(keep)}",
                    (cx.src.replace(n, f"({cx.src.text(keep)})"),),
                )


def wrong_axis(cx: _Context) -> Iterator[Site]:
    for call in _calls(cx.jit, *REDUCTIONS):
        axis = _kw(call, "axis")
        node = axis.value if axis else (call.args[1] if len(call.args) > 1 else None)
        if node is None:
            continue
        try:
            value = int(ast.literal_eval(node))
        except (ValueError, TypeError, SyntaxError):
            continue
        new = "1" if value in (0, -2) else "0"
        yield Site(
            call.lineno,
            f"tl.{_callee(call)} along axis {new} instead of {value}",
            (cx.src.replace(node, new),),
        )


def _atomic_targets(cx: _Context) -> set[str]:
    """Host names passed to a kernel parameter that an atomic writes through."""
    names: set[str] = set()
    for fn in cx.jit:
        params = {a.arg for a in _params(fn)}
        targets = set()
        for call in (n for n in ast.walk(fn) if (_callee(n) or "").startswith("atomic_")):
            ptr = _kw(call, "pointer") or (call.args[0] if call.args else None)
            ptr = ptr.value if isinstance(ptr, ast.keyword) else ptr
            if ptr is not None:
                targets |= _names(ptr) & params
        for bound in _launches(cx, fn):
            for p in targets:
                root = bound.get(p)
                while isinstance(root, (ast.Attribute, ast.Subscript, ast.Call)):
                    root = root.func if isinstance(root, ast.Call) else root.value
                if isinstance(root, ast.Name):
                    names.add(root.id)
    return names


_ZEROS = ("zeros", "zeros_like", "new_zeros")


def skip_zero_init(cx: _Context) -> Iterator[Site]:
    """The zeroing of a buffer an atomic accumulates into (as the launches pass it), dropped."""
    targets = _atomic_targets(cx)
    if not targets:
        return
    for root in cx.host:
        for n in ast.walk(root):
            if (
                isinstance(n, ast.Assign)
                and {t.id for t in n.targets if isinstance(t, ast.Name)} & targets
            ):
                for call in _calls([n.value], *_ZEROS):
                    f = call.func
                    if isinstance(f, ast.Attribute):
                        empty = f.attr.replace("zeros", "empty")
                        new = cx.src.text(f).removesuffix(f.attr) + empty
                        yield Site(
                            call.lineno,
                            f"{f.attr} -> {empty} for the buffer atomics accumulate into",
                            (cx.src.replace(f, new),),
                        )
            elif (
                isinstance(n, ast.Expr)
                and _callee(n.value) in ("zero_", "fill_")
                and isinstance(n.value.func.value, ast.Name)
                and n.value.func.value.id in targets
            ):
                yield Site(
                    n.lineno,
                    f"drop {cx.src.text(n.value)} before the atomics",
                    (cx.src.replace(n, "pass"),),
                )


def _size_read(n: ast.AST, parents: dict[int, ast.AST]) -> tuple[str, int | None, bool] | None:
    """(tensor, dim, whole) of a size read off a tensor: ``x.shape[d]``, ``x.size(d)``
    (dim d), ``x.numel()`` (dim None), ``x.shape`` or ``x.size()`` (whole: the sizes)."""
    if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Attribute):
        if n.value.attr == "shape" and isinstance(n.value.value, ast.Name):
            try:
                return n.value.value.id, int(ast.literal_eval(n.slice)), False
            except (ValueError, TypeError, SyntaxError):
                return None
    elif isinstance(n, ast.Attribute) and n.attr == "shape" and isinstance(n.value, ast.Name):
        # x.shape[...] is read above (a slice of it is not a size hard-coded).
        if not isinstance(parents.get(id(n)), ast.Subscript):
            return n.value.id, None, True
    elif _callee(n) in ("size", "numel") and isinstance(n.func, ast.Attribute):
        if isinstance(n.func.value, ast.Name) and len(n.args) <= 1 and not n.keywords:
            tensor = n.func.value.id
            if not n.args:
                return tensor, None, n.func.attr == "size"
            try:
                return tensor, int(ast.literal_eval(n.args[0])), False
            except (ValueError, TypeError, SyntaxError):
                return None
    return None


def hard_code_size(cx: _Context) -> Iterator[Site]:
    """Sizes read from forward's inputs replaced by their value at the checked shape: a kernel
    written for the one shape it was tested at."""
    for root in cx.host:
        parents = {id(c): p for p in ast.walk(root) for c in ast.iter_child_nodes(p)}
        for n in ast.walk(root):
            read = _size_read(n, parents)
            shape = cx.input_shapes.get(read[0]) if read else None
            if shape is None:
                continue
            tensor, dim, whole = read
            if whole:
                value = f"({', '.join(map(str, shape))}{',' if len(shape) == 1 else ''})"
            elif dim is None:
                value = str(math.prod(shape))
            elif -len(shape) <= dim < len(shape):
                value = str(shape[dim])
            else:
                continue
            yield Site(
                n.lineno,
                f"hard-code {cx.src.text(n)} as {value}",
                (cx.src.replace(n, value),),
                (cx.input_index[tensor], dim, whole),
            )


OPERATORS: dict[str, tuple[str, Operator]] = {
    "drop_mask": ("mask", drop_mask),
    "weaken_mask": ("mask", weaken_mask),
    "floor_cdiv": ("grid", floor_cdiv),
    "off_by_one": ("offset", off_by_one),
    "swap_strides": ("strides", swap_strides),
    "wrong_other": ("other", wrong_other),
    "half_precision": ("precision", half_precision),
    "skip_scale": ("scale", skip_scale),
    "wrong_axis": ("axis", wrong_axis),
    "skip_zero_init": ("zero_init", skip_zero_init),
    "hard_code_size": ("size", hard_code_size),
}


PROBE = "kernelwright-probe: reached"


def probe(code: str, line: int) -> str | None:
    """``code`` with a raise just before the statement of a ``@triton.jit`` function that
    holds ``line``: checked, it tells whether any checked input runs that statement (None
    for a line outside the jit functions, which forward always runs)."""
    return insert_before(code, line, f'raise RuntimeError("{PROBE}")')


def insert_before(code: str, line: int, statement: str) -> str | None:
    """``code`` with ``statement`` just before the statement of a ``@triton.jit`` function
    that holds ``line``, at its indentation (None for a line outside the jit functions)."""
    tree = pyast.parse(code)
    for fn in (n for n in ast.walk(tree) if is_jit(n)):
        if fn.body[0].lineno <= line <= fn.end_lineno:
            stmt = _statement_at(fn.body, line)
            if stmt is None:
                return None
            lines = code.splitlines(keepends=True)
            indent = lines[stmt.lineno - 1][: stmt.col_offset]
            lines.insert(stmt.lineno - 1, f"{indent}{statement}\n")
            return "".join(lines)
    return None


def _statement_at(body: list[ast.stmt], line: int) -> ast.stmt | None:
    """The innermost statement holding ``line`` (a compound one when it is its header)."""
    for s in body:
        if s.lineno <= line <= s.end_lineno:
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(s, field, None)
                if isinstance(inner, list) and inner and inner[0].lineno <= line:
                    found = _statement_at(inner, line)
                    if found is not None:
                        return found
            return s
    return None


class NoKernel(ValueError):
    """A solution with no @triton.jit function: nothing to mutate."""


def _forward_params(tree: ast.Module) -> list[str]:
    for cls in tree.body:
        if isinstance(cls, ast.ClassDef) and cls.name == "ModelNew":
            for fn in cls.body:
                if isinstance(fn, ast.FunctionDef) and fn.name == "forward":
                    return [a.arg for a in _params(fn)[1:]]
    return []


def _apply(code: str, edits: tuple[Edit, ...]) -> str:
    for e in sorted(edits, key=lambda e: e.start, reverse=True):
        code = code[: e.start] + e.text + code[e.end :]
    return code


def make_mutants(
    code: str, input_shapes: list[tuple[int, ...] | None] | None = None
) -> list[Mutant]:
    """Every mutant of ``code``, distinct and parseable, none equal to the original.

    ``input_shapes``: the shapes of forward's inputs at the checked shape set (None for a
    non-tensor input), for the hard-coded-size operator."""
    tree = pyast.parse(code)
    jit = [n for n in ast.walk(tree) if is_jit(n)]
    if not jit:
        raise NoKernel("the solution has no @triton.jit function to mutate")
    host = [n for n in tree.body if n not in jit]
    names = _forward_params(tree)
    shapes = {
        name: tuple(s) for name, s in zip(names, input_shapes or [], strict=False) if s is not None
    }
    cx = _Context(_Source(code), tree, jit, host, shapes, {n: i for i, n in enumerate(names)})
    original = ast.dump(tree)
    seen = {original}
    mutants = []
    for op_name, (bug_class, op) in OPERATORS.items():
        for k, site in enumerate(op(cx)):
            mutated = _apply(code, site.edits)
            try:
                key = ast.dump(pyast.parse(mutated))
            except SyntaxError:
                continue
            if key in seen:
                continue
            seen.add(key)
            mutants.append(
                Mutant(
                    id=f"{op_name}-{k + 1}",
                    bug_class=bug_class,
                    operator=op_name,
                    line=site.line,
                    description=f"line {site.line}: {site.description}",
                    code=mutated,
                    size_read=site.size_read,
                )
            )
    return mutants
