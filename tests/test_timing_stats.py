"""The timer's statistics and rules, without a GPU: CI of the median, convergence, hidden work."""

from __future__ import annotations

import math
import random
import time

import pytest

from kernelwright.sandbox.timing import (
    Baselines,
    TimingStats,
    TimingUnavailable,
    collect_samples,
    hidden_work_excess,
    is_hidden_work,
    make_timing,
    median_ci,
    summarize,
    time_fn,
    timing_unavailable_reason,
)


def test_median_ci_matches_the_binomial_table():
    # The classic table value: for n = 100 the 95% interval is [x(40), x(61)], 1-based.
    assert median_ci(list(range(100))) == (39, 60)
    # n = 6 is the smallest sample with a 95% interval: P(B = 0) = 1/64 < 2.5%.
    assert median_ci([3.0, 1.0, 2.0, 6.0, 5.0, 4.0]) == (1.0, 6.0)
    assert median_ci([1.0, 2.0, 3.0, 4.0, 5.0]) is None
    assert median_ci([]) is None


def test_median_ci_covers_the_true_median_at_the_stated_rate():
    # Exponential(1) has median ln 2; for n = 25 the exact coverage is 1 - 2 P(B <= 7) = 0.957.
    rng = random.Random(0)
    trials, hits = 2000, 0
    for _ in range(trials):
        lo, hi = median_ci([rng.expovariate(1.0) for _ in range(25)])
        hits += lo <= math.log(2) <= hi
    assert 0.94 <= hits / trials <= 0.975


def test_median_ci_handles_large_samples():
    lo, hi = median_ci([float(i) for i in range(20_001)])
    # Normal approximation: 10000 -/+ 1.96 * sqrt(20001) / 2 = about 139 either side.
    assert 9855 <= lo <= 9865 and 10135 <= hi <= 10145


def test_summarize_reports_median_iqr_min_mean():
    s = summarize([9.0, 1.0, 5.0, 3.0, 7.0, 2.0, 8.0, 4.0, 6.0])
    assert (s.median_ms, s.iqr_ms, s.min_ms, s.mean_ms, s.n) == (5.0, 4.0, 1.0, 5.0, 9)
    assert s.ci_low_ms == 2.0 and s.ci_high_ms == 8.0  # n = 9: [x(2), x(8)]
    assert s.ci_rel == pytest.approx(0.6)
    one = summarize([2.5])
    assert one.iqr_ms == 0 and one.ci_rel is None
    with pytest.raises(ValueError):
        summarize([])


class FakeDevice:
    """Draws per-call times and advances a fake clock by them, as a real batch would."""

    def __init__(self, draw, overhead_ms=0.05):
        self.draw = draw
        self.overhead_ms = overhead_ms
        self.now = 0.0
        self.batches: list[int] = []

    def clock(self) -> float:
        return self.now

    def run_batch(self, n: int) -> list[float]:
        self.batches.append(n)
        times = [self.draw() for _ in range(n)]
        self.now += (sum(times) + n * self.overhead_ms) / 1e3
        return times


def test_quiet_kernel_converges_quickly():
    rng = random.Random(1)
    dev = FakeDevice(lambda: rng.gauss(1.0, 0.003))
    samples, converged = collect_samples(
        dev.run_batch, per_rep_ms=1.05, budget_ms=1000, clock=dev.clock
    )
    assert converged
    assert 10 <= len(samples) <= 40
    assert abs(summarize(samples).median_ms - 1.0) < 0.01


def test_noisy_kernel_stops_at_the_budget_unconverged():
    rng = random.Random(2)
    dev = FakeDevice(lambda: rng.lognormvariate(0.0, 1.5))
    samples, converged = collect_samples(
        dev.run_batch, per_rep_ms=3.0, budget_ms=200, clock=dev.clock
    )
    assert not converged
    # Batches are sized from the per-repetition estimate, so the budget is not overrun by much.
    assert dev.now * 1e3 < 200 * 2
    assert len(samples) >= 10


def test_batches_grow_and_respect_max_reps():
    rng = random.Random(3)
    dev = FakeDevice(lambda: rng.lognormvariate(0.0, 1.0), overhead_ms=0.0)
    samples, converged = collect_samples(
        dev.run_batch, per_rep_ms=1e-6, budget_ms=1e9, max_reps=500, clock=dev.clock
    )
    assert len(samples) == 500 and not converged
    assert dev.batches[0] == 10 and dev.batches[1] == 10 and dev.batches[2] == 10
    assert dev.batches[3] == 15  # half of what is collected


