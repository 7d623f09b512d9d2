"""Memory traffic the kernels request, counted on Triton's CPU interpreter.

Every load and store of an interpreted kernel goes through the interpreter builder's masked load
and store (plain, atomic and tensor-descriptor ones alike; atomic read-modify-writes have their
own entry): the bytes of their unmasked lanes are counted while a counter is on. This is the
traffic the kernels ask for, before any cache: a softmax that reads its row three times counts
it three times, on every machine. Counted in the candidate's process, so it informs feedback and
never decides a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Counter:
    on: bool = False
    loaded: int = 0
    stored: int = 0

    def start(self) -> None:
        self.loaded = self.stored = 0
        self.on = True

    def stop(self) -> dict[str, int]:
        self.on = False
        return {"loaded": self.loaded, "stored": self.stored}


COUNTER = Counter()


def _lanes(mask, shape) -> int:
    import numpy as np

    return int(np.count_nonzero(np.broadcast_to(mask, shape)))


def install() -> None:
    """Wrap the interpreter builder's memory ops, once per process (interpreter only)."""
    from triton.runtime.interpreter import InterpreterBuilder

    load, store = InterpreterBuilder.create_masked_load, InterpreterBuilder.create_masked_store
    rmw, cas = InterpreterBuilder.create_atomic_rmw, InterpreterBuilder.create_atomic_cas

    def masked_load(self, ptrs, mask, other, cache_policy, is_volatile):
        out = load(self, ptrs, mask, other, cache_policy, is_volatile)
        if COUNTER.on:
            COUNTER.loaded += _lanes(mask.data, ptrs.data.shape) * out.data.dtype.itemsize
        return out

    def masked_store(self, ptrs, value, mask, cache_policy):
        if COUNTER.on:
            COUNTER.stored += _lanes(mask.data, ptrs.data.shape) * value.data.dtype.itemsize
        return store(self, ptrs, value, mask, cache_policy)

    def atomic_rmw(self, rmwOp, ptr, val, mask, sem, scope):
        out = rmw(self, rmwOp, ptr, val, mask, sem, scope)
        if COUNTER.on:
            n = _lanes(mask.data, ptr.data.shape) * out.data.dtype.itemsize
            COUNTER.loaded += n
            COUNTER.stored += n
        return out

    def atomic_cas(self, ptr, cmp, val, sem, scope):
        out = cas(self, ptr, cmp, val, sem, scope)
        if COUNTER.on:
            n = out.data.size * out.data.dtype.itemsize
            COUNTER.loaded += n
            COUNTER.stored += n
        return out

    InterpreterBuilder.create_masked_load = masked_load
    InterpreterBuilder.create_masked_store = masked_store
    InterpreterBuilder.create_atomic_rmw = atomic_rmw
    InterpreterBuilder.create_atomic_cas = atomic_cas


def summary(counted: dict[str, int] | None, min_bytes: int | None):
    """The Outcome's record of the counted traffic against the roofline's minimum bytes."""
    from kernelwright.outcome import Traffic

    if not counted:
        return None
    total = counted["loaded"] + counted["stored"]
    return Traffic(
        loaded_bytes=counted["loaded"],
        stored_bytes=counted["stored"],
        total_bytes=total,
        min_bytes=min_bytes,
        ratio=total / min_bytes if min_bytes else None,
    )
