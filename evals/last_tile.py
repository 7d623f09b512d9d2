"""Masked-off lanes that only the last trip of a tile loop has, proved on Triton IR.

A row walked in tiles, ``for start in range(lb, n, BLOCK)`` with the mask
``start + tl.arange(0, BLOCK) < n``, masks lanes off only where ``start + BLOCK > n``: in the
last trip, after which the loop ends. A masked load there may feed, besides the lane-wise uses
``dead_lanes`` allows:

- a forward ``tl.cumsum`` (any ``tt.scan`` along the tile, ``reverse = false``): lane ``i`` of
  a forward scan reads lanes ``0..i``, and where lane ``i`` is in bounds so is every lane
  before it, so the scan is wrong only on masked-off lanes, as a lane-wise op is;
- anything at all (a ``tl.sum`` into a running total), as long as every use on the way is free
  of side effects (``ir_order``'s pure ops, reductions, scans) and it ends in the loop's own
  ``scf.yield`` with the loop's result unread: a value carried to the next trip that the last
  trip never has, and that nothing reads after the loop.

That holds for any ``other``. The mask must be exactly ``arith.cmpi slt`` of
``splat(start) + make_range(0, E)`` (either order) against ``splat(n)``, ``start`` the loop's
induction variable, ``n`` its upper bound and its step a constant of at least ``E``; the load
must stand directly in the loop's body. A lane the mask keeps off has ``start + i >= n`` without
wrapping (a wrapped sum is negative, so below ``n``), hence ``start + step > n``: the last trip.
Taken as given: the indices ``start + i`` and the loop's own ``start + step`` stay below 2**31
(an int32 index that wraps addresses the wrong element in the original program too).
"""

from __future__ import annotations

import re

from kernelwright.evals import ir_order
from kernelwright.evals.dead_lanes import _Graph, _lanewise, _shape

_RANGE = re.compile(r"tt\.make_range\s*\{end = (\d+) : i32, start = 0 : i32\}")
_INT = re.compile(r"arith\.constant\s+(\d+)\s*:\s*i(?:32|64)\b")
_GENERIC = re.compile(r'^\s*%[\w$.\-]+(?::\d+)?\s*=\s*"(tt\.scan|tt\.reduce)"\(')


class _Unproven(Exception):
    pass


def _parents(lines) -> dict[int, int]:
    """Line -> the line opening the region it stands in (the function's body included)."""
    parent: dict[int, int] = {}
    stack: list[int] = []
    for k, line in enumerate(lines):
        if line.closes:
            opener = stack.pop()
            if line.opens:
                stack.append(opener)
            continue
        if stack:
            parent[k] = stack[-1]
        if line.opens:
            stack.append(k)
    return parent


class LastTile:
    """The proof over one parsed IR (``dead_lanes._Graph``)."""

    def __init__(self, graph: _Graph):
        self.g = graph
        self.parent = _parents(graph.lines)

    def _def(self, value: int):
        k = self.g.defined_at.get(value)
        return (k, self.g.lines[k]) if k is not None else (None, None)

    def _last_trip_mask(self, mask: int, loop: int) -> bool:
        """Is ``mask`` ``start + arange(0, E) < n`` of the loop at line ``loop``?"""
        head = self.g.lines[loop]
        if head.op != "scf.for" or len(head.uses) < 3 or not head.block_args:
            return False
        start, bound, step = head.block_args[0], head.uses[1], head.uses[2]
        k, cmp = self._def(mask)
        if cmp is None or cmp.op != "arith.cmpi" or " slt," not in self.g.raw[k]:
            return False
        _, total = self._def(cmp.uses[0])
        _, splat_n = self._def(cmp.uses[1])
        if total is None or total.op != "arith.addi" or splat_n is None:
            return False
        if splat_n.op != "tt.splat" or splat_n.uses != [bound]:
            return False
        extent = None
        splatted = False
        for u in total.uses:
            k_u, line = self._def(u)
            if line is None:
                return False
            if line.op == "tt.splat" and line.uses == [start]:
                splatted = True
            elif m := _RANGE.search(self.g.raw[k_u]):
                extent = int(m.group(1))
            else:
                return False
        k_s, st = self._def(step)
        m = _INT.search(self.g.raw[k_s]) if st is not None else None
        return splatted and extent is not None and m is not None and int(m.group(1)) >= extent

    def dead(self, load: int) -> bool:
        """Can no lane the load at line ``load`` masks off reach memory?"""
        line = self.g.lines[load]
        loop = self.parent.get(load)
        if line.op != "tt.load" or len(line.uses) != 3 or len(line.results) != 1 or loop is None:
            return False
        if not self._last_trip_mask(line.uses[1], loop):
            return False
        try:
            self._follow(line.results[0], line.uses[1], loop)
        except _Unproven:
            return False
        return True

    def _follow(self, start: int, mask: int, loop: int) -> None:
        """Follow the lanes (``lane``: wrong only where masked off) and whole values
        (``whole``) that may change with the load's ``other``; raise _Unproven at a use the
        proof does not allow."""
        g = self.g
        seen: set[tuple[int, str]] = {(start, "lane")}
        work = [(start, "lane")]
        clean = [mask]
        while work:
            value, kind = work.pop()
            for at in sorted(set(g.used_at.get(value, []))):
                use = g.lines[at]
                if use.op == "scf.yield" and self.parent.get(at) == loop:
                    # Carried to a trip the last one never has; the loop's result unread.
                    if any(g.used_at.get(r) for r in g.lines[loop].results):
                        raise _Unproven
                    continue
                for item in self._next(at, value, kind, mask, clean):
                    if item not in seen:
                        seen.add(item)
                        work.append(item)
        if {v for v, _ in seen}.intersection(clean):
            raise _Unproven

    def _next(
        self, at: int, value: int, kind: str, mask: int, clean: list[int]
    ) -> list[tuple[int, str]]:
        """The values the use at line ``at`` of ``value`` taints, each with its kind."""
        g = self.g
        use, raw = g.lines[at], g.raw[at]
        generic = _GENERIC.match(raw)
        if kind == "lane":
            if use.op == "tt.store" and not use.results and len(use.uses) == 3:
                if not g.implies(use.uses[2], mask):
                    raise _Unproven
                clean.append(use.uses[2])
                return []
            # The mask is one-dimensional (a make_range), so is every lane-tainted value.
            one_d = len(use.results) == 1 and bool(use.types)
            one_d = one_d and (_shape(use.types[-1]) or "").count("x") == 1
            if use.op == "arith.select" and len(use.uses) == 3 and one_d:
                cond, true, false = use.uses
                if value == true and g.implies(cond, mask):
                    clean.extend([cond, false])
                    return []
            if one_d and use.op is not None and _lanewise(use.op, raw):
                return [(use.results[0], "lane")]
            scan = generic and generic.group(1) == "tt.scan"
            if scan and "reverse = false" in raw and "axis = 0 " in raw and use.uses == [value]:
                return [(use.results[0], "lane")]
        if (generic or (use.op is not None and ir_order._pure(use.op, raw))) and use.results:
            return [(r, "whole") for r in use.results]
        raise _Unproven
