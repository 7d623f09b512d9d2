"""Data races between the programs of one launch (races.py) and compiler hints held against the
replayed values (hints.py). The race analysis is fed accesses as the interpreter's memory hook
makes them; the hints run in Triton's interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from kernelwright.sandbox import interp_memory, races
from kernelwright.sandbox.interp_memory import Access

BASE = 1 << 20


def _run(*accesses: Access) -> races.Races:
    interp_memory._installed, was = True, interp_memory._installed
    try:
        with races.Races("k", "kernels.py") as r:
            for a in accesses:
                r.see(a)
    finally:
        interp_memory._installed = was
    return r


def _at(op, program, elements, itemsize=4, mask=None, **kw):
    ptrs = np.array([BASE + itemsize * e for e in elements], dtype=np.uint64)
    return Access(op, ptrs, mask, itemsize, (program, 0, 0), **kw)


ACQ_REL = {"sync": True, "acquire": True, "release": True}


def test_two_programs_storing_one_address_race():
    race = _run(_at("store", 0, range(4)), _at("store", 1, range(3, 7))).race()
    assert race is not None
    assert (race.first.program, race.second.program) == ((0, 0, 0), (1, 0, 0))
    assert race.addresses == 4  # one element, in bytes
    assert "a data race between two programs" in race.message()


def test_a_load_of_another_programs_store_races_either_way_round():
    assert _run(_at("store", 0, [5]), _at("load", 1, [5])).race() is not None
    assert _run(_at("load", 1, [5]), _at("store", 0, [5])).race() is not None


def test_disjoint_stores_shared_loads_and_ones_own_memory_do_not_race():
    assert _run(_at("store", 0, range(4)), _at("store", 1, range(4, 8))).race() is None
    assert _run(_at("load", 0, [1, 2]), _at("load", 1, [1, 2])).race() is None
    assert _run(_at("store", 0, [1]), _at("load", 0, [1]), _at("store", 0, [1])).race() is None
    # Strided stores that interleave without meeting (a transpose's columns).
    assert _run(_at("store", 0, range(0, 16, 2)), _at("store", 1, range(1, 16, 2))).race() is None


def test_atomics_race_with_plain_accesses_but_not_with_each_other():
    assert _run(_at("atomic", 0, [0], **ACQ_REL), _at("atomic", 1, [0], **ACQ_REL)).race() is None
    assert _run(_at("atomic", 0, [0], **ACQ_REL), _at("load", 1, [0], sync=True)).race() is None
    assert _run(_at("atomic", 0, [0], **ACQ_REL), _at("load", 1, [0])).race() is not None
    assert _run(_at("store", 0, [0]), _at("atomic", 1, [0], **ACQ_REL)).race() is not None


def test_a_flag_released_and_acquired_orders_the_data_behind_it():
    data, flag = [0], [100]  # a scalar: the thread that makes the release stores it
    handshake = [
        _at("store", 0, data),
        _at("atomic", 0, flag, **ACQ_REL),
        _at("atomic", 1, flag, **ACQ_REL),
        _at("load", 1, data),
    ]
    assert _run(*handshake).race() is None
    # Data stored after the release, read before the acquire, a relaxed flag: not ordered.
    assert _run(*[handshake[i] for i in (1, 0, 2, 3)]).race() is not None
    assert _run(*[handshake[i] for i in (0, 1, 3, 2)]).race() is not None
    relaxed = {"sync": True, "acquire": False, "release": False}
    assert (
        _run(
            handshake[0],
            _at("atomic", 0, flag, **relaxed),
            _at("atomic", 1, flag, **relaxed),
            handshake[3],
        ).race()
        is not None
    )
    # A volatile load reads the flag but acquires nothing (PTX ld.volatile is relaxed): the
    # data read after it is not ordered, and the race names the load as the likely cause.
    race = _run(*handshake[:2], _at("load", 1, flag, sync=True), handshake[3]).race()
    assert race is not None and race.relaxed is not None
    assert "volatile or relaxed" in race.message() and 'sem="acquire"' in race.message()
    assert _run(*handshake).race() is None


def test_a_release_orders_a_blocks_other_lanes_only_behind_a_barrier():
    # A block stored by all threads of program 0, then a lock released by one thread: the other
    # lanes' stores may still be in flight when program 1 takes the lock (the layer-norm
    # backward's lock without its tl.debug_barrier()).
    block, lock = [0, 1, 2, 3], [100]

    def handshake(*between):
        with races.Races("k", "kernels.py") as r:
            r.see(_at("store", 0, block))
            for b in between:
                r.barrier(b)
            r.see(_at("atomic", 0, lock, **ACQ_REL))
            r.see(_at("atomic", 1, lock, **ACQ_REL))
            r.see(_at("load", 1, block))
        return r.race()

    interp_memory._installed, was = True, interp_memory._installed
    try:
        race = handshake()
        assert race is not None and race.unbarriered is not None
        assert "Put tl.debug_barrier() before the release" in race.message()
        assert handshake((0, 0, 0)) is None
        assert handshake((1, 0, 0)) is not None  # another program's barrier orders nothing here
        # Nor does a block released lane by lane: the compiler lays the store and the atomic
        # out differently, so lane i's release is made by another thread than lane i's store.
        with races.Races("k", "kernels.py") as r:
            r.see(_at("store", 0, block))
            r.see(_at("atomic", 0, [100, 101, 102, 103], **ACQ_REL))
            r.see(_at("atomic", 1, [100, 101, 102, 103], **ACQ_REL))
            r.see(_at("load", 1, block))
        assert r.race() is not None
    finally:
        interp_memory._installed = was


def test_synchronisation_is_followed_through_a_chain_of_programs():
    # Program 0 stores, releases flag 0; program 1 acquires it, releases flag 1; program 2
    # acquires flag 1 and reads program 0's store: ordered through program 1 (a chained scan
    # reading every earlier tile's aggregate).
    data, f0, f1 = [0], [100], [101]
    chain = [
        _at("store", 0, data),
        _at("atomic", 0, f0, **ACQ_REL),
        _at("atomic", 1, f0, **ACQ_REL),
        _at("atomic", 1, f1, **ACQ_REL),
        _at("atomic", 2, f1, **ACQ_REL),
        _at("load", 2, data),
    ]
    assert _run(*chain).race() is None
    # Program 1 releases before it acquires: the chain is broken.
    assert _run(*[chain[i] for i in (0, 1, 3, 2, 4, 5)]).race() is not None
    # Program 2 acquires before program 1 releases.
    assert _run(*[chain[i] for i in (0, 1, 2, 4, 3, 5)]).race() is not None


def test_a_cta_scope_atomic_is_a_plain_access_to_other_programs():
    cta = {**ACQ_REL, "scope": "cta"}
    # A split sum through atomics of scope "cta": lost updates between programs.
    race = _run(_at("atomic", 0, [0], **cta), _at("atomic", 1, [0], **cta)).race()
    assert race is not None and race.scoped == race.first
    assert 'has scope="cta"' in race.message()
    assert _run(_at("atomic", 0, [0], **cta), _at("atomic", 1, [0], **ACQ_REL)).race()
    # Within one program it is atomic; "gpu" and "sys" scopes stay atomic between programs.
    assert _run(_at("atomic", 0, [0], **cta), _at("atomic", 0, [0], **cta)).race() is None
    for scope in ("gpu", "sys"):
        wide = {**ACQ_REL, "scope": scope}
        assert _run(_at("atomic", 0, [0], **wide), _at("atomic", 1, [0], **wide)).race() is None
    # An atomic load of scope "cta" is a plain load: it races with another program's atomic.
    load = _at("load", 1, [0], sync=True, acquire=True, scope="cta")
    assert _run(_at("atomic", 0, [0], **ACQ_REL), load).race() is not None


def test_a_cta_scope_flag_orders_nothing_between_programs():
    data, flag = [0], [100]  # a scalar: the thread that makes the release stores it

    def handshake(release, acquire):
        return [
            _at("store", 0, data),
            _at("atomic", 0, flag, **release),
            _at("load", 1, flag, **acquire),
            _at("load", 1, data),
        ]

    gpu = {"sync": True, "acquire": True, "release": True}
    assert _run(*handshake(gpu, gpu)).race() is None
    # Either side of scope "cta": the data behind the flag is not ordered.
    assert _run(*handshake({**gpu, "scope": "cta"}, gpu)).race() is not None
    assert _run(*handshake(gpu, {**gpu, "scope": "cta"})).race() is not None


def test_views_of_one_buffer_with_another_dtype_meet_byte_by_byte():
    int8_lane = np.array([BASE + 6], dtype=np.uint64)  # inside element 1 of the int32 view
    assert _run(_at("store", 0, [1]), Access("store", int8_lane, None, 1, (1, 0, 0))).race()
    beside = np.array([BASE + 8], dtype=np.uint64)
    assert _run(_at("store", 0, [1]), Access("store", beside, None, 1, (1, 0, 0))).race() is None


def test_masked_off_lanes_do_not_race():
    mask = np.array([True, False])
    assert _run(_at("store", 0, [3]), _at("store", 1, [2, 3], mask=mask)).race() is None
    assert _run(_at("store", 0, [3]), _at("store", 1, [3, 2], mask=mask)).race() is not None


def test_an_acquire_orders_only_what_was_released_before_it():
    # Both programs acquire the flag before either releases it (as the interleaved replay runs
    # a handshake that waits for nothing): the data behind it is not ordered.
    data, flag = [0], [100]  # a scalar: the thread that makes the release stores it
    acquire = {"sync": True, "acquire": True, "release": False}
    release = {"sync": True, "acquire": False, "release": True}
    waits_for_nothing = [
        _at("load", 0, flag, **acquire),
        _at("load", 1, flag, **acquire),
        _at("store", 0, data),
        _at("atomic", 0, flag, **release),
        _at("load", 1, data),
        _at("atomic", 1, flag, **release),
    ]
    assert _run(*waits_for_nothing).race() is not None
    # The same accesses with program 1's acquire after program 0's release: ordered.
    waited = [waits_for_nothing[i] for i in (0, 2, 3, 1, 4, 5)]
    assert _run(*waited).race() is None


# --- hints, in the interpreter ---------------------------------------------------------------

_HINT_RUNNER = r"""
import json, sys
from pathlib import Path
import torch
from kernelwright.sandbox import hints
from kernelwright.sandbox.replay import load_kernels

