"""The run directory: ``run.json`` plus ``attempts.jsonl``, written by every command that
evaluates candidates. Eval reports and the corpus are views over these files.

Attempts are appended, flushed and fsynced one by one, so a killed run loses at most
the attempt in flight, and ``--resume`` continues from what is on disk.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import uuid
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from kernelwright.outcome import Outcome

SCHEMA_VERSION = 1


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def new_id() -> str:
    return uuid.uuid4().hex[:12]


class ProblemRef(BaseModel):
    name: str
    path: str
    sha256: str
    level: int | None = None
    tags: list[str] = Field(default_factory=list)
    shape: str = "small"


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    cached: bool = False
    latency_s: float = 0.0


class AttemptRecord(BaseModel):
    """One model answer and its verdict."""

    schema_version: int = SCHEMA_VERSION
    run_id: str
    attempt_id: str = Field(default_factory=new_id)
    trajectory_id: str
    parent_id: str | None = None
    problem: ProblemRef
    turn: int
    sample: int = 0
    model: str
    replay: bool = False
    sampling: dict[str, Any] = Field(default_factory=dict)
    prompt_version: str
    prompt_variant: str = "full"
    messages: list[dict[str, Any]]
    response: str
    reasoning: str | None = None
    code: str | None = None
    outcome: Outcome
    feedback: str | None = None
    usage: Usage = Field(default_factory=Usage)
    model_s: float = 0.0
    eval_s: float = 0.0
    created_at: str = Field(default_factory=now)


class RunInfo(BaseModel):
    """``run.json``: which config, versions and revision produced a run."""

    schema_version: int = SCHEMA_VERSION
    run_id: str = Field(default_factory=new_id)
    kind: str  # generate | eval | rescore
    command: list[str] = Field(default_factory=list)
    config: dict[str, Any] = Field(default_factory=dict)
    prompt_version: str | None = None
    versions: dict[str, Any] = Field(default_factory=dict)
    started_at: str = Field(default_factory=now)
    finished_at: str | None = None
    problems: list[ProblemRef] = Field(default_factory=list)


class RunDir:
    """A run directory on disk; the one writer of its files."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    @property
    def info_path(self) -> Path:
        return self.path / "run.json"

    @property
    def attempts_path(self) -> Path:
        return self.path / "attempts.jsonl"

    def exists(self) -> bool:
        return self.info_path.exists()

    def write_info(self, info: RunInfo) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        tmp = self.info_path.with_suffix(".json.tmp")
        tmp.write_text(info.model_dump_json(indent=2) + "\n")
        os.replace(tmp, self.info_path)

    def read_info(self) -> RunInfo:
        return RunInfo.model_validate_json(self.info_path.read_text())

    def append(self, record: AttemptRecord) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        line = record.model_dump_json() + "\n"
        with open(self.attempts_path, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())

    def attempts(self) -> list[AttemptRecord]:
        """Every complete record; a torn last line (a kill mid-write) is skipped."""
        if not self.attempts_path.exists():
            return []
        out = []
        for line in self.attempts_path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                out.append(AttemptRecord.model_validate(json.loads(line)))
            except (json.JSONDecodeError, ValueError):
                continue
        return out

    def write_json(self, name: str, data: Any) -> Path:
        target = self.path / name
        tmp = target.with_suffix(target.suffix + ".tmp")
        tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")
        os.replace(tmp, target)
        return target
