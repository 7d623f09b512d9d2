"""Out-of-bounds accesses in the trusted replay on the interpreter: every active lane of a load,
store or atomic must lie inside the storage of one of the launch's tensors (bounds.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from conftest import TESTS
from kernelwright.evals.mutation import classes_named
from kernelwright.sandbox.bounds import Bounds, OutOfBounds
from kernelwright.sandbox.interp_memory import Access
from kernelwright.sandbox.pool import Job

VECTOR_ADD = TESTS / "problems" / "vector_add.py"

ADD = """import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def add_kernel(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    y = tl.load(y_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, x + y, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x, y):
        out = torch.empty_like(x)
        n = x.numel()
        add_kernel[(triton.cdiv(n, 256),)](x, y, out, n, BLOCK=256)
        return out
"""


def _variant(old: str, new: str) -> str:
    assert old in ADD
    return ADD.replace(old, new)


# --- the check itself, on addresses ------------------------------------------------------


def _bounds(*tensors: torch.Tensor) -> Bounds:
    return Bounds("k", [(f"p{i}", t.untyped_storage()) for i, t in enumerate(tensors)], "none.py")


def _lanes(t: torch.Tensor, index, itemsize: int = 4) -> np.ndarray:
    return np.uint64(t.untyped_storage().data_ptr()) + np.asarray(
        index, dtype=np.uint64
    ) * np.uint64(itemsize)


def test_every_lane_inside_a_storage_passes_even_outside_the_view():
    x = torch.zeros(100)
    view = x[10:20]
    b = _bounds(view, torch.zeros(7))
    b.see(Access("load", _lanes(x, range(100)), None, 4))  # all of x's storage, not the view
    assert b.violation is None


@pytest.mark.parametrize(
    ("index", "words"),
    [
        ([98, 99, 100], "1 of its 3 active lanes"),
        ([100, 101, 103], "1 to 4 elements past the end"),
        ([-1], "1 element before the start"),
    ],
)
def test_a_lane_outside_is_refused_with_the_nearest_buffer(index, words):
    x = torch.zeros(100)
    ptrs = np.array([x.untyped_storage().data_ptr() + 4 * i for i in index], dtype=np.uint64)
    with pytest.raises(OutOfBounds) as e:
        _bounds(x).see(Access("store", ptrs, None, 4))
    v = e.value.record
    [edge] = v.edges
    assert words in v.message() and edge.buffer == "p0" and edge.elements == 100
    assert v.op == "store"


def test_lanes_in_one_gap_name_the_buffers_on_both_sides():
    # Which buffer a pointer came from is not known: an overrun of x that lands nearer y's start
    # names both, so the message is right whichever the candidate meant.
    x, y = torch.zeros(100), torch.zeros(100)
    lo, hi = sorted((x, y), key=lambda t: t.untyped_storage().data_ptr())
    b = Bounds("k", [("lo", lo.untyped_storage()), ("hi", hi.untyped_storage())], file="-")
    gap = np.array([lo.untyped_storage().data_ptr() + 400 + 4 * i for i in range(3)], np.uint64)
    with pytest.raises(OutOfBounds) as e:
        b.see(Access("load", gap, None, 4))
    [below, above] = e.value.record.edges
    assert (below.buffer, below.side, below.nearest, below.farthest) == ("lo", "past the end", 1, 3)
    assert (above.buffer, above.side) == ("hi", "before the start")
    assert "past the end of lo (100 elements) and " in e.value.record.message()


def test_masked_off_lanes_are_not_checked():
    x = torch.zeros(8)
    ptrs = _lanes(x, range(16))
    b = _bounds(x)
    b.see(Access("load", ptrs, np.arange(16) < 8, 4))
    assert b.violation is None
    with pytest.raises(OutOfBounds):
        b.see(Access("load", ptrs, np.arange(16) <= 8, 4))


def test_the_access_width_counts_and_addresses_do_not_wrap():
    x = torch.zeros(8, dtype=torch.float16)
    end = x.untyped_storage().data_ptr() + 16
    with pytest.raises(OutOfBounds):  # a 4-byte lane over the last 2 bytes
        _bounds(x).see(Access("load", np.array([end - 2], dtype=np.uint64), None, 4))
    # Near 2**64 an address plus its width wraps to a small number; it is still outside.
    with pytest.raises(OutOfBounds):
        _bounds(x).see(Access("load", np.array([2**64 - 2], dtype=np.uint64), None, 4))
    # A pointer made from a signed integer (int_to_ptr of a negative int64).
    with pytest.raises(OutOfBounds):
        _bounds(x).see(Access("load", np.array([-8], dtype=np.int64), None, 2))


# --- through the whole check ---------------------------------------------------------------


def _check(pool, code: str):
    return pool.evaluate(Job(problem=VECTOR_ADD, code=code, shape="small"))


def _refused(outcome, op: str, side: str = "past the end"):
    failed = outcome.failed_checks()[0]
    assert outcome.status.value == "incorrect", outcome.message
    assert failed.name.startswith("memory in bounds"), outcome.message
    assert f"a {op} by" in failed.detail and side in failed.detail, failed.detail
    assert "kernel add_kernel, line " in failed.detail
    assert "forward's input" in failed.detail or "made in forward" in failed.detail
    return failed.detail


def test_a_dropped_load_mask_hidden_by_the_masked_store_is_refused(pool):
    code = _variant("x = tl.load(x_ptr + offs, mask=mask)", "x = tl.load(x_ptr + offs)")
    outcome = _check(pool, code)
    detail = _refused(outcome, "load")
    assert "line 11 (`x = tl.load(x_ptr + offs)`)" in detail and "x_ptr" in detail
    assert "mask" in classes_named(outcome) and "offset" in classes_named(outcome)


def test_a_store_mask_that_reaches_one_past_the_end_is_refused(pool):
    code = _variant(
        "tl.store(out_ptr + offs, x + y, mask=mask)",
        "tl.store(out_ptr + offs, x + y, mask=offs <= n)",
    )
    detail = _refused(_check(pool, code), "store")
    assert "out_ptr" in detail and "1 element past the end" in detail


def test_an_off_by_one_pointer_is_refused(pool):
    # The extra element only feeds lanes the store masks off: the outputs are right.
    code = _variant(
        "x = tl.load(x_ptr + offs, mask=mask)",
        "x = tl.load(x_ptr + offs + 1, mask=mask)\n    x = tl.where(offs >= 0, "
        "tl.load(x_ptr + offs, mask=mask), x)",
    )
    detail = _refused(_check(pool, code), "load")
    assert "1 element past the end" in detail


def test_a_view_read_before_its_storage_is_refused(pool):
    code = _variant(
        "x = tl.load(x_ptr + offs, mask=mask)", "x = tl.load(x_ptr - 2 + offs, mask=mask)"
    )
    code = code.replace("](x, y, out, n, BLOCK=256)", "](x[1:], y, out, n, BLOCK=256)")
    _refused(_check(pool, code), "load", "before the start")


def test_an_unmasked_atomic_is_refused(pool):
    code = _variant(
        "tl.store(out_ptr + offs, x + y, mask=mask)",
        "tl.atomic_add(out_ptr + offs, x + y)",
    ).replace("torch.empty_like(x)", "torch.zeros_like(x)")
    _refused(_check(pool, code), "atomic")


def test_a_tensor_descriptor_with_a_shape_past_its_buffer_is_refused(pool):
    code = _variant(
        "    x = tl.load(x_ptr + offs, mask=mask)\n",
        "    desc = tl.make_tensor_descriptor(x_ptr, shape=[n + BLOCK], strides=[1], "
        "block_shape=[BLOCK])\n    x = desc.load([tl.program_id(0) * BLOCK])\n",
    )
    _refused(_check(pool, code), "load")


def test_a_pointer_passed_as_an_integer_is_refused(pool):
    code = _variant(
        "x = tl.load(x_ptr + offs, mask=mask)",
        "x = tl.load(x_addr.to(tl.pointer_type(tl.float32)) + offs, mask=mask)",
    )
    code = code.replace("def add_kernel(x_ptr,", "def add_kernel(x_addr,").replace(
        "](x, y, out, n,", "](x.data_ptr(), y, out, n,"
    )
    outcome = _check(pool, code)
    # Recorded in the candidate's process, the address means nothing in the replay's.
    assert not outcome.correct, outcome.message
    assert outcome.failed_checks()[0].name.startswith("memory in bounds"), outcome.message


@pytest.mark.parametrize(("extra", "refused"), [("0", False), ("n", True)])
def test_pointers_rebuilt_from_int64_arithmetic_are_checked_where_they_land(pool, extra, refused):
    code = _variant(
        "x = tl.load(x_ptr + offs, mask=mask)",
        f"addr = x_ptr.to(tl.int64) + 4 * (offs + {extra})\n"
        "    x = tl.load(addr.to(tl.pointer_type(tl.float32)), mask=mask)",
    )
    outcome = _check(pool, code)
    if refused:
        _refused(outcome, "load")
    else:
        assert outcome.correct, outcome.message
