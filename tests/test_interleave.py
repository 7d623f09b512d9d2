"""A launch's programs interleaved in the interpreter (interleave.py): synchronisation has to
prove itself. A handshake that waits for nothing leaves the data race it hides to the race
detector; a lock, a chained scan that waits with an acquire and a last-arrival ticket still
work, one that waits on a volatile load races, a lock that gives up after 100 tries races, a
lock with a capped backoff and a wait on two flags wait; tickets stop matching program ids; a launch
whose programs all wait is a deadlock, not a hang; a wait on a flag of scope "cta" ends (the
program hands over) and is refused as the race it is between programs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

KERNELS = """
import triton
import triton.language as tl


@triton.jit
def waits_for_nothing(x_ptr, y_ptr, flag_ptr, BLOCK: tl.constexpr):
    p = tl.program_id(0)
    x = tl.load(x_ptr + p * BLOCK + tl.arange(0, BLOCK))
    seen = tl.atomic_add(flag_ptr, 0, sem="acquire")
    so_far = tl.load(y_ptr)
    tl.store(y_ptr, so_far + tl.sum(x, axis=0) + seen.to(tl.float32) * 0.0)
    tl.atomic_xchg(flag_ptr, 1, sem="release")


@triton.jit
def locked(x_ptr, y_ptr, flag_ptr, BLOCK: tl.constexpr):
    p = tl.program_id(0)
    x = tl.load(x_ptr + p * BLOCK + tl.arange(0, BLOCK))
    while tl.atomic_cas(flag_ptr, 0, 1) == 1:
        pass
    tl.store(y_ptr, tl.load(y_ptr) + tl.sum(x, axis=0))
    tl.atomic_xchg(flag_ptr, 0)


@triton.jit
def bounded_lock(x_ptr, y_ptr, flag_ptr, BLOCK: tl.constexpr):
    p = tl.program_id(0)
    x = tl.load(x_ptr + p * BLOCK + tl.arange(0, BLOCK))
    tries = 0
    while (tl.atomic_cas(flag_ptr, 0, 1) == 1) & (tries < 100):
        tries += 1
    tl.store(y_ptr, tl.load(y_ptr) + tl.sum(x, axis=0))
    tl.atomic_xchg(flag_ptr, 0)


@triton.jit
def locked_with_backoff(x_ptr, y_ptr, flag_ptr, BLOCK: tl.constexpr):
    p = tl.program_id(0)
    x = tl.load(x_ptr + p * BLOCK + tl.arange(0, BLOCK))
    backoff = 1
    while tl.atomic_cas(flag_ptr, 0, 1) == 1:
        backoff = tl.minimum(backoff * 2, 64)
    tl.store(y_ptr, tl.load(y_ptr) + tl.sum(x, axis=0))
    tl.atomic_xchg(flag_ptr, 0)


@triton.jit
def two_flags(x_ptr, y_ptr, flag_ptr, BLOCK: tl.constexpr):
    # Programs 0 and 1 each raise a flag after storing; the others wait for both, polled in one
    # loop with acquires, then read what was stored.
    p = tl.program_id(0)
    x = tl.load(x_ptr + p * BLOCK + tl.arange(0, BLOCK))
    if p < 2:
        tl.store(y_ptr + 1 + p, tl.sum(x, axis=0))
        tl.atomic_xchg(flag_ptr + p, 1, sem="release")
    else:
        while (tl.atomic_add(flag_ptr, 0, sem="acquire") == 0) | (
            tl.atomic_add(flag_ptr + 1, 0, sem="acquire") == 0
        ):
            pass
        tl.store(y_ptr + 1 + p, tl.load(y_ptr + 1) + tl.load(y_ptr + 2))


@triton.jit
def chained(x_ptr, y_ptr, flag_ptr, BLOCK: tl.constexpr):
    p = tl.program_id(0)
    x = tl.load(x_ptr + p * BLOCK + tl.arange(0, BLOCK))
    carry = 0.0
    if p > 0:
        while tl.load(flag_ptr + p - 1, volatile=True) == 0:
            pass
        carry = tl.load(y_ptr + p - 1)
    tl.store(y_ptr + p, carry + tl.sum(x, axis=0))
    tl.atomic_xchg(flag_ptr + p, 1)


@triton.jit
def chained_atomic_load(x_ptr, y_ptr, flag_ptr, BLOCK: tl.constexpr):
    p = tl.program_id(0)
    x = tl.load(x_ptr + p * BLOCK + tl.arange(0, BLOCK))
    carry = 0.0
    if p > 0:
        while tl.atomic_load(flag_ptr + p - 1, sem="acquire") == 0:
            pass
        carry = tl.load(y_ptr + p - 1)
    tl.store(y_ptr + p, carry + tl.sum(x, axis=0))
    tl.atomic_xchg(flag_ptr + p, 1, sem="release")


@triton.jit
def chained_cta(x_ptr, y_ptr, flag_ptr, BLOCK: tl.constexpr):
    p = tl.program_id(0)
    x = tl.load(x_ptr + p * BLOCK + tl.arange(0, BLOCK))
    carry = 0.0
    if p > 0:
        while tl.atomic_add(flag_ptr + p - 1, 0, sem="acquire", scope="cta") == 0:
            pass
        carry = tl.load(y_ptr + p - 1)
    tl.store(y_ptr + p, carry + tl.sum(x, axis=0))
    tl.atomic_xchg(flag_ptr + p, 1, sem="release", scope="cta")


