"""A ``generate`` run end to end: its configuration, the model client and the sandbox it uses,
the run directory it writes (``run.json``, ``attempts.jsonl``, ``summary.json``,
``best_kernel.py``), and resuming one that was stopped."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from kernelwright import hardware
from kernelwright.agent import prompting
from kernelwright.agent.best_kernel import render_best_kernel
from kernelwright.agent.budget import Ledger, Limits, speedup
from kernelwright.agent.cache import CachedClient, CachedEvaluator, DiskCache, default_cache_dir
from kernelwright.agent.errors import AgentError
from kernelwright.agent.loop import Evaluator, Session
from kernelwright.agent.models import (
    CALL_DEADLINE_S,
    REQUEST_TIMEOUT_S,
    ModelClient,
    OnRetry,
    OpenAIClient,
)
from kernelwright.agent.pricing import PriceTable
from kernelwright.agent.progress import Progress
from kernelwright.agent.replay import RecordingClient, ReplayClient, is_replay, transcript_path
from kernelwright.agent.strategies import run_strategy
from kernelwright.outcome import Outcome
from kernelwright.problem import ProblemInfo, read_problem
from kernelwright.runlog import AttemptRecord, RunDir, RunInfo, now
from kernelwright.sandbox.executor import EvalRequest, Executor
from kernelwright.sandbox.executors import ExecutorError, make_executor
from kernelwright.versions import library_versions

# A resumed run must ask the same questions in the same way; anything else may change.
IDENTITY = (
    "model",
    "base_url",
    "temperature",
    "max_tokens",
    "seed",
    "strategy",
    "samples",
    "beam_width",
    "shape",
    "prompt_variant",
    "target",
)


class GenerateConfig(BaseModel):
    problem: str
    model: str
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    temperature: float | None = None  # None: the server's default (reasoning models want it)
    max_tokens: int = 8192
    seed: int = 0
    strategy: str = "refine"
    turns: int = 5
    samples: int = 1
    beam_width: int = 2
    target_speedup: float | None = None
    target_roofline: float | None = None
    max_tokens_total: int | None = None
    max_cost: float | None = None
    max_wall_s: float | None = None
    shape: str | None = None  # None: the sandbox's choice (small on the CPU, all on a GPU)
    prompt_variant: str = "full"
    # A chip to write for (kernelwright.hardware.TARGETS): its facts go in the prompt and every
    # check compiles for it too. None: this machine's GPU, or none on the CPU.
    target: str | None = None
    concurrency: int = 4
    workers: int | None = None
    sandbox: str = "auto"
    executor: str = "local"
    ray_address: str | None = None
    eval_timeout_s: float = 120.0
    request_timeout_s: float = REQUEST_TIMEOUT_S
    call_deadline_s: float = CALL_DEADLINE_S
    cache: bool = True
    record: str | None = None
    prices: str | None = None

    def limits(self) -> Limits:
        return Limits(
            turns=self.turns,
            target_speedup=self.target_speedup,
            target_roofline=self.target_roofline,
            max_tokens_total=self.max_tokens_total,
            max_cost=self.max_cost,
            max_wall_s=self.max_wall_s,
        )

    def check(self) -> None:
        prompting.check_variant(self.prompt_variant)
        if self.target is not None:
            try:
                hardware.target_facts(self.target)
            except hardware.TargetError as e:
                raise AgentError(f"--target: {e}") from None
        if self.strategy == "refine" and self.samples > 1:
            raise AgentError(f"--samples {self.samples} needs --strategy best-of-k or beam")
        if self.strategy == "beam" and self.samples < self.beam_width:
            raise AgentError(
                f"beam: --samples ({self.samples}) must be at least "
                f"--beam-width ({self.beam_width})"
            )
        priced = is_replay(self.model) or PriceTable.load(self.prices).lookup(self.model)
        if self.max_cost is not None and not priced:
            raise AgentError(
                f"--max-cost needs the price of {self.model!r}: give a table "
                "with --prices FILE (see kernelwright.agent.pricing)"
            )
        for name in ("turns", "samples", "beam_width", "concurrency", "max_tokens"):
            if getattr(self, name) < 1:
                raise AgentError(f"--{name.replace('_', '-')} must be at least 1")


def device_facts() -> dict[str, Any] | None:
    """The GPU the kernels will run on, for the prompt (render.TargetFacts) and run.json; None
    on the CPU, where the interpreter runs them."""
    import torch

    if not torch.cuda.is_available():
        return None
    p = torch.cuda.get_device_properties(0)
    facts: dict[str, Any] = {
        "name": p.name,
        "arch": f"sm_{p.major}{p.minor}",
        "sms": p.multi_processor_count,
        "memory_gib": round(p.total_memory / 2**30, 1),
    }
    spec = hardware.lookup(p.name)
    if spec is not None:
        facts.update(
            smem_per_sm_kb=spec.smem_per_sm / 1024,
            l2_mb=spec.l2_bytes / 2**20,
            tensor_core_shapes=spec.mma_shapes,
        )
    peaks = hardware.peaks_for(p.name, torch.__version__)
    if peaks is not None:
        facts.update(
            bandwidth_gbs=peaks.bandwidth / 1e9,
            tflops={k: v / 1e12 for k, v in peaks.flops.items()},
        )
    return facts


def open_client(
    config: GenerateConfig, problem: ProblemInfo, on_retry: OnRetry | None = None
) -> ModelClient:
    client: ModelClient
    if is_replay(config.model):
        client = ReplayClient(config.model, transcript_path(config.model, problem.name))
    else:
        client = OpenAIClient(
            config.model,
            base_url=config.base_url,
            api_key_env=config.api_key_env,
            prices=PriceTable.load(config.prices),
            concurrency=config.concurrency,
            request_timeout_s=config.request_timeout_s,
            call_deadline_s=config.call_deadline_s,
            on_retry=on_retry,
        )
        if config.cache:
            client = CachedClient(client, DiskCache())
    if config.record:
        note = f"recorded by kernelwright generate {problem.name}"
        if isinstance(client, ReplayClient):
            note = f"re-recorded from a replay of {client.path}: {client.note}"
        client = RecordingClient(client, config.record, note=note)
    return client


TRIALS = 3


def trial_seeds(seed: int, code: str) -> list[int]:
    """The sandbox's input seeds for a candidate: fixed by the run's seed and the code, so a
    re-run sees the same verdicts, and unknown to the model until it has written the code."""
    digest = hashlib.sha256(f"{seed}:{code}".encode()).digest()
    return [int.from_bytes(digest[4 * i : 4 * i + 4], "little") % 2**31 for i in range(TRIALS)]


class SandboxEvaluator:
    """The loop's Evaluator, backed by the sandbox's executor."""

    def __init__(
        self,
        executor: Executor,
        shape: str | None,
        timeout_s: float,
        seed: int,
        targets: str | None = None,
    ):
        self.executor = executor
        self.shape = shape
        self.timeout_s = timeout_s
        self.seed = seed
        self.targets = targets

    async def evaluate(self, problem: Path, code: str) -> Outcome:
        request = EvalRequest(
            problem=problem,
            code=code,
            shape=self.shape,
            timeout_s=self.timeout_s,
            timing=True,
            seeds=trial_seeds(self.seed, code),
            targets=self.targets,
        )
        return await self.executor.evaluate(request)


def compile_targets(config: GenerateConfig) -> str | None:
    """The checks' compile targets: the default ones, and the chip the run writes for."""
    return f"default,{config.target}" if config.target else None


