"""Golden tests of every eval metric on hand-made attempt records (see evals/METRICS.md)."""

from __future__ import annotations

import json
import math

import pytest
from evals_records import cpu_records, golden_info, golden_records, record

from kernelwright.evals.metrics import (
    Metrics,
    compute_metrics,
    geometric_mean,
    pass_at_k,
    summarize,
)

approx = pytest.approx


def test_pass_at_k_estimator():
    assert pass_at_k(5, 0, 1) == 0.0
    assert pass_at_k(5, 5, 3) == 1.0
    assert pass_at_k(5, 2, 1) == approx(0.4)
    assert pass_at_k(5, 2, 2) == approx(1 - 3 / 10)  # 1 - C(3,2)/C(5,2)
    assert pass_at_k(4, 2, 3) == 1.0  # fewer failures than draws: a success is certain
    assert pass_at_k(200, 1, 100) == approx(0.5)
    # k larger than n is undefined, never extrapolated.
    assert pass_at_k(3, 3, 4) is None
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 0)
    with pytest.raises(ValueError):
        pass_at_k(3, 4, 1)


def test_geometric_mean():
    assert geometric_mean([2.0, 8.0]) == approx(4.0)
    assert geometric_mean([]) is None
    assert geometric_mean([None, 4.0]) == approx(4.0)


@pytest.fixture
def golden() -> Metrics:
    return compute_metrics(golden_records(), golden_info())


def test_counts_and_rates(golden):
    o = golden.overall
    assert (o.problems, o.samples, o.attempts) == (3, 6, 9)
    assert o.compile_rate == approx(7 / 9)  # compile_error and format_error excluded
    assert o.attempt_correct_rate == approx(4 / 9)
    assert o.correct_rate == approx((2 / 3 + 0 + 1) / 3)
    assert o.solved_rate == approx(2 / 3)


def test_best_attempt_of_each_sample(golden):
    a = next(p for p in golden.problems if p.name == "A")
    assert (a.n, a.c) == (3, 2)
    s0, s1, s2 = a.samples
    assert (s0.correct, s0.speedup_eager, s0.speedup_compiled) == (True, 2.0, 1.5)
    assert s0.first_correct_turn == 1 and s0.turns == 2
    assert (s1.speedup_eager, s1.speedup_compiled) == (1.0, 0.75)
    assert not s2.correct and s2.status == "runtime_error"  # the final attempt
    c = next(p for p in golden.problems if p.name == "C")
    assert c.samples[0].speedup_eager == 8.0  # the faster of two correct turns
    assert c.samples[0].pct_of_bound == 80.0


def test_fast_p_with_ties_at_p(golden):
    f = golden.overall.fast_p
    # A's speedups against eager are 2.0 and exactly 1.0; C's is 8.0.
    assert f["eager"]["0"] == approx((2 / 3 + 0 + 1) / 3)
    assert f["eager"]["0.8"] == approx((2 / 3 + 0 + 1) / 3)
    assert f["eager"]["1"] == approx((1 / 3 + 0 + 1) / 3)  # 1.0x is not > 1
    assert f["eager"]["1.5"] == approx((1 / 3 + 0 + 1) / 3)
    assert f["eager"]["2"] == approx((0 + 0 + 1) / 3)  # 2.0x is not > 2
    # Against torch.compile A has 1.5 and 0.75, C has 4.0.
    assert f["compiled"]["0.5"] == approx((2 / 3 + 0 + 1) / 3)
    assert f["compiled"]["0.8"] == approx((1 / 3 + 0 + 1) / 3)
    assert f["compiled"]["1.5"] == approx((0 + 0 + 1) / 3)  # 1.5x is not > 1.5
    assert f["compiled"]["2"] == approx(1 / 3)
    assert golden.p_values == [0.0, 0.5, 0.8, 1.0, 1.5, 2.0]


def test_pass_at_k_with_k_larger_than_n(golden):
    o = golden.overall
    assert golden.k_values == [1, 2]  # up to the largest n (3)
    assert o.pass_at_k["1"] == approx(o.correct_rate)
    # C has a single sample: pass@2 is undefined for the whole group.
    assert o.pass_at_k["2"] is None
    assert o.fast_p_at_k["eager"]["1"]["1"] == approx(o.fast_p["eager"]["1"])
    assert o.fast_p_at_k["eager"]["1"]["2"] is None
    # Level 2 holds only B (n=2, no correct sample): defined, and zero.
    assert golden.by_level["level2"].pass_at_k["2"] == 0.0
    assert golden.by_level["level2"].fast_p_at_k["compiled"]["0"]["2"] == 0.0


def test_fast_p_at_k_value():
    # One problem, 4 samples: speedups 3.0, 1.2, exactly 1.0, and one incorrect.
    recs = [
        record("A", "s0", 0, "correct", 1.0, 3.0, 3.0, sample=0),
        record("A", "s1", 0, "correct", 1.0, 1.2, 1.2, sample=1),
        record("A", "s2", 0, "correct", 1.0, 1.0, 1.0, sample=2),
        record("A", "s3", 0, "incorrect", sample=3),
    ]
    o = compute_metrics(recs).overall
    assert o.pass_at_k["2"] == 1.0  # c=3: 1 - C(1,2)/C(4,2), and C(1,2) = 0
    assert o.fast_p_at_k["eager"]["1"]["2"] == approx(1 - 1 / 6)  # f=2: 1 - C(2,2)/C(4,2)
    assert o.fast_p_at_k["eager"]["2"]["1"] == approx(1 / 4)
    assert o.fast_p_at_k["eager"]["0"]["1"] == approx(3 / 4)


