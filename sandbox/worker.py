"""The job: what runs in a child of the zygote (``zygote.py``) for one candidate.

``prepare`` runs once, in the zygote, before any job: it imports torch and Triton and installs
the guards, so every child starts warm.
``run_job`` is a whole child's work, JSON messages on its channel to the parent:

    parent -> {"type": "job", ...}      child -> {"type": "reference", "file": ...}
    parent -> {"type": "go"}            child -> {"type": "trial", "k": ...} (per trial)
    parent -> {"type": "seed", ...}     child -> {"type": "result", ...}

The worker never judges. Before the candidate is imported it makes every trial's
inputs and runs the reference, and hands both to the parent, which keeps them out
of the candidate's reach. It then runs the candidate on copies and hands back the
outputs and the inputs as the candidate left them; the parent compares. What the
candidate prints goes to a capture file, never to the protocol channel.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import random
import sys
import traceback
import zlib
from pathlib import Path
from typing import Any

from kernelwright.sandbox import trial_inputs
from kernelwright.sandbox.launchlog import LaunchLog
from kernelwright.sandbox.pristine import Pristine
from kernelwright.sandbox.profiler import ProfilerUnavailable

# Trials the candidate's own host code runs: the first is the launch log replayed on every
# later seed; the second reuses the first one's tensors, so a cache keyed on them shows up as
# a disagreement with the replay, and tells what in the log varies with data read back. Where
# host code reads data back, it runs every trial (``Worker._run_candidate``).
HOST_TRIALS = 2
# A forward whose launches are logged and not run (``Worker._dry_forwards``) runs host code
# alone: far less than a trial.
DRY_FORWARD_TIMEOUT_S = 20.0
# Dry calls in a row on one input set: past the two host trials, by as many again and more.
DRY_CALLS = 8


# Where the job's host trials start in an autotune list, and the host trial running now: the
# interpreter's autotuner takes config start + k of each kernel's list on the k-th
# (``_interpreter_autotune``).
_HOST_TRIAL = [0, 0]


def _first_config(shape: str, draw_seed: int) -> int:
    """Where a shape set's host trials start in an autotune list: ``small`` at 0, ``heldout``
    at 2 (every CPU check runs both: a list's first four configs are always checked), any
    other set at a place drawn for the check."""
    fixed = {"small": 0, "heldout": 2}
    return fixed.get(shape, 4 + zlib.crc32(f"{shape}:{draw_seed}".encode()) % 64)


# Autotuners made in this process (on the interpreter): where the candidate made none before its
# first forward, no copy of the process is kept for dry calls (``Worker._dry_forwards``).
_AUTOTUNERS = [0]


def _interpreter_autotune() -> None:
    """The interpreter cannot benchmark configs, and a GPU's autotuner may pick any of them: the
    host trials take consecutive configs (modulo their count) of every autotuned kernel from
    where the shape set starts (``_first_config``), chosen afresh each trial. The first trial's
    log is replayed on every seed; the second trial's own outputs, computed with the next
    config, must agree with that replay, so a config that computes something else is refused
    (and every config a trial took is compiled). Every config is replayed besides
    (``LaunchLog.variant``).

    On the first host trial the benchmark runs too, as a GPU's autotuner runs it before its
    first launch: every config once, on the launch's own arguments, with the hooks a GPU runs
    around each (each config's pre_hook, ``reset_to_zero``, ``restore_value``, the autotuner's
    pre_hook and post_hook) and through the candidate's own ``do_bench`` where it gave one.
    Whatever those do to the arguments happens here as there (a hook of the config a GPU would
    keep that zeroes an input; a kernel that accumulates into an output no one resets). Timings
    are positive, as a GPU's are, and the trial's own config is the fastest; the second trial
    runs its config alone, as every call after the first does on a GPU."""
    from triton.runtime.autotuner import Autotuner

    prune, run, init = Autotuner.prune_configs, Autotuner.run, Autotuner.__init__

    def made(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self._kw_do_bench = kwargs.get("do_bench")  # the candidate's own, if it gave one
        _AUTOTUNERS[0] += 1

    def pruned(self, kwargs):
        configs = prune(self, kwargs)
        if not configs:
            return configs
        start, trial = _HOST_TRIAL
        k = (start + trial) % len(configs)
        self._kw_timed = 0
        ordered = configs[k:] + configs[:k]
        return ordered if trial == 0 else ordered[:1]

    def timer(self):
        theirs = getattr(self, "_kw_do_bench", None)
        if theirs is not None:
            return theirs

        def once(kernel_call, quantiles):
            kernel_call()
            self._kw_timed += 1
            t = 1.0 if self._kw_timed == 1 else 2.0  # the first benchmarked is the trial's own
            return [t, t, t]

        return once

    def run_afresh(self, *args, **kwargs):
        if getattr(self, "_kw_trial", None) != _HOST_TRIAL[1]:
            self.cache.clear()  # a config chosen on an earlier trial is chosen again
            self._kw_trial = _HOST_TRIAL[1]
        return run(self, *args, **kwargs)

    pruned.__wrapped__ = prune  # the list a GPU's autotuner benchmarks (guards._dry_configs)
    Autotuner.__init__ = made
    Autotuner.prune_configs = pruned
    Autotuner.run = run_afresh
    Autotuner.do_bench = property(timer)


def _driver_version() -> int | None:
    """The CUDA driver's version as an int (12040 is 12.4), asked of libcuda itself: torch has
    no API for it, and a worker must not fail to start over a version number."""
    try:
        libcuda = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return None
    version = ctypes.c_int()
    return version.value if libcuda.cuDriverGetVersion(ctypes.byref(version)) == 0 else None


def _env(device: str, interpreter: bool) -> dict[str, Any]:
    import torch
    import triton

    env: dict[str, Any] = {
        "device": device,
        "interpreter": interpreter,
        "torch": torch.__version__,
        "triton": triton.__version__,
        "python": sys.version.split()[0],
    }
    if device.startswith("cuda"):
        env["device_name"] = torch.cuda.get_device_name()
        env["cuda"] = torch.version.cuda
        env["driver"] = _driver_version()
    else:
        env["device_name"] = "cpu (Triton interpreter)"
    return env


LAZY_MODULES = (
    "torch._dynamo",  # a baseline's torch.compile, on a GPU
    "triton.compiler.code_generator",
    "triton.experimental.gluon",
    "torch.utils.flop_counter",
    "torch.utils.serialization",
)


def _interpreter() -> bool:
    return os.environ.get("TRITON_INTERPRET") == "1"


def _device() -> str:
    return os.environ.get("KERNELWRIGHT_DEVICE", "cpu")


def prepare() -> None:
    """Everything done once before any job, in the zygote: each child inherits it warm."""
    import torch
    import triton  # noqa: F401

    import kernelwright.problem  # noqa: F401
    from kernelwright.sandbox import (  # noqa: F401  (the job's and the replay's own modules)
        guards,
        interp_memory,
        interpreter_cache,
        measure,
        program_order,
        recorder,
        replay,
        traffic,
        verify,
    )

    # One intra-op thread: the pool runs one worker per core already, and a check's tensors
    # are small; a second thread only spins, slowing every op tenfold on a busy machine.
    torch.set_num_threads(1)
    # What a job would otherwise import on first use (a launch, a flop count, a save), so
    # that no child pays for it.
    for name in LAZY_MODULES:
        importlib.import_module(name)
    if _interpreter():
        _interpreter_autotune()
        interp_memory.install()
        interpreter_cache.install()
        program_order.read_library()
    if _device().startswith("cuda"):
        from kernelwright.sandbox import profiler

        profiler.install()
    guards.install()


def describe_env() -> dict[str, Any]:
    """The "env" child: the device's facts (on a GPU, reading them creates a CUDA context)."""
    return _env(_device(), _interpreter())


def run_job(chan, job: dict[str, Any]) -> dict[str, Any]:
    """The "job" child: one candidate, from its reference to its result."""
    return Worker(chan).run_job(job)


class Worker:
    def __init__(self, chan):
        import torch

        from kernelwright.sandbox import guards, traffic

        self.proto = chan
        self.torch = torch
        self.guards = guards
        self.interpreter = _interpreter()
        self.device = _device()
        self.traffic = traffic.COUNTER  # counting only where prepare() installed interp_memory
        self.traffic_counted: dict[str, int] | None = None
        self.read_back = False  # the last trial's host code read tensor data back
        # The first trial's log and where its autotuned launches are (``guards.STATE.tuned``),
        # for the dry forwards (``_dry_forwards``).
        self.tuned: tuple[Any, list[int]] | None = None
        # On a GPU, what the profiler saw run during each trial and the timed calls.
        self.profile = None
        if self.device.startswith("cuda"):
            from kernelwright.sandbox import profiler
            from kernelwright.sandbox.kernel_list import Profile

            profiler.renew()
            self.profile = Profile()

    # --- the job -----------------------------------------------------------------

    def run_job(self, job: dict[str, Any]) -> dict[str, Any]:
        from kernelwright.problem import ProblemError, exec_problem, read_problem
        from kernelwright.sandbox import measure
        from kernelwright.sandbox.verify import bitwise_equal

        torch = self.torch
        jobdir = Path(job["dir"])
        try:
            info = read_problem(job["problem"], job["problem_source"])
            pm = exec_problem(info, job.get("shape"), job.get("draw_seed", 0), self.device)
            dtype, notes = trial_inputs.run_dtype(pm), []
            ref_model = trial_inputs.build(
                pm, pm.module.Model, job["init_seed"], self.device, dtype
            )
            # The seeds leave the job now and are forgotten before the candidate is imported;
            # each trial asks the parent for its own (see _trial_inputs). A trial is a seed and
            # a stress regime (None: get_inputs' own distribution).
            plan = job.pop("trials")
            seeds = [seed for seed, _ in plan]
            trials = []
            freed = []
            cost = None
            ref64 = _Reference64(pm, job["init_seed"], self.device, dtype)
            before = {k: v.detach().clone() for k, v in ref_model.state_dict().items()}
            for seed, regime in plan:
                inputs = self._inputs(pm, seed, dtype, regime)
                args = [trial_inputs.clone(a) for a in inputs]
                if cost is None:  # the first run of the reference also counts its cost
                    cost, out = measure.reference_cost(pm, ref_model, args)
                else:
                    with torch.no_grad():
                        out = ref_model(*args)
                # The reference's own copies of the inputs are freed later, poisoned: a
                # reference that returns a view of its input must be saved first.
                freed.append(args)
                trials.append((seed, regime, inputs, _as_list(out), ref64(inputs)))
            # What Model's own forward changes of its state (BatchNorm's running statistics):
            # the candidate's forward may change that, and nothing else (judge.py).
            state_moved = sorted(
                k
                for k, v in ref_model.state_dict().items()
                if k in before and not bitwise_equal(before[k], v.detach())
            )
            del before
            again = self._inputs(pm, seeds[0], dtype)
            if len(again) != len(trials[0][2]) or not all(map(bitwise_equal, again, trials[0][2])):
                raise ProblemError(
                    f"{info.path}: get_inputs() gives different inputs for the same seed; "
                    "kernelwright remakes each trial's inputs from its seed, so they must be "
                    "deterministic under torch.manual_seed"
                )
            # Baselines, like the reference, are measured before the candidate exists, on the
            # inputs the candidate will be timed on (the last seed's, when timing).
            baselines = None
            if job.get("timing") and self.device.startswith("cuda"):
                timed_inputs = [trial_inputs.clone(a) for a in trials[-1][2]]
                try:
                    baselines = measure.reference_baselines(pm, ref_model, timed_inputs)
                except Exception as e:
                    notes.append(f"baselines not timed: {type(e).__name__}: {e}")
                del timed_inputs
        except ProblemError as e:
            return {"type": "problem_error", "message": str(e)}
        except Exception as e:
            return {
                "type": "problem_error",
                "message": f"the reference failed: {type(e).__name__}: {e}",
            }
        ref_file = jobdir / "reference.pt"
        torch.save(
            [
                {"seed": s, "regime": r, "inputs": i, "outputs": o, "outputs64": o64}
                for s, r, i, o, o64 in trials
            ],
            ref_file,
        )
        self.proto.send(
            {
                "type": "reference",
                "file": str(ref_file),
                "notes": notes + pm.notes + ref64.notes,
                "sizes": pm.sizes,
                "state_moved": state_moved,
                "cost": cost,
                "baselines": baselines,
            }
        )
        go = self.proto.recv()
        if go.get("type") != "go":
            return {"type": "result", "stage": "aborted", "error": "the parent did not say go"}
        # Poisoned before they are freed, so uninitialised memory the candidate allocates can
        # never hold them: the reference's outputs, and the inputs of trials still to come.
        for _, _, seed_inputs, outs, outs64 in trials:
            _poison(outs)
            _poison(outs64 or [])
            _poison(seed_inputs)
        for args in [*freed, again]:
            _poison(args)
        # Nothing of a later trial stays behind for candidate code to find: no inputs, no seeds.
        # The parent says how many trials there are: it drops stress regimes whose reference
        # overflows.
        n_trials = int(go.get("trials", len(trials) - _timing_sets(job)))
        del freed, trials, seed_inputs, outs, outs64, seeds, seed, inputs, again, args, out
        del ref_model, ref64, plan, regime
        return self._run_candidate(job, pm, dtype, n_trials, jobdir)

    def _inputs(self, pm, seed: int, dtype, regime: str | None = None) -> list:
        return trial_inputs.make_inputs(pm, seed, self.device, dtype, regime)

    def _trial_inputs(self, pm, k: int, dtype) -> tuple[int, str | None, list]:
        """Trial k's seed and stress regime, asked of the parent only now, and the inputs
        they make."""
        self.proto.send({"type": "trial", "k": k})
        msg = self.proto.recv()
        if msg.get("type") != "seed":
            raise RuntimeError("the parent did not send the trial's seed")
        state = self.guards.STATE
        state.active = False  # the problem's get_inputs runs here, not candidate code
        try:
            regime = msg.get("regime")
            return msg["seed"], regime, self._inputs(pm, msg["seed"], dtype, regime)
        finally:
            state.active = True

    def _run_candidate(self, job, pm, dtype, n_trials: int, jobdir: Path) -> dict[str, Any]:
        state = self.guards.STATE
        result: dict[str, Any] = {"type": "result", "trials": [], "stage": "import"}
        path = jobdir / "candidate.py"
        pristine, nocopy = None, None
        try:
            _reseed()
            state.rebound = frozenset(pm.info.constants)
            state.active = True
            spec = importlib.util.spec_from_file_location("kw_candidate", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            pm.rebind_copies(module)  # a copied size constant follows the shape set
            cls = getattr(module, "ModelNew", None)
            if not isinstance(cls, type):
                result.update(stage="import", error_kind="no_model_new")
                return result
            result["stage"] = "init"
            model = trial_inputs.build(pm, cls, job["init_seed"], self.device, dtype)
            if not self.interpreter:
                pass  # a CUDA context does not survive a fork: dry calls run in this process
            elif not _AUTOTUNERS[0]:
                nocopy = (
                    "an autotuner was made during forward: wrap kernels in @triton.autotune at "
                    "import (a GPU would benchmark a new one at every call)"
                )
            elif (threads := _threads()) > 1:
                nocopy = (
                    f"the process ran {threads} threads before its first forward (a thread pool "
                    "started at import or in __init__, torch.set_num_threads): a copy of it made "
                    "for the autotune configs' dry calls would lose them; start none"
                )
            else:
                pristine = Pristine(lambda item: self._dry_forward(model, pm, dtype, item))
            result["stage"] = "forward"
            previous = None
            hosted, k = min(n_trials, HOST_TRIALS), 0  # the replay covers the other seeds
            while k < hosted:
                seed, regime, inputs = self._trial_inputs(pm, k, dtype)
                # The second trial reuses the first one's tensors (same addresses, same
                # version counters) with new values: a cache keyed on pointers or versions
                # returns stale results there.
                reuse = previous if k == 1 else None
                _HOST_TRIAL[:] = [_first_config(pm.shape, job.get("draw_seed", 0)), k]
                report, previous = self._trial(model, inputs, seed, k, jobdir, reuse)
                if k == 0:
                    first = (seed, regime)
                result["trials"].append(report)
                if k == 0 and self.read_back:
                    # Host code that reads data back may decide on it: it runs on every trial's
                    # inputs, stress regimes included, and each run must be what the replay of
                    # the first log computes there (``launchlog.data_program``, the agreement).
                    hosted = n_trials
                k += 1
            if self.tuned and not self.read_back and not self.tuned[0].problem:
                self._dry_forwards(model, pm, dtype, jobdir, pristine or nocopy, *first)
            if job.get("timing"):
                result["stage"] = "timing"
                sets = [
                    self._trial_inputs(pm, n_trials + r, dtype)[2] for r in range(_timing_sets(job))
                ]
                result["timing"] = self._time(model, sets, jobdir)
            result["stage"] = "done"
        except ProfilerUnavailable as e:
            self.profile.error = str(e)
            result["stage"] = "done"
        except BaseException as e:  # SystemExit and KeyboardInterrupt from a candidate too
            result["error"] = _describe(e, str(path))
        finally:
            state.active = False
            if pristine is not None:
                pristine.close()
        result["guard_events"] = list(state.events)
        result["traffic"] = self.traffic_counted
        if self.profile is not None:
            result["profile"] = self.profile.model_dump()
        return result

    def _trial(self, model, inputs, seed: int, k: int, jobdir: Path, reuse) -> tuple[dict, list]:
        torch = self.torch
        state = self.guards.STATE
        if reuse is not None and all(
            not isinstance(a, torch.Tensor) or (a.shape == b.shape and a.dtype == b.dtype)
            for a, b in zip(reuse, inputs, strict=True)
        ):
            args = reuse
            for a, b in zip(args, inputs, strict=True):
                if isinstance(a, torch.Tensor):
                    a.data.copy_(b)  # through .data: the version counter does not move
        else:
            args = [trial_inputs.clone(a) for a in inputs]
        counting = self.interpreter and k == 0  # the kernels' memory traffic, in one trial
        if counting:
            self.traffic.start()
        work: list = []
        with self._profiled(work):
            out, log = self._traced_forward(model, args, record=True)
            outs = _as_list(out)
            plain = _plain(outs)
            snapshot = None
            if plain and self.device.startswith("cuda"):
                # Copied on the current stream before any sync: work still running on
                # another stream shows up as a difference between the copy and the output.
                with self._own_work():
                    snapshot = [o.clone() if isinstance(o, torch.Tensor) else o for o in outs]
                torch.cuda.synchronize()
        if self.profile is not None:
            self.profile.sessions.append(self._session("trial", k, 1, work))
        if counting:
            self.traffic_counted = self.traffic.stop()
        self.read_back = log.reads_data()
        if k == 0:
            self.tuned = (log, list(state.tuned))
        log_file = jobdir / f"trial{k}.log.json"
        log_file.write_text(log.model_dump_json())
        types = [type(o).__module__ + "." + type(o).__qualname__ for o in outs]
        trial_file = jobdir / f"trial{k}.pt"
        payload = {
            "outputs": outs if plain else [],
            "snapshot": snapshot,
        }
        torch.save(payload, trial_file)
        report = {
            "seed": seed,
            "file": str(trial_file),
            "output_types": types,
            "plain": plain,
            "launches": state.launches,
            "torch_ops": dict(state.torch_ops),
            "log": str(log_file),
            "devices": [o.device.type if isinstance(o, torch.Tensor) else None for o in outs],
        }
        return report, args

    def _time(self, model, sets: list[list], jobdir: Path) -> dict[str, Any]:
        """The timed calls, on input sets of their own rotated call by call (``timed_calls``),
        each traced like a trial's forward: the rules hold for every call, not only for the
        ones the correctness check sees. On a GPU they are profiled, all of them."""
        from kernelwright.sandbox import measure
        from kernelwright.sandbox.timed_calls import RotatingCalls

        state = self.guards.STATE
        calls = RotatingCalls(sets, self._own_work)
        ops: dict[str, int] = {}  # the most of each op any one call issued
        launches: list[int] = []  # per call

        def forward():
            out, _ = self._traced_forward(model, calls.args)
            for op, n in state.torch_ops.items():
                ops[op] = max(ops.get(op, 0), n)
            launches.append(state.launches)
            calls.returned(out)
            return out

        work: list = []
        with self._profiled(work):
            stats = measure.time_candidate(forward, calls, timed=self.device.startswith("cuda"))
        if self.profile is not None:
            self.profile.sessions.append(self._session("timed", None, calls.calls, work))
        payload = calls.payload()
        final = [o for entry in payload["final"] for o in entry["outputs"]]
        plain = _plain(final)
        if not plain:
            payload["final"] = []
        file = jobdir / "timing.pt"
        self.torch.save(payload, file)
        return {
            "stats": stats,
            "file": str(file),
            "plain": plain,
            "torch_ops": ops,
            "launches": min(launches),
            "calls": calls.calls,
        }

    def _profiled(self, into: list):
        """Profile the block where there is a GPU (``profiler.capture``); elsewhere nothing."""
        if self.profile is None:
            return contextlib.nullcontext()
        from kernelwright.sandbox import profiler

        return profiler.capture(into, self._guards_lifted)

    @contextlib.contextmanager
    def _guards_lifted(self):
        """The worker's own machinery (the profiler's start and stop) is not candidate code."""
        state = self.guards.STATE
        active, state.active = state.active, False
        try:
            yield
        finally:
            state.active = active

    def _own_work(self):
        if self.profile is None:
            return contextlib.nullcontext()
        from kernelwright.sandbox import profiler

        return profiler.own_work()

    @staticmethod
    def _session(phase: str, trial: int | None, calls: int, work: list):
        from kernelwright.sandbox.kernel_list import Session

        return Session(phase=phase, trial=trial, calls=calls, work=work)

    def _traced_forward(self, model, args, record: bool = False, dry: bool = False):
        """One call of forward as the checks see it: launches counted, torch ops traced, and
        with ``record`` its launch log (``dry``: its launches logged, none run)."""
        from kernelwright.sandbox.recorder import Recorder

        state = self.guards.STATE
        state.reset_forward()
        if record:
            state.recorder = Recorder(args, dict(model.state_dict(keep_vars=True)))
            state.tuned = []
            if dry:
                state.capture, state.dry = state.recorder.steps, True
        try:
            with self.torch.no_grad(), self.guards.op_trace_mode():
                out = model(*args)
        finally:
            recorder, state.recorder, state.capture = state.recorder, None, None
            state.dry = False
        return out, recorder.finish(_as_list(out)) if record else None

    def _dry_forwards(
        self, model, pm, dtype, jobdir: Path, pristine: Pristine | str | None, seed: int, regime
    ) -> None:
        """Forward again on the first trial's inputs, dry (host code runs; launches are logged,
        none runs). What the first log does not show, a replay runs or a refusal says; both go
        into the first log, which is written again.

        - ``DRY_CALLS`` calls in a row, here, each autotuned launch taking the config the first
          trial took: on a GPU forward is called far more often than the CPU's two host
          trials, and each call that logs otherwise than the first (returns an output it kept,
          skips a launch, reuses a buffer) is replayed too (``LaunchLog.later``).
        - One call per other config of the autotune lists, every autotuned launch made to take
          it, each the first call of a copy of the process made before any forward
          (``pristine``; here where there is a GPU; where a copy could not be made, the reason,
          which refuses them): a GPU's
          autotuner may choose any config at its first call, and host code may do otherwise
          once it has (a pre_hook that reads its config, code that reads ``best_config``);
          each must log what that config's replay runs (``LaunchLog.variant``)."""
        log, tuned = self.tuned

        def item(want: LaunchLog, calls: int) -> dict[str, Any]:
            made = [want.steps[i].made() for i in tuned]
            return {"seed": seed, "regime": regime, "forced": made, "calls": calls}

        answer = self._dry_forward(model, pm, dtype, item(log, DRY_CALLS))
        first = log.what_ran()
        for x in answer.get("logs", []):  # distinct already (``_dry_forward``)
            later = LaunchLog.model_validate(x)
            if later.problem:
                answer["error"] = f"a later call of forward: {later.problem}"
            elif later.what_ran() != first:
                log.later.append(later)
        why = answer.get("error")
        variants = [log.variant(tuner, j) for tuner, j in log.variants()]
        if not why and variants:
            items = [item(want, 1) for want, _ in variants]
            if isinstance(pristine, Pristine):
                answers = pristine.ask(items, DRY_FORWARD_TIMEOUT_S)
            elif pristine:  # why no copy of the process was made
                answers = [{"error": pristine}] * len(items)
            else:
                answers = [self._dry_forward(model, pm, dtype, x) for x in items]
            for (want, taken), answer in zip(variants, answers, strict=True):
                got = LaunchLog.model_validate(answer["logs"][0]) if "logs" in answer else None
                if why := answer.get("error") or got.problem or want.first_difference(got):
                    why = (
                        f"with autotune config {'; '.join(taken)} chosen, as a GPU's autotuner "
                        f"may choose it, forward did otherwise than with the config this check "
                        f"ran: {why}"
                    )
                    break
        if why:
            log.problem = why
        if log.problem or log.later:
            (jobdir / "trial0.log.json").write_text(log.model_dump_json())

    def _dry_forward(self, model, pm, dtype, item: dict[str, Any]) -> dict[str, Any]:
        """``item["calls"]`` forwards on a trial's inputs, dry, each autotuned launch taking the
        config that makes ``item["forced"]``: the distinct logs, the first call's first."""
        state = self.guards.STATE
        state.active = False  # the problem's get_inputs runs here, not candidate code
        try:
            inputs = self._inputs(pm, item["seed"], dtype, item["regime"])
        finally:
            state.active = True
        logs: dict[str, Any] = {}
        for _ in range(item["calls"]):
            state.forced = list(item["forced"])
            try:
                args = [trial_inputs.clone(a) for a in inputs]
                _, log = self._traced_forward(model, args, record=True, dry=True)
            finally:
                state.forced = None
            logs.setdefault(log.what_ran(), log)
        return {"logs": [x.model_dump(mode="json") for x in logs.values()]}

    # --- helpers -----------------------------------------------------------------


def _threads() -> int:
    """This process's threads: a fork keeps only the one that forks."""
    return len(os.listdir("/proc/self/task"))


def _reseed() -> None:
    """Every RNG on a seed from the OS: the trials' inputs were just made from their seeds,
    and the candidate's import must neither read one (``torch.initial_seed()``) nor replay it."""
    import numpy
    import torch

    seed = int.from_bytes(os.urandom(8), "little") >> 1
    if _device() == "cpu":
        # No GPU is visible here: torch.manual_seed would also queue CUDA's seeding, recording
        # a stack trace (milliseconds), for a context that is never made.
        torch.default_generator.manual_seed(seed)
    else:
        torch.manual_seed(seed)
    random.seed(seed)
    numpy.random.seed(seed % 2**32)


class _Reference64:
    """The reference in float64: the same Model and weights (rounded to the problem's dtype,
    then widened), on the trial's inputs widened. Precision is judged against it."""

    def __init__(self, pm, init_seed: int, device: str, dtype):
        self.pm, self.init_seed, self.device, self.dtype = pm, init_seed, device, dtype
        self.model = None
        self.notes: list[str] = []

    def __call__(self, inputs: list) -> list | None:
        import torch

        if self.notes:
            return None
        try:
            if self.model is None:
                model = trial_inputs.build(
                    self.pm, self.pm.module.Model, self.init_seed, self.device, self.dtype
                )
                self.model = model.double()
            args = [
                a.double() if isinstance(a, torch.Tensor) and a.is_floating_point() else a
                for a in inputs
            ]
            with torch.no_grad():
                return _as_list(self.model(*args))
        except Exception as e:
            self.notes.append(
                f"no float64 reference ({type(e).__name__}: {str(e)[:200]}): precision is "
                "judged by the declared atol/rtol only"
            )
            return None


def _timing_sets(job: dict[str, Any]) -> int:
    """How many of the plan's last seeds are the timed calls' input sets."""
    return int(job.get("timing_sets", 0)) if job.get("timing") else 0


def _as_list(out) -> list:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _plain(outs: list) -> bool:
    """Every tensor output a plain torch.Tensor: no subclass or lazy object reaches the parent."""
    import torch

    return all(type(o) is torch.Tensor or not isinstance(o, torch.Tensor) for o in outs)


def _poison(tensors) -> None:
    import torch

    for t in tensors:
        if isinstance(t, torch.Tensor) and type(t) is torch.Tensor:
            if t.is_floating_point() or t.is_complex():
                t.fill_(float("nan"))
            elif t.dtype != torch.bool:
                t.fill_(-1)


def _text(value: object) -> str:
    """``str(value)``, or what can be said when the candidate's ``__str__`` raises."""
    try:
        return str(value)
    except BaseException as e:
        return f"<its str() raised {type(e).__name__}>"


def _describe(e: BaseException, candidate_file: str) -> dict[str, Any]:
    """Classify an exception raised by candidate code, for the parent's message."""
    from kernelwright.sandbox.error_line import locate

    tb = traceback.extract_tb(e.__traceback__)
    try:
        code = Path(candidate_file).read_text()
    except OSError:
        code = ""
    # The kernel's line, not the launch's: Triton raises a kernel's errors at its launch.
    where = locate(e, candidate_file, code)
    line = where.line if where else None
    text = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    kind = "exception"
    mod = _text(type(e).__module__ or "")
    etype, message = type(e).__name__, _text(e)
    if etype == "InterpreterError":
        # The interpreter wraps what the kernel raised (once per @triton.jit call it passes
        # through); the innermost error is the news.
        inner = e.__cause__ or e.__context__
        while type(inner).__name__ == "InterpreterError" and (inner.__cause__ or inner.__context__):
            inner = inner.__cause__ or inner.__context__
        kind = "triton_interpreter"
        if inner is not None:
            etype, message = type(inner).__name__, _text(inner)
    elif isinstance(e, SystemExit):
        kind = "exit"
    elif isinstance(e, SyntaxError):
        kind = "syntax"
        line = e.lineno
    elif mod.startswith("triton") and "Compil" in type(e).__name__:
        kind = "triton_compile"
    elif isinstance(e, (ImportError, NameError)) and not any("triton" in f.filename for f in tb):
        kind = "import"
    elif any(
        "triton/runtime/interpreter" in f.filename or "triton/language" in f.filename for f in tb
    ):
        kind = "triton_interpreter"
    return {
        "kind": kind,
        "type": etype,
        "message": message[:2000],
        "line": line,
        "function": where.function if where and line == where.line else None,
        "traceback": text[-6000:],
    }
