"""Every memory access of an interpreted kernel, shown to watchers before it happens.

Triton's CPU interpreter sends each access through four InterpreterBuilder methods: masked
load and masked store (plain, atomic load/store and tensor-descriptor loads and stores all
end there; a descriptor's lanes outside its declared shape arrive masked off), atomic
read-modify-write and atomic compare-and-swap (an atomic store is shown as the atomic it is, an
atomic load as the ordered load it is, each with its memory semantics and scope).
``install`` wraps them once per process, in the zygote before any candidate runs, and hands
each access to the watchers on ``WATCHERS`` first: a watcher that raises stops an
out-of-bounds write before it touches memory. The watchers are the traffic counter
(``traffic.py``), the bounds check (``bounds.py``) and the race detector (``races.py``), which
also needs the program making the access and whether it is ordered (atomic or volatile).
After the access the values it read (or, for a store, wrote) are left on it as ``data``, for the
interleaver (``interleave.py``) to tell a program that waits from one that makes progress.
"""

from __future__ import annotations

import sys
import threading
from typing import Literal, Protocol

import numpy as np

Scope = Literal["cta", "gpu", "sys"]


class Access:
    """One load, store or atomic of one program: byte addresses per lane and which lanes are
    active (the mask, broadcast to the addresses' shape). ``sync``: an atomic or a volatile
    load, which the memory model orders (never a data race with another such access);
    ``acquire`` / ``release``: its memory semantics (only an atomic's: a volatile load is
    relaxed); ``data``: once it has happened, the values read (an atomic: the old values; a
    plain store: the values written, known before; an atomic store: none);
    ``scope``: an atomic's memory scope. A "cta" atomic is atomic, and its semantics order,
    only among the threads of its own program: to other programs it is a plain access."""

    __slots__ = (
        "op",
        "ptrs",
        "mask",
        "itemsize",
        "program",
        "sync",
        "acquire",
        "release",
        "scope",
        "data",
        "_line",
        "_active",
        "_span",
    )

    def __init__(
        self,
        op: str,
        ptrs: np.ndarray,
        mask: np.ndarray | None,
        itemsize: int,
        program: tuple[int, int, int] = (0, 0, 0),
        sync: bool = False,
        acquire: bool = False,
        release: bool = False,
        scope: Scope = "gpu",
    ):
        self.op = op
        self.ptrs = ptrs
        self.mask = mask
        self.itemsize = itemsize
        self.program = program
        self.sync = sync
        self.acquire = acquire
        self.release = release
        self.scope = scope
        self.data: np.ndarray | None = None
        self._line: tuple[str, int | None] | None = None
        self._active: np.ndarray | None = None
        self._span: tuple[int, int] | None = None

    @property
    def active(self) -> np.ndarray:
        """The active lanes' addresses (uint64, flat)."""
        if self._active is None:
            ptrs = self.ptrs
            if ptrs.dtype != np.uint64:  # a pointer made from an integer keeps its bits
                ptrs = np.asarray(ptrs).astype(np.int64, copy=False).view(np.uint64)
            mask = self.mask
            if mask is None or mask.all():
                self._active = ptrs.reshape(-1)
            else:
                if mask.dtype != np.bool_:
                    mask = mask.astype(bool)
                if mask.shape != ptrs.shape:
                    mask = np.broadcast_to(mask, ptrs.shape)
                self._active = ptrs[mask]
        return self._active

    def line(self, file: str) -> int | None:
        """The line of the candidate's source making this access, asked by a watcher while it
        sees it (once per access, whichever watcher asks first): the interpreter runs a
        kernel's body as Python under the name of the file it was defined from."""
        if self._line is None or self._line[0] != file:
            f = sys._getframe(1)
            while f is not None and f.f_code.co_filename != file:
                f = f.f_back
            self._line = (file, None if f is None else f.f_lineno)
        return self._line[1]

    @property
    def program_scoped(self) -> bool:
        """An atomic of scope "cta": between programs, a plain load and store (or load)."""
        return self.sync and self.scope == "cta"

    @property
    def lanes(self) -> int:
        return int(self.active.size)

    @property
    def span(self) -> tuple[int, int]:
        """The lowest and highest active address (Python ints); only for an access with an
        active lane."""
        if self._span is None:
            a = self.active
            self._span = (int(a.min()), int(a.max()))
        return self._span


