"""Eval metrics: pure functions from a run's attempt records to a typed ``Metrics`` record.

Definitions and formulas are in ``evals/METRICS.md``; the names here follow it. Nothing in
this module reads files or runs anything: ``compute_metrics`` takes the records of one run.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, Field

from kernelwright.agent.replay import is_replay as is_replay_model
from kernelwright.outcome import Status
from kernelwright.runlog import AttemptRecord, ProblemRef, RunInfo

METRICS_SCHEMA_VERSION = 1
P_VALUES: tuple[float, ...] = (0.0, 0.5, 0.8, 1.0, 1.5, 2.0)
K_VALUES: tuple[int, ...] = (1, 2, 5, 10, 20, 50, 100)
BASELINES: tuple[str, ...] = ("eager", "compiled")
# An attempt "compiled" unless it never reached a launchable kernel.
NOT_COMPILED = frozenset({Status.compile_error, Status.format_error})


def p_key(p: float) -> str:
    """The JSON key of a threshold p: ``0``, ``0.5``, ``1``, ``1.5`` ..."""
    return f"{p:g}"


def pass_at_k(n: int, c: int, k: int) -> float | None:
    """Unbiased pass@k (Chen et al. 2021): 1 - C(n-c, k) / C(n, k).

    ``None`` when k > n: the estimator needs k draws without replacement from n samples,
    and extrapolating beyond the samples taken would invent data.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    if not 0 <= c <= n:
        raise ValueError(f"need 0 <= c <= n, got c={c}, n={n}")
    if k > n:
        return None
    if n - c < k:
        return 1.0
    # Exact integer binomials: Python's int / int is correctly rounded at any size.
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def geometric_mean(values: Iterable[float]) -> float | None:
    vals = [v for v in values if v is not None and v > 0]
    if not vals:
        return None
    return math.exp(sum(math.log(v) for v in vals) / len(vals))


def problem_key(ref: ProblemRef) -> str:
    return ref.name if ref.level is None else f"level{ref.level}/{ref.name}"


def is_replay(records: Sequence[AttemptRecord]) -> bool:
    return any(r.replay or is_replay_model(r.model) for r in records)


class SampleResult(BaseModel):
    """One trajectory (sample) of one problem, judged by its best attempt."""

    trajectory_id: str
    sample: int
    attempts: int
    turns: int
    # The best attempt: the fastest correct one, else the trajectory's final attempt.
    best_attempt_id: str
    status: Status
    correct: bool
    first_correct_turn: int | None = None
    candidate_ms: float | None = None
    speedup_eager: float | None = None
    speedup_compiled: float | None = None
    pct_of_bound: float | None = None

    def speedup(self, baseline: str) -> float | None:
        return self.speedup_eager if baseline == "eager" else self.speedup_compiled


class ProblemResult(BaseModel):
    key: str
    name: str
    path: str
    level: int | None = None
    tags: list[str] = Field(default_factory=list)
    samples: list[SampleResult] = Field(default_factory=list)
    attempts: int = 0
    compiled_attempts: int = 0
    correct_attempts: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    time_s: float = 0.0

    @property
    def n(self) -> int:
        return len(self.samples)

    @property
    def c(self) -> int:
        return sum(s.correct for s in self.samples)

    def fast_count(self, baseline: str, p: float) -> int:
        """Samples whose kernel is correct and faster than the baseline by strictly more than p."""
        return sum(
            1
            for s in self.samples
            if s.correct and (sp := s.speedup(baseline)) is not None and sp > p
        )

    def best_speedup(self, baseline: str) -> float | None:
        vals = [s.speedup(baseline) for s in self.samples if s.correct]
        vals = [v for v in vals if v is not None]
        return max(vals) if vals else None

    def best_pct_of_bound(self) -> float | None:
        vals = [s.pct_of_bound for s in self.samples if s.correct and s.pct_of_bound is not None]
        return max(vals) if vals else None


