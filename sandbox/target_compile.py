"""The parent's side of the ahead-of-time compile: start it early, cache it, judge by it.

Each pool slot has a compile zygote (``aot.py``), started through the pool's isolation backend
with the slot's first job, so loading Triton's backends overlaps that job's trials; when a
worker's result comes, the launch records it lists go to the zygote, which compiles them in a
child forked for the check, except those whose reports are already cached (by Triton version, the extracted kernel source, the launch record
and the target). A kernel that compiles for none of the targets makes the check a
``compile_error``: its body is not Triton (it only runs under the interpreter).
"""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kernelwright.hardware import (
    DEFAULT_TARGETS,
    TARGETS,
    TargetSpec,
    cache_root,
    write_json_atomic,
)
from kernelwright.outcome import Check, KernelCompile, Outcome, Status, TargetReport
from kernelwright.sandbox import kernel_source, static_values
from kernelwright.sandbox.backends import Backend, Limits, WorkerDied, WorkerSpec
from kernelwright.sandbox.lane_races import Unsettled

START_TIMEOUT_S = 120.0
# The longest one kernel may take to compile for one target. A kernel not compiled by then for
# any target is not known to be Triton, and a check it passed is not `correct` (``attach``).
KERNEL_TIMEOUT_S = 120.0
TOTAL_TIMEOUT_S = 600.0  # for all of one check's kernels and targets


@dataclass
class CompilerSpec(WorkerSpec):
    """A worker spec that starts the compile process instead of a worker."""

    targets: tuple[str, ...] = ()

    @property
    def argv(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "kernelwright.sandbox.aot",
            str(self.scratch),
            ",".join(self.targets),
        ]


@functools.cache
def _triton_version() -> str:
    """Read once per process (importlib.metadata reads the installed packages' records: a few
    milliseconds, three times a check)."""
    from importlib.metadata import version

    return version("triton")


# Bumped whenever what a report holds, or how it is read off the binary, changes.
# 19: tuple arguments compiled leaf by leaf (constexpr tuples too), host tensor descriptors as
# Triton types them; 18: the scalar loads that reach the lanes, the pointers read as numbers, a
# loop's iterator keyed outside its own unrolled trips; 11: `not` of a scalar left free; 10: a
# tensor noted by its type; 9: every value noted; 7: as on the target chip
REPORT_VERSION = 20


