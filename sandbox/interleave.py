"""The programs of a launch run concurrently in the interpreter, switching at synchronisation.

Triton's interpreter runs a launch's programs one after another, so every synchronisation
between them looks like it works: a program that "acquires" a flag it never waits on finds the
previous program's release already there, a ticket taken with ``tl.atomic_add`` equals the
program id. Only running the programs together shows what an acquire orders: a program that
really waits stops until the release comes; one that does not runs on, and races.

``interleaved`` runs every program of a launch in a thread of its own; one runs at a time, and
the running program hands over at each atomic or volatile access, before it happens (before any
other watcher sees it, so the race detector records accesses in the order they happen). The next
program is drawn by a seeded generator among those that can go on, in an order that makes
synchronisation prove itself: programs that have not started first (each runs up to its first
atomic or volatile access), then acquires and accesses that release nothing (relaxed atomics,
volatile loads), then accesses that both acquire and release, then releases. So every acquire
that does not wait happens before every release it could read, and only a program that waits is
ordered after one.

A program that comes back to an ordered access of its source (an op at a line, reached through
the same calls) is in a loop, and what changed since its last visit says which kind. Nothing
(its local values, what a tuple or any object of the language among them holds, and what every
access since then read or wrote, are as they were the visit before): it waits, and it runs only
when no program that is not waiting can, or right after another program's write changes what it
polls (it is woken and drawn first, so it sees each step of what it waits for, not only the
last). Anything changed: it runs alone, drawn before every other program, until it reaches an
access outside the loop or has spun ``BOUNDED_TRIES`` times (then it is taken for a wait); so a
spin bounded by a count of tries runs out before any release it could read, as it may on a GPU
when the holder is slow, and the race detector sees what it does unordered (a spin bounded by
more tries than that is taken for a wait). A release it makes inside the loop gives way to the
acquires first. A launch still running after ``STEP_LIMIT`` ordered accesses per program is a
deadlock: its programs wait on each other, and on a GPU it would hang.

What each program computes is the interpreter's: only the order of accesses between programs
differs, as it may on a GPU. Plain loads and stores are not switch points: which program's
plain access comes first does not matter to the race detector, which refuses any two of
different programs that nothing orders. An atomic of scope "cta" orders nothing between
programs (``races.py`` takes it for a plain access): it is drawn as neither acquire nor release,
and stays a switch point only so that a program waiting on it hands over. At most ``RESIDENT``
programs run together, admitted in program-id order as others finish: programs further apart
are taken as never concurrent.
"""

from __future__ import annotations

import bisect
import contextlib
import ctypes
import inspect
import random
import sys
import threading
import types
import zlib
from collections import deque
from collections.abc import Iterator
from typing import Any

import numpy as np

from kernelwright.sandbox import interp_memory

RESIDENT = 4096  # programs running at once (an H100 holds up to 32 per SM, 132 SMs)
STEP_LIMIT = 10_000  # ordered accesses per program of a launch, on average: past it, a deadlock
# The rolling hash of a program's trail: a stretch of any length compares in constant time.
_BASE, _MOD = 1_000_003, (1 << 61) - 1
# Tries a program spins alone with its state changing before its loop is taken for a wait.
BOUNDED_TRIES = 1000
# What a program does next, drawn in this order: a waiter just woken by a write to what it
# polls, a bounded spin, not started, an acquire (or an access that releases nothing), a bounded
# spin's release, an access that acquires and releases, a release, a wait.
WOKEN, BOUNDED, START, ACQUIRE, BOUNDED_RELEASE, BOTH, RELEASE, WAIT = range(-2, 6)


class Deadlock(Exception):
    """The programs of a launch wait on each other: none can go on."""


class _Abort(BaseException):
    """Unwinds a program's thread when its launch stops (not an Exception: the kernel's own
    code cannot catch it)."""


class _Visit:
    """A program's last visit to one ordered access of its source: where it was in the
    program's trail, its local values then, and the trail between that visit and the one
    before."""

    __slots__ = ("at", "here", "since", "tries")

    def __init__(self, at: int):
        self.at = at
        self.here: int | None = None
        self.since: tuple[int, int] | None = None  # that stretch: its length and hash
        self.tries = 0  # visits spent spinning alone


