"""The warm worker pool: one zygote per device, each candidate in a fresh fork of it.

A pool owns its slots and its scratch folder. Each slot holds a zygote (``zygote.py``), a
warm process in the sandbox that never runs candidate code; ``evaluate`` is thread-safe:
each call takes an idle slot, has its zygote fork a child for the candidate, runs the
protocol of ``worker.py`` with it and turns what it measured into an ``Outcome``
(``judge.py``). A hang, a crash or a poisoned CUDA context costs that child, never the
pool: the next candidate gets a fresh one, and a zygote that died is restarted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import queue
import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import kernelwright
from kernelwright.hardware import resolve_targets
from kernelwright.outcome import Outcome
from kernelwright.problem import ProblemError, even_shape_missing, has_tiles_shape, read_problem
from kernelwright.regimes import active
from kernelwright.sandbox import judge, kernel_source, launch_signature, target_compile, traffic
from kernelwright.sandbox.backends import Backend, Limits, WorkerDied, WorkerHandle, WorkerSpec
from kernelwright.sandbox.timed_calls import INPUT_SETS
from kernelwright.sandbox.worker import HOST_TRIALS

# Making inputs and running the reference is the problem's cost, not the candidate's.
REFERENCE_TIMEOUT_S = 600.0
WORKER_START_TIMEOUT_S = 300.0
# A killed child is gone within milliseconds; one that is not is stuck in the kernel (a GPU
# driver call), and its zygote is replaced.
CHILD_EXIT_TIMEOUT_S = 30.0


class ChildDied(Exception):
    """A zygote's child ended before its last message; ``str()`` says how."""


@dataclass
class Job:
    problem: Path
    code: str
    shape: str | None = None
    timeout_s: float = 60.0
    timing: bool = False
    allow_torch_ops: bool = False
    seeds: list[int] = field(default_factory=lambda: [secrets.randbelow(2**31) for _ in range(3)])
    # The timed calls run on input sets of their own, made from this seed and seeds derived
    # from it after the trials: a candidate that replays an earlier trial's answer once the
    # trials are over is caught.
    timing_seed: int = field(default_factory=lambda: secrets.randbelow(2**31))
    init_seed: int = 0
    # Compile targets (kernelwright.hardware.resolve_targets): None for the default.
    targets: str | None = None

    def trials(self, info) -> list[tuple[int, str | None]]:
        """Every trial as (seed, stress regime): the plain seeds, one trial per regime the
        problem runs, then the timing seed (plain) when this job is timed. The held-out shape
        runs the regimes too (its stretched sizes reach code no declared set runs, such as a
        wide row's tiled path), on the two plain seeds the candidate's host runs (HOST_TRIALS):
        on the CPU each trial costs an interpreter run, and a third plain seed there adds less
        than the regimes do."""
        if self.shape in ("tiles", "even"):
            # The many-tiles shape is there for the tile order and index arithmetic, the
            # divisible one for the fast path a size that divides the block takes: any one
            # input shows either, so one plain seed, no regimes.
            plan: list[tuple[int, str | None]] = [(self.seeds[0], None)]
        else:
            seeds = self.seeds[:HOST_TRIALS] if self.shape == "heldout" else self.seeds
            plan = [(s, None) for s in seeds]
            regimes = active(info.meta.regimes)
            plan += [(derived_seed(self.seeds, f"regime:{r}"), r) for r in regimes]
            # The second trial the candidate's host runs is a stress regime's: host code that
            # decides on the data by means no launch log shows (a tensor's printed text) meets
            # magnitudes the plain seeds never reach, and its own outputs there must agree with
            # the replay of the first trial's log. One large regime per shape set, another at
            # the held-out shape.
            hosted = next((r for r in _HOSTED.get(self.shape, ()) if r in regimes), None)
            if hosted is not None and len(seeds) > 1:
                moved = plan.pop(len(seeds) + regimes.index(hosted))
                plan.insert(1, moved)
        return [*plan, *((s, None) for s in self.timing_seeds)] if self.timing else plan

    @property
    def timing_seeds(self) -> list[int]:
        """The seeds of the timed calls' input sets (``timed_calls.INPUT_SETS``)."""
        more = [derived_seed([self.timing_seed], f"timing set {i}") for i in range(1, INPUT_SETS)]
        return [self.timing_seed, *more]

    @property
    def timing_sets(self) -> int:
        return len(self.timing_seeds) if self.timing else 0


