"""Test doubles for the agent: a problem file, a fake evaluator that reads its verdict from the
candidate's first line, Triton candidates for the real sandbox, and a session builder."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from kernelwright.agent.budget import Ledger, Limits
from kernelwright.agent.loop import Session
from kernelwright.agent.models import ModelClient
from kernelwright.outcome import Outcome, Status, Timing
from kernelwright.problem import read_problem

PROBLEM = """import torch
import torch.nn as nn

KERNELWRIGHT = {"name": "scale_shift", "level": 1, "shapes": {"small": {"N": 1000}}}

N = 4096


class Model(nn.Module):
    def forward(self, x):
        return x * 2.0 + 1.0


def get_inputs():
    return [torch.randn(N)]


def get_init_inputs():
    return []
"""

_TRITON = """import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def scale_shift_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(y_ptr + offs, x * 2.0 + SHIFT, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        scale_shift_kernel[(triton.cdiv(n, 256),)](x, y, n, BLOCK=256)
        return y
"""

# Correct; and one whose shift is off by one: the sandbox reports a real mismatch.
GOOD_KERNEL = _TRITON.replace("SHIFT", "1.0")
WRONG_KERNEL = _TRITON.replace("SHIFT", "2.0")

# Correct, through the kwlib helpers a candidate may import.
KWLIB_KERNEL = """import torch
import torch.nn as nn
import triton
import triton.language as tl
from kernelwright.prompts.kwlib import load_vec, store_vec


@triton.jit
def scale_shift_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    store_vec(y_ptr, load_vec(x_ptr, offs, n) * 2.0 + 1.0, offs, n)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        scale_shift_kernel[(triton.cdiv(x.numel(), 256),)](x, y, x.numel(), BLOCK=256)
        return y
"""


def write_problem(folder: Path) -> Path:
    path = folder / "scale_shift.py"
    path.write_text(PROBLEM)
    return path


def kernel(status: str = "correct", speedup: float | None = None, message: str = "") -> str:
    """A stand-in candidate whose first line tells FakeEvaluator its verdict."""
    verdict = json.dumps({"status": status, "speedup": speedup, "message": message})
    return f"# verdict: {verdict}\nimport torch\n\n\nclass ModelNew(torch.nn.Module):\n    pass\n"


class FakeEvaluator:
    def __init__(self, delay_s: float = 0.0):
        self.delay_s = delay_s
        self.codes: list[str] = []
        self.in_flight = 0
        self.max_in_flight = 0

    async def evaluate(self, problem: Path, code: str) -> Outcome:
        self.codes.append(code)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay_s)
        finally:
            self.in_flight -= 1
        first = code.splitlines()[0]
        verdict = json.loads(first.removeprefix("# verdict: "))
        s = verdict["speedup"]
        timing = None if s is None else Timing(candidate_ms=1.0 / s, eager_ms=1.0, speedup_eager=s)
        return Outcome(status=Status(verdict["status"]), message=verdict["message"], timing=timing)


def session(
    problem: Path, client: ModelClient, evaluator: FakeEvaluator, **limits: object
) -> Session:
    return Session(
        run_id="run0",
        problem=read_problem(problem),
        shape="small",
        client=client,
        evaluator=evaluator,
        ledger=Ledger(Limits(**limits)),  # type: ignore[arg-type]
        temperature=0.0,
        max_tokens=512,
    )
