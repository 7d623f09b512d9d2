"""Where timing and the roofline meet the check.

Worker side: the problem's cost (bytes, flops) and the baselines are measured on the
reference before the candidate is imported; the candidate is timed after its trials,
with the last output of the timing runs kept so the parent can re-check it.
Parent side: ``verdict`` turns those numbers into the Outcome's timing and roofline,
and names what makes a time untrustworthy (hidden work, faster than the hardware).
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from kernelwright.hardware import peaks_for
from kernelwright.outcome import Roofline, Timing
from kernelwright.sandbox import roofline as rl
from kernelwright.sandbox import timing as tm


def reference_cost(pm, model, args) -> tuple[dict[str, Any], Any]:
    """Bytes and flops at this shape (properties of the problem, filled on every machine),
    counted while the reference runs once; returns them with that run's output."""
    cost, output = rl.count_cost(pm, model, list(args))
    return dataclasses.asdict(cost), output


def reference_baselines(pm, model, args) -> dict[str, Any]:
    mode = os.environ.get("KERNELWRIGHT_COMPILE_MODE", "default")
    baselines = tm.time_baselines(
        pm, model, list(args), compile_mode=None if mode == "off" else mode
    )
    return baselines.model_dump()


def time_candidate(forward, timed: bool) -> tuple[dict[str, Any] | None, Any]:
    """Time ``forward()`` on a GPU; return the stats and the output of the last timed call.
    Untimed (the CPU interpreter), it is called once: its output is still checked."""
    if not timed:
        return None, forward()
    import torch

    last: list[Any] = [None]

    def call() -> None:
        last[0] = forward()

    stats = tm.time_fn(call)
    torch.cuda.synchronize()
    return stats.model_dump(), last[0]


@dataclasses.dataclass
class Verdict:
    timing: Timing | None
    roofline: Roofline
    problems: list[str]


def verdict(
    cost: dict[str, Any],
    baselines: dict[str, Any] | None,
    candidate: dict[str, Any] | None,
    device_name: str | None,
) -> Verdict:
    c = rl.Cost(**cost)
    if candidate is None:
        return Verdict(None, rl.roofline(c, None), [])
    stats = tm.TimingStats.model_validate(candidate)
    base = tm.Baselines.model_validate(baselines) if baselines else None
    peaks = peaks_for(device_name)
    timing = tm.make_timing(stats, base)
    roof = rl.roofline(c, peaks, stats.median_ms)
    problems = []
    if stats.hidden_work:
        problems.append(
            f"work hidden from the timer: wall time exceeds device-event time by "
            f"{stats.host_excess_ms:.3g} ms per call (another stream, or work after return)"
        )
    if peaks is not None:
        limit = rl.impossibility_bound_ms(c, peaks)
        if rl.is_physically_impossible(stats.median_ms, limit):
            problems.append(
                f"physically impossible time: {stats.median_ms:.4g} ms is below the hardware bound "
                f"of {limit:.4g} ms for {c.bytes} bytes and {c.flops} flops on {peaks.device}"
            )
    return Verdict(timing, roof, problems)
