"""The loop: ask the model for a kernel, pull the code out of the answer, evaluate it in the
sandbox, tell the model what happened, and ask again, until the kernel is correct and fast
enough or the budget is spent.

``step`` is one model call and the evaluation of its answers; ``refine`` is one trajectory of
steps. The strategies (strategies.py) compose these two; nothing else talks to the model or
the sandbox. Both sit behind small interfaces (ModelClient, Evaluator): the loop does not
know which endpoint answers or which backend runs the code.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from kernelwright.agent import prompting
from kernelwright.agent.budget import Ledger
from kernelwright.agent.errors import ContextLengthError, ReplayExhausted
from kernelwright.agent.extract import extract_code
from kernelwright.agent.models import ChatRequest, ChatResponse, Message, ModelClient
from kernelwright.outcome import Outcome, Status
from kernelwright.problem import ProblemInfo
from kernelwright.runlog import AttemptRecord, ProblemRef, Usage


class Evaluator(Protocol):
    async def evaluate(self, problem: Path, code: str) -> Outcome: ...


@dataclass
class Session:
    """What every attempt of one run shares."""

    run_id: str
    problem: ProblemInfo
    shape: str
    client: ModelClient
    evaluator: Evaluator
    ledger: Ledger
    variant: str = "full"
    target: dict[str, Any] | None = None  # device facts for the prompt
    temperature: float | None = None
    max_tokens: int = 8192
    seed: int = 0
    on_attempt: Callable[[AttemptRecord], None] = lambda record: None
    # Attempts already on disk, by (turn, sample): a resumed run takes them instead of asking.
    resumed: dict[tuple[int, int], AttemptRecord] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # why trajectories ended early
    # Where the run's candidates are checked: the env of a verdict made without the sandbox
    # (an answer with no code in it), so it names the device and versions like the others.
    env: dict[str, Any] = field(default_factory=dict)

    def trajectory_id(self, sample: int) -> str:
        # Unique across the problems of one run: an eval runs many under one run id.
        return f"{self.run_id}-{self.problem.sha256[:8]}-t{sample}"

    @cached_property
    def ref(self) -> ProblemRef:
        p = self.problem
        return ProblemRef(
            name=p.name,
            path=str(p.path),
            sha256=p.sha256,
            level=p.level,
            tags=p.meta.tags,
            shape=self.shape,
        )

    def first_messages(self) -> list[Message]:
        return prompting.first_messages(self.problem, self.variant, self.target)


def _share(response: ChatResponse, n: int) -> Usage:
    """One answer's part of a call that drew n answers."""
    return Usage(
        prompt_tokens=response.prompt_tokens // n,
        completion_tokens=response.completion_tokens // n,
        cost_usd=response.cost_usd / n,
        cached=response.cached,
        latency_s=response.latency_s,
    )


async def step(
    s: Session,
    messages: list[Message],
    *,
    turn: int,
    samples: list[int],
    trajectory_ids: list[str],
    parent_id: str | None = None,
) -> list[AttemptRecord]:
    """Ask once for len(samples) answers and evaluate them; [] when the conversation cannot go
    on (it outgrew the context window, or a replay ran out of answers)."""
    request = ChatRequest(
        messages=messages,
        temperature=s.temperature,
        max_tokens=s.max_tokens,
        n=len(samples),
        seed=s.seed + samples[0],
    )
    if all((turn, k) in s.resumed for k in samples):
        s.client.answered(request)
        return [s.resumed[(turn, k)] for k in samples]
    try:
        response = await s.client.complete(request)
    except ReplayExhausted as e:
        s.notes.append(str(e))
        return []
    except ContextLengthError as e:
        if turn == 0:
            raise
        s.notes.append(f"turn {turn + 1}: {e}")
        return []
    usage = _share(response, len(samples))
    sampling = request.model_dump(exclude={"messages"})

    async def one(i: int, sample: int) -> AttemptRecord:
        if (turn, sample) in s.resumed:
            return s.resumed[(turn, sample)]
        choice = response.choices[i]
        extraction = extract_code(choice.content, choice.finish_reason)
        start = time.monotonic()
        if extraction.code is None:
            outcome = Outcome(
                status=Status.format_error, message=extraction.error or "", env=dict(s.env)
            )
        else:
            outcome = await s.evaluator.evaluate(s.problem.path, extraction.code)
        record = AttemptRecord(
            run_id=s.run_id,
            trajectory_id=trajectory_ids[i],
            parent_id=parent_id,
            problem=s.ref,
            turn=turn,
            sample=sample,
            model=s.client.name,
            replay=s.client.replay,
            sampling=sampling,
            prompt_version=prompting.prompt_version(),
            prompt_variant=s.variant,
            messages=messages,
            response=choice.content,
            reasoning=choice.reasoning,
            code=extraction.code,
            outcome=outcome,
            feedback=prompting.feedback(outcome, extraction.code, s.variant),
            usage=usage,
            model_s=response.latency_s,
            eval_s=time.monotonic() - start,
        )
        s.ledger.add(record, charged=not (response.cached or s.client.replay))
        s.on_attempt(record)
        return record

    return list(await asyncio.gather(*(one(i, k) for i, k in enumerate(samples))))


async def refine(s: Session, *, sample: int) -> list[AttemptRecord]:
    """One trajectory: each turn sees the previous answers and their feedback."""
    trajectory_id = s.trajectory_id(sample)
    messages = s.first_messages()
    records: list[AttemptRecord] = []
    for turn in range(s.ledger.limits.turns):
        if s.ledger.stopped():
            break
        parent = records[-1].attempt_id if records else None
        got = await step(
            s,
            messages,
            turn=turn,
            samples=[sample],
            trajectory_ids=[trajectory_id],
            parent_id=parent,
        )
        if not got:
            break
        records.append(got[0])
        if s.ledger.limits.satisfied(got[0]):
            break
        messages = prompting.follow_up(got[0])
    return records
