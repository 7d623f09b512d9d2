"""Hand-made attempt records shared by the eval tests (the golden set of test_evals_metrics)."""

from __future__ import annotations

from pathlib import Path

from kernelwright.outcome import Outcome, Roofline, Status, Timing
from kernelwright.runlog import AttemptRecord, ProblemRef, RunDir, RunInfo, Usage

PROBLEMS = {
    "A": ProblemRef(name="A", path="p/A.py", sha256="a" * 64, level=1, tags=["softmax"]),
    "B": ProblemRef(name="B", path="p/B.py", sha256="b" * 64, level=2, tags=["matmul"]),
    "C": ProblemRef(
        name="C", path="p/C.py", sha256="c" * 64, level=1, tags=["softmax", "reduction"]
    ),
    "D": ProblemRef(name="D", path="p/D.py", sha256="d" * 64, level=3, tags=[]),
}


def record(
    problem: str,
    traj: str,
    turn: int,
    status: str,
    ms: float | None = None,
    eager: float | None = None,
    compiled: float | None = None,
    pct: float | None = None,
    model: str = "model-a",
    run_id: str = "run-golden",
    sample: int = 0,
    replay: bool = False,
    code: str | None = "class ModelNew: pass\n",
    device: str = "NVIDIA H100 80GB HBM3",
) -> AttemptRecord:
    timing = None
    if ms is not None:
        timing = Timing(
            candidate_ms=ms,
            eager_ms=eager,
            compiled_ms=compiled,
            speedup_eager=eager / ms if eager else None,
            speedup_compiled=compiled / ms if compiled else None,
        )
    return AttemptRecord(
        run_id=run_id,
        trajectory_id=f"{problem}-{traj}",
        problem=PROBLEMS[problem],
        turn=turn,
        sample=sample,
        model=model,
        replay=replay,
        prompt_version="v1",
        messages=[{"role": "user", "content": "write a kernel"}],
        response="```python\n" + (code or "") + "```",
        code=code,
        outcome=Outcome(
            status=Status(status),
            timing=timing,
            roofline=Roofline(pct_of_bound=pct) if pct is not None else None,
            env={"device": device},
        ),
        usage=Usage(prompt_tokens=100, completion_tokens=50, cost_usd=0.01),
        model_s=1.0,
        eval_s=0.5,
    )


def golden_records(**kw) -> list[AttemptRecord]:
    """Three problems with samples; speedups chosen to land exactly on thresholds.

    A: s0 compile_error then correct at 2.0x eager / 1.5x compiled; s1 correct at exactly
       1.0x eager / 0.75x compiled; s2 incorrect then runtime_error.  n=3, c=2.
    B: two samples, neither correct (format_error; incorrect).       n=2, c=0.
    C: one sample, correct at 4x then improved to 8x eager / 4x compiled. n=1, c=1.
    """
    r = record
    return [
        r("A", "s0", 0, "compile_error", sample=0, **kw),
        r("A", "s0", 1, "correct", 1.0, 2.0, 1.5, pct=50.0, sample=0, **kw),
        r("A", "s1", 0, "correct", 2.0, 2.0, 1.5, pct=25.0, sample=1, **kw),
        r("A", "s2", 0, "incorrect", sample=2, **kw),
        r("A", "s2", 1, "runtime_error", sample=2, **kw),
        r("B", "s0", 0, "format_error", sample=0, **kw),
        r("B", "s1", 0, "incorrect", sample=1, **kw),
        r("C", "s0", 0, "correct", 0.5, 2.0, 1.0, pct=40.0, sample=0, **kw),
        r("C", "s0", 1, "correct", 0.25, 2.0, 1.0, pct=80.0, sample=0, **kw),
    ]


def cpu_records(**kw) -> list[AttemptRecord]:
    """The golden run as the CPU interpreter would record it: same verdicts, no timing."""
    out = []
    for rec in golden_records(device="cpu", **kw):
        rec.outcome.timing = None
        rec.outcome.roofline = None
        out.append(rec)
    return out


def golden_info(run_id: str = "run-golden", **config) -> RunInfo:
    return RunInfo(
        run_id=run_id,
        kind="eval",
        config={"model": "model-a", **config},
        prompt_version="v1",
        problems=[PROBLEMS[k] for k in "ABCD"],
    )


def write_run(path: Path, records: list[AttemptRecord], info: RunInfo) -> RunDir:
    run = RunDir(path)
    run.write_info(info)
    for rec in records:
        run.append(rec)
    return run
