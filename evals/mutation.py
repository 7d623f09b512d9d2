"""Mutation analysis: how many realistic bugs the checker refuses, and whether it names them.

Every mutant of a correct solution (``mutants.py``) goes through the normal check path on
one warm pool, except one that compiles to the original's very Triton IR at every launch the
original's check recorded (``equivalence.py``): that one is the same program, which no input
can tell apart, so it is listed apart and not checked. The mutation score is refused /
(compiling - equivalent): a mutant that does not compile says nothing about the checker's
inputs, one that is ``correct`` survived. Each refused
mutant's feedback is read for the bug classes it names (``classes_named``); per class we
count how often that is the injected class, a wrong one, or none.

Results go to a folder as they come (``mutants.jsonl``, one ``MutantResult`` a line, then
``summary.json``), so an interrupted run keeps what it checked; ``corpus build --mutants``
reads that folder. ``--record`` stores a bundled problem's score in ``SCORES_FILE``, which
``problems list`` and the eval report read.
"""

from __future__ import annotations

import json
import math
import random
import re
import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field

from kernelwright.evals.equivalence import Equivalence
from kernelwright.evals.mutants import CLASSES, PROBE, Mutant, probe
from kernelwright.outcome import Outcome, Status
from kernelwright.prompts.feedback import PATTERN_CLASSES

# 2: equivalent mutants (by compiled IR) counted apart; summary.json and the scores file say
# how many and which. Files of version 1 read as having none.
SCHEMA_VERSION = 2
TARGET_SCORE = 0.95
NOT_COMPILING = {Status.compile_error, Status.format_error}
# Mutants are checked with this many times the original's wall time (at least the floor):
# a mutant that loops forever is refused as a timeout without holding a worker for long.
TIMEOUT_FACTOR = 5.0
TIMEOUT_FLOOR_S = 30.0


def scores_file() -> Path:
    from kernelwright import reference_kernels

    return Path(reference_kernels.__file__).parent / "mutation_scores.json"


class MutantResult(BaseModel):
    """One mutant as checked: what was broken, the checker's verdict and what it named.
    ``outcome`` is None for an equivalent mutant, which is not checked."""

    id: str
    bug_class: str
    operator: str
    line: int
    description: str
    code: str
    diff: str
    outcome: Outcome | None
    named: list[str] = Field(default_factory=list)
    equivalence: Equivalence | None = None
    # The check's seeds (its held-out shape follows from them): the check can be repeated.
    seeds: list[int] | None = None
    size_read: tuple[int, int | None, bool] | None = None  # Mutant.size_read
    # For a survivor: whether any checked input runs the mutated statement (a kernel's), or
    # any checked shape changes the size hard-coded (None: not known, e.g. other host code,
    # which forward always runs).
    reached: bool | None = None

    @property
    def equivalent(self) -> bool:
        return self.equivalence is not None and self.equivalence.verdict == "equivalent"

    @property
    def compiles(self) -> bool:
        return self.outcome is None or self.outcome.status not in NOT_COMPILING

    @property
    def survived(self) -> bool:
        return self.outcome is not None and self.outcome.correct

    @property
    def diagnosis(self) -> str:
        """'named' (the injected class), 'wrong' (only other classes) or 'silent'."""
        if self.bug_class in self.named:
            return "named"
        return "wrong" if self.named else "silent"


class ClassStats(BaseModel):
    mutants: int = 0
    compiling: int = 0
    equivalent: int = 0  # of the compiling ones: the original's IR, not checked
    refused: int = 0
    named: int = 0
    wrong: int = 0
    silent: int = 0


