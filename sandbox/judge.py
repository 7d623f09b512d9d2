"""From what a worker measured to an Outcome. Runs in the parent, never in a worker.

The worker reports data (outputs, inputs as left, launch counts, ops seen, guard
events); every verdict is decided here, by code the candidate never shared a
process with. Checks are recorded in order; the first failed one sets the status.
"""

from __future__ import annotations

import ast
import collections
import contextlib
import pickle
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from pydantic import BaseModel, Field

from kernelwright import pyast
from kernelwright.outcome import Check, Outcome, Status
from kernelwright.problem import ProblemInfo
from kernelwright.prompts.feedback import DIAGNOSES
from kernelwright.regimes import regimes_for
from kernelwright.sandbox import guards, kernel_list, launch_signature, measure, timed_calls
from kernelwright.sandbox.bounds import Violation
from kernelwright.sandbox.hints import FalseHintRecord
from kernelwright.sandbox.lane_races import LaneRace, Unsettled
from kernelwright.sandbox.launch_signature import MAX_RECORDS
from kernelwright.sandbox.launchlog import (
    HostOp,
    Launch,
    LaunchLog,
    data_program,
    host_reorders,
    output_problems,
    with_later,
)
from kernelwright.sandbox.races import Race
from kernelwright.sandbox.undefined import UndefinedRecord
from kernelwright.sandbox.verify import (
    bitwise_equal,
    comparable,
    compare,
    misplaced,
    precision,
    reduction_length,
    reference_error,
    unusable_reference,
)

# In a stress regime the absolute tolerance never asks the candidate to be closer to the
# reference than twice the reference's own worst error against float64: with cancellation
# at extreme inputs, an equally precise kernel that rounds elsewhere is that far from it.
# (Plain trials keep the declared tolerance: there it is the problem's stated bound.)
OWN_ERROR_FACTOR = 2.0

# Code-looking lines: a text with none of these is not an attempt at Python at all.
_CODE_LINE = re.compile(r"^\s*(import |from \S+ import |def |class |@|\w+\s*=)", re.M)


class TrialReport(BaseModel):
    """One forward the candidate's own host code ran: its outputs (checked only for agreement
    with the replay) and its launch log."""

    seed: int
    file: str
    output_types: list[str]
    plain: bool
    launches: int
    torch_ops: dict[str, int]
    log: str
    devices: list[str | None] = []


class ReplayReport(BaseModel):
    """One log replayed on one seed's inputs, in the replayer."""

    log: int
    seed: int
    file: str | None = None
    error: str | None = None
    launch_failed: bool = False
    out_of_bounds: Violation | None = None  # interpreter only (bounds.py)
    race: Race | LaneRace | None = None  # interpreter only (races.py, lane_races.py)
    false_hint: FalseHintRecord | None = None  # interpreter only (hints.py)
    undefined: UndefinedRecord | None = None  # interpreter only (undefined.py)
    # Races between threads that a scalar atomic orders if the compiled kernel uses its result:
    # settled against the compile (target_compile.unordered).
    unsettled: list[Unsettled] = Field(default_factory=list)
    mutated: list[int] = Field(default_factory=list)
    state_mutated: list[str] = Field(default_factory=list)  # Model's state names forward wrote
    notes: list[str] = Field(default_factory=list)
    # What an extra replay ran in place of the first log: an autotuned launch's other config,
    # or forward's later call (an index into the first log's ``later``).
    config: str | None = None
    later: int | None = None


class ReplayResult(BaseModel):
    error: str | None = None  # the kernels could not be taken from the source
    # What the interpreter computed where Triton's compiler may fix a value at compile time
    # (static_values.Probe.dump), held against the compile's once it is in.
    probed: dict[str, Any] | None = None
    replays: list[ReplayReport] = Field(default_factory=list)
    # The first replayed trial again, once per other config of its autotuned launches' lists
    # and once per later call of forward that logged otherwise.
    extras: list[ReplayReport] = Field(default_factory=list)


class WorkerResult(BaseModel):
    """The worker's report of one candidate: data only, never a verdict."""

    type: str
    nonce: str
    stage: str
    trials: list[TrialReport] = Field(default_factory=list)
    error: dict[str, Any] | None = None
    error_kind: str | None = None
    guard_events: list[str] = Field(default_factory=list)
    timing: dict[str, Any] | None = None
    # On a GPU, what the profiler saw run (kernel_list.Profile); absent elsewhere.
    profile: kernel_list.Profile | None = None
    # Bytes the kernels loaded and stored in the first trial (interpreter only; traffic.py).
    traffic: dict[str, int] | None = None


_THREADS = threading.Lock()
_judging = 0
_threads_before = 1


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Torch on one intra-op thread while verdicts are made (several pool threads may judge
    at once): the outputs compared are small, and a second thread only spins, slowing each op
    tenfold on a busy machine. The caller's setting is back once no judge runs."""
    global _judging, _threads_before
    with _THREADS:
        if _judging == 0:
            _threads_before = torch.get_num_threads()
            torch.set_num_threads(1)
        _judging += 1
    try:
        yield
    finally:
        with _THREADS:
            _judging -= 1
            if _judging == 0:
                torch.set_num_threads(_threads_before)


def load(path: str, device: str | torch.device = "cpu") -> Any:
    # weights_only: a file the candidate could have written must not run code when read.
    return torch.load(path, map_location=device, weights_only=True)


class UnreadableResult(Exception):
    """A result file the worker wrote that cannot be read as written: candidate code, which
    shares the worker's folder, replaced or damaged it."""


