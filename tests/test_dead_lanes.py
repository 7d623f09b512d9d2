"""The dead-lane proof (``evals/dead_lanes.py``): a masked load's ``other`` is set aside only
where no lane it masks off can reach memory, and every case it refuses that an input can
expose is exposed by running both versions in Triton's interpreter."""

from __future__ import annotations

import re

import pytest

from conftest import kernel_ir, versions_differ
from kernelwright.evals.dead_lanes import PLACEHOLDER, canonical, small_other_variants
from kernelwright.sandbox.launch_signature import int_spec

BLOCK = 16

KERNEL = """
import triton
import triton.language as tl


@triton.jit
def k(x_ptr, y_ptr, out_ptr, n, m, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    mask = offs < n
{body}
"""

X = "x = tl.load(x_ptr + offs, mask=mask, other=OTHER)"
TILE = "offs[:, None] * BLOCK + offs[None, :]"
MASK2 = "mask2 = (offs[:, None] < n) & (offs[None, :] < m)"
X2 = f"x2 = tl.load(x_ptr + {TILE}, mask=mask2, other=OTHER)"

# name -> (the kernel's body, whose loads take other=OTHER; proven dead). Every unproven case
# has an input that tells other=0.0 from other=1.0 apart.
CASES = {
    "store_same_mask": ([X, "tl.store(out_ptr + offs, x * 2.0 + 1.0, mask=mask)"], True),
    "where_then_sum": (
        [X, "tl.store(out_ptr, tl.sum(tl.where(mask, tl.exp(x) * x, 0.0), axis=0))"],
        True,
    ),
    "store_narrower_mask": (
        [X, "tl.store(out_ptr + offs, tl.sqrt(tl.abs(x)), mask=mask & (offs < m))"],
        True,
    ),
    "store_2d_narrower_mask": (
        [MASK2, X2, f"tl.store(out_ptr + {TILE}, x2 * 3.0, mask=mask2 & (offs[:, None] > 0))"],
        True,
    ),
    # The masked-off lanes keep x, and exactly those lanes are not stored.
    "where_on_false_side_then_store": (
        [
            X,
            "y = tl.where(mask, 0.0, x).to(tl.float16).to(tl.float32)",
            "tl.store(out_ptr + offs, y, mask=mask)",
        ],
        True,
    ),
    # The value picks the address; the lanes it is wrong on write nothing.
    "value_in_the_address": (
        [X, "tl.store(out_ptr + offs + (x > 0.5).to(tl.int32) * BLOCK, 1.0, mask=mask)"],
        True,
    ),
    "sum": ([X, "tl.store(out_ptr, tl.sum(x, axis=0))"], False),
    "max": ([X, "tl.store(out_ptr, tl.max(x, axis=0))"], False),
    "reverse_scan": (
        [X, "tl.store(out_ptr + offs, tl.cumsum(x, axis=0, reverse=True), mask=mask)"],
        False,
    ),
    "flip": ([X, "tl.store(out_ptr + offs, tl.flip(x, 0), mask=mask)"], False),
    "store_other_mask": ([X, "tl.store(out_ptr + offs, x, mask=offs < m)"], False),
    "store_unmasked": ([X, "tl.store(out_ptr + offs, x + 1.0)"], False),
    "store_under_part_of_the_mask": (
        [MASK2, X2, f"tl.store(out_ptr + {TILE}, x2, mask=offs[:, None] < n)"],
        False,
    ),
    "where_other_condition": (
        [X, "tl.store(out_ptr + offs, tl.where(offs < m, x, 0.0))"],
        False,
    ),
    "where_tainted_on_both_sides": (
        [X, "tl.store(out_ptr + offs, tl.where(mask, x, x * 2.0), mask=offs < m)"],
        False,
    ),
    "broadcast": (
        [
            X,
            "xb = x[:, None] + tl.zeros((BLOCK, BLOCK), tl.float32)",
            f"tl.store(out_ptr + {TILE}, xb, mask=mask[None, :])",
        ],
        False,
    ),
    "loop_carried": (
        [
            "acc = tl.zeros((BLOCK,), tl.float32)",
            "for i in range(0, m):",
            "    acc += tl.load(x_ptr + offs + i, mask=offs + i < n, other=OTHER)",
            "tl.store(out_ptr + offs, acc, mask=mask)",
        ],
        False,
    ),
    "dot": (
        [
            f"a = tl.load(x_ptr + {TILE}, mask=offs[None, :] < n, other=OTHER)",
            f"b = tl.load(y_ptr + {TILE})",
            f"tl.store(out_ptr + {TILE}, tl.dot(a, b), mask=offs[:, None] < n)",
        ],
        False,
    ),
    # By position (``lane_axes``): rows and columns masked off stay rows and columns.
    "dot_rows_stored_under_the_row_mask": (
        [
            f"a = tl.load(x_ptr + {TILE}, mask=offs[:, None] < n, other=OTHER)",
            f"b = tl.load(y_ptr + {TILE})",
            f"tl.store(out_ptr + {TILE}, tl.dot(a, b), mask=offs[:, None] < n)",
        ],
        True,
    ),
    "dot_columns_sent_to_minus_inf_then_row_max": (
        [
            f"a = tl.load(y_ptr + {TILE})",
            f"b = tl.load(x_ptr + {TILE}, mask=offs[None, :] < n, other=OTHER)",
            'qk = tl.where(offs[None, :] < n, tl.dot(a, b), float("-inf"))',
            "tl.store(out_ptr + offs, tl.max(qk, axis=1))",
        ],
        True,
    ),
    "row_sums_stored_under_the_row_mask": (
        [
            f"x2 = tl.load(x_ptr + {TILE}, mask=offs[:, None] < n, other=OTHER)",
            "tl.store(out_ptr + offs, tl.sum(x2 * x2, axis=1), mask=mask)",
        ],
        True,
    ),
    "rows_carried_through_a_loop": (
        [
            f"x2 = tl.load(x_ptr + {TILE}, mask=offs[:, None] < n, other=OTHER)",
            "acc = tl.zeros((BLOCK, BLOCK), tl.float32)",
            "for i in range(0, m):",
            "    acc = acc * 0.5 + tl.exp(x2)",
            f"tl.store(out_ptr + {TILE}, acc, mask=offs[:, None] < n)",
        ],
        True,
    ),
    # Cleared by the where, the value is clean: a clean scalar may go anywhere.
    "rows_cleared_then_a_clean_scalar_everywhere": (
        [
            f"a = tl.load(x_ptr + {TILE}, mask=offs[:, None] < n, other=OTHER)",
            f"c = tl.where(offs[:, None] < n, tl.dot(a, tl.load(y_ptr + {TILE})), 0.0)",
            "t = tl.sum(tl.sum(c, axis=1), axis=0)",
            "tl.store(out_ptr + offs, t + offs.to(tl.float32))",
        ],
        True,
    ),
    "sum_along_the_masked_axis": (
        [
            f"x2 = tl.load(x_ptr + {TILE}, mask=offs[:, None] < n, other=OTHER)",
            "tl.store(out_ptr + offs, tl.sum(x2, axis=0))",
        ],
        False,
    ),
    "dot_rows_stored_under_another_mask": (
        [
            f"a = tl.load(x_ptr + {TILE}, mask=offs[:, None] < n, other=OTHER)",
            f"b = tl.load(y_ptr + {TILE})",
            f"tl.store(out_ptr + {TILE}, tl.dot(a, b), mask=offs[None, :] < n)",
        ],
        False,
    ),
}