# The stress regime of each shape set's second host trial, in order of preference.
_HOSTED = {"heldout": ("wide", "scaled_up"), "small": ("scaled_up", "wide")}


def derived_seed(seeds: list[int], purpose: str) -> int:
    """A seed that follows from the trials' seeds (the timing seed, a stress trial's, the
    held-out shape's): a run that fixes its seeds repeats all of them, a fresh check gets
    fresh ones."""
    digest = hashlib.sha256(f"{purpose}:{list(seeds)}".encode()).digest()
    return int.from_bytes(digest[:4], "little") % 2**31


def timing_seed_for(seeds: list[int]) -> int:
    """The timing seed that goes with fixed trial seeds: a run that fixes its seeds (``check
    --seed``, the agent's seeds from its run seed) repeats its timed calls exactly too."""
    return derived_seed(seeds, "timing")


def cuda_device_count() -> int:
    try:
        import torch

        return torch.cuda.device_count() if torch.cuda.is_available() else 0
    except Exception:
        return 0


def describe_device(device: str) -> dict[str, Any]:
    """What a worker on ``device`` says of itself (worker.py's env), said by the parent."""
    import torch
    import triton

    env: dict[str, Any] = {
        "torch": torch.__version__,
        "triton": triton.__version__,
        "python": sys.version.split()[0],
    }
    if device.startswith("cuda"):
        env["device_name"] = torch.cuda.get_device_name(int(device.partition(":")[2] or 0))
        env["cuda"] = torch.version.cuda
    else:
        env["device_name"] = "cpu (Triton interpreter)"
    return env


def default_devices(requested: str | None = None, workers: int | None = None) -> list[str]:
    """One worker per visible GPU; on the CPU, ``workers`` (default: the core count)."""
    if requested and requested != "auto":
        if requested.startswith("cuda"):
            if cuda_device_count() == 0:
                raise ProblemError(f"--device {requested}: no CUDA device is visible")
            return [requested]  # one worker per GPU: two timings at once would disturb both
        return [requested] * (workers or 1)
    n = cuda_device_count()
    if n:
        return [f"cuda:{i}" for i in range(n)]
    return ["cpu"] * (workers or os.cpu_count() or 1)


def _extraction(code: str) -> dict[str, Any] | None:
    """The source's kernels as extracted here, for the replay child to define; None where the
    extraction fails, and the child, extracting again, says why as a replay's error."""
    try:
        return kernel_source.extracted(code).dump()
    except Exception:  # whatever the analysis of a hostile source raises
        return None


def default_shapes(info, device: str) -> list[str]:
    """Every declared shape set on a GPU, on the CPU interpreter only ``small``; and a shape
    held out for this check (drawn from the seeds), before ``bench``, where timing happens.
    On the CPU also ``tiles``, where the problem has one (``has_tiles_shape``): many output
    tiles in two dimensions at once; and ``even``, where the problem has one
    (``even_shape_missing``): sizes that divide the blocks kernels take. The declared sets give
    a GPU both."""
    if device.startswith("cuda"):
        names = [*(list(info.meta.shapes) or ["default"]), "heldout"]
        return sorted(names, key=lambda n: n == "bench")
    return [
        "small",
        "heldout",
        *(["tiles"] if has_tiles_shape(info) else []),
        *(["even"] if even_shape_missing(info) is None else []),
    ]