def prompt_target(config: GenerateConfig) -> dict[str, Any] | None:
    """The facts the prompt states: the chip the run writes for, else this machine's GPU."""
    return hardware.target_facts(config.target) if config.target else device_facts()


def open_evaluator(config: GenerateConfig, executor: Executor) -> Evaluator:
    evaluator: Evaluator = SandboxEvaluator(
        executor, config.shape, config.eval_timeout_s, config.seed, compile_targets(config)
    )
    # A replay is a demonstration of the sandbox too: its verdicts are always computed.
    if not config.cache or is_replay(config.model):
        return evaluator
    versions = library_versions()
    facts = device_facts()
    context = {
        "shape": config.shape,
        "seed": config.seed,
        "timeout_s": config.eval_timeout_s,
        "device": facts["name"] if facts else "cpu",
        "targets": compile_targets(config),
        # The revision too: a change to the checker must not reuse an old verdict.
        "versions": {
            k: versions[k] for k in ("kernelwright", "git_revision", "torch", "triton", "cuda")
        },
    }
    return CachedEvaluator(evaluator, DiskCache(default_cache_dir() / "outcomes"), context)


def prepare(config: GenerateConfig, out: Path, resume: bool) -> tuple[RunDir, RunInfo]:
    """Write (or, resuming, check and update) run.json; the config in it is the one that runs."""
    info = run_info(config, out, resume)
    rundir = RunDir(out)
    rundir.write_info(info)
    return rundir, info


