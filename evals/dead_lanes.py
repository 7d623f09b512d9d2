"""Masked loads whose masked-off lanes reach no output, proved on Triton IR.

``tt.load %ptr, %mask, %other`` gives ``other`` on the lanes where ``mask`` is false. When no
such lane of the result can reach memory, ``other`` is no part of the program: two kernels that
differ only there are the same program, yet their IR differs, so Trivial Compiler Equivalence
alone cannot tell them. ``canonical`` proves it load by load and writes a placeholder for each
proven load's ``other``, so that equal canonical IR means the same program.

The proof follows the load's value (the *tainted* values: those whose masked-off lanes may
change with ``other``) through every use. A use may only be lane-wise (``_lanewise``: lane
``i`` of the result depends on lane ``i`` of the operands alone, and the result has the load's
shape), or end the value:

- ``tt.store %ptr, %value, %m`` with ``m`` implying the load's mask: a lane the load masked off
  is not written;
- ``arith.select %c, %t, %b`` with ``c`` implying the mask and only ``%t`` tainted: a lane the
  load masked off takes ``b``, every other lane the load's own, so the result is clean.

``m`` implies ``mask`` when it is that very SSA value or an ``arith.andi`` of i1 values one of
which implies it. Anything else a tainted value meets (a reduction or scan, a broadcast,
reshape or expand_dims, a ``tt.dot``, a loop's ``iter_args`` or ``scf.yield``, a call, an
atomic, another load, an op not listed, a line this parser cannot read) leaves the load
unproven by this rule, and IR whose names it cannot resolve proves nothing at all.
``lane_axes`` proves more loads by position (rows and columns through a ``tt.dot``, a
reduction, a loop) and, pairwise, for an ``other`` that only ever meets a zero factor;
``last_tile`` the loads of a tile loop whose masked lanes only its last trip has (a forward
scan, a running total nothing reads after the loop).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from kernelwright.evals import ir_order

PLACEHOLDER = "<dead-lanes>"
# An `other` in [+0, 1] whose masked-off lanes meet only zeros (``small_other_variants``).
PLACEHOLDER_SMALL = "<dead-lanes: 0..1>"

_TOKEN = re.compile(r"%[\w$.\-]+(?:#\d+)?")  # `%70#1`: result 1 of `%70:3 = ...`
_NAME = re.compile(r"%[\w$.\-]+")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_RESULTS = re.compile(r"^((?:%[\w$.\-]+(?::\d+)?\s*,\s*)*%[\w$.\-]+(?::\d+)?)\s*=\s*")
_OPNAME = re.compile(r'^"?([a-z_][\w.]*)"?')
_SHAPE = re.compile(r"^tensor<((?:\d+x)*)")
_SCALAR = re.compile(r"^(?:[if]\d+|bf16|f8E\w+|!tt\.ptr<.*>)$")

# Lane-wise ops that are defined for every lane value: a masked-off lane divided by zero (or
# INT_MIN by -1) is undefined behaviour, not a lane nobody reads.
_ARITH_LEFT_OUT = {"arith.constant", *ir_order.INT_DIVISION}
_LANEWISE_TT = {
    "tt.fp_to_fp",
    "tt.precise_sqrt",
    "tt.precise_divf",
    "tt.clampf",
    "tt.mulhiui",
    "tt.bitcast",
    "tt.addptr",
}


def _lanewise(op: str, text: str) -> bool:
    if op.startswith("arith."):
        return op not in _ARITH_LEFT_OUT
    if op.startswith("math."):
        return True
    if op == "tt.extern_elementwise":
        # A libdevice function: lane-wise, and free of side effects only when marked pure.
        return re.search(r"\bpure\s*=\s*true\b", text) is not None
    return op in _LANEWISE_TT


class _Unreadable(Exception):
    """IR whose SSA names this parser cannot resolve: nothing in it is proven."""


@dataclass
class _Line:
    op: str | None = None
    results: list[int] = field(default_factory=list)  # the ids of the values it defines
    uses: list[int] = field(default_factory=list)  # the ids it reads, in order
    use_spans: list[tuple[int, int]] = field(default_factory=list)  # where in the raw line
    types: list[str] = field(default_factory=list)  # after the trailing ` : `
    opens: bool = False  # it opens a region
    closes: bool = False  # it starts by closing one (`} else {` does both)
    block_args: list[int] = field(default_factory=list)  # defined in the region it opens
    # Every SSA name on the raw line: (start, end, the value it means); `#1` left out.
    names: list[tuple[int, int, int]] = field(default_factory=list)


def _blank_strings(text: str) -> str:
    """``text`` with string literals blanked, lengths kept (their ``%`` are no names)."""
    return _STRING.sub(lambda m: '"' + " " * (len(m.group()) - 2) + '"', text)


def _without_braces(text: str) -> str:
    """``text`` without ``{...}`` attribute dictionaries (which hold ``: i32`` too)."""
    out, depth = [], 0
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(depth - 1, 0)
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _split_types(text: str) -> list[str]:
    """The types of a trailing type list: top-level commas split it, and so do ``to`` and
    ``->`` (the result type is the last)."""
    parts, depth, cur = [], 0, ""
    for i, ch in enumerate(text):
        if ch in "<([":
            depth += 1
        elif ch in ")]" or (ch == ">" and not (i and text[i - 1] == "-")):
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [t.strip() for p in parts for t in re.split(r"\s+(?:to|->)\s+", p) if t.strip()]


def _shape(type_text: str) -> str | None:
    """``256x64x`` of a tensor type, ``""`` of a scalar, None for what is neither."""
    if m := _SHAPE.match(type_text):
        return m.group(1)
    return "" if _SCALAR.match(type_text) else None


def _parse(raw: list[str]) -> list[_Line]:
    """Each line's op, defined values and used values, every name resolved to the one
    definition it means. The printer reuses a name in sibling regions (two loop bodies both
    define ``%19``), so a name is looked up in the regions open where it is used."""
    lines: list[_Line] = []
    scopes: list[dict[str, int]] = [{}]
    count = 0

    def define(scope: dict[str, int], name: str) -> int:
        nonlocal count
        count += 1
        scope[name] = count
        return count

    def resolve(name: str) -> int:
        base = name.split("#")[0]
        for scope in reversed(scopes):
            if base in scope:
                return scope[base]
        raise _Unreadable(name)

    for text in raw:
        line = _Line()
        plain = _blank_strings(text)
        body = plain.lstrip()
        offset = len(plain) - len(body)
        if body.startswith("}"):
            if len(scopes) == 1:
                raise _Unreadable(text)
            scopes.pop()
            line.closes = True
        results: list[tuple[str, int]] = []  # a name and where it starts
        if m := _RESULTS.match(body):
            results = [(r.group(), offset + r.start()) for r in _NAME.finditer(m.group(1))]
            offset += m.end()
            body = body[m.end() :]
        if m := _OPNAME.match(body):
            line.op = m.group(1)
        opens = plain.count("{") - plain.count("}") + (1 if plain.lstrip().startswith("}") else 0)
        if opens not in (0, 1):
            raise _Unreadable(text)
        line.opens = opens == 1
        # Block arguments, defined on the line: `^bb0(%a: f32)` (in the current region),
        # `tt.func @f(%arg0: ...)`, `scf.for %iv = ... iter_args(%acc = %init)` (in the
        # region the line opens). A name followed by `: ` or ` = ` anywhere else is a syntax
        # this parser does not know.
        inner: list[tuple[str, int]] = []
        for t in _TOKEN.finditer(body):
            after = body[t.end() :]
            typed, assigned = re.match(r":\s", after), re.match(r"\s=\s", after)
            if typed or assigned:
                ok = (
                    (typed and (body.startswith("^") or line.op == "tt.func"))
                    or (assigned and opens)
                ) and "#" not in t.group()
                if not ok:
                    raise _Unreadable(text)
                inner.append((t.group(), offset + t.start()))
            else:
                line.uses.append(resolve(t.group()))
                line.use_spans.append((offset + t.start(), offset + t.end()))
                base = t.group().split("#")[0]
                line.names.append(
                    (offset + t.start(), offset + t.start() + len(base), line.uses[-1])
                )
        line.results = [define(scopes[-1], r) for r, _ in results]
        line.names += [
            (at, at + len(r), v) for (r, at), v in zip(results, line.results, strict=True)
        ]
        head, sep, tail = _without_braces(body).rpartition(" : ")
        if sep:
            line.types = _split_types(tail)
        if opens:
            scopes.append({})
        line.block_args = [define(scopes[-1], name) for name, _ in inner]
        line.names += [
            (at, at + len(n), v) for (n, at), v in zip(inner, line.block_args, strict=True)
        ]
        line.names.sort()
        lines.append(line)
    if len(scopes) != 1:
        raise _Unreadable("unbalanced regions")
    return lines


class _Unproven(Exception):
    pass


class _Graph:
    def __init__(self, raw: list[str], lines: list[_Line]):
        self.raw = list(raw)
        self.lines = lines
        self.defined_at: dict[int, int] = {}
        self.used_at: dict[int, list[int]] = {}
        for k, line in enumerate(lines):
            for r in line.results:
                self.defined_at[r] = k
            for u in line.uses:
                self.used_at.setdefault(u, []).append(k)

    def implies(self, cond: int, mask: int, depth: int = 0) -> bool:
        """Is ``cond`` false on every lane where ``mask`` is false?"""
        if cond == mask:
            return True
        at = self.defined_at.get(cond)
        if at is None or depth > 64:
            return False
        line = self.lines[at]
        if line.op != "arith.andi" or len(line.results) != 1 or len(line.uses) != 2:
            return False
        if not line.types or not (line.types[-1] == "i1" or line.types[-1].endswith("xi1>")):
            return False
        return any(self.implies(u, mask, depth + 1) for u in line.uses)

    def dead(self, load: int) -> bool:
        """Can no lane the load at line ``load`` masks off reach memory?"""
        line = self.lines[load]
        if len(line.results) != 1 or len(line.uses) != 3 or len(line.types) != 1:
            return False
        shape = _shape(line.types[0])
        if shape is None:
            return False
        try:
            self._taint(line.results[0], line.uses[1], shape)
        except _Unproven:
            return False
        return True

    def _taint(self, start: int, mask: int, shape: str) -> None:
        """Follow the values whose masked-off lanes may change with the load's ``other``;
        raise _Unproven at a use the proof does not allow."""
        tainted = {start}
        work = [start]
        # Values that must stay clean for an end to hold, checked once all taint is known.
        clean: list[int] = [mask]
        while work:
            value = work.pop()
            for at in sorted(set(self.used_at.get(value, []))):
                use = self.lines[at]
                if use.op == "tt.store" and not use.results and len(use.uses) == 3:
                    if not self.implies(use.uses[2], mask):
                        raise _Unproven
                    clean.append(use.uses[2])
                    continue
                if use.op is None or not _lanewise(use.op, self.raw[at]):
                    raise _Unproven
                if len(use.results) != 1 or not use.types or _shape(use.types[-1]) != shape:
                    raise _Unproven
                if use.op == "arith.select" and len(use.uses) == 3:
                    cond, true, false = use.uses
                    if value == true and self.implies(cond, mask):
                        clean += [cond, false]
                        continue
                if use.results[0] not in tainted:
                    tainted.add(use.results[0])
                    work.append(use.results[0])
        if tainted.intersection(clean):
            raise _Unproven


def canonical(ir: str, prove: bool = True) -> tuple[str, list[int]]:
    """``ir`` with the ``other`` of each masked load proven dead replaced by a placeholder
    (unless not ``prove``), its lines in data-flow order (``ir_order.scheduled``: pure ops
    placed by their uses, those nothing needs dropped, the constants that leaves unused among
    them) and SSA names renamed in order of first appearance, and the IR line numbers
    (1-based) of the proven loads. Two IRs with equal canonical text differ at most in the
    ``other`` of loads whose masked-off lanes reach no output and in where pure ops stand.
    Proven: lane by lane (``_Graph.dead``), by position (``lane_axes``) or as lanes only a
    tile loop's last trip masks off (``last_tile``)."""
    raw = ir.splitlines()
    try:
        lines = _parse(raw)
    except _Unreadable:
        return _renamed(raw), []
    graph = _Graph(raw, lines)
    proven = _proven(graph) if prove else []
    return _aside(graph, {k: PLACEHOLDER for k in proven}), [k + 1 for k in proven]


