"""Read run directories into corpus attempt records, with each problem's source attached."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from kernelwright.datasets.schema import AttemptEntry, ProblemEntry, attempt_entry
from kernelwright.problem import ProblemError, bundled_problems_dir, find_problems, read_problem
from kernelwright.runlog import ProblemRef, RunDir, RunInfo


class CollectError(Exception):
    """A run directory that cannot be read; the message says which and why."""


def _bundled_sources() -> dict[str, tuple[str, str]]:
    """sha256 -> (source, path) of every bundled problem."""
    out = {}
    root = bundled_problems_dir()
    if not root.is_dir():
        return out
    for path in find_problems(root):
        try:
            info = read_problem(path)
        except ProblemError:
            continue
        out[info.sha256] = (info.source, str(path))
    return out


class ProblemResolver:
    """Finds a recorded problem's source: at its recorded path when the hash still matches,
    else among the bundled problems with that hash."""

    def __init__(self) -> None:
        self._bundled = _bundled_sources()
        self._cache: dict[tuple[str, str], ProblemEntry] = {}

    def entry(self, ref: ProblemRef) -> ProblemEntry:
        key = (ref.sha256, ref.path)
        if key not in self._cache:
            self._cache[key] = self._resolve(ref)
        return self._cache[key].model_copy(update={"shape": ref.shape})

    def _resolve(self, ref: ProblemRef) -> ProblemEntry:
        source = None
        try:
            info = read_problem(ref.path)
            if info.sha256 == ref.sha256:
                source = info.source
        except ProblemError:
            pass
        bundled = ref.sha256 in self._bundled
        if source is None and bundled:
            source = self._bundled[ref.sha256][0]
        if "generated" in ref.tags:
            origin = "generated"
        elif bundled:
            origin = "bundled"
        else:
            origin = "external"
        return ProblemEntry(
            name=ref.name,
            sha256=ref.sha256,
            path=ref.path,
            source=source,
            level=ref.level,
            tags=list(ref.tags),
            shape=ref.shape,
            origin=origin,
        )


def read_run(path: Path) -> tuple[RunInfo, RunDir]:
    run = RunDir(path)
    if not run.exists():
        raise CollectError(f"{path}: not a run directory (no run.json)")
    try:
        return run.read_info(), run
    except (ValidationError, ValueError) as e:
        raise CollectError(f"{path}/run.json: unreadable ({str(e).splitlines()[0]})") from None


def _preferred(a: AttemptEntry, b: AttemptEntry) -> AttemptEntry:
    """Of two records of one attempt (a rescore re-verifies old answers): the GPU verdict,
    then the newer one."""
    rank = {"gpu": 2, "interpreter": 1, "none": 0}
    return max(
        (a, b), key=lambda x: (rank[x.verification], x.provenance.created_at, x.provenance.run_id)
    )


def collect(run_dirs: Iterable[Path], licence: str) -> tuple[list[AttemptEntry], list[RunInfo]]:
    """Every attempt of every run, one record per attempt id, in a stable order."""
    resolver = ProblemResolver()
    by_id: dict[str, AttemptEntry] = {}
    infos = []
    for path in run_dirs:
        info, run = read_run(Path(path))
        infos.append(info)
        for record in run.attempts():
            problem = resolver.entry(record.problem)
            entry = attempt_entry(record, info, str(path), problem, licence)
            prior = by_id.get(entry.attempt_id)
            by_id[entry.attempt_id] = entry if prior is None else _preferred(prior, entry)
    attempts = sorted(
        by_id.values(), key=lambda a: (a.problem.sha256, a.trajectory_id, a.turn, a.attempt_id)
    )
    return attempts, infos
