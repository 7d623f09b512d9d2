"""``kernelwright check`` over many (problem, solution) pairs through one warm pool.

Pairs come from the command line (one problem, several solutions), from two folders matched
by name (a solution ``NAME.py`` goes with the problem whose file stem or metadata name is
NAME), or from a file of ``PROBLEM SOLUTION`` lines. Results are handed back as they come;
Ctrl-C kills what runs at once and says what was lost; a JSON summary keeps every result."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kernelwright.problem import ProblemError, ProblemInfo, find_problems, read_problem

if TYPE_CHECKING:
    from kernelwright.outcome import Outcome
    from kernelwright.sandbox.executor import EvalRequest
    from kernelwright.sandbox.pool import Pool


class BatchError(Exception):
    """Pairs that cannot be checked: a usage error, said in one line."""


@dataclass
class Pair:
    problem: ProblemInfo
    solution: Path
    code: str


@dataclass
class Pairs:
    pairs: list[Pair]
    # Problems of a folder that no solution matched: reported, not checked.
    unmatched_problems: list[Path] = field(default_factory=list)
    unmatched_solutions: list[Path] = field(default_factory=list)


def _read_solution(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise BatchError(f"{path}: cannot read solution ({e})") from None


def _read_problem(path: Path) -> ProblemInfo:
    try:
        return read_problem(path)
    except ProblemError as e:
        raise BatchError(str(e)) from None


def from_arguments(problem: Path, solutions: list[Path]) -> Pairs:
    info = _read_problem(problem)
    return Pairs([Pair(info, s, _read_solution(s)) for s in solutions])


def from_folders(problems: Path, solutions: Path) -> Pairs:
    """Solutions matched to problems by name: a solution's file stem is a problem's file stem
    or its metadata name."""
    if not solutions.is_dir():
        raise BatchError(f"--solutions {solutions}: not a folder")
    try:
        files = find_problems(problems)
    except ProblemError as e:
        raise BatchError(f"--problems {problems}: {e}") from None
    by_name: dict[str, list[ProblemInfo]] = {}
    for f in files:
        info = _read_problem(f)
        for name in {f.stem, info.name}:
            by_name.setdefault(name, []).append(info)
    pairs, used, unmatched = [], set(), []
    for sol in sorted(solutions.rglob("*.py")):
        if sol.name == "__init__.py":
            continue
        found = by_name.get(sol.stem, [])
        if len(found) > 1:
            where = ", ".join(str(i.path) for i in found)
            raise BatchError(f"{sol}: its name matches several problems ({where})")
        if not found:
            unmatched.append(sol)
            continue
        pairs.append(Pair(found[0], sol, _read_solution(sol)))
        used.add(found[0].path)
    if not pairs:
        raise BatchError(f"no solution in {solutions} is named after a problem in {problems}")
    return Pairs(pairs, [f for f in files if f not in used], unmatched)


def from_file(listing: Path) -> Pairs:
    """``PROBLEM SOLUTION`` per line (shell quoting; ``#`` starts a comment); relative paths
    are relative to the file's folder, and a problem may be a bundled problem's name."""
    from kernelwright.problem import resolve_problem

    try:
        text = listing.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise BatchError(f"--pairs {listing}: cannot read it ({e})") from None
    pairs = []
    for n, line in enumerate(text.splitlines(), 1):
        try:
            words = shlex.split(line, comments=True)
        except ValueError as e:
            raise BatchError(f"{listing}:{n}: {e}") from None
        if not words:
            continue
        if len(words) != 2:
            raise BatchError(f"{listing}:{n}: give two paths, PROBLEM SOLUTION")
        prob, sol = words
        local = listing.parent / prob
        try:
            path = local if local.exists() else resolve_problem(prob)
        except ProblemError as e:
            raise BatchError(f"{listing}:{n}: {e}") from None
        solution = listing.parent / sol
        pairs.append(Pair(_read_problem(path), solution, _read_solution(solution)))
    if not pairs:
        raise BatchError(f"--pairs {listing}: no pairs in it")
    return Pairs(pairs)


@dataclass
class Result:
    pair: Pair
    outcome: Outcome | None = None
    error: str | None = None  # the problem could not be run (its reference failed, ...)
    seconds: float | None = None

    def to_json(self) -> dict:
        return {
            "problem": str(self.pair.problem.path),
            "name": self.pair.problem.name,
            "solution": str(self.pair.solution),
            "status": self.outcome.status.value if self.outcome else "not_run",
            "seconds": self.seconds,
            "error": self.error,
            "outcome": self.outcome.model_dump(mode="json") if self.outcome else None,
        }


@dataclass
class BatchRun:
    results: list[Result]
    # Set when Ctrl-C stopped the batch: pairs killed while running, and never started.
    interrupted: bool = False
    killed: list[Pair] = field(default_factory=list)
    not_started: list[Pair] = field(default_factory=list)


def run(
    pool: Pool,
    pairs: list[Pair],
    request: Callable[[Pair], EvalRequest],
    on_result: Callable[[int, Result], None],
) -> BatchRun:
    """Check every pair through ``pool``, one job per worker at a time, calling ``on_result``
    (in this thread) as each finishes. On Ctrl-C the pool's workers are killed at once, the
    jobs not started are dropped, and the run comes back with ``interrupted`` set."""
    import time

    results = [Result(p) for p in pairs]
    started: set[int] = set()

    def one(i: int) -> None:
        started.add(i)
        start = time.perf_counter()
        try:
            results[i].outcome = pool.evaluate(request(pairs[i]).job())
        except ProblemError as e:
            results[i].error = str(e)
        results[i].seconds = time.perf_counter() - start

    tp = ThreadPoolExecutor(len(pool.slots), thread_name_prefix="check")
    futures: dict[Future, int] = {tp.submit(one, i): i for i in range(len(pairs))}
    pending = set(futures)
    reported: list[int] = []
    try:
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in sorted(done, key=futures.get):
                f.result()  # a bug of ours surfaces here, not lost in a thread
                on_result(futures[f], results[futures[f]])
                reported.append(futures[f])
    except KeyboardInterrupt:
        tp.shutdown(wait=False, cancel_futures=True)
        pool.close()  # kills every worker now: a job in flight ends with its worker
        lost = [i for i in range(len(pairs)) if i not in reported]
        return BatchRun(
            [results[i] for i in sorted(reported)],
            interrupted=True,
            # Started and not reported: killed by the interrupt (or done just after it).
            killed=[pairs[i] for i in lost if i in started],
            not_started=[pairs[i] for i in lost if i not in started],
        )
    tp.shutdown()
    return BatchRun(results)


def write_summary(path: Path, batch: BatchRun, pairs: Pairs) -> None:
    """The batch as one JSON file, written whole (and on Ctrl-C too: nothing is lost)."""
    counts: dict[str, int] = {}
    for r in batch.results:
        key = r.outcome.status.value if r.outcome else "not_run"
        counts[key] = counts.get(key, 0) + 1
    summary = {
        "pairs": len(pairs.pairs),
        "checked": len(batch.results),
        "correct": counts.get("correct", 0),
        "statuses": counts,
        "interrupted": batch.interrupted,
        "killed": [str(p.solution) for p in batch.killed],
        "not_started": [str(p.solution) for p in batch.not_started],
        "problems_without_solution": [str(p) for p in pairs.unmatched_problems],
        "solutions_without_problem": [str(p) for p in pairs.unmatched_solutions],
        "results": [r.to_json() for r in batch.results],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