def small_other_variants(ir: str) -> dict[str, int]:
    """For each load whose ``other`` is in [+0, 1] and whose masked-off lanes change no output
    for any such ``other`` (``lane_axes``: they meet only a factor that is zero there), the
    canonical text with that one ``other`` set aside too -> the load's IR line (1-based). Two
    IRs that share a variant differ at most in that load's ``other``, both in the class, and
    in the ``other``s ``canonical`` sets aside: the same program. One load per variant: two
    loads proven by each other's zeros are never set aside together."""
    from kernelwright.evals import lane_axes  # it builds on this module's parser

    raw = ir.splitlines()
    try:
        lines = _parse(raw)
    except _Unreadable:
        return {}
    graph = _Graph(raw, lines)
    proven = _proven(graph)
    aside = {k: PLACEHOLDER for k in proven}
    out: dict[str, int] = {}
    for k, line in enumerate(lines):
        if line.op != "tt.load" or k in aside or len(line.uses) != 3:
            continue
        other = graph.defined_at.get(line.uses[2])
        value = lane_axes.constant_text(raw[other]) if other is not None else None
        if value is None or not lane_axes.small_other(value):
            continue
        if lane_axes.Axes(graph, excluded={*proven, k}).dead(k, small_other=True):
            out[_aside(graph, {**aside, k: PLACEHOLDER_SMALL})] = k + 1
    return out


