"""Out-of-bounds accesses, refused in the trusted replay on the interpreter.

On a GPU a lane that reads or writes outside every buffer is an illegal address or silent
corruption; on the CPU interpreter it reads whatever lies in the heap and is hidden when a
masked store drops the lane again. While a launch replays, ``Bounds`` watches each access
(``interp_memory.py``) before it happens: every active lane must address ``itemsize`` bytes
inside the storage of one of the launch's tensor arguments. The whole storage counts, so a
view may reach the rest of its buffer. Vectorised: one ``searchsorted`` over the sorted
storage intervals, and only the smallest and largest address when both lie in one interval.

Not seen: an access that crosses from one argument's storage into another's without
touching the gap between them (there is no pointer provenance here), and anything on a GPU,
where the replay runs compiled kernels.
"""

from __future__ import annotations

import bisect
import sys
from typing import Literal

import numpy as np
import torch
from pydantic import BaseModel

from kernelwright.sandbox import interp_memory


class Edge(BaseModel):
    """One buffer the outside lanes lie next to, and how far from it."""

    buffer: str  # the kernel's parameters on it, and where it came from
    elements: int  # the buffer's size in elements of the access
    side: Literal["past the end", "before the start"]
    nearest: int  # distance of the nearest outside lane, in elements
    farthest: int

    def phrase(self) -> str:
        span = (
            f"{self.nearest}"
            if self.nearest == self.farthest
            else f"{self.nearest} to {self.farthest}"
        )
        unit = "element" if span == "1" else "elements"
        return f"{span} {unit} {self.side} of {self.buffer} ({self.elements} elements)"


class Violation(BaseModel):
    """The first access that left every buffer, as the candidate can act on it."""

    kernel: str  # the launched kernel
    function: str | None = None  # the @triton.jit function whose line made the access
    line: int | None = None
    code: str | None = None  # that source line
    op: Literal["load", "store", "atomic"]
    lanes: int  # active lanes outside every buffer
    active: int  # active lanes of the access
    # The gap's neighbours where every outside lane lies in one gap (the buffer below, then
    # the one above); else the nearest buffer. Which buffer a pointer came from is not known.
    edges: list[Edge]

    def message(self) -> str:
        where = f"kernel {self.kernel}"
        if self.line is not None:
            inner = f" in {self.function}" if self.function and self.function != self.kernel else ""
            where += f", line {self.line}{inner}"
            if self.code:
                where += f" (`{self.code}`)"
        if not self.edges:
            around = "; the kernel got no tensor"
        elif len(self.edges) == 1:
            around = f"; nearest, {self.edges[0].phrase()}"
        else:
            around = f", between them: {self.edges[0].phrase()} and {self.edges[1].phrase()}"
        return (
            f"{where}: a {self.op} by {self.lanes} of its {self.active} active lanes addresses "
            f"memory outside every buffer the kernel was given{around}."
        )


class OutOfBounds(interp_memory.Refusal):
    field = "out_of_bounds"
    record: Violation


class Bounds(interp_memory.Watching):
    """The launch's buffers as sorted byte intervals; refuses the first access outside."""

    def __init__(
        self,
        kernel: str,
        buffers: list[tuple[str, torch.UntypedStorage]],
        file: str,
        lines: list[str] | None = None,
    ):
        self.kernel = kernel
        self.file = file
        # The candidate's lines, where the file the interpreter runs holds more (probes).
        self.lines = lines
        by_start: dict[int, tuple[int, list[str]]] = {}
        for name, st in buffers:
            if st.nbytes() == 0:
                continue
            start = st.data_ptr()
            size, names = by_start.setdefault(start, (st.nbytes(), []))
            by_start[start] = (max(size, st.nbytes()), names if name in names else [*names, name])
        starts = sorted(by_start)
        # Python ints for the common case (one bisect, no numpy scalars), arrays for the rest.
        self._starts = starts
        self._ends = [s + by_start[s][0] for s in starts]
        self.starts = np.array(starts, dtype=np.uint64)
        self.ends = np.array(self._ends, dtype=np.uint64)
        self.names = [", ".join(by_start[s][1]) for s in starts]
        self.violation: Violation | None = None

    def see(self, access: interp_memory.Access) -> None:
        a = access.active
        if not a.size:
            return
        lo, hi = access.span
        i = bisect.bisect_right(self._starts, lo) - 1
        if i >= 0 and hi + access.itemsize <= self._ends[i]:  # Python ints: nothing wraps
            return
        size = np.uint64(access.itemsize)
        # In uint64, written so that nothing wraps around 2**64: a < end, then end - a >= size.
        idx = np.searchsorted(self.starts, a, side="right").astype(np.int64) - 1
        k = np.clip(idx, 0, None)
        ends = self.ends[k] if self.ends.size else np.zeros_like(a)
        inside = (idx >= 0) & (a < ends)
        inside &= np.where(inside, ends - np.minimum(a, ends), 0) >= size
        if inside.all():
            return
        self.violation = self._describe(access, a[~inside])
        raise OutOfBounds(self.violation)

    def _describe(self, access: interp_memory.Access, bad: np.ndarray) -> Violation:
        item = access.itemsize
        where = _candidate_frame(self.file, self.lines)
        # Distances in float64 (exact below 2**53, and only a message beyond).
        b = bad.astype(np.float64)
        starts, ends = self.starts.astype(np.float64), self.ends.astype(np.float64)

        def edge(k: int, side: str) -> Edge:
            d = starts[k] - b if side == "before the start" else b + item - ends[k]
            d = np.ceil(np.maximum(d, 1) / item)
            return Edge(
                buffer=self.names[k],
                elements=int((self.ends[k] - self.starts[k]) // item),
                side=side,
                nearest=int(d.min()),
                farthest=int(d.max()),
            )

        below = np.unique(np.searchsorted(self.starts, bad, side="right").astype(np.int64) - 1)
        if not self.names:
            edges = []
        elif below.size == 1:  # one gap: name what lies on either side of it
            k = int(below[0])
            edges = [edge(k, "past the end")] if k >= 0 else []
            if k + 1 < len(self.names):
                edges.append(edge(k + 1, "before the start"))
        else:
            dist = np.maximum(starts[None, :] - b[:, None], b[:, None] + item - ends[None, :])
            k = int(np.argmin(dist.min(axis=0)))
            edges = [edge(k, "before the start" if starts[k] > b.min() else "past the end")]
        return Violation(
            kernel=self.kernel,
            function=where[0] if where else None,
            line=where[1] if where else None,
            code=where[2] if where else None,
            op=access.op,
            lanes=int(bad.size),
            active=access.lanes,
            edges=edges,
        )


def _candidate_frame(file: str, lines: list[str] | None) -> tuple[str, int, str | None] | None:
    """The innermost frame running the candidate's source: the interpreter runs a kernel's
    body as Python under the name of the file it was defined from."""
    f = sys._getframe(1)
    while f is not None:
        if f.f_code.co_filename == file:
            return f.f_code.co_name, f.f_lineno, interp_memory.source_line(file, lines, f.f_lineno)
        f = f.f_back
    return None
