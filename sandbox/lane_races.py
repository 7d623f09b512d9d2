"""Data races between the threads of one program, refused in the trusted replay.

Triton's interpreter runs each operation of a program for all its lanes at once, so a program
that stores a block to global memory and then loads elements another lane stored finds them
there, every time. Compiled, the lanes of a block are spread over the threads (and warps) of the
program, and nothing orders one thread's global store before another thread's access: Triton
puts barriers around the shared memory it manages, not around global memory the kernel writes
itself. ``tl.debug_barrier()`` (``bar.sync``) is what makes the earlier accesses of every thread
visible to all.

While a launch replays, ``LaneRaces`` keeps each program's accesses since its last barrier, with
the lane that made each one: its flat position in the block, and the block's shape. Two of them
race when they reach one address, one writes (a plain store, or an atomic against a plain
access), and they are not the same lane of blocks of the same shape (the same lane of two
blocks of one shape is one thread: the compiler gives them one layout). So refused: lane i
reading what lane j stored (a mirror through global scratch), a block stored then read back as
a scalar or through a reshaped view, one lane overwriting what another stored. Accepted: a row
stored and read back at the same offsets in a second loop, each lane its own addresses.

Two atomics are each atomic, but nothing orders one thread's before another's: lanes of two
block atomics at one address (an add into scratch, then another lane's add of 0.0 to read it)
run in either order on a GPU. That matters only where the kernel uses what one of them returns
(an accumulation whose results are dropped comes to the same sum in any order), which the
compiled kernel tells (``ttir.returned``): such a pair is kept aside with both lines and refused
once the compile shows either result used.

An atomic on a scalar is made by one thread; where the kernel uses its result, the compiler
hands it to the other threads through shared memory behind a ``bar.sync``, which orders them as
``tl.debug_barrier()`` does (the ticket of "the last program to arrive reduces"). Whether it
does is the compiled kernel's business, not the source's (a result assigned and never read, or
multiplied by zero, is dropped): so a race that only such an atomic orders is kept aside
(``Unsettled``), with the lines of the atomics between, and is refused once the compile of the
kernel (``ttir.handed_over``) shows that none of them hands its result over.

A store to a scalar is made by thread 0 alone, and a load of a scalar by every thread for
itself. So one program's scalar store and scalar load of one address race where the loaded
value reaches other threads' lanes (statistics stored by one thread and read back to normalise
a row; a carry loaded by all, then overwritten by one), and not where it reaches only thread
0's own scalar stores (the read-modify-write of ``y[row]``). The interpreter cannot tell the
two, the compiled kernel's data flow can: such a pair is kept aside too, with the load's line,
and refused once the compile (``ttir.spread``) shows its value reaching the lanes.

Cost: each access is held against the same program's earlier accesses of the other kind by
their address spans first; only spans that meet are compared address by address.

Not seen: layouts the compiler gives two blocks of one shape differently (it gives them one
unless a dot or a reshape stands between), and anything on a GPU, where the replay runs compiled
kernels.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import BaseModel

from kernelwright.sandbox import interp_memory


class LaneRace(BaseModel):
    kernel: str
    program: tuple[int, int, int]
    first: str  # the earlier access: "line N (`code`) stores to"
    second: str
    addresses: int

    def message(self) -> str:
        return (
            f"kernel {self.kernel}: a data race between the threads of program {self.program}: "
            f"{self.first} memory that {self.second} from another lane, with no "
            f"tl.debug_barrier() between ({self.addresses} addresses). The interpreter runs "
            "each operation for the whole block at once; on a GPU the lanes of a block are "
            "different threads, and nothing orders one thread's global store before another "
            "thread's access. Keep each lane to the addresses it stored, or put "
            "tl.debug_barrier() between the two."
        )


class Unsettled(BaseModel):
    """A race between the threads of a program that only the compiled kernel settles: the
    scalar atomics at ``lines`` (between its two accesses) order it if the kernel hands one's
    result over; and where ``read`` is a line, the two are a store to a scalar (thread 0's
    alone) and a load of it there (every thread's), which race only where the loaded value
    reaches other threads' lanes (``ttir.spread``)."""

    race: LaneRace
    lines: list[int]
    read: int | None = None
    # Two atomics of different lanes at one address: they race where the compiled kernel uses
    # the result of either (``ttir.returned``), the lines of both.
    results: list[int] = []
    # The launch it was seen in (``launch_signature.record``, as JSON): its compile settles it.
    record: str | None = None

    def message(self) -> str:
        text = self.race.message()
        if self.read is not None:
            text += (
                " Compiled, a store to a scalar is made by thread 0 alone while every thread "
                f"loads a scalar for itself, and the value loaded at line {self.read} reaches "
                "every thread's lanes (or a branch): a thread that loads before thread 0 "
                "stores, or after it where it should read the old value, computes with the "
                "wrong one. Use the value where it was computed (every thread holds it) "
                "rather than reading it back, or put tl.debug_barrier() between."
            )
        if self.results:
            text += (
                " Both are atomics: each is atomic, but nothing orders one thread's atomic "
                "before another thread's, and the kernel uses what one of them returns, which "
                "on a GPU may be the value from before the other lane's update."
            )
        if self.lines:
            at = ", ".join(map(str, self.lines))
            text += (
                f" The atomic at line {at} lies between them, but the compiled kernel does not "
                "use its result, so it hands nothing to the other threads and puts no barrier "
                "there."
            )
        return text


class LaneRaceFound(interp_memory.Refusal):
    field = "race"
    record: LaneRace


class _Event:
    __slots__ = ("write", "atomic", "lo", "hi", "addrs", "_access", "_lanes", "shape", "where")

    def __init__(self, access: interp_memory.Access, where: int | None):
        self.write = access.op in ("store", "atomic")
        self.atomic = access.op == "atomic"
        self.addrs = access.active
        self.lo, hi = access.span
        self.hi = hi + access.itemsize - 1
        self.shape = tuple(np.shape(access.ptrs))
        self.where = where
        self._access: interp_memory.Access | None = access
        self._lanes: np.ndarray | None = None

    @property
    def verb(self) -> str:
        return "atomically updates" if self.atomic else ("stores to" if self.write else "loads")

    @property
    def lanes(self) -> np.ndarray:
        """The active lanes' flat positions in the block, in the order of ``addrs``."""
        if self._lanes is None:
            access, self._access = self._access, None
            lanes = np.arange(access.ptrs.size)
            if access.mask is not None:
                mask = np.broadcast_to(np.asarray(access.mask, dtype=bool), access.ptrs.shape)
                lanes = lanes[mask.reshape(-1)]
            self._lanes = lanes
        return self._lanes

    def conflicts(self, other: _Event) -> bool:
        """Whether the two (of one program) may reach an address in different threads with one
        writing (two atomics: where either one's result is used, settled by the compile; two
        on scalars are thread 0's, and a spin's polls are many)."""
        if self.atomic and other.atomic and self.scalar and other.scalar:
            return False
        return self.lo <= other.hi and other.lo <= self.hi

    @property
    def scalar(self) -> bool:
        return math.prod(self.shape) == 1

    def shared(self, other: _Event) -> int:
        """Addresses the two reach from lanes that are not one thread."""
        common = np.intersect1d(self.addrs, other.addrs)
        if not common.size:
            return 0
        if self.shape != other.shape:
            return int(common.size)
        mine, theirs = _lane_at(self, common), _lane_at(other, common)
        # -1: several lanes at the address (a block of one value stored everywhere).
        return int(((mine != theirs) | (mine < 0)).sum())


def _read_back(e: _Event, new: _Event) -> int | None:
    """The line of the load, where the two are a write to a scalar and a plain load of the
    same scalar (the interpreter's scalars are blocks of one, which ``shared`` takes for one
    thread; a block of one element is held as a scalar is, compiled)."""
    # Their byte spans meet (``conflicts``), whatever each starts at: a float32 stored into one
    # half of a word that an int64 load reads whole is the same memory.
    if math.prod(e.shape) != 1 or math.prod(new.shape) != 1 or e.write == new.write:
        return None
    load = new if e.write else e
    return load.where if load.where is not None else -1


def _lane_at(e: _Event, addresses: np.ndarray) -> np.ndarray:
    """The one lane of ``e`` at each address, -1 where several lanes reach it."""
    order = np.argsort(e.addrs, kind="stable")
    a, lanes = e.addrs[order], e.lanes[order]
    first = np.searchsorted(a, addresses, side="left")
    last = np.searchsorted(a, addresses, side="right") - 1
    return np.where(first == last, lanes[first], -1)


class LaneRaces(interp_memory.Watching):
    """One launch's accesses per program since its last barrier; after the launch, ``found``
    is the first race between the threads of a program, ``unsettled`` the races that only the
    compiled kernel settles."""

    def __init__(self, kernel: str, file: str, lines: list[str] | None = None):
        self.kernel = kernel
        self.file = file
        self.lines = lines
        # Per program, its reads and its writes since its last barrier, in segments: a new one
        # begins at each scalar atomic (the line it is on), the first at the barrier.
        self.since: dict[tuple[int, int, int], list[_Segment]] = {}
        self.found: LaneRace | None = None
        self.spans: dict[tuple[int, int, int], list[tuple[int, int] | None]] = {}
        self.unsettled: dict[tuple, Unsettled] = {}

    def see(self, access: interp_memory.Access) -> None:
        if self.found is not None or not access.active.size:
            return
        program = tuple(access.program)
        segments = self.since.get(program)
        if segments is None:
            segments = self.since[program] = [_Segment(None)]
            self.spans[program] = [None, None]  # what its writes, and all its accesses, span
        new = _Event(access, access.line(self.file))
        spans = self.spans[program]
        # Most programs never come back to what they wrote: no earlier access to compare with.
        meets = spans[1 if new.write else 0]
        if meets is not None and meets[0] <= new.hi and new.lo <= meets[1]:
            self._compare(program, segments, new)
        for i in (0, 1) if new.write else (1,):
            old = spans[i]
            spans[i] = (
                (new.lo, new.hi) if old is None else (min(old[0], new.lo), max(old[1], new.hi))
            )
        last = segments[-1]
        (last.writes if new.write else last.reads).append(new)
        if access.op == "atomic" and access.ptrs.size == 1:
            segments.append(_Segment(new.where if new.where is not None else -1))

    def _compare(self, program, segments: list[_Segment], new: _Event) -> None:
        # Walking back from the latest segment, the scalar atomics passed may order what lies
        # behind them.
        between: list[int] = []
        for seg in reversed(segments):
            for e in seg.writes if not new.write else (*seg.reads, *seg.writes):
                if e.conflicts(new):
                    n, read = e.shared(new), None
                    results = (e.where, new.where) if e.atomic and new.atomic else ()
                    if not n and not results and (read := _read_back(e, new)) is not None:
                        n = 1
                    if n and results:  # settled apart: a plain access may still race
                        self._race(program, e, new, n, tuple(between), None, results)
                    elif n:
                        self._race(program, e, new, n, tuple(between), read, ())
                        if not between and read is None:
                            return
                        break
            if seg.line is not None:
                between.append(seg.line)

    def _race(
        self,
        program,
        e: _Event,
        new: _Event,
        n: int,
        between: tuple[int, ...],
        read: int | None,
        results: tuple[int | None, ...],
    ) -> None:
        race = LaneRace(
            kernel=self.kernel,
            program=program,
            first=f"{self._at(e.where)} {e.verb}",
            second=f"{self._at(new.where)} {new.verb}",
            addresses=n,
        )
        if not between and read is None and not results:
            self.found = race
        elif (between, read, results) not in self.unsettled:
            self.unsettled[between, read, results] = Unsettled(
                race=race,
                lines=sorted(set(between)),
                read=read,
                results=sorted({-1 if r is None else r for r in results}),
            )

    def barrier(self, program: tuple[int, int, int]) -> None:
        self.since.pop(tuple(program), None)
        self.spans.pop(tuple(program), None)

    def _at(self, line: int | None) -> str:
        code = interp_memory.source_line(self.file, self.lines, line)
        return ("a line" if line is None else f"line {line}") + (f" (`{code}`)" if code else "")


class _Segment:
    __slots__ = ("line", "reads", "writes")

    def __init__(self, line: int | None):
        self.line = line  # the scalar atomic it begins after (None: the barrier)
        self.reads: list[_Event] = []
        self.writes: list[_Event] = []
