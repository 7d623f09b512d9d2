"""Replays under a perturbed but legal semantics (semantics.py): each perturbation changes the
interpreter's value where a GPU's compiled code may compute another, an honest value by
rounding only; and everything is restored after. Through the whole check, a kernel that gates
its output on one such value (a detector, from the s23 round) is refused with the perturbation
named: tests/candidates/adversarial/gpu_lowering_*.py, one per perturbation."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from kernelwright.sandbox import program_order, semantics

# Each kernel writes what one perturbation changes; the runner launches all of them naturally,
# perturbed, and naturally again (the patches must be gone), and prints the values as JSON.
_RUNNER = r"""
import json, sys
import numpy as np
import torch
import triton
import triton.language as tl
from kernelwright.sandbox import semantics


@triton.jit
def _sub(a, b):
    return a - b


@triton.jit
def _first(a, b):  # associative, not commutative: any order that keeps operands in place agrees
    return a


@triton.jit
def reduce_scan(k, f16_ptr, out_ptr, scan_ptr):
    x = tl.full((128,), 0, tl.int32) + k
    tl.store(out_ptr, tl.reduce(x, 0, _sub))
    tl.store(out_ptr + 1, tl.reduce(tl.arange(0, 128), 0, _first))
    s = tl.sum(tl.load(f16_ptr + tl.arange(0, 4)), axis=0)
    tl.store(out_ptr + 2, s.to(tl.int32))
    tl.store(scan_ptr + tl.arange(0, 128), tl.associative_scan(x, 0, _sub))


@triton.jit
def to_int(x_ptr, si_ptr, ui_ptr):
    x = tl.load(x_ptr + tl.arange(0, 4))
    tl.store(si_ptr + tl.arange(0, 4), x.to(tl.int32))
    tl.store(ui_ptr + tl.arange(0, 4), x.to(tl.uint32))


@triton.jit
def approx(k, x_ptr, y_ptr, out_ptr):
    kf = k.to(tl.float32)
    tl.store(out_ptr, tl.exp2(-kf))
    tl.store(out_ptr + 1, tl.sqrt(kf * 1e-45))
    x = tl.load(x_ptr + tl.arange(0, 1024))
    y = tl.load(y_ptr + tl.arange(0, 1024))
    tl.store(out_ptr + 2 + tl.arange(0, 1024), x / y)
    tl.store(out_ptr + 1026 + tl.arange(0, 1024), tl.math.div_rn(x, y))
    tl.store(out_ptr + 2050 + tl.arange(0, 1024), tl.exp(x))


@triton.jit
def dots(a_ptr, b_ptr, out_ptr):
    r = tl.arange(0, 16)
    a = tl.load(a_ptr + r[:, None] * 16 + r[None, :])
    b = tl.load(b_ptr + r[:, None] * 16 + r[None, :])
    tl.store(out_ptr + r[:, None] * 16 + r[None, :], tl.dot(a, b))
    tl.store(out_ptr + 256 + r[:, None] * 16 + r[None, :], tl.dot(a, b, input_precision="ieee"))


@triton.jit
def dot3(a_ptr, out_ptr):  # tf32x3: big x big + the cross terms, small x small dropped
    r = tl.arange(0, 16)
    a = tl.load(a_ptr + r[:, None] * 16 + r[None, :])
    tl.store(out_ptr + r[:, None] * 16 + r[None, :], tl.dot(a, a, input_precision="tf32x3"))


@triton.jit
def frem64(k, out_ptr):  # 1e18 % 3 in float64: fmod's 1, the lowered quotient's 64
    tl.store(out_ptr, k.to(tl.float64) % 3.0)


@triton.jit
def fma(k, out_ptr):
    a = k.to(tl.float32) * 0.000244140625
    d = 1.0 + 0.00048828125
    tl.store(out_ptr, a * a + -d)
    tl.store(out_ptr + 1, d - a * a)


@triton.jit
def frem(k, out_ptr):
    x = k.to(tl.float32) * 1e6
    tl.store(out_ptr, x % 3.0)
    tl.store(out_ptr + 1, 5.5 % (k.to(tl.float32) - 9998.0))


