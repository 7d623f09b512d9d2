"""The GPU's own list of what ran, from ``torch.profiler`` (Kineto over CUPTI).

The worker profiles each trial's forward and the timed calls (the calls themselves, not a
separate set: a candidate cannot tell a profiled call from a timed one) and folds what ran on
the device into ``kernel_list.DeviceWork``, which the parent judges. The worker's own device
work runs inside a range of its own and Triton's autotuner benchmarks inside another; each
device entry is traced to the host op that launched it (Kineto's linked correlation id) and
from there to the ranges around that op on its thread. The ranges' names carry a token drawn
in each worker process: a candidate that names a range of its own like the worker's does not
get its work left out.

Only APIs torch 2.11 and 2.13 both have: ``torch.profiler.profile`` with ``ProfilerActivity``
CPU and CUDA, ``record_function``, and the Kineto events' name, device type, start and
duration, thread, correlation and linked correlation ids; the bytes of a copy come from the
event's metadata where that torch exposes it.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import re
from collections.abc import Callable, Iterator
from typing import Any

from pydantic import BaseModel

from kernelwright.sandbox.kernel_list import DeviceWork, kind_of

_BYTES = re.compile(r'"bytes"\s*:\s*(\d+)')
# CUDA runtime and driver calls (cudaLaunchKernel, cuLaunchKernelEx): host events whose
# correlation ids are CUPTI's, not torch's, so they never stand for the op that launched work.
_API_CALL = re.compile(r"^cu(da)?[A-Z]")


class Marks(BaseModel):
    """The names of the worker's and the autotuner's profiler ranges."""

    worker: str
    autotune: str

    @classmethod
    def fresh(cls) -> Marks:
        token = os.urandom(8).hex()
        return cls(worker=f"kernelwright:worker:{token}", autotune=f"kernelwright:autotune:{token}")


MARKS = Marks.fresh()


def renew() -> None:
    """New range names, for a new worker process (forked children share the parent's)."""
    global MARKS
    MARKS = Marks.fresh()


class RawEvent(BaseModel):
    """One Kineto event, as plain data."""

    name: str
    device: bool  # ran on the GPU; else a host op, a range or an API call
    start_ns: int
    end_ns: int
    thread: int = 0
    correlation: int = 0
    linked: int = 0  # device work: the correlation id of the host op that launched it
    nbytes: int | None = None


class _Ranges:
    """One range name's spans per thread, sorted; they do not nest within one name."""

    def __init__(self, events: list[RawEvent], name: str):
        self.spans: dict[int, list[tuple[int, int]]] = {}
        for e in events:
            if not e.device and e.name == name:
                self.spans.setdefault(e.thread, []).append((e.start_ns, e.end_ns))
        for spans in self.spans.values():
            spans.sort()
        self.starts = {t: [s for s, _ in spans] for t, spans in self.spans.items()}

    def contains(self, op: RawEvent) -> bool:
        starts = self.starts.get(op.thread)
        if not starts:
            return False
        at = bisect.bisect_right(starts, op.start_ns) - 1
        return at >= 0 and op.end_ns <= self.spans[op.thread][at][1]


def fold(events: list[RawEvent], marks: Marks | None = None) -> list[DeviceWork]:
    """The device work in ``events`` that is not the worker's own, folded by what it is.

    Device work whose launching host op cannot be found is kept: it counts as the candidate's.
    """
    marks = marks or MARKS
    host = {
        e.correlation: e
        for e in events
        if not e.device and e.correlation and not _API_CALL.match(e.name)
    }
    worker, autotune = _Ranges(events, marks.worker), _Ranges(events, marks.autotune)
    folded: dict[tuple, DeviceWork] = {}
    for e in events:
        kind = kind_of(e.name) if e.device else None
        if kind is None:
            continue
        op = host.get(e.linked) if e.linked else None
        if op is not None and worker.contains(op):
            continue
        tuned = op is not None and autotune.contains(op)
        key = (e.name, kind, e.nbytes, tuned)
        if key in folded:
            folded[key].count += 1
        else:
            folded[key] = DeviceWork(name=e.name, kind=kind, nbytes=e.nbytes, autotune=tuned)
    return list(folded.values())


def own_work():
    """A range around the worker's own device work: the profiler leaves it out."""
    import torch

    return torch.profiler.record_function(MARKS.worker)


def install() -> None:
    """Mark Triton's autotuner benchmarks, whose launches and cache flushes are not forward's."""
    import torch
    from triton.runtime.autotuner import Autotuner

    original = Autotuner._bench

    def bench(self, *args, **kwargs):
        with torch.profiler.record_function(MARKS.autotune):
            return original(self, *args, **kwargs)

    bench.__wrapped__ = original
    Autotuner._bench = bench


def _nbytes(event) -> int | None:
    metadata = getattr(event, "metadata_json", None)
    if metadata is None:
        return None
    try:
        text = metadata()
    except Exception:  # a torch without this event's metadata
        return None
    m = _BYTES.search(text or "")
    return int(m.group(1)) if m else None


def raw_events(kineto_events) -> list[RawEvent]:
    from torch.autograd import DeviceType

    out = []
    for e in kineto_events:
        device = e.device_type() != DeviceType.CPU
        if device and e.is_user_annotation():
            continue  # a host range mirrored on the GPU's timeline, not work
        start = e.start_ns()
        out.append(
            RawEvent(
                name=e.name(),
                device=device,
                start_ns=start,
                end_ns=start + e.duration_ns(),
                thread=e.start_thread_id(),
                correlation=e.correlation_id(),
                linked=e.linked_correlation_id(),
                nbytes=_nbytes(e) if device else None,
            )
        )
    return out


class ProfilerUnavailable(RuntimeError):
    """The profiler could not start or stop; ``str()`` says why."""


def _config():
    """Kineto's per-event metadata (a copy's bytes), where this torch has the switch."""
    try:
        from torch._C._profiler import _ExperimentalConfig

        return _ExperimentalConfig(expose_kineto_event_metadata=True)
    except (ImportError, TypeError):
        return None


@contextlib.contextmanager
def capture(
    into: list[DeviceWork], outside: Callable[[], Any] = contextlib.nullcontext
) -> Iterator[None]:
    """Profile the block on the GPU; on a normal exit, wait for the device and put what ran
    (less the worker's own work) into ``into``. ``ProfilerUnavailable`` if it cannot run.
    ``outside`` is a context for the profiler's own start and stop (the worker lifts its
    guards there: the profiler is not candidate code)."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    config = _config()
    options = {"experimental_config": config} if config is not None else {}
    try:
        with outside():
            prof = profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA], **options)
            prof.start()
    except Exception as e:
        raise ProfilerUnavailable(f"the profiler did not start: {type(e).__name__}: {e}") from e
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception), outside():
            prof.stop()
        raise
    try:
        with outside():
            torch.cuda.synchronize()
            prof.stop()
            events = raw_events(prof.profiler.kineto_results.events())
    except Exception as e:
        raise ProfilerUnavailable(
            f"the profiler's events could not be read: {type(e).__name__}: {e}"
        ) from e
    into.extend(fold(events))
