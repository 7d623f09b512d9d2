"""The async face of the sandbox: what the agent and the eval suite call.

An executor takes ``EvalRequest``s and returns ``Outcome``s; the agent never knows
which pool, backend or machine ran them. ``LocalExecutor`` runs the warm pool in
this process's threads (one call per worker at a time).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from kernelwright.outcome import Outcome
from kernelwright.sandbox.backends import Limits

if TYPE_CHECKING:  # the pool brings torch: imported when an executor is made, not before
    from kernelwright.sandbox.pool import Job, Pool


@dataclass
class EvalRequest:
    problem: Path
    code: str
    shape: str | None = None
    timeout_s: float = 60.0
    timing: bool = True
    allow_torch_ops: bool = False
    seeds: list[int] | None = None
    targets: str | None = None  # compile targets (hardware.resolve_targets); None: default
    extra: dict = field(default_factory=dict)

    def job(self) -> Job:
        from kernelwright.sandbox.pool import Job, timing_seed_for

        job = Job(
            problem=Path(self.problem),
            code=self.code,
            shape=self.shape,
            timeout_s=self.timeout_s,
            timing=self.timing,
            allow_torch_ops=self.allow_torch_ops,
            targets=self.targets,
        )
        if self.seeds:
            job.seeds = list(self.seeds)
            job.timing_seed = timing_seed_for(self.seeds)
        return job


class Executor(Protocol):
    async def evaluate(self, request: EvalRequest) -> Outcome: ...

    async def close(self) -> None: ...


class LocalExecutor:
    def __init__(
        self,
        workers: int | None = None,
        sandbox: str = "auto",
        device: str | None = None,
        limits: Limits | None = None,
        pool: Pool | None = None,
    ):
        from kernelwright.sandbox.pool import make_pool

        self.pool = pool or make_pool(sandbox, device, workers, limits)

    async def evaluate(self, request: EvalRequest) -> Outcome:
        return await asyncio.to_thread(self.pool.evaluate, request.job())

    async def close(self) -> None:
        await asyncio.to_thread(self.pool.close)

    async def __aenter__(self) -> LocalExecutor:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()