class Summary(BaseModel):
    """Metrics over a group of problems (all, one level, one tag). See METRICS.md."""

    problems: int
    samples: int
    attempts: int
    compile_rate: float | None
    attempt_correct_rate: float | None
    correct_rate: float | None
    solved_rate: float | None
    pass_at_k: dict[str, float | None]
    # None when the run measured no timing; else baseline -> p -> value.
    fast_p: dict[str, dict[str, float | None]] | None
    fast_p_at_k: dict[str, dict[str, dict[str, float | None]]] | None
    geomean_speedup: dict[str, float | None] | None
    roofline_pct_mean: float | None
    roofline_pct_median: float | None
    tokens_per_problem: float | None
    cost_usd_per_problem: float | None
    time_s_per_problem: float | None


class TurnPoint(BaseModel):
    """The state of every sample after its first ``turn`` turns (improvement per turn)."""

    turn: int
    correct_rate: float
    fast_1_eager: float | None
    geomean_speedup_eager: float | None


class TargetStats(BaseModel):
    """How a run's attempts fared when compiled for one target (Outcome.targets). Only attempts
    whose compile for the target ran to the end count."""

    target: str
    arch: str
    attempts: int  # attempts with a finished report for this target
    compile_rate: float | None  # share whose every kernel compiled and fits
    spill_rate: float | None  # of those that compiled: share with a kernel that spills
    dot_attempts: int  # of those that compiled: attempts with a kernel calling tl.dot
    tensor_core_rate: float | None  # of those: share whose every tl.dot kernel uses tensor cores


def target_stats(attempts: Sequence[AttemptRecord]) -> list[TargetStats]:
    """Per target, in the order targets first appear."""
    reports: dict[str, list] = defaultdict(list)
    archs: dict[str, str] = {}
    for a in attempts:
        for r in a.outcome.targets:
            if r.error is None and r.kernels and all(k.finished for k in r.kernels):
                reports[r.target].append(r)
                archs[r.target] = r.arch
    out = []
    for key, rs in reports.items():
        compiled = [r for r in rs if r.compiled]
        dots = [r for r in compiled if any(k.calls_dot for k in r.kernels)]
        out.append(
            TargetStats(
                target=key,
                arch=archs[key],
                attempts=len(rs),
                compile_rate=len(compiled) / len(rs),
                spill_rate=(
                    sum(any(k.spill_bytes for k in r.kernels) for r in compiled) / len(compiled)
                    if compiled
                    else None
                ),
                dot_attempts=len(dots),
                tensor_core_rate=(
                    sum(all(k.tensor_core_ops for k in r.kernels if k.calls_dot) for r in dots)
                    / len(dots)
                    if dots
                    else None
                ),
            )
        )
    return out


class Metrics(BaseModel):
    """Everything ``metrics.json`` says about one run."""

    schema_version: int = METRICS_SCHEMA_VERSION
    run_id: str
    kind: str
    label: str
    run_dir: str | None = None
    models: list[str]
    prompt_variants: list[str]
    prompt_version: str | None = None
    replay: bool
    timing_measured: bool
    devices: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    complete: bool
    missing_problems: list[str] = Field(default_factory=list)
    p_values: list[float] = Field(default_factory=lambda: list(P_VALUES))
    k_values: list[int]
    overall: Summary
    by_level: dict[str, Summary]
    by_tag: dict[str, Summary]
    # Where each attempt was measured: timings compare only within one device.
    by_device: dict[str, Summary] = Field(default_factory=dict)
    by_turn: list[TurnPoint]
    problems: list[ProblemResult]
    # Per compile target: compile rate, spill rate, tensor-core use (empty: no reports).
    targets: list[TargetStats] = Field(default_factory=list)


def _attempt_sort_key(indexed: tuple[int, AttemptRecord]) -> tuple[int, int]:
    i, r = indexed
    return (r.turn, i)


