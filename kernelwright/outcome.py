"""The Outcome record: the one verdict every layer (check, agent, eval, corpus) speaks."""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, Field


class Status(str, Enum):
    correct = "correct"
    incorrect = "incorrect"
    compile_error = "compile_error"
    runtime_error = "runtime_error"
    timeout = "timeout"
    crashed = "crashed"
    rejected = "rejected"
    format_error = "format_error"


class Check(BaseModel):
    name: str
    passed: bool
    detail: str = ""


class Timing(BaseModel):
    """Milliseconds on a GPU; never filled from the CPU interpreter."""

    candidate_ms: float
    eager_ms: float | None = None
    compiled_ms: float | None = None
    speedup_eager: float | None = None
    speedup_compiled: float | None = None
    stats: dict[str, Any] = Field(default_factory=dict)


class Roofline(BaseModel):
    bytes: int | None = None
    flops: int | None = None
    bound_ms: float | None = None
    pct_of_bound: float | None = None
    bound_by: str | None = None  # "memory" | "compute"


class Outcome(BaseModel):
    status: Status
    message: str = ""
    checks: list[Check] = Field(default_factory=list)
    timing: Timing | None = None
    roofline: Roofline | None = None
    env: dict[str, Any] = Field(default_factory=dict)
    # Captured stdout/stderr of the candidate, capped (head and tail kept).
    output: str = ""
    # Per-kernel profiler metrics when ncu ran; mismatch locations etc. for feedback.
    details: dict[str, Any] = Field(default_factory=dict)

    @property
    def correct(self) -> bool:
        return self.status is Status.correct

    def failed_checks(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def to_json(self) -> str:
        return self.model_dump_json()