def _proven(graph: _Graph) -> list[int]:
    """The loads (line indices) whose masked-off lanes reach no output for any ``other``."""
    from kernelwright.evals import lane_axes  # it builds on this module's parser
    from kernelwright.evals.last_tile import LastTile  # it builds on this module's parser

    axes, last_tile = lane_axes.Axes(graph, excluded=set()), LastTile(graph)
    return [
        k
        for k, line in enumerate(graph.lines)
        if line.op == "tt.load"
        and (graph.dead(k) or axes.dead(k, small_other=False) or last_tile.dead(k))
    ]


def _aside(graph: _Graph, aside: dict[int, str]) -> str:
    """The canonical text with the ``other`` of each load in ``aside`` replaced by its
    placeholder, casts moved before element moves (``ir_order.casts_first``), in data-flow
    order (``ir_order.scheduled``), each value named by what it is, then renamed in order."""
    # Copies: casts_first rewrites lines in place.
    raw, lines = list(graph.raw), [replace(line) for line in graph.lines]
    for k in aside:
        # The `other` is read no more: a constant only it used is left out with it.
        lines[k] = replace(lines[k], uses=lines[k].uses[:2])
    ir_order.casts_first(raw, lines, graph.defined_at)
    order = ir_order.scheduled(raw, lines)
    spans = {k: (*lines[k].use_spans[2], text) for k, text in aside.items()}
    return _renamed([_named(raw[k], lines[k], spans.get(k)) for k in order])


def _named(text: str, line: _Line, aside: tuple[int, int, str] | None) -> str:
    """``text`` with each SSA name replaced by one unique to the value it means (the printer
    reuses names in sibling regions, so the text alone does not say), and the span ``aside``
    names by its placeholder."""
    pieces, last = [], 0
    spans = [(a, b, f"%{v}") for a, b, v in line.names if aside is None or a != aside[0]]
    if aside is not None:
        spans.append(aside)
    for a, b, name in sorted(spans):
        pieces += [text[last:a], name]
        last = b
    return "".join(pieces) + text[last:]


def _renamed(lines: list[str]) -> str:
    """SSA names (outside string literals) renamed in order of first appearance; ``%70#1``
    keeps its ``#1``, so it stays result 1 of whatever ``%70`` becomes."""
    names: dict[str, str] = {}

    def rename(m: re.Match) -> str:
        return names.setdefault(m.group(), f"%v{len(names)}")

    out = []
    for text in lines:
        pieces, last = [], 0
        for s in _STRING.finditer(text):
            pieces += [_NAME.sub(rename, text[last : s.start()]), s.group()]
            last = s.end()
        pieces.append(_NAME.sub(rename, text[last:]))
        out.append("".join(pieces))
    return "\n".join(out)
