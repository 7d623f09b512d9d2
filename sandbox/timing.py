"""The one GPU timer, and the eager / torch.compile baselines it times.

Method (the same as ``triton.testing.do_bench``, so the two agree, plus what it lacks):

- one untimed call first (compilation, autotuning, allocator warm-up stay out of the numbers);
- warm-up by a time budget, so clocks are up before the first sample;
- before every repetition an L2 flush: a write of a buffer at least twice the last-level cache
  (and no smaller than do_bench's 256 MB), so inputs come from device memory, not the cache;
- a pair of CUDA events around each repetition, read after ``torch.cuda.synchronize()``, which
  waits for every stream of the device;
- repetitions in growing batches until the 95% confidence interval of the median (order
  statistics, distribution-free) lies within ``rel_ci`` of the median, or a time budget ends;
- a host-clock cross-check: a few repetitions timed by the wall clock from an idle device to a
  synchronised device, against their event times. Events sit on the current stream only; work a
  candidate hides on another stream shows up as wall time the events did not see.

On the CPU (or with Triton's interpreter on) nothing is timed: ``TimingUnavailable`` is raised,
and callers report timing as null. Interpreter times are never performance.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from kernelwright.hardware import cache_root, lookup, write_json_atomic
from kernelwright.outcome import Timing

# Part of every baseline cache key: bump it when the measurement method changes.
TIMER_VERSION = 1

DEFAULT_WARMUP_MS = 50.0
DEFAULT_BUDGET_MS = 1000.0
DEFAULT_REL_CI = 0.01
DEFAULT_MIN_REPS = 10
DEFAULT_MAX_REPS = 10_000
CONFIDENCE = 0.95
# Fewer than this many samples make no median worth reporting, whatever the budget says.
MIN_SAMPLES = 3
ESTIMATE_REPS = 5
CROSS_CHECK_REPS = 5
MIN_FLUSH_BYTES = 256 * 1024 * 1024
# Hidden work: wall time beyond the events' time, after subtracting what an empty call costs
# (event record and synchronise latency). 50 us is well above that latency's jitter on the
# machines measured here, and 5% keeps long kernels from being flagged for host-clock noise.
HIDDEN_ABS_MS = 0.05
HIDDEN_REL = 0.05


class TimingUnavailable(RuntimeError):
    """Timing was asked for where there is nothing honest to time (no GPU, or the interpreter)."""


def timing_unavailable_reason() -> str | None:
    """Why this process cannot time kernels, or None when it can."""
    if os.environ.get("TRITON_INTERPRET", "").strip().lower() in ("1", "true", "yes", "on"):
        return (
            "Triton's interpreter is on (TRITON_INTERPRET=1): kernels run on the CPU, and "
            "their times say nothing about GPU performance"
        )
    import torch

    if not torch.cuda.is_available():
        return "no CUDA device: timing needs a GPU"
    return None


class TimingStats(BaseModel):
    """What one timing measured, in milliseconds of device time per call."""

    median_ms: float
    iqr_ms: float
    min_ms: float
    mean_ms: float
    n: int
    ci_low_ms: float | None = None
    ci_high_ms: float | None = None
    # Largest distance of a CI bound from the median, over the median; None when n is too small.
    ci_rel: float | None = None
    converged: bool = False
    warmup_reps: int = 0
    # Median wall time per call beyond its event time, less an empty call's; None if not checked.
    host_excess_ms: float | None = None
    hidden_work: bool = False
    flush_bytes: int = 0


def median_ci(
    samples: Sequence[float], confidence: float = CONFIDENCE
) -> tuple[float, float] | None:
    """Distribution-free confidence interval of the median from order statistics.

    With B ~ Binomial(n, 1/2) counting samples below the true median, [x_(l), x_(n+1-l)]
    (1-based) covers it with probability P(l <= B <= n-l); l is the largest index whose tail
    P(B < l) stays within (1 - confidence) / 2. None when n is too small for any such l.
    """
    xs = sorted(samples)
    n = len(xs)
    if n == 0:
        return None
    tail = (1.0 - confidence) / 2.0
    log_half_n = n * math.log(0.5)
    cumulative = 0.0
    count = 0
    # Walk the lower tail; exact binomial terms in log space stay finite for any n.
    while count <= n // 2:
        log_pmf = (
            math.lgamma(n + 1) - math.lgamma(count + 1) - math.lgamma(n - count + 1) + log_half_n
        )
        pmf = math.exp(log_pmf)
        if cumulative + pmf > tail:
            break
        cumulative += pmf
        count += 1
    if count == 0:
        return None
    return xs[count - 1], xs[n - count]


def ci_rel(samples: Sequence[float], confidence: float = CONFIDENCE) -> float | None:
    ci = median_ci(samples, confidence)
    if ci is None:
        return None
    med = statistics.median(samples)
    if med <= 0:
        return math.inf
    return max(med - ci[0], ci[1] - med) / med


def summarize(samples: Sequence[float], confidence: float = CONFIDENCE) -> TimingStats:
    """The statistics of a list of per-call times (ms); the timer adds what it alone knows."""
    if not samples:
        raise ValueError("no samples to summarize")
    xs = sorted(samples)
    if len(xs) >= 2:
        # "inclusive" is the linear interpolation numpy.percentile uses by default.
        q1, _, q3 = statistics.quantiles(xs, n=4, method="inclusive")
    else:
        q1 = q3 = xs[0]
    ci = median_ci(xs, confidence)
    return TimingStats(
        median_ms=statistics.median(xs),
        iqr_ms=q3 - q1,
        min_ms=xs[0],
        mean_ms=statistics.fmean(xs),
        n=len(xs),
        ci_low_ms=ci[0] if ci else None,
        ci_high_ms=ci[1] if ci else None,
        ci_rel=ci_rel(xs, confidence),
    )


def collect_samples(
    run_batch: Callable[[int], list[float]],
    *,
    per_rep_ms: float,
    budget_ms: float = DEFAULT_BUDGET_MS,
    rel_ci: float = DEFAULT_REL_CI,
    min_reps: int = DEFAULT_MIN_REPS,
    max_reps: int = DEFAULT_MAX_REPS,
    confidence: float = CONFIDENCE,
    clock: Callable[[], float] = time.perf_counter,
) -> tuple[list[float], bool]:
    """Run batches until the median's CI is within ``rel_ci`` or the budget or max_reps ends.

    Batches grow by half of what is already collected, so the number of synchronisations and
    convergence checks grows only logarithmically. ``per_rep_ms`` (wall time of one repetition,
    flush included) keeps a batch from overrunning the budget. Returns (samples, converged).
    """
    samples: list[float] = []
    start = clock()
    batch = min_reps
    while True:
        remaining_ms = budget_ms - (clock() - start) * 1e3
        affordable = int(remaining_ms / per_rep_ms) if per_rep_ms > 0 else batch
        n = min(batch, max(1, affordable), max_reps - len(samples))
        if not samples:
            n = max(n, min(MIN_SAMPLES, max_reps))
        samples.extend(run_batch(n))
        rel = ci_rel(samples, confidence)
        if len(samples) >= min_reps and rel is not None and rel <= rel_ci:
            return samples, True
        if len(samples) >= max_reps or (clock() - start) * 1e3 >= budget_ms:
            return samples, False
        batch = max(min_reps, len(samples) // 2)


def hidden_work_excess(
    host_ms: Sequence[float], event_ms: Sequence[float], empty_call_ms: float
) -> float:
    """Median wall time per call that the events did not see, less an empty call's share."""
    return statistics.median(h - e for h, e in zip(host_ms, event_ms, strict=True)) - empty_call_ms


