"""When to stop: targets and budgets, the running totals they are checked against, and which
attempt is best so far."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from kernelwright.outcome import Status
from kernelwright.runlog import AttemptRecord

# How close a failed attempt came: a beam with no correct candidate yet keeps the closest.
STATUS_RANK = {
    Status.correct: 7,
    Status.incorrect: 6,
    Status.timeout: 5,
    Status.runtime_error: 4,
    Status.crashed: 3,
    Status.rejected: 2,
    Status.compile_error: 1,
    Status.format_error: 0,
}


def speedup(record: AttemptRecord) -> float | None:
    timing = record.outcome.timing
    return timing.speedup_eager if timing else None


def score(record: AttemptRecord) -> tuple[int, float]:
    """Correct beats incorrect, then faster beats slower (no timing counts as no speed-up)."""
    return STATUS_RANK[record.outcome.status], speedup(record) or 0.0


@dataclass
class Limits:
    turns: int = 5
    target_speedup: float | None = None  # over eager PyTorch
    target_roofline: float | None = None  # percent of the roofline bound
    max_tokens_total: int | None = None
    max_cost: float | None = None  # US dollars, at list price (cache hits included)
    max_wall_s: float | None = None

    @property
    def has_target(self) -> bool:
        return self.target_speedup is not None or self.target_roofline is not None

    def meets_target(self, record: AttemptRecord) -> bool:
        if not (record.outcome.correct and self.has_target):
            return False
        s = speedup(record)
        roofline = record.outcome.roofline
        pct = roofline.pct_of_bound if roofline else None
        fast = self.target_speedup is None or (s is not None and s >= self.target_speedup)
        near = self.target_roofline is None or (pct is not None and pct >= self.target_roofline)
        return fast and near

    def satisfied(self, record: AttemptRecord) -> bool:
        """A correct attempt its trajectory need not improve: the target is met, or there is no
        timing (the CPU interpreter) to improve against."""
        if not record.outcome.correct:
            return False
        return record.outcome.timing is None or self.meets_target(record)


@dataclass
class Ledger:
    """Running totals of a run, and the reason it stopped once it has."""

    limits: Limits
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    charged_usd: float = 0.0  # what was actually paid: cache hits and replays cost nothing
    attempts: int = 0
    best: AttemptRecord | None = None
    stop_reason: str | None = None
    started: float = field(default_factory=time.monotonic)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add(self, record: AttemptRecord, *, charged: bool) -> None:
        usage = record.usage
        self.prompt_tokens += usage.prompt_tokens
        self.completion_tokens += usage.completion_tokens
        self.cost_usd += usage.cost_usd
        if charged:
            self.charged_usd += usage.cost_usd
        self.attempts += 1
        if self.best is None or score(record) > score(self.best):
            self.best = record
        if self.limits.meets_target(record):
            self.stop("target")

    def stop(self, reason: str) -> None:
        self.stop_reason = self.stop_reason or reason

    def settle(self) -> str:
        """Why the run stopped, once it has: a limit or an interrupt if one stopped it, else
        ``solved`` (the best attempt satisfies the limits) or ``turns`` (the turns ran out)."""
        best = self.best
        self.stop("solved" if best is not None and self.limits.satisfied(best) else "turns")
        return self.stop_reason

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def stopped(self) -> bool:
        """Whether the run must start no new attempt (checked before each one)."""
        lim = self.limits
        if lim.max_tokens_total is not None and self.tokens >= lim.max_tokens_total:
            self.stop("max_tokens_total")
        if lim.max_cost is not None and self.cost_usd >= lim.max_cost:
            self.stop("max_cost")
        if lim.max_wall_s is not None and self.elapsed() >= lim.max_wall_s:
            self.stop("max_wall")
        return self.stop_reason is not None
