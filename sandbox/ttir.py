"""Triton IR of a source's kernels at recorded launches, with no GPU: what ``mutate`` compares to
tell a mutant that compiles to the original's very program (an equivalent mutant).

Runs in a process of its own (``python -m kernelwright.sandbox.ttir SCRATCH``), started through
the pool's isolation backend like the ahead-of-time compiler (``aot.py``), never in the caller's
process: it executes only what ``kernel_source.extract`` lifted out of a source, and compiles
each request in a child forked for it. Each launch record (``launch_signature.record``) becomes
Triton's signature as the launcher would build it, except that an integer equal to 1 stays an
integer: Triton folds such an argument into the kernel, and a mutant that only a 1 makes
harmless (a stride the check happened to pass as 1) is not equivalent. The IR is the ``ttir``
stage, printed without locations, so it names no file and no line.

Protocol (JSON lines): -> {"type": "ready"} once Triton is loaded, or {"type": "unavailable",
"why"}; then parent -> {"type": "ttir", "nonce", "source", "records"}; -> {"type": "ttir",
"nonce", "ir": [text or null per record], "errors": [null or why per record]}.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kernelwright.sandbox.backends import kill_tree

# Triton IR is the same for every target at this stage, but the backend is chosen by target:
# sm_90 (tensor descriptors stay descriptors, as on any current NVIDIA chip).
TARGET = ("cuda", 90, 32)


def unfolded(record: dict[str, Any]) -> dict[str, Any]:
    """The record with no integer argument (nor a tuple's leaf) folded for equalling 1."""
    return {**record, "args": {name: _unfolded(d) for name, d in record["args"].items()}}


def _unfolded(desc: dict[str, Any]) -> dict[str, Any]:
    if desc.get("kind") == "tuple":
        return {**desc, "items": [_unfolded(d) for d in desc["items"]]}
    return {**desc, "one": False} if desc.get("kind") == "int" else desc


_SCALAR_ATOMIC = re.compile(
    r"^\s*(%[\w$.-]+) = tt\.atomic_(?:rmw|cas) .*-> (?!tensor)\S+ loc\((#loc\d*)\)"
)
_LOC = re.compile(r"^(#loc\d*) = loc\((.*)\)$")


def _locations(lines: list[str]) -> dict[str, str]:
    return dict(m.groups() for m in map(_LOC.match, lines) if m)


def _line(locs: dict[str, str], loc: str) -> int | None:
    """The source line of a location: a file position, or one wrapped in a name
    (loc("t"(#loc10))) or in the callee's place where a @triton.jit helper was inlined
    (callsite(#callee at #caller)), which is the line the interpreter reports; an alias
    (#locN) or the location written out."""
    for _ in range(32):
        target = locs.get(loc, "" if loc.startswith("#") else loc)
        m = re.search(r'^"[^"]*":(\d+):\d+$', target)
        if m:
            return int(m.group(1))
        inner = re.search(r"(#loc\d*)", target)
        if not inner:
            return None
        loc = inner.group(1)
    return None


def handed_over(text: str) -> list[int]:
    """The source lines whose atomics on a scalar all have their result used, in Triton IR
    printed with its locations: one thread makes such an atomic, and the compiler hands the
    result to the others through shared memory behind a barrier (``lane_races.py``). A line
    with one copy whose result is dropped (a loop unrolled, the result kept only from the last
    trip) is left out: the replay cannot tell its copies apart."""
    locs = _locations(text.splitlines())
    used: dict[int, bool] = {}
    for m in map(_SCALAR_ATOMIC.match, text.splitlines()):
        if m:
            name, loc = m.groups()
            n = _line(locs, loc)
            if n is not None:
                uses = re.findall(re.escape(name) + r"(?![\w$.-])", text)
                used[n] = used.get(n, True) and len(uses) > 1
    return sorted(n for n, all_used in used.items() if all_used)


_ATOMIC = re.compile(r"^\s*(%[\w$.-]+) = tt\.atomic_(?:rmw|cas) .* loc\((#loc\d*)\)")


def returned(text: str) -> list[int]:
    """The source lines of atomics, of any shape, with a copy whose result the kernel uses, in
    Triton IR printed with its locations (-1: a line the locations do not give): such an atomic
    hands each thread what memory held when its own update landed, which depends on the order
    of the other threads' atomics (``lane_races.py``); a result dropped returns nothing."""
    locs = _locations(text.splitlines())
    out: set[int] = set()
    for m in map(_ATOMIC.match, text.splitlines()):
        if m:
            name, loc = m.groups()
            if len(re.findall(re.escape(name) + r"(?![\w$.-])", text)) > 1:
                n = _line(locs, loc)
                out.add(-1 if n is None else n)
    return sorted(out)


_CAST = re.compile(r"^\s*(%[\w$.-]+) = tt\.(?:ptr_to_int|bitcast) .*: (.*) -> (.*) loc\((.*)\)$")
# What an address may go through and stay an address: widened, made a block, moved by an offset.
_MOVES = frozenset(["arith.extsi", "arith.extui", "tt.splat", "tt.broadcast", "tt.expand_dims"])


def addresses(text: str) -> list[int]:
    """The source lines that read a pointer as a number (``ptr.to(tl.int64)``, a bitcast), in
    Triton IR printed with its locations: a value computed from where memory lies differs
    between the CPU, whose allocations are 64-byte aligned, and a GPU, whose caching allocator
    aligns every block to 512 bytes, so a kernel can tell them apart by it (-1: a line the
    locations do not give). An address that only moves by offsets made without any address
    and becomes a pointer again (``tt.int_to_ptr``) is pointer arithmetic, not read."""
    flow = _Flow(text)
    casts = [m for m in map(_CAST.match, flow.lines) if m]
    casts = [m for m in casts if "!tt.ptr" in m.group(2) and "!tt.ptr" not in m.group(3)]
    # Everything computed from an address: an offset must be made of none of it.
    derived = {m.group(1) for m in casts}
    flow.reaches_all(derived)

    def moved(use: _Use) -> list[str] | None:
        if use.op == "tt.int_to_ptr":
            return []
        if use.carried is not None:
            return use.carried
        operands = {n.split(":")[0] for n in _NAME.findall(use.rhs)}
        if use.op in ("arith.addi", "arith.subi") and len(operands & derived) == 1:
            if use.op == "arith.addi" or _NAME.findall(use.rhs)[0] in derived:
                return _NAME.findall(use.lhs)
        if use.op in _MOVES:
            return _NAME.findall(use.lhs)
        return None

    found = {_line(flow.locs, m.group(4)) for m in casts if flow.reaches(m.group(1), moved)}
    return sorted(-1 if n is None else n for n in found)


_NAME = re.compile(r"%[\w$.-]+(?::\d+)?")
# The op's type is the last on its line, after any attributes (a cache modifier, volatile): a
# pointer, or a block of one pointer, which every thread holds as it holds a scalar.
_SCALAR_LOAD = re.compile(
    r"^\s*(%[\w$.-]+) = tt\.load .*: (?:tensor<(?:1x)+)?!tt\.ptr<[^>]*>>? loc\((.*)\)$"
)
_BLOCK = re.compile(r"tensor<((?:\d+x)+)")


def _scalar(text: str) -> bool:
    """Whether every type in ``text`` is a scalar or a block of one element."""
    return all(
        math.prod(int(d) for d in m.rstrip("x").split("x")) == 1 for m in _BLOCK.findall(text)
    )


# Ops whose scalar result carries its operands' value on in every thread.
_CARRIES = re.compile(r"^(arith|math)\.|^tt\.(addptr|bitcast|int_to_ptr|ptr_to_int|fp_to_fp)$")
# Made by one thread whatever its operands: a store or an atomic on a scalar.
_ONE_THREAD = ("tt.store", "tt.atomic_rmw", "tt.atomic_cas")


def spread(text: str) -> list[int]:
    """The source lines of loads of a scalar whose value reaches other threads' lanes, in
    Triton IR printed with its locations: every thread loads a scalar for itself, while a store
    to a scalar is made by thread 0 alone, so a value that flows from such a load into a block
    (a splat, an op on blocks), into a branch or a loop's bounds, or into any memory access but
    a scalar store or atomic (thread 0's again) is read by threads that thread 0's store does
    not order (``lane_races.py``). A value that only reaches thread 0's own scalar stores (the
    read-modify-write of ``y[row]``) is left out. Data flow through a loop's carried values and
    an ``scf.if``'s results is followed; anything the parse cannot place counts as reaching."""
    flow = _Flow(text)
    out: set[int] = set()
    for raw in flow.lines:
        m = _SCALAR_LOAD.match(raw)
        if m and flow.reaches(m.group(1), _to_lanes):
            n = _line(flow.locs, m.group(2))
            out.add(-1 if n is None else n)  # -1: a line unknown, so any load may be it
    return sorted(out)


def _to_lanes(use: _Use) -> list[str] | None:
    """``spread``'s step: scalar arithmetic carries the value on, thread 0's scalar stores and
    atomics end it; anything else (a block, a branch, another access) is reached."""
    scalar = _scalar(use.carried_type if use.carried is not None else use.rhs)
    if use.op in _ONE_THREAD and scalar:
        return []
    if use.carried is not None:
        return use.carried if scalar else None
    if use.op and _CARRIES.match(use.op) and scalar and use.lhs:
        return _NAME.findall(use.lhs)
    return None


@dataclass
class _Use:
    """One use of a value: the op (its results, its name, the rest of its line) and, for a
    loop's carried value or a yield, what it passes the value into and that value's type."""

    lhs: str
    op: str
    rhs: str
    carried: list[str] | None = None
    carried_type: str = ""


class _Flow:
    """Triton IR text, parsed for forward data flow: where each SSA name is used, and which
    region op (a loop, a branch) each line sits in. Names repeated in sibling regions are
    conflated, which can only make a value reach more."""

    def __init__(self, text: str):
        self.lines = text.splitlines()
        self.locs = _locations(self.lines)
        self.uses: dict[str, list[int]] = {}
        self.enclosing: list[int | None] = []
        stack: list[int] = []
        for i, raw in enumerate(self.lines):
            body = raw.split(" loc(")[0]
            lhs, _, rhs = body.partition(" = ") if re.match(r"^\s*%", body) else ("", "", body)
            for name in _NAME.findall(rhs):
                self.uses.setdefault(name.split(":")[0], []).append(i)
            self.enclosing.append(stack[-1] if stack else None)
            opens, closes = body.count("{"), body.count("}")
            for _ in range(closes - opens if closes > opens else 0):
                if stack:
                    stack.pop()
            if opens > closes:
                stack.append(i)

    def reaches(self, start: str, step: Callable[[_Use], list[str] | None]) -> bool:
        """Whether the value ``start`` names reaches a use ``step`` answers None for; a list
        is the names the use carries it on to."""
        todo, seen = [start], {start}
        while todo:
            name = todo.pop()
            for i in self.uses.get(name, []):
                use = self._use(name, i)
                if use is None:
                    return True
                follow = step(use)
                if follow is None:
                    return True
                for t in (t.split(":")[0] for t in follow):
                    if t not in seen:
                        seen.add(t)
                        todo.append(t)
        return False

    def reaches_all(self, names: set[str]) -> None:
        """Add to ``names`` every value computed from them, through any op."""
        todo = list(names)
        while todo:
            name = todo.pop()
            for i in self.uses.get(name, []):
                use = self._use(name, i)
                into = (use.carried if use and use.carried is not None else None) or (
                    _NAME.findall(use.lhs) if use else []
                )
                for t in (t.split(":")[0] for t in into):
                    if t not in names:
                        names.add(t)
                        todo.append(t)

    def _use(self, name: str, i: int) -> _Use | None:
        """The use of ``name`` on line ``i``; None where it steers a loop (a bound, a while's
        condition or body)."""
        body = self.lines[i].split(" loc(")[0].strip()
        lhs, _, rhs = body.partition(" = ") if body.startswith("%") else ("", "", body)
        op = rhs.split(" ", 1)[0].strip('"')
        if op == "scf.yield" and self.enclosing[i] is not None:
            # Into the enclosing loop's or branch's results and carried values.
            head = self.lines[self.enclosing[i]].split(" loc(")[0]
            if "scf.while" in head:
                return None
            into = _NAME.findall(head.partition(" = ")[0])
            into += re.findall(r"(%[\w$.-]+) = ", head.partition(" = ")[2])
            return _Use(lhs, op, rhs, into, head.split("->")[-1])
        if op == "scf.for":
            # As a carried value's start, into that value; as a bound, it steers the loop.
            carried = re.findall(r"(%[\w$.-]+) = (%[\w$.-]+)", rhs.partition("iter_args(")[2])
            if name not in (b for _, b in carried):
                return None
            into = _NAME.findall(lhs) + [a for a, b in carried if b == name]
            return _Use(lhs, op, rhs, into, rhs.split("->")[-1])
        return _Use(lhs, op, rhs)


def front_end(jit, sig: dict, constexprs: dict, attrs: dict, options: dict[str, Any]):
    """Triton's front end on one kernel for sm_90: the code generator, which refuses any
    Python it cannot lower (a call into NumPy, a ``break``), then the ``ttir`` passes. Returns
    the module; raises the compiler's own error."""
    from triton._C.libtriton import ir
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource, make_backend

    target = GPUTarget(*TARGET)
    backend = make_backend(target)
    src = ASTSource(jit, sig, constexprs, attrs)
    parsed = backend.parse_options(dict(options))
    context = ir.context()
    ir.load_dialects(context)
    backend.load_dialects(context)
    module = src.make_ir(
        target,
        parsed,
        backend.get_codegen_implementation(parsed),
        backend.get_module_map(),
        context,
    )
    stages: dict[str, Any] = {}
    backend.add_stages(stages, parsed, src.language)
    return stages["ttir"](module, {})


def compile_ttir(source: str, records: list[dict[str, Any]], workdir: Path) -> dict[str, list]:
    """The IR of each record's kernel (None with the reason where it does not compile)."""
    from kernelwright.sandbox import aot

    out: dict[str, list] = {"ir": [], "errors": []}
    try:
        jits, extracted = aot.load_kernels(source, workdir)
    except Exception as e:  # the source's own error: nothing compiles
        why = f"{type(e).__name__}: {e}"[:500]
        return {"ir": [None] * len(records), "errors": [why] * len(records)}
    for record in records:
        jit = jits.get(record["kernel"])
        if jit is None:
            why = extracted.refused.get(record["kernel"], "not a module-level @triton.jit")
            out["ir"].append(None)
            out["errors"].append(f"kernel {record['kernel']}: {why}")
            continue
        try:
            sig, constexprs, attrs = aot.signature(jit, unfolded(record))
            module = front_end(jit, sig, constexprs, attrs, record.get("options") or {})
            out["ir"].append(module.str_nodebug())
            out["errors"].append(None)
        except Exception as e:  # the compiler's own error, whatever its class
            out["ir"].append(None)
            out["errors"].append(f"{type(e).__name__}: {e}"[:500])
    return out


def _send(fd: int, message: dict) -> None:
    os.write(fd, (json.dumps(message) + "\n").encode())


def main() -> None:
    scratch = Path(sys.argv[1])
    fd = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.environ["TRITON_CACHE_DIR"] = str(scratch / "triton-cache")
    try:
        import triton.compiler  # noqa: F401

        from kernelwright.sandbox import aot  # noqa: F401
    except Exception as e:
        _send(fd, {"type": "unavailable", "why": f"{type(e).__name__}: {e}"[:500]})
        return
    _send(fd, {"type": "ready"})
    for line in sys.stdin:
        msg = json.loads(line)
        if msg.get("type") != "ttir":
            continue
        pid = os.fork()
        if pid == 0:
            try:
                with tempfile.TemporaryDirectory(dir=scratch) as tmp:
                    reply = compile_ttir(msg["source"], msg["records"], Path(tmp))
                _send(fd, {"type": "ttir", "nonce": msg.get("nonce"), **reply})
            except BaseException as e:
                why = f"{type(e).__name__}: {e}"[:500]
                _send(fd, {"type": "ttir", "nonce": msg.get("nonce"), "failed": why})
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        # Nothing a kernel body started at compile time outlives its request.
        kill_tree(os.getpid(), include_root=False)


if __name__ == "__main__":
    main()