class UnsupportedOutput(Exception):
    """A result holding an object the safe loader refuses: forward returned something other
    than tensors and plain values. ``str()`` is the loader's reason."""


def load_result(path: str, device: torch.device, keys: tuple[str, ...]) -> dict[str, Any]:
    try:
        payload = load(path, device)
    except Exception as e:  # whatever torch.load raises on a damaged or foreign file
        # The worker saves whatever forward returned; weights_only names what it refuses.
        refused = re.search(r"WeightsUnpickler error: (.+?)(?: was not an allowed|\n|$)", str(e))
        if isinstance(e, pickle.UnpicklingError) and refused:
            raise UnsupportedOutput(refused.group(1)[:200]) from None
        first = (str(e).splitlines() or [""])[0][:200]
        raise UnreadableResult(f"{Path(path).name}: {type(e).__name__}: {first}") from None
    if not isinstance(payload, dict) or not all(k in payload for k in keys):
        raise UnreadableResult(f"{Path(path).name}: not the worker's result format")
    return payload


def load_log(path: str) -> LaunchLog:
    try:
        return LaunchLog.model_validate_json(Path(path).read_text())
    except (OSError, ValueError) as e:
        first = (str(e).splitlines() or [""])[0][:200]
        raise UnreadableResult(f"{Path(path).name}: {type(e).__name__}: {first}") from None


def replayable(result: WorkerResult, job) -> bool:
    """Worth replaying: forward ran to the end and nothing its own trials showed is already
    refused (no guard event, a launch, no torch compute)."""
    return bool(
        result.trials
        and not result.error
        and not result.guard_events
        and all(t.launches for t in result.trials)
        and (
            job.allow_torch_ops
            or not any(guards.disallowed_ops(t.torch_ops, t.launches) for t in result.trials)
        )
    )


def trial_list(reference: list[dict], timing_sets: int) -> list[tuple[int, str | None]]:
    """The judged trials as (seed, stress regime), in order; a timed job's last
    ``timing_sets`` references are the timed calls' input sets, checked apart."""
    return [(r["seed"], r.get("regime")) for r in _trial_refs(reference, timing_sets)]


def _trial_refs(reference: list[dict], timing_sets: int) -> list[dict]:
    return reference[:-timing_sets] if timing_sets else reference


def replay_plan(
    logs: list[LaunchLog], trials: list[tuple[int, str | None]]
) -> list[tuple[int, int, str | None]]:
    """(log, seed, regime) to replay: the first log on every later trial, inputs its host code
    never saw, stress regimes included (the first seed, which it did see, is judged on the
    candidate's own answer too)."""
    return [(0, s, r) for s, r in trials[1:] or trials]


def replay_program(logs: list[LaunchLog]) -> dict:
    """What the replay re-derives from its own reads when host code read data back (see
    ``launchlog.data_program``); ValueError when something else varies with the data."""
    if not any(log.reads_data() for log in logs) or len(logs) < 2:
        return {}
    return data_program(logs)


def usable_trials(reference: list[dict]) -> tuple[list[dict], list[str]]:
    """The trials to run: a stress trial whose reference overflows or leaves the problem's
    domain judges nothing and is dropped, with a note saying why."""
    base = reference[0]["outputs"]
    kept, notes = [], []
    for t in reference:
        why = (
            unusable_reference(t["outputs"], t.get("outputs64"), base) if t.get("regime") else None
        )
        if why is None:
            kept.append(t)
        else:
            notes.append(f"stress regime {t['regime']} not run: {why}")
    return kept, notes


def _counted(trials: list[dict]) -> str:
    stress = sum(1 for t in trials if t.get("regime"))
    seeds = len(trials) - stress
    text = f"{seeds} seed{'s' * (seeds != 1)}"
    return text + (f" and {stress} stress regime{'s' * (stress != 1)}" if stress else "")


def _tag(info: ProblemInfo, seed: int, regime: str | None, extra: str | None = None) -> str:
    tag = f"seed {seed}"
    if regime is not None:
        tag += f", stress regime {regime}: {regimes_for(info.meta.regimes)[regime].describe()}"
    return f"{tag}, {extra}" if extra else tag


def _extra(rep: ReplayReport) -> str | None:
    """What an extra replay ran in place of the first log, for a check's name."""
    if rep.config:
        return f"autotune config {rep.config}"
    return None if rep.later is None else "a later call of forward"


def unreadable(reason: str, output: str, env: dict) -> Outcome:
    return Outcome(
        status=Status.rejected,
        message="Rejected: the worker's result files were replaced or damaged while the "
        f"candidate ran ({reason}).",
        checks=[Check(name="result files untouched", passed=False, detail=reason)],
        env=env,
        output=output,
        details={"rule": "forged verdict"},
    )


def compare_device(worker_device: str) -> str:
    """Where the parent compares: on the worker's GPU when this process can reach it, since
    float64 comparisons of bench-sized outputs take seconds each on the CPU."""
    return (
        worker_device if worker_device.startswith("cuda") and torch.cuda.is_available() else "cpu"
    )


def _device_of(reference: list[dict]) -> torch.device:
    """The device the reference was loaded to: the candidate's outputs are loaded there too."""
    tensors = [t for t in reference[0]["inputs"] if isinstance(t, torch.Tensor)]
    return tensors[0].device if tensors else torch.device("cpu")


