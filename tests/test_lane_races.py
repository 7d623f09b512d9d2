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
    # Atomics among themselves are ordered, and against plain accesses of other lanes not.
    assert _run(_at("atomic", range(4)), _at("atomic", [3, 2, 1, 0])).found is None
    assert _run(_at("store", range(4)), _at("atomic", [3, 2, 1, 0])).found is not None


def test_an_atomic_whose_result_is_used_is_a_barrier():
    source = "\n".join(
        [
            "def k(p, q):",
            "    tl.atomic_add(q, 1)",  # 2: a statement of its own: no result handed over
            "    t = tl.atomic_add(q, 1)",  # 3
            "    if tl.atomic_cas(q, 0, 1) == 0:",  # 4
            "        pass",
            "    atomic_max(q, 1)",  # 6
            "    x = atomic_or(q, 1) + 1",  # 7
        ]
    )
    assert lane_races._used_atomics(source) == {3, 4, 7}
