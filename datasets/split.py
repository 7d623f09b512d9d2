"""Train/validation/test by problem: every record of a problem, and of any problem that computes
nearly the same thing (``dedup.problem_text``), lands in one split, chosen by a hash that is
stable across builds."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np

from kernelwright.datasets.dedup import minhash, problem_text, similarity
from kernelwright.datasets.schema import ProblemEntry

SPLITS = ("train", "validation", "test")
DEFAULT_FRACTIONS = (0.8, 0.1, 0.1)
# Problems this similar are one problem for splitting: a copy with other sizes, a renamed
# variable or a changed comment must not sit in train while its twin is in test.
PROBLEM_NEAR_DUP = 0.9


def problem_key(problem: ProblemEntry) -> str:
    """Identity of what a problem computes (``problem_text``), else its file hash."""
    if problem.source is None:
        return problem.sha256
    return hashlib.sha256(problem_text(problem.source).encode()).hexdigest()


def group_problems(problems: Iterable[ProblemEntry]) -> dict[str, str]:
    """sha256 of each problem -> its group (the smallest key among its near duplicates)."""
    problems = sorted({p.sha256: p for p in problems}.values(), key=problem_key)
    keys = [problem_key(p) for p in problems]
    parent = list(range(len(problems)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    with_source = [i for i, p in enumerate(problems) if p.source is not None]
    sigs = np.array([minhash(problem_text(problems[i].source or "")) for i in with_source])
    for n, i in enumerate(with_source):
        sims = similarity(sigs[n], sigs[:n])
        for m in np.nonzero(sims >= PROBLEM_NEAR_DUP)[0]:
            a, b = find(i), find(with_source[int(m)])
            parent[max(a, b)] = min(a, b)
    # Equal normalised sources have equal signatures, so exact copies are joined above too.
    # Roots are the smallest index of their group, and problems are sorted by key.
    return {p.sha256: keys[find(i)] for i, p in enumerate(problems)}


def assign_split(group: str, fractions: tuple[float, float, float] = DEFAULT_FRACTIONS) -> str:
    """The split of a problem group: a uniform draw from its hash, the same in every build."""
    u = int.from_bytes(hashlib.sha256(f"kw-split:{group}".encode()).digest()[:8], "big") / 2**64
    train, val, _ = fractions
    if u < train:
        return "train"
    return "validation" if u < train + val else "test"