def read_capture(path: Path, cap: int) -> str:
    """The candidate's stdout+stderr, head and tail kept, saying how much was cut."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            if size <= cap:
                return f.read().decode(errors="replace")
            head = f.read(cap // 2).decode(errors="replace")
            f.seek(size - cap // 2)
            tail = f.read().decode(errors="replace")
    except OSError:
        return ""
    return f"{head}\n[... {size - cap} bytes of output cut ...]\n{tail}"


def precheck(code: str) -> Outcome | None:
    """What can be said without running anything: format, syntax, static guards."""
    try:
        tree = pyast.parse(code)
    except SyntaxError as e:
        if not _CODE_LINE.search(code):
            return Outcome(
                status=Status.format_error,
                message="The answer is not Python code: expected one Python module defining "
                "class ModelNew(nn.Module).",
                checks=[Check(name="format", passed=False, detail="not Python")],
            )
        line = (e.text or "").rstrip()
        return Outcome(
            status=Status.compile_error,
            message=f"Python syntax error at line {e.lineno}: {e.msg}"
            + (f"\n    {line}" if line else ""),
            checks=[Check(name="syntax", passed=False, detail=f"line {e.lineno}: {e.msg}")],
            details={"compile": {"line": e.lineno, "error": e.msg}},
        )
    defined = {n.name for n in tree.body if isinstance(n, ast.ClassDef)} | {
        t.id
        for n in tree.body
        if isinstance(n, ast.Assign)
        for t in n.targets
        if isinstance(t, ast.Name)
    }
    if "ModelNew" not in defined:
        return Outcome(
            status=Status.format_error,
            message="The module does not define ModelNew: write class ModelNew(nn.Module) with "
            "the same constructor and forward signature as Model.",
            checks=[Check(name="format", passed=False, detail="no ModelNew")],
        )
    violations = guards.static_violations(tree)
    if violations:
        return Outcome(
            status=Status.rejected,
            message="Rejected before running: " + "; ".join(map(str, violations)),
            checks=[Check(name="static guards", passed=False, detail=str(v)) for v in violations],
            details={"rule": violations[0].rule},
        )
    return None


def crashed(how: str, output: str, env: dict) -> Outcome:
    hint = ""
    if "SIGSEGV" in how or "SIGBUS" in how:
        hint = " (a segmentation fault: an out-of-bounds access in a kernel, or native code)"
    elif "SIGABRT" in how and re.search(
        r"double free|corrupt|munmap_chunk|free\(\)|malloc\(\)", output
    ):
        # glibc aborts when a write past a buffer wrecked the heap: the interpreter's kernels
        # touch memory directly.
        hint = (
            " (the heap was corrupted: a kernel wrote out of bounds, usually a tl.store or "
            "tl.load without a mask on the last block)"
        )
    elif "SIGKILL" in how:
        hint = " (killed: often a memory limit, or the candidate killed itself)"
    elif "SIGXFSZ" in how:
        hint = " (the file-size limit: too much output written)"
    return Outcome(
        status=Status.crashed,
        message=f"The candidate crashed: {how}{hint}.",
        checks=[Check(name="ran to completion", passed=False, detail=how)],
        env=env,
        output=output,
    )


def timed_out(limit: float, output: str, env: dict) -> Outcome:
    return Outcome(
        status=Status.timeout,
        message=f"The candidate did not finish within {limit:g} s (an infinite loop in Python or "
        "in a kernel, or a deadlock); it and everything it started were killed.",
        checks=[Check(name="finished in time", passed=False, detail=f"limit {limit:g} s")],
        env=env,
        output=output,
    )


def forged(output: str, env: dict) -> Outcome:
    return Outcome(
        status=Status.rejected,
        message="Rejected: the candidate wrote a message into the checker's own channel "
        "(a forged verdict).",
        checks=[Check(name="verdict channel untouched", passed=False, detail="forged message")],
        env=env,
        output=output,
        details={"rule": "forged verdict"},
    )


def _interpreter_gap(err: dict, code: str) -> str | None:
    """The libdevice calls behind an interpreter failure, named, when they are its cause."""
    calls = sorted(set(re.findall(r"libdevice\.(\w+)", code)))
    text = err["message"] + err.get("traceback", "")[-2000:]
    if not calls or not ("libdevice" in text or "NoneType" in text):
        return None
    return ", ".join(f"libdevice.{c}" for c in calls)


def _error_outcome(
    err: dict, stage: str, output: str, env: dict, events: list[str], code: str
) -> Outcome:
    kind, etype, msg, line = err["kind"], err["type"], err["message"], err.get("line")
    where = f" at line {line}" if line else ""
    if line and err.get("function"):
        where += f" (in {err['function']})"
    lines = code.splitlines()
    source = lines[line - 1].strip() if line and 0 < line <= len(lines) else None
    if events:
        return _rejected(events, output, env)
    if kind == "exit":
        return Outcome(
            status=Status.runtime_error,
            message=f"The candidate called sys.exit() during {stage}{where}; exiting is not a result.",
            checks=[Check(name=stage, passed=False, detail="SystemExit")],
            env=env,
            output=output,
        )
    gap = _interpreter_gap(err, code) if env.get("interpreter") else None
    if gap:
        return Outcome(
            status=Status.runtime_error,
            message=f"Cannot check this on the CPU: Triton's interpreter does not implement {gap} "
            "(there it returns nothing, so the kernel fails). Use tl.* math instead, or check "
            "on a GPU.",
            checks=[Check(name="interpreter support", passed=False, detail=gap)],
            env=env,
            output=output,
            details={"interpreter_gap": gap},
        )
    compile_kinds = {"syntax", "import", "triton_compile"}
    interp_compile = kind == "triton_interpreter" and etype in {
        "ValueError",
        "TypeError",
        "AssertionError",
        "CompilationError",
        "AttributeError",
        "NotImplementedError",
        "NameError",
    }
    if kind in compile_kinds or interp_compile:
        status = Status.compile_error
        what = "does not compile" if stage != "import" else "failed to import"
    else:
        status = Status.runtime_error
        what = f"raised during {stage}"
    details: dict[str, Any] = {"error": {"type": etype, "line": line, "stage": stage}}
    if source:
        # The feedback's diagnosis takes the located line over what it reads in the traceback.
        details["compile"] = {"line": line, "function": err.get("function"), "source_line": source}
    return Outcome(
        status=status,
        message=f"The candidate {what}{where}: {etype}: {msg}".strip()
        + (f"\n    {source}" if source else ""),
        checks=[Check(name=stage, passed=False, detail=f"{etype}: {msg[:300]}")],
        env=env,
        output=output,
        details={**details, "traceback": err.get("traceback", "")},
    )


def _rejected(
    events: list[str], output: str, env: dict, checks: list[Check] | None = None
) -> Outcome:
    return Outcome(
        status=Status.rejected,
        message="Rejected: the candidate used "
        + "; ".join(events)
        + ". Kernels must compute in Triton, in forward, on the current stream.",
        checks=(checks or [])
        + [Check(name="runtime guards", passed=False, detail=e) for e in events],
        env=env,
        output=output,
        details={"rule": events[0]},
    )


def judge(
    info: ProblemInfo,
    job,
    reference: list[dict],
    result: WorkerResult,
    output: str,
    env: dict,
    measured: dict,
    logs: list[LaunchLog] | None = None,
    replayed: ReplayResult | None = None,
) -> Outcome:
    """``measured`` is the worker's reference message: notes, cost and baselines. ``logs`` are
    the trials' launch logs and ``replayed`` their replay: the values judged."""
    notes = measured.get("notes") or []
    env = {**env, "notes": notes} if notes else env
    events = list(result.guard_events)
    if result.error_kind == "no_model_new":
        return Outcome(
            status=Status.format_error,
            env=env,
            output=output,
            message="The module defines no class ModelNew.",
            checks=[Check(name="format", passed=False, detail="no ModelNew")],
        )
    if result.error:
        return _error_outcome(result.error, result.stage, output, env, events, job.code)
    if events:
        return _rejected(events, output, env)
    checks: list[Check] = []
    details: dict[str, Any] = {}

    def failed_outcome(status: Status) -> Outcome:
        return Outcome(
            status=status,
            message=_message(checks, details),
            checks=checks,
            env=env,
            output=output,
            details=details,
        )

    unlisted = _unprofiled(job, result, env)
    if unlisted:
        checks.append(Check(name="kernels that ran on the GPU", passed=False, detail=unlisted))
        details["rule"] = "kernel list"
        return failed_outcome(Status.rejected)
    if not result.trials:
        return Outcome(
            status=Status.runtime_error,
            message="the candidate did not run a trial",
            checks=checks,
            env=env,
            output=output,
        )
    for trial in result.trials:
        failed = _host_checks(job, trial, f"seed {trial.seed}", checks, details, env)
        if failed is not None:
            return failed_outcome(failed)
    # A timed job's last references are the timed calls' input sets, checked apart.
    trial_refs = _trial_refs(reference, job.timing_sets)
    moved = set(measured.get("state_moved") or ())
    failed = _replay_checks(
        info, job, result, trial_refs, logs or [], replayed, checks, details, moved
    )
    if failed is not None:
        return failed_outcome(failed)
    failed = _kernel_list_checks(job, result, logs or [], env, checks, details)
    if failed is not None:
        return failed_outcome(failed)
    candidate_stats = None
    if job.timing:
        timing = result.timing or {}
        candidate_stats = timing.get("stats")
        failed = _timing_checks(info, job, timing, reference[-job.timing_sets :], checks)
        if failed is not None:
            return Outcome(
                status=failed,
                message=_message(checks, details),
                checks=checks,
                env=env,
                output=output,
                details=details,
            )
    v = measure.verdict(
        measured["cost"], measured.get("baselines"), candidate_stats, env.get("device_name")
    )
    if v.problems:
        checks += [Check(name="trustworthy time", passed=False, detail=p) for p in v.problems]
        return Outcome(
            status=Status.rejected,
            message="Rejected: " + "; ".join(v.problems),
            checks=checks,
            env=env,
            output=output,
            timing=v.timing,
            roofline=v.roofline,
            details={"rule": v.problems[0].split(":")[0]},
        )
    return Outcome(
        status=Status.correct,
        message=f"Correct on {_counted(trial_refs)} at shape {job.shape}"
        + (
            f", and in {(result.timing or {}).get('calls', 0)} timed calls on "
            f"{job.timing_sets} input sets of their own."
            if job.timing
            else "."
        ),
        checks=checks,
        env=env,
        output=output,
        details=details,
        timing=v.timing,
        roofline=v.roofline,
    )


