"""The trusted replay: a launch log run from the candidate's @triton.jit functions alone.

Runs in a fresh child of the zygote (``zygote.py``), a process that never imported the
candidate. From the source it takes only the @triton.jit function definitions and the
module-level imports and constants they need (``kernel_source``, the extraction the
ahead-of-time compiler uses too, made once by the pool and sent with the request); nothing
else of the module runs: no class, no host function, no autotune or heuristics decorator or hook (the
log carries the config they chose). It then runs the log (``Replay``) on the reference
side's inputs and ``Model``'s state: a tensor that is neither, nor made during forward, is
poison, and so is every ``empty`` allocation. The outputs it computes are the ones judged.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import functools
import json
import math
import secrets
from pathlib import Path
from typing import Any

import torch

from kernelwright.sandbox import (
    interleave,
    interp_rewrite,
    kernel_identity,
    kernel_source,
    launch_signature,
    program_order,
    semantics,
    static_values,
)
from kernelwright.sandbox.bounds import Bounds, OutOfBounds
from kernelwright.sandbox.hints import FalseHint, Hints
from kernelwright.sandbox.lane_races import LaneRaceFound, LaneRaces, Unsettled
from kernelwright.sandbox.launchlog import (
    EMPTY_OPS,
    READ_OPS,
    Arg,
    Const,
    Derived,
    Desc,
    HostOp,
    Launch,
    LaunchLog,
    Seq,
    TensorRef,
    refs,
    substitute,
)
from kernelwright.sandbox.races import RaceFound, Races
from kernelwright.sandbox.static_values import Probe
from kernelwright.sandbox.undefined import Undefined, UndefinedOp


class ReplayError(Exception):
    """The log cannot be replayed as written; the message says why, for the candidate."""


KERNEL_FILE = "kernels.py"


def load_kernels(
    source: str,
    folder: Path,
    interpreted: bool,
    extracted: kernel_source.Extracted | None = None,
) -> tuple[dict[str, Any], Probe | None]:
    """The source's @triton.jit functions, defined from what ``kernel_source`` extracts alone:
    no other code of the module runs here. Run by the interpreter, their expressions are probed
    for what the compiler fixes at compile time, the builtins the compiler reads as its own
    functions are those functions (``static_values``), and a tuple assigned and a ``range``
    loop's variable are typed as compiled (``interp_rewrite``)."""
    import triton

    extracted = extracted or kernel_source.extract(source)
    if extracted.refused:
        raise ReplayError(str(next(iter(extracted.refused.values()))))
    probe, extra, names = None, {}, None
    if interpreted:
        interp_rewrite.install()  # the zygote did for the trials; a replay reads alike too
        names = static_values.compiler_names()
        tag = secrets.token_hex(8)  # names no candidate can have bound or call
        static, call = f"__kw_static_{tag}", f"__kw_call_{tag}"
        text, sites, calls = static_values.probed(extracted.text, extracted.kernels, static, call)
        probe = Probe(extracted.text, sites, calls)
        extra = {static: probe.static, call: probe.call}
        extracted = dataclasses.replace(extracted, text=text)
    path = folder / KERNEL_FILE  # Triton reads each kernel's source from its file
    path.write_text(extracted.text)
    try:
        kernels = kernel_source.define(extracted, str(path), triton.jit, extra, names)
        kernel_source.interpreted_as_checked(kernels, extracted.text)
        return kernels, probe
    except kernel_source.KernelSourceError as e:
        raise ReplayError(str(e)) from None


def poison(t: torch.Tensor) -> None:
    """Values no kernel of a correct candidate ever leaves in an output: NaN, or the largest
    integer."""
    if t.is_floating_point() or t.is_complex():
        t.fill_(float("nan"))
    elif t.dtype == torch.bool:
        t.fill_(True)
    else:
        t.fill_(torch.iinfo(t.dtype).max)


# Memory made outside forward (in __init__, at import) is poison in every replay, and another
# poison in every second one: a kernel that relies on what it holds (a counter kept across calls,
# which reads as -1 in all-ones memory) computes otherwise in one of them.
_FOREIGN = "memory made outside forward"
_FOREIGN_FILLS = (0xFF, 0x7F)  # all-ones (NaN, -1), and a large positive number in every dtype