hints.install()
kernels = load_kernels(sys.stdin.read(), Path(sys.argv[1]), False)[0]
x = torch.arange(64, dtype=torch.int32)
y = torch.empty(64, dtype=torch.int32)
seen = {}
for name, k in sorted(kernels.items()):
    with hints.Hints(name, str(Path(sys.argv[1]) / "kernels.py")) as h:
        try:
            k[(2,)](x[1:] if name == "pointer_off" else x, y, 64, BLOCK=32)
        except Exception:
            pass
    seen[name] = h.violation.message() if h.violation else None
print(json.dumps(seen))
"""

HINTED = """
import triton
import triton.language as tl


@triton.jit
def honest(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.max_contiguous(tl.multiple_of(tl.program_id(0) * BLOCK + tl.arange(0, BLOCK), BLOCK), BLOCK)
    for k in range(0, n, BLOCK):
        tl.multiple_of(k, BLOCK)
    x_ptr = tl.multiple_of(x_ptr, 16)
    tl.store(y_ptr + offs, tl.load(x_ptr + offs, mask=tl.max_constancy(offs < n, 1)))


@triton.jit
def not_contiguous(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    lane = tl.arange(0, BLOCK)
    q = tl.max_contiguous(tl.program_id(0) * BLOCK + lane - lane % 4 + (lane * 3) % 4, 4)
    tl.store(y_ptr + q, tl.load(x_ptr + q))


@triton.jit
def counter_off(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    for k in range(1, n, BLOCK):
        tl.multiple_of(k, BLOCK)


@triton.jit
def not_constant(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(y_ptr + offs, tl.load(x_ptr + offs), mask=tl.max_constancy(offs < 40, 16))


@triton.jit
def pointer_off(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    x_ptr = tl.multiple_of(x_ptr, 16)
"""


@pytest.fixture(scope="module")
def hinted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hints")
    proc = subprocess.run(
        [sys.executable, "-c", _HINT_RUNNER, str(folder)],
        input=HINTED,
        capture_output=True,
        text=True,
        env={**os.environ, "TRITON_INTERPRET": "1"},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_hints_that_hold_pass(hinted):
    assert hinted["honest"] is None


@pytest.mark.parametrize(
    ("kernel", "words"),
    [
        ("not_contiguous", "tl.max_contiguous(..., 4) along axis 0 is false"),
        ("counter_off", "tl.multiple_of(..., 32) is false on the values this replay computed"),
        ("not_constant", "tl.max_constancy(..., 16) along axis 0 is false"),
        ("pointer_off", "tl.multiple_of(..., 16) is false"),
    ],
)
def test_a_false_hint_is_named_with_its_line(hinted, kernel, words):
    message = hinted[kernel]
    assert message is not None and words in message, message
    assert f"kernel {kernel}, line " in message, message


# --- a chained scan through atomic flags, in the interpreter ----------------------------------

_CHAINED_RUNNER = r"""
import contextlib, json, sys
from pathlib import Path
import torch
from kernelwright.sandbox import interleave, interp_memory, races
from kernelwright.sandbox.replay import load_kernels

interp_memory.install()
folder = Path(sys.argv[1])
scan = load_kernels(sys.stdin.read(), folder, False)[0]["scan_kernel"]
rows, cols, n_blocks = 2, 700, 3
x = torch.randn(rows, cols)
seen = {}
for how in ("interleaved", "increasing"):
    out = torch.empty_like(x)
    carry = torch.zeros(rows * n_blocks)
    flags = torch.zeros(rows * n_blocks, dtype=torch.int32)
    order = interleave.interleaved(7) if how == "interleaved" else contextlib.nullcontext()
    with races.Races("scan_kernel", str(folder / "kernels.py")) as r, order:
        scan[(rows, n_blocks)](x, out, carry, flags, cols, n_blocks, BLOCK=256)
    race = r.race()
    seen[how] = {
        "race": race.message() if race else None,
        "right": bool(torch.allclose(out, x.cumsum(1), atol=1e-4)),
    }
print(json.dumps(seen))
"""


def test_a_chained_scan_through_atomic_flags_is_right_and_race_free_in_either_order(tmp_path):
    from test_program_order import CHAINED

    proc = subprocess.run(
        [sys.executable, "-c", _CHAINED_RUNNER, str(tmp_path)],
        input=CHAINED,
        capture_output=True,
        text=True,
        env={**os.environ, "TRITON_INTERPRET": "1"},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    # Interleaved, each program spins on its left neighbour's flag until that one releases it;
    # the carry it then reads is ordered by the flag (no race), as in increasing order.
    assert seen["interleaved"] == {"race": None, "right": True}
    assert seen["increasing"] == {"race": None, "right": True}