def _tol(info: ProblemInfo, ref) -> tuple[float, float]:
    dtype = str(ref.dtype).removeprefix("torch.") if isinstance(ref, torch.Tensor) else "float32"
    tol = info.tolerance(dtype)
    return tol.atol, tol.rtol


def _listed(ops: dict[str, int], launches: int) -> str:
    """The disallowed ops of one forward, as the message names them."""
    listed = ", ".join(f"aten.{k} x{v}" for k, v in sorted(ops.items()))
    if guards.python_loop(ops, launches):
        listed += (
            f" (over {guards.MAX_OPS_PER_FORWARD} ops, over {guards.MAX_OPS_PER_LAUNCH} per "
            "Triton launch: a Python loop over elements)"
        )
    return listed


def _unsupported(e: UnsupportedOutput) -> str:
    return (
        f"forward returned an object the checker does not load ({e}): return torch.Tensor "
        "outputs, as the reference does"
    )


def _lists_kernels(job, env: dict) -> bool:
    """The kernel list is checked on a GPU, outside the relaxed track (which allows torch ops)."""
    return str(env.get("device", "")).startswith("cuda") and not job.allow_torch_ops


def _unprofiled(job, result, env: dict) -> str | None:
    """On a GPU, why there is no list of what ran: no profile, or a profiler that failed (which
    a candidate could cause, so it refuses rather than waves through)."""
    if not _lists_kernels(job, env):
        return None
    if result.profile is None:
        return "the worker sent no profile of what ran on the GPU"
    error = result.profile.error
    return f"what ran on the GPU could not be listed: {error}" if error else None


