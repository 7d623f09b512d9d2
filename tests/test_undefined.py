"""Operations whose compiled result is undefined, refused in the trusted replay (undefined.py):
lanes of one store writing different values to one address, integer division by zero. Lanes
storing one value to one address (a broadcast scalar) stay legitimate."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import TESTS
from kernelwright.sandbox.pool import Job
from kernelwright.sandbox.undefined import conflicting_lanes

VECTOR_ADD = TESTS / "problems" / "vector_add.py"

ADD = """import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def add_kernel(x_ptr, y_ptr, out_ptr, n, z, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    y = tl.load(y_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, x + y, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x, y):
        out = torch.empty_like(x)
        n = x.numel()
        add_kernel[(triton.cdiv(n, 256),)](x, y, out, n, 1, BLOCK=256)
        return out
"""
STORE = "    tl.store(out_ptr + offs, x + y, mask=mask)\n"


def _variant(before_store: str) -> str:
    return ADD.replace(STORE, before_store + STORE)


# --- the check itself, on addresses and values ---------------------------------------------


def test_distinct_addresses_never_conflict():
    p = np.arange(0, 64, 4, dtype=np.uint64)
    assert conflicting_lanes(p, np.arange(16, dtype=np.float32), None) == 0
    assert conflicting_lanes(p[::-1], np.arange(16, dtype=np.float32), None) == 0


def test_one_address_with_different_values_conflicts_and_equal_values_do_not():
    p = np.array([8, 0, 8, 4, 8], dtype=np.uint64)
    assert conflicting_lanes(p, np.array([1, 2, 3, 4, 5], dtype=np.float32), None) == 1
    assert conflicting_lanes(p, np.array([1, 2, 1, 4, 1], dtype=np.float32), None) == 0
    assert conflicting_lanes(p, np.float32(7), None) == 0  # a scalar broadcast
    # Bits, not values: -0.0 and 0.0 are two results.
    assert conflicting_lanes(p, np.array([0, 2, -0.0, 4, 0], dtype=np.float32), None) == 1


def test_masked_off_lanes_do_not_count():
    p = np.array([[0, 0], [4, 4]], dtype=np.uint64)
    v = np.array([[1, 2], [3, 3]], dtype=np.int32)
    assert conflicting_lanes(p, v, np.array([[True, False], [True, True]])) == 0
    assert conflicting_lanes(p, v, np.array([True, True])) == 1  # broadcast over rows
    assert conflicting_lanes(p, np.array([True, False]), None) == 2  # int1 values, both rows


# --- through the whole check ---------------------------------------------------------------


def _check(pool, code: str):
    return pool.evaluate(Job(problem=VECTOR_ADD, code=code, shape="small"))


def _refused(outcome, what: str, line: str):
    assert outcome.status.value == "incorrect", outcome.message
    failed = outcome.failed_checks()[0]
    assert failed.name.startswith("results defined"), outcome.message
    assert f"kernel add_kernel, line {line}" in failed.detail and what in failed.detail
    return failed.detail


def test_lanes_of_one_store_writing_different_values_to_one_address_are_refused(pool):
    # Every lane writes its x to the block's first element, overwritten right after.
    code = _variant("    tl.store(out_ptr + offs * 0 + tl.program_id(0) * 256, x, mask=mask)\n")
    _refused(_check(pool, code), "lanes of one store write different values to one address", "13")


def test_lanes_of_one_atomic_xchg_are_refused(pool):
    # The interpreter has no float xchg: the lanes' offsets, into the output's int32 view.
    code = _variant(
        "    bits = out_ptr.to(tl.pointer_type(tl.int32))\n"
        "    tl.atomic_xchg(bits + offs * 0 + tl.program_id(0) * 256, offs, mask=mask)\n"
    )
    _refused(_check(pool, code), "lanes of one atomic_xchg write different values", "14")


def test_a_scalar_broadcast_to_one_address_passes(pool):
    # Every lane writes the row's sum to one address: one value, defined. The kernel's own store
    # then overwrites it from lane 0, after a barrier; without one, another thread's broadcast
    # may land last on a GPU (lane_races.py).
    broadcast = (
        "    tl.store(out_ptr + offs * 0 + tl.program_id(0) * 256, tl.sum(x, axis=0), mask=mask)\n"
    )
    outcome = _check(pool, _variant(broadcast + "    tl.debug_barrier()\n"))
    assert outcome.correct, outcome.message
    outcome = _check(pool, _variant(broadcast))
    assert "a data race between the threads of program" in outcome.message, outcome.message


@pytest.mark.parametrize("op", ["//", "%"])
def test_integer_division_by_zero_is_refused(pool, op):
    code = _variant(f"    x = x + (offs {op} (offs * 0 + z - 1)).to(tl.float32)\n")
    what = "division" if op == "//" else "remainder"
    _refused(_check(pool, code), f"an integer {what} by zero", "13")


@pytest.mark.parametrize("op", ["<<", ">>"])
def test_an_integer_shift_by_the_width_or_more_is_refused(pool, op):
    # offs is int32: a shift by 32 is poison in LLVM (the compiled kernel stores garbage).
    code = _variant(f"    x = x + ((offs {op} (offs * 0 + z + 31)) * 0).to(tl.float32)\n")
    _refused(_check(pool, code), "an integer shift by 32 on a 32-bit integer", "13")
    # Up to the width minus one is defined: the same kernel with 31 passes.
    code = _variant(f"    x = x + ((offs {op} (offs * 0 + z + 30)) * 0).to(tl.float32)\n")
    assert _check(pool, code).correct