def cache_key(extracted_text: str, record: dict, target: TargetSpec, reported: bool) -> str:
    """Where a compile's report is cached; one that went only through the front end (evidence,
    unreported) is kept apart from the whole compile's."""
    blob = json.dumps(
        [REPORT_VERSION, _triton_version(), extracted_text, record, target.key, reported],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def _cache_path(key: str) -> Path:
    return cache_root() / "aot" / key[:2] / f"{key}.json"


def _cached(key: str) -> KernelCompile | None:
    try:
        return KernelCompile.model_validate_json(_cache_path(key).read_text())
    except (OSError, ValueError):
        return None


class Compiler:
    """One pool slot's compile zygote (``aot.py``): started once through the isolation backend,
    so its Triton backends load while the slot's first trials run; each check is compiled in a
    child it forks. A zygote that hangs or misbehaves is killed and started again next time."""

    def __init__(
        self,
        backend: Backend,
        scratch: Path,
        env: dict[str, str],
        limits: Limits,
        read_only: tuple[Path, ...],
    ):
        self.handle = None
        self.ready = False
        self.start_error: str | None = None
        self._queue: list[Pending] = []  # sent, answers not read yet, in the order sent
        scratch.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in env.items() if k != "TRITON_INTERPRET"}
        env["CUDA_VISIBLE_DEVICES"] = ""  # compiling needs no GPU; keep the real one free
        self.spec = CompilerSpec(
            device="cpu",
            scratch=scratch,
            env=env,
            limits=limits,
            read_only=read_only,
            targets=DEFAULT_TARGETS,
        )
        self.backend = backend
        self.start()

    def start(self) -> None:
        if self.handle is not None:
            return
        self.ready = False
        try:
            self.handle = self.backend.start(self.spec)
        except Exception as e:  # a backend that cannot start it: checks go on without
            self.start_error = f"{type(e).__name__}: {e}"

    def close(self) -> None:
        if self.handle is not None:
            self.handle.kill()
            self.handle = None
        self._queue.clear()  # their answers went with the process

    def submit(
        self, targets: list[TargetSpec], code: str, launches: list[dict[str, Any]]
    ) -> Pending:
        """Ask for the report per target on these launch records, without waiting: only the
        cache's misses are sent, and they compile while the caller goes on (the replay, the
        judge); ``collect`` has the answer. With no targets asked for (``--targets none``) the
        kernels still compile for the first default target, unreported: the verdict's evidence
        that they are Triton never depends on which report was asked for."""
        good = [r for r in launches if "error" not in r]
        extracted = kernel_source.extracted(code).text if good else ""
        pending = Pending(
            targets=targets or [TARGETS[DEFAULT_TARGETS[0]]],
            launches=launches,
            extracted=extracted,
            good=good,
            reported=bool(targets),
        )
        targets = pending.targets
        for t in targets:
            row = []
            for i, r in enumerate(good):
                hit = _cached(cache_key(extracted, r, t, pending.reported))
                row.append(hit)
                if hit is not None:
                    continue
                # A record an earlier request of the same source is compiling (the first
                # trial's, another shape's) is not compiled twice.
                earlier = next(
                    (q for q in self._queue if q.compiles(extracted, r, t, pending.reported)), None
                )
                if earlier is not None:
                    pending.borrowed[(t.key, i)] = (earlier, earlier.good.index(r))
                elif r not in pending.missing:
                    pending.missing.append(r)
            pending.results[t.key] = row
        if pending.missing:
            pending.started = time.monotonic()
            self._send(pending, code)
        return pending

    def collect(self, pending: Pending) -> list[TargetReport]:
        """The report per target for a ``submit``: what the compiler answered, and the cache's.
        Requests are answered in the order they were sent: the ones sent before this one are
        read first (their reports are kept for whoever collects them)."""
        if pending.reports is None:
            while pending in self._queue and self._queue[0] is not pending:
                self.collect(self._queue[0])
            pending.reports = self._collect(pending)
        return pending.reports

    def _collect(self, pending: Pending) -> list[TargetReport]:
        targets, good, results = pending.targets, pending.good, pending.results
        seconds = 0.0
        if pending.missing:
            compiled, error, infra = self._receive(pending)
            seconds = time.monotonic() - pending.started
            if infra:
                return [
                    TargetReport(target=t.key, arch=t.arch_name, compiled=False, error=error)
                    for t in targets
                ]
            for t in targets:
                for i, r in enumerate(good):
                    if results[t.key][i] is not None or (t.key, i) in pending.borrowed:
                        continue
                    report = compiled.get((t.key, pending.missing.index(r)))
                    if report is None:
                        report = KernelCompile(
                            kernel=r["kernel"], compiled=False, finished=False, error=error
                        )
                    else:
                        key = cache_key(pending.extracted, r, t, pending.reported)
                        write_json_atomic(_cache_path(key), report.model_dump())
                    results[t.key][i] = report
        for (key, i), (earlier, j) in pending.borrowed.items():
            self.collect(earlier)
            report = earlier.results[key][j]
            if report is None:  # the earlier request never got its answer
                report = KernelCompile(
                    kernel=good[i]["kernel"],
                    compiled=False,
                    finished=False,
                    error=earlier.error or "the compile process did not answer",
                )
            results[key][i] = report
        unrecorded = [
            KernelCompile(
                kernel=r["kernel"],
                compiled=False,
                error=f"its launch could not be recorded: {r['error']}",
            )
            for r in pending.launches
            if "error" in r
        ]
        reports = []
        for t in targets:
            kernels = [k for k in results[t.key] if k is not None] + unrecorded
            reports.append(
                TargetReport(
                    target=t.key,
                    arch=t.arch_name,
                    compiled=all(k.compiled and k.fits for k in kernels),
                    kernels=kernels,
                    cached=not pending.missing and not pending.borrowed,
                    seconds=seconds / max(1, len(targets)),
                )
            )
        return reports

    def _send(self, pending: Pending, code: str) -> None:
        """The request for the cache's misses, written now; the compile process reads it once
        it is ready (requests queue in its pipe)."""
        self.start()
        if self.handle is None:
            pending.error = f"the compile process did not start ({self.start_error})"
            pending.infra = True
            return
        try:
            self.handle.send(
                {
                    "type": "compile",
                    "nonce": pending.nonce,
                    "source": code,
                    "extracted": kernel_source.extracted(code).dump(),
                    "launches": pending.missing,
                    "targets": [t.key for t in pending.targets],
                    "front_end": not pending.reported,
                }
            )
            pending.handle = self.handle
            self._queue.append(pending)
        except WorkerDied as e:
            pending.error = f"the compiler crashed ({e})"
            self.close()

    def _receive(
        self, pending: Pending
    ) -> tuple[dict[tuple[str, int], KernelCompile], str | None, bool]:
        """(reports by target and record index, as far as the compiler got; why it stopped
        short; whether that was the machinery's fault rather than the kernels')."""
        if pending.error is not None:
            return {}, pending.error, pending.infra
        if pending not in self._queue or pending.handle is not self.handle:
            pending.error = "the compile process was restarted before it answered"
            return {}, pending.error, True
        self._queue.remove(pending)
        got, error, infra = self._answers(pending.nonce)
        if error is not None:
            pending.error = error
            self.close()  # whatever it left running goes with it; the next check starts afresh
        return got, error, infra

    def _answers(self, nonce: str) -> tuple[dict[tuple[str, int], KernelCompile], str | None, bool]:
        got: dict[tuple[str, int], KernelCompile] = {}
        try:
            if not self.ready:
                ready = self.handle.recv(START_TIMEOUT_S)
                if not ready or ready.get("type") != "ready":
                    return got, "the compile process did not start in time", True
                self.ready = True
            deadline = time.monotonic() + TOTAL_TIMEOUT_S
            while True:
                left = deadline - time.monotonic()
                msg = self.handle.recv(max(0.0, min(KERNEL_TIMEOUT_S, left)))
                if msg is None:
                    limit = KERNEL_TIMEOUT_S if left > KERNEL_TIMEOUT_S else TOTAL_TIMEOUT_S
                    return got, f"the compiler did not finish within {limit:.0f} s", False
                if msg.get("nonce") != nonce:
                    return got, "the compile process answered out of turn", False
                if msg.get("type") == "done":
                    return got, None, False
                got[(msg["target"], msg["index"])] = KernelCompile.model_validate(msg["report"])
        except WorkerDied as e:
            return got, f"the compiler crashed ({e})", False
        except (KeyError, ValueError) as e:
            return got, f"the compile process answered out of turn ({type(e).__name__})", False


