"""Where timing and the roofline meet the check.

Worker side: the problem's cost (bytes, flops) and the baselines are measured on the
reference before the candidate is imported; the candidate is timed after its trials, on
rotating input sets, with every call's output sampled and one last call per set kept whole
so the parent can check them (``timed_calls.py``).
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


def time_candidate(forward, calls, timed: bool) -> dict[str, Any] | None:
    """Time ``forward()`` on a GPU with ``calls`` (``timed_calls.RotatingCalls``) rotating its
    inputs and sampling its outputs around every call, then make one more call per input set;
    return the stats. Untimed (the CPU interpreter), only that last round runs: its outputs
    are still checked."""
    hooks = tm.CallHooks(before=calls.before, after=calls.after, own_work=calls.own_work)
    if not timed:

        def run(n: int) -> None:
            for _ in range(n):
                calls.before()
                forward()
                calls.after()

        calls.finish(run)
        return None
    import torch

    stats = tm.time_fn(forward, hooks=hooks)
    calls.finish(lambda n: tm.run_calls(forward, n, hooks))
    torch.cuda.synchronize()
    return stats.model_dump()


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