def test_speedup_roofline_and_cost(golden):
    o = golden.overall
    assert o.geomean_speedup["eager"] == approx((2.0 * 1.0 * 8.0) ** (1 / 3))
    assert o.geomean_speedup["compiled"] == approx((1.5 * 0.75 * 4.0) ** (1 / 3))
    assert o.roofline_pct_mean == approx((50 + 25 + 80) / 3)
    assert o.roofline_pct_median == approx(50.0)
    assert o.tokens_per_problem == approx((5 + 2 + 2) * 150 / 3)
    assert o.cost_usd_per_problem == approx(9 * 0.01 / 3)
    assert o.time_s_per_problem == approx(9 * 1.5 / 3)


def test_groups_by_level_and_tag(golden):
    assert set(golden.by_level) == {"level1", "level2"}
    l1 = golden.by_level["level1"]
    assert l1.problems == 2 and l1.correct_rate == approx((2 / 3 + 1) / 2)
    assert golden.by_tag["reduction"].problems == 1
    assert golden.by_tag["reduction"].fast_p["eager"]["2"] == 1.0
    assert golden.by_tag["softmax"].solved_rate == 1.0
    assert golden.by_tag["matmul"].geomean_speedup == {"eager": None, "compiled": None}


def test_improvement_per_turn(golden):
    t0, t1 = golden.by_turn
    assert (t0.turn, t1.turn) == (0, 1)
    assert t0.correct_rate == approx((1 / 3 + 0 + 1) / 3)
    assert t1.correct_rate == approx(golden.overall.correct_rate)
    assert t0.fast_1_eager == approx(1 / 3)  # A's only correct kernel is exactly 1.0x
    assert t1.fast_1_eager == approx(golden.overall.fast_p["eager"]["1"])
    assert t0.geomean_speedup_eager == approx(math.sqrt(1.0 * 4.0))
    assert t1.geomean_speedup_eager == approx(golden.overall.geomean_speedup["eager"])


def test_missing_problems_are_flagged_not_counted(golden):
    assert golden.missing_problems == ["level3/D"]
    assert not golden.complete
    assert any("Incomplete" in n for n in golden.notes)
    assert "level3" not in golden.by_level


def test_no_correct_sample_at_all():
    recs = [r for r in golden_records() if r.problem.name == "B"]
    m = compute_metrics(recs)
    o = m.overall
    assert o.correct_rate == 0.0 and o.solved_rate == 0.0
    assert o.pass_at_k == {"1": 0.0, "2": 0.0}
    # B's records carry no timing, so this run measured none.
    assert not m.timing_measured and o.fast_p is None
    timed = [*recs, record("A", "s0", 0, "incorrect", 1.0, 1.0, 1.0)]
    o = compute_metrics(timed).overall
    assert all(v == 0.0 for b in o.fast_p.values() for v in b.values())
    assert o.geomean_speedup == {"eager": None, "compiled": None}
    assert o.roofline_pct_mean is None and o.roofline_pct_median is None


def test_cpu_run_reports_correctness_only():
    m = compute_metrics(cpu_records(), golden_info())
    assert m.timing_measured is False
    assert any("correctness metrics only" in n for n in m.notes)
    o = m.overall
    assert o.correct_rate == approx((2 / 3 + 0 + 1) / 3)
    assert o.compile_rate == approx(7 / 9)
    assert o.fast_p is None and o.fast_p_at_k is None and o.geomean_speedup is None
    assert o.roofline_pct_mean is None
    assert all(t.fast_1_eager is None and t.geomean_speedup_eager is None for t in m.by_turn)


def test_ties_in_best_attempt_pick_the_earliest():
    recs = [
        record("A", "s0", 0, "correct", 1.0, 2.0, 2.0, pct=10.0),
        record("A", "s0", 1, "correct", 1.0, 2.0, 2.0, pct=20.0),
    ]
    m = compute_metrics(recs)
    assert m.problems[0].samples[0].best_attempt_id == recs[0].attempt_id


def test_replay_runs_are_labelled():
    m = compute_metrics(golden_records(model="replay:demo"))
    assert m.replay and any("Replayed" in n for n in m.notes)
    assert not compute_metrics(golden_records()).replay
    assert compute_metrics(golden_records(replay=True)).replay


def test_label_from_run_info():
    assert compute_metrics(golden_records(), golden_info()).label == "model-a [full]"
    info = golden_info(prompt_variant="minimal")
    assert compute_metrics(golden_records(), info).label == "model-a [minimal]"


def test_metrics_round_trip_json(golden):
    data = json.loads(golden.model_dump_json())
    assert data["timing_measured"] is True
    assert data["overall"]["fast_p"]["eager"]["1.5"] == approx(
        golden.overall.fast_p["eager"]["1.5"]
    )
    assert Metrics.model_validate(data) == golden


def test_summary_of_no_problems():
    s = summarize([], timing_measured=True, k_values=[1])
    assert s.problems == 0 and s.correct_rate is None and s.compile_rate is None


def test_groups_timings_by_the_device_that_measured_them():
    records = [
        record("A", "s0", 0, "correct", ms=1.0, eager=2.0, device="NVIDIA H100 80GB HBM3"),
        record("B", "s0", 0, "correct", ms=1.0, eager=4.0, device="NVIDIA H200"),
        record("C", "s0", 0, "incorrect", device="NVIDIA H200"),
    ]
    m = compute_metrics(records)
    assert set(m.by_device) == {"NVIDIA H100 80GB HBM3", "NVIDIA H200"}
    h100, h200 = m.by_device["NVIDIA H100 80GB HBM3"], m.by_device["NVIDIA H200"]
    assert (h100.problems, h200.problems) == (1, 2)
    assert h100.geomean_speedup["eager"] == approx(2.0)
    assert h200.geomean_speedup["eager"] == approx(4.0)
    assert h200.correct_rate == approx(0.5)