def _kernel_list_checks(
    job, result, logs, env: dict, checks: list[Check], details
) -> Status | None:
    """On a GPU: what the profiler saw run must be the candidate's Triton kernels and the
    device work its launch logs account for (``kernel_list.py``)."""
    if not _lists_kernels(job, env):
        return None

    def fail(detail: str) -> Status:
        checks.append(Check(name="kernels that ran on the GPU", passed=False, detail=detail))
        details["rule"] = "kernel list"
        return Status.rejected

    profile = result.profile
    profiled = sorted(s.trial for s in profile.sessions if s.phase == "trial")
    if profiled != list(range(len(result.trials))):
        return fail(f"the trials profiled were {profiled}, not each of the {len(result.trials)}")
    if job.timing and not any(s.phase == "timed" for s in profile.sessions):
        return fail("the timed calls were not profiled")
    found = kernel_list.problems(profile, logs)
    if found:
        return fail(
            "; ".join(found[:5]) + (f" (and {len(found) - 5} more)" if len(found) > 5 else "")
        )
    checks.append(Check(name="kernels that ran on the GPU", passed=True))
    return None


def _timing_checks(info, job, timing: dict, refs: list[dict], checks: list[Check]) -> Status | None:
    """The timed calls: run on the timing sets' inputs, rotated call by call and traced like
    the trials; every call's sampled outputs and one whole output per set are checked against
    that set's reference (``timed_calls.py``)."""

    def fail(name: str, detail: str, status: Status) -> Status:
        checks.append(Check(name=name, passed=False, detail=detail))
        return status

    if not timing:
        return fail("timing runs completed", "the candidate was not timed", Status.runtime_error)
    if timing.get("launches", 0) == 0:
        return fail(
            "timing runs launched a Triton kernel",
            "a timed call launched no Triton kernel: work skipped once the trials were over",
            Status.rejected,
        )
    ops = guards.disallowed_ops(timing.get("torch_ops") or {}, timing.get("launches", 0))
    if ops and not job.allow_torch_ops:
        return fail(
            "no torch compute in the timing runs",
            f"the timed calls computed with PyTorch ops: {_listed(ops, timing['launches'])}. "
            "Every call must compute in Triton, not only the ones the trials check",
            Status.rejected,
        )
    keys = ("sets", "shapes", "samples", "final")
    try:
        payload = load_result(timing["file"], _device_of(refs), keys)
    except UnsupportedOutput as e:
        return fail("timing runs returned tensors", _unsupported(e), Status.incorrect)
    if not timing.get("plain"):
        return fail(
            "timing runs returned tensors",
            "a timed call returned something other than plain torch.Tensor outputs",
            Status.incorrect,
        )
    seeds = ", ".join(str(r["seed"]) for r in refs)
    name = f"outputs of the timing runs match (seeds {seeds})"
    final = payload["final"]
    wrong = None
    if sorted(e.get("set") for e in final) != list(range(len(refs))):
        wrong = "the timed calls did not end with one call on each input set"
    for entry in final if wrong is None else []:
        ref = refs[entry["set"]]["outputs"]
        outs = entry["outputs"]
        if len(outs) != len(ref) or not all(
            compare(o, r, *_tol(info, r)).ok for o, r in zip(outs, ref, strict=True)
        ):
            wrong = (
                f"a timed call on input set {entry['set'] + 1} returned a different result: "
                "work skipped or an earlier answer replayed across repeated calls"
            )
            break
    if wrong is None:
        wrong = timed_calls.check_samples(
            payload,
            [r["outputs"] for r in refs],
            lambda r: _tol(info, r),
            compare,
        )
        if wrong:
            wrong += ": a timed call computed something other than what the trials checked"
    checks.append(Check(name=name, passed=wrong is None, detail=wrong or ""))
    return None if wrong is None else Status.incorrect