def _poison_bytes(nbytes: int, device: str, fill: int = 0xFF) -> torch.UntypedStorage:
    t = torch.full((nbytes,), fill, dtype=torch.uint8, device=device)
    return t.untyped_storage()


def _op(name: str, allowed) -> Any:
    parts = name.split(".")
    if len(parts) != 3 or parts[0] != "aten":
        raise ReplayError(f"host op {name} is not a torch op the replay knows")
    if not allowed(parts[1]):
        raise ReplayError(f"host op {name} computes: only allocation, view and layout ops replay")
    try:
        return getattr(getattr(torch.ops.aten, parts[1]), parts[2])
    except AttributeError:
        raise ReplayError(f"host op {name} is not a torch op the replay knows") from None


class Replay:
    """One run of one log on one set of inputs."""

    def __init__(
        self,
        log: LaunchLog,
        inputs: list,
        state: dict[str, torch.Tensor],
        device: str,
        program: dict[str, Derived] | None = None,
        bounds_file: str | None = None,
        reorder: int | None = None,
        probe: Probe | None = None,
        foreign_fill: int = 0xFF,
    ):
        self.log = log
        self.probe = probe  # the interpreter only: what the compiler folds, held against it
        # The candidate's source file, where each launch's memory accesses are bounds-checked
        # (the interpreter only); None where kernels run compiled.
        self.bounds_file = bounds_file
        # With a seed, the programs of each launch run in another order than the interpreter's
        # (reversed, or interleaved by that seed).
        self.reorder = reorder
        self.reversed: list[str] = []  # the kernels whose programs ran in another order
        self.device = device
        self.notes: list[str] = []
        self.unsettled: list[Unsettled] = []
        self.program = program or {}
        self.reads: list = []  # what host ops read back here, for the values derived from them
        self.storages: list[torch.UntypedStorage | None] = []
        for b in log.buffers:
            st = None
            if b.kind == "input":
                a = inputs[b.input] if b.input is not None and b.input < len(inputs) else None
                if not isinstance(a, torch.Tensor) or a.untyped_storage().nbytes() != b.nbytes:
                    raise ReplayError(f"the log's input {b.input} is not forward's input")
                st = a.untyped_storage()
            elif b.kind == "state":
                t = state.get(b.name or "")
                if t is not None and t.untyped_storage().nbytes() == b.nbytes:
                    st = t.untyped_storage()
                else:
                    self.notes.append(
                        f"state {b.name} is not in Model's state_dict (or has another size): "
                        "replayed as poison"
                    )
                    st = _poison_bytes(b.nbytes, device)
            elif b.kind == "foreign":
                st = _poison_bytes(b.nbytes, device, foreign_fill)
                if foreign_fill != 0xFF and not any(n.startswith(_FOREIGN) for n in self.notes):
                    self.notes.append(
                        f"{_FOREIGN} held bytes {foreign_fill:#04x} in this replay (0xff in "
                        "others): no kernel may rely on what it holds"
                    )
            self.storages.append(st)

    def view(self, r: TensorRef) -> torch.Tensor:
        st = self.storages[r.buffer] if 0 <= r.buffer < len(self.storages) else None
        if st is None:
            raise ReplayError(f"buffer {r.buffer} is used before forward made it")
        dtype = getattr(torch, r.dtype, None)
        if not isinstance(dtype, torch.dtype) or len(r.shape) != len(r.strides):
            raise ReplayError(f"a tensor of dtype {r.dtype!r} and shape {r.shape}")
        item = torch.empty((), dtype=dtype).element_size()
        if r.offset < 0 or any(s < 0 for s in r.strides) or any(n < 0 for n in r.shape):
            raise ReplayError("a view with a negative offset, stride or size")
        if all(r.shape):
            last = r.offset + sum((n - 1) * s for n, s in zip(r.shape, r.strides, strict=True))
            if (last + 1) * item > st.nbytes():
                raise ReplayError("a view reaching past the end of its buffer")
        t = torch.empty(0, dtype=dtype, device=self.device)
        return t.set_(st, r.offset, r.shape, r.strides)

    def value(self, a: Arg) -> Any:
        if isinstance(a, TensorRef):
            return self.view(a)
        if isinstance(a, Seq):
            items = [self.value(x) for x in a.items]
            return tuple(items) if a.tuple else items
        if isinstance(a, Desc):
            return self.descriptor(a)
        return const(a, self.device)

    def descriptor(self, d: Desc):
        """A TensorDescriptor of the log's fields, over a base whose buffer holds every element
        the descriptor's shape and strides reach: a compiled kernel's copies (TMA) stay inside
        the shape, and so must the shape inside the memory."""
        from triton.tools.tensor_descriptor import TensorDescriptor

        base = self.view(d.extent())
        try:
            return TensorDescriptor(
                base, d.shape, d.strides, d.block_shape, d.padding, d.round_f32_to_tf32
            )
        except (AssertionError, ValueError, TypeError) as e:
            raise ReplayError(f"a TensorDescriptor Triton refuses: {e}") from None

    def host(self, step: HostOp, allowed) -> None:
        op = _op(step.op, allowed)
        args = [self.value(a) for a in step.args]
        kwargs = {k: self.value(v) for k, v in step.kwargs.items()}
        out = op(*args, **kwargs)
        got = list(out) if isinstance(out, (tuple, list)) else [out]
        if len(got) != len(step.outs):
            raise ReplayError(
                f"host op {step.op} made {len(got)} results, the log says {len(step.outs)}"
            )
        for recorded, t in zip(step.outs, got, strict=True):
            if isinstance(recorded, TensorRef) and isinstance(t, torch.Tensor):
                if self.storages[recorded.buffer] is None:
                    size = self.log.buffers[recorded.buffer].nbytes
                    if not self.program and t.untyped_storage().nbytes() != size:
                        raise ReplayError(f"host op {step.op} made a buffer of another size")
                    self.storages[recorded.buffer] = t.untyped_storage()
                    if step.name in EMPTY_OPS:
                        poison(t)
            elif isinstance(recorded, Const) and step.name in READ_OPS:
                self.reads.append(_plain(t))

    def launch(self, step: Launch, kernels: dict[str, Any]) -> None:
        if "launch_pdl" in step.options and self.value(step.options["launch_pdl"]):
            raise ReplayError(
                f"the launch of {step.kernel} takes launch_pdl=True (programmatic dependent "
                "launch): on a GPU it may start before the previous launch has finished, and "
                "the CPU replay, which runs one launch after the other, cannot check what it "
                "reads of that launch's output (nor run gdc_wait): launch without launch_pdl"
            )
        kernel = kernels.get(step.kernel)
        if kernel is None:
            raise ReplayError(
                f"kernel {step.kernel} is not a module-level @triton.jit function of the "
                "source: only those are replayed"
            )
        foreign = launch_signature.foreign_argument(step, _pointer_params(kernel))
        if foreign:
            raise ReplayError(f"the launch of {step.kernel}: {foreign}")
        params = {k: self.value(v) for k, v in step.params.items()}
        if self.probe is not None:  # the interpreter
            params = _as_launched(kernel, step, params)
        options = {k: self.value(v) for k, v in step.options.items()}
        if len(step.grid) != 3 or any(g < 0 for g in step.grid):
            raise ReplayError(f"launch of {step.kernel} with grid {step.grid}")
        grid = tuple(step.grid)
        if self.bounds_file is None:
            with self._watched(step):
                kernel[grid](**params, **options)
            return
        # Half the replays change the order the programs run in (``program_order``): reversed,
        # or, for a kernel that may synchronise its programs (an atomic, a volatile load: one
        # waiting on another would wait forever reversed), interleaved (``interleave``).
        reorder = self.reorder is not None and math.prod(grid) > 1
        if reorder and step.kernel not in self.reversed:
            if self.reversed:
                self.notes.pop(0)  # one note names them all, first: a mismatch shows three
            self.reversed.append(step.kernel)
            self.notes.insert(0, program_order.note(self.reversed))
        order = contextlib.nullcontext()
        if reorder and program_order.order_free(kernel):
            order = program_order.reversed_programs(grid)
        elif reorder:
            order = interleave.interleaved(self.reorder)
        lines = self.probe.lines if self.probe else None
        file = self.bounds_file
        with (
            self._watched(step),
            Bounds(step.kernel, self._arguments(step), file, lines) as bounds,
            Races(step.kernel, file, lines) as race,
            LaneRaces(step.kernel, file, lines) as lane_race,
            Hints(step.kernel, file, lines) as hint,
            Undefined(step.kernel, file, lines) as undefined,
            order,
        ):
            try:
                kernel[grid](**params, **options)
            except Exception:
                if bounds.violation is None and hint.violation is None and not undefined.violation:
                    raise
            # Whatever became of the exception on its way out of the interpreter.
            if bounds.violation is not None:
                raise OutOfBounds(bounds.violation)
            if hint.violation is not None:
                raise FalseHint(hint.violation)
            if undefined.violation is not None:
                raise UndefinedOp(undefined.violation)
        found = race.race()
        if found is not None:
            raise RaceFound(found)
        if lane_race.found is not None:
            raise LaneRaceFound(lane_race.found)
        record = json.dumps(launch_signature.record(step), sort_keys=True, default=str)
        self.unsettled.extend(
            h.model_copy(update={"record": record}) for h in lane_race.unsettled.values()
        )

    def _watched(self, step: Launch):
        if self.probe is None:
            return contextlib.nullcontext()
        return self.probe.launch(launch_signature.record(step))

    def _arguments(self, step: Launch) -> list[tuple[str, torch.UntypedStorage]]:
        """The storage behind each tensor parameter of a launch, named for the candidate."""
        found = []
        for name, arg in step.params.items():
            items = [(name, arg)]
            if isinstance(arg, Seq):
                items = [(f"{name}[{i}]", a) for i, a in enumerate(arg.items)]
            for label, a in items:
                for r in refs(a):
                    st = self.storages[r.buffer]
                    if st is not None:
                        found.append((f"{label}, {self._describe(r.buffer)}", st))
        return found

    def _describe(self, buffer: int) -> str:
        b = self.log.buffers[buffer]
        if b.kind == "input":
            return f"forward's input {b.input}"
        if b.kind == "state":
            return f"state {b.name}"
        if b.kind == "forward":
            return f"made in forward by {b.op}" if b.op else "made in forward"
        return "a tensor of unknown origin"

    def run(self, kernels: dict[str, Any], allowed) -> list:
        for n, step in enumerate(self.log.steps):
            try:
                step = substitute(step, n, self.program, self.reads)
            except ValueError as e:
                raise ReplayError(str(e)) from None
            if isinstance(step, Launch):
                self.launch(step, kernels)
            else:
                self.host(step, allowed)
        outs = [self.value(o) for o in self.log.outputs]
        return [o.clone() if isinstance(o, torch.Tensor) else o for o in outs]