def _best(attempts: Sequence[AttemptRecord]) -> AttemptRecord:
    """The fastest correct attempt (timed before untimed, earliest on ties), else the last."""
    correct = [a for a in attempts if a.outcome.correct]
    if not correct:
        return attempts[-1]

    def rank(a: AttemptRecord) -> tuple[int, float]:
        t = a.outcome.timing
        return (0, t.candidate_ms) if t is not None else (1, 0.0)

    return min(correct, key=rank)  # min is stable: the earliest of equal ranks wins


def _sample_result(trajectory_id: str, attempts: Sequence[AttemptRecord]) -> SampleResult:
    best = _best(attempts)
    t = best.outcome.timing
    roof = best.outcome.roofline
    first_correct = next((a.turn for a in attempts if a.outcome.correct), None)
    return SampleResult(
        trajectory_id=trajectory_id,
        sample=attempts[0].sample,
        attempts=len(attempts),
        turns=len({a.turn for a in attempts}),
        best_attempt_id=best.attempt_id,
        status=best.outcome.status,
        correct=best.outcome.correct,
        first_correct_turn=first_correct,
        candidate_ms=t.candidate_ms if t else None,
        speedup_eager=t.speedup_eager if t else None,
        speedup_compiled=t.speedup_compiled if t else None,
        pct_of_bound=roof.pct_of_bound if roof and best.outcome.correct else None,
    )


def _group_by_trajectory(
    attempts: Sequence[AttemptRecord],
) -> dict[str, list[AttemptRecord]]:
    ordered = [r for _, r in sorted(enumerate(attempts), key=_attempt_sort_key)]
    groups: dict[str, list[AttemptRecord]] = defaultdict(list)
    for r in ordered:
        groups[r.trajectory_id].append(r)
    return groups


def _problem_result(ref: ProblemRef, attempts: Sequence[AttemptRecord]) -> ProblemResult:
    groups = _group_by_trajectory(attempts)
    samples = sorted(
        (_sample_result(tid, recs) for tid, recs in groups.items()),
        key=lambda s: (s.sample, s.trajectory_id),
    )
    return ProblemResult(
        key=problem_key(ref),
        name=ref.name,
        path=ref.path,
        level=ref.level,
        tags=list(ref.tags),
        samples=samples,
        attempts=len(attempts),
        compiled_attempts=sum(a.outcome.status not in NOT_COMPILED for a in attempts),
        correct_attempts=sum(a.outcome.correct for a in attempts),
        tokens=sum(a.usage.prompt_tokens + a.usage.completion_tokens for a in attempts),
        cost_usd=sum(a.usage.cost_usd for a in attempts),
        time_s=sum(a.model_s + a.eval_s for a in attempts),
    )


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _mean_over_problems(problems: Sequence[ProblemResult], per_problem) -> float | None:
    vals = [per_problem(p) for p in problems]
    if any(v is None for v in vals):
        return None
    return _mean(vals)


def fast_p_rate(problems: Sequence[ProblemResult], baseline: str, p: float) -> float | None:
    """fast_p against a baseline: (1/P) sum over problems of f_p / n."""
    return _mean([pr.fast_count(baseline, p) / pr.n for pr in problems if pr.n > 0])