# Proven for an `other` in [+0, 1] only (``small_other_variants``): the masked-off lanes meet
# a factor that is zero there. Run with 0.0, 1.0 and NaN: 0.0 and 1.0 never differ; NaN
# does (0 * NaN), which is why neither is the lane-wise or positional proof.
K_MASKED_A = f"a = tl.load(x_ptr + {TILE}, mask=offs[None, :] < n, other=OTHER)"
SMALL_CASES = {
    "dot_k_against_a_zero_partner": (
        [
            K_MASKED_A,
            f"b = tl.load(y_ptr + {TILE}, mask=offs[:, None] < n, other=0.0)",
            f"tl.store(out_ptr + {TILE}, tl.dot(a, b))",
        ],
        True,
    ),
    "times_exp2_of_a_minus_inf_other": (
        [
            'mm = tl.load(y_ptr + offs, mask=mask, other=float("-inf"))',
            X,
            "tl.store(out_ptr, tl.sum(x * tl.exp2(mm - tl.max(mm, axis=0)), axis=0))",
        ],
        True,
    ),
    # Attention's p @ v: p is exp2 of scores sent to -inf past the sequence.
    "dot_k_against_exp2_of_a_where": (
        [
            f"s = tl.where(offs[None, :] < n, tl.load(y_ptr + {TILE}), float('-inf'))",
            "p = tl.exp2(s - tl.max(s, axis=1)[:, None])",
            f"v = tl.load(x_ptr + {TILE}, mask=offs[:, None] < n, other=OTHER)",
            f"tl.store(out_ptr + {TILE}, tl.dot(p, v))",
        ],
        True,
    ),
    "dot_k_against_a_partner_that_is_not_zero": (
        [
            K_MASKED_A,
            f"b = tl.load(y_ptr + {TILE}, mask=offs[:, None] < n, other=0.5)",
            f"tl.store(out_ptr + {TILE}, tl.dot(a, b))",
        ],
        False,
    ),
    "times_exp2_of_a_zero_other": (
        [
            "mm = tl.load(y_ptr + offs, mask=mask, other=0.0)",
            X,
            "tl.store(out_ptr, tl.sum(x * tl.exp2(mm - tl.max(mm, axis=0)), axis=0))",
        ],
        False,
    ),
    # Each is the other's zero partner: with both `other`s changed, neither product is 0.
    "two_partners_changed_together": (
        [
            K_MASKED_A,
            f"b = tl.load(y_ptr + {TILE}, mask=offs[:, None] < n, other=OTHER)",
            f"tl.store(out_ptr + {TILE}, tl.dot(a, b))",
        ],
        False,
    ),
}