def _host_checks(job, trial, tag, checks: list[Check], details, env: dict) -> Status | None:
    """What the candidate's own forward showed: early, specific messages for the model."""

    def fail(name: str, detail: str, status: Status) -> Status:
        checks.append(Check(name=f"{name} ({tag})", passed=False, detail=detail))
        return status

    if not trial.plain:
        return fail(
            "plain tensor output",
            "forward returned "
            + ", ".join(trial.output_types)
            + ": outputs must be plain torch.Tensor, not subclasses or lazy objects",
            Status.rejected,
        )
    expected = torch.device(env.get("device") or "cpu").type
    misplaced = [
        f"output {i} on {d}" for i, d in enumerate(trial.devices) if d not in (None, expected)
    ]
    if misplaced:
        return fail(
            "outputs on the problem's device",
            f"{', '.join(misplaced)}: outputs must be on {expected}, where the inputs are",
            Status.incorrect,
        )
    if trial.launches == 0:
        return fail(
            "launched a Triton kernel", "forward launched no Triton kernel", Status.rejected
        )
    ops = guards.disallowed_ops(trial.torch_ops, trial.launches)
    if ops and not job.allow_torch_ops:
        details["rule"] = "torch compute in forward"
        return fail(
            "no torch compute in forward",
            f"forward computed with PyTorch ops: {_listed(ops, trial.launches)}. Only allocation, "
            "view and layout ops are allowed; Triton kernels must do the compute (or use "
            "--allow-torch-ops)",
            Status.rejected,
        )
    return None


def log_refusal(logs: list[LaunchLog]) -> tuple[str, str, Status, str] | None:
    """What the launch logs themselves refuse, before anything is replayed: (check, detail,
    status, rule), or None."""
    for log in with_later(logs):
        if log.problem:
            return (
                "launch log recorded",
                f"forward did something its launch log cannot describe: {log.problem}",
                Status.rejected,
                "unreplayable forward",
            )
        # Counted again from the log, not only by the guard in the candidate's own process,
        # whose counters candidate code can reach: the replay would repeat every op it holds.
        ops = collections.Counter(s.name for s in log.steps if isinstance(s, HostOp))
        launches = sum(isinstance(s, Launch) for s in log.steps)
        if guards.python_loop(ops, launches):
            return (
                "host ops per launch",
                f"forward issued host ops {_listed(ops, launches)}",
                Status.rejected,
                "python loop over elements",
            )
    if len(launch_signature.records(logs, MAX_RECORDS + 1)) > MAX_RECORDS:
        # A launch the compiler never sees is a body no compiler vouched for.
        return (
            "launches compiled",
            f"forward launched kernels with more than {MAX_RECORDS} distinct signatures (kernel, "
            f"argument types, constexprs); only {MAX_RECORDS} are compiled for GPU targets, and "
            "every launch must be: make sizes runtime arguments, not constexprs",
            Status.rejected,
            "too many kernel signatures",
        )
    return None