def run_info(config: GenerateConfig, out: Path, resume: bool) -> RunInfo:
    """The run.json this run will write in ``out``; writes nothing. Raises AgentError where
    ``out`` cannot hold the run: a run already there, or, resuming, none or another one."""
    problem = read_problem(config.problem)
    rundir = RunDir(out)
    if resume:
        if not rundir.exists():
            raise AgentError(f"{out}: nothing to resume (no run.json there)")
        info = rundir.read_info()
        stored = GenerateConfig.model_validate(info.config)
        changed = [k for k in IDENTITY if getattr(stored, k) != getattr(config, k)]
        if changed:
            raise AgentError(
                f"{out} was run with other settings ({', '.join(changed)}); resume it with "
                "the same ones, or start a new run with another --out"
            )
        if info.problems and info.problems[0].sha256 != problem.sha256:
            raise AgentError(f"{config.problem} changed since {out} was started; start a new run")
        info.config = config.model_dump()
        info.finished_at = None
    else:
        if rundir.exists():
            raise AgentError(
                f"{out} already holds a run: pass --resume to continue it, or choose another --out"
            )
        device = device_facts() or {"name": "cpu (Triton interpreter)"}
        info = RunInfo(
            kind="generate",
            command=sys.argv,
            config=config.model_dump(),
            prompt_version=prompting.prompt_version(),
            versions={**library_versions(), "device": device},
        )
    return info


def run_env(config: GenerateConfig) -> dict[str, Any]:
    """What a run knows of where its candidates are checked, before any is: the sandbox's
    device and versions here, or only the executor and sandbox on a cluster."""
    env: dict[str, Any] = {"sandbox": config.sandbox, "executor": config.executor}
    if config.executor == "local":
        from kernelwright.sandbox.pool import describe_device

        device = "cuda:0" if device_facts() else "cpu"
        env.update(describe_device(device), device=device, interpreter=device == "cpu")
    return env


def open_session(
    config: GenerateConfig,
    problem: ProblemInfo,
    *,
    run_id: str,
    client: ModelClient,
    evaluator: Evaluator,
    done: Sequence[AttemptRecord] = (),
    on_attempt: Callable[[AttemptRecord], None] | None = None,
) -> Session:
    """One problem's session; ``done`` are its attempts already on disk, served back
    instead of asked again, and charged to the budget unless cached or replayed."""
    ledger = Ledger(config.limits())
    for record in done:
        ledger.add(record, charged=not (record.usage.cached or record.replay))
    session = Session(
        run_id=run_id,
        problem=problem,
        # ProblemRef wants a name: "auto" is the sandbox's default choice of shape sets.
        shape=config.shape or "auto",
        client=client,
        evaluator=evaluator,
        ledger=ledger,
        variant=config.prompt_variant,
        target=prompt_target(config),
        temperature=config.temperature,
        max_tokens=config.max_tokens,
        seed=config.seed,
        resumed={(r.turn, r.sample): r for r in done},
        env=run_env(config),
    )
    if on_attempt is not None:
        session.on_attempt = on_attempt
    return session


async def run_problem(config: GenerateConfig, problem: ProblemInfo, **session_args) -> Session:
    """One problem through the configured strategy, in a run directory the caller owns."""
    session = open_session(config, problem, **session_args)
    await run_strategy(
        session, config.strategy, samples=config.samples, beam_width=config.beam_width
    )
    return session


async def check_problem(executor: Executor, config: GenerateConfig) -> None:
    """Make the problem's inputs and run its reference in the sandbox, at the shape sets the
    run checks at, before the first model call: a problem that cannot run costs no request.
    The reference itself stands in for the candidate; its verdict does not matter, only that
    the problem ran (else the sandbox raises ProblemError, which says why)."""
    path = Path(config.problem)
    request = EvalRequest(
        problem=path,
        code=f"{path.read_text()}\n\nModelNew = Model\n",
        shape=config.shape,
        timeout_s=config.eval_timeout_s,
        timing=False,
        allow_torch_ops=True,
        seeds=trial_seeds(config.seed, ""),
    )
    await executor.evaluate(request)