@dataclass
class Pending:
    """A ``Compiler.submit`` not yet collected: the cache's hits, and the misses sent."""

    targets: list[TargetSpec]
    launches: list[dict[str, Any]]
    extracted: str
    good: list[dict[str, Any]]
    results: dict[str, list[KernelCompile | None]] = field(default_factory=dict)
    missing: list[dict[str, Any]] = field(default_factory=list)
    nonce: str = field(default_factory=lambda: secrets.token_hex(16))
    started: float = 0.0
    reported: bool = True  # False: compiled as evidence only (no target was asked for)
    # (target key, index in good) -> (an earlier Pending compiling that record, its index there)
    borrowed: dict[tuple[str, int], tuple[Pending, int]] = field(default_factory=dict)
    handle: Any = None  # the compile process it was sent to
    reports: list[TargetReport] | None = None  # once collected
    error: str | None = None  # the request could not be sent
    infra: bool = False  # ... through the machinery's fault (no compile process)

    def compiles(
        self, extracted: str, record: dict[str, Any], target: TargetSpec, reported: bool
    ) -> bool:
        """Whether this request compiles the record for the target, as far as ``reported``
        asks (sent, not yet answered)."""
        return (
            self.reported == reported
            and self.extracted == extracted
            and record in self.missing
            and any(t.key == target.key for t in self.targets)
        )


