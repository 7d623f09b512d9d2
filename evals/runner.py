"""``kernelwright eval``: every problem of a suite through the agent, into one run directory.

The run directory is the one ``generate`` writes (``run.json`` of kind ``eval``, one
``attempts.jsonl`` for all problems), plus ``summary.json`` (how each problem ended) and,
at the end, ``metrics.json``, ``report.md`` and ``report.html``. Problems run concurrently
against one sandbox executor; each attempt is appended as it finishes, so ``resume``
continues an interrupted eval: recorded attempts are served back to the loop instead of
asking the model again.

Settings are the agent's (``GenerateConfig``), the same for every problem; budgets and
targets apply per problem.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from rich.markup import escape

from kernelwright.agent import prompting
from kernelwright.agent.errors import (
    AgentError,
    AuthError,
    MissingKeyError,
    UnknownModelError,
    UnreachableError,
)
from kernelwright.agent.models import ModelClient
from kernelwright.agent.replay import is_replay
from kernelwright.agent.run import (
    IDENTITY,
    GenerateConfig,
    device_facts,
    open_client,
    open_evaluator,
    run_problem,
)
from kernelwright.agent.strategies import gather_all
from kernelwright.evals.metrics import Metrics, problem_key
from kernelwright.evals.report import write_report
from kernelwright.evals.suite import Suite, SuiteProblem
from kernelwright.problem import ProblemError, ProblemInfo
from kernelwright.runlog import AttemptRecord, ProblemRef, RunDir, RunInfo, now
from kernelwright.sandbox.executor import Executor
from kernelwright.sandbox.executors import ExecutorError, make_executor
from kernelwright.versions import library_versions

# Errors that every problem would meet in turn: they end the eval at once.
FATAL = (MissingKeyError, AuthError, UnreachableError, UnknownModelError)


class EvalError(Exception):
    """An eval that cannot run; the message says why, for a person."""


class EvalConfig(BaseModel):
    """The suite and the agent settings every problem runs with."""

    suite: str
    # The per-problem settings; ``agent.problem`` holds the suite spec and is replaced by
    # each problem's path.
    agent: GenerateConfig

    def dump(self) -> dict[str, Any]:
        """run.json's ``config``: flat, with the same keys as a generate run's."""
        return {"suite": self.suite, **self.agent.model_dump(exclude={"problem"})}

    @classmethod
    def load(cls, data: dict[str, Any]) -> EvalConfig:
        rest = {k: v for k, v in data.items() if k != "suite"}
        return cls(suite=data["suite"], agent=GenerateConfig(problem=data["suite"], **rest))

    def for_problem(self, problem: SuiteProblem) -> GenerateConfig:
        return self.agent.model_copy(update={"problem": str(problem.path)})


class ProblemSummary(BaseModel):
    """How one problem of the eval ended (``summary.json``)."""

    problem: str
    path: str
    attempts: int = 0
    correct: bool = False
    stop_reason: str | None = None
    notes: list[str] = []
    error: str | None = None


@dataclass(frozen=True)
class EvalResult:
    run: RunDir
    metrics: Metrics
    report: Path
    errors: list[str]  # problems that could not be evaluated, with why


def session_shape(config: GenerateConfig) -> str:
    """The shape recorded in ProblemRef: "auto" is the sandbox's own choice of shape sets."""
    return config.shape or "auto"


def problem_ref(problem: SuiteProblem, shape: str) -> ProblemRef:
    info = problem.info
    return ProblemRef(
        name=info.name,
        path=str(info.path),
        sha256=info.sha256,
        level=info.level,
        tags=list(info.meta.tags),
        shape=shape,
    )


def prepare(
    cfg: EvalConfig, suite: Suite, out: Path, resume: bool, argv: list[str]
) -> tuple[RunDir, RunInfo]:
    """Write run.json (or, resuming, check that the run asks the same questions)."""
    run = RunDir(out)
    refs = [problem_ref(p, session_shape(cfg.agent)) for p in suite.problems]
    if resume:
        if not run.exists():
            raise EvalError(f"{out}: nothing to resume (no run.json there)")
        info = run.read_info()
        if info.kind != "eval":
            raise EvalError(f"{out}: a {info.kind} run, not an eval; cannot resume it as one")
        stored = EvalConfig.load(info.config)
        changed = [k for k in IDENTITY if getattr(stored.agent, k) != getattr(cfg.agent, k)]
        if stored.suite != cfg.suite:
            changed.insert(0, "suite")
        if changed:
            raise EvalError(
                f"{out} was run with other settings ({', '.join(changed)}); resume it with the "
                "same ones, or start a new run with another --out"
            )
        before = {problem_key(r): r.sha256 for r in info.problems}
        moved = [problem_key(r) for r in refs if before.get(problem_key(r), r.sha256) != r.sha256]
        if moved:
            raise EvalError(f"{', '.join(moved)} changed since {out} was started; start a new run")
        info.config = cfg.dump()
        info.problems = refs
        info.finished_at = None
    else:
        if run.exists():
            raise EvalError(
                f"{out} already holds a run: pass --resume to continue it, or choose another --out"
            )
        info = RunInfo(
            kind="eval",
            command=argv,
            config=cfg.dump(),
            prompt_version=prompting.prompt_version(),
            versions={
                **library_versions(),
                "device": device_facts() or {"name": "cpu (Triton interpreter)"},
            },
            problems=refs,
        )
    run.write_info(info)
    return run, info