class _Program:
    __slots__ = (
        "idx",
        "go",
        "next",
        "prefix",
        "sites",
        "pending",
        "visits",
        "loop",
        "polled",
        "wakes",
    )

    def __init__(self, idx: tuple[int, int, int]):
        self.idx = idx
        self.go = threading.Event()  # set when it is this program's turn
        self.next = START  # the class of the access it will make when drawn
        # One digest per access made, of where and what it read or wrote (its ``data``, known
        # once the access is done: the last one is pending until the next access), and the
        # source site of each ordered access, with its place in that trail.
        self.prefix: list[int] = [0]  # the trail's rolling hash after each access
        self.sites: list[tuple[int, tuple[str, tuple[int, ...]]]] = []
        self.pending: tuple[int, interp_memory.Access] | None = None
        self.visits: dict[tuple[str, tuple[int, ...]], _Visit] = {}  # ordered accesses by site
        # The sites of the loop it spins in alone, and the one it comes back to.
        self.loop: tuple[frozenset, tuple[str, tuple[int, ...]]] | None = None
        self.polled: list[int] = []  # the addresses it waits on
        # Its last write, with the lanes that reached a polled address: once it has happened
        # (at the program's next step), the waiters there are woken if it changed memory.
        self.wakes: list[tuple[interp_memory.Access, list[tuple[int, int]]]] = []

    def sites_since(self, at: int) -> list[tuple[str, tuple[int, ...]]]:
        """The sites of its ordered accesses from place ``at`` of its trail on."""
        k = bisect.bisect_left(self.sites, at, key=lambda e: e[0])
        return [site for _, site in self.sites[k:]]

    def stretch(self, a: int, b: int) -> int:
        """The hash of the trail's accesses a to b."""
        return (self.prefix[b] - self.prefix[a] * pow(_BASE, b - a, _MOD)) % _MOD

    def settle(self) -> None:
        if self.pending is not None:
            where, access = self.pending
            data = access.data
            what = 0 if data is None else zlib.crc32(np.ascontiguousarray(data))
            item = hash((where, what)) % _MOD
            self.prefix.append((self.prefix[-1] * _BASE + item) % _MOD)
            self.pending = None