@triton.jit
def tree4(k, out_ptr):  # fp32 [2^24, 2, 1, 0]: the sum depends on which pairs fold first
    four = tl.arange(0, 4)
    v = tl.where(four == 0, k.to(tl.float32), tl.where(four == 1, 2.0, tl.where(four == 2, 1.0, 0.0)))
    tl.store(out_ptr, tl.sum(v, axis=0))


@triton.jit
def widths(k, out_ptr):  # a * a + c in float64 and float16: 0 rounded twice, not once
    a = k.to(tl.float64) * 7.450580596923828e-09  # 1 + 2^-27
    tl.store(out_ptr, (a * a + (1.0 - (a + a))).to(tl.float32))
    h = (k % 2).to(tl.float16)
    b = h + 0.015625  # 1 + 2^-6
    tl.store(out_ptr + 1, (b * b + (h - (b + b))).to(tl.float32))


@triton.jit
def math_any(k, x_ptr, out_ptr):  # erf of a subnormal; float64 math
    tl.store(out_ptr, tl.erf(k.to(tl.float32) * 1e-45))
    x = tl.load(x_ptr + tl.arange(0, 1024))
    tl.store(out_ptr + 1 + tl.arange(0, 1024), tl.exp(x))
    tl.store(out_ptr + 1025 + tl.arange(0, 1024), tl.sqrt(x))


@triton.jit
def fma_moved(k, out_ptr):  # a product moved (expand_dims, reshape) or negated is still fused
    a = (tl.full((2,), 0, tl.int32) + k).to(tl.float32) * 0.000244140625
    d = 1.0 + 0.00048828125
    tl.store(out_ptr + tl.arange(0, 2), tl.reshape((a * a)[:, None] - d, (2,)))
    tl.store(out_ptr + 2 + tl.arange(0, 2), d + -(a * a))


@triton.jit
def dot_steps(a_ptr, b_ptr, out_ptr):  # K = 64: accumulated a tensor-core step at a time
    r, k = tl.arange(0, 16), tl.arange(0, 64)
    a = tl.load(a_ptr + r[:, None] * 64 + k[None, :])
    b = tl.load(b_ptr + k[:, None] * 16 + r[None, :])
    tl.store(out_ptr + r[:, None] * 16 + r[None, :], tl.dot(a, b, input_precision="ieee"))


@triton.jit
def fp8_dot(a_ptr, b_ptr, out_ptr):  # float8 operands, K = 64: two wgmma steps of 32
    r, k = tl.arange(0, 16), tl.arange(0, 64)
    a = tl.load(a_ptr + r[:, None] * 64 + k[None, :]).to(tl.float8e4nv)
    b = tl.load(b_ptr + k[:, None] * 16 + r[None, :]).to(tl.float8e4nv)
    tl.store(out_ptr + r[:, None] * 16 + r[None, :], tl.dot(a, b))
    tl.store(out_ptr + 256 + r[:, None] * 16 + r[None, :], tl.dot(a, b, max_num_imprecise_acc=32))


@triton.jit
def fast_tie(out_ptr):  # argmax of 64 equal values, either index of a tie allowed
    tl.store(out_ptr, tl.argmax(tl.zeros((64,), tl.float32), 0, tie_break_left=False))


@triton.jit
def nan_argmax(out_ptr):  # 5.0 then NaNs: NumPy skips the NaNs, the compiled combine cannot
    r = tl.arange(0, 64)
    v = tl.where(r == 0, 5.0, float("nan"))
    tl.store(out_ptr, tl.argmax(v, 0))
    tl.store(out_ptr + 1, tl.argmax(tl.where(r == 63, 1.0, 0.0), 0))  # no NaN: the leftmost max


@triton.jit
def same_inputs(out_ptr):  # an approximate op is a function: equal inputs, equal results
    tl.store(out_ptr + tl.arange(0, 64), tl.exp(tl.full((64,), 0.3, tl.float32)))