def is_hidden_work(excess_ms: float, median_ms: float) -> bool:
    return excess_ms > max(HIDDEN_ABS_MS, HIDDEN_REL * median_ms)


# One flush buffer per device, kept for the life of the process (a worker times many calls).
_flush_buffers: dict[int, Any] = {}
_empty_call_ms: dict[int, float] = {}


def _flush_buffer():
    import torch

    index = torch.cuda.current_device()
    buf = _flush_buffers.get(index)
    if buf is None:
        props = torch.cuda.get_device_properties(index)
        spec = lookup(props.name)
        # PyTorch reports the L2; on MI300X the cache to defeat is the larger Infinity Cache.
        llc = max(getattr(props, "L2_cache_size", 0), spec.l2_bytes if spec else 0)
        nbytes = max(MIN_FLUSH_BYTES, 2 * llc)
        buf = torch.empty(nbytes // 4, dtype=torch.int32, device=f"cuda:{index}")
        _flush_buffers[index] = buf
    return buf


def _nothing() -> None:
    return None


@dataclass
class CallHooks:
    """Work around every call that is not the call's own, outside its timing events:
    ``before`` (the timed calls' input rotation) runs ahead of the cache flush, ``after`` (the
    output samples) once the call's end is recorded; ``own_work`` is a context around the
    timer's own device work, so a profiler can tell it from the call's."""

    before: Callable[[], Any] = _nothing
    after: Callable[[], Any] = _nothing
    own_work: Callable[[], Any] = contextlib.nullcontext


def _run_batch(
    fn: Callable[[], Any], flush: Callable[[], Any], n: int, hooks: CallHooks
) -> list[float]:
    import torch

    starts = [torch.cuda.Event(enable_timing=True) for _ in range(n)]
    ends = [torch.cuda.Event(enable_timing=True) for _ in range(n)]
    for start, end in zip(starts, ends, strict=True):
        hooks.before()
        flush()
        start.record()
        fn()
        end.record()
        hooks.after()
    torch.cuda.synchronize()
    return [s.elapsed_time(e) for s, e in zip(starts, ends, strict=True)]


def _host_and_event(
    fn: Callable[[], Any],
    flush: Callable[[], Any],
    reps: int,
    clock: Callable[[], float],
    hooks: CallHooks,
) -> tuple[list[float], list[float]]:
    """Per repetition, from an idle device: wall ms to a synchronised device, and event ms."""
    import torch

    host, event = [], []
    for _ in range(reps):
        hooks.before()
        flush()
        torch.cuda.synchronize()
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        t0 = clock()
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        host.append((clock() - t0) * 1e3)
        event.append(start.elapsed_time(end))
        hooks.after()
    return host, event


def _flush(hooks: CallHooks) -> Callable[[], Any]:
    buf = _flush_buffer()

    def flush() -> None:
        with hooks.own_work():
            buf.zero_()

    return flush


def run_calls(fn: Callable[[], Any], n: int, hooks: CallHooks) -> None:
    """``n`` calls made exactly as the timer makes them (hooks, flush, events), untimed."""
    _run_batch(fn, _flush(hooks), n, hooks)


def _empty_call_overhead(flush: Callable[[], Any], clock: Callable[[], float]) -> float:
    import torch

    index = torch.cuda.current_device()
    if index not in _empty_call_ms:
        host, event = _host_and_event(lambda: None, flush, 2 * CROSS_CHECK_REPS, clock, CallHooks())
        _empty_call_ms[index] = statistics.median(h - e for h, e in zip(host, event, strict=True))
    return _empty_call_ms[index]


def time_fn(
    fn: Callable[[], Any],
    *,
    warmup_ms: float = DEFAULT_WARMUP_MS,
    budget_ms: float = DEFAULT_BUDGET_MS,
    rel_ci: float = DEFAULT_REL_CI,
    min_reps: int = DEFAULT_MIN_REPS,
    max_reps: int = DEFAULT_MAX_REPS,
    confidence: float = CONFIDENCE,
    cross_check_reps: int = CROSS_CHECK_REPS,
    clock: Callable[[], float] = time.perf_counter,
    hooks: CallHooks | None = None,
) -> TimingStats:
    """Time ``fn`` on the current CUDA device (see the module docstring for the method);
    ``hooks`` run around every call, the untimed ones included."""
    reason = timing_unavailable_reason()
    if reason:
        raise TimingUnavailable(reason)
    import torch

    hooks = hooks or CallHooks()
    buf = _flush_buffer()
    flush = _flush(hooks)
    hooks.before()
    fn()
    hooks.after()
    torch.cuda.synchronize()

    t0 = clock()
    _run_batch(fn, flush, ESTIMATE_REPS, hooks)
    per_rep_ms = (clock() - t0) * 1e3 / ESTIMATE_REPS

    warmup_reps = 0
    t0 = clock()
    while (elapsed := (clock() - t0) * 1e3) < warmup_ms:
        k = max(1, min(max_reps, math.ceil((warmup_ms - elapsed) / max(per_rep_ms, 1e-3))))
        _run_batch(fn, flush, k, hooks)
        warmup_reps += k

    samples, converged = collect_samples(
        lambda n: _run_batch(fn, flush, n, hooks),
        per_rep_ms=per_rep_ms,
        budget_ms=budget_ms,
        rel_ci=rel_ci,
        min_reps=min_reps,
        max_reps=max_reps,
        confidence=confidence,
        clock=clock,
    )
    stats = summarize(samples, confidence)
    update: dict[str, Any] = {
        "converged": converged,
        "warmup_reps": warmup_reps,
        "flush_bytes": buf.numel() * buf.element_size(),
    }
    if cross_check_reps > 0:
        host, event = _host_and_event(fn, flush, cross_check_reps, clock, hooks)
        excess = hidden_work_excess(host, event, _empty_call_overhead(flush, clock))
        update["host_excess_ms"] = excess
        update["hidden_work"] = is_hidden_work(excess, stats.median_ms)
    return stats.model_copy(update=update)


# ---------------------------------------------------------------------------------------------
# Baselines: eager PyTorch and torch.compile on the same inputs, cached on disk.

COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")


class BaselineKey(BaseModel):
    """Everything a baseline time depends on; its digest names the cache file."""

    problem_sha256: str
    shape: str
    device: str
    torch: str
    triton: str
    variant: str  # "eager" or "compile:<mode>"
    timer_version: int = TIMER_VERSION

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.model_dump(), sort_keys=True).encode()).hexdigest()