def nowhere(reports: list[TargetReport]) -> list[KernelCompile]:
    """Kernels that compile for none of the targets (one report each, the first target's)."""
    reports = [r for r in reports if r.error is None]
    if not reports:
        return []
    first = reports[0].kernels
    return [
        k
        for i, k in enumerate(first)
        if not k.compiled
        and k.error
        and all(
            i < len(r.kernels) and not r.kernels[i].compiled and r.kernels[i].finished
            for r in reports
        )
    ]


def unsettled(reports: list[TargetReport]) -> str | None:
    """Why some launched kernel's compile finished for no target (the compile process could
    not run, ran out of time, crashed), or None when every kernel's is settled."""
    ran = [r for r in reports if r.error is None]
    if not ran:
        return reports[0].error if reports else None
    for i, k in enumerate(ran[0].kernels):
        if not any(i < len(r.kernels) and r.kernels[i].finished for r in ran):
            return f"kernel {k.kernel}: {k.error or 'the compiler did not answer'}"
    return None


def _without_statics(report: TargetReport) -> TargetReport:
    kernels = [
        k.model_copy(
            update={
                "statics": None,
                "handed_over": None,
                "spread": None,
                "returned": None,
                "addresses": None,
            }
        )
        for k in report.kernels
    ]
    return report.model_copy(update={"kernels": kernels})


def folded(probed: dict | None, pending: Pending, reports: list[TargetReport]) -> str | None:
    """Where the interpreter computed a value otherwise than the compiler fixed it while it
    compiled the kernels for the first target (``static_values``), said for the candidate."""
    if not probed or not reports:
        return None
    compiled = {
        json.dumps(record, sort_keys=True, default=str): static_values.Statics.load(k.statics)
        for record, k in zip(pending.good, reports[0].kernels, strict=False)
        if k.statics is not None
    }
    return static_values.disagreement(probed, compiled)


def unordered(
    unsettled: list[Unsettled], pending: Pending, reports: list[TargetReport]
) -> str | None:
    """A race between the threads of a program that the compiled kernel (first target) leaves
    standing (``lane_races.py``): one that only a scalar atomic would order, where the kernel
    uses none of those atomics' results, so puts no barrier there; one between thread 0's store
    to a scalar and every thread's load of it, where the loaded value reaches the lanes; two
    atomics of different lanes at one address, where the kernel uses either's result. None
    when the compile settles each. Each is settled by the compile of the launch it was seen in
    (one specialisation may use a result another drops), or, for a launch not compiled, by
    what every compiled launch of its kernel does."""
    if not unsettled or not reports:
        return None
    by_record: dict[str, tuple[set[int], ...]] = {}
    by_kernel: dict[str, tuple[set[int], ...]] = {}
    for record, k in zip(pending.good, reports[0].kernels, strict=False):
        passed, spread, used = set(k.handed_over or ()), set(k.spread or ()), set(k.returned or ())
        by_record[json.dumps(record, sort_keys=True, default=str)] = passed, spread, used
        name = record["kernel"]
        if name in by_kernel:
            was = by_kernel[name]
            passed, spread, used = was[0] & passed, was[1] | spread, was[2] | used
        by_kernel[name] = passed, spread, used
    for h in unsettled:
        compiled = by_record.get(h.record) or by_kernel.get(h.race.kernel)
        # No compile to tell: every atomic's result counts as used.
        passed, spread, used = compiled or (set(), set(), {-1})
        reaches = h.read is None or h.read < 0 or h.read in spread or -1 in spread
        returns = not h.results or -1 in used or bool(used & set(h.results))
        if reaches and returns and not passed & set(h.lines):
            return h.message()
    return None


