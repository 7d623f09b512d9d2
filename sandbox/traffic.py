"""Memory traffic the kernels request, counted on Triton's CPU interpreter.

The counter watches every load, store and atomic of an interpreted kernel
(``interp_memory.py``) while it is on and adds the bytes of their active lanes. This is the
traffic the kernels ask for, before any cache: a softmax that reads its row three times counts
it three times, on every machine. Counted in the candidate's process, so it informs feedback and
never decides a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass

from kernelwright.sandbox import interp_memory


@dataclass(eq=False)  # a watcher is found by identity
class Counter:
    loaded: int = 0
    stored: int = 0

    def start(self) -> None:
        self.loaded = self.stored = 0
        if self not in interp_memory.WATCHERS:
            interp_memory.WATCHERS.append(self)

    def stop(self) -> dict[str, int]:
        if self in interp_memory.WATCHERS:
            interp_memory.WATCHERS.remove(self)
        return {"loaded": self.loaded, "stored": self.stored}

    def see(self, access: interp_memory.Access) -> None:
        n = access.lanes * access.itemsize
        if access.op != "store":
            self.loaded += n
        if access.op != "load":
            self.stored += n


COUNTER = Counter()


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