def _replay_checks(
    info, job, result, trial_refs, logs, replayed, checks: list[Check], details, moved: set[str]
) -> Status | None:
    """The verdict's evidence: the launch logs, replayed where the candidate never ran.
    ``moved``: the state Model's own forward changes, which the candidate's may too."""

    def fail(name: str, detail: str, status: Status, rule: str | None = None) -> Status:
        checks.append(Check(name=name, passed=False, detail=detail))
        if rule:
            details["rule"] = rule
        return status

    if not logs:
        return fail("replayed", "forward's launches were not recorded", Status.runtime_error)
    refused = log_refusal(logs)
    if refused is not None:
        return fail(*refused)
    try:
        program = replay_program(logs)
    except ValueError as e:
        return fail("host values explained", str(e), Status.rejected, "data passed by host")
    if program:
        details["replay"] = (
            f"host code read tensor data back: {len(program)} values it passed into launches "
            "were re-derived by the replay from its own reads"
        )
    plan = replay_plan(logs, [(r["seed"], r.get("regime")) for r in trial_refs])
    if replayed is None or (
        [(k, s) for k, s, _ in plan] != [(r.log, r.seed) for r in replayed.replays]
        and not replayed.error
    ):
        return fail("replayed", "the replay did not cover the seeds", Status.runtime_error)
    if replayed.error:
        return fail(
            "kernels replayed",
            f"the kernels cannot be replayed from the source alone: {replayed.error}",
            Status.compile_error,
        )
    # An access outside every buffer comes first: on a GPU it is a fault, and on the CPU the
    # values it read are garbage whatever the outputs say. A race or a false hint likewise: on a
    # GPU the values differ from the ones this replay computed, whatever they are here.
    first = next(r for r in trial_refs if r["seed"] == plan[0][1])
    judged = [
        (seed, regime, rep) for (_, seed, regime), rep in zip(plan, replayed.replays, strict=True)
    ]
    judged += [(first["seed"], first.get("regime"), rep) for rep in replayed.extras]
    for seed, regime, rep in judged:
        tag = _tag(info, seed, regime, _extra(rep))
        if rep.out_of_bounds:
            details["mismatch"] = {
                "pattern": "out_of_bounds",
                "diagnosis": DIAGNOSES["out_of_bounds"],
            }
            return fail(f"memory in bounds ({tag})", rep.out_of_bounds.message(), Status.incorrect)
        if rep.race:
            who = "threads" if isinstance(rep.race, LaneRace) else "programs"
            return fail(f"{who} race-free ({tag})", rep.race.message(), Status.incorrect)
        if rep.false_hint:
            return fail(f"hints hold ({tag})", rep.false_hint.message(), Status.incorrect)
        if rep.undefined:
            return fail(f"results defined ({tag})", rep.undefined.message(), Status.incorrect)

    def replayed_outputs(rep: ReplayReport, ref: dict, tag: str) -> list | Status:
        """What the replay computed, once what it did besides is found lawful."""
        if rep.error:
            status = Status.runtime_error if rep.launch_failed else Status.rejected
            return fail(
                f"replay ({tag})", f"the replay of forward's launches failed: {rep.error}", status
            )
        if rep.mutated:
            return fail(
                f"inputs unchanged ({tag})",
                f"forward modified input {rep.mutated[0]} in place",
                Status.incorrect,
            )
        checks.append(Check(name=f"inputs unchanged ({tag})", passed=True))
        written = [name for name in rep.state_mutated if name not in moved]
        if written:
            return fail(
                f"state unchanged ({tag})",
                f"forward wrote Model state {written[0]} in place, which Model's own forward "
                "leaves as it is: each call would then compute with other weights",
                Status.incorrect,
            )
        if not job.allow_torch_ops:
            log = logs[rep.log] if rep.later is None else logs[rep.log].later[rep.later]
            # A later call may return a buffer an earlier one made (a reused output): its
            # replay poisons it, so the values alone say whether a kernel wrote it.
            written = output_problems(log) if rep.later is None else []
            for name, problems, rule in (
                ("outputs written by kernels", written, "output not written by a kernel"),
                ("data moved by kernels", host_reorders(log), "data reordered by the host"),
            ):
                if problems:
                    return fail(f"{name} ({tag})", problems[0], Status.rejected, rule)
        outs = load_result(rep.file, _device_of([ref]), ("outputs",))["outputs"]
        laid_out = [
            why for o, r in zip(outs, ref["outputs"], strict=False) if (why := misplaced(o, r))
        ]
        if laid_out:
            return fail(f"output layout ({tag})", laid_out[0], Status.incorrect)
        return outs

    trials = {t.seed: t for t in result.trials}
    replays = {r.seed: r for r in replayed.replays}
    for n, ref in enumerate(trial_refs):
        tag = _tag(info, ref["seed"], ref.get("regime"))
        rep, trial = replays.get(ref["seed"]), trials.get(ref["seed"])
        if rep is None:
            # The seed the first log was recorded on: the candidate's own answer, compared too.
            try:
                outs = load_result(trial.file, _device_of([ref]), ("outputs",))["outputs"]
            except UnsupportedOutput as e:
                return fail(f"outputs are tensors ({tag})", _unsupported(e), Status.incorrect)
            failed = _outputs_match(info, job, outs, ref, trial_refs[:n], tag, checks, details)
            if failed is not None:
                return failed
            continue
        outs = replayed_outputs(rep, ref, tag)
        if isinstance(outs, Status):
            return outs
        failed = None
        if trial is not None and len(outs) == len(ref["outputs"]):
            failed = _agreement(info, trial, outs, trial_refs[:n], ref, tag, checks, details)
            own = next((i for i, t in enumerate(result.trials) if t is trial), None)
            if failed is not None and own and own < len(logs):
                if note := _other_config(logs[0], logs[own]):
                    checks[-1].detail += f" ({note})"
        if failed is None:
            failed = _outputs_match(info, job, outs, ref, trial_refs[:n], tag, checks, details)
        if failed is not None:
            # What this replay did differently (a poisoned state, programs in reverse order).
            if rep.notes:
                checks[-1].detail += " (" + "; ".join(rep.notes[:3]) + ")"
            return failed
    earlier = trial_refs[: trial_refs.index(first)]
    for rep in replayed.extras:
        tag = _tag(info, first["seed"], first.get("regime"), _extra(rep))
        outs = replayed_outputs(rep, first, tag)
        if isinstance(outs, Status):
            return outs
        failed = _outputs_match(info, job, outs, first, earlier, tag, checks, details)
        if failed is not None:
            checks[-1].detail += (
                " (a GPU's autotuner may pick this config: every config of the list must be "
                "correct)"
                if rep.config
                else " (forward's later call on the same inputs, logged dry in a copy of the "
                "process and replayed: every call must compute from its own inputs, as a GPU's "
                "timed calls check)"
            )
            return failed
    return None


def _outputs_match(info, job, outs, ref, earlier, tag, checks, details) -> Status | None:
    refs = ref["outputs"]
    if len(outs) != len(refs):
        checks.append(
            Check(
                name=f"output count ({tag})",
                passed=False,
                detail=f"forward returned {len(outs)} outputs, expected {len(refs)}",
            )
        )
        return Status.incorrect
    refs64 = ref.get("outputs64") or [None] * len(refs)
    for i, (o, r, r64) in enumerate(zip(outs, refs, refs64, strict=True)):
        atol, rtol = _tol(info, r)
        own_rms = 0.0
        if ref.get("regime") and earlier:
            atol = _regime_atol(atol, r, earlier[0]["outputs"][i])
            worst, own_rms = reference_error(r, r64)
            atol = max(atol, OWN_ERROR_FACTOR * worst)
        cmp = compare(o, r, atol, rtol, own_rms)
        name = f"output {i} matches" if len(refs) > 1 else "output matches"
        if not cmp.ok:
            cmp.detail += _why_wrong(o, r, earlier, i, atol, rtol)
        checks.append(Check(name=f"{name} ({tag})", passed=cmp.ok, detail=cmp.detail))
        if not cmp.ok:
            details["mismatch"] = _diagnose(o, r, atol, rtol, i, job.code)
            return Status.incorrect
        prec = precision(o, r, r64, reduction_length(ref["inputs"], r))
        checks.append(
            Check(
                name=f"output {i} precision vs float64 ({tag})", passed=prec.ok, detail=prec.detail
            )
        )
        if not prec.ok:
            details["mismatch"] = {"output": i, "pattern": "precision", **prec.mismatch}
            return Status.incorrect
    return None