def summarize(
    problems: Sequence[ProblemResult], timing_measured: bool, k_values: Sequence[int]
) -> Summary:
    """The metrics of METRICS.md over problems that have at least one sample."""
    problems = [p for p in problems if p.n > 0]
    attempts = sum(p.attempts for p in problems)
    samples = [s for p in problems for s in p.samples]
    correct_samples = [s for s in samples if s.correct]

    pass_k = {
        str(k): _mean_over_problems(problems, lambda p, k=k: pass_at_k(p.n, p.c, k))
        for k in k_values
    }
    fast_p = fast_p_at_k = geomean = None
    roof_mean = roof_median = None
    if timing_measured:
        fast_p = {
            b: {p_key(p): _mean([pr.fast_count(b, p) / pr.n for pr in problems]) for p in P_VALUES}
            for b in BASELINES
        }
        fast_p_at_k = {
            b: {
                p_key(p): {
                    str(k): _mean_over_problems(
                        problems,
                        lambda pr, b=b, p=p, k=k: pass_at_k(pr.n, pr.fast_count(b, p), k),
                    )
                    for k in k_values
                }
                for p in P_VALUES
            }
            for b in BASELINES
        }
        geomean = {b: geometric_mean(s.speedup(b) for s in correct_samples) for b in BASELINES}
        pcts = [s.pct_of_bound for s in correct_samples if s.pct_of_bound is not None]
        roof_mean = _mean(pcts)
        roof_median = statistics.median(pcts) if pcts else None
    return Summary(
        problems=len(problems),
        samples=len(samples),
        attempts=attempts,
        compile_rate=sum(p.compiled_attempts for p in problems) / attempts if attempts else None,
        attempt_correct_rate=(
            sum(p.correct_attempts for p in problems) / attempts if attempts else None
        ),
        correct_rate=_mean([p.c / p.n for p in problems]),
        solved_rate=_mean([float(p.c > 0) for p in problems]),
        pass_at_k=pass_k,
        fast_p=fast_p,
        fast_p_at_k=fast_p_at_k,
        geomean_speedup=geomean,
        roofline_pct_mean=roof_mean,
        roofline_pct_median=roof_median,
        tokens_per_problem=_mean([float(p.tokens) for p in problems]),
        cost_usd_per_problem=_mean([p.cost_usd for p in problems]),
        time_s_per_problem=_mean([p.time_s for p in problems]),
    )


def by_turn(attempts: Sequence[AttemptRecord], timing_measured: bool) -> list[TurnPoint]:
    """Per turn t: every sample judged on its attempts of turn <= t, averaged over problems.

    A sample that stopped before turn t keeps its final state; one with no attempt by turn t
    counts as not correct.
    """
    trajectories = [_group_by_trajectory(recs) for recs in _by_problem(attempts).values()]
    points = []
    for t in sorted({a.turn for a in attempts}):
        # Per problem: (number of samples, the samples correct by turn t).
        problems: list[tuple[int, list[SampleResult]]] = []
        for trajs in trajectories:
            correct = []
            for tid, recs in trajs.items():
                upto = [r for r in recs if r.turn <= t]
                if upto and (s := _sample_result(tid, upto)).correct:
                    correct.append(s)
            problems.append((len(trajs), correct))
        fast_1 = geo = None
        if timing_measured:
            fast_1 = _mean(
                [
                    sum(s.speedup_eager is not None and s.speedup_eager > 1.0 for s in cs) / n
                    for n, cs in problems
                ]
            )
            geo = geometric_mean(s.speedup_eager for _, cs in problems for s in cs)
        points.append(
            TurnPoint(
                turn=t,
                correct_rate=_mean([len(cs) / n for n, cs in problems]) or 0.0,
                fast_1_eager=fast_1,
                geomean_speedup_eager=geo,
            )
        )
    return points


def _by_problem(attempts: Sequence[AttemptRecord]) -> dict[str, list[AttemptRecord]]:
    out: dict[str, list[AttemptRecord]] = defaultdict(list)
    for a in attempts:
        out[problem_key(a.problem)].append(a)
    return out


def _k_values(problems: Sequence[ProblemResult]) -> list[int]:
    max_n = max((p.n for p in problems), default=0)
    return [k for k in K_VALUES if k == 1 or k <= max_n]


def _label(info: RunInfo | None, models: list[str], variants: list[str]) -> str:
    cfg = info.config if info else {}
    model = cfg.get("model") or (", ".join(models) if models else "no model")
    variant = cfg.get("prompt_variant") or (", ".join(variants) if variants else None)
    return f"{model} [{variant}]" if variant else str(model)


