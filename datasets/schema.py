"""Corpus records: one per attempt and one per trajectory, versioned.

A corpus record is a run-log ``AttemptRecord`` made self-contained: the problem's source is
attached, the environment and verification backend are read out of ``Outcome.env``, and
provenance (run, origin, licence) is recorded, so a record means the same thing after it
has left the run directory it came from.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from kernelwright.outcome import Outcome, Status
from kernelwright.runlog import AttemptRecord, RunInfo, Usage

CORPUS_SCHEMA_VERSION = 1
# kernelwright's own licence; a build can state another (`corpus build --licence`).
DEFAULT_LICENCE = "Apache-2.0"

Backend = Literal["gpu", "interpreter", "none"]
# synthetic-mutant: a bug injected by `kernelwright mutate` into a correct solution, never
# a model's answer (datasets/synthetic.py).
Origin = Literal["live", "replay", "inductor-teacher", "synthetic-mutant"]
ProblemOrigin = Literal["bundled", "generated", "external"]

# The model name and run kind the inductor teacher writes; its records are not model answers.
TEACHER_MODEL = "inductor-teacher"
TEACHER_RUN_KIND = "teach"


class Message(BaseModel):
    role: str
    content: str


class ProblemEntry(BaseModel):
    name: str
    sha256: str
    path: str
    # None when the file is not at its recorded path and no known problem has its hash.
    source: str | None = None
    level: int | None = None
    tags: list[str] = Field(default_factory=list)
    shape: str = "small"
    origin: ProblemOrigin = "external"


class Environment(BaseModel):
    device: str | None = None  # "cuda:0" or "cpu", as the worker reported it
    gpu: str | None = None  # the GPU's name; None on the interpreter
    torch: str | None = None
    triton: str | None = None
    cuda: str | None = None
    driver: str | None = None
    sandbox: str | None = None


class Provenance(BaseModel):
    run_id: str
    run_dir: str
    run_kind: str
    origin: Origin
    git_revision: str | None = None
    created_at: str


class AttemptEntry(BaseModel):
    """One model answer (or teacher candidate), its verdict and where it came from."""

    schema_version: int = CORPUS_SCHEMA_VERSION
    attempt_id: str
    trajectory_id: str
    parent_id: str | None = None
    turn: int
    sample: int = 0
    problem: ProblemEntry
    model: str
    sampling: dict[str, Any] = Field(default_factory=dict)
    prompt_version: str
    prompt_variant: str = "full"
    messages: list[Message]
    response: str
    reasoning: str | None = None
    code: str | None = None
    outcome: Outcome
    feedback: str | None = None
    usage: Usage = Field(default_factory=Usage)
    environment: Environment
    verification: Backend
    licence: str
    provenance: Provenance

    @property
    def correct(self) -> bool:
        return self.outcome.status is Status.correct

    @property
    def speedup(self) -> float | None:
        return self.outcome.timing.speedup_eager if self.outcome.timing else None

    def prompt(self) -> list[Message]:
        """The messages before the first answer: the problem as the model was first asked it."""
        out = []
        for m in self.messages:
            if m.role == "assistant":
                break
            out.append(m)
        return out


class TrajectoryEntry(BaseModel):
    """Attempts that share a trajectory id, in turn order."""

    schema_version: int = CORPUS_SCHEMA_VERSION
    trajectory_id: str
    problem: ProblemEntry
    model: str
    verification: Backend
    turns: list[AttemptEntry]

    @property
    def solved(self) -> bool:
        return any(a.correct for a in self.turns)


def verification_backend(outcome: Outcome) -> Backend:
    """Where the verdict was reached: on a GPU, on Triton's CPU interpreter, or nowhere
    (the answer never reached a worker, e.g. no code could be extracted)."""
    env = outcome.env
    if env.get("interpreter"):
        return "interpreter"
    device = env.get("device")
    if not device:
        return "none"
    return "interpreter" if str(device).startswith("cpu") else "gpu"


def environment(outcome: Outcome, info: RunInfo) -> Environment:
    env = outcome.env
    versions = info.versions
    gpu = env.get("device_name") if verification_backend(outcome) == "gpu" else None
    return Environment(
        device=env.get("device"),
        gpu=gpu,
        torch=env.get("torch") or versions.get("torch"),
        triton=env.get("triton") or versions.get("triton"),
        cuda=env.get("cuda") or versions.get("cuda"),
        driver=None if env.get("driver") is None else str(env["driver"]),
        sandbox=env.get("sandbox"),
    )


def origin(record: AttemptRecord, info: RunInfo) -> Origin:
    if info.kind == TEACHER_RUN_KIND or record.model == TEACHER_MODEL:
        return "inductor-teacher"
    return "replay" if record.replay else "live"


def message(raw: dict[str, Any]) -> Message:
    """An OpenAI-style message as role and text; multi-part content keeps its text parts."""
    content = raw.get("content")
    if isinstance(content, list):
        content = "".join(
            p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"
        )
    return Message(role=str(raw.get("role", "user")), content=content or "")


def attempt_entry(
    record: AttemptRecord,
    info: RunInfo,
    run_dir: str,
    problem: ProblemEntry,
    licence: str,
) -> AttemptEntry:
    return AttemptEntry(
        attempt_id=record.attempt_id,
        trajectory_id=record.trajectory_id,
        parent_id=record.parent_id,
        turn=record.turn,
        sample=record.sample,
        problem=problem,
        model=record.model,
        sampling=record.sampling,
        prompt_version=record.prompt_version,
        prompt_variant=record.prompt_variant,
        messages=[message(m) for m in record.messages],
        response=record.response,
        reasoning=record.reasoning,
        code=record.code,
        outcome=record.outcome,
        feedback=record.feedback,
        usage=record.usage,
        environment=environment(record.outcome, info),
        verification=verification_backend(record.outcome),
        licence=licence,
        provenance=Provenance(
            run_id=record.run_id,
            run_dir=run_dir,
            run_kind=info.kind,
            origin=origin(record, info),
            git_revision=info.versions.get("git_revision"),
            created_at=record.created_at,
        ),
    )


def trajectories(attempts: list[AttemptEntry]) -> list[TrajectoryEntry]:
    """Group attempts by trajectory id, turns in order, trajectories in a stable order."""
    # Keyed by problem too: a trajectory never spans problems, whatever ids a run wrote.
    by_id: dict[tuple[str, str], list[AttemptEntry]] = {}
    for a in attempts:
        by_id.setdefault((a.trajectory_id, a.problem.sha256), []).append(a)
    out = []
    for tid, sha in sorted(by_id):
        turns = sorted(by_id[tid, sha], key=lambda a: (a.turn, a.sample, a.provenance.created_at))
        backends = {a.verification for a in turns}
        backend: Backend = (
            "gpu" if "gpu" in backends else "interpreter" if "interpreter" in backends else "none"
        )
        out.append(
            TrajectoryEntry(
                trajectory_id=tid,
                problem=turns[0].problem,
                model=turns[0].model,
                verification=backend,
                turns=turns,
            )
        )
    return out