@triton.jit
def zeros(k, out_ptr):  # the max/min of +0.0 and -0.0: either zero for maxnum, ordered for maximum
    p = tl.zeros((64,), tl.float32)
    m = p * (k.to(tl.float32) * -1.0)
    tl.store(out_ptr + tl.arange(0, 64), tl.maximum(p, m))
    tl.store(out_ptr + 64 + tl.arange(0, 64), tl.minimum(m, p))
    tl.store(out_ptr + 128 + tl.arange(0, 64), tl.maximum(m, p, propagate_nan=tl.PropagateNan.ALL))
    # tl.clamp(+0.0, -0.0, 1.0) in both NaN modes; tl.max and tl.min of +0.0s and -0.0s
    tl.store(out_ptr + 192 + tl.arange(0, 64), tl.clamp(p, m, p + 1.0))
    tl.store(
        out_ptr + 256 + tl.arange(0, 64),
        tl.clamp(p, m, p + 1.0, propagate_nan=tl.PropagateNan.ALL),
    )
    both = tl.where(tl.arange(0, 64) % 2 == 0, p, m)
    tl.store(out_ptr + 320, tl.max(both, axis=0))
    tl.store(out_ptr + 321, tl.min(both, axis=0))


def zero_signs(n):
    z = torch.zeros(322)
    with semantics.perturbed(0, n):
        zeros[(1,)](1, z)
    return torch.signbit(torch.cat([z[:320:64], z[320:]])).tolist()


@triton.jit
def reorder(out_ptr):  # reshapes and cats that may reorder, and one that may not
    r = tl.arange(0, 8)
    t = r[:, None] * 8 + r[None, :]
    flat = tl.reshape(t, (64,), can_reorder=True)
    tl.store(out_ptr + tl.arange(0, 64), flat)
    tl.store(out_ptr + 64 + tl.arange(0, 64), tl.reshape(t, (64,)))
    tl.store(out_ptr + 128 + tl.arange(0, 64), tl.cat(tl.arange(0, 32), tl.arange(32, 64), can_reorder=True))
    tl.store(out_ptr + 192, tl.sum(flat, axis=0))
    tl.store(out_ptr + 193 + tl.arange(0, 64), tl.reshape(t * 2, (64,), can_reorder=True))


