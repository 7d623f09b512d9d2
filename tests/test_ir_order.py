"""The canonical order of Triton IR (``evals/ir_order.py``): pure ops placed by their uses, so
that IR differing only in where a pure op stands compares equal, and nothing else does."""

from __future__ import annotations

import pytest

from conftest import kernel_ir, versions_differ
from kernelwright.evals.dead_lanes import canonical
from kernelwright.sandbox.launch_signature import int_spec

BLOCK = 16

KERNEL = """
import triton
import triton.language as tl


@triton.jit
def k(x_ptr, c_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    mask = offs < n
{body}
"""

X = "x = tl.load(x_ptr + offs, mask=mask, other=0.0).to(tl.float32)"
C = "c = tl.load(c_ptr + offs, mask=mask, other=0.0).to(tl.float32)"
TILE = "offs[:, None] * BLOCK + offs[None, :]"
MASK2 = "mask[:, None] & mask[None, :]"

# name -> (body, the same body changed, the same program). The float16 input `x` cast to
# float16 is x itself: where float32 is all it meets, the widening moves to the multiply.
PAIRS = {
    "cast_moved_to_its_use": (
        [X, C, "tl.store(out_ptr + offs, x * c - c, mask=mask)"],
        [X.replace("float32", "float16"), C, "tl.store(out_ptr + offs, x * c - c, mask=mask)"],
        True,
    ),
    "cast_moved_two_uses": (
        [X, C, "tl.store(out_ptr + offs, x * c + x * (c + 1.0), mask=mask)"],
        [
            X.replace("float32", "float16"),
            C,
            "tl.store(out_ptr + offs, x * c + x * (c + 1.0), mask=mask)",
        ],
        True,
    ),
    # The printer reuses names in sibling loops: each value is named by what it is.
    "cast_moved_in_a_second_loop": (
        [
            "acc = tl.zeros((BLOCK,), tl.float32)",
            "for i in range(0, n):",
            "    " + C.replace("c =", "acc +="),
            "for i in range(0, n):",
            "    " + X,
            "    tl.store(out_ptr + offs, x * acc, mask=mask)",
        ],
        [
            "acc = tl.zeros((BLOCK,), tl.float32)",
            "for i in range(0, n):",
            "    " + C.replace("c =", "acc +="),
            "for i in range(0, n):",
            "    " + X.replace("float32", "float16"),
            "    tl.store(out_ptr + offs, x * acc, mask=mask)",
        ],
        True,
    ),
    # Widened after the broadcast instead of before: a cast commutes with what only moves
    # elements.
    "cast_moved_past_a_broadcast": (
        [X, C, f"tl.store(out_ptr + {TILE}, x[:, None] * c[None, :], mask={MASK2})"],
        [
            X.replace("float32", "float16"),
            C,
            f"tl.store(out_ptr + {TILE}, x[:, None] * c[None, :], mask={MASK2})",
        ],
        True,
    ),
    # float16 arithmetic: x * x rounds to float16 before it widens.
    "float16_arithmetic": (
        [X, "tl.store(out_ptr + offs, x * x, mask=mask)"],
        [X.replace("float32", "float16"), "tl.store(out_ptr + offs, x * x, mask=mask)"],
        False,
    ),
    "operands_swapped": (
        [X, C, "tl.store(out_ptr + offs, x - c, mask=mask)"],
        [X, C, "tl.store(out_ptr + offs, c - x, mask=mask)"],
        False,
    ),
    # Both stores write the same addresses: the last one's value stays.
    "stores_swapped": (
        [
            X,
            "tl.store(out_ptr + offs, x, mask=mask)",
            "tl.store(out_ptr + offs, x * 2.0, mask=mask)",
        ],
        [
            X,
            "tl.store(out_ptr + offs, x * 2.0, mask=mask)",
            "tl.store(out_ptr + offs, x, mask=mask)",
        ],
        False,
    ),
    # A pure op never moves into or out of a loop: the same values, yet not claimed.
    "moved_into_a_loop": (
        [
            X,
            "y = x * 2.0",
            "for i in range(0, n):",
            "    tl.store(out_ptr + offs, y + i, mask=mask)",
        ],
        [
            X,
            "for i in range(0, n):",
            "    tl.store(out_ptr + offs, x * 2.0 + i, mask=mask)",
        ],
        False,
    ),
}


