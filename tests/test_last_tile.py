"""The last-trip proof (``evals/last_tile.py``): a tile loop's masked load whose masked-off
lanes exist only in the loop's last trip, feeding a forward scan or a running total that
nothing reads after the loop. Every case it refuses that an input can expose is exposed by
running both versions in Triton's interpreter, and no proven case ever differs."""

from __future__ import annotations

import pytest

from conftest import kernel_ir, versions_differ
from kernelwright.evals.dead_lanes import PLACEHOLDER, canonical
from kernelwright.sandbox.launch_signature import int_spec

BLOCK = 16

KERNEL = """
import triton
import triton.language as tl


@triton.jit
def k(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    carry = tl.zeros((BLOCK,), tl.float32)
    for start in range(0, n, STEP):
        mask = start + offs < n
        x = tl.load(x_ptr + start + offs, mask=mask, other=OTHER)
{body}
"""

SCAN = "tl.store(out_ptr + start + offs, tl.cumsum(x, axis=0) + carry, mask=mask)"
CARRY = "carry += tl.sum(x, axis=0)"

# name -> (the loop body after the load, what follows the loop, the loop's step; proven).
CASES = {
    "cumsum_with_carry": ([SCAN, CARRY], [], "BLOCK", True),
    "running_max_never_read": (
        ["tl.store(out_ptr + start + offs, x * 2.0, mask=mask)", "carry += tl.max(x, axis=0)"],
        [],
        "BLOCK",
        True,
    ),
    "carry_read_after_the_loop": (
        [SCAN, CARRY],
        ["tl.store(out_ptr + n + offs, carry)"],
        "BLOCK",
        False,
    ),
    # Trips overlap: a trip that masks lanes off is not the last one.
    "step_below_the_tile": ([SCAN, CARRY], [], "BLOCK // 2", False),
    "reverse_scan": (
        [
            "tl.store(out_ptr + start + offs, tl.cumsum(x, axis=0, reverse=True), mask=mask)",
            CARRY,
        ],
        [],
        "BLOCK",
        False,
    ),
    "total_stored_in_the_loop": (
        ["tl.store(out_ptr + start + offs, x, mask=mask)", "tl.store(out_ptr + n + 1, tl.sum(x))"],
        [],
        "BLOCK",
        False,
    ),
}


def _source(body: list[str], after: list[str], step: str, other: str) -> str:
    text = KERNEL.format(body="\n".join(" " * 8 + b for b in body)) + "".join(
        " " * 4 + a + "\n" for a in after
    )
    return text.replace("OTHER", other).replace("STEP", step)


def _ir(source: str) -> str:
    tensor = {"kind": "tensor", "dtype": "fp32", "aligned": True}
    args = {"x_ptr": tensor, "out_ptr": tensor, "n": int_spec(37)}
    args["BLOCK"] = {"kind": "constexpr", "value": BLOCK}
    return kernel_ir(source, {"kernel": "k", "args": args, "options": {"num_warps": 4}})


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_proof_holds_exactly_where_only_the_last_trip_masks_lanes_off(name):
    body, after, step, proven = CASES[name]
    a = _ir(_source(body, after, step, "0.0"))
    b = _ir(_source(body, after, step, "1.0"))
    assert a != b  # the compiler alone cannot tell them
    assert (canonical(a)[0] == canonical(b)[0]) is proven, name
    assert (PLACEHOLDER in canonical(a)[0]) is proven


RUNS = """
for n in (0, 5, 13, BLOCK, 37, 3 * BLOCK):
    g = torch.Generator().manual_seed(n)
    x = torch.randn(4 * BLOCK, generator=g)
    out = torch.full((8 * BLOCK,), -7.0)
    mod.k[(1,)](x, out, n, BLOCK=BLOCK)
    runs.append(out.view(torch.int32))
"""


def test_running_both_versions_exposes_every_refused_case_and_no_proven_one():
    """Each case run with other=0.0, 1.0 and NaN over sizes that leave lanes masked off and
    not; a proven case must never differ, and a refused one must, or the test does not test
    the rule."""
    cases = {
        name: [_source(body, after, step, o) for o in ("0.0", "1.0", 'float("nan")')]
        for name, (body, after, step, _) in CASES.items()
    }
    differs = {name: any(d) for name, d in versions_differ(cases, BLOCK, RUNS).items()}
    for name, (*_, proven) in CASES.items():
        assert differs[name] is not proven, name