class _Launch:
    """One launch's programs as threads, one running at a time: the running one draws the
    next at each of its ordered accesses and hands it the turn."""

    def __init__(self, fn, args: dict[str, Any], programs: list, seed: int, set_idx):
        self.fn, self.args, self.set_idx = fn, args, set_idx
        self.file = fn.__code__.co_filename
        self.queued = deque(_Program(p) for p in programs)
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.running: list[_Program] = []
        self.steps, self.limit = 0, STEP_LIMIT * len(programs)
        self.error: BaseException | None = None
        self.stopped = False
        self.mine: dict[int, _Program] = {}  # thread id -> its program
        self.polled: dict[int, list[_Program]] = {}  # address -> the programs waiting on it

    def run(self) -> None:
        with self.lock:
            while self.queued and len(self.running) < RESIDENT:
                self._admit()
            self._hand(None)
        self.done.wait()
        if self.error is not None:
            raise self.error

    def _admit(self) -> None:
        p = self.queued.popleft()
        self.running.append(p)
        threading.Thread(target=self._program, args=(p,), daemon=True).start()

    def _program(self, p: _Program) -> None:
        self.mine[threading.get_ident()] = p
        try:
            self._wait(p)
            self.fn(**self.args)
        except _Abort:
            pass
        except BaseException as e:  # the first error stops the launch, as it would unthreaded
            with self.lock:
                self._stop(e)
        finally:
            with self.lock:
                self._wake(p)
                self._unpoll(p)
                self.running.remove(p)
                if self.queued and not self.stopped:
                    self._admit()
                if not self.running:
                    self.done.set()
                elif not self.stopped:
                    self._hand(None)

    def _wait(self, p: _Program) -> None:
        p.go.wait()
        if self.stopped:
            raise _Abort
        self.set_idx(*p.idx)

    def _hand(self, p: _Program | None) -> bool:
        """Draw the program to run next and give it the turn (the caller holds the lock).
        Whether ``p`` must now wait for its turn."""
        first = min(q.next for q in self.running)
        q = self.rng.choice([q for q in self.running if q.next == first])
        if q is p:
            return False
        if p is not None:
            p.go.clear()
        q.go.set()
        return p is not None

    def see(self, access: interp_memory.Access) -> None:
        p = self.mine.get(threading.get_ident())
        if p is None:
            return
        p.settle()
        where = hash(access.op.encode() + access.active.tobytes())
        p.pending = (where, access)
        if not access.sync and not p.wakes and not (self.polled and access.op != "load"):
            return
        with self.lock:
            woke = bool(p.wakes)
            if woke:  # what it wrote last is in memory now: the waiters it reached go first
                self._wake(p)
            if access.sync:
                self.steps += 1
                if self.steps > self.limit:
                    self._stop(
                        Deadlock(
                            f"the programs of the launch made {self.limit} atomic or volatile "
                            f"accesses and {len(self.running)} still run: they wait on each "
                            "other (on a GPU the launch hangs)"
                        )
                    )
                    raise _Abort
                site = (access.op, interp_memory.access_path(self.file))
                p.next = self._class(p, site, access)
            waits = (woke or access.sync) and self._hand(p)
        if waits:
            self._wait(p)
        if access.op != "load" and self.polled:
            # About to happen, now that it is this program's turn: a write to what a waiter
            # polls wakes it at this program's next step.
            with self.lock:
                hits = [(i, a) for i, a in enumerate(access.active.tolist()) if a in self.polled]
                p.wakes = [(access, hits)] if hits else []

    def _wake(self, p: _Program) -> None:
        """The waiters polling what ``p``'s last write changed go first (it has happened)."""
        for access, hits in p.wakes:
            for i, a in hits:
                if access.op == "atomic" and _unchanged(access, i, a):
                    continue  # a poll made with an atomic (add 0, a failed swap) writes nothing
                for q in list(self.polled.get(a, ())):
                    if q.next == WAIT:
                        self._unpoll(q)
                        q.next = WOKEN
        p.wakes = []

    def _unpoll(self, p: _Program) -> None:
        for a in p.polled:
            waiting = self.polled.get(a)
            if waiting is not None and p in waiting:
                waiting.remove(p)
                if not waiting:
                    del self.polled[a]
        p.polled = []

    def _class(self, p: _Program, site, access: interp_memory.Access) -> int:
        """What the ordered access ``p`` is about to make is, for the draw (module docstring)."""
        self._unpoll(p)
        acquire = access.acquire and not access.program_scoped
        release = access.release and not access.program_scoped
        at = len(p.prefix) - 1
        p.sites.append((at, site))
        if p.loop is not None and site not in p.loop[0]:
            p.loop = None  # it left the loop
        visit = p.visits.get(site)
        if visit is None:
            p.visits[site] = _Visit(at)
        else:
            since = (at - visit.at, p.stretch(visit.at, at))
            here = self._locals()
            waiting = since == visit.since and here == visit.here
            visit.at, visit.here, visit.since = at, here, since
            if waiting or visit.tries >= BOUNDED_TRIES:
                # Nothing changed since its last visit (or it has spun alone long enough): it
                # waits, for a write to what it polls.
                p.loop = None
                p.polled = access.active.tolist()
                for a in p.polled:
                    self.polled.setdefault(a, []).append(p)
                return WAIT
            if p.loop is None or p.loop[1] == site:
                # Back in a loop, with something changed: it spins alone to its bound.
                visit.tries += 1
                p.loop = (frozenset(p.sites_since(visit.at)), site)
        if p.loop is not None:
            return BOUNDED_RELEASE if release else BOUNDED
        # What releases nothing (an acquire, a relaxed atomic, a volatile load, a "cta" atomic,
        # which orders nothing between programs) goes before what releases: read early, it
        # shows what it reads before the releases come, and it makes no other program wait.
        if not release:
            return ACQUIRE
        return BOTH if acquire else RELEASE

    def _locals(self) -> int:
        """A digest of the local values of the kernel's frames (its own and the @triton.jit
        functions it is inside), where a loop keeps a count of its tries."""
        parts = []
        f = sys._getframe(2)
        while f is not None:
            if f.f_code.co_filename == self.file:
                parts.extend((name, _digest(v)) for name, v in f.f_locals.items())
            if f.f_code is self.fn.__code__:
                break
            f = f.f_back
        return hash(tuple(parts))

    def _stop(self, error: BaseException) -> None:
        """Stop the launch with ``error`` (the caller holds the lock): every program unwinds."""
        self.error = self.error or error
        self.stopped = True
        for q in self.running:
            q.go.set()