def device_label(record: AttemptRecord) -> str:
    """The device that measured an attempt: its name, and the host and GPU on a cluster."""
    env = record.outcome.env
    label = str(env.get("device_name") or env.get("device") or "unknown device")
    host = env.get("host") or env.get("node_ip")
    if host:
        label += f" @ {host}"
    if env.get("gpu_index") is not None:
        label += f" gpu{env['gpu_index']}"
    return label


def _by_device(attempts: Sequence[AttemptRecord]) -> dict[str, list[AttemptRecord]]:
    out: dict[str, list[AttemptRecord]] = defaultdict(list)
    for a in attempts:
        out[device_label(a)].append(a)
    return out


def compute_metrics(
    attempts: Sequence[AttemptRecord],
    info: RunInfo | None = None,
    label: str | None = None,
    run_dir: str | None = None,
) -> Metrics:
    """All metrics of one run. ``info`` adds the problem list (to find unfinished problems)."""
    grouped = _by_problem(attempts)
    refs: dict[str, ProblemRef] = {}
    for ref in info.problems if info else []:
        refs.setdefault(problem_key(ref), ref)
    for key, recs in grouped.items():
        refs.setdefault(key, recs[0].problem)
    problems = [_problem_result(ref, grouped.get(key, [])) for key, ref in refs.items()]
    missing = [p.key for p in problems if p.n == 0]

    timing_measured = any(a.outcome.timing is not None for a in attempts)
    k_values = _k_values(problems)
    models = sorted({a.model for a in attempts})
    variants = sorted({a.prompt_variant for a in attempts})
    replay = is_replay(attempts)
    devices = sorted(
        {
            str(d)
            for a in attempts
            if (d := a.outcome.env.get("device_name", a.outcome.env.get("device")))
        }
    )

    notes = []
    if not timing_measured:
        notes.append(
            "No timing was measured (CPU interpreter or timing disabled): correctness metrics "
            "only; fast_p, speedups and % of roofline are not reported."
        )
    if replay:
        notes.append("Replayed run: answers were served from a recorded transcript, not a model.")
    if missing:
        notes.append(f"Incomplete run: {len(missing)} problem(s) have no attempts yet.")

    by_level: dict[str, list[ProblemResult]] = defaultdict(list)
    by_tag: dict[str, list[ProblemResult]] = defaultdict(list)
    for p in problems:
        if p.n == 0:
            continue
        by_level["unlevelled" if p.level is None else f"level{p.level}"].append(p)
        for tag in p.tags:
            by_tag[tag].append(p)

    by_device: dict[str, list[ProblemResult]] = defaultdict(list)
    for dev, recs in _by_device(attempts).items():
        for key, prob_recs in _by_problem(recs).items():
            by_device[dev].append(_problem_result(refs[key], prob_recs))

    return Metrics(
        run_id=info.run_id if info else (attempts[0].run_id if attempts else "unknown"),
        kind=info.kind if info else "unknown",
        label=label or _label(info, models, variants),
        run_dir=run_dir,
        models=models,
        prompt_variants=variants,
        prompt_version=info.prompt_version if info else None,
        replay=replay,
        timing_measured=timing_measured,
        devices=devices,
        notes=notes,
        complete=not missing,
        missing_problems=missing,
        k_values=k_values,
        overall=summarize(problems, timing_measured, k_values),
        by_level={k: summarize(v, timing_measured, k_values) for k, v in sorted(by_level.items())},
        by_tag={k: summarize(v, timing_measured, k_values) for k, v in sorted(by_tag.items())},
        by_device={
            k: summarize(v, timing_measured, k_values) for k, v in sorted(by_device.items())
        },
        by_turn=by_turn(attempts, timing_measured),
        problems=problems,
        targets=target_stats(attempts),
    )
