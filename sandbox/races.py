"""Data races between the programs of one launch, refused in the trusted replay.

On a GPU the programs of a launch run concurrently and in any order; Triton's CPU interpreter
runs them one after another, so a race there gives one answer every time, often the right one:
a split sum that adds into ``y[row]`` with a plain load and store loses no update (any
sequential order adds them all), a program that reads what another stored finds it there.
Replaying in another order (``program_order``) shows only the races whose answer depends on
the order; this check looks at the addresses themselves, whatever the order.

While a launch replays, ``Races`` records every access (``interp_memory``) with the program that
made it. At the end of the launch two accesses of different programs to the same byte race when
one is a plain store, or one is a plain load and the other an atomic (atomics and volatile loads
among themselves are ordered by the memory model), unless the earlier program's access is
ordered before the later one's: the earlier program released (an atomic with release semantics)
an address after it, the release covering it (a scalar atomic is one thread's: it covers a block
of the program's other lanes only behind a ``tl.debug_barrier()``), and the later program
acquired that address (an atomic with acquire semantics) after that release and before its own
access, or a chain of programs passed it on, each acquiring what the one before released and
releasing after (PTX release is cumulative). A volatile load (or a relaxed atomic load) reads a
flag but acquires nothing: PTX ``ld.volatile`` is a relaxed access, so a wait on it does not
make the data stored before the flag visible. So ordered: the flag-then-data handshake of a
chained scan that waits with an acquire, a tile reading every earlier tile's aggregate through
the chain, the "last program to arrive reduces" ticket. Run one after another every acquire
follows every earlier release, so a kernel that synchronises is replayed with its programs
interleaved (``interleave.py``) on the replays that reverse the others: there an acquire that
does not wait comes before the releases. An atomic of scope "cta" (``tl.atomic_add(...,
scope="cta")``) is atomic, and its sem orders, only among the threads of its own program (PTX
``atom.cta``): here it counts as a plain store (an atomic load of that scope, a plain load) and
neither releases nor acquires anything for another program.

Cost: one record per access (the arrays the interpreter made anyway, kept to the end of the
launch); then the accesses' address spans are sorted, and only spans where several programs
meet, one of them writing, are compared address by address (NumPy, sorted keys).

Not seen here: races between launches (a launch ends before the next begins, on a GPU too),
between the threads of one program (``lane_races.py``), anything on a GPU, where the replay runs
compiled kernels.
"""

from __future__ import annotations

import bisect

import numpy as np
from pydantic import BaseModel

from kernelwright.sandbox import interp_memory

# The shapes of a scalar access in the interpreter.
SCALAR = ((), (1,))
# Access classes, by what may race with what.
STORE, LOAD, ATOMIC, ORDERED_LOAD = 0, 1, 2, 3
_VERB = {STORE: "stores to", LOAD: "loads", ATOMIC: "atomically updates", ORDERED_LOAD: "loads"}


class Side(BaseModel):
    program: tuple[int, int, int]
    line: int | None = None
    code: str | None = None
    verb: str

    def where(self) -> str:
        at = f"line {self.line}" if self.line is not None else "a line"
        return at + (f" (`{self.code}`)" if self.code else "")

    def phrase(self) -> str:
        return f"program {self.program} at {self.where()} {self.verb}"


class Race(BaseModel):
    """The first race of a launch, as the candidate can act on it."""

    kernel: str
    first: Side  # the access made first in this replay
    second: Side
    addresses: int  # bytes of memory raced on in this launch
    # The launch's first atomic of scope "cta", taken for a plain access: often why it races.
    scoped: Side | None = None
    # The launch's first volatile or relaxed load, which acquires nothing: often why it races.
    relaxed: Side | None = None
    # A block access and the later release of its program that one thread made without a
    # barrier between: often why it races.
    unbarriered: tuple[Side, Side] | None = None

    def message(self) -> str:
        scope = ""
        if self.scoped is not None:
            scope = (
                f' The atomic at {self.scoped.where()} has scope="cta": it is atomic, and its '
                "sem orders, only among the threads of its own program; to other programs it "
                'is a plain load and store. Leave scope at its default ("gpu") for memory '
                "other programs use or that orders their accesses."
            )
        if self.relaxed is not None:
            scope += (
                f" The load at {self.relaxed.where()} is volatile or relaxed: on a GPU it reads "
                "a flag but orders nothing after it (PTX ld.volatile is a relaxed access), so "
                "what another program stored before raising the flag may not be visible yet. "
                'Wait with an acquire (tl.atomic_add(flag, 0, sem="acquire") or tl.atomic_cas) '
                'and raise the flag with sem="release".'
            )
        if self.unbarriered is not None:
            block, release = self.unbarriered
            scope += (
                f" The release at {release.where()} is an atomic one thread makes: it orders "
                f"that thread's earlier stores, not the other lanes' of {block.where()}, which "
                "may still be in flight. Put tl.debug_barrier() before the release."
            )
        return (
            f"kernel {self.kernel}: a data race between two programs of one launch: "
            f"{self.first.phrase()} memory that {self.second.phrase()}, and nothing orders the "
            f"two ({self.addresses} bytes raced on in this launch). On a GPU the programs of a "
            "launch run concurrently and in any order, so the result depends on timing; the CPU "
            "interpreter runs them one after another, which hides it. Give each program its own "
            "output, use atomics (tl.atomic_add), or split the work into two launches." + scope
        )


