"""Masked-off lanes that reach no output by position, or only through a factor that is zero
there, proved on Triton IR (the lane-wise rule is ``dead_lanes``; this one follows axes).

A load whose mask is a conjunction of *axis predicates* (``m_ok[:, None]``, ``k[None, :] < K``:
a condition on the index along one axis, the same for every other index) masks off whole rows
or columns. The proof follows those rows and columns (descriptors ``(axis, predicate)``)
through what keeps them apart: lane-wise ops, ``expand_dims`` and ``broadcast``, a reduction
along another axis, ``tt.dot`` (rows of its left operand are rows of the result, columns of
its right operand columns of the result), a loop's ``iter_args``, and ends them at a
``tt.store`` or ``arith.select`` whose condition is false there. That holds for any ``other``,
NaN included: ``dead`` (q rows of an attention kernel past the sequence, stored under the row
mask; k columns past it, replaced by ``-inf``).

Where the masked lanes meet the reduction axis of a ``tt.dot`` or a lane-wise product, they
still reach no output when the other factor is zero or NaN on them and their own value is a
finite, non-negative ``other`` (0 <= c <= 1, +0 included, -0 not): ``c * f`` is then ``f * 0``
for every ``f`` in {+0, -0, NaN}, so such ``other``s give one program. The factor's zeros are
read from the IR alone: a load's constant ``other`` of +-0 under a mask false there, ``exp``
or ``exp2`` of a value that is ``-inf`` or NaN there (a ``-inf`` ``other``, a select to
``-inf``, minus or plus anything). ``Axes.dead(load, small_other=True)`` proves that for one
load, its facts taken only from loads not ``excluded`` (the load itself, and those whose
``other`` is set aside); ``dead_lanes.small_other_variants`` uses it pairwise, so two loads
proved by each other's zeros are never set aside together.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable

from kernelwright.evals.dead_lanes import _SHAPE, _Graph, _lanewise, _Unproven

Desc = tuple[int, Hashable]  # (axis, predicate): the lanes whose index along axis fails it

_AXIS = re.compile(r"axis\s*=\s*(-?\d+)")
_CMP = re.compile(r"arith\.cmp[if]\s+(\w+)")
_CONST = re.compile(r"arith\.constant\s+(?:dense<)?([^>:]+?)>?\s*:\s*(.+)$")
_NEG_INF = {"0xFF800000", "0xFC00", "0xFF80", "0xFFF0000000000000"}
_QUOTED_OP = re.compile(r'^\s*(?:%[\w$.\-]+(?::\d+)?\s*=\s*)?"([\w.]+)"\(')
_CASTS = {"arith.extf", "arith.truncf", "tt.fp_to_fp"}


def _dims(type_text: str) -> list[int] | None:
    m = _SHAPE.match(type_text.strip())
    if not m:
        return [] if not type_text.strip().startswith("tensor") else None
    return [int(d) for d in m.group(1).split("x") if d]


class Axes:
    """The axis-following proof over one parsed IR (``dead_lanes._Graph``)."""

    def __init__(self, graph: _Graph, excluded: set[int]):
        self.g = graph
        self.excluded = excluded  # loads (line indices) whose constant `other` is no fact
        self.parent: dict[int, int] = {}  # line -> the line whose region holds it
        self.close: dict[int, int] = {}  # a line opening a region -> the line closing it
        self.arg_of: dict[int, tuple[int, int]] = {}  # block arg -> (its line, position)
        stack: list[int] = []
        for k, text in enumerate(graph.raw):
            plain = text.lstrip()
            if plain.startswith("}"):
                opener = stack.pop()
                self.close.setdefault(opener, k)
            if stack:
                self.parent[k] = stack[-1]
            opens = text.count("{") - text.count("}") + (1 if plain.startswith("}") else 0)
            if opens == 1:
                stack.append(k)
            for i, a in enumerate(graph.lines[k].block_args):
                self.arg_of[a] = (k, i)

    def op(self, at: int) -> str | None:
        """The op of a line; the parser blanks string literals, and so the generic form's
        quoted names (``"tt.reduce"(%x)``)."""
        if m := _QUOTED_OP.match(self.g.raw[at]):
            return m.group(1)
        return self.g.lines[at].op

    # -- what a value is, lane by lane -------------------------------------------------------

    def _def(self, v: int):
        at = self.g.defined_at.get(v)
        return (at, self.g.lines[at]) if at is not None else (None, None)

    def _type(self, v: int) -> str | None:
        at, line = self._def(v)
        if line is None:
            return None
        if self.op(at) == "tt.reduce":
            closing = self.g.lines[self.close.get(at, at)]
            return closing.types[-1] if closing.types else None
        if len(line.results) != 1 or not line.types:
            return None
        return line.types[-1]

    def _rank(self, v: int) -> int | None:
        t = self._type(v)
        d = _dims(t) if t is not None else None
        return len(d) if d is not None else None

    def key(self, v: int, depth: int = 0) -> tuple[int | None, Hashable] | None:
        """``(axis, expr)``: lane values of ``v`` as a function of the index along ``axis``
        alone (None: the same on every lane), with ``expr`` a structural expression over
        leaves; None where ``v`` is no such thing."""
        if depth > 48:
            return None
        at, line = self._def(v)
        if line is None:  # a block or function argument
            return None
        op, raw = line.op, self.g.raw[at]
        if op == "tt.splat" and len(line.uses) == 1:
            return None, ("scalar", line.uses[0])
        if op == "tt.make_range":
            return 0, ("range", re.sub(r"^.*?tt\.make_range", "", raw).strip())
        if op == "arith.constant":
            m = _CONST.search(raw)
            return (None, ("const", m.group(1).strip(), m.group(2).strip())) if m else None
        if op == "tt.expand_dims" and len(line.uses) == 1:
            inner = self.key(line.uses[0], depth + 1)
            m = _AXIS.search(raw)
            if inner is None or m is None:
                return None
            axis, e = inner[0], int(m.group(1))
            return (None if axis is None else axis + (1 if e <= axis else 0)), inner[1]
        if op == "tt.broadcast" and len(line.uses) == 1:
            inner = self.key(line.uses[0], depth + 1)
            if inner is None or inner[0] is None:
                return inner
            return inner if self._keeps_axis(line, inner[0]) else None
        if op and op.startswith("arith.") and len(line.results) == 1 and line.uses:
            keys = [self.key(u, depth + 1) for u in line.uses]
            if any(k is None for k in keys):
                return self._leaf(v)
            axes = {k[0] for k in keys if k[0] is not None}
            if len(axes) > 1:
                return None
            m = _CMP.search(raw)
            expr = (op, m.group(1) if m else "", *(k[1] for k in keys))
            return (axes.pop() if axes else None), expr
        return self._leaf(v)

    def _leaf(self, v: int) -> tuple[int | None, Hashable] | None:
        rank = self._rank(v)
        if rank == 0:
            return None, ("leaf", v)
        if rank == 1:
            return 0, ("leaf", v)
        return None

    def _keeps_axis(self, line, axis: int) -> bool:
        if len(line.types) != 2:
            return False
        before, after = _dims(line.types[0]), _dims(line.types[1])
        return bool(before and after and len(before) == len(after) and axis < len(before)) and (
            before[axis] == after[axis]
        )

    def conjuncts(self, v: int, depth: int = 0) -> list[int]:
        at, line = self._def(v)
        if line is not None and line.op == "arith.andi" and len(line.uses) == 2 and depth < 32:
            return [c for u in line.uses for c in self.conjuncts(u, depth + 1)]
        return [v]

    def false_descs(self, mask: int) -> set[Desc] | None:
        """The descriptors whose union holds every lane where ``mask`` is false; None where
        some conjunct is no axis predicate."""
        out: set[Desc] = set()
        for c in self.conjuncts(mask):
            k = self.key(c)
            if k is None or k[0] is None:
                return None
            out.add((k[0], k[1]))
        return out

    def covered(self, mask: int) -> set[Desc]:
        """Descriptors on whose lanes ``mask`` is false (some conjunct of it is their
        predicate)."""
        out: set[Desc] = set()
        for c in self.conjuncts(mask):
            k = self.key(c)
            if k is not None and k[0] is not None:
                out.add((k[0], k[1]))
        return out

    # -- facts: lanes where a value is zero or NaN, -inf or NaN, whatever the inputs --------

    def _const_value(self, v: int) -> str | None:
        at, line = self._def(v)
        if line is None or line.op != "arith.constant":
            return None
        m = _CONST.search(self.g.raw[at])
        return m.group(1).strip() if m else None

    def _load_facts(self, at: int, line, wanted) -> set[Desc]:
        if at in self.excluded or len(line.uses) != 3:
            return set()
        value = self._const_value(line.uses[2])
        if value is None or not wanted(value):
            return set()
        # The load gives `other` wherever any one conjunct of its mask is false.
        return self.covered(line.uses[1])

    def zero(self, v: int, depth: int = 0) -> set[Desc]:
        """Descriptors on whose lanes ``v`` is +0, -0 or NaN."""
        at, line = self._def(v)
        if line is None or depth > 48:
            return set()
        op = line.op
        if op == "tt.load":
            return self._load_facts(at, line, _is_zero)
        if op in ("math.exp2", "math.exp") and len(line.uses) == 1:
            return self.neg_inf(line.uses[0], depth + 1)
        if op in _CASTS and len(line.uses) == 1:
            return self.zero(line.uses[0], depth + 1)
        if op in ("tt.broadcast", "tt.expand_dims"):
            return self._moved(line, at, self.zero(line.uses[0], depth + 1))
        if op == "arith.mulf" and len(line.uses) == 2:
            return self.zero(line.uses[0], depth + 1) | self.zero(line.uses[1], depth + 1)
        if op == "arith.divf" and len(line.uses) == 2:
            return self.zero(line.uses[0], depth + 1)
        if op == "arith.select" and len(line.uses) == 3:
            c, t, f = line.uses
            zf = self.zero(f, depth + 1)
            return (zf & self.covered(c)) | (zf & self.zero(t, depth + 1))
        return set()

    def neg_inf(self, v: int, depth: int = 0) -> set[Desc]:
        """Descriptors on whose lanes ``v`` is -inf or NaN."""
        at, line = self._def(v)
        if line is None or depth > 48:
            return set()
        op = line.op
        if op == "tt.load":
            return self._load_facts(at, line, lambda c: c in _NEG_INF)
        if op == "arith.subf" and len(line.uses) == 2:
            return self.neg_inf(line.uses[0], depth + 1)
        if op == "arith.addf" and len(line.uses) == 2:
            return self.neg_inf(line.uses[0], depth + 1) | self.neg_inf(line.uses[1], depth + 1)
        if op in _CASTS and len(line.uses) == 1:
            return self.neg_inf(line.uses[0], depth + 1)
        if op in ("tt.broadcast", "tt.expand_dims"):
            return self._moved(line, at, self.neg_inf(line.uses[0], depth + 1))
        if op == "arith.select" and len(line.uses) == 3:
            c, t, f = line.uses
            if self._const_value(f) in _NEG_INF:
                return self.covered(c) | self.neg_inf(t, depth + 1)
            return self.neg_inf(f, depth + 1) & (self.covered(c) | self.neg_inf(t, depth + 1))
        return set()

    def _moved(self, line, at: int, descs: set[Desc]) -> set[Desc]:
        """Descriptors of an ``expand_dims``/``broadcast`` operand, in its result's axes."""
        out = set()
        for axis, expr in descs:
            if line.op == "tt.broadcast":
                if self._keeps_axis(line, axis):
                    out.add((axis, expr))
            elif m := _AXIS.search(self.g.raw[at]):
                out.add((axis + (1 if int(m.group(1)) <= axis else 0), expr))
        return out

    # -- the proof ---------------------------------------------------------------------------

    def dead(self, load: int, small_other: bool) -> bool:
        """Can no lane the load at line ``load`` masks off change an output (for any
        ``other``; with ``small_other``, for any ``other`` in [+0, 1])?"""
        line = self.g.lines[load]
        if len(line.results) != 1 or len(line.uses) != 3:
            return False
        start = self.false_descs(line.uses[1])
        if not start:
            return False
        try:
            self._follow(line.results[0], start, small_other)
        except _Unproven:
            return False
        return True

    def _follow(self, start: int, descs: set[Desc], small_other: bool) -> None:
        state: dict[int, tuple[frozenset, bool]] = {start: (frozenset(descs), small_other)}
        work = [start]
        steps = 0
        while work:
            steps += 1
            if steps > 20000:
                raise _Unproven
            value = work.pop()
            if not state[value][0]:
                continue  # clean: its uses see nothing of the load
            for at in sorted(set(self.g.used_at.get(value, []))):
                for target, got in self._transfer(at, value, state):
                    old = state.get(target)
                    new = got if old is None else (old[0] | got[0], old[1] and got[1])
                    if new != old:
                        state[target] = new
                        work.append(target)

    def _transfer(self, at: int, value: int, state) -> list[tuple[int, tuple[frozenset, bool]]]:
        """Where the taint of ``value`` goes at line ``at``: (value, (descriptors, finite))."""
        line, raw = self.g.lines[at], self.g.raw[at]
        op = self.op(at)

        def of(v: int) -> tuple[frozenset, bool]:
            return state.get(v, (frozenset(), True))

        if op == "tt.store":
            if not any(of(u)[0] for u in line.uses):
                return []
            if len(line.uses) != 3 or of(line.uses[2])[0]:
                raise _Unproven
            cover = self.covered(line.uses[2])
            if not all(of(u)[0] <= cover for u in line.uses[:2]):
                raise _Unproven
            return []
        if op == "scf.yield":
            parent = self.parent.get(at)
            owner = self.g.lines[parent] if parent is not None else None
            if owner is None or owner.op != "scf.for" or len(owner.results) != 1:
                raise _Unproven
            out = []
            for i, u in enumerate(line.uses):
                if u == value:
                    self._invariant(of(u)[0], parent)
                    out += [(owner.block_args[i + 1], of(u)), (owner.results[0], of(u))]
            return out
        if op == "scf.for":
            if value in line.uses[:3] or len(line.results) != 1:
                raise _Unproven
            return [
                t
                for i, u in enumerate(line.uses[3:])
                if u == value
                for t in ((line.block_args[i + 1], of(u)), (line.results[0], of(u)))
            ]
        if len(line.results) != 1:
            raise _Unproven
        result = line.results[0]
        if op in ("tt.broadcast", "tt.expand_dims") and len(line.uses) == 1:
            descs, finite = of(value)
            moved = self._moved(line, at, set(descs))
            if len(moved) != len(descs):
                raise _Unproven
            return [(result, (frozenset(moved), finite))]
        if op == "tt.reduce" and len(line.uses) == 1:
            m = _AXIS.search(raw)
            if m is None:
                raise _Unproven
            r = int(m.group(1))
            descs = of(value)[0]
            if any(a == r for a, _ in descs):
                raise _Unproven
            return [(result, (frozenset((a - (a > r), e) for a, e in descs), False))]
        if op == "tt.dot" and len(line.uses) == 3:
            return [(result, (self._dot(line, of), False))]
        if op is None or not _lanewise(op, raw):
            raise _Unproven
        if op == "arith.select" and len(line.uses) == 3:
            c, t, f = line.uses
            (dc, _), (dt, ft), (df, ff) = of(c), of(t), of(f)
            descs = dc | (dt - self.covered(c)) | df
            return [(result, (frozenset(descs), not dc and ft and ff))]
        if op in _CASTS and len(line.uses) == 1:
            return [(result, of(value))]
        if op == "arith.mulf" and len(line.uses) == 2:
            a, b = line.uses
            return [(result, (self._times(of(a), b) | self._times(of(b), a), False))]
        descs = frozenset().union(*(of(u)[0] for u in line.uses))
        return [(result, (descs, False))]

    def _times(self, tainted: tuple[frozenset, bool], other: int) -> frozenset:
        """The lanes of ``tainted * other`` the taint still reaches: a small finite value
        times a zero or NaN is what 0 times it is."""
        descs, finite = tainted
        return descs - self.zero(other) if finite and descs else descs

    def _dot(self, line, of) -> frozenset:
        a, b, c = line.uses
        (da, fa), (db, fb) = of(a), of(b)
        if (da or db) and (self._rank(a), self._rank(b)) != (2, 2):
            raise _Unproven
        out = set(of(c)[0])
        for axis, expr in da:
            if axis == 0:
                out.add((0, expr))
            elif not (fa and (0, expr) in self.zero(b)):
                raise _Unproven
        for axis, expr in db:
            if axis == 1:
                out.add((1, expr))
            elif not (fb and (1, expr) in self.zero(a)):
                raise _Unproven
        return frozenset(out)

    def _invariant(self, descs: frozenset, loop: int) -> None:
        """A descriptor carried to the next iteration must mean the same lanes there: every
        value its predicate reads is defined outside the loop."""
        end = self.close.get(loop, loop)
        for _, expr in descs:
            for v in _values(expr):
                # A block argument is defined on the line that opens its region: the loop's
                # own (its induction variable, its iter_args) count as inside it.
                at = self.g.defined_at.get(v, self.arg_of.get(v, (None,))[0])
                if at is None or loop <= at <= end:
                    raise _Unproven


def _values(expr: Hashable) -> list[int]:
    """The SSA values an expression reads."""
    if not isinstance(expr, tuple) or not expr:
        return []
    if expr[0] in ("leaf", "scalar") and len(expr) == 2 and isinstance(expr[1], int):
        return [expr[1]]
    return [v for e in expr[1:] for v in _values(e)]


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _is_zero(text: str) -> bool:
    return _number(text) == 0.0


def constant_text(raw: str) -> str | None:
    """The value of an ``arith.constant`` line (``0.000000e+00``, ``0xFF800000``)."""
    m = _CONST.search(raw)
    return m.group(1).strip() if m and "arith.constant" in raw else None


def small_other(text: str) -> bool:
    """Is a printed constant in [+0, 1] (not -0, not NaN)?"""
    c = _number(text)
    return c is not None and 0.0 <= c <= 1.0 and math.copysign(1.0, c) > 0
