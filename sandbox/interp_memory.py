"""Every memory access of an interpreted kernel, shown to watchers before it happens.

Triton's CPU interpreter sends each access through four InterpreterBuilder methods: masked
load and masked store (plain, atomic load/store and tensor-descriptor loads and stores all
end there; a descriptor's lanes outside its declared shape arrive masked off), atomic
read-modify-write and atomic compare-and-swap. ``install`` wraps them once per process, in
the zygote before any candidate runs, and hands each access to the watchers on ``WATCHERS``
first: a watcher that raises stops an out-of-bounds write before it touches memory. The
watchers are the traffic counter (``traffic.py``) and the bounds check (``bounds.py``).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Access:
    """One load, store or atomic of one program: byte addresses per lane and which lanes are
    active (the mask, broadcast to the addresses' shape)."""

    __slots__ = ("op", "ptrs", "mask", "itemsize", "_active")

    def __init__(self, op: str, ptrs: np.ndarray, mask: np.ndarray | None, itemsize: int):
        self.op = op
        self.ptrs = ptrs
        self.mask = mask
        self.itemsize = itemsize
        self._active: np.ndarray | None = None

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

    @property
    def lanes(self) -> int:
        return int(self.active.size)


class Watcher(Protocol):
    def see(self, access: Access) -> None: ...


WATCHERS: list[Watcher] = []
_installed = False


def installed() -> bool:
    return _installed


def _itemsize(handle) -> int:
    # As the interpreter's own pointer arithmetic: int1 takes a byte.
    return max(1, handle.get_element_ty().primitive_bitwidth // 8)


def _show(op: str, ptr, mask) -> None:
    access = Access(op, ptr.data, None if mask is None else mask.data, _itemsize(ptr))
    for w in list(WATCHERS):
        w.see(access)


def install() -> None:
    """Wrap the interpreter builder's memory ops, once per process (interpreter only)."""
    global _installed
    if _installed:
        return
    from triton.runtime.interpreter import InterpreterBuilder

    load, store = InterpreterBuilder.create_masked_load, InterpreterBuilder.create_masked_store
    rmw, cas = InterpreterBuilder.create_atomic_rmw, InterpreterBuilder.create_atomic_cas

    def masked_load(self, ptrs, mask, other, cache_policy, is_volatile):
        if WATCHERS:
            _show("load", ptrs, mask)
        return load(self, ptrs, mask, other, cache_policy, is_volatile)

    def masked_store(self, ptrs, value, mask, cache_policy):
        if WATCHERS:
            _show("store", ptrs, mask)
        return store(self, ptrs, value, mask, cache_policy)

    def atomic_rmw(self, rmwOp, ptr, val, mask, sem, scope):
        if WATCHERS:
            _show("atomic", ptr, mask)
        return rmw(self, rmwOp, ptr, val, mask, sem, scope)

    def atomic_cas(self, ptr, cmp, val, sem, scope):
        if WATCHERS:
            _show("atomic", ptr, None)  # every lane of a compare-and-swap is active
        return cas(self, ptr, cmp, val, sem, scope)

    InterpreterBuilder.create_masked_load = masked_load
    InterpreterBuilder.create_masked_store = masked_store
    InterpreterBuilder.create_atomic_rmw = atomic_rmw
    InterpreterBuilder.create_atomic_cas = atomic_cas
    _installed = True