def _launched_otherwise(
    log: LaunchLog, kernels: dict[str, Any], defs: dict[str, str]
) -> str | None:
    """Why some launch of ``log`` ran other code than the replay runs, or None."""
    for step in log.launches:
        kernel = kernels.get(step.kernel)
        if kernel is not None:  # an unknown name is the replay's own error, at the launch
            namespace = getattr(getattr(kernel, "fn", None), "__globals__", {})
            why = kernel_identity.mismatch(
                step.kernel, step.sources, step.constants, defs, namespace
            )
            if why:
                return why
    return None


def _as_launched(kernel, step: Launch, params: dict[str, Any]) -> dict[str, Any]:
    """Scalar arguments as Triton's launcher hands them to a compiled kernel, every one, where
    the interpreter would type them by rules of its own (``_implicit_cvt``: an int in
    [2**31, 2**32) is uint32 data under an int64 type, whose shift is then arithmetic); read
    off the same parameters (``KernelParam``'s do_not_specialize, as Triton reads the option)
    and typed by the same rule (``launch_signature.int_spec``) as the compile's signature
    (``aot.signature``). A float is a float32 (a Python float keeps double precision, and
    1.0000000001 - 1.0 is not 0 there); an int equal to 1 is folded into the kernel as a
    constant (a weak literal: int8 * one stays int8), unless do_not_specialize names it; a
    tuple's leaves are typed the same way, and folded whatever do_not_specialize says, as the
    launcher does."""
    out = dict(params)
    for p in _launcher_params(kernel):
        arg = step.params.get(p.name)
        if not (p.is_constexpr or p.name in step.constexprs or arg is None):
            fold_one = isinstance(arg, Seq) or not p.do_not_specialize
            out[p.name] = _launched(arg, params[p.name], fold_one)
    return out