# Lane-wise, stored under the mask, and still not proven: 100 // 0 on a lane the load masked
# off is undefined behaviour in the compiled kernel, not a lane nobody reads.
INT_DIV = [X, "tl.store(out_ptr + offs, 100 // x, mask=mask)"]


def _source(body: list[str], other: str) -> str:
    return KERNEL.format(body="\n".join("    " + b for b in body)).replace("OTHER", other)


def _record(dtype: str = "fp32") -> dict:
    tensor = {"kind": "tensor", "dtype": dtype, "aligned": True}
    return {
        "kernel": "k",
        "args": {
            "x_ptr": tensor,
            "y_ptr": {"kind": "tensor", "dtype": "fp32", "aligned": True},
            "out_ptr": {"kind": "tensor", "dtype": "fp32", "aligned": True},
            "n": int_spec(13),
            "m": int_spec(3),
            "BLOCK": {"kind": "constexpr", "value": BLOCK},
        },
        "options": {"num_warps": 4},
    }


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_proof_holds_exactly_where_no_masked_lane_reaches_memory(name):
    body, proven = CASES[name]
    a = kernel_ir(_source(body, "0.0"), _record())
    b = kernel_ir(_source(body, "1.0"), _record())
    assert a != b  # the compiler alone cannot tell them
    same = canonical(a)[0] == canonical(b)[0]
    assert same is proven, name
    assert (PLACEHOLDER in canonical(a)[0]) is proven
    assert canonical(a)[1] == (_masked_loads(a) if proven else [])


def _masked_loads(ir: str) -> list[int]:
    return [i + 1 for i, text in enumerate(ir.splitlines()) if _MASKED_LOAD.search(text)]


_MASKED_LOAD = re.compile(r"tt\.load %[\w.]+, %[\w.]+, %")


@pytest.mark.parametrize("name", sorted(SMALL_CASES))
def test_a_small_other_is_set_aside_exactly_where_it_meets_only_zeros(name):
    body, proven = SMALL_CASES[name]
    a = kernel_ir(_source(body, "0.0"), _record())
    b = kernel_ir(_source(body, "1.0"), _record())
    assert a != b and canonical(a)[0] != canonical(b)[0]
    shared = small_other_variants(a).keys() & small_other_variants(b).keys()
    assert bool(shared) is proven, name
    # Never for an `other` outside [+0, 1].
    nan = kernel_ir(_source(body, 'float("nan")'), _record())
    assert not small_other_variants(a).keys() & small_other_variants(nan).keys()


def test_integer_division_is_not_lane_wise_for_the_proof():
    a = kernel_ir(_source(INT_DIV, "0"), _record("i32"))
    b = kernel_ir(_source(INT_DIV, "1"), _record("i32"))
    assert a != b and canonical(a)[0] != canonical(b)[0]
    # The same kernel with a float divide is proven.
    divf = [line.replace("100 //", "100.0 /") for line in INT_DIV]
    fa, fb = kernel_ir(_source(divf, "0.0"), _record()), kernel_ir(_source(divf, "1.0"), _record())
    assert fa != fb and canonical(fa)[0] == canonical(fb)[0]


