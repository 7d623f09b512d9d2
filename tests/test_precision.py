"""Precision judged against a float64 reference, with the declared atol/rtol as outer bound."""

from __future__ import annotations

import torch

from conftest import CANDIDATES, TESTS
from kernelwright.sandbox.pool import Job
from kernelwright.sandbox.verify import PRECISION_FACTOR, compare, precision, reduction_length

ADD = TESTS / "problems" / "vector_add.py"


def _matmul(a, b, dtype):
    return (a.to(dtype) @ b.to(dtype)).to(torch.float32)


def test_lower_precision_inside_a_float32_op_fails_another_summation_order_passes():
    torch.manual_seed(0)
    a, b = torch.randn(64, 512), torch.randn(512, 48)
    ref = a @ b
    ref64 = a.double() @ b.double()
    # Another order: the K loop in blocks of 32, summed last to first.
    blocks = [a[:, k : k + 32] @ b[k : k + 32] for k in range(0, 512, 32)]
    reordered = torch.stack(blocks[::-1]).sum(0)
    assert precision(reordered, ref, ref64).ok
    half = _matmul(a, b, torch.float16)
    assert torch.allclose(half, ref, atol=1e-1, rtol=1e-2)  # a loose tolerance passes it...
    cmp = precision(half, ref, ref64)
    assert not cmp.ok and cmp.mismatch["ratio"] > 10 * PRECISION_FACTOR  # ...this does not
    assert "lower precision than float32" in cmp.detail


def test_a_scalar_reduced_in_another_order_is_not_refused_for_rounding():
    torch.manual_seed(1)
    x, y = torch.randn(30, 500), torch.randn(30, 500)
    ref = ((x - y) ** 2).mean()
    ref64 = ((x.double() - y.double()) ** 2).mean()
    n = reduction_length([x, y], ref)
    assert n == 2 * x.numel()  # every input element feeds the one output
    # Atomics: block partial sums landing in a scrambled order, added one after another.
    parts = ((x - y) ** 2 / x.numel()).flatten().split(512)
    acc = torch.zeros((), dtype=torch.float32)
    for k in torch.randperm(len(parts)).tolist():
        acc = acc + parts[k].sum()
    assert acc.dim() == 0
    assert precision(acc, ref, ref64, n).ok
    # ...but a scalar that went through fp16 is refused.
    assert not precision(ref.half().float(), ref, ref64, n).ok


def test_outputs_without_a_float64_reference_or_of_zero_pass_to_atol():
    r = torch.zeros(10)
    assert precision(r + 1e-9, r, r.double()).ok
    assert precision(r, r, None).ok


def test_fp16_inside_a_float32_problem_fails_the_check(pool):
    code = (CANDIDATES / "coverage" / "fp16_inside_fp32.py").read_text()
    outcome = pool.evaluate(Job(problem=ADD, code=code, shape="small"))
    assert outcome.status.value == "incorrect", outcome.message
    # Most seeds pass the declared atol/rtol and fail only the float64 test; on some, fp16's
    # rounding crosses the declared tolerance too. Either way the message names the precision.
    failed = [c.name for c in outcome.checks if not c.passed]
    assert any("precision vs float64" in name for name in failed) or (
        "keep loads, accumulators and intermediate values in tl.float32" in outcome.message
    ), outcome.message


def test_every_output_is_judged_against_float64(pool):
    code = (CANDIDATES / "broken" / "correct.py").read_text()
    outcome = pool.evaluate(Job(problem=ADD, code=code, shape="small"))
    assert outcome.correct, outcome.message
    prec = [c for c in outcome.checks if "precision vs float64" in c.name]
    assert len(prec) == 7 and all(c.passed for c in prec)


def test_a_scan_carried_across_blocks_passes_where_torch_accumulates_in_double():
    torch.manual_seed(2)
    x = torch.randn(5, 3000)
    ref, ref64 = x.cumsum(1), x.double().cumsum(1)
    n = reduction_length([x], ref)
    assert n == 3000  # the longest axis: a scan's sums run along it
    # A kernel's scan: within blocks of 1024, then each block's carry added in fp32.
    blocks, carry = [], torch.zeros(5, 1)
    for b in x.split(1024, dim=1):
        scanned = b.cumsum(1) + carry
        blocks.append(scanned)
        carry = scanned[:, -1:]
    assert precision(torch.cat(blocks, 1), ref, ref64, n).ok
    assert not precision(x.half().cumsum(1).float(), ref, ref64, n).ok


def test_one_number_has_no_variation_to_follow():
    """A 0-d loss is judged by the tolerances and the precision rule; the rule that an output
    must follow the reference's variation (a constant passes a loose tolerance) needs more
    than one element to mean anything."""
    torch.manual_seed(2)
    x, y = 100 * torch.randn(30, 500), 100 * torch.randn(30, 500)  # inputs x100 (scaled_up)
    ref = ((x - y) ** 2).mean()
    # 2e-6 relative: what summing its 15,000 terms in float32 in another order typically
    # costs (about sqrt(n) float32 roundings), and 4x the old floor of 4 roundings.
    acc = ref * (1 + 2e-6)
    assert acc != ref
    assert compare(acc, ref, atol=1e-5, rtol=1e-5).ok
    varying = torch.linspace(1.0, 2.0, 64)
    assert not compare(torch.full_like(varying, 1.5), varying, atol=1.0, rtol=1.0).ok