def run():
    torch.manual_seed(0)
    out = {}
    z = torch.zeros(322)
    zeros[(1,)](1, z)
    out["zeros"] = torch.signbit(z[:192:64]).tolist()
    ro = torch.zeros(257, dtype=torch.int32)
    reorder[(1,)](ro)
    out["reorder"] = ro.tolist()
    o = torch.zeros(3, dtype=torch.int32)
    scan = torch.zeros(128, dtype=torch.int32)
    reduce_scan[(1,)](3, torch.tensor([2048.0, 1, 1, 1], dtype=torch.float16), o, scan)
    out["reduce"] = o.tolist() + [scan[127].item()]
    si, ui32 = torch.zeros(4, dtype=torch.int32), torch.zeros(4, dtype=torch.int32)
    to_int[(1,)](torch.tensor([1e10, float("nan"), -1e10, 3.7]), si, ui32)
    out["to_int"] = si.tolist() + [v & 0xFFFFFFFF for v in ui32.tolist()]
    xs, ys = torch.rand(1024) + 0.5, torch.rand(1024) + 0.5
    a = torch.zeros(3074)
    approx[(1,)](130, xs, ys, a)
    out["approx"] = a[:2].tolist()
    div, div_rn, ex = a[2:1026], a[1026:2050], a[2050:]
    out["div_ulps"] = ((div - div_rn).abs() / torch.finfo(torch.float32).eps / div_rn.abs()).max().item()
    out["div_differs"] = int((div != div_rn).sum())
    out["exp_rel"] = ((ex - xs.double().exp()).abs() / ex).max().item()
    m = torch.full((16, 16), 1 + 2**-20)
    d = torch.zeros(512)
    dots[(1,)](m, torch.ones(16, 16), d)
    out["dot"] = [d[0].item() - 16, d[256].item() - 16]
    r = torch.zeros(2)
    fma[(1,)](4097, r)
    out["fma"] = r.tolist()
    q = torch.zeros(2)
    frem[(1,)](10000, q)
    out["frem"] = q.tolist()
    q64 = torch.zeros(1, dtype=torch.float64)
    frem64[(1,)](10**18, q64)
    out["frem64"] = q64.item()
    third = torch.full((16, 16), 1 + 3 * 2**-13)  # big 1, small 3 * 2^-13: both exact in TF32
    d3 = torch.zeros(256)
    dot3[(1,)](third, d3)
    out["dot3"] = d3[0].item() - 16
    ds = torch.zeros(256)
    dot_steps[(1,)](torch.randn(16, 64), torch.randn(64, 16), ds)
    out["dot_steps"] = ds.tolist()
    # 16 * 16 at k = 0 and 2^-5 * 2^-5 at k = 32: 256 + 2^-10 needs 19 bits; then random codes.
    spike_a, spike_b = torch.zeros(16, 64), torch.zeros(64, 16)
    spike_a[:, 0], spike_a[:, 32], spike_b[0], spike_b[32] = 16, 2**-5, 16, 2**-5
    f8 = torch.zeros(512)
    fp8_dot[(1,)](spike_a, spike_b, f8)
    out["fp8_spike"] = [f8[0].item() - 256, f8[256].item() - 256]
    fp8_dot[(1,)](torch.randn(16, 64), torch.randn(64, 16), f8)
    out["fp8_random"] = f8[:256].tolist()
    mv = torch.zeros(4)
    fma_moved[(1,)](4097, mv)
    out["fma_moved"] = mv.tolist()
    na = torch.zeros(2, dtype=torch.int32)
    nan_argmax[(1,)](na)
    out["nan_argmax"] = na.tolist()
    e = torch.zeros(64)
    same_inputs[(1,)](e)
    out["same_inputs"] = len(set(e.tolist()))
    w = torch.zeros(2)
    widths[(1,)](2**27 + 1, w)
    out["widths"] = w.tolist()
    x64 = torch.rand(1024, dtype=torch.float64) + 0.5
    m = torch.zeros(2049, dtype=torch.float64)
    math_any[(1,)](100, x64, m)
    out["erf"] = m[0].item()
    out["exp64"] = m[1:1025].tolist()
    out["sqrt64"] = m[1025:].tolist()
    return out


def tree_sums(seeds):
    t, i = torch.zeros(1), torch.zeros(1, dtype=torch.int32)
    sums, ties = [], []
    for seed in seeds:
        with semantics.perturbed(seed, n=1 + seed % 8):
            tree4[(1,)](2**24, t)
            fast_tie[(1,)](i)
        sums.append(t.item() - 2**24)
        ties.append(i.item())
    fast_tie[(1,)](i)
    return sums, ties, i.item()


natural = run()
with semantics.perturbed(seed=1) as sem:
    perturbed = run()
print(json.dumps({"natural": natural, "perturbed": perturbed, "again": run(),
                  "applied": sorted(sem.applied), "skipped": sorted(sem.skipped),
                  "trees": tree_sums(range(40)), "zeros": [zero_signs(n) for n in (1, 2)]}))
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER],
        capture_output=True,
        text=True,
        cwd=tmp_path_factory.mktemp("semantics"),
        env={**os.environ, "TRITON_INTERPRET": "1"},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_every_perturbation_is_available_and_applied(runs):
    assert runs["skipped"] == []
    assert runs["applied"] == sorted(semantics.WHAT)


def test_the_interpreter_is_natural_again_after_the_replay(runs):
    assert runs["again"] == runs["natural"]


def test_reductions_and_scans_fold_as_a_tree(runs):
    nat, per = runs["natural"]["reduce"], runs["perturbed"]["reduce"]
    # a - b over 128 copies of 3: left to right -378; any tree puts other operands on the right.
    assert nat[0] == 3 - 127 * 3 and per[0] != nat[0]
    # An associative, non-commutative combine agrees: whatever the layout, the element at
    # index 0 stays the leftmost operand (lane 0's own, first register), as compiled.
    assert nat[1] == per[1] == 0
    # float16 [2048, 1, 1, 1]: NumPy adds in float32 (2052); in float16 as a tree, 2050 or 2048.
    assert nat[2] == 2052 and per[2] in (2048, 2050)
    assert nat[3] == 3 - 127 * 3 and per[3] != nat[3]  # the scan's last element