class EvalProgress:
    """One line on the console per finished problem."""

    def __init__(self, console, total: int):
        self.console = console
        self.total = total
        self.finished = 0

    def problem_done(self, summary: ProblemSummary) -> None:
        self.finished += 1
        if summary.error:
            what = f"[red]error[/]: {escape(summary.error)}"
        elif summary.correct:
            what = "[green]correct[/]"
        else:
            what = f"[yellow]not solved[/] ({summary.stop_reason or 'turns'})"
        self.console.print(
            f"\\[{self.finished}/{self.total}] {escape(summary.problem)}: {what}, "
            f"{summary.attempts} attempt(s)",
            highlight=False,
        )


async def execute(
    cfg: EvalConfig,
    suite: Suite,
    run: RunDir,
    info: RunInfo,
    *,
    executor: Executor | None = None,
    client_for: Callable[[GenerateConfig, ProblemInfo], ModelClient] | None = None,
    progress: EvalProgress | None = None,
) -> list[ProblemSummary]:
    """Run every problem of the suite; ``executor`` and ``client_for`` replace the sandbox and
    the model clients the config names (for tests and embedding)."""
    done_by_problem: dict[str, list[AttemptRecord]] = {}
    for record in run.attempts():
        done_by_problem.setdefault(record.problem.sha256, []).append(record)
    gate = asyncio.Semaphore(cfg.agent.concurrency)
    shared: dict[str, ModelClient] = {}

    async with contextlib.AsyncExitStack() as stack:
        if executor is None:
            try:
                executor = make_executor(
                    cfg.agent.executor,
                    ray_address=cfg.agent.ray_address,
                    workers=cfg.agent.workers,
                    sandbox=cfg.agent.sandbox,
                )
            except ExecutorError as e:
                raise EvalError(str(e)) from None
            stack.push_async_callback(executor.close)

        def client(config: GenerateConfig, problem: ProblemInfo) -> ModelClient:
            if client_for is not None:
                return client_for(config, problem)
            # A replay serves one transcript per problem; a live endpoint is shared, so that
            # its limit on calls in flight holds for the whole eval.
            if is_replay(config.model):
                return open_client(config, problem)
            if "live" not in shared:
                shared["live"] = open_client(config, problem)
                stack.push_async_callback(shared["live"].aclose)
            return shared["live"]

        async def one(problem: SuiteProblem) -> ProblemSummary:
            config = cfg.for_problem(problem)
            key = problem_key(problem_ref(problem, session_shape(config)))
            summary = ProblemSummary(problem=key, path=str(problem.path))
            done = done_by_problem.get(problem.info.sha256, [])
            records = list(done)

            def on_attempt(record: AttemptRecord) -> None:
                run.append(record)
                records.append(record)

            async with gate:
                c = None
                try:
                    c = client(config, problem.info)
                    evaluator = open_evaluator(config, executor)
                    session = await run_problem(
                        config,
                        problem.info,
                        run_id=info.run_id,
                        client=c,
                        evaluator=evaluator,
                        done=done,
                        on_attempt=on_attempt,
                    )
                    summary.stop_reason = session.ledger.settle()
                    summary.notes = session.notes
                except FATAL:
                    raise
                except (AgentError, ProblemError) as e:
                    summary.error = str(e)
                    summary.stop_reason = "error"
                finally:
                    if c is not None and c is not shared.get("live") and client_for is None:
                        await c.aclose()
            summary.attempts = len(records)
            summary.correct = any(r.outcome.correct for r in records)
            if progress:
                progress.problem_done(summary)
            return summary

        # A fatal error in one problem cancels the others.
        return await gather_all([one(p) for p in suite.problems])


def finish(run: RunDir, info: RunInfo, summaries: list[ProblemSummary]) -> EvalResult:
    """summary.json, run.json's end time, and the report files."""
    run.write_json("summary.json", {"problems": [s.model_dump() for s in summaries]})
    info.finished_at = now()
    run.write_info(info)
    files = write_report([run.path])
    return EvalResult(
        run=run,
        metrics=files.runs[0],
        report=files.html,
        errors=[f"{s.problem}: {s.error}" for s in summaries if s.error],
    )


def run_eval(
    cfg: EvalConfig,
    suite: Suite,
    out: Path,
    *,
    resume: bool = False,
    argv: list[str] | None = None,
    executor: Executor | None = None,
    client_for: Callable[[GenerateConfig, ProblemInfo], ModelClient] | None = None,
    progress_console=None,
) -> EvalResult:
    """Run the suite and write the report. Raises EvalError or AgentError, with a message."""
    cfg.agent.check()
    run, info = prepare(cfg, suite, out, resume, argv if argv is not None else sys.argv)
    progress = EvalProgress(progress_console, len(suite.problems)) if progress_console else None
    summaries = asyncio.run(
        execute(cfg, suite, run, info, executor=executor, client_for=client_for, progress=progress)
    )
    return finish(run, info, summaries)