def merge_shapes(outcomes: list[tuple[str, Outcome]]) -> Outcome:
    """One Outcome over several shape sets: the first failure, or all checks and the timing."""
    shape, last = outcomes[-1]
    if len(outcomes) == 1:
        last.env["shapes"] = [shape]
        if not last.correct and last.env.get("sizes"):
            last.message = _at_sizes(shape, last)
        return last
    merged = last.model_copy(deep=True)
    merged.checks = [
        c.model_copy(update={"name": f"[{s}] {c.name}"}) for s, o in outcomes for c in o.checks
    ]
    merged.env["shapes"] = [s for s, _ in outcomes]
    records = [r for _, o in outcomes for r in o.details.get("launch_records", [])]
    if records:
        unique = {json.dumps(r, sort_keys=True, default=str): r for r in records}
        merged.details["launch_records"] = list(unique.values())
    merged.env["sizes"] = {s: o.env.get("sizes") for s, o in outcomes}
    if last.correct:
        merged.message = f"Correct on every shape set ({', '.join(merged.env['shapes'])})."
    else:
        merged.message = _at_sizes(shape, last)
    return merged


def _at_sizes(shape: str, outcome: Outcome) -> str:
    """A failure's message, saying which sizes failed and why those: a size the problem never
    declared (drawn for the CPU, or held out) is named as such."""
    sizes = outcome.env.get("sizes")
    return (
        f"[shape {shape}: {sizes}] {outcome.message}"
        if sizes
        else f"[shape {shape}] {outcome.message}"
    )


class Child:
    """One child of a slot's zygote, alive for one ``Slot.child`` block."""

    def __init__(self, handle: WorkerHandle):
        self.handle = handle
        self.ended: str | None = None

    def send(self, msg: dict[str, Any]) -> None:
        self.handle.send(msg)

    def recv(self, timeout: float) -> dict[str, Any] | None:
        """The child's next message; None after ``timeout`` seconds; ChildDied once it ended
        (WorkerDied: the zygote itself died)."""
        if self.ended is not None:
            raise ChildDied(self.ended)
        deadline = time.monotonic() + timeout
        while True:
            msg = self.handle.recv(max(0.0, deadline - time.monotonic()))
            if msg is None:
                return None
            if msg.get("type") == "child" and isinstance(msg.get("msg"), dict):
                return msg["msg"]
            if msg.get("type") == "exit":
                self.ended = str(msg.get("how"))
                raise ChildDied(self.ended)

    def kill(self) -> None:
        """Kill the child, and all it started, now."""
        self.finish(grace_s=0.0)

    def finish(self, grace_s: float = 2.0) -> None:
        """Wait until the zygote says the child is gone, killing it after ``grace_s``."""
        self._drain(grace_s)
        if self.ended is None:
            self.handle.send({"type": "kill"})
            self._drain(CHILD_EXIT_TIMEOUT_S)
        if self.ended is None:
            raise WorkerDied("the candidate's process could not be killed")

    def _drain(self, seconds: float) -> None:
        """Discard the child's messages until it has ended or ``seconds`` have passed."""
        deadline = time.monotonic() + seconds
        with contextlib.suppress(ChildDied):
            while (left := deadline - time.monotonic()) > 0 and self.recv(left) is not None:
                pass