class Refusal(Exception):
    """What a check watching a replayed launch found against the kernel: its ``record`` (a
    model with a ``message()``), reported in the replay's report under ``field``."""

    field: str

    def __init__(self, record) -> None:
        super().__init__(record.message())
        self.record = record


class Watcher(Protocol):
    def see(self, access: Access) -> None: ...


class Watching:
    """A watcher on ``WATCHERS`` while open (``with``)."""

    def __enter__(self):
        if not _installed:
            raise RuntimeError("the interpreter's memory ops are not watched")
        WATCHERS.append(self)
        return self

    def __exit__(self, *exc) -> None:
        WATCHERS.remove(self)


WATCHERS: list[Watcher] = []
_installed = False


def installed() -> bool:
    return _installed


def _itemsize(handle) -> int:
    # As the interpreter's own pointer arithmetic: int1 takes a byte.
    return max(1, handle.get_element_ty().primitive_bitwidth // 8)


def _show(builder, op: str, ptr, mask, sync=False, sem=None, scope=None, data=None) -> Access:
    # Only an atomic's sem orders: a volatile load is relaxed (PTX ld.volatile is
    # ld.relaxed.sys), so it reads a flag without making what was stored before it visible.
    acquire, release = sem in _ACQUIRE, sem in _RELEASE
    access = Access(
        op,
        ptr.data,
        None if mask is None else mask.data,
        _itemsize(ptr),
        builder.grid_idx,
        sync,
        acquire,
        release,
        _SCOPES.get(scope, "gpu"),
    )
    access.data = data
    for w in list(WATCHERS):
        w.see(access)
    return access


def _did(access: Access, handle):
    """Leave the values an access read on it, and pass on what the interpreter returned."""
    access.data = handle.data
    return handle


_ACQUIRE: set = set()
_RELEASE: set = set()
_SCOPES: dict = {}  # ir.MEM_SYNC_SCOPE -> Scope
_polling: dict[int, tuple] = {}  # thread -> the sem and scope of the tl.atomic_poll it is in


def install() -> None:
    """Wrap the interpreter builder's memory ops, once per process (interpreter only). Also
    installs ``interp_floats`` (bfloat16 computed as a GPU does), ``interp_constexpr`` (a
    constexpr meeting a tensor) and ``interp_rewrite`` (tuple assignments and range loop
    variables typed as compiled): this is the one install that both the zygote
    (``worker.prepare``) and every replay run."""
    global _installed
    if _installed:
        return
    from kernelwright.sandbox import interp_constexpr, interp_floats, interp_rewrite

    interp_floats.install()
    interp_constexpr.install()
    interp_rewrite.install()
    from triton._C.libtriton import ir
    from triton.runtime.interpreter import InterpreterBuilder

    sem = ir.MEM_SEMANTIC
    _ACQUIRE.update((sem.ACQUIRE, sem.ACQUIRE_RELEASE))
    _RELEASE.update((sem.RELEASE, sem.ACQUIRE_RELEASE))
    scopes = ir.MEM_SYNC_SCOPE
    _SCOPES.update({scopes.CTA: "cta", scopes.GPU: "gpu", scopes.SYSTEM: "sys"})
    load, store = InterpreterBuilder.create_masked_load, InterpreterBuilder.create_masked_store
    rmw, cas = InterpreterBuilder.create_atomic_rmw, InterpreterBuilder.create_atomic_cas
    barrier = InterpreterBuilder.create_barrier

    def masked_load(self, ptrs, mask, other, cache_policy, is_volatile):
        if not WATCHERS:
            return load(self, ptrs, mask, other, cache_policy, is_volatile)
        sem, scope = _polling.get(threading.get_ident(), (None, None))
        access = _show(self, "load", ptrs, mask, bool(is_volatile), sem, scope)
        return _did(access, load(self, ptrs, mask, other, cache_policy, is_volatile))

    def masked_store(self, ptrs, value, mask, cache_policy):
        if WATCHERS:
            _show(self, "store", ptrs, mask, data=value.data)
        return store(self, ptrs, value, mask, cache_policy)

    def atomic_load(self, ptr, mask, sem, scope):
        # The interpreter's own atomic load is a volatile load; here it keeps its sem and scope.
        if not WATCHERS:
            return load(self, ptr, mask, None, None, True)
        access = _show(self, "load", ptr, mask, True, sem, scope)
        return _did(access, load(self, ptr, mask, None, None, True))

    def atomic_store(self, ptr, val, mask, sem, scope):
        # The interpreter's own atomic store is a masked store; here it stays an atomic.
        if WATCHERS:
            # Its data stays unset: what an atomic leaves on itself is the old value it read.
            _show(self, "atomic", ptr, mask, True, sem, scope)
        return store(self, ptr, val, mask, None)

    def atomic_rmw(self, rmwOp, ptr, val, mask, sem, scope):
        if not WATCHERS:
            return rmw(self, rmwOp, ptr, val, mask, sem, scope)
        access = _show(self, "atomic", ptr, mask, True, sem, scope)
        return _did(access, rmw(self, rmwOp, ptr, val, mask, sem, scope))

    def atomic_cas(self, ptr, cmp, val, sem, scope):
        if not WATCHERS:
            return cas(self, ptr, cmp, val, sem, scope)
        # Every lane of a compare-and-swap is active.
        access = _show(self, "atomic", ptr, None, True, sem, scope)
        return _did(access, cas(self, ptr, cmp, val, sem, scope))

    def create_barrier(self):
        # tl.debug_barrier(): every thread's accesses before it are seen by all after it.
        for w in list(WATCHERS):
            fence = getattr(w, "barrier", None)
            if fence is not None:
                fence(tuple(self.grid_idx))
        return barrier(self)

    poll = getattr(InterpreterBuilder, "create_atomic_poll", None)

    def atomic_poll(self, ptr, expected, timeout_ns, sem, scope):
        # The interpreter polls with volatile loads; here each keeps the poll's sem and scope.
        me = threading.get_ident()
        _polling[me] = (sem, scope)
        if not hasattr(timeout_ns, "data"):  # no timeout reaches the interpreter as an IR value
            timeout_ns = None
        try:
            return poll(self, ptr, expected, timeout_ns, sem, scope)
        finally:
            del _polling[me]

    if poll is not None:  # tl.atomic_poll is newer than Triton 3.6
        InterpreterBuilder.create_atomic_poll = atomic_poll
    InterpreterBuilder.create_barrier = create_barrier
    InterpreterBuilder.create_masked_load = masked_load
    InterpreterBuilder.create_masked_store = masked_store
    InterpreterBuilder.create_atomic_load = atomic_load
    InterpreterBuilder.create_atomic_store = atomic_store
    InterpreterBuilder.create_atomic_rmw = atomic_rmw
    InterpreterBuilder.create_atomic_cas = atomic_cas
    _installed = True


def access_path(file: str) -> tuple[int, ...]:
    """The lines of the candidate's source the access is made from, innermost first: its line
    in a @triton.jit helper, then the line of each call down to the kernel's (one access site
    of a helper called from two places is two sites)."""
    path = []
    f = sys._getframe(3)
    while f is not None:
        if f.f_code.co_filename == file:
            path.append(f.f_lineno)
        f = f.f_back
    return tuple(path)


def source_line(file: str, lines: list[str] | None, line: int | None) -> str | None:
    """Line ``line`` of the candidate's source, stripped (``lines`` where the file the
    interpreter runs holds more than the candidate's)."""
    if line is None:
        return None
    if lines is None:
        try:
            with open(file, encoding="utf-8") as fh:
                lines = fh.read().splitlines()
        except OSError:
            lines = []
    return lines[line - 1].strip() if 0 < line <= len(lines) else None
