"""Programs of a launch in reverse order in the trusted replay (program_order.py): a race that
Triton's interpreter hides by running programs in increasing id is refused, with a message
saying that a GPU runs them in any order; a kernel that synchronises through atomics runs its
programs interleaved instead (interleave.py), where one that waits on another still finishes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import TESTS
from kernelwright.problem import resolve_problem
from kernelwright.sandbox import program_order
from kernelwright.sandbox.pool import Job
from kernelwright.sandbox.replay import load_kernels

# --- which kernels may run in another order -------------------------------------------------

KERNELS = """
import triton
import triton.language as tl
from triton.language import atomic_cas as cas
from torch._inductor.runtime import triton_helpers

XCHG = tl.atomic_xchg


@triton.jit
def adds(p):
    tl.atomic_add(p, 1)


@triton.jit
def plain(p, q):
    tl.store(q + tl.arange(0, 4), tl.load(p + tl.arange(0, 4), volatile=False))


@triton.jit
def calls_plain(p, q):
    plain(p, q)


@triton.jit
def calls_adds(p):
    adds(p)


@triton.jit
def imported_as(p):
    cas(p, 0, 1)


@triton.jit
def constant_alias(p):
    XCHG(p, 1)


@triton.jit
def method_form(p):
    p.atomic_max(1)


@triton.jit
def volatile_load(p, q):
    tl.store(q, tl.load(p, volatile=True))


@triton.jit
def library_barrier(p):
    triton_helpers.x_grid_barrier(p)
"""

ORDER_FREE = {"plain", "calls_plain"}


def test_only_kernels_without_atomics_or_volatile_loads_are_order_free(tmp_path):
    kernels, _ = load_kernels(KERNELS, tmp_path, False)
    assert {k for k, fn in kernels.items() if program_order.order_free(fn)} == ORDER_FREE


def test_the_replays_alternate_and_the_first_reverses():
    assert [program_order.reversed_replay(n) for n in range(5)] == [True, False, True, False, True]


_REVERSED_RUNNER = r"""
import contextlib, json, sys
from pathlib import Path
import torch
from kernelwright.sandbox import program_order
from kernelwright.sandbox.replay import load_kernels

k = load_kernels(sys.stdin.read(), Path(sys.argv[1]), True)[0]["last"]
out, seen = torch.zeros(1, dtype=torch.int32), []
for reverse in (False, True, False):
    with program_order.reversed_programs((3, 4, 2)) if reverse else contextlib.nullcontext():
        k[(3, 4, 2)](out)
    seen.append(int(out))
print(json.dumps(seen))
"""

LAST_WRITER = """
import triton
import triton.language as tl


@triton.jit
def last(out_ptr):
    tl.store(out_ptr, tl.program_id(0) * 100 + tl.program_id(1) * 10 + tl.program_id(2))
"""


def test_reversed_programs_runs_the_grid_backwards_and_restores_the_order(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-c", _REVERSED_RUNNER, str(tmp_path)],
        input=LAST_WRITER,
        capture_output=True,
        text=True,
        env={**os.environ, "TRITON_INTERPRET": "1"},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    # The last program to run writes last: (2, 3, 1) in increasing order, (0, 0, 0) reversed.
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == [231, 0, 231]


# --- through the whole check ---------------------------------------------------------------

# Each program also stores zeros over the first BLOCK elements of the next program's block: in
# increasing order the next program overwrites them again, so the interpreter hides the race.
SPILL = """import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def add_kernel(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
    lane = tl.arange(0, 2 * BLOCK)
    offs = tl.program_id(0) * BLOCK + lane
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask & (lane < BLOCK))
    y = tl.load(y_ptr + offs, mask=mask & (lane < BLOCK))
    tl.store(out_ptr + offs, tl.where(lane < BLOCK, x + y, 0.0), mask=STORE_MASK)


class ModelNew(nn.Module):
    def forward(self, x, y):
        out = torch.empty_like(x)
        n = x.numel()
        add_kernel[(triton.cdiv(n, 256),)](x, y, out, n, BLOCK=256)
        return out
