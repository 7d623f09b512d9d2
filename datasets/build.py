"""``corpus build``: run directories in, a corpus directory out.

Pipeline: collect every attempt (one record per attempt id) -> group problems (near-duplicate
sources are one problem) and split groups by hash -> flag problems that match an eval suite ->
select SFT kernels (GPU-verified in ``verified``; interpreter-verified apart, in
``interpreter_verified``) and deduplicate them per problem group, exactly and by MinHash ->
repair pairs and RL episodes -> Parquet, dataset card, plots, manifest.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

import kernelwright
from kernelwright.datasets import card
from kernelwright.datasets.collect import CollectError, collect
from kernelwright.datasets.contamination import check, default_suites, load_suite
from kernelwright.datasets.dedup import code_hash, select_unique
from kernelwright.datasets.export import (
    ATTEMPTS,
    RL,
    SFT,
    Context,
    attempt_row,
    episode_row,
    episodes,
    repair_row,
    solve_row,
    write_table,
)
from kernelwright.datasets.reward import REWARD_VERSION
from kernelwright.datasets.schema import (
    CORPUS_SCHEMA_VERSION,
    DEFAULT_LICENCE,
    AttemptEntry,
    trajectories,
)
from kernelwright.datasets.split import SPLITS, assign_split, group_problems
from kernelwright.datasets.synthetic import (
    MutantsError,
    SyntheticPair,
    mutate_folders,
    read_pairs,
)
from kernelwright.problem import ProblemError

NEAR_DUP = 0.85
# What a build writes; a rebuild clears these and nothing else.
OUTPUTS = ("attempts", "sft", "rl", "plots", "README.md", "manifest.json")


class BuildError(Exception):
    """Bad input to a build; the message says what, for a person."""


class TableFile(BaseModel):
    table: str  # attempts | sft | rl
    subset: str | None
    split: str
    path: str
    rows: int


class BuildReport(BaseModel):
    schema_version: int = CORPUS_SCHEMA_VERSION
    reward_version: str = REWARD_VERSION
    kernelwright: str = kernelwright.__version__
    runs: list[dict[str, Any]] = Field(default_factory=list)
    eval_suites: list[str] = Field(default_factory=list)
    include_interpreter: bool = False
    licence: str = DEFAULT_LICENCE
    near_dup_threshold: float = NEAR_DUP
    counts: dict[str, int] = Field(default_factory=dict)
    status: dict[str, int] = Field(default_factory=dict)
    problems: dict[str, dict[str, Any]] = Field(default_factory=dict)
    models: dict[str, int] = Field(default_factory=dict)
    origins: dict[str, int] = Field(default_factory=dict)
    files: list[TableFile] = Field(default_factory=list)
    mutant_dirs: list[str] = Field(default_factory=list)

    def rows(self, table: str, subset: str | None = None) -> int:
        return sum(f.rows for f in self.files if f.table == table and f.subset == subset)


def _prepare_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise BuildError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / "manifest.json").exists():
        raise BuildError(f"{out}: not empty and not a corpus folder; choose an empty folder")
    out.mkdir(parents=True, exist_ok=True)
    for name in OUTPUTS:
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


def _sft_order(a: AttemptEntry) -> tuple:
    """Best first: GPU-verified, faster, earlier."""
    return (a.verification != "gpu", -(a.speedup or 0.0), a.provenance.created_at, a.attempt_id)


def build_corpus(
    run_dirs: Sequence[Path],
    out: Path,
    *,
    include_interpreter: bool = False,
    eval_suites: Iterable[Path] | None = None,
    licence: str = DEFAULT_LICENCE,
    near_dup: float = NEAR_DUP,
    mutant_dirs: Sequence[Path] = (),
) -> BuildReport:
    if not run_dirs and not mutant_dirs:
        raise BuildError("no run directories (or --mutants folders) given")
    try:
        attempts, infos = collect(run_dirs, licence)
        synthetic = [
            p for d in mutant_dirs for f in mutate_folders(Path(d)) for p in read_pairs(f, licence)
        ]
    except (CollectError, MutantsError) as e:
        raise BuildError(str(e)) from None
    suites = list(eval_suites) if eval_suites else default_suites()
    try:
        suite, suite_sigs = load_suite(suites)
    except ProblemError as e:
        raise BuildError(f"eval suite: {e}") from None
    _prepare_out(out)

    problems = {a.problem.sha256: a.problem for a in attempts}
    problems.update({p.failed.problem.sha256: p.failed.problem for p in synthetic})
    group_of = group_problems(problems.values())
    splits = {sha: assign_split(group) for sha, group in group_of.items()}
    contamination = check(problems.values(), suite, suite_sigs)
    ctx = Context(splits.__getitem__, group_of, contamination)
    by_id = {a.attempt_id: a for a in attempts}

    # SFT kernels: verified correct, best first, one per (near-)duplicate family per problem.
    verified = [a for a in attempts if a.correct and a.code and a.verification != "none"]
    verified_ids = {a.attempt_id for a in verified}
    kept: dict[str, str] = {}  # attempt id -> subset
    duplicates: dict[str, tuple[str, str]] = {}
    by_group: dict[str, list[AttemptEntry]] = {}
    for a in sorted(verified, key=_sft_order):
        by_group.setdefault(group_of[a.problem.sha256], []).append(a)
    for group in sorted(by_group):
        items = by_group[group]
        unique, dropped = select_unique(items, lambda a: a.code or "", near_dup)
        for a in unique:
            kept[a.attempt_id] = "verified" if a.verification == "gpu" else "interpreter_verified"
        for i, (j, kind) in dropped.items():
            duplicates[items[i].attempt_id] = (items[j].attempt_id, kind)

    sft: dict[str, list[dict[str, Any]]] = {"verified": [], "interpreter_verified": []}
    for a in attempts:
        if a.attempt_id in kept:
            sft[kept[a.attempt_id]].append(solve_row(a, ctx))
    seen_pairs: set[tuple[str, str, str]] = set()
    repairs = 0
    for fixed in attempts:
        failed = by_id.get(fixed.parent_id or "")
        if not (fixed.attempt_id in verified_ids and failed is not None and not failed.correct):
            continue
        subset = "verified" if fixed.verification == "gpu" else "interpreter_verified"
        key = (subset, code_hash(failed.code or failed.response), code_hash(fixed.code or ""))
        if key in seen_pairs:
            continue
        seen_pairs.add(key)
        sft[subset].append(repair_row(failed, fixed, ctx))
        repairs += 1

    synthetic_rows = _synthetic_repairs(synthetic, ctx)

    rl: dict[str, list[dict[str, Any]]] = {"gpu": [], "interpreter": []}
    seen_episodes: set[tuple] = set()
    episode_dups = 0
    for t in trajectories(attempts):
        chains = episodes(t)
        for chain in chains:
            key = (
                group_of[t.problem.sha256],
                tuple((code_hash(a.code or a.response), a.outcome.status.value) for a in chain),
            )
            if key in seen_episodes:
                episode_dups += 1
                continue
            seen_episodes.add(key)
            eid = (
                t.trajectory_id if len(chains) == 1 else f"{t.trajectory_id}/{chain[-1].attempt_id}"
            )
            subset = "gpu" if t.verification == "gpu" else "interpreter"
            rl[subset].append(episode_row(t, chain, eid, ctx))

    report = BuildReport(
        runs=[
            {"run_id": i.run_id, "kind": i.kind, "path": str(p), "started_at": i.started_at}
            for i, p in zip(infos, run_dirs, strict=True)
        ],
        mutant_dirs=[str(d) for d in mutant_dirs],
        eval_suites=[str(s) for s in suites],
        include_interpreter=include_interpreter,
        licence=licence,
        near_dup_threshold=near_dup,
    )
    rows_attempts = [
        attempt_row(a, ctx, kept.get(a.attempt_id), duplicates.get(a.attempt_id)) for a in attempts
    ]
    _write(out, "attempts", None, rows_attempts, ATTEMPTS, report)
    _write(out, "sft", "verified", sft["verified"], SFT, report)
    _write(out, "rl", "gpu", rl["gpu"], RL, report)
    _write(out, "sft", "synthetic_repair", synthetic_rows["gpu"], SFT, report)
    if include_interpreter:
        _write(out, "sft", "interpreter_verified", sft["interpreter_verified"], SFT, report)
        _write(
            out, "sft", "synthetic_repair_interpreter", synthetic_rows["interpreter"], SFT, report
        )
        _write(out, "rl", "interpreter", rl["interpreter"], RL, report)

    backends = Counter((a.verification, a.correct) for a in attempts)
    dup_kinds = Counter(kind for _, kind in duplicates.values())
    report.counts = {
        "attempts": len(attempts),
        "trajectories": len({(a.trajectory_id, a.problem.sha256) for a in attempts}),
        "problems": len(problems),
        "problem_groups": len(set(group_of.values())),
        "correct_gpu": backends[("gpu", True)],
        "correct_interpreter": backends[("interpreter", True)],
        "exact_duplicates": dup_kinds["exact"],
        "near_duplicates": dup_kinds["near"],
        "sft_verified_kernels": sum(1 for s in kept.values() if s == "verified"),
        "sft_interpreter_kernels": sum(1 for s in kept.values() if s == "interpreter_verified"),
        "repair_pairs": repairs,
        "synthetic_repair_pairs_gpu": len(synthetic_rows["gpu"]),
        "synthetic_repair_pairs_interpreter": len(synthetic_rows["interpreter"]),
        "episodes_gpu": len(rl["gpu"]),
        "episodes_interpreter": len(rl["interpreter"]),
        "duplicate_episodes": episode_dups,
        "contaminated_problems": len(contamination),
        "eval_suite_problems": len(suite),
    }
    report.status = dict(Counter(a.outcome.status.value for a in attempts).most_common())
    report.models = dict(Counter(a.model for a in attempts).most_common())
    report.origins = dict(Counter(a.provenance.origin for a in attempts).most_common())
    report.problems = {
        p.sha256: {
            "name": p.name,
            "origin": p.origin,
            "split": splits[p.sha256],
            "group": group_of[p.sha256],
            "source_known": p.source is not None,
            "contamination": contamination[p.sha256].model_dump()
            if p.sha256 in contamination
            else None,
        }
        for p in sorted(problems.values(), key=lambda p: p.name)
    }
    plots = card.plots(attempts, kept, out)
    (out / "README.md").write_text(card.render(report, plots, attempts), encoding="utf-8")
    (out / "manifest.json").write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return report


def _synthetic_repairs(pairs: list[SyntheticPair], ctx: Context) -> dict[str, list[dict]]:
    """Repair rows of injected bugs, by where they were checked, one per distinct bug."""
    rows: dict[str, list[dict]] = {"gpu": [], "interpreter": []}
    seen: set[tuple[str, str]] = set()
    for p in pairs:
        key = (code_hash(p.failed.code or ""), code_hash(p.fixed.code or ""))
        if p.failed.verification == "none" or key in seen:
            continue
        seen.add(key)
        rows["gpu" if p.fixed.verification == "gpu" else "interpreter"].append(
            repair_row(p.failed, p.fixed, ctx)
        )
    return rows


def _write(
    out: Path,
    table: str,
    subset: str | None,
    rows: list[dict[str, Any]],
    schema: Any,
    report: BuildReport,
) -> None:
    """One Parquet file per non-empty split."""
    folder = out / table if subset is None else out / table / subset
    for split in SPLITS:
        part = [r for r in rows if r["split"] == split]
        if not part:
            continue
        path = write_table(part, schema, folder / f"{split}.parquet")
        report.files.append(
            TableFile(
                table=table,
                subset=subset,
                split=split,
                path=str(path.relative_to(out)),
                rows=len(part),
            )
        )