def test_a_call_longer_than_the_budget_still_gives_a_median_of_three():
    dev = FakeDevice(lambda: 500.0)
    samples, converged = collect_samples(
        dev.run_batch, per_rep_ms=500.0, budget_ms=100, clock=dev.clock
    )
    assert len(samples) == 3 and not converged


def test_hidden_work_rule():
    # 0.3 ms of wall time per call that the events did not see, 0.02 ms of it sync latency.
    excess = hidden_work_excess([0.35, 0.36, 0.34], [0.03, 0.03, 0.04], empty_call_ms=0.02)
    assert excess == pytest.approx(0.30)
    assert is_hidden_work(excess, median_ms=0.03)
    assert not is_hidden_work(0.01, median_ms=1.0)  # latency jitter
    assert not is_hidden_work(0.04, median_ms=0.1)  # under the absolute floor
    assert not is_hidden_work(0.4, median_ms=10.0)  # under 5% of a long kernel
    assert is_hidden_work(0.6, median_ms=10.0)


def test_interpreter_is_never_timed(monkeypatch):
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    reason = timing_unavailable_reason()
    assert reason and "interpreter" in reason
    with pytest.raises(TimingUnavailable, match="interpreter"):
        time_fn(lambda: None)


def test_no_cuda_is_never_timed(monkeypatch):
    import torch

    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert "CUDA" in timing_unavailable_reason()
    with pytest.raises(TimingUnavailable, match="CUDA"):
        time_fn(lambda: None)


def _stats(median: float) -> TimingStats:
    return TimingStats(median_ms=median, iqr_ms=0.0, min_ms=median, mean_ms=median, n=10)


def test_make_timing_fills_speedups_and_stats():
    baselines = Baselines(
        eager=_stats(3.0),
        compiled=_stats(1.5),
        compile_mode="default",
        cached={"eager": True, "compile:default": False},
    )
    t = make_timing(_stats(0.75), baselines)
    assert (t.candidate_ms, t.eager_ms, t.compiled_ms) == (0.75, 3.0, 1.5)
    assert t.speedup_eager == pytest.approx(4.0) and t.speedup_compiled == pytest.approx(2.0)
    assert t.stats["candidate"]["median_ms"] == 0.75
    assert t.stats["baselines_cached"] == {"eager": True, "compile:default": False}
    alone = make_timing(_stats(0.75), None)
    assert alone.eager_ms is None and alone.speedup_eager is None


def test_failed_compile_gives_no_compiled_speedup():
    t = make_timing(_stats(1.0), Baselines(eager=_stats(2.0), compile_error="boom"))
    assert t.compiled_ms is None and t.speedup_compiled is None
    assert t.stats["compile_error"] == "boom"


class SimulatedDevice:
    """Stands in for torch.cuda: events read the host clock when recorded, and synchronize()
    waits out the work a call left "on another stream", which the events never see."""

    def __init__(self):
        self.pending_ms = 0.0

    class Event:
        def __init__(self, enable_timing: bool = False):
            self.t = None

        def record(self):
            self.t = time.perf_counter()

        def elapsed_time(self, end) -> float:
            return (end.t - self.t) * 1e3

    def synchronize(self):
        _spin(self.pending_ms)
        self.pending_ms = 0.0


def _spin(ms: float) -> None:
    end = time.perf_counter() + ms / 1e3
    while time.perf_counter() < end:
        pass


@pytest.fixture
def simulated(monkeypatch):
    import torch

    from kernelwright.sandbox import timing

    dev = SimulatedDevice()
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(torch.cuda, "Event", SimulatedDevice.Event)
    monkeypatch.setattr(torch.cuda, "synchronize", dev.synchronize)
    monkeypatch.setattr(timing, "_flush_buffers", {0: torch.empty(1024, dtype=torch.int32)})
    monkeypatch.setattr(timing, "_empty_call_ms", {})
    return dev


def test_time_fn_control_flow_on_a_simulated_device(simulated):
    calls = []
    stats = time_fn(lambda: calls.append(_spin(0.3)), warmup_ms=5, budget_ms=150)
    assert stats.n >= 10 and len(calls) > stats.n  # first call, estimate and warm-up untimed
    assert stats.warmup_reps >= 1
    assert 0.3 <= stats.median_ms < 0.6
    assert stats.flush_bytes == 4096
    assert stats.host_excess_ms is not None and not stats.hidden_work


def test_time_fn_flags_work_the_events_did_not_see(simulated):
    def hidden():
        simulated.pending_ms = 2.0  # "launched on a side stream": only synchronize() waits

    stats = time_fn(hidden, warmup_ms=5, budget_ms=50)
    assert stats.median_ms < 0.1
    assert stats.hidden_work and stats.host_excess_ms > 1.5
