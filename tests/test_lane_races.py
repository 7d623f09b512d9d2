"""Data races between the threads of one program (lane_races.py): accesses are fed as the
interpreter's memory hook makes them, with the lane positions of their blocks; a barrier is what
tl.debug_barrier() reports, and an atomic whose result the kernel uses is one too."""

from __future__ import annotations

import numpy as np

from kernelwright.sandbox import interp_memory, lane_races
from kernelwright.sandbox.interp_memory import Access

BASE = 1 << 20


def _at(op, elements, program=0, mask=None, itemsize=4):
    ptrs = np.array([BASE + itemsize * e for e in elements], dtype=np.uint64)
    return Access(op, ptrs, mask, itemsize, (program, 0, 0), sync=op == "atomic")


def _run(*steps) -> lane_races.LaneRaces:
    interp_memory._installed, was = True, interp_memory._installed
    try:
        with lane_races.LaneRaces("k", "kernels.py") as r:
            for s in steps:
                if s == "barrier":
                    r.barrier((0, 0, 0))
                else:
                    r.see(s)
    finally:
        interp_memory._installed = was
    return r


def test_a_lane_reading_what_another_lane_stored_races():
    # A mirror through scratch: lane i stores element i, then loads element 3 - i.
    found = _run(_at("store", range(4)), _at("load", [3, 2, 1, 0])).found
    assert found is not None and found.addresses == 4
    message = found.message()
    assert "between the threads of program (0, 0, 0)" in message
    assert "tl.debug_barrier()" in message


def test_each_lane_reading_back_what_it_stored_is_one_thread():
    assert _run(_at("store", range(4)), _at("load", range(4))).found is None
    # Masked lanes are not accesses: the tail lanes of the load reach nothing.
    mask = np.array([True, True, False, False])
    assert _run(_at("store", range(2)), _at("load", [0, 1, 2, 3], mask=mask)).found is not None
    assert _run(_at("store", [0, 1, 9, 9], mask=mask), _at("load", [0, 1, 7, 8])).found is None


def test_a_barrier_orders_the_lanes():
    assert _run(_at("store", range(4)), "barrier", _at("load", [3, 2, 1, 0])).found is None
    # Only what came before the barrier: a store after it races again.
    steps = ("barrier", _at("store", range(4)), _at("load", [3, 2, 1, 0]))
    assert _run(*steps).found is not None


def test_blocks_of_other_shapes_are_other_threads():
    # A block stored, then read back as a scalar by every thread.
    assert _run(_at("store", range(4)), _at("load", [2])).found is not None
    # Loads among themselves never race; another program's store is races.py's business.
    assert _run(_at("load", range(4)), _at("load", [3, 2, 1, 0])).found is None
    assert (
        _run(_at("store", range(4), program=0), _at("load", [3, 2, 1, 0], program=1)).found is None
    )


def test_a_lane_overwriting_what_another_read_or_stored_races():
    # An in-place shift by one inside a program: lane i + 1 stores where lane i + 1 loaded,
    # but lane i stores to i + 1 too.
    assert _run(_at("load", range(4)), _at("store", [1, 2, 3, 4])).found is not None
    assert _run(_at("store", range(4)), _at("store", [1, 2, 3, 4])).found is not None
    # Against plain accesses of other lanes, an atomic races at once.
    assert _run(_at("store", range(4)), _at("atomic", [3, 2, 1, 0])).found is not None


def test_two_atomics_of_other_lanes_wait_for_the_compile_to_say_whether_a_result_is_used():
    # Lane i adds into element i, then lane i adds 0 to element 3 - i to read it: each atomic is
    # atomic, but which runs first is not fixed; only a result the kernel uses can tell.
    r = _run(_at("atomic", range(4)), _at("atomic", [3, 2, 1, 0]))
    assert r.found is None
    (pair,) = r.unsettled.values()
    assert pair.results == [-1] and pair.lines == [] and pair.read is None
    assert "nothing orders one thread's atomic before another thread's" in pair.message()
    # The same lanes (one thread), and two atomics on scalars (thread 0's), are not kept.
    assert not _run(_at("atomic", range(4)), _at("atomic", range(4))).unsettled
    assert not _run(_at("atomic", [5]), _at("atomic", [5])).unsettled
    # A plain store between them still races at once, whatever the atomics say.
    r = _run(_at("atomic", range(4)), _at("store", range(4)), _at("atomic", [3, 2, 1, 0]))
    assert r.found is not None