class Slot:
    """One position in the pool: a zygote, replaced when it dies."""

    def __init__(self, pool: Pool, index: int, device: str):
        self.pool = pool
        self.index = index
        self.device = device
        self.handle: WorkerHandle | None = None
        self.env: dict[str, Any] = {}
        self.scratch = pool.scratch / f"worker{index}"

    def ensure(self) -> WorkerHandle:
        if self.handle is None:
            self.scratch.mkdir(parents=True, exist_ok=True)
            self.handle = self.pool.backend.start(self._spec())
            try:
                msg = self.handle.recv(WORKER_START_TIMEOUT_S)
                if msg and msg.get("type") == "ready":
                    # Even the device's facts are read in a child: on a GPU that makes a
                    # CUDA context, which the zygote must never hold.
                    with self.child({"type": "env"}) as child:
                        msg = child.recv(WORKER_START_TIMEOUT_S)
            except (WorkerDied, ChildDied) as e:
                self.kill()
                raise RuntimeError(
                    f"the sandbox worker failed to start: {e}; its output: {self.capture_tail()}"
                ) from None
            if not msg or msg.get("type") != "env":
                self.kill()
                raise RuntimeError(
                    f"the sandbox worker did not start within {WORKER_START_TIMEOUT_S:.0f} s"
                )
            if self.pool.closed:
                # Closed while this worker started (Ctrl-C): it must not outlive the pool.
                self.kill()
                raise RuntimeError("the pool was closed")
            self.env = msg["env"]
        return self.handle

    @contextlib.contextmanager
    def child(self, request: dict[str, Any]) -> Iterator[Child]:
        """A fresh child of this slot's zygote for ``request`` (its ``type`` is the child's
        kind, ``zygote.CHILDREN``), killed if still running when the block ends. A zygote
        that dies, or cannot get rid of its child, is replaced."""
        handle = self.handle or self.ensure()
        child = Child(handle)
        try:
            handle.send(request)
            yield child
            child.finish()
        except WorkerDied:
            self.kill()
            raise
        except BaseException:
            try:
                child.kill()
            except WorkerDied:
                self.kill()
            raise

    def _spec(self) -> WorkerSpec:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "ANTHROPIC"))}
        env["KERNELWRIGHT_DEVICE"] = "cuda:0" if self.device.startswith("cuda") else "cpu"
        if self.device.startswith("cuda"):
            env["CUDA_VISIBLE_DEVICES"] = self.device.split(":")[1] if ":" in self.device else "0"
            env.pop("TRITON_INTERPRET", None)
            # Inductor compiles the torch.compile baseline in this process: a pool of compile
            # workers would be killed with the candidate's leftovers after every job.
            env["TORCHINDUCTOR_COMPILE_THREADS"] = "1"
        else:
            env["TRITON_INTERPRET"] = "1"
            env["CUDA_VISIBLE_DEVICES"] = ""
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["HOME"] = str(self.scratch)
        limits = self.pool.limits
        if self.device.startswith("cuda"):
            limits = Limits(**{**limits.__dict__, "address_space_bytes": None})
        source_root = Path(kernelwright.__file__).resolve().parent.parent
        return WorkerSpec(
            device=self.device,
            scratch=self.scratch,
            env=env,
            limits=limits,
            read_only=(Path(sys.prefix), Path(sys.base_prefix), source_root),
        )

    def kill(self) -> None:
        if self.handle is not None:
            self.handle.kill()
            self.handle = None

    def capture_tail(self) -> str:
        return judge.read_capture(self.scratch / "capture.log", self.pool.limits.output_bytes)