class RaceFound(interp_memory.Refusal):
    field = "race"
    record: Race


class Races(interp_memory.Watching):
    """One launch's accesses by program; ``race()`` after the launch names the first race."""

    def __init__(self, kernel: str, file: str, lines: list[str] | None = None):
        self.kernel = kernel
        self.file = file
        # The candidate's lines, where the file the interpreter runs holds more (probes).
        self.lines = lines
        self.programs: dict[tuple[int, int, int], int] = {}
        self.kind: list[int] = []
        self.prog: list[int] = []
        self.lo: list[int] = []
        self.end: list[int] = []
        self.itemsize: list[int] = []
        self.addrs: list[np.ndarray] = []
        self.line: list[int | None] = []
        self.releases: list[int] = []  # events with release semantics
        self.acquires: list[int] = []
        self.cta: set[int] = set()  # events of atomics of scope "cta"
        self.relaxed: int | None = None  # the first volatile or relaxed load
        self.shape: list[tuple[int, ...]] = []  # each event's block shape
        self.barriers: dict[int, list[int]] = {}  # program -> event counts at its barriers
        # The first access a later release of its program did not order for want of a barrier.
        self.unbarriered: tuple[int, int] | None = None

    def see(self, access: interp_memory.Access) -> None:
        a = access.active
        if not a.size:
            return
        p = self.programs.setdefault(access.program, len(self.programs))
        n = len(self.kind)
        cta = access.program_scoped
        if access.op == "store" or (cta and access.op == "atomic"):
            kind = STORE  # a "cta" atomic writes like a plain store, for other programs
        elif access.op == "atomic":
            kind = ATOMIC
        else:
            kind = ORDERED_LOAD if access.sync and not cta else LOAD
        if cta:  # its release/acquire reaches only its own program's threads
            self.cta.add(n)
        else:
            if access.release:
                self.releases.append(n)
            if access.acquire:
                self.acquires.append(n)
            elif kind == ORDERED_LOAD and self.relaxed is None:
                self.relaxed = n
        lo, hi = access.span
        self.kind.append(kind)
        self.prog.append(p)
        self.lo.append(lo)
        self.end.append(hi + access.itemsize)
        self.itemsize.append(access.itemsize)
        self.shape.append(tuple(np.shape(access.ptrs)))
        self.addrs.append(a)
        self.line.append(access.line(self.file))

    def barrier(self, program: tuple[int, int, int]) -> None:
        p = self.programs.setdefault(program, len(self.programs))
        self.barriers.setdefault(p, []).append(len(self.kind))

    def race(self) -> Race | None:
        if len(self.programs) < 2:
            return None
        events = _suspects(
            np.array(self.kind, np.int8),
            np.array(self.prog, np.int64),
            np.array(self.lo, np.uint64),
            np.array(self.end, np.uint64),
        )
        if events.size == 0:
            return None
        return self._addresses(events)

    def _addresses(self, events: np.ndarray) -> Race | None:
        """Address by address over the suspect events: the addresses where programs race."""
        key, ev, size = self._keys(events)
        kind = np.array(self.kind, np.int8)[ev]
        prog = np.array(self.prog, np.int64)[ev]
        hot = _hot_lanes(key, kind, prog)
        if hot is not None:  # only the lanes at addresses where programs meet go on
            if not hot.any():
                return None
            key, ev, kind, prog = key[hot], ev[hot], kind[hot], prog[hot]
        order = np.argsort(key, kind="stable")  # stable: events in time order within a key
        key, ev, kind, prog = key[order], ev[order], kind[order], prog[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        bad = _conflicting(kind, prog, starts)
        if not bad.any():
            return None
        # Follow the synchronisation, group by group; groups of the same events are one question.
        bounds = np.r_[starts, key.size]
        verdicts: dict[tuple[int, ...], tuple[int, int] | None] = {}
        hb = _HappensBefore(self)
        racy, first = 0, None
        for g in np.flatnonzero(bad):
            members = tuple(ev[bounds[g] : bounds[g + 1]].tolist())
            if members not in verdicts:
                verdicts[members] = _unordered_pair(members, self.kind, self.prog, hb)
            pair = verdicts[members]
            if pair is not None:
                racy += 1
                first = first or pair
        if first is None:
            return None
        return Race(
            kernel=self.kernel,
            first=self._side(first[0]),
            second=self._side(first[1]),
            addresses=racy * size,
            scoped=self._side(min(self.cta)) if self.cta else None,
            relaxed=None if self.relaxed is None else self._side(self.relaxed),
            unbarriered=None
            if self.unbarriered is None
            else (self._side(self.unbarriered[0]), self._side(self.unbarriered[1])),
        )

    def _keys(self, events: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        """Every active lane of the events as an address key, in units of the one item size
        they share (else of bytes, each lane expanded to its bytes: views of one buffer with
        other dtypes meet), with the event it belongs to, in event (time) order."""
        itemsize = np.array(self.itemsize, np.int64)
        sizes = np.unique(itemsize[events])
        size = int(sizes[0]) if sizes.size == 1 else 1
        parts = [self.addrs[e] for e in events]
        key = np.concatenate(parts).astype(np.uint64, copy=False)
        ev = np.repeat(events, [p.size for p in parts])
        if size > 1 and bool((key % np.uint64(size)).any()):
            size = 1  # misaligned lanes: compare bytes
        if size == 1:
            reps = itemsize[ev]
            key = np.repeat(key, reps) + _ramp(reps)
            ev = np.repeat(ev, reps)
        else:
            key = key // np.uint64(size)
        return key, ev, size

    def _side(self, e: int) -> Side:
        program = next(k for k, v in self.programs.items() if v == self.prog[e])
        line = self.line[e]
        code = interp_memory.source_line(self.file, self.lines, line)
        verb = "atomically updates" if e in self.cta and self.kind[e] == STORE else None
        return Side(program=program, line=line, code=code, verb=verb or _VERB[self.kind[e]])


def _ramp(reps: np.ndarray) -> np.ndarray:
    """0, 1, ..., r-1 for each r in ``reps``, concatenated (uint64)."""
    total = int(reps.sum())
    offsets = np.repeat(np.cumsum(reps) - reps, reps)
    return (np.arange(total, dtype=np.int64) - offsets).astype(np.uint64)


def _suspects(kind: np.ndarray, prog: np.ndarray, lo: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The events whose address span meets another program's span where one of them writes:
    spans are merged into clusters of overlapping spans; a cluster of one program, or without a
    write, cannot hold a race."""
    order = np.argsort(lo, kind="stable")
    lo_s, end_s = lo[order], end[order]
    reach = np.maximum.accumulate(end_s)
    new = np.r_[True, lo_s[1:] >= reach[:-1]]
    starts = np.flatnonzero(new)
    cluster_prog = prog[order]
    several = np.minimum.reduceat(cluster_prog, starts) != np.maximum.reduceat(cluster_prog, starts)
    writes = np.maximum.reduceat(
        ((kind[order] == STORE) | (kind[order] == ATOMIC)).astype(np.int8), starts
    )
    keep = (several & (writes > 0))[np.cumsum(new) - 1]
    return np.sort(order[keep])


def _hot_lanes(key: np.ndarray, kind: np.ndarray, prog: np.ndarray) -> np.ndarray | None:
    """The lanes at addresses where two programs may race, without sorting: the last program to
    store (or to make an atomic) at each address, in a dense table over the keys' range, held
    against every lane's program. None where the range is too sparse for a table."""
    lo = int(key.min())
    n = int(key.max()) - lo + 1
    if n > 4 * key.size + (1 << 20):
        return None
    idx = (key - np.uint64(lo)).astype(np.int64)

    def last(mask: np.ndarray) -> np.ndarray:
        owner = np.full(n, -1, np.int64)
        owner[idx[mask]] = prog[mask]
        return owner[idx]

    hot = np.zeros(n, bool)
    stored = last(kind == STORE)  # a store meets any access of another program
    hot[idx[(stored >= 0) & (stored != prog)]] = True
    atomic, load = kind == ATOMIC, kind == LOAD
    if atomic.any() and load.any():  # an atomic meets a plain load of another program
        updated = last(atomic)
        several = np.zeros(n, bool)
        several[idx[atomic & (updated != prog)]] = True
        hot[idx[load & (updated >= 0) & ((updated != prog) | several[idx])]] = True
    return hot[idx]


def _conflicting(kind: np.ndarray, prog: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per group of accesses to one address: whether two programs meet there in a way that can
    race (a plain store with anything; a plain load with an atomic)."""
    big, none = np.iinfo(np.int64).max, -1

    def lo_hi(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (
            np.minimum.reduceat(np.where(mask, prog, big), starts),
            np.maximum.reduceat(np.where(mask, prog, none), starts),
        )

    store = kind == STORE
    s_lo, s_hi = lo_hi(store)
    o_lo, o_hi = lo_hi(~store)
    l_lo, l_hi = lo_hi(kind == LOAD)
    a_lo, a_hi = lo_hi(kind == ATOMIC)
    has_s, has_o, has_l, has_a = s_hi >= 0, o_hi >= 0, l_hi >= 0, a_hi >= 0
    stores = has_s & ((s_lo != s_hi) | (has_o & ((o_lo != s_lo) | (o_hi != s_lo))))
    mixed = has_l & has_a & ~((l_lo == l_hi) & (a_lo == a_hi) & (l_lo == a_lo))
    return stores | mixed


def _races(k1: int, k2: int) -> bool:
    if STORE in (k1, k2):
        return True
    return {k1, k2} == {LOAD, ATOMIC}


def _unordered_pair(members, kind, prog, hb: _HappensBefore) -> tuple[int, int] | None:
    """The first two events of different programs at one address that race and that nothing
    orders (events are in time order)."""
    for j, e2 in enumerate(members):
        for e1 in members[:j]:
            if prog[e1] != prog[e2] and _races(kind[e1], kind[e2]) and not hb(e1, e2):
                return e1, e2
    return None


class _HappensBefore:
    """Release/acquire, followed through any number of programs: ``e1`` (earlier) is ordered
    before ``e2`` when e1's program released an address after e1 (a release that covers e1),
    and a chain of programs, each acquiring an address the one before released (after that
    release) and releasing after its acquire, ends in e2's program with an acquire before e2:
    each acquire read what a release wrote, and what a program saw it passes on when it
    releases (PTX release is cumulative). Run one after another, every acquire follows every
    earlier program's release; only the interleaved replay (``interleave.py``), where acquires
    that do not wait come before the releases, shows which acquires order anything."""

    def __init__(self, races: Races):
        self.r = races
        rel: dict[int, list[int]] = {}
        for e in races.releases:
            rel.setdefault(races.prog[e], []).append(e)
        self.rel = rel
        self.barriers = races.barriers
        # Per release, the first acquire after it of each other program, at an address it
        # released: the edges a chain of synchronisation follows.
        acquired: dict[int, dict[int, list[int]]] = {}  # address -> program -> its acquires
        for q in races.acquires:
            for a in np.unique(races.addrs[q]).tolist():
                acquired.setdefault(a, {}).setdefault(races.prog[q], []).append(q)
        self.edges: dict[int, list[int]] = {}
        for r in races.releases:
            first: dict[int, int] = {}
            for a in np.unique(races.addrs[r]).tolist():
                for p, qs in acquired.get(a, {}).items():
                    if p != races.prog[r]:
                        k = bisect.bisect_right(qs, r)
                        if k < len(qs) and qs[k] < first.get(p, qs[k] + 1):
                            first[p] = qs[k]
            self.edges[r] = sorted(first.values())

    def __call__(self, e1: int, e2: int) -> bool:
        r_ = self.r
        after = [e for e in self.rel.get(r_.prog[e1], ()) if e > e1]
        released = [r for r in after if self._covers(e1, r)]
        if len(released) < len(after) and r_.unbarriered is None:
            r_.unbarriered = (e1, next(r for r in after if r not in released))
        # The earliest event of each program from which it knows e1, followed edge by edge.
        known: dict[int, int] = {}
        todo = [q for r in released for q in self.edges.get(r, ())]
        while todo:
            q = todo.pop()
            p = r_.prog[q]
            if q >= known.get(p, len(r_.kind)):
                continue
            known[p] = q
            for r in self.rel.get(p, ()):
                if r > q:
                    todo.extend(self.edges.get(r, ()))
        return known.get(r_.prog[e2], len(r_.kind)) < e2

    def _covers(self, e1: int, r: int) -> bool:
        """Whether release ``r`` orders ``e1``, an earlier access of its program. A release
        orders what its own thread did: ``e1`` where both are scalars (one thread makes a scalar
        atomic and a scalar store), else only behind a barrier between the two
        (``tl.debug_barrier()``). Not lane by lane for blocks of one shape either: the compiler
        lays a store and an atomic out differently (a float32 store four lanes to a thread, an
        atomic one), so lane i's release is not made by the thread that stored lane i."""
        r_ = self.r
        if r_.shape[e1] in SCALAR and r_.shape[r] in SCALAR:
            return True
        return any(e1 < b <= r for b in self.barriers.get(r_.prog[e1], ()))
