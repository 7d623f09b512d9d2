"""Triton IR in a canonical order: each side-effect-free op placed by its uses.

The compiler places an op where the source computed it. A cast moved from a load to the
multiply that reads it (``.to(tl.float16)`` of a float16 load, promoted to float32 where it is
used) or a constant hoisted in another order moves lines of IR without changing what any
store, load or loop computes: Trivial Compiler Equivalence alone cannot tell such programs
apart. ``scheduled`` puts each block's lines in an order that follows the data flow only:

- *anchored* lines (loads, stores, atomics, loops, branches, reductions, calls, returns, and
  any op not known to be pure) keep their order;
- a *pure* op (``_pure``: its result is a function of its operands alone) is emitted just
  before the first anchored line of its block that needs it, its own operands first, operands
  taken in the order they are read; one that no anchored line needs is dropped.

A pure op never moves to another block (into or out of a loop or branch), so each runs as
often as it did. ``casts_first`` first rewrites a cast of a value moved for it alone
(``expand_dims``, ``broadcast``, ``reshape``, ``trans``) as the move of the cast value: a cast
acts on each element alone and a move only places elements, so the two orders are one program. Two IRs whose scheduled lines are equal up to SSA names run the same anchored
ops, in the same order, on the same values: the same program.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

# Integer division and remainder are undefined on a zero divisor: dropping or moving one is
# not shown harmless here, so they stay anchored.
INT_DIVISION = {
    "arith.divsi",
    "arith.divui",
    "arith.remsi",
    "arith.remui",
    "arith.ceildivsi",
    "arith.ceildivui",
    "arith.floordivsi",
}
_PURE_TT = {
    "tt.addptr",
    "tt.bitcast",
    "tt.broadcast",
    "tt.cat",
    "tt.clampf",
    "tt.dot",
    "tt.expand_dims",
    "tt.fp_to_fp",
    "tt.get_num_programs",
    "tt.get_program_id",
    "tt.int_to_ptr",
    "tt.join",
    "tt.make_range",
    "tt.mulhiui",
    "tt.precise_divf",
    "tt.precise_sqrt",
    "tt.ptr_to_int",
    "tt.reshape",
    "tt.splat",
    "tt.split",
    "tt.trans",
}


class Parsed(Protocol):
    """One parsed IR line (``dead_lanes.Line``)."""

    op: str | None
    results: list[int]
    uses: list[int]
    opens: bool  # it opens a region
    closes: bool  # it starts by closing one (`} else {` does both)


def _pure(op: str | None, text: str) -> bool:
    if op is None:
        return False
    if op.startswith("arith."):
        return op not in INT_DIVISION
    if op.startswith("math."):
        return True
    if op == "tt.extern_elementwise":
        return re.search(r"\bpure\s*=\s*true\b", text) is not None
    return op in _PURE_TT


@dataclass
class _Item:
    """A line of a block, with the blocks of the regions it opens and their closing lines."""

    head: int
    blocks: list[list[_Item]] = field(default_factory=list)
    closers: list[int] = field(default_factory=list)


def _tree(lines: list[Parsed]) -> list[_Item]:
    root: list[_Item] = []
    stack: list[tuple[list[_Item], _Item | None]] = [(root, None)]
    for k, line in enumerate(lines):
        if line.closes:
            _, owner = stack.pop()
            if owner is None:
                raise ValueError("a region closed that never opened")
            owner.closers.append(k)
            if line.opens:  # `} else {`: the next region of the same op
                owner.blocks.append([])
                stack.append((owner.blocks[-1], owner))
            continue
        item = _Item(k)
        stack[-1][0].append(item)
        if line.opens:
            item.blocks.append([])
            stack.append((item.blocks[-1], item))
    if len(stack) != 1:
        raise ValueError("unbalanced regions")
    return root


def scheduled(raw: list[str], lines: list[Parsed]) -> list[int]:
    """The indices of ``raw``'s lines (parsed as ``lines``) in canonical order, dead pure ops
    left out. Raises ValueError on regions that do not balance."""
    defined: dict[int, int] = {r: k for k, line in enumerate(lines) for r in line.results}

    def reads(ks: list[int]) -> list[int]:
        return [u for k in ks for u in lines[k].uses]

    def order(block: list[_Item]) -> list[int]:
        pure = {
            it.head
            for it in block
            if not it.blocks and lines[it.head].results and _pure(lines[it.head].op, raw[it.head])
        }
        out: list[int] = []
        done: set[int] = set()

        def emit(item: _Item) -> None:
            # Post-order over the pure ops of this block it reads, operands in order.
            inner = [item.head]
            for blk, closer in zip(item.blocks, item.closers, strict=True):
                inner += order(blk) + [closer]
            stack: list[tuple[int, list[int], int]] = [(item.head, reads(inner), 0)]
            while stack:
                head, wanted, i = stack.pop()
                while i < len(wanted):
                    k = defined.get(wanted[i], -1)
                    i += 1
                    if k in pure and k not in done:
                        done.add(k)
                        stack.append((head, wanted, i))
                        stack.append((k, list(lines[k].uses), 0))
                        break
                else:
                    out.extend(inner if head == item.head else [head])

        for item in block:
            if item.head not in pure:
                done.add(item.head)
                emit(item)
        return out

    return order(_tree(lines))


# Ops that only move elements (each result lane is some operand lane), and casts: lane-wise
# functions of one operand. A cast of a moved value is the moved cast value, exactly.
_MOVES = {"tt.expand_dims", "tt.broadcast", "tt.reshape", "tt.trans"}
_CASTS = {
    "arith.extf",
    "arith.truncf",
    "arith.extsi",
    "arith.extui",
    "arith.trunci",
    "arith.sitofp",
    "arith.uitofp",
}


class Named(Parsed, Protocol):
    types: list[str]
    names: list[tuple[int, int, int]]


def _element(tensor: str) -> str | None:
    if tensor.startswith("tensor<") and tensor.endswith(">") and "x" in tensor:
        return tensor[tensor.rindex("x") + 1 : -1]
    return None


def casts_first(raw: list[str], lines: list[Named], defined: dict[int, int]) -> None:
    """Rewrite, in place, each cast of a moved value that nothing else reads into the move of
    the cast value (``extf(expand_dims(x))`` -> ``expand_dims(extf(x))``), until none is left:
    where a widening stands among broadcasts then no longer tells programs apart. Rewritten
    lines name each value ``%<id>`` (the ids ``lines`` resolved), their ``names`` emptied."""
    used: dict[int, int] = {}
    for line in lines:
        for u in line.uses:
            used[u] = used.get(u, 0) + 1
    changed = True
    while changed:
        changed = False
        for k_c, cast in enumerate(lines):
            if cast.op not in _CASTS or len(cast.uses) != 1 or len(cast.results) != 1:
                continue
            k_m = defined.get(cast.uses[0])
            move = lines[k_m] if k_m is not None else None
            if move is None or move.op not in _MOVES or len(move.uses) != 1:
                continue
            if "allow_reorder" in raw[k_m]:  # elements in an order the compiler picks
                continue
            if used.get(cast.uses[0]) != 1 or len(move.types) != 2 or len(cast.types) != 2:
                continue
            (t0, t1), (_, t2) = move.types, cast.types
            e1, e2 = _element(t1), _element(t2)
            if e1 is None or e2 is None or not t0.endswith(f"x{e1}>"):
                continue
            t0_cast = t0[: -len(e1) - 1] + e2 + ">"
            moved, into = raw[k_m].rstrip(), raw[k_c].rstrip()
            if not (moved.endswith(f"{t0} -> {t1}") and into.endswith(f"{t1} to {t2}")):
                continue
            if "#" in _token(raw[k_m], move.names, move.uses[0]):
                continue
            x, a, b = move.uses[0], cast.uses[0], cast.results[0]
            new_cast = _renamed_as(into, cast.names, {b: a, a: x})
            new_move = _renamed_as(moved, move.names, {a: b, x: a})
            raw[k_m] = new_cast[: len(new_cast) - len(f"{t1} to {t2}")] + f"{t0} to {t0_cast}"
            raw[k_c] = new_move[: len(new_move) - len(f"{t0} -> {t1}")] + f"{t0_cast} -> {t2}"
            # The lines swap roles: k_m now casts x into a, k_c moves a into b.
            move.op, cast.op = cast.op, move.op
            move.names, cast.names = [], []
            move.types, cast.types = [t0, t0_cast], [t0_cast, t2]
            changed = True


def _token(text: str, names: list[tuple[int, int, int]], value: int) -> str:
    """The text of ``value``'s name on the line, with a ``#n`` that follows it."""
    for a, b, v in names:
        if v == value:
            return text[a : b + (len(m.group()) if (m := re.match(r"#\d+", text[b:])) else 0)]
    return ""


def _renamed_as(text: str, names: list[tuple[int, int, int]], values: dict[int, int]) -> str:
    """``text`` with every SSA name written ``%<id>``, the ids in ``values`` mapped first."""
    pieces, last = [], 0
    for a, b, v in sorted(names):
        pieces += [text[last:a], f"%{values.get(v, v)}"]
        last = b
    return "".join(pieces) + text[last:]