class BaselineCache:
    """``<cache root>/baselines/<key digest>.json``: the key and the stats, one file a baseline."""

    def __init__(self, root: Path | None = None):
        self.root = (root or cache_root()) / "baselines"

    def path(self, key: BaselineKey) -> Path:
        return self.root / f"{key.digest()[:32]}.json"

    def load(self, key: BaselineKey) -> TimingStats | None:
        try:
            data = json.loads(self.path(key).read_text())
            if data.get("key") != key.model_dump():
                return None
            return TimingStats.model_validate(data["stats"])
        except (OSError, ValueError, KeyError, TypeError, ValidationError):
            return None

    def store(self, key: BaselineKey, stats: TimingStats) -> None:
        write_json_atomic(self.path(key), {"key": key.model_dump(), "stats": stats.model_dump()})


class Baselines(BaseModel):
    eager: TimingStats
    compiled: TimingStats | None = None
    compile_mode: str | None = None
    compile_error: str | None = None
    cached: dict[str, bool] = Field(default_factory=dict)


def _first_line(text: str, limit: int = 300) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line[:limit]


def time_baselines(
    pm: Any,
    model: Any,
    args: Sequence[Any],
    *,
    compile_mode: str | None = "default",
    cache: BaselineCache | None = None,
    **timer_options: Any,
) -> Baselines:
    """Time the reference ``model`` on ``args`` eagerly and under torch.compile(mode=...).

    ``pm`` is the ProblemModule (its source hash and shape set name key the cache); ``model``
    and ``args`` are the reference and the inputs already on the GPU, the same the candidate
    gets. ``compile_mode=None`` skips the compiled baseline. A compile failure is reported in
    ``compile_error`` and never cached (it may be the environment's, not the problem's).
    """
    if compile_mode is not None and compile_mode not in COMPILE_MODES:
        raise ValueError(f"compile mode {compile_mode!r} is not one of {', '.join(COMPILE_MODES)}")
    reason = timing_unavailable_reason()
    if reason:
        raise TimingUnavailable(reason)
    import torch
    import triton

    cache = cache or BaselineCache()
    device = torch.cuda.get_device_name()
    cached: dict[str, bool] = {}

    def timed(variant: str, callable_model: Any) -> TimingStats:
        key = BaselineKey(
            problem_sha256=pm.info.sha256,
            shape=pm.shape,
            device=device,
            torch=torch.__version__,
            triton=triton.__version__,
            variant=variant,
        )
        hit = cache.load(key)
        cached[variant] = hit is not None
        if hit is not None:
            return hit
        stats = time_fn(lambda: callable_model(*args), **timer_options)
        cache.store(key, stats)
        return stats

    with torch.no_grad():
        eager = timed("eager", model)
        compiled = None
        error = None
        if compile_mode is not None:
            mode = None if compile_mode == "default" else compile_mode
            try:
                compiled = timed(f"compile:{compile_mode}", torch.compile(model, mode=mode))
            except Exception as e:  # a baseline that cannot compile is reported, not fatal
                error = f"torch.compile(mode={compile_mode!r}) failed: {type(e).__name__}: " + (
                    _first_line(str(e))
                )
    return Baselines(
        eager=eager,
        compiled=compiled,
        compile_mode=compile_mode,
        compile_error=error,
        cached=cached,
    )


def make_timing(candidate: TimingStats, baselines: Baselines | None) -> Timing:
    """The Outcome's timing: candidate median, baseline medians, speedups, and all the stats."""
    eager_ms = baselines.eager.median_ms if baselines else None
    compiled_ms = baselines.compiled.median_ms if baselines and baselines.compiled else None
    stats: dict[str, Any] = {"candidate": candidate.model_dump()}
    if baselines:
        stats["eager"] = baselines.eager.model_dump()
        stats["compiled"] = baselines.compiled.model_dump() if baselines.compiled else None
        stats["compile_mode"] = baselines.compile_mode
        stats["compile_error"] = baselines.compile_error
        stats["baselines_cached"] = baselines.cached
    return Timing(
        candidate_ms=candidate.median_ms,
        eager_ms=eager_ms,
        compiled_ms=compiled_ms,
        speedup_eager=eager_ms / candidate.median_ms if eager_ms else None,
        speedup_compiled=compiled_ms / candidate.median_ms if compiled_ms else None,
        stats=stats,
    )