def test_the_reduction_order_reaches_the_compiled_butterfly(runs):
    # fp32 [2^24, 2, 1, 0] (the s23 round's dv19): left to right, and as adjacent pairs, 2^24 + 4;
    # the compiled 4-lane butterfly, ((x0 x2)(x1 x3)), 2^24 + 2. Over 40 replays both occur,
    # and nothing else: every draw is an order a compiled layout folds in.
    # The first perturbed replay (n = 1) always folds lanes first, as this tensor compiles.
    sums, _, _ = runs["trees"]
    assert set(sums) == {2.0, 4.0}
    assert sums[::8] == [2.0] * 5


def test_argmax_ties_without_tie_break_left_follow_the_compiled_combine(runs):
    # The fast combine keeps the right operand of a tie; in every fold order, as compiled, the
    # rightmost operand is the last element. NumPy's shortcut gives the leftmost.
    _, ties, natural = runs["trees"]
    assert natural == 0 and set(ties) == {63}


def test_a_product_moved_or_negated_still_contracts(runs):
    assert runs["natural"]["fma_moved"] == [0.0, 0.0, 0.0, 0.0]
    assert runs["perturbed"]["fma_moved"] == [2**-24, 2**-24, -(2**-24), -(2**-24)]


def test_mul_add_contracts_at_every_float_width(runs):
    assert runs["natural"]["widths"] == [0.0, 0.0]
    assert runs["perturbed"]["widths"] == [2**-54, 2**-12]  # fma.rn.f64, fma.rn.f16


def test_every_math_op_flushes_and_float64_moves_within_its_bound(runs):
    nat, per = runs["natural"], runs["perturbed"]
    assert nat["erf"] > 0 and per["erf"] == 0.0  # libdevice erff is built with FTZ
    nat64, per64 = np.array(nat["exp64"]), np.array(per["exp64"])
    assert set(np.round((per64 - nat64) / np.spacing(nat64)).tolist()) == {-1.0, 0.0, 1.0}
    assert per["sqrt64"] == nat["sqrt64"]  # sqrt.rn.f64 is exact


def test_a_float8_dot_keeps_fourteen_bits_unless_promoted(runs):
    nat, per = runs["natural"], runs["perturbed"]
    assert nat["fp8_spike"] == [2**-10, 2**-10]
    # Unset: the step at k = 32 adds 2^-10 to 256 in 14 bits and is lost; promoted every 32,
    # each step is added to a full float32 accumulator and kept.
    assert per["fp8_spike"] == [0.0, 2**-10]
    # An honest dot moves by truncation only: two steps, each below 2^-13 of a partial sum.
    n, p = np.array(nat["fp8_random"]), np.array(per["fp8_random"])
    assert 0 < np.abs(p - n).max() <= 2 * 2**-13 * 4 * np.abs(n).max()


def test_an_argmax_over_a_nan_folds_with_the_compiled_combine(runs):
    assert runs["natural"]["nan_argmax"] == [0, 63]
    per = runs["perturbed"]["nan_argmax"]
    assert per[0] != 0 and per[1] == 63


def test_float64_remainder_and_tf32x3_dots_are_lowered_as_compiled(runs):
    nat, per = runs["natural"], runs["perturbed"]
    assert nat["frem64"] == 1.0 and per["frem64"] == 64.0
    # Each product 1 + 6 * 2^-13 + 9 * 2^-26 rounds up by 2^-23 in float32; dropped in tf32x3.
    assert nat["dot3"] == 96 * 2**-13 + 2**-19 and per["dot3"] == 96 * 2**-13


def test_float_to_int_saturates(runs):
    nat, per = runs["natural"]["to_int"], runs["perturbed"]["to_int"]
    int_min, int_max = -(2**31), 2**31 - 1
    assert nat[:4] == [int_min, int_min, int_min, 3]  # NumPy's out-of-range cast
    assert per[:4] == [int_max, 0, int_min, 3]  # cvt.rzi: clamped, NaN -> 0
    assert per[4:] == [2**32 - 1, 0, 0, 3]