"""

# A chained scan by program id: column block b waits (spinning on an atomic read) for block
# b - 1's running total. It needs the interpreter's increasing order: reversed, the first
# program to run would wait forever for one that never runs before it.
CHAINED = """import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def scan_kernel(x_ptr, out_ptr, carry_ptr, flag_ptr, cols, n_blocks, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    blk = tl.program_id(1)
    offs = blk * BLOCK + tl.arange(0, BLOCK)
    ok = offs < cols
    x = tl.load(x_ptr + row * cols + offs, mask=ok, other=0.0)
    left = row * n_blocks + blk - 1
    has_left = blk > 0
    while tl.where(has_left, tl.atomic_add(flag_ptr + left, 0, mask=has_left), 1) == 0:
        pass
    prefix = tl.load(carry_ptr + left, mask=has_left, other=0.0)
    me = row * n_blocks + blk
    tl.store(carry_ptr + me, prefix + tl.sum(x, axis=0))
    tl.atomic_xchg(flag_ptr + me, 1)
    tl.store(out_ptr + row * cols + offs, tl.cumsum(x, axis=0) + prefix, mask=ok)


class ModelNew(nn.Module):
    def forward(self, x):
        rows, cols = x.shape
        n_blocks = triton.cdiv(cols, 256)
        out = torch.empty_like(x)
        carry = torch.zeros(rows * n_blocks, device=x.device, dtype=torch.float32)
        flags = torch.zeros(rows * n_blocks, device=x.device, dtype=torch.int32)
        scan_kernel[(rows, n_blocks)](x, out, carry, flags, cols, n_blocks, BLOCK=256)
        return out
"""


def _check(pool, problem, code: str):
    return pool.evaluate(Job(problem=problem, code=code, shape="small"))


def test_a_store_that_the_next_program_overwrites_is_refused(pool):
    code = SPILL.replace("STORE_MASK", "mask")
    outcome = _check(pool, TESTS / "problems" / "vector_add.py", code)
    assert outcome.status.value == "incorrect", outcome.message
    # The race detector (races.py) names it before any output is compared.
    failed = outcome.failed_checks()[0]
    assert "kernel add_kernel: a data race between two programs" in failed.detail, failed.detail
    assert "stores to memory that program" in failed.detail, failed.detail


def test_the_same_store_kept_to_its_own_block_is_correct(pool):
    code = SPILL.replace("STORE_MASK", "mask & (lane < BLOCK)")
    outcome = _check(pool, TESTS / "problems" / "vector_add.py", code)
    assert outcome.correct, outcome.message


def test_a_chained_scan_that_reads_its_neighbours_total_without_waiting_is_refused(pool):
    # The same scan with no flag: the interpreter runs block b - 1 before block b, so the
    # total is always there to read; on a GPU it may not be yet.
    code = CHAINED.replace(
        "    while tl.where(has_left, tl.atomic_add(flag_ptr + left, 0, mask=has_left), 1) == 0:\n"
        "        pass\n",
        "",
    ).replace("    tl.atomic_xchg(flag_ptr + me, 1)\n", "")
    assert "atomic" not in code
    outcome = _check(pool, resolve_problem("cumsum"), code)
    assert outcome.status.value == "incorrect", outcome.message
    failed = outcome.failed_checks()[0].detail
    assert "kernel scan_kernel: a data race between two programs" in failed, failed
    assert "tl.load(carry_ptr + left" in failed, failed


def test_a_chained_scan_through_atomics_is_correct(tmp_path, pool):
    # It may synchronise, so its programs run interleaved rather than reversed: each spins until
    # its left neighbour releases the flag, and the carry it then reads is ordered (no race).
    assert not program_order.order_free(load_kernels(CHAINED, tmp_path, False)[0]["scan_kernel"])
    outcome = _check(pool, resolve_problem("cumsum"), CHAINED)
    assert outcome.correct, outcome.message