@triton.jit
def last_arrival(x_ptr, y_ptr, flag_ptr, BLOCK: tl.constexpr):
    p = tl.program_id(0)
    n = tl.num_programs(0)
    tl.store(y_ptr + 1 + p, tl.sum(tl.load(x_ptr + p * BLOCK + tl.arange(0, BLOCK)), axis=0))
    if tl.atomic_add(flag_ptr, 1) == n - 1:
        parts = tl.load(y_ptr + 1 + tl.arange(0, BLOCK), mask=tl.arange(0, BLOCK) < n, other=0.0)
        tl.store(y_ptr, tl.sum(parts, axis=0))


@triton.jit
def tickets(x_ptr, y_ptr, flag_ptr, BLOCK: tl.constexpr):
    t = tl.atomic_add(flag_ptr, 1)
    tl.store(y_ptr + tl.program_id(0), t.to(tl.float32))


@triton.jit
def waits_forever(x_ptr, y_ptr, flag_ptr, BLOCK: tl.constexpr):
    while tl.load(flag_ptr, volatile=True) == 0:
        pass
"""

_RUNNER = r"""
import json, sys
from pathlib import Path
import torch
from kernelwright.sandbox import interleave, interp_memory, races
from kernelwright.sandbox.replay import load_kernels

interp_memory.install()
folder = Path(sys.argv[1])
kernels = load_kernels(sys.stdin.read(), folder, False)[0]
x = torch.randn(8 * 16)
seen = {}
for name, k in sorted(kernels.items()):
    for how in ("interleaved",) if name == "waits_forever" else ("in order", "interleaved"):
        y = torch.zeros(16)
        flag = torch.zeros(8, dtype=torch.int32)
        order = interleave.interleaved(3) if how == "interleaved" else None
        try:
            with races.Races(name, str(folder / "kernels.py")) as r:
                if order is None:
                    k[(8,)](x, y, flag, BLOCK=16)
                else:
                    with order:
                        k[(8,)](x, y, flag, BLOCK=16)
            race = r.race()
            seen[f"{name} {how}"] = {"race": race and race.message(), "y": y.tolist()}
        except Exception as e:
            seen[f"{name} {how}"] = {"error": f"{type(e.__cause__ or e).__name__}: {e.__cause__ or e}"}
seen["sums"] = [float(x.sum()), x.view(8, 16).sum(1).cumsum(0).tolist()]
seen["x"] = x.tolist()
print(json.dumps(seen))
"""


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    folder = tmp_path_factory.mktemp("interleave")
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER, str(folder)],
        input=KERNELS,
        capture_output=True,
        text=True,
        env={**os.environ, "TRITON_INTERPRET": "1"},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.splitlines()[-1])


def test_a_handshake_that_waits_for_nothing_races_only_when_interleaved(ran):
    # In order, every acquire reads the previous program's release: it looks ordered.
    assert ran["waits_for_nothing in order"]["race"] is None
    race = ran["waits_for_nothing interleaved"]["race"]
    assert race and "a data race between two programs" in race, ran


@pytest.mark.parametrize(
    "kernel", ["locked", "locked_with_backoff", "chained_atomic_load", "last_arrival"]
)
def test_real_synchronisation_still_works_interleaved(ran, kernel):
    total, cumulative = ran["sums"]
    got = ran[f"{kernel} interleaved"]
    assert got.get("race") is None and "error" not in got, got
    if kernel.startswith("chained"):
        assert got["y"][:8] == pytest.approx(cumulative, rel=1e-5, abs=1e-4)
    else:
        assert got["y"][0] == pytest.approx(total, rel=1e-5, abs=1e-4)


def test_a_chained_scan_that_waits_on_a_volatile_load_races(ran):
    # It really waits, and reads the right carry here; on a GPU the volatile load is relaxed,
    # so the carry loaded after it may be stale: the race names the load.
    total, cumulative = ran["sums"]
    got = ran["chained interleaved"]
    assert got["y"][:8] == pytest.approx(cumulative, rel=1e-5, abs=1e-4)
    race = got["race"]
    assert race and "a data race between two programs" in race and "is volatile" in race, got


def test_a_lock_that_gives_up_after_a_bounded_spin_races_interleaved(ran):
    # One after another nobody waits; interleaved, a spinner whose count of tries moves on is
    # drawn before the holder until its bound runs out, and it adds to y without the lock.
    assert ran["bounded_lock in order"]["race"] is None
    race = ran["bounded_lock interleaved"]["race"]
    assert race and "a data race between two programs" in race, ran


def test_a_wait_on_two_flags_in_one_loop_is_a_wait(ran):
    total, _ = ran["sums"]
    x = ran["x"]
    got = ran["two_flags interleaved"]
    assert got.get("race") is None and "error" not in got, got
    both = sum(x[:16]) + sum(x[16:32])
    assert got["y"][3:9] == pytest.approx([both] * 6, rel=1e-5, abs=1e-4)


def test_tickets_no_longer_match_program_ids(ran):
    assert ran["tickets in order"]["y"][:8] == list(range(8))
    assert sorted(ran["tickets interleaved"]["y"][:8]) == list(range(8))
    assert ran["tickets interleaved"]["y"][:8] != list(range(8))


def test_programs_that_all_wait_are_a_deadlock_not_a_hang(ran):
    assert ran["waits_forever interleaved"]["error"].startswith("Deadlock: "), ran


def test_a_chained_scan_through_cta_scope_flags_is_a_race_not_a_hang(ran):
    # It waits for real, but a "cta" release/acquire orders nothing between programs.
    for how in ("in order", "interleaved"):
        race = ran[f"chained_cta {how}"].get("race")
        assert race and 'has scope="cta"' in race and "plain load and store" in race, ran
