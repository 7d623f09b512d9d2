"""Re-scoring: re-verify and re-time the saved candidates of a run on this machine.

No model is called. Every attempt of the source run is copied into a new run directory
(kind ``rescore``) with a fresh Outcome from the sandbox; ids, messages, responses, usage
and feedback stay as recorded (the feedback is what the model was shown at the time).
Attempts without code (format errors) are copied unchanged. Used to move an eval to
another GPU, or to apply a stricter verifier to old runs. ``resume`` skips attempts the
target already holds.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kernelwright.outcome import Outcome
from kernelwright.problem import (
    ProblemError,
    bundled_problems_dir,
    find_problems,
    read_problem,
)
from kernelwright.runlog import AttemptRecord, ProblemRef, RunDir, RunInfo, now
from kernelwright.sandbox.executor import EvalRequest, Executor
from kernelwright.versions import library_versions


class RescoreError(Exception):
    """A re-score that cannot run; the message says why, for a person."""


@dataclass(frozen=True)
class RescoreConfig:
    source: Path
    out: Path
    shape: str | None = None  # None: the shape each attempt was run with
    timeout_s: float = 120.0
    timing: bool = True
    resume: bool = False
    concurrency: int = 4


def locate_problem(ref: ProblemRef, search: list[Path] | None = None) -> Path:
    """The file of a recorded problem on this machine: its recorded path if the content is
    unchanged, else a bundled (or ``search``) file with the same hash."""
    path = Path(ref.path)
    if path.is_file():
        try:
            if read_problem(path).sha256 == ref.sha256:
                return path
        except ProblemError:
            pass
    roots = [*(search or []), bundled_problems_dir()]
    for root in roots:
        for candidate in find_problems(root) if root.exists() else []:
            if candidate.stem != path.stem and candidate.stem != ref.name:
                continue
            try:
                if read_problem(candidate).sha256 == ref.sha256:
                    return candidate
            except ProblemError:
                continue
    raise RescoreError(
        f"problem {ref.name!r} (sha256 {ref.sha256[:12]}...) is not at {ref.path} and no "
        "bundled problem has the same content; it moved or changed since the run"
    )


def _target_info(cfg: RescoreConfig, source: RunInfo, argv: list[str]) -> RunInfo:
    return RunInfo(
        kind="rescore",
        command=argv,
        config={
            **source.config,
            "rescore_of": str(cfg.source),
            "rescore_of_run_id": source.run_id,
            "rescore_of_kind": source.kind,
            "rescore_shape": cfg.shape,
            "rescore_timeout_s": cfg.timeout_s,
            "rescore_timing": cfg.timing,
        },
        prompt_version=source.prompt_version,
        versions=library_versions(),
        problems=source.problems,
    )


def _open_target(cfg: RescoreConfig, source: RunInfo, argv: list[str]) -> tuple[RunDir, RunInfo]:
    target = RunDir(cfg.out)
    if target.path.resolve() == cfg.source.resolve():
        raise RescoreError(f"{cfg.out}: the re-scored run needs its own directory")
    if target.exists():
        if not cfg.resume:
            raise RescoreError(
                f"{cfg.out}: already a run directory; pass --resume to continue it, or choose "
                "another --out"
            )
        info = target.read_info()
        if info.kind != "rescore" or info.config.get("rescore_of_run_id") != source.run_id:
            raise RescoreError(
                f"{cfg.out}: not a re-score of {cfg.source} (run {source.run_id}); cannot resume"
            )
        return target, info
    info = _target_info(cfg, source, argv)
    target.write_info(info)
    return target, info


async def rescore(
    cfg: RescoreConfig,
    executor: Executor,
    argv: list[str] | None = None,
    on_attempt: Callable[[AttemptRecord], None] = lambda record: None,
) -> RunDir:
    """Re-score ``cfg.source`` into ``cfg.out`` through ``executor``; returns the new run."""
    src = RunDir(cfg.source)
    if not src.exists():
        raise RescoreError(f"{cfg.source}: not a run directory (no run.json)")
    source_info = src.read_info()
    records = src.attempts()
    if not records:
        raise RescoreError(f"{cfg.source}: the run has no attempts to re-score")
    target, info = _open_target(cfg, source_info, argv if argv is not None else sys.argv)
    done = {r.attempt_id for r in target.attempts()}
    todo = [r for r in records if r.attempt_id not in done]

    paths: dict[str, Path] = {}
    for r in todo:
        if r.code is not None and r.problem.sha256 not in paths:
            paths[r.problem.sha256] = locate_problem(r.problem)

    gate = asyncio.Semaphore(max(1, cfg.concurrency))

    async def one(record: AttemptRecord) -> None:
        if record.code is None:
            new = record.model_copy(update={"run_id": info.run_id})
        else:
            shape = cfg.shape or record.problem.shape
            request = EvalRequest(
                problem=paths[record.problem.sha256],
                code=record.code,
                # "auto": the sandbox picks (small on the CPU, every declared set on a GPU).
                shape=None if shape == "auto" else shape,
                timeout_s=cfg.timeout_s,
                timing=cfg.timing,
            )
            async with gate:
                start = time.monotonic()
                outcome = await _evaluate(executor, request)
                elapsed = time.monotonic() - start
            new = record.model_copy(
                update={
                    "run_id": info.run_id,
                    "problem": record.problem.model_copy(update={"shape": shape}),
                    "outcome": outcome,
                    "eval_s": elapsed,
                    "created_at": now(),
                }
            )
        target.append(new)
        on_attempt(new)

    await asyncio.gather(*(one(r) for r in todo))
    info.finished_at = now()
    target.write_info(info)
    return target


async def _evaluate(executor: Executor, request: EvalRequest) -> Outcome:
    """The executor's verdict; a problem that cannot be loaded is the run's error, not the
    candidate's, so it ends the re-score with its message."""
    try:
        return await executor.evaluate(request)
    except ProblemError as e:
        raise RescoreError(str(e)) from None