RUNS = """
for n in (0, 5, 13, BLOCK):
    for m in (0, 3, n + 3, BLOCK):
        g = torch.Generator().manual_seed(n * 100 + m)
        x = torch.randn(2 * BLOCK * BLOCK, generator=g)
        y = torch.randn(BLOCK * BLOCK, generator=g)
        out = torch.full((4 * BLOCK * BLOCK,), -7.0)
        mod.k[(1,)](x, y, out, n, m, BLOCK=BLOCK)
        runs.append(torch.cat([out, y]).view(torch.int32))
"""


def test_running_both_versions_exposes_every_refused_case_and_no_proven_one():
    """The attack on the proof: each case run with other=0.0 and other=float('nan') (and
    1.0) over sizes that leave lanes masked off and not; a proven case must never differ,
    and a refused one (but integer division) must, or the test does not test the rule."""
    cases = {
        name: [_source(body, o) for o in ("0.0", "1.0", 'float("nan")')]
        for name, (body, _) in {**CASES, **SMALL_CASES}.items()
    }
    differs = versions_differ(cases, BLOCK, RUNS)
    for name, (_, proven) in CASES.items():
        assert any(differs[name]) is not proven, name
    for name, (_, proven) in SMALL_CASES.items():
        one, nan = differs[name]
        assert one is not proven, name
        assert nan, name  # the class matters: a NaN `other` is seen


HEAD = """module {
  tt.func public @k(%arg0: tensor<4x!tt.ptr<f32>>, %arg1: tensor<4xi1>, %arg2: i32) attributes {noinline = false} {
    %c0_i32 = arith.constant 0 : i32
    %c1_i32 = arith.constant 1 : i32
    %cst = arith.constant dense<0.000000e+00> : tensor<4xf32>
"""
TAIL = """    tt.return
  }
}
"""
STORED = """      %0 = tt.load %arg0, %arg1, %cst : tensor<4x!tt.ptr<f32>>
      tt.store %arg0, %0, %arg1 : tensor<4x!tt.ptr<f32>>
"""
REDUCED = """      %0 = tt.load %arg0, %arg1, %cst : tensor<4x!tt.ptr<f32>>
      %1 = "tt.reduce"(%0) <{axis = 0 : i32}> ({
      ^bb0(%arg4: f32, %arg5: f32):
        %2 = arith.addf %arg4, %arg5 : f32
        tt.reduce.return %2 : f32
      }) : (tensor<4xf32>) -> f32
"""
LOOP = "    scf.for %arg3 = %c0_i32 to %arg2 step %c1_i32  : i32 {\n"


def _loops(*bodies: str) -> str:
    return HEAD + "".join(LOOP + b + "    }\n" for b in bodies) + TAIL


def _load_lines(ir: str) -> list[int]:
    return [i + 1 for i, text in enumerate(ir.splitlines()) if "tt.load" in text]


def test_a_name_the_printer_reuses_in_a_sibling_region_is_another_value():
    # Both loop bodies define %0: each load is judged by its own uses only.
    ir = _loops(STORED, REDUCED)
    assert canonical(ir)[1] == _load_lines(ir)[:1]
    ir = _loops(REDUCED, STORED)
    assert canonical(ir)[1] == _load_lines(ir)[1:]


def test_an_op_the_proof_does_not_know_leaves_the_load_unproven():
    ir = _loops(STORED.replace("tt.store %arg0, %0,", "tt.store_v2 %arg0, %0,"))
    assert canonical(ir)[1] == []
    # Nor is anything proven in IR whose regions do not balance; it is still compared.
    broken = _loops(STORED) + "}\n"
    assert canonical(broken)[1] == [] and canonical(broken)[0] != canonical(_loops(STORED))[0]


def test_renaming_keeps_result_numbers_and_string_literals():
    multi = HEAD + (
        '    %0:2 = "tt.pair"() : () -> (tensor<4xf32>, tensor<4xf32>)\n'
        "    tt.store %arg0, %0#0, %arg1 : tensor<4x!tt.ptr<f32>>\n"
    )
    other = multi.replace("%0#0", "%0#1")
    assert canonical(multi + TAIL)[0] != canonical(other + TAIL)[0]
    printed = HEAD + '    tt.print " %d" {hex = false, isSigned = array<i32: 1>} : \n'
    assert canonical(printed + TAIL)[0] != canonical(printed.replace("%d", "%s") + TAIL)[0]
    # Names alone do not matter.
    renamed = _loops(STORED).replace("%cst", "%cst_7").replace("%0", "%9")
    assert canonical(renamed)[0] == canonical(_loops(STORED))[0]