class Pool:
    def __init__(
        self,
        backend: Backend,
        devices: list[str],
        limits: Limits | None = None,
        scratch: Path | None = None,
    ):
        self.backend = backend
        self.limits = limits or Limits()
        self._own_scratch = scratch is None
        self.scratch = Path(scratch or tempfile.mkdtemp(prefix="kernelwright-"))
        self.slots = [Slot(self, i, d) for i, d in enumerate(devices)]
        self._idle: queue.Queue[Slot] = queue.Queue()
        for s in self.slots:
            self._idle.put(s)
        self._closed = False
        self._compilers: dict[int, target_compile.Compiler] = {}  # per slot, made at first use

    def warm(self) -> None:
        """Start every worker now, in parallel, instead of at first use."""
        threads = [threading.Thread(target=s.ensure, daemon=True) for s in self.slots]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def evaluate(self, job: Job) -> Outcome:
        early = judge.precheck(job.code)
        if early is not None:
            early.env.update(self.early_env())
            return early
        # Workers run in their scratch folders: a relative path must not reach them.
        info = read_problem(Path(job.problem).resolve())
        slot = self._idle.get()
        try:
            shapes = [job.shape] if job.shape else default_shapes(info, slot.device)
            ran = []
            with judge.one_thread():
                for i, shape in enumerate(shapes):
                    # Time once, at the last (largest) shape set, and only where there is a GPU.
                    timed = job.timing and i == len(shapes) - 1 and slot.device.startswith("cuda")
                    outcome, finish = self._run(slot, replace(job, shape=shape, timing=timed), info)
                    ran.append((shape, finish))
                    if not outcome.correct:
                        break
                # A shape's kernels compile while the next shape's trials run; each verdict
                # then takes its compile's word (every shape's is collected, so none is left
                # for the next check), and the first shape that fails is the last.
                outcomes = [(shape, finish()) for shape, finish in ran]
            failed = next((i for i, (_, o) in enumerate(outcomes) if not o.correct), None)
            merged = merge_shapes(outcomes if failed is None else outcomes[: failed + 1])
            if not job.shape and not slot.device.startswith("cuda"):
                missing = even_shape_missing(info)
                if missing is not None:
                    merged.env["notes"] = [
                        *merged.env.get("notes", []),
                        f"shape even (sizes that divide the blocks kernels take) not run: "
                        f"{missing}",
                    ]
            return merged
        finally:
            self._idle.put(slot)

    def helper_spec(self, name: str) -> WorkerSpec:
        """The workers' sandbox, for a helper process of this pool that compiles and runs no
        candidate (mutate's IR compiler): on the CPU, no GPU visible, a scratch folder of its
        own."""
        spec = self.slots[0]._spec()
        scratch = self.scratch / name
        env = {k: v for k, v in spec.env.items() if k != "TRITON_INTERPRET"}
        env.update(HOME=str(scratch), CUDA_VISIBLE_DEVICES="")
        return WorkerSpec(
            device="cpu", scratch=scratch, env=env, limits=spec.limits, read_only=spec.read_only
        )

    def base_env(self) -> dict[str, Any]:
        """What is known before a worker answers: enough for verdicts made without one."""
        device = self.slots[0].device
        return {"sandbox": self.backend.name, "device": device, "interpreter": device == "cpu"}

    def early_env(self) -> dict[str, Any]:
        """The env of a verdict made before any worker ran (format, syntax, static guards):
        the fields a worker reports (device name, versions), so no report sees an unknown
        device; from a started worker of this pool, else described here."""
        started = next((s.env for s in self.slots if s.env), None)
        return {**(started or describe_device(self.slots[0].device)), **self.base_env()}

    def _run(self, slot: Slot, job: Job, info) -> tuple[Outcome, Callable[[], Outcome]]:
        """One shape set's check: its verdict before the compile's word, and what collects
        that word (the verdict is final then), so the compile goes on while the caller does."""

        # Every compile request this check sends is collected by this check, whatever its
        # verdict: left queued, a slow one would be waited for, and charged to, the next.
        early: list[target_compile.Pending] = []

        def settled(verdict: Callable[[], Outcome]) -> Callable[[], Outcome]:
            def finish() -> Outcome:
                for p in early:
                    compiler.collect(p)
                return verdict()

            return finish

        def final(outcome: Outcome) -> tuple[Outcome, Callable[[], Outcome]]:
            return outcome, settled(lambda: outcome)

        slot.ensure()
        # A fresh folder of an unpredictable name: nothing can have been planted in it.
        jobdir = Path(tempfile.mkdtemp(prefix="job", dir=slot.scratch))
        compiler = self._compiler(slot)  # started now: it warms up while the trials run
        try:
            (jobdir / "candidate.py").write_text(job.code)
            env = {
                **slot.env,
                **self.base_env(),
                "seeds": job.seeds,
                **({"timing_seed": job.timing_seed} if job.timing else {}),
                "track": "allow-torch-ops" if job.allow_torch_ops else "strict",
                "module_mode": info.mode,
            }
            nonce = secrets.token_hex(16)
            request = {
                "type": "job",
                "nonce": nonce,
                "dir": str(jobdir),
                "problem": str(info.path),
                # The text travels: a sandboxed worker may not see the caller's files.
                "problem_source": info.source,
                "shape": job.shape,
                "trials": job.trials(info),
                "draw_seed": derived_seed(job.seeds, "heldout"),
                "init_seed": job.init_seed,
                "timing": job.timing,
                "timing_sets": job.timing_sets,
            }
            try:
                with slot.child(request) as child:
                    msg, reference = self._reference(child, info, slot.device, nonce)
                    env["sizes"] = msg.get("sizes")
                    reference, skipped = judge.usable_trials(reference)
                    msg["notes"] = [*(msg.get("notes") or []), *skipped]
                    plan = [(t["seed"], t["regime"]) for t in reference]
                    child.send({"type": "go", "trials": len(plan) - job.timing_sets})

                    # The first trial's launches compile while the others run: read, never
                    # trusted (the final result's logs decide what the verdict rests on).
                    def first_done(k: int) -> None:
                        if k == 1:
                            with contextlib.suppress(judge.UnreadableResult):
                                log = judge.load_log(str(jobdir / "trial0.log.json"))
                                if p := self._submit_compile(slot, job, compiler, [log]):
                                    early.append(p)

                    try:
                        result = self._serve_seeds(child, plan, job.timeout_s, nonce, first_done)
                    except ChildDied as e:
                        return final(judge.crashed(str(e), slot.capture_tail(), env))
                    if result is None or result.get("nonce") != nonce:
                        child.kill()
                        if result is None:
                            return final(judge.timed_out(job.timeout_s, slot.capture_tail(), env))
                        # Only candidate code can have written this: a forged verdict.
                        return final(judge.forged(slot.capture_tail(), env))
            except WorkerDied as e:  # the candidate took its zygote down with it
                return final(judge.crashed(str(e), slot.capture_tail(), env))
            # The kernels compile on another core while the replay and the judge run.
            pending = self._submit_compile(slot, job, compiler, self._logs(result, jobdir))
            try:
                outcome, replayed = self._judge(
                    slot, info, job, reference, result, msg, jobdir, env
                )
            except BaseException:
                if pending is not None and pending.missing:
                    compiler.close()  # its answers belong to no later check
                raise
            return outcome, settled(
                partial(self._collect_compile, compiler, result, pending, outcome, replayed)
            )
        finally:
            shutil.rmtree(jobdir, ignore_errors=True)

    def _compiler(self, slot: Slot) -> target_compile.Compiler:
        """The slot's compile zygote; outside the slot's folder, out of the candidate's reach."""
        # A slot runs one job at a time: its entry is never made twice at once.
        if slot.index not in self._compilers:
            spec = slot._spec()
            scratch = self.scratch / f"compiler{slot.index}"
            env = {**spec.env, "HOME": str(scratch)}
            self._compilers[slot.index] = target_compile.Compiler(
                self.backend, scratch, env, spec.limits, spec.read_only
            )
        compiler = self._compilers[slot.index]
        compiler.start()
        return compiler

    @staticmethod
    def _logs(result: dict, jobdir: Path) -> list | None:
        """The trials' launch logs (read, never trusted); None when they cannot be read."""
        try:
            report = judge.WorkerResult.model_validate(result)
            if any(Path(t.log).resolve().parent != jobdir.resolve() for t in report.trials):
                return None  # the judge says what it is
            return [judge.load_log(t.log) for t in report.trials]
        except (ValueError, judge.UnreadableResult):
            return None  # the judge says what it is

    @staticmethod
    def _submit_compile(
        slot: Slot, job: Job, compiler: target_compile.Compiler, logs: list | None
    ) -> target_compile.Pending | None:
        """The launches as the launch logs recorded them, sent to the compiler for the job's
        targets; None without logs."""
        if logs is None:
            return None
        targets = resolve_targets(job.targets, slot.env.get("device_name"))
        return compiler.submit(targets, job.code, launch_signature.records(logs))

    @staticmethod
    def _collect_compile(
        compiler: target_compile.Compiler,
        result: dict,
        pending: target_compile.Pending | None,
        outcome: Outcome,
        replayed: judge.ReplayResult | None,
    ) -> Outcome:
        """The traffic the kernels requested, and the compiler's report per target, with what it
        fixed at compile time held against what the replay's interpreter computed, and the
        atomics whose results it uses against the races they were taken to order."""
        try:
            report = judge.WorkerResult.model_validate(result)
        except ValueError:
            return outcome  # the judge has already said what it is
        min_bytes = outcome.roofline.bytes if outcome.roofline else None
        outcome.traffic = traffic.summary(report.traffic, min_bytes)
        if pending is None:
            return outcome
        # What each kernel was compiled with: `mutate` compiles its mutants at these.
        outcome.details["launch_records"] = pending.launches
        reports = compiler.collect(pending)
        probed = replayed.probed if replayed is not None else None
        folded = target_compile.folded(probed, pending, reports)
        unsettled = [h for r in replayed.replays for h in r.unsettled] if replayed else []
        unordered = target_compile.unordered(unsettled, pending, reports)
        return target_compile.attach(outcome, reports, pending.reported, folded, unordered)

    @staticmethod
    def _reference(child: Child, info, device: str, nonce: str) -> tuple[dict, Any]:
        """The child's reference message and the reference it saved, read and deleted."""
        try:
            msg = child.recv(REFERENCE_TIMEOUT_S)
        except (ChildDied, WorkerDied) as e:
            raise ProblemError(
                f"{info.path}: the worker died running the reference ({e})"
            ) from None
        if msg is None:
            raise ProblemError(f"{info.path}: the reference took over {REFERENCE_TIMEOUT_S:.0f} s")
        if msg.get("nonce") != nonce:
            raise RuntimeError(
                "the sandbox worker sent an unexpected message before the candidate ran"
            )
        if msg["type"] == "problem_error":
            raise ProblemError(msg["message"])
        reference = judge.load(msg["file"], judge.compare_device(device))
        # The answers must not outlive this read: the candidate runs next to the file.
        Path(msg["file"]).unlink(missing_ok=True)
        return msg, reference

    def _judge(
        self, slot: Slot, info, job: Job, reference, result: dict, msg: dict, jobdir: Path, env
    ) -> tuple[Outcome, judge.ReplayResult | None]:
        """The verdict, and the replay it rests on, whose evidence about compiled code (what the
        interpreter computed where the compiler may fix values at compile time, the races a
        scalar atomic orders if its result is used) is held against the compile's when it is
        in."""
        output = slot.capture_tail()
        try:
            report = judge.WorkerResult.model_validate(result)
        except ValueError:
            # A message with this job's nonce but not of the worker's making.
            return judge.forged(output, env), None
        files = [f for t in report.trials for f in (t.file, t.log)] + (
            [report.timing["file"]] if report.timing and "file" in report.timing else []
        )
        if any(Path(f).resolve().parent != jobdir.resolve() for f in files):
            return judge.unreadable("a result file outside the job folder", output, env), None
        try:
            logs, replayed = None, None
            if judge.replayable(report, job):
                logs = [judge.load_log(t.log) for t in report.trials]
            if logs is not None and judge.log_refusal(logs) is None:
                plan = judge.replay_plan(logs, judge.trial_list(reference, job.timing_sets))
                try:
                    program = judge.replay_program(logs)
                except ValueError:
                    program = None  # the judge says why, without a replay
                if program is not None:
                    replayed = self._replay(slot, info, job, logs, plan, program, jobdir, env)
                if isinstance(replayed, Outcome):
                    return replayed, None
            verdict = judge.judge(info, job, reference, report, output, env, msg, logs, replayed)
            return verdict, replayed
        except judge.UnreadableResult as e:
            return judge.unreadable(str(e), output, env), None

    def _replay(self, slot: Slot, info, job: Job, logs, plan, program, jobdir: Path, env: dict):
        """The logs replayed in a fresh child of the slot's zygote, which never imported the
        candidate (whose own process is gone by now): a ReplayResult, or the Outcome of a
        replay that crashed or hung."""
        nonce = secrets.token_hex(16)
        request = {
            "type": "replay",
            "nonce": nonce,
            "dir": str(jobdir),
            "device": "cuda:0" if slot.device.startswith("cuda") else "cpu",
            "problem": str(info.path),
            "problem_source": info.source,
            "shape": job.shape,
            "draw_seed": derived_seed(job.seeds, "heldout"),
            "init_seed": job.init_seed,
            "source": job.code,
            "extracted": _extraction(job.code),
            "logs": [log.model_dump(mode="json") for log in logs],
            "plan": plan,
            "program": {k: d.model_dump() for k, d in program.items()},
            "allow_torch_ops": job.allow_torch_ops,
        }
        what = "the replay of its launches"
        try:
            with slot.child(request) as child:
                try:
                    msg = child.recv(job.timeout_s)
                except ChildDied as e:
                    return judge.crashed(f"{what}: {e}", slot.capture_tail(), env)
                if msg is None:
                    child.kill()
                    return judge.timed_out(job.timeout_s, slot.capture_tail(), env)
        except WorkerDied as e:
            return judge.crashed(f"{what}: {e}", slot.capture_tail(), env)
        if msg.get("nonce") != nonce or msg.get("type") != "replayed":
            raise RuntimeError("the sandbox replay sent an unexpected message")
        result = judge.ReplayResult.model_validate(msg)
        files = [Path(r.file) for r in result.replays if r.file]
        if any(f.resolve().parent.parent != jobdir.resolve() for f in files):
            raise judge.UnreadableResult("a replay file outside the job folder")
        return result

    @staticmethod
    def _serve_seeds(
        child: Child,
        seeds: list[tuple[int, str | None]],
        timeout_s: float,
        nonce: str,
        on_trial: Callable[[int], None],
    ) -> dict[str, Any] | None:
        """Hand each trial its seed and stress regime only when the trial starts, until the
        result comes.

        The worker forgets the seeds before the candidate is imported, so candidate code
        can never make a later trial's inputs ahead of time and precompute its answer."""
        deadline = time.monotonic() + timeout_s
        served: set[int] = set()
        while True:
            msg = child.recv(max(0.0, deadline - time.monotonic()))
            if msg is None or msg.get("nonce") != nonce or msg.get("type") != "trial":
                return msg
            k = msg.get("k")
            if not isinstance(k, int) or k in served or not 0 <= k < len(seeds):
                return {**msg, "nonce": None}  # a seed asked twice or past the last: a forgery
            served.add(k)
            child.send({"type": "seed", "seed": seeds[k][0], "regime": seeds[k][1]})
            on_trial(k)  # after the seed: the trial runs meanwhile

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for s in self.slots:
            s.kill()
        for c in self._compilers.values():
            c.close()
        if self._own_scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def make_pool(
    sandbox: str = "auto",
    device: str | None = None,
    workers: int | None = None,
    limits: Limits | None = None,
) -> Pool:
    from kernelwright.sandbox.isolation import select_backend

    return Pool(select_backend(sandbox), default_devices(device, workers), limits)