def test_a_race_that_only_a_scalar_atomic_orders_waits_for_the_compile():
    # A scalar atomic between the store and the mirrored load: a barrier only if the compiled
    # kernel uses its result, which the replay cannot see; the race is kept as a handover.
    ticket = _at("atomic", [40])
    r = _run(_at("store", range(4)), ticket, _at("load", [3, 2, 1, 0]))
    assert r.found is None
    (handover,) = r.unsettled.values()
    assert handover.lines == [-1]  # the line the atomic is on (none in a synthetic access)
    assert handover.read is None
    assert "does not use its result" in handover.message()
    # With nothing between them, the race is refused at once.
    assert _run(ticket, _at("store", range(4)), _at("load", [3, 2, 1, 0])).found is not None


def test_a_scalar_stored_then_loaded_in_one_program_waits_for_the_compile():
    # Thread 0 alone stores a scalar; every thread loads one: whether that races turns on where
    # the loaded value goes, which only the compiled kernel shows (ttir.spread).
    for steps, atomics in (
        ((_at("store", [7]), _at("load", [7])), []),  # statistics stored, then read back
        ((_at("load", [7]), _at("store", [7])), []),  # a carry loaded, then overwritten
        # A scalar atomic's own result handed over would order the load after it too.
        ((_at("atomic", [7]), _at("load", [7])), [-1]),
    ):
        r = _run(*steps)
        assert r.found is None
        (pending,) = r.unsettled.values()
        assert pending.read == -1 and pending.lines == atomics  # lines (none here)
        assert "thread 0 alone" in pending.message()
    # Paired by the bytes they span: a float32 stored into the high half of a word that an
    # int64 load reads whole.
    r = _run(_at("store", [1], itemsize=4), _at("load", [0], itemsize=8))
    assert r.found is None and len(r.unsettled) == 1
    # Other scalars, or a barrier between: nothing to settle.
    assert not _run(_at("store", [7]), _at("load", [8])).unsettled
    assert not _run(_at("store", [7]), "barrier", _at("load", [7])).unsettled
    # Two loads, or two stores (thread 0's both), are no pair.
    assert not _run(_at("load", [7]), _at("load", [7])).unsettled
    assert not _run(_at("store", [7]), _at("store", [7])).unsettled


SPREAD_KERNELS = """
import triton
import triton.language as tl


@triton.jit
def read_modify_write(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    for start in range(0, n, BLOCK):
        offs = start + tl.arange(0, BLOCK)
        x = tl.load(x_ptr + row * n + offs, mask=offs < n, other=0.0)
        acc = tl.load(y_ptr + row)
        tl.store(y_ptr + row, acc + tl.sum(x, axis=0))


@triton.jit
def statistics(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    x = tl.load(x_ptr + row * BLOCK + tl.arange(0, BLOCK))
    tl.store(y_ptr + row, tl.max(x, axis=0))
    m = tl.load(y_ptr + row, volatile=True)
    tl.store(x_ptr + row * BLOCK + tl.arange(0, BLOCK), x - m)


@triton.jit
def carried(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    tot = 0.0
    for start in range(0, n, BLOCK):
        offs = start + tl.arange(0, BLOCK)
        c = tl.load(y_ptr + row)
        tot += c
        x = tl.load(x_ptr + row * n + offs, mask=offs < n, other=0.0)
        tl.store(y_ptr + row, c + tl.sum(x, axis=0))
    tl.store(x_ptr + row * n + tl.arange(0, BLOCK), tot + tl.zeros([BLOCK], tl.float32))


@triton.jit
def branch(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    tl.store(y_ptr + row, 1.0)
    c = tl.load(y_ptr + row)
    if c > 0:
        tl.store(y_ptr + row + 1, c)
"""


