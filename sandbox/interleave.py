"""The programs of a launch run concurrently in the interpreter, switching at synchronisation.

Triton's interpreter runs a launch's programs one after another, so every synchronisation
between them looks like it works: a program that "acquires" a flag it never waits on finds the
previous program's release already there, a ticket taken with ``tl.atomic_add`` equals the
program id. Only running the programs together shows what an acquire orders: a program that
really waits stops until the release comes; one that does not runs on, and races.

``interleaved`` runs every program of a launch in a thread of its own; one runs at a time, and
the running program hands over at each atomic or volatile access, before it happens (before any
other watcher sees it, so the race detector records accesses in the order they happen). The
next program is drawn by a seeded generator among those that can go on, in an order that makes
synchronisation prove itself: programs that have not started first (each runs up to its first
atomic or volatile access), then acquires, then accesses that both acquire and release, then
releases. So every acquire that does not wait happens before every release it could read, and
only a program that waits is ordered after one. A program that repeats the same ordered access
is spinning: it keeps its place in that order for ``SPIN_TRIES`` tries (a spin bounded by fewer
runs out before the releases come), then runs only when no program that is not spinning can,
so the programs it waits on go first. A launch still running after ``STEP_LIMIT`` ordered accesses
per program is a deadlock: its programs wait on each other, and on a GPU it would hang.

What each program computes is the interpreter's: only the order of accesses between programs
differs, as it may on a GPU. Plain loads and stores are not switch points: which program's
plain access comes first does not matter to the race detector, which refuses any two of
different programs that nothing orders. An atomic of scope "cta" orders nothing between
programs (``races.py`` takes it for a plain access): it is drawn as neither acquire nor release,
and stays a switch point only so that a program waiting on it hands over. At most ``RESIDENT`` programs run together, admitted in
program-id order as others finish: programs further apart are taken as never concurrent.
"""

from __future__ import annotations

import contextlib
import inspect
import random
import threading
import types
from collections import deque
from collections.abc import Iterator
from typing import Any

from kernelwright.sandbox import interp_memory

RESIDENT = 4096  # programs running at once (an H100 holds up to 32 per SM, 132 SMs)
STEP_LIMIT = 10_000  # ordered accesses per program of a launch, on average: past it, a deadlock
SPIN_TRIES = 64  # repeats of one ordered access a program keeps its place in the order for
# What a program does next, drawn in this order: not started, an acquire, an access that
# acquires and releases, a release, the same ordered access again after SPIN_TRIES.
START, ACQUIRE, BOTH, RELEASE, SPIN = 0, 1, 2, 3, 4


class Deadlock(Exception):
    """The programs of a launch wait on each other: none can go on."""


class _Abort(BaseException):
    """Unwinds a program's thread when its launch stops (not an Exception: the kernel's own
    code cannot catch it)."""


class _Program:
    __slots__ = ("idx", "go", "next", "key", "tries")

    def __init__(self, idx: tuple[int, int, int]):
        self.idx = idx
        self.go = threading.Event()  # set when it is this program's turn
        self.next = START  # the class of the access it will make when drawn
        self.key: bytes | None = None  # its last ordered access, to tell a spin
        self.tries = 0  # how often in a row it has made that access


class _Launch:
    """One launch's programs as threads, one running at a time: the running one draws the
    next at each of its ordered accesses and hands it the turn."""

    def __init__(self, fn, args: dict[str, Any], programs: list, seed: int, set_idx):
        self.fn, self.args, self.set_idx = fn, args, set_idx
        self.queued = deque(_Program(p) for p in programs)
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.running: list[_Program] = []
        self.steps, self.limit = 0, STEP_LIMIT * len(programs)
        self.error: BaseException | None = None
        self.stopped = False
        self.mine: dict[int, _Program] = {}  # thread id -> its program

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
        with self.lock:
            if not access.sync:
                return
            self.steps += 1
            if self.steps > self.limit:
                self._stop(
                    Deadlock(
                        f"the programs of the launch made {self.limit} atomic or volatile "
                        f"accesses and {len(self.running)} still run: they wait on each other "
                        "(on a GPU the launch hangs)"
                    )
                )
                raise _Abort
            key = access.op.encode() + access.active.tobytes()
            p.tries = p.tries + 1 if key == p.key else 0
            p.key = key
            # A "cta" atomic orders nothing between programs: drawn like a relaxed one. It stays
            # a switch point all the same, so a program waiting on it hands over (and the race
            # detector refuses it) instead of spinning forever.
            acquire = access.acquire and not access.program_scoped
            release = access.release and not access.program_scoped
            if p.tries > SPIN_TRIES:
                p.next = SPIN
            elif acquire == release:
                p.next = BOTH
            else:
                p.next = ACQUIRE if acquire else RELEASE
            waits = self._hand(p)
        if waits:
            self._wait(p)

    def _stop(self, error: BaseException) -> None:
        """Stop the launch with ``error`` (the caller holds the lock): every program unwinds."""
        self.error = self.error or error
        self.stopped = True
        for q in self.running:
            q.go.set()


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
