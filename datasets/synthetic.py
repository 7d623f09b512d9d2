"""Synthetic repair pairs from ``kernelwright mutate`` folders.

A refused mutant is a buggy kernel with the real feedback the checker gave it; the correct
solution it was made from is the fix. Each pair becomes two corpus records shaped like a
model's attempt and its repair (so the SFT ``repair`` row is built the one way it always
is), labelled synthetic everywhere: origin ``synthetic-mutant``, model
``synthetic-mutant/OPERATOR``, run kind ``mutate``, ids starting ``mutant:``; the build
writes them to their own subsets, never among model-written data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from kernelwright.agent import prompting
from kernelwright.datasets.dedup import code_hash
from kernelwright.datasets.schema import (
    AttemptEntry,
    Environment,
    Message,
    ProblemEntry,
    Provenance,
    verification_backend,
)
from kernelwright.outcome import Outcome
from kernelwright.problem import ProblemError, bundled_problems_dir, find_problems, read_problem

ORIGIN = "synthetic-mutant"
RUN_KIND = "mutate"
PROMPT_VARIANT = "full"


class MutantsError(Exception):
    """A folder that is not a readable ``kernelwright mutate`` folder."""


@dataclass(frozen=True)
class SyntheticPair:
    failed: AttemptEntry
    fixed: AttemptEntry


def _answer(code: str) -> str:
    return f"```python\n{code.rstrip()}\n```\n"


def _problem_entry(folder: Path, shape: str | None) -> tuple[ProblemEntry, object]:
    try:
        info = read_problem(folder / "problem.py")
    except ProblemError as e:
        raise MutantsError(f"{folder}: problem.py unreadable ({e})") from None
    bundled = {read_problem(p).sha256 for p in find_problems(bundled_problems_dir())}
    entry = ProblemEntry(
        name=info.name,
        sha256=info.sha256,
        path=str(folder / "problem.py"),
        source=info.source,
        level=info.level,
        tags=list(info.meta.tags),
        shape=shape or "small",
        origin="bundled" if info.sha256 in bundled else "external",
    )
    return entry, info


def mutate_folders(path: Path) -> list[Path]:
    """The ``mutate`` folders at ``path``: itself, or those one level down (a ``--bundled``
    run writes one per problem)."""
    if (path / "mutants.jsonl").is_file():
        return [path]
    found = sorted(p.parent for p in path.glob("*/mutants.jsonl"))
    if not found:
        raise MutantsError(f"{path}: no mutants.jsonl here or one level down")
    return found


def read_pairs(folder: Path, licence: str) -> list[SyntheticPair]:
    """Every refused mutant of one ``mutate`` folder as a (failed, fixed) pair."""
    from kernelwright.evals.mutation import read_results, read_summary

    try:
        results = read_results(folder)
        summary = read_summary(folder)
        original = (folder / "original.py").read_text(encoding="utf-8")
        base = Outcome.model_validate_json((folder / "original.json").read_text())
    except (OSError, ValueError, ValidationError) as e:
        raise MutantsError(f"{folder}: not a complete `kernelwright mutate` folder ({e})") from None
    if summary is None:
        raise MutantsError(f"{folder}: no summary.json")
    problem, info = _problem_entry(folder, summary.shape)
    first = prompting.first_messages(info, PROMPT_VARIANT, None)
    prompt = [Message(role=m["role"], content=m["content"]) for m in first]
    revision = summary.versions.get("git_revision")
    run_id = f"mutate-{problem.sha256[:12]}-{code_hash(original)[:12]}"

    def entry(aid: str, model: str, code: str, outcome: Outcome, feedback: str | None):
        env = outcome.env
        return AttemptEntry(
            attempt_id=aid,
            trajectory_id=aid,
            turn=0,
            problem=problem,
            model=model,
            prompt_version=prompting.prompt_version(),
            prompt_variant=PROMPT_VARIANT,
            messages=prompt,
            response=_answer(code),
            code=code,
            outcome=outcome,
            feedback=feedback,
            environment=Environment(
                device=env.get("device"),
                gpu=env.get("device_name") if verification_backend(outcome) == "gpu" else None,
                torch=env.get("torch"),
                triton=env.get("triton"),
                sandbox=env.get("sandbox"),
            ),
            verification=verification_backend(outcome),
            licence=licence,
            provenance=Provenance(
                run_id=run_id,
                run_dir=str(folder),
                run_kind=RUN_KIND,
                origin=ORIGIN,
                git_revision=revision,
                created_at=summary.measured_at,
            ),
        )

    fixed = entry(f"mutant:{run_id}:original", f"{ORIGIN}/original", original, base, None)
    pairs = []
    for r in results:
        if r.outcome is None or r.outcome.correct:
            continue  # a survivor (or an equivalent, never checked) has no feedback
        feedback = prompting.feedback(r.outcome, r.code, PROMPT_VARIANT)
        failed = entry(
            f"mutant:{run_id}:{r.id}", f"{ORIGIN}/{r.operator}", r.code, r.outcome, feedback
        )
        pairs.append(SyntheticPair(failed, fixed))
    return pairs