def _address_read(reports: list[TargetReport]) -> str | None:
    """A kernel that reads a pointer as a number (``ttir.addresses``), said for the
    candidate; None when none does."""
    for report in reports:
        for k in report.kernels:
            if k.addresses:
                lines = [str(n) for n in k.addresses if n >= 0]
                at = f"line{'s' * (len(lines) > 1)} {', '.join(lines)}" if lines else "a line"
                return (
                    f"Kernel {k.kernel} reads a pointer as a number ({at}): its result "
                    "would then depend on where memory lies, which differs between this "
                    "machine (64-byte aligned allocations) and a GPU (512-byte aligned blocks), "
                    "so no check here tells what it computes there. Use offsets from the "
                    "pointers you are given (tl.multiple_of for alignment hints), never their "
                    "values."
                )
    return None


def attach(
    outcome: Outcome,
    reports: list[TargetReport],
    reported: bool = True,
    folded: str | None = None,
    unordered: str | None = None,
) -> Outcome:
    """The report goes into the Outcome (unless it was compiled as evidence only); a kernel
    that compiles nowhere turns a correct or incorrect verdict into compile_error (its body is
    not Triton), and so does a value the compiler fixed otherwise than the interpreter
    computed it (``folded``: what ran is not what compiles). `correct` needs every kernel's
    compile settled: a kernel whose compile did not finish is not known to be Triton (a decoy
    slow to compile, queued ahead of it, would otherwise keep a body only the interpreter runs
    from ever being compiled)."""
    outcome.targets = [_without_statics(r) for r in reports] if reported else []
    failed = nowhere(reports)
    why = unsettled(reports)
    if not failed and why and outcome.status == Status.correct:
        outcome.status = Status.timeout if "did not finish" in why else Status.crashed
        outcome.message = (
            f"Every kernel passed on the interpreter, but not every kernel's compile for the GPU "
            f"targets finished ({why}). A verdict of correct rests on each launched kernel "
            "compiling for a GPU target (the interpreter runs bodies no GPU compiler accepts), "
            f"so none is given; a compile has {KERNEL_TIMEOUT_S:.0f} s per kernel and target."
        )
        outcome.checks.append(Check(name="compiles for a GPU target", passed=False, detail=why))
        return outcome
    if outcome.status not in (Status.correct, Status.incorrect):
        return outcome
    if not failed:
        if read := _address_read(reports):
            outcome.status = Status.rejected
            outcome.message = read
            outcome.checks.append(Check(name="reads no address", passed=False, detail=read))
            outcome.details["rule"] = "pointer read as a number"
        elif unordered and outcome.status == Status.correct:
            outcome.status = Status.incorrect
            outcome.message = unordered
            outcome.checks.append(Check(name="threads race-free", passed=False, detail=unordered))
        elif folded:
            outcome.status = Status.compile_error
            outcome.message = folded
            outcome.checks.append(
                Check(name="compiled as interpreted", passed=False, detail=folded)
            )
            outcome.details["rule"] = "folded otherwise"
        return outcome
    k = failed[0]
    where = f" at line {k.error_line}" if k.error_line else ""
    archs = ", ".join(r.arch for r in reports)
    first_line = k.error.strip().splitlines()[-1] if k.error else ""
    outcome.status = Status.compile_error
    outcome.message = (
        f"Kernel {k.kernel} does not compile for any GPU target ({archs}){where}: "
        f"{first_line}. It ran only under Triton's CPU interpreter, which runs Python that "
        "no GPU compiler accepts."
    )
    outcome.checks.append(
        Check(name="compiles for a GPU target", passed=False, detail=k.error or "")
    )
    outcome.details["compile"] = {"kernel": k.kernel, "line": k.error_line, "error": k.error}
    return outcome