def _digest(v: Any, depth: int = 0) -> Any:
    """A hashable digest of a kernel's local value: a block's data, a scalar, and what a tuple,
    a tensor descriptor or any other object of the language holds (a count kept in a tuple is
    a count)."""
    data = getattr(getattr(v, "handle", None), "data", None)
    if isinstance(data, np.ndarray):
        return zlib.crc32(np.ascontiguousarray(data))
    if isinstance(v, (int, float, bool, str, type(None))):
        return v
    if depth > 3:
        return type(v).__name__
    if isinstance(v, (tuple, list)):
        return tuple(_digest(x, depth + 1) for x in v)
    held = getattr(v, "__dict__", None)
    if held is not None:
        return tuple((k, _digest(x, depth + 1)) for k, x in sorted(held.items()))
    return repr(getattr(v, "value", type(v)))


def _unchanged(access: interp_memory.Access, lane: int, address: int) -> bool:
    """Whether an atomic that has happened left memory at one of its addresses as it found it:
    what it returned (the old value) is what is there now. The access has passed the bounds
    check, so its addresses are the kernel's own memory."""
    old = access.data
    if old is None:
        return False
    old = np.asarray(old).reshape(-1)
    if access.mask is not None:
        mask = np.broadcast_to(np.asarray(access.mask, dtype=bool), np.shape(access.ptrs))
        old = old[mask.reshape(-1)] if old.size == mask.size else old
    if lane >= old.size:
        return False
    return ctypes.string_at(address, access.itemsize) == old[lane].tobytes()[: access.itemsize]


@contextlib.contextmanager
def interleaved(seed: int) -> Iterator[None]:
    """While open, every launch the interpreter runs has its programs interleaved."""
    from triton.runtime import interpreter

    builder = interpreter.interpreter_builder
    set_idx = builder.set_grid_idx
    init = interpreter.GridExecutor.__init__
    launches: list[_Launch] = []

    class Watch:
        def see(self, access: interp_memory.Access) -> None:
            if launches:
                launches[-1].see(access)

    def collect(fn):
        programs: list[tuple[int, int, int]] = []
        make, grid = _Launch, builder  # closed over: the function runs in fn's globals

        def program(**args):
            programs.append(tuple(grid.grid_idx))
            if programs[-1] == tuple(d - 1 for d in grid.grid_dim):
                launch = make(fn, args, list(programs), seed + len(launches), set_idx)
                programs.clear()
                launches.append(launch)
                launch.run()

        # In the kernel's globals (Triton patches triton.language where the kernel sees it),
        # with the kernel's parameters (Triton reads them from the function it calls).
        clone = types.FunctionType(
            program.__code__, fn.__globals__, fn.__name__, None, program.__closure__
        )
        clone.__signature__ = inspect.signature(fn)
        return clone

    def patched(self, fn, *args, **kwargs):
        init(self, fn, *args, **kwargs)
        self.fn = collect(fn)

    watch = Watch()
    interpreter.GridExecutor.__init__ = patched
    interp_memory.WATCHERS.insert(0, watch)
    try:
        yield
    finally:
        interpreter.GridExecutor.__init__ = init
        interp_memory.WATCHERS.remove(watch)