class Summary(BaseModel):
    """What ``--json`` prints and ``summary.json`` holds."""

    schema_version: int = SCHEMA_VERSION
    problem: str
    solution: str
    mutants: int
    checked: int
    compiling: int
    refused: int
    score: float | None  # refused / (compiling - equivalent)
    survivors: list[dict[str, str | int | bool | None]]
    equivalent: int = 0
    # Each equivalent mutant (id, class, line, description, why): judge them with their diff.
    equivalents: list[dict[str, str | int | None]] = Field(default_factory=list)
    per_class: dict[str, ClassStats]
    complete: bool
    measured_at: str
    versions: dict[str, str | None] = Field(default_factory=dict)
    shape: str | None = None
    problem_sha256: str = ""
    # Wall seconds of the run's phases: the original's check, telling equivalents apart,
    # checking the mutants, probing the survivors.
    seconds: dict[str, float] = Field(default_factory=dict)


def classes_named(outcome: Outcome) -> list[str]:
    """The bug classes the checker's feedback names for a refused candidate."""
    named: set[str] = set()
    mismatch = outcome.details.get("mismatch") or {}
    named.update(PATTERN_CLASSES.get(mismatch.get("pattern", ""), ()))
    # A crash the checker blames on a missing mask (the interpreter's heap corruption, a
    # GPU's illegal address).
    text = outcome.message.lower()
    if outcome.status in (Status.crashed, Status.runtime_error) and (
        "without a mask" in text or "illegal memory access" in text
    ):
        named.add("mask")
    # A reduction's own error about its axis ("axis 1 out of bounds") names the bug.
    if outcome.status is Status.runtime_error and re.search(r"\baxis\b", text):
        named.add("axis")
    return sorted(named)


def sample(mutants: list[Mutant], per_class: int | None, seed: int = 0) -> list[Mutant]:
    """At most ``per_class`` mutants of each class, drawn reproducibly, in catalogue order."""
    if per_class is None:
        return mutants
    rng = random.Random(seed)
    keep: set[str] = set()
    for cls in CLASSES:
        ids = [m.id for m in mutants if m.bug_class == cls]
        keep.update(rng.sample(ids, min(per_class, len(ids))))
    return [m for m in mutants if m.id in keep]


def summarise(
    problem: str,
    solution: str,
    results: list[MutantResult],
    total: int,
    shape: str | None,
    versions: dict[str, str | None],
    problem_sha256: str = "",
) -> Summary:
    per_class: dict[str, ClassStats] = {}
    for r in results:
        s = per_class.setdefault(r.bug_class, ClassStats())
        s.mutants += 1
        if not r.compiles:
            continue
        s.compiling += 1
        if r.equivalent:
            s.equivalent += 1
            continue
        if r.survived:
            continue
        s.refused += 1
        setattr(s, r.diagnosis, getattr(s, r.diagnosis) + 1)
    compiling = sum(s.compiling for s in per_class.values())
    equivalent = sum(s.equivalent for s in per_class.values())
    refused = sum(s.refused for s in per_class.values())
    return Summary(
        problem=problem,
        solution=solution,
        mutants=total,
        checked=len(results),
        compiling=compiling,
        refused=refused,
        score=refused / (compiling - equivalent) if compiling > equivalent else None,
        equivalent=equivalent,
        equivalents=[
            {
                "id": r.id,
                "class": r.bug_class,
                "line": r.line,
                "description": r.description,
                "why": r.equivalence.why,
            }
            for r in results
            if r.equivalent
        ],
        survivors=[
            {
                "id": r.id,
                "class": r.bug_class,
                "line": r.line,
                "description": r.description,
                "reached": r.reached,
                # "different" (other IR: a real survivor) or "unknown" with its reason.
                "ir": r.equivalence.verdict if r.equivalence else None,
                "ir_why": r.equivalence.why if r.equivalence else None,
            }
            for r in results
            if r.compiles and r.survived
        ],
        per_class={c: per_class[c] for c in CLASSES if c in per_class},
        complete=len(results) == total,
        measured_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        versions=versions,
        shape=shape,
        problem_sha256=problem_sha256,
    )


