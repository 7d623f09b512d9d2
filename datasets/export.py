"""Rows of the exported tables (attempts, SFT, RL) and their Parquet files.

Every table has a fixed Arrow schema, so an empty split and a full one read the same way in
pandas and in Hugging Face ``datasets``. Free-form parts of a record (the full Outcome,
sampling parameters) travel as JSON strings; everything a trainer filters on is a column.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from kernelwright.datasets.contamination import Contamination
from kernelwright.datasets.dedup import code_hash
from kernelwright.datasets.reward import REWARD_VERSION, Reward, reward
from kernelwright.datasets.schema import AttemptEntry, Message, TrajectoryEntry

MESSAGES = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))

# Columns every row shares: where it came from and which problem it is about.
_COMMON = [
    ("split", pa.string()),
    ("problem_name", pa.string()),
    ("problem_sha256", pa.string()),
    ("problem_group", pa.string()),
    ("problem_origin", pa.string()),
    ("problem_level", pa.int64()),
    ("problem_tags", pa.list_(pa.string())),
    ("model", pa.string()),
    ("origin", pa.string()),
    ("verification_backend", pa.string()),
    ("gpu", pa.string()),
    ("run_id", pa.string()),
    ("licence", pa.string()),
    ("contaminated", pa.bool_()),
    ("contamination", pa.string()),
    ("schema_version", pa.int64()),
]

ATTEMPTS = pa.schema(
    [
        ("attempt_id", pa.string()),
        ("trajectory_id", pa.string()),
        ("parent_id", pa.string()),
        ("turn", pa.int64()),
        ("sample", pa.int64()),
        *_COMMON,
        ("problem_source", pa.string()),
        ("shape", pa.string()),
        ("sampling", pa.string()),
        ("prompt_version", pa.string()),
        ("prompt_variant", pa.string()),
        ("messages", MESSAGES),
        ("response", pa.string()),
        ("reasoning", pa.string()),
        ("code", pa.string()),
        ("code_sha256", pa.string()),
        ("status", pa.string()),
        ("outcome", pa.string()),
        ("feedback", pa.string()),
        ("candidate_ms", pa.float64()),
        ("speedup_eager", pa.float64()),
        ("speedup_compiled", pa.float64()),
        ("pct_of_bound", pa.float64()),
        # Architectures the attempt's kernels compile for (without spills): Outcome.targets.
        ("compiles_for", pa.list_(pa.string())),
        ("compiles_without_spills", pa.list_(pa.string())),
        ("torch", pa.string()),
        ("triton", pa.string()),
        ("sandbox", pa.string()),
        ("reward", pa.float64()),
        ("reward_version", pa.string()),
        ("sft_subset", pa.string()),
        ("duplicate_of", pa.string()),
        ("duplicate_kind", pa.string()),
        ("run_dir", pa.string()),
        ("created_at", pa.string()),
    ]
)

SFT = pa.schema(
    [
        ("id", pa.string()),
        ("kind", pa.string()),  # "solve" | "repair"
        ("messages", MESSAGES),
        ("code", pa.string()),
        ("attempt_id", pa.string()),
        ("failed_attempt_id", pa.string()),
        ("failed_status", pa.string()),
        ("trajectory_id", pa.string()),
        *_COMMON,
        ("speedup_eager", pa.float64()),
        ("speedup_compiled", pa.float64()),
        ("pct_of_bound", pa.float64()),
        ("prompt_version", pa.string()),
    ]
)

TURN = pa.struct(
    [
        ("attempt_id", pa.string()),
        ("turn", pa.int64()),
        ("messages", MESSAGES),
        ("response", pa.string()),
        ("code", pa.string()),
        ("status", pa.string()),
        ("feedback", pa.string()),
        ("speedup_eager", pa.float64()),
        ("pct_of_bound", pa.float64()),
        ("reward", pa.float64()),
        ("reward_format", pa.float64()),
        ("reward_compile", pa.float64()),
        ("reward_correctness", pa.float64()),
        ("reward_speedup", pa.float64()),
        ("reward_roofline", pa.float64()),
    ]
)

RL = pa.schema(
    [
        ("episode_id", pa.string()),
        ("trajectory_id", pa.string()),
        *_COMMON,
        ("problem_source", pa.string()),
        ("prompt", MESSAGES),
        ("turns", pa.list_(TURN)),
        ("rewards", pa.list_(pa.float64())),
        ("final_reward", pa.float64()),
        ("solved", pa.bool_()),
        ("num_turns", pa.int64()),
        ("reward_version", pa.string()),
    ]
)


class Context:
    """What every row needs to know beyond its own record: splits, groups, contamination."""

    def __init__(
        self,
        split_of: Callable[[str], str],
        group_of: dict[str, str],
        contamination: dict[str, Contamination],
    ):
        self.split_of = split_of
        self.group_of = group_of
        self.contamination = contamination

    def common(self, a: AttemptEntry, backend: str) -> dict[str, Any]:
        p = a.problem
        hit = self.contamination.get(p.sha256)
        return {
            "split": self.split_of(p.sha256),
            "problem_name": p.name,
            "problem_sha256": p.sha256,
            "problem_group": self.group_of[p.sha256],
            "problem_origin": p.origin,
            "problem_level": p.level,
            "problem_tags": p.tags,
            "model": a.model,
            "origin": a.provenance.origin,
            "verification_backend": backend,
            "gpu": a.environment.gpu,
            "run_id": a.provenance.run_id,
            "licence": a.licence,
            "contaminated": hit is not None,
            "contamination": hit.model_dump_json() if hit else None,
            "schema_version": a.schema_version,
        }


def _messages(messages: list[Message]) -> list[dict[str, str]]:
    return [{"role": m.role, "content": m.content} for m in messages]


def _timing(a: AttemptEntry) -> dict[str, float | None]:
    t, r = a.outcome.timing, a.outcome.roofline
    return {
        "speedup_eager": t.speedup_eager if t else None,
        "speedup_compiled": t.speedup_compiled if t else None,
        "pct_of_bound": r.pct_of_bound if r else None,
    }


def attempt_row(
    a: AttemptEntry,
    ctx: Context,
    sft_subset: str | None,
    duplicate: tuple[str, str] | None,
) -> dict[str, Any]:
    t = a.outcome.timing
    r = reward(a.outcome)
    return {
        "attempt_id": a.attempt_id,
        "trajectory_id": a.trajectory_id,
        "parent_id": a.parent_id,
        "turn": a.turn,
        "sample": a.sample,
        **ctx.common(a, a.verification),
        "problem_source": a.problem.source,
        "shape": a.problem.shape,
        "sampling": json.dumps(a.sampling, sort_keys=True, default=str),
        "prompt_version": a.prompt_version,
        "prompt_variant": a.prompt_variant,
        "messages": _messages(a.messages),
        "response": a.response,
        "reasoning": a.reasoning,
        "code": a.code,
        "code_sha256": code_hash(a.code) if a.code is not None else None,
        "status": a.outcome.status.value,
        "outcome": a.outcome.model_dump_json(),
        "feedback": a.feedback,
        "candidate_ms": t.candidate_ms if t else None,
        **_timing(a),
        "compiles_for": a.outcome.compiles_for(),
        "compiles_without_spills": a.outcome.compiles_for(without_spills=True),
        "torch": a.environment.torch,
        "triton": a.environment.triton,
        "sandbox": a.environment.sandbox,
        "reward": r.total,
        "reward_version": r.version,
        "sft_subset": sft_subset,
        "duplicate_of": duplicate[0] if duplicate else None,
        "duplicate_kind": duplicate[1] if duplicate else None,
        "run_dir": a.provenance.run_dir,
        "created_at": a.provenance.created_at,
    }


def solve_row(a: AttemptEntry, ctx: Context) -> dict[str, Any]:
    """The problem as first asked, answered by the verified kernel."""
    messages = [*a.prompt(), Message(role="assistant", content=a.response)]
    return {
        "id": f"solve:{a.attempt_id}",
        "kind": "solve",
        "messages": _messages(messages),
        "code": a.code,
        "attempt_id": a.attempt_id,
        "failed_attempt_id": None,
        "failed_status": None,
        "trajectory_id": a.trajectory_id,
        **ctx.common(a, a.verification),
        **_timing(a),
        "prompt_version": a.prompt_version,
    }


def repair_row(failed: AttemptEntry, fixed: AttemptEntry, ctx: Context) -> dict[str, Any]:
    """The problem, a failed answer, the feedback on it, and the verified fix."""
    feedback = failed.feedback or failed.outcome.message
    messages = [
        *failed.prompt(),
        Message(role="assistant", content=failed.response),
        Message(role="user", content=feedback),
        Message(role="assistant", content=fixed.response),
    ]
    return {
        "id": f"repair:{failed.attempt_id}:{fixed.attempt_id}",
        "kind": "repair",
        "messages": _messages(messages),
        "code": fixed.code,
        "attempt_id": fixed.attempt_id,
        "failed_attempt_id": failed.attempt_id,
        "failed_status": failed.outcome.status.value,
        "trajectory_id": fixed.trajectory_id,
        **ctx.common(fixed, fixed.verification),
        **_timing(fixed),
        "prompt_version": fixed.prompt_version,
    }


def _turn(a: AttemptEntry, r: Reward) -> dict[str, Any]:
    return {
        "attempt_id": a.attempt_id,
        "turn": a.turn,
        "messages": _messages(a.messages),
        "response": a.response,
        "code": a.code,
        "status": a.outcome.status.value,
        "feedback": a.feedback,
        "speedup_eager": _timing(a)["speedup_eager"],
        "pct_of_bound": _timing(a)["pct_of_bound"],
        "reward": r.total,
        "reward_format": r.format,
        "reward_compile": r.compile,
        "reward_correctness": r.correctness,
        "reward_speedup": r.speedup,
        "reward_roofline": r.roofline,
    }


def episodes(t: TrajectoryEntry) -> list[list[AttemptEntry]]:
    """Root-to-leaf chains of ``parent_id`` links; a trajectory without links is one chain."""
    ids = {a.attempt_id for a in t.turns}
    children: dict[str | None, list[AttemptEntry]] = {}
    for a in t.turns:
        parent = a.parent_id if a.parent_id in ids else None
        children.setdefault(parent, []).append(a)
    if all(a.parent_id is None for a in t.turns):
        return [t.turns]
    out: list[list[AttemptEntry]] = []

    def walk(a: AttemptEntry, path: list[AttemptEntry]) -> None:
        path = [*path, a]
        kids = children.get(a.attempt_id, [])
        if not kids:
            out.append(path)
        for k in kids:
            walk(k, path)

    for root in children.get(None, []):
        walk(root, [])
    return out


def episode_row(
    t: TrajectoryEntry, chain: list[AttemptEntry], episode_id: str, ctx: Context
) -> dict[str, Any]:
    rewards = [reward(a.outcome) for a in chain]
    first = chain[0]
    return {
        "episode_id": episode_id,
        "trajectory_id": t.trajectory_id,
        **ctx.common(first, t.verification),
        "problem_source": first.problem.source,
        "prompt": _messages(first.prompt()),
        "turns": [_turn(a, r) for a, r in zip(chain, rewards, strict=True)],
        "rewards": [r.total for r in rewards],
        "final_reward": rewards[-1].total,
        "solved": any(a.correct for a in chain),
        "num_turns": len(chain),
        "reward_version": REWARD_VERSION,
    }


def write_table(rows: list[dict[str, Any]], schema: pa.Schema, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
    return path
