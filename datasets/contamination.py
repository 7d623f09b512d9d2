"""Contamination check: corpus problems whose source matches a problem of an eval suite.

A match is exact (same file hash) or near: what the two problems compute
(``dedup.problem_text``: their classes and functions, not sizes or boilerplate) is identical,
or similar by MinHash at or above the threshold. Matches are flagged, not dropped: the
corpus may be meant for a model that will not be evaluated on that suite.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from kernelwright.datasets.dedup import minhash, problem_text, similarity
from kernelwright.datasets.schema import ProblemEntry
from kernelwright.problem import ProblemError, bundled_problems_dir, find_problems, read_problem

CONTAMINATION_NEAR_DUP = 0.9


class Contamination(BaseModel):
    match: str  # "exact" | "near"
    eval_problem: str  # path of the eval-suite problem it matches
    similarity: float


class EvalProblem(BaseModel):
    path: str
    sha256: str


def default_suites() -> list[Path]:
    return [bundled_problems_dir()]


def load_suite(roots: Iterable[Path]) -> tuple[list[EvalProblem], np.ndarray]:
    """Every problem file under the suite roots, with MinHash signatures of their sources."""
    problems: list[EvalProblem] = []
    sigs = []
    for root in roots:
        for path in find_problems(root):
            try:
                info = read_problem(path)
            except ProblemError:
                continue
            problems.append(EvalProblem(path=str(path), sha256=info.sha256))
            sigs.append(minhash(problem_text(info.source)))
    return problems, np.array(sigs)


def check(
    problems: Iterable[ProblemEntry],
    suite: list[EvalProblem],
    suite_sigs: np.ndarray,
    threshold: float = CONTAMINATION_NEAR_DUP,
) -> dict[str, Contamination]:
    """sha256 of each contaminated corpus problem -> what it matches."""
    by_hash = {p.sha256: p for p in suite}
    out: dict[str, Contamination] = {}
    for problem in problems:
        if problem.sha256 in by_hash:
            out[problem.sha256] = Contamination(
                match="exact", eval_problem=by_hash[problem.sha256].path, similarity=1.0
            )
            continue
        if problem.source is None or not suite:
            continue
        sims = similarity(minhash(problem_text(problem.source)), suite_sigs)
        best = int(sims.argmax())
        if sims[best] >= threshold:
            out[problem.sha256] = Contamination(
                match="near", eval_problem=suite[best].path, similarity=round(float(sims[best]), 3)
            )
    return out