def result(
    m: Mutant, original: str, name: str, outcome: Outcome | None, eq=None, seeds=None
) -> MutantResult:
    return MutantResult(
        id=m.id,
        bug_class=m.bug_class,
        operator=m.operator,
        line=m.line,
        description=m.description,
        code=m.code,
        diff=m.diff(original, name),
        outcome=outcome,
        named=classes_named(outcome) if outcome is not None and not outcome.correct else [],
        equivalence=eq,
        seeds=seeds,
        size_read=m.size_read,
    )


def check_mutants(
    pool,
    problem: Path,
    mutants: Iterable[Mutant],
    original: str,
    *,
    timeout_s: float,
    shape: str | None,
    on_result: Callable[[MutantResult], None],
) -> list[MutantResult]:
    """Check every mutant on the pool, each worker busy, calling ``on_result`` as each ends.
    ``mutants`` is read as workers free up (a generator may still be deciding what to check).

    On Ctrl-C no new mutant starts and the interrupt goes on at once: what finished has been
    handed to ``on_result``; the mutants still running are lost with their workers."""
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    results: list[MutantResult] = []

    def run(m: Mutant) -> MutantResult:
        seeds = [secrets.randbelow(2**31) for _ in range(3)]
        outcome = pool.evaluate(request(problem, m.code, shape, timeout_s, seeds).job())
        return result(m, original, problem.stem + "_solution.py", outcome, seeds=seeds)

    todo = iter(mutants)
    tp = ThreadPoolExecutor(len(pool.slots))
    try:
        running = {tp.submit(run, m) for m in _take(todo, len(pool.slots))}
        while running:
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for f in done:
                r = f.result()
                results.append(r)
                on_result(r)
            running |= {tp.submit(run, m) for m in _take(todo, len(done))}
    finally:
        # On Ctrl-C, return at once: closing the pool kills the workers still running.
        tp.shutdown(wait=False, cancel_futures=True)
    return results


def probe_survivors(
    pool,
    problem: Path,
    results: list[MutantResult],
    original: str,
    *,
    timeout_s: float,
    shape: str | None,
) -> None:
    """Mark each survivor reached or not. A hard-coded size is reached when some checked
    shape changes it. A kernel statement that compiles into none of the original's launched
    kernels is not reached; any other is probed: the original, with a raise before the
    mutated statement, is checked once per distinct statement. A survivor no checked input
    reaches says the problem's inputs never run that code, not that the bug is harmless."""
    from concurrent.futures import ThreadPoolExecutor

    probes: dict[str, list[MutantResult]] = {}
    for r in results:
        if not (r.compiles and r.survived):
            continue
        if r.size_read is not None:
            r.reached = size_changed(problem, r, shape, pool.slots[0].device)
        elif r.equivalence is not None and r.equivalence.compiled is False:
            r.reached = False
        elif (code := probe(original, r.line)) is not None:
            probes.setdefault(code, []).append(r)
    if not probes:
        return

    def run(code: str) -> Outcome:
        return pool.evaluate(request(problem, code, shape, timeout_s).job())

    with ThreadPoolExecutor(len(pool.slots)) as tp:
        for code, outcome in zip(probes, tp.map(run, probes), strict=True):
            reached = True if PROBE in outcome.message else False if outcome.correct else None
            for r in probes[code]:
                r.reached = reached


def size_changed(problem: Path, r: MutantResult, shape: str | None, device: str) -> bool | None:
    """Did any shape set the mutant's check ran change the size it hard-coded (the size at
    the shape set it was read at)? None where that cannot be told."""
    from kernelwright.problem import ProblemError, exec_problem, read_problem
    from kernelwright.sandbox.pool import derived_seed

    index, dim, whole = r.size_read
    checked = (r.outcome.env.get("shapes") if r.outcome else None) or []
    if not checked or not r.seeds:
        return None

    def value(name: str):
        size = tuple(exec_problem(info, name, draw, device).inputs(0).args[index].shape)
        return size if whole else math.prod(size) if dim is None else size[dim]

    try:
        info = read_problem(problem)
        draw = derived_seed(r.seeds, "heldout")
        coded = value(shape or "small")
        return any(value(name) != coded for name in checked)
    except (ProblemError, IndexError, AttributeError, TypeError):
        return None