def test_approximate_ops_flush_subnormals_and_move_within_their_bound(runs):
    nat, per = runs["natural"], runs["perturbed"]
    assert all(v > 0 for v in nat["approx"]) and per["approx"] == [0.0, 0.0]
    assert nat["div_differs"] == 0 and 0 < per["div_differs"] < 1024
    assert per["div_ulps"] <= 2.0 + 1e-6  # div.full's 2 ulps; div_rn stays IEEE
    assert per["exp_rel"] < 3 * 2**-23
    assert per["same_inputs"] == 1


def test_a_tf32_dot_truncates_its_float32_operands(runs):
    nat, per = runs["natural"]["dot"], runs["perturbed"]["dot"]
    assert nat[0] == pytest.approx(16 * 2**-20) and per[0] == 0.0  # 2^-20 is below tf32's bits
    assert per[1] == nat[1] == pytest.approx(16 * 2**-20)  # ieee untouched


def test_a_dot_accumulates_in_steps_of_k(runs):
    nat, per = np.array(runs["natural"]["dot_steps"]), np.array(runs["perturbed"]["dot_steps"])
    assert not np.array_equal(nat, per)  # another order of K's additions
    assert np.abs(per - nat).max() < 1e-5 * np.abs(nat).max()  # by rounding only


def test_mul_add_contracts_into_one_rounding(runs):
    assert runs["natural"]["fma"] == [0.0, 0.0]
    assert runs["perturbed"]["fma"] == [2**-24, -(2**-24)]


def test_the_first_replay_is_natural_and_every_later_one_perturbed():
    assert [semantics.perturbed_replay(n) for n in range(4)] == [False, True, True, True]
    assert program_order.reversed_replay(0)  # the natural one still varies the program order


def test_float_remainder_is_lowered_as_the_compiler_does(runs):
    # 1e10 % 3: fmod is exact (1.0); div.rn, trunc and fma give 256.0. A small quotient agrees.
    assert runs["natural"]["frem"] == [1.0, 1.5]
    assert runs["perturbed"]["frem"] == [256.0, 1.5]


def test_the_min_max_of_signed_zeros_takes_either_sign(runs):
    # [maximum(+0, -0), minimum(-0, +0), maximum(-0, +0, propagate_nan=ALL)], True: -0.0.
    # NumPy's fmax/fmin return the second operand (on 64 lanes; its scalar loop the first);
    # a GPU's max.f32 orders -0.0 below +0.0.
    assert runs["natural"]["zeros"] == [True, False, False]
    # Odd replays: the GPU's order; even ones: the other zero for the maxnum forms.
    assert [z[:3] for z in runs["zeros"]] == [[False, True, False], [True, False, False]]


def test_clamp_and_min_max_reductions_of_signed_zeros_take_either_sign(runs):
    # [clamp(+0, -0, 1), the same with propagate_nan=ALL, tl.max and tl.min of +0s and -0s]:
    # np.fmax/np.fmin/np.clip return whichever operand their loop meets; compiled, the clamp is
    # a max and a min, the reductions a fold of them. Odd replays order -0.0 < +0.0; even ones
    # the other way for the maxnum forms (propagate_nan=ALL stays ordered, LLVM defines it).
    assert [z[3:] for z in runs["zeros"]] == [
        [False, False, False, True],
        [True, False, True, False],
    ]


def test_a_reshape_or_cat_that_may_reorder_is_permuted(runs):
    nat, per = runs["natural"]["reorder"], runs["perturbed"]["reorder"]
    order = list(range(64))
    assert nat[:64] == nat[64:128] == nat[128:192] == order  # NumPy keeps the order
    assert per[64:128] == order  # can_reorder=False: never moved
    for part in (per[:64], per[128:192]):
        assert part != order and sorted(part) == order  # a permutation, not the identity
    assert per[192] == nat[192] == sum(order)  # an order-insensitive use agrees
    assert per[193:] == [2 * v for v in per[:64]]  # one reshape of one shape, one order