def _launched(arg: Arg, value: Any, fold_one: bool) -> Any:
    """One argument (a tuple leaf by leaf) as the launcher hands it to a compiled kernel."""
    import numpy as np
    import triton.language as tl
    from triton.runtime.interpreter import TensorHandle, _get_np_dtype

    if isinstance(arg, Seq):
        return tuple(_launched(a, v, fold_one) for a, v in zip(arg.items, value, strict=True))
    if not isinstance(arg, Const):
        return value
    if arg.type == "int" and arg.value == 1 and fold_one:
        return tl.constexpr(1)
    if arg.type == "float":
        ty = tl.float32
    elif arg.type == "bool":
        ty = tl.int1
    elif arg.type == "int":
        ty = getattr(tl, _LAUNCHED_INT[launch_signature.int_spec(arg.value)["type"]])
    else:
        return value
    return tl.tensor(TensorHandle(np.array([arg.value], dtype=_get_np_dtype(ty)), ty), ty)


# The launcher's types of an int argument (``launch_signature.int_spec``), as Triton's dtypes.
_LAUNCHED_INT = {"i32": "int32", "i64": "int64", "u64": "uint64"}


@functools.cache
def _launcher_params(kernel) -> list:
    """Triton's own reading of a kernel's parameters (``KernelParam``), once per kernel: a
    JITFunction re-reads the source each time it is made."""
    from triton.runtime.jit import JITFunction

    return JITFunction(kernel.fn, **kernel.kwargs).params