async def execute(
    config: GenerateConfig,
    out: Path,
    resume: bool,
    *,
    progress: Progress | None = None,
    client: ModelClient | None = None,
    evaluator: Evaluator | None = None,
) -> dict[str, Any]:
    """Check the problem in the sandbox, write (or resume) the run directory, and run the
    strategy; whatever happens once it runs, leave summary.json and best_kernel.py behind.
    ``client`` and ``evaluator`` replace the ones the config names (for tests and embedding;
    with an evaluator given, the problem is not checked ahead)."""
    problem = read_problem(config.problem)
    client = client or open_client(config, problem, progress.retry if progress else None)
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(client.aclose)
        if evaluator is None:
            try:
                executor = make_executor(
                    config.executor,
                    ray_address=config.ray_address,
                    workers=config.workers,
                    sandbox=config.sandbox,
                )
            except ExecutorError as e:
                raise AgentError(str(e)) from None
            stack.push_async_callback(executor.close)
            await check_problem(executor, config)
            evaluator = open_evaluator(config, executor)
        rundir, info = prepare(config, out, resume)
        if progress:
            progress.console.print(f"run directory: {out}", highlight=False)
        done = rundir.attempts()
        session = open_session(
            config, problem, run_id=info.run_id, client=client, evaluator=evaluator, done=done
        )
        ledger = session.ledger
        info.problems = [session.ref]
        rundir.write_info(info)

        def on_attempt(record: AttemptRecord) -> None:
            rundir.append(record)
            if progress:
                progress.attempt(record)

        session.on_attempt = on_attempt
        interrupted = False
        if progress:
            progress.start(client, ledger, resumed=len(done))
        try:
            await run_strategy(
                session, config.strategy, samples=config.samples, beam_width=config.beam_width
            )
        except (asyncio.CancelledError, KeyboardInterrupt):
            interrupted = True
            ledger.stop("interrupted")
            raise
        except AgentError as e:
            session.notes.append(f"stopped by an error: {e}")
            ledger.stop("error")
            raise
        finally:
            if progress:
                progress.stop()
            summary = finish(rundir, info, session, config, interrupted)
    return summary


def finish(
    rundir: RunDir, info: RunInfo, session: Session, config: GenerateConfig, interrupted: bool
) -> dict[str, Any]:
    ledger = session.ledger
    attempts = rundir.attempts()
    best = ledger.best
    if best is not None and best.outcome.correct:
        (rundir.path / "best_kernel.py").write_text(
            render_best_kernel(best, session.problem, session.shape)
        )
    reason = ledger.settle()
    summary = {
        "run_id": info.run_id,
        "problem": session.problem.name,
        "model": session.client.name,
        "replay": session.client.replay,
        "strategy": config.strategy,
        "status": best.outcome.status.value if best else "no_attempt",
        "correct": bool(best and best.outcome.correct),
        "best": None
        if best is None
        else {
            "attempt_id": best.attempt_id,
            "turn": best.turn,
            "sample": best.sample,
            "status": best.outcome.status.value,
            "speedup_eager": speedup(best),
            "pct_of_bound": best.outcome.roofline.pct_of_bound if best.outcome.roofline else None,
        },
        "best_kernel": "best_kernel.py" if best is not None and best.outcome.correct else None,
        "attempts": len(attempts),
        "by_status": dict(Counter(a.outcome.status.value for a in attempts)),
        "stop_reason": reason,
        "notes": session.notes,
        "prompt_tokens": ledger.prompt_tokens,
        "completion_tokens": ledger.completion_tokens,
        "cost_usd": round(ledger.cost_usd, 6),
        "charged_usd": round(ledger.charged_usd, 6),
        "cache_hits": sum(a.usage.cached for a in attempts),
        "wall_s": round(ledger.elapsed(), 3),
        "prompt_version": info.prompt_version,
    }
    rundir.write_json("summary.json", summary)
    if not interrupted:
        info.finished_at = now()
        rundir.write_info(info)
    return summary