def test_the_compiled_kernel_says_which_scalar_loads_reach_every_threads_lanes(tmp_path):
    from conftest import located_ir
    from kernelwright.sandbox import ttir

    def spread(name):
        return ttir.spread(located_ir(tmp_path, SPREAD_KERNELS, name))

    def line(code):
        return SPREAD_KERNELS.splitlines().index(code) + 1

    # The loaded value reaches only thread 0's own store: nothing spreads.
    assert spread("read_modify_write") == []
    # Into a block (through a volatile, cache-modified load), into a value a loop carries to a
    # block, into a branch.
    assert spread("statistics") == [line("    m = tl.load(y_ptr + row, volatile=True)")]
    assert spread("carried") == [line("        c = tl.load(y_ptr + row)")]
    assert spread("branch") == [line("    c = tl.load(y_ptr + row)")]


TTIR = """
    %t = tt.atomic_rmw add, acq_rel, gpu, %f, %c0_i32, %true : (!tt.ptr<i32>, i32, i1) -> i32 loc(#loc21)
    %u = tt.atomic_rmw add, acq_rel, gpu, %f, %c1_i32, %true : (!tt.ptr<i32>, i32, i1) -> i32 loc(#loc22)
    %5 = arith.cmpi eq, %u, %c3_i32 : i32 loc(#loc4)
    %v_1 = tt.atomic_rmw add, acq_rel, gpu, %f, %v, %true : (!tt.ptr<i32>, i32, i1) -> i32 loc(#loc19)
    %w = tt.atomic_cas acq_rel, gpu, %f, %c0_i32, %c1_i32 : (!tt.ptr<i32>, i32, i32) -> i32 loc(#loc5)
    %x = tt.atomic_rmw add, acq_rel, gpu, %p, %y, %m : (tensor<4x!tt.ptr<i32>>, tensor<4xi32>, tensor<4xi1>) -> tensor<4xi32> loc(#loc6)
    tt.store %q, %w : !tt.ptr<i32> loc(#loc4)
    %a = tt.atomic_rmw add, acq_rel, gpu, %f, %c1_i32, %true : (!tt.ptr<i32>, i32, i1) -> i32 loc(#loc30)
    %b = tt.atomic_rmw add, acq_rel, gpu, %f, %c1_i32, %true : (!tt.ptr<i32>, i32, i1) -> i32 loc(#loc31)
    tt.store %q, %b : !tt.ptr<i32> loc(#loc4)
    %c = tt.atomic_rmw add, acq_rel, gpu, %f, %c1_i32, %true : (!tt.ptr<i32>, i32, i1) -> i32 loc(#loc32)
    tt.store %q, %c : !tt.ptr<i32> loc(#loc4)
    tt.store %r, %x : tensor<4x!tt.ptr<i32>> loc(#loc4)
#loc2 = loc("k.py":11:9)
#loc4 = loc("k.py":9:8)
#loc5 = loc("k.py":13:9)
#loc6 = loc("k.py":14:9)
#loc10 = loc("k.py":7:9)
#loc11 = loc("k.py":8:9)
#loc19 = loc("v"(#loc2))
#loc21 = loc("t"(#loc10))
#loc22 = loc("u"(#loc11))
#loc30 = loc("k.py":20:9)
#loc31 = loc("k.py":20:9)
#loc32 = loc(callsite(#loc33 at #loc34))
#loc33 = loc("k.py":25:9)
#loc34 = loc("k.py":30:5)
"""


def test_the_compiled_kernel_says_which_scalar_atomics_hand_their_result_over():
    from kernelwright.sandbox import ttir

    # t (line 7) unused, v (line 11) unused (its use was folded), u and w used; x is a block.
    # Line 20: two copies of one atomic (a loop unrolled), one result dropped: not handed over.
    # Line 25: an atomic in a @triton.jit helper, inlined (its location is a callsite).
    assert ttir.handed_over(TTIR) == [8, 13, 25]


def test_the_compiled_kernel_says_which_atomics_return_what_it_uses():
    from kernelwright.sandbox import ttir

    # Any shape (x, line 14, a block), and a line with one copy used of two (20).
    assert ttir.returned(TTIR) == [8, 13, 14, 20, 25]