def request(
    problem: Path, code: str, shape: str | None, timeout_s: float, seeds: list[int] | None = None
):
    from kernelwright.sandbox.executor import EvalRequest

    # Correctness is the question; timed calls would only cost time.
    return EvalRequest(
        problem=problem, code=code, shape=shape, timeout_s=timeout_s, timing=False, seeds=seeds
    )


def _take(it, n: int) -> Iterable[Mutant]:
    return [m for _, m in zip(range(n), it, strict=False)]


def write_results(out: Path, results: Iterable[MutantResult]) -> None:
    with open(out / "mutants.jsonl", "a", encoding="utf-8") as f:
        for r in results:
            f.write(r.model_dump_json() + "\n")


def rewrite_results(out: Path, results: Iterable[MutantResult]) -> None:
    """Replace mutants.jsonl whole (after the probes), never leaving it half written."""
    tmp = out / "mutants.jsonl.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        for r in results:
            f.write(r.model_dump_json() + "\n")
    tmp.replace(out / "mutants.jsonl")


def read_results(folder: Path) -> list[MutantResult]:
    path = folder / "mutants.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"{folder}: no mutants.jsonl (not a `kernelwright mutate` folder)")
    results = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            results.append(MutantResult.model_validate_json(line))
    return results


def read_summary(folder: Path) -> Summary | None:
    path = folder / "summary.json"
    return Summary.model_validate_json(path.read_text()) if path.is_file() else None


def read_scores() -> dict[str, dict]:
    """The recorded score of each bundled problem, by name ({} when none is recorded)."""
    path = scores_file()
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("problems", {})
    except (OSError, ValueError):
        return {}


def record_score(summary: Summary) -> Path:
    """Store a complete run's score for its problem, next to the bundled problems."""
    path = scores_file()
    scores = read_scores()
    scores[summary.problem] = {
        "score": summary.score,
        "compiling": summary.compiling,
        "equivalent": summary.equivalent,
        "refused": summary.refused,
        "mutants": summary.mutants,
        "survivors": summary.survivors,
        "equivalents": summary.equivalents,
        "per_class": {k: v.model_dump() for k, v in summary.per_class.items()},
        "problem_sha256": summary.problem_sha256,
        "solution": _beside(path, summary.solution),
        "shape": summary.shape,
        "measured_at": summary.measured_at,
        "versions": summary.versions,
    }
    payload = {
        "schema_version": SCHEMA_VERSION,
        "about": "Mutation score of each bundled problem against its bundled solution, "
        "written by `kernelwright mutate --bundled --record`.",
        "problems": dict(sorted(scores.items())),
    }
    path.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    return path


def _beside(scores: Path, solution: str) -> str:
    """A bundled solution's path relative to the scores file, so the record reads the same on
    every checkout; any other solution as given."""
    try:
        return Path(solution).resolve().relative_to(scores.parent.resolve()).as_posix()
    except ValueError:
        return solution


def score_label(entry: dict | None) -> str:
    """'97% (31/32)' for a recorded score (refused / compiling mutants not equivalent), ''
    for none."""
    if not entry or entry.get("score") is None:
        return ""
    counted = entry["compiling"] - entry.get("equivalent", 0)
    return f"{100 * entry['score']:.0f}% ({entry['refused']}/{counted})"


def diagnosis_totals(results: Iterable[Summary]) -> dict[str, ClassStats]:
    """Per-class counts summed over several runs (the README's accuracy table)."""
    totals: dict[str, ClassStats] = {}
    for s in results:
        for cls, st in s.per_class.items():
            t = totals.setdefault(cls, ClassStats())
            for k, v in st.model_dump().items():
                setattr(t, k, getattr(t, k) + v)
    return {c: totals[c] for c in CLASSES if c in totals}