def _pointer_params(kernel) -> set[str]:
    """The kernel's parameters that take a tensor as a pointer: those Triton's compiler does not
    read as constexpr from the annotation (the interpreter's constexprs are a subset)."""
    return {p.name for p in _launcher_params(kernel) if not p.is_constexpr}


# A constant named by torch's attribute: only a value of its declared type is rebuilt (the
# log is data: "softmax" is no dtype).
_TORCH_CONSTS = {"dtype": torch.dtype, "memory_format": torch.memory_format, "layout": torch.layout}


def const(c: Const, device: str) -> Any:
    if c.type in _TORCH_CONSTS:
        value = getattr(torch, str(c.value), None)
        if not isinstance(value, _TORCH_CONSTS[c.type]):
            raise ReplayError(f"{c.value!r} is not a torch {c.type}")
        return value
    if c.type == "device":
        return torch.device(device)
    if c.type == "tl_dtype":
        import triton.language as tl

        return tl.dtype(str(c.value))
    return c.value


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, torch.Tensor) else v


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """A replayer job: every (log, seed) of the plan replayed, outputs saved in the job folder."""
    import os
    import tempfile

    from kernelwright.problem import exec_problem, read_problem
    from kernelwright.sandbox import guards, hints, interp_memory, trial_inputs
    from kernelwright.sandbox.verify import bitwise_equal

    # A folder of its own, made now: the candidate's process, which shared the job folder, is
    # gone, and nothing it left there has this name.
    jobdir = Path(tempfile.mkdtemp(prefix="replay", dir=job["dir"]))
    device = job["device"]
    interpreter = os.environ.get("TRITON_INTERPRET") == "1"
    info = read_problem(job["problem"], job["problem_source"])
    pm = exec_problem(info, job.get("shape"), job.get("draw_seed", 0), device)
    dtype = trial_inputs.run_dtype(pm)
    model = trial_inputs.build(pm, pm.module.Model, job["init_seed"], device, dtype)
    state = {k: v.detach() for k, v in model.state_dict().items()}
    logs = [LaunchLog.model_validate(x) for x in job["logs"]]
    program = {k: Derived.model_validate(v) for k, v in (job.get("program") or {}).items()}
    if job.get("allow_torch_ops"):
        allowed = lambda name: True  # noqa: E731
    else:
        allowed = lambda name: name in guards.ALLOWED_OPS or name.rstrip("_") in guards.ALLOWED_OPS  # noqa: E731
    bounds_file = None
    if interpreter:
        interp_memory.install()  # the zygote did; a replay must never run unwatched
        hints.install()
        bounds_file = str(jobdir / KERNEL_FILE)
    try:
        given = job.get("extracted")
        extracted = (
            kernel_source.Extracted.load(given) if given else kernel_source.extract(job["source"])
        )
        kernels, probe = load_kernels(job["source"], jobdir, interpreter, extracted)
    except ReplayError as e:
        return {"error": str(e), "replays": []}
    # What each launch ran must be what is replayed (``kernel_identity``): a property of the
    # log, not of the inputs, so settled once per log.
    defs = {
        n.name: kernel_identity.def_digest(n, n.name)
        for n in ast.parse(extracted.text).body
        if isinstance(n, ast.FunctionDef)
    }
    other = [_launched_otherwise(log, kernels, defs) for log in logs]

    def replay_one(
        n: int, k: int, log: LaunchLog, seed: int, regime, refused, fill: int | None = None
    ) -> dict[str, Any]:
        inputs = trial_inputs.make_inputs(pm, seed, device, dtype, regime)
        pristine = [trial_inputs.clone(a) for a in inputs]
        report: dict[str, Any] = {"log": k, "seed": seed, "file": None, "error": None}
        if refused:
            report["error"] = refused
            return report
        try:
            with torch.no_grad():
                state_copy = {name: t.clone() for name, t in state.items()}
                reorder = seed if program_order.reversed_replay(n) else None
                replay = Replay(
                    log,
                    inputs,
                    state_copy,
                    device,
                    program,
                    bounds_file,
                    reorder,
                    probe,
                    _FOREIGN_FILLS[n % 2] if fill is None else fill,
                )
                # The interpreter is one legal execution; this replay computes the ops a
                # compiler may lower otherwise the other legal way (``semantics``).
                perturb = interpreter and semantics.perturbed_replay(n)
                with semantics.perturbed(seed, n) if perturb else contextlib.nullcontext() as sem:
                    outs = replay.run(kernels, allowed)
                if sem is not None and sem.applied:
                    replay.notes.insert(0, semantics.note(sem.applied))
            if device.startswith("cuda"):
                torch.cuda.synchronize()
        except interp_memory.Refusal as e:  # out of bounds, a race, a false hint, undefined
            report.update({"error": str(e), e.field: e.record.model_dump()})
            return report
        except ReplayError as e:
            report["error"] = str(e)
            return report
        except Exception as e:
            inner = e.__cause__ or e
            report["error"] = f"{type(inner).__name__}: {inner}"[:2000]
            report["launch_failed"] = True
            return report
        file = jobdir / f"replay{n}.pt"
        torch.save({"outputs": outs}, file)
        report.update(
            file=str(file),
            mutated=[
                i
                for i, (a, b) in enumerate(zip(pristine, inputs, strict=True))
                if not bitwise_equal(a, b)
            ],
            state_mutated=[
                name for name, t in state_copy.items() if not bitwise_equal(t, state[name])
            ],
            notes=replay.notes,
            unsettled=[h.model_dump() for h in replay.unsettled],
        )
        return report

    plan = job["plan"]
    replays = [
        replay_one(n, k, logs[k], seed, regime, other[k])
        for n, (k, seed, regime) in enumerate(plan)
    ]
    # On the first replayed trial's inputs: every other config of an autotuned launch's list (a
    # GPU's autotuner may pick any), and forward's later calls where they logged otherwise.
    extras = []
    if plan:
        k, seed, regime = plan[0]
        for tuner, j in logs[k].variants():
            log, taken = logs[k].variant(tuner, j)
            extras.append((log, other[k], {"config": "; ".join(taken)}))
        # A later call's log holds what earlier calls left in memory made outside this call:
        # it is replayed under each poison.
        for i, log in enumerate(logs[k].later):
            refused = _launched_otherwise(log, kernels, defs)
            extras += [(log, refused, {"later": i}, fill) for fill in _FOREIGN_FILLS]
        extras = [
            {**replay_one(len(plan) + n, k, log, seed, regime, refused, *fill), **what}
            for n, (log, refused, what, *fill) in enumerate(extras)
        ]
    return {
        "error": None,
        "replays": replays,
        "extras": extras,
        "probed": probe.dump() if probe else None,
    }
