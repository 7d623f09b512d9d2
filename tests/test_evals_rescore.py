"""Re-scoring: saved candidates re-verified through the sandbox executor, no model called."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from evals_records import record

from kernelwright.evals.rescore import RescoreConfig, RescoreError, locate_problem, rescore
from kernelwright.outcome import Outcome, Status, Timing
from kernelwright.problem import read_problem
from kernelwright.runlog import ProblemRef, RunDir, RunInfo
from kernelwright.sandbox.executor import EvalRequest, LocalExecutor

PROBLEM = """\
import torch
import torch.nn as nn

KERNELWRIGHT = {"name": "double", "level": 1, "tags": ["elementwise"],
                "shapes": {"small": {"N": 1000}}}

N = 4096


class Model(nn.Module):
    def forward(self, x):
        return x * 2.0


def get_inputs():
    return [torch.randn(N)]


def get_init_inputs():
    return []
"""

KERNEL = """\
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def double_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(y_ptr + offs, tl.load(x_ptr + offs, mask=mask) * FACTOR, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        double_kernel[(triton.cdiv(x.numel(), 256),)](x, y, x.numel(), BLOCK=256)
        return y
"""
GOOD = KERNEL.replace("FACTOR", "2.0")
WRONG = KERNEL.replace("FACTOR", "3.0")


class VerdictExecutor:
    """Judges a candidate by a marker in its code; records every request it got."""

    def __init__(self):
        self.requests: list[EvalRequest] = []

    async def evaluate(self, request: EvalRequest) -> Outcome:
        self.requests.append(request)
        if "GOOD" in request.code:
            return Outcome(
                status=Status.correct,
                timing=Timing(candidate_ms=0.5, eager_ms=1.0, speedup_eager=2.0),
                env={"device_name": "NVIDIA H200"},
            )
        return Outcome(
            status=Status.incorrect, message="mismatch", env={"device_name": "NVIDIA H200"}
        )

    async def close(self) -> None:
        return None


def source_run(tmp_path: Path, codes: list[str | None]) -> tuple[Path, list]:
    problem = tmp_path / "problems" / "double.py"
    problem.parent.mkdir(parents=True, exist_ok=True)
    problem.write_text(PROBLEM)
    info = read_problem(problem)
    ref = ProblemRef(
        name="double", path=str(problem), sha256=info.sha256, level=1, tags=["elementwise"]
    )
    run = RunDir(tmp_path / "src")
    run.write_info(RunInfo(run_id="src-run", kind="eval", config={"model": "m"}, problems=[ref]))
    recs = []
    for i, code in enumerate(codes):
        status = "format_error" if code is None else "incorrect"
        rec = record("A", f"s{i}", 0, status, sample=i, code=code, device="cpu")
        rec = rec.model_copy(update={"problem": ref, "run_id": "src-run"})
        run.append(rec)
        recs.append(rec)
    return tmp_path / "src", recs


def test_rescore_with_a_fake_executor(tmp_path):
    src, recs = source_run(tmp_path, ["# GOOD\n", "# BAD\n", None])
    ex = VerdictExecutor()
    cfg = RescoreConfig(source=src, out=tmp_path / "new", shape="bench", timeout_s=30.0)
    run = asyncio.run(rescore(cfg, ex, argv=["kernelwright", "eval", "--rescore", str(src)]))
    info = run.read_info()
    assert info.kind == "rescore" and info.run_id != "src-run"
    assert info.config["rescore_of_run_id"] == "src-run" and info.config["model"] == "m"
    assert info.finished_at is not None
    # The format error has no code: copied as is, never sent to the sandbox.
    assert len(ex.requests) == 2
    assert {r.shape for r in ex.requests} == {"bench"} and ex.requests[0].timing
    by_id = {r.attempt_id: r for r in run.attempts()}
    assert set(by_id) == {r.attempt_id for r in recs}
    good, bad, fmt = (by_id[r.attempt_id] for r in recs)
    assert good.outcome.status == "correct" and good.outcome.timing.speedup_eager == 2.0
    assert good.problem.shape == "bench" and good.run_id == info.run_id
    assert good.response == recs[0].response and good.messages == recs[0].messages
    assert bad.outcome.status == "incorrect"
    assert fmt.outcome.status == "format_error" and fmt.run_id == info.run_id


def test_rescore_resume_and_refusals(tmp_path):
    src, recs = source_run(tmp_path, ["# GOOD\n", "# BAD\n"])
    out = tmp_path / "new"
    cfg = RescoreConfig(source=src, out=out)
    asyncio.run(rescore(cfg, VerdictExecutor(), argv=[]))
    with pytest.raises(RescoreError, match="pass --resume"):
        asyncio.run(rescore(cfg, VerdictExecutor(), argv=[]))
    # Resuming a finished re-score evaluates nothing again.
    ex = VerdictExecutor()
    resumed = RescoreConfig(source=src, out=out, resume=True)
    asyncio.run(rescore(resumed, ex, argv=[]))
    assert ex.requests == [] and len(RunDir(out).attempts()) == 2
    # A half-done one evaluates only what is missing.
    lines = (out / "attempts.jsonl").read_text().splitlines()
    (out / "attempts.jsonl").write_text(lines[0] + "\n")
    asyncio.run(rescore(resumed, ex, argv=[]))
    assert len(ex.requests) == 1 and len(RunDir(out).attempts()) == 2
    with pytest.raises(RescoreError, match="its own directory"):
        asyncio.run(rescore(RescoreConfig(source=src, out=src), ex, argv=[]))
    with pytest.raises(RescoreError, match="not a run directory"):
        asyncio.run(rescore(RescoreConfig(source=tmp_path, out=out), ex, argv=[]))


def test_a_changed_problem_is_not_rescored_silently(tmp_path):
    src, recs = source_run(tmp_path, ["# GOOD\n"])
    problem = Path(recs[0].problem.path)
    with pytest.raises(RescoreError, match="moved or changed"):
        problem.write_text(PROBLEM.replace("x * 2.0", "x * 4.0"))
        locate_problem(recs[0].problem)
    # Moved but unchanged: found by its content among the given folders.
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    (moved / "double.py").write_text(PROBLEM)
    problem.unlink()
    assert locate_problem(recs[0].problem, [moved]) == moved / "double.py"


def test_rescore_through_the_real_sandbox(tmp_path):
    """The CPU interpreter re-verifies: the good kernel passes, the wrong one is caught."""
    src, recs = source_run(tmp_path, [GOOD, WRONG])
    cfg = RescoreConfig(source=src, out=tmp_path / "cpu", shape="small", timeout_s=120.0)

    async def go():
        # subprocess: bwrap gives workers a private /tmp, where pytest keeps this problem.
        async with LocalExecutor(workers=1, sandbox="subprocess") as ex:
            return await rescore(cfg, ex, argv=[])

    run = asyncio.run(go())
    by_id = {r.attempt_id: r for r in run.attempts()}
    good, wrong = (by_id[r.attempt_id] for r in recs)
    assert good.outcome.status == "correct", good.outcome.message
    assert good.outcome.timing is None  # the interpreter never times
    assert wrong.outcome.status == "incorrect", wrong.outcome.message
    json.loads(good.outcome.model_dump_json())
