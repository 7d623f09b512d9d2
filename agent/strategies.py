"""Search strategies, composed from the loop's ``step`` and ``refine``:

- refine: one trajectory of up to ``turns`` turns, each fixing or improving the last answer;
- best-of-k: k independent trajectories at once (each a refine), the best attempt wins;
- beam: draw ``samples`` answers, keep the best ``width``, ask for ``samples`` improvements of
  them (spread over the kept ones), for ``turns`` rounds.

Every model call runs concurrently with the others and with the sandbox's evaluations; a
failure of one cancels its siblings, so a fatal error ends the run at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from kernelwright.agent import prompting
from kernelwright.agent.budget import score
from kernelwright.agent.loop import Session, refine, step
from kernelwright.runlog import AttemptRecord

STRATEGIES = ("refine", "best-of-k", "beam")

T = TypeVar("T")


async def gather_all(aws: list[Awaitable[T]]) -> list[T]:
    tasks = [asyncio.ensure_future(a) for a in aws]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def best_of_k(s: Session, k: int) -> list[AttemptRecord]:
    trajectories = await gather_all([refine(s, sample=i) for i in range(k)])
    return [r for t in trajectories for r in t]


def keep(pool: list[AttemptRecord], width: int) -> list[AttemptRecord]:
    """The best `width` attempts: correct ones first, fastest first; earlier wins ties."""
    order = sorted(range(len(pool)), key=lambda i: (score(pool[i]), -i), reverse=True)
    return [pool[i] for i in order[:width]]


async def beam(s: Session, width: int, samples: int) -> list[AttemptRecord]:
    limits = s.ledger.limits
    ids = [s.trajectory_id(k) for k in range(samples)]
    pool = await step(
        s, s.first_messages(), turn=0, samples=list(range(samples)), trajectory_ids=ids
    )
    next_slot = samples
    for turn in range(1, limits.turns):
        best = s.ledger.best
        if not pool or s.ledger.stopped() or (best is not None and limits.satisfied(best)):
            break
        kept = keep(pool, width)
        calls = []
        for i, parent in enumerate(kept):
            n = samples // len(kept) + (i < samples % len(kept))
            if n == 0:
                continue
            slots = list(range(next_slot, next_slot + n))
            next_slot += n
            # Children share their root's trajectory id; parent_id gives the tree.
            calls.append(
                step(
                    s,
                    prompting.follow_up(parent),
                    turn=turn,
                    samples=slots,
                    trajectory_ids=[parent.trajectory_id] * n,
                    parent_id=parent.attempt_id,
                )
            )
        children = [r for batch in await gather_all(calls) for r in batch]
        if not children:
            break
        pool.extend(children)
    return pool


async def run_strategy(
    s: Session, strategy: str, *, samples: int = 1, beam_width: int = 2
) -> list[AttemptRecord]:
    if strategy == "refine":
        return await refine(s, sample=0)
    if strategy == "best-of-k":
        return await best_of_k(s, samples)
    if strategy == "beam":
        return await beam(s, beam_width, samples)
    raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
