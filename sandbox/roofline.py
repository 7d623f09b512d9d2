"""The roofline: the least time a problem can take on a device, and how close a kernel got.

Bytes are the minimum traffic to device memory: every input (arguments, and the reference
module's parameters and buffers) read once and every output written once, or the problem's
declared ``bytes`` formula. Flops are counted on the reference with
``torch.utils.flop_counter.FlopCounterMode`` (matrix products, convolutions, attention: the work
tensor cores do), or the declared ``flops`` formula. Both are properties of the problem and
shape, so they are filled on every machine; the bound needs a device and its peaks.

    bound_ms = max(bytes / bandwidth, flops / throughput[dtype])

The compute term uses the fastest unit a passing kernel may use for the problem's dtype: for
fp32 that is TF32, since Triton's ``tl.dot`` runs fp32 operands on TF32 tensor cores by default
and the result passes fp32 tolerances. Without a throughput for the dtype, only the memory term
remains, which is still a lower bound.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kernelwright.hardware import Peaks
from kernelwright.outcome import Roofline

# The unit whose rate bounds a problem of each dtype (see the module docstring for fp32).
RATE_FOR_DTYPE = {
    "float64": "fp64",
    "float32": "tf32",
    "bfloat16": "bf16",
    "float16": "fp16",
    "float8_e4m3fn": "fp8",
    "float8_e5m2": "fp8",
    "float8_e4m3fnuz": "fp8",
    "float8_e5m2fnuz": "fp8",
}

# A time this much below the bound is rejected as physically impossible. The bound is built from
# rounded datasheet figures quoted at boost clock, or from a copy/cuBLAS probe that a tuned kernel
# can beat by a few percent; CUDA events resolve about half a microsecond. 10% (plus 2 us for
# event resolution) is wider than all of these together, and far narrower than what a kernel that
# skips work or hides it on another stream gains.
IMPOSSIBLE_MARGIN = 0.10
IMPOSSIBLE_SLACK_MS = 0.002


@dataclass(frozen=True)
class Cost:
    """A problem's minimum work at one shape: bytes moved, flops, and the dtype that bounds it."""

    bytes: int
    flops: int
    dtype: str  # torch dtype name, e.g. "bfloat16"
    read_bytes: int | None = None  # None when the bytes are declared, not counted
    write_bytes: int | None = None
    declared_bytes: bool = False
    declared_flops: bool = False


def _tensors(obj: Any) -> Iterable[Any]:
    import torch

    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _tensors(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _tensors(v)


def tensor_bytes(*objs: Any) -> int:
    """Bytes of the tensors in (nested) objects, each distinct tensor counted once.

    A view counts its own elements, not its storage: a kernel needs only what the view shows.
    The same tensor passed twice is read once.
    """
    seen: set[Any] = set()
    total = 0
    for obj in objs:
        for t in _tensors(obj):
            # Meta tensors have no address: tell them apart by identity.
            ptr = t.data_ptr() if t.device.type != "meta" else id(t)
            key = (ptr, t.dtype, tuple(t.shape), tuple(t.stride()))
            if key in seen:
                continue
            seen.add(key)
            total += t.numel() * t.element_size()
    return total


def _dominant_dtype(*objs: Any) -> str:
    """The floating dtype holding the most bytes among the tensors; float32 if none is floating."""
    sizes: dict[str, int] = {}
    for obj in objs:
        for t in _tensors(obj):
            if t.is_floating_point():
                name = str(t.dtype).removeprefix("torch.")
                sizes[name] = sizes.get(name, 0) + t.numel() * t.element_size()
    return max(sizes, key=sizes.get) if sizes else "float32"


def count_cost(pm: Any, model: Any, args: list[Any]) -> tuple[Cost, Any]:
    """Run the reference once under FlopCounterMode; return its Cost and its output.

    ``pm`` is the ProblemModule (declared formulas and dtype win over counting), ``model`` the
    reference module, ``args`` the inputs at the shape being evaluated.
    """
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        output = model(*args)
    state = list(model.parameters()) + list(model.buffers())
    read = tensor_bytes(list(args), state)
    write = tensor_bytes(output)
    declared_bytes = pm.bytes()
    declared_flops = pm.flops()
    dtype = pm.info.meta.dtype or _dominant_dtype(list(args), state)
    cost = Cost(
        bytes=declared_bytes if declared_bytes is not None else read + write,
        flops=declared_flops if declared_flops is not None else int(counter.get_total_flops()),
        dtype=dtype,
        read_bytes=None if declared_bytes is not None else read,
        write_bytes=None if declared_bytes is not None else write,
        declared_bytes=declared_bytes is not None,
        declared_flops=declared_flops is not None,
    )
    return cost, output


def compute_rate(peaks: Peaks, dtype: str) -> float | None:
    key = RATE_FOR_DTYPE.get(dtype)
    rate = peaks.flops.get(key) if key else None
    if rate is None and key == "tf32":
        rate = peaks.flops.get("fp32")
    return rate


def bound(cost: Cost, peaks: Peaks) -> tuple[float, str]:
    """(bound_ms, "memory" | "compute") for a cost on a device."""
    memory_ms = cost.bytes / peaks.bandwidth * 1e3
    rate = compute_rate(peaks, cost.dtype)
    compute_ms = cost.flops / rate * 1e3 if rate and cost.flops else 0.0
    if compute_ms > memory_ms:
        return compute_ms, "compute"
    return memory_ms, "memory"


def impossibility_bound_ms(cost: Cost, peaks: Peaks) -> float:
    """The bound to hold a measured time against when deciding it is physically impossible.

    The timer flushes the cache before each call, so inputs come from device memory, but a
    kernel's writes can end in the last-level cache and reach memory after the end event. So up
    to one cache's worth of bytes is not counted against memory here; the compute term stands.
    """
    memory_bytes = max(0, cost.bytes - (peaks.l2_bytes or 0))
    rate = compute_rate(peaks, cost.dtype)
    compute_ms = cost.flops / rate * 1e3 if rate and cost.flops else 0.0
    return max(memory_bytes / peaks.bandwidth * 1e3, compute_ms)


def roofline(cost: Cost, peaks: Peaks | None, measured_ms: float | None = None) -> Roofline:
    """The Outcome's roofline: bytes and flops always; bound and percentage when a device is known."""
    if peaks is None:
        return Roofline(bytes=cost.bytes, flops=cost.flops)
    bound_ms, bound_by = bound(cost, peaks)
    pct = bound_ms / measured_ms * 100 if measured_ms and bound_ms > 0 else None
    return Roofline(
        bytes=cost.bytes, flops=cost.flops, bound_ms=bound_ms, pct_of_bound=pct, bound_by=bound_by
    )


def is_physically_impossible(
    measured_ms: float, bound_ms: float | None, margin: float = IMPOSSIBLE_MARGIN
) -> bool:
    """True when a measured time beats the bound by more than the margin (see IMPOSSIBLE_MARGIN).

    Pass ``impossibility_bound_ms(cost, peaks)`` as the bound. No bound, no verdict.
    """
    if bound_ms is None or bound_ms <= 0:
        return False
    return measured_ms < bound_ms * (1.0 - margin) - IMPOSSIBLE_SLACK_MS