def _source(body: list[str]) -> str:
    return KERNEL.format(body="\n".join("    " + b for b in body))


def _ir(source: str) -> str:
    f16 = {"kind": "tensor", "dtype": "fp16", "aligned": True}
    f32 = {"kind": "tensor", "dtype": "fp32", "aligned": True}
    args = {"x_ptr": f16, "c_ptr": f16, "out_ptr": f32, "n": int_spec(13)}
    args["BLOCK"] = {"kind": "constexpr", "value": BLOCK}
    return kernel_ir(source, {"kernel": "k", "args": args, "options": {"num_warps": 4}})


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_only_where_a_pure_op_stands_is_set_aside(name):
    a_body, b_body, same = PAIRS[name]
    a, b = _ir(_source(a_body)), _ir(_source(b_body))
    assert a != b  # the compiler alone cannot tell them
    assert (canonical(a)[0] == canonical(b)[0]) is same, name


RUNS = """
for n in (0, 5, BLOCK):
    g = torch.Generator().manual_seed(n)
    x = (torch.randn(BLOCK, generator=g) * 300).half()
    c = torch.randn(BLOCK, generator=g).half()
    out = torch.full((BLOCK * BLOCK,), -7.0)
    mod.k[(1,)](x, c, out, n, BLOCK=BLOCK)
    runs.append(out.view(torch.int32))
"""


def test_running_both_versions_differs_exactly_where_the_programs_do():
    """Every pair set aside as the same program computes the same bits in the interpreter,
    and every pair of different programs but the loop one (the same values, not claimed)
    differs on some input, or the test does not test the rule."""
    pairs = {name: [_source(a), _source(b)] for name, (a, b, _) in PAIRS.items()}
    differs = {name: d for name, (d,) in versions_differ(pairs, BLOCK, RUNS).items()}
    for name, (_, _, same) in PAIRS.items():
        if name != "moved_into_a_loop":
            assert differs[name] is not same, name
    assert differs["moved_into_a_loop"] is False


def test_an_integer_division_nothing_reads_is_kept():
    # Undefined on a zero divisor: not shown harmless, so it is neither moved nor dropped.
    head = (
        "module {\n  tt.func public @k(%arg0: i32, %arg1: i32, %arg2: !tt.ptr<i32>) {\n"
        "    %0 = arith.addi %arg0, %arg1 : i32\n"
    )
    tail = "    tt.store %arg2, %0 : !tt.ptr<i32>\n    tt.return\n  }\n}\n"
    divided = head + "    %1 = arith.divsi %arg0, %arg1 : i32\n" + tail
    added = head + "    %1 = arith.muli %arg0, %arg1 : i32\n" + tail
    assert canonical(divided)[0] != canonical(head + tail)[0]
    assert canonical(added)[0] == canonical(head + tail)[0]


def test_a_cast_commutes_only_with_moves_that_keep_a_fixed_order():
    def ir(body: str) -> str:
        return (
            "module {\n  tt.func public @k(%arg0: tensor<4xf16>, %arg1: tensor<2x2x!tt.ptr<f32>>) {\n"
            f"{body}"
            "    tt.store %arg1, %1 : tensor<2x2x!tt.ptr<f32>>\n    tt.return\n  }\n}\n"
        )

    def pair(attr: str) -> tuple[str, str]:
        moved_then_cast = ir(
            f"    %0 = tt.reshape %arg0{attr} : tensor<4xf16> -> tensor<2x2xf16>\n"
            "    %1 = arith.extf %0 : tensor<2x2xf16> to tensor<2x2xf32>\n"
        )
        cast_then_moved = ir(
            "    %0 = arith.extf %arg0 : tensor<4xf16> to tensor<4xf32>\n"
            f"    %1 = tt.reshape %0{attr} : tensor<4xf32> -> tensor<2x2xf32>\n"
        )
        return canonical(moved_then_cast)[0], canonical(cast_then_moved)[0]

    a, b = pair("")
    assert a == b
    # The compiler may order the elements of this reshape as it likes, each time anew.
    a, b = pair(" allow_reorder")
    assert a != b