def _regime_atol(atol: float, ref: Any, plain: Any) -> float:
    """A stress trial's absolute tolerance: the declared one times how much larger its
    reference is than a plain trial's (rms), so outputs scaled down to 1e-3 are not all within
    atol of zero; never below what the dtype resolves there (its subnormal spacing, 4x)."""
    if not (
        isinstance(ref, torch.Tensor)
        and isinstance(plain, torch.Tensor)
        and ref.is_floating_point()
        and plain.is_floating_point()
    ):
        return atol
    info = torch.finfo(ref.dtype)

    def rms(t: torch.Tensor) -> float:
        t = t.detach().double()
        t = t[torch.isfinite(t)]
        return t.pow(2).mean().sqrt().item() if t.numel() else 0.0

    a, b = rms(ref), rms(plain)
    scale = a / b if a > 0 and b > 0 else 1.0
    return max(atol * scale, 4 * info.tiny * info.eps)


def _agreement(info, trial, replayed: list, earlier, ref, tag, checks, details) -> Status | None:
    """The candidate's own outputs must be what its launches compute: a forward that returns
    something else (a cached answer, work on another stream) is named here."""
    try:
        got = load_result(trial.file, _device_of([ref]), ("outputs", "snapshot"))
    except UnsupportedOutput as e:
        checks.append(
            Check(name=f"outputs are tensors ({tag})", passed=False, detail=_unsupported(e))
        )
        return Status.incorrect
    outs = got["outputs"]
    if got["snapshot"] is not None and not all(
        bitwise_equal(a, b) for a, b in zip(got["snapshot"], outs, strict=False)
    ):
        details["rule"] = "work after forward returned"
        checks.append(
            Check(
                name=f"finished on the current stream ({tag})",
                passed=False,
                detail="outputs changed after forward returned: work on another stream",
            )
        )
        return Status.rejected
    for i, (o, r) in enumerate(zip(outs, replayed, strict=False)):
        atol, rtol = _tol(info, r)
        cmp = compare(o, r, atol, rtol)
        if not cmp.ok or len(outs) != len(replayed):
            why = (
                _why_wrong(o, ref["outputs"][i], earlier, i, atol, rtol)
                if cmp.ok is False and i < len(ref["outputs"])
                else ""
            )
            detail = (
                f"forward's own output {i} is not what its launches compute on these inputs "
                f"({cmp.detail}){why}"
            )
            checks.append(
                Check(name=f"output agrees with its launches ({tag})", passed=False, detail=detail)
            )
            return Status.incorrect
    return None


def _other_config(first: LaunchLog, other: LaunchLog) -> str | None:
    """Where a host trial launched a kernel with other constexprs or options than the log the
    replay runs (the autotuner gives each host trial another config), said for the candidate."""
    for a, b in zip(first.launches, other.launches, strict=False):
        if a.kernel != b.kernel:
            return None
        moved = sorted(
            k
            for k in {*a.constexprs, *a.options, *b.options}
            if a.params.get(k, a.options.get(k)) != b.params.get(k, b.options.get(k))
        )
        if moved:
            said = ", ".join(
                f"{k}={getattr(b.params.get(k, b.options.get(k)), 'value', None)}" for k in moved
            )
            return (
                f"this trial ran kernel {b.kernel} with {said}, another of its autotune configs "
                "than the replayed log's: every config must compute the same outputs, as a GPU's "
                "autotuner may pick any of them"
            )
    return None


def _why_wrong(out, ref, earlier: list[dict], index: int, atol: float, rtol: float) -> str:
    """Name the tricks that leave a recognisable trace in a wrong output."""
    if not comparable(out, ref):
        return ""
    if out.is_floating_point() and out.numel():
        o = out.detach().double()
        scale = ref.detach().double().abs().nan_to_num(posinf=0, neginf=0).max().item() + 1.0
        stray_nan = torch.isnan(o) & ~torch.isnan(ref.detach().double())
        if (
            bool(stray_nan.any())
            or o.abs().nan_to_num(posinf=0, neginf=0).max().item() > 1e6 * scale
        ):
            return (
                " -- it looks like uninitialised memory: the output was never written "
                "(freed memory is poisoned with NaN before the candidate runs, so a freed "
                "reference can never be returned)"
            )
    for k, ref in enumerate(earlier):
        r = ref["outputs"][index]
        if isinstance(r, torch.Tensor) and compare(out, r, atol, rtol).ok:
            return (
                f" -- it equals the reference of an earlier trial (#{k + 1}): a result "
                "cached across calls; every trial has fresh inputs"
            )
    return ""


def _diagnose(out, ref, atol: float, rtol: float, index: int, code: str) -> dict[str, Any]:
    from kernelwright.prompts.feedback import diagnose_mismatch

    if not comparable(out, ref):
        return {"output": index}
    return {"output": index, **diagnose_mismatch(out.cpu(), ref.cpu(), atol, rtol, code)}


def _message(checks: list[Check], details: dict) -> str:
    failed = [c for c in checks if not c.passed]
    first = failed[0] if failed else None
    text = f"{first.name}: {first.detail}" if first else "failed"
    diagnosis = details.get("mismatch", {}).get("diagnosis")
    return text + (f" Diagnosis: {diagnosis}" if diagnosis else "")
