"""The trusted replay: a launch log run from the candidate's @triton.jit functions alone.

Runs in a fresh child of the zygote (``zygote.py``), a process that never imported the
candidate. From the source it takes only the @triton.jit function definitions and the
module-level imports and constants they need (``extract_kernels``); nothing else of the
module runs: no class, no host function, no autotune or heuristics decorator or hook (the
log carries the config they chose). It then runs the log (``Replay``) on the reference
side's inputs and ``Model``'s state: a tensor that is neither, nor made during forward, is
poison, and so is every ``empty`` allocation. The outputs it computes are the ones judged.
"""

from __future__ import annotations

import ast
import builtins
from pathlib import Path
from typing import Any

import torch

from kernelwright.sandbox.bounds import Bounds, OutOfBounds
from kernelwright.sandbox.kernel_source import HELPER_MODULES
from kernelwright.sandbox.launchlog import (
    EMPTY_OPS,
    READ_OPS,
    Arg,
    Const,
    Derived,
    HostOp,
    Launch,
    LaunchLog,
    Seq,
    TensorRef,
    refs,
    substitute,
)


class ReplayError(Exception):
    """The log cannot be replayed as written; the message says why, for the candidate."""


# Modules a kernel's module may import for its kernels: Triton's language, math, and the
# helper libraries the source check allows (kernelwright's, inductor's).
KERNEL_MODULES = ("triton", "math", *HELPER_MODULES)
LANGUAGE = "triton.language"
# What `from triton import ...` may bring in for a kernel.
TRITON_NAMES = frozenset(["language", "jit", "cdiv", "next_power_of_2", "constexpr"])
DENIED_CALLABLES = [getattr, setattr, eval, exec, compile, open, __import__, globals, vars]
# What a kernel body may call of Python's own: enough for Triton's frontend, nothing that
# reaches files, modules or other objects.
SAFE_BUILTINS = {
    name: getattr(builtins, name)
    for name in (
        "range",
        "min",
        "max",
        "abs",
        "len",
        "int",
        "float",
        "bool",
        "tuple",
        "list",
        "zip",
        "enumerate",
        "print",
        "isinstance",
        "round",
        "divmod",
        "pow",
        "sum",
        "all",
        "any",
        "reversed",
        "slice",
        "ValueError",
        "AssertionError",
        "TypeError",
        "RuntimeError",
    )
}
# Attributes a kernel body may not name: Triton's machinery beneath the language, and the
# interpreter's handles on the NumPy arrays behind its tensors.
DENIED_ATTRS = frozenset(
    [
        "runtime",
        "compiler",
        "backends",
        "tools",
        "knobs",
        "testing",
        "profiler",
        "handle",
        "data",
        "fn",
        "os",
        "sys",
        "builtins",
        "importlib",
        "subprocess",
        "interpreter_builder",
    ]
)
DENIED_NODES = (
    ast.Import,
    ast.ImportFrom,
    ast.Global,
    ast.Nonlocal,
    ast.ClassDef,
    ast.AsyncFunctionDef,
    ast.Await,
    ast.Yield,
    ast.YieldFrom,
    ast.With,
    ast.AsyncWith,
    ast.Try,
    ast.Delete,
    ast.Lambda,
)


def _is_jit(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return ast.unparse(target) in {"triton.jit", "jit", "triton.language.jit", "tl.jit"}


def _language_module(name: str) -> bool:
    return name == "math" or name.startswith(LANGUAGE) or name.startswith(KERNEL_MODULES[2:])


def _from_allowed(module: str, name: str) -> bool:
    return _language_module(module) or _language_module(f"{module}.{name}")


def _kernel_import(node: ast.stmt) -> ast.stmt | None:
    """The part of an import statement that brings in Triton's language (or math, or the
    allowed helper libraries), or None: never Triton's runtime, compiler or interpreter."""
    if isinstance(node, ast.Import):
        names = [a for a in node.names if a.name == "triton" or _language_module(a.name)]
        keep = ast.Import(names=names)
    elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        if node.module == "triton":
            names = [a for a in node.names if a.name in TRITON_NAMES]
        else:
            # `from torch._inductor.runtime import triton_helpers` names an allowed module
            # inside a package that is not one.
            names = [a for a in node.names if _from_allowed(node.module, a.name)]
        keep = ast.ImportFrom(module=node.module, names=names, level=0)
    else:
        return None
    if not keep.names:
        return None
    return ast.copy_location(keep, node)


def _check_reach(fn: ast.FunctionDef, namespace: dict[str, Any]) -> None:
    """Every dotted name a kernel body reads from a module resolves inside Triton's language
    (or math): ``tl.core.builtins`` or a helper module's ``os`` is refused, whatever path
    reaches it."""
    import types

    for sub in ast.walk(fn):
        if not isinstance(sub, ast.Attribute) or isinstance(sub.value, ast.Attribute):
            continue
        chain, node = [], sub
        while isinstance(node, ast.Attribute):
            chain.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or not isinstance(
            namespace.get(node.id), types.ModuleType
        ):
            continue
        obj = namespace[node.id]
        for attr in reversed(chain):
            obj = getattr(obj, attr, None)
            name = getattr(obj, "__name__", "") if isinstance(obj, types.ModuleType) else None
            if (name is not None and not _language_module(name)) or obj in DENIED_CALLABLES:
                raise ReplayError(
                    f"kernel {fn.name} (line {sub.lineno}): {ast.unparse(sub)} reaches outside "
                    "Triton's language"
                )


def _constant_expr(node: ast.expr, known: set[str]) -> bool:
    """A module constant a kernel may read: literals, arithmetic, earlier constants and
    ``tl.constexpr(...)``."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and sub.id not in known:
            return False
        if isinstance(sub, ast.Call) and ast.unparse(sub.func) not in {
            "tl.constexpr",
            "triton.language.constexpr",
            "constexpr",
            "int",
            "float",
        }:
            return False
        if isinstance(sub, ast.Attribute) and sub.attr.startswith("_"):
            return False
        if isinstance(sub, (ast.Lambda, ast.NamedExpr, ast.Subscript, ast.comprehension)):
            return False
    return True


def _check_body(fn: ast.FunctionDef, module_names: set[str]) -> None:
    """A kernel body that could leave Triton's language is refused before it runs."""
    local = {a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]}
    for sub in ast.walk(fn):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
            local.add(sub.id)
    where = f"kernel {fn.name}"
    for sub in ast.walk(fn):
        line = getattr(sub, "lineno", fn.lineno)
        if isinstance(sub, DENIED_NODES) or (isinstance(sub, ast.FunctionDef) and sub is not fn):
            raise ReplayError(
                f"{where} (line {line}): {type(sub).__name__} is not Triton (a kernel body "
                "is compiled for the GPU; it cannot import, define classes or catch errors)"
            )
        if isinstance(sub, ast.Attribute) and (
            sub.attr.startswith("_") or sub.attr in DENIED_ATTRS
        ):
            raise ReplayError(
                f"{where} (line {line}): .{sub.attr} is not part of Triton's language"
            )
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
            if sub.id not in local and sub.id not in module_names and sub.id not in SAFE_BUILTINS:
                raise ReplayError(
                    f"{where} (line {line}): {sub.id} is not a kernel parameter, a Triton "
                    "module or a module-level constant or @triton.jit function"
                )


def extract_kernels(source: str, filename: str) -> dict[str, Any]:
    """The module's @triton.jit functions, defined from its source alone.

    ``filename`` must hold ``source``: Triton reads a kernel's source from its file."""
    tree = ast.parse(source)
    keep: list[ast.stmt] = []
    names: set[str] = set()
    kernels: list[ast.FunctionDef] = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imp = _kernel_import(node)
            if imp is not None:
                keep.append(imp)
                names |= {(a.asname or a.name).split(".")[0] for a in imp.names}
        elif isinstance(node, ast.FunctionDef) and any(map(_is_jit, node.decorator_list)):
            jit = next(d for d in node.decorator_list if _is_jit(d))
            node.decorator_list = [jit]  # autotune, heuristics and the rest do not run here
            keep.append(node)
            kernels.append(node)
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if all(isinstance(t, ast.Name) for t in targets) and _constant_expr(node.value, names):
                keep.append(node)
                names |= {t.id for t in targets}
    for fn in kernels:
        _check_body(fn, names)
    namespace: dict[str, Any] = {"__builtins__": dict(SAFE_BUILTINS), "__name__": "kw_kernels"}
    namespace["__builtins__"]["__import__"] = _kernel_module_import
    try:
        exec(compile(ast.Module(body=keep, type_ignores=[]), filename, "exec"), namespace)
    except Exception as e:
        raise ReplayError(f"the kernels could not be defined: {type(e).__name__}: {e}") from None
    for fn in kernels:
        _check_reach(fn, namespace)
    return {fn.name: namespace[fn.name] for fn in kernels}


def _kernel_module_import(name, globals=None, locals=None, fromlist=(), level=0):
    allowed = name.startswith(KERNEL_MODULES) or (
        fromlist and all(_from_allowed(name, f) for f in fromlist)
    )
    if level or not allowed:
        raise ImportError(f"{name} is not a kernel module")
    return builtins.__import__(name, globals, locals, fromlist, level)


def poison(t: torch.Tensor) -> None:
    """Values no kernel of a correct candidate ever leaves in an output: NaN, or the largest
    integer."""
    if t.is_floating_point() or t.is_complex():
        t.fill_(float("nan"))
    elif t.dtype == torch.bool:
        t.fill_(True)
    else:
        t.fill_(torch.iinfo(t.dtype).max)


def _poison_bytes(nbytes: int, device: str) -> torch.UntypedStorage:
    t = torch.full((nbytes,), 0xFF, dtype=torch.uint8, device=device)  # all-ones: NaN, -1
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
    ):
        self.log = log
        # The candidate's source file, where each launch's memory accesses are bounds-checked
        # (the interpreter only); None where kernels run compiled.
        self.bounds_file = bounds_file
        self.device = device
        self.notes: list[str] = []
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
                st = _poison_bytes(b.nbytes, device)
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
        return const(a, self.device)

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
        kernel = kernels.get(step.kernel)
        if kernel is None:
            raise ReplayError(
                f"kernel {step.kernel} is not a module-level @triton.jit function of the "
                "source: only those are replayed"
            )
        params = {k: self.value(v) for k, v in step.params.items()}
        options = {k: self.value(v) for k, v in step.options.items()}
        if len(step.grid) != 3 or any(g < 0 for g in step.grid):
            raise ReplayError(f"launch of {step.kernel} with grid {step.grid}")
        if self.bounds_file is None:
            kernel[tuple(step.grid)](**params, **options)
            return
        with Bounds(step.kernel, self._arguments(step), self.bounds_file) as bounds:
            try:
                kernel[tuple(step.grid)](**params, **options)
            except Exception:
                if bounds.violation is None:
                    raise
            # Whatever became of the exception on its way out of the interpreter.
            if bounds.violation is not None:
                raise OutOfBounds(bounds.violation)

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


def const(c: Const, device: str) -> Any:
    if c.type == "dtype":
        return getattr(torch, str(c.value))
    if c.type == "device":
        return torch.device(device)
    if c.type in ("memory_format", "layout"):
        return getattr(torch, str(c.value))
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
    from kernelwright.sandbox import guards, interp_memory, trial_inputs
    from kernelwright.sandbox.verify import bitwise_equal

    # A folder of its own, made now: the candidate's process, which shared the job folder, is
    # gone, and nothing it left there has this name.
    jobdir = Path(tempfile.mkdtemp(prefix="replay", dir=job["dir"]))
    os.environ["TRITON_CACHE_DIR"] = str(jobdir / "triton-cache")
    device = job["device"]
    interpreter = os.environ.get("TRITON_INTERPRET") == "1"
    info = read_problem(job["problem"], job["problem_source"])
    pm = exec_problem(info, job.get("shape"), job.get("draw_seed", 0), device)
    dtype, _ = trial_inputs.run_dtype(pm, interpreter)
    model = trial_inputs.build(pm, pm.module.Model, job["init_seed"], device, dtype)
    state = {k: v.detach() for k, v in model.state_dict().items()}
    source_file = jobdir / "kernels.py"  # Triton reads each kernel's source from its file
    source_file.write_text(job["source"])
    logs = [LaunchLog.model_validate(x) for x in job["logs"]]
    program = {k: Derived.model_validate(v) for k, v in (job.get("program") or {}).items()}
    if job.get("allow_torch_ops"):
        allowed = lambda name: True  # noqa: E731
    else:
        allowed = lambda name: name in guards.ALLOWED_OPS or name.rstrip("_") in guards.ALLOWED_OPS  # noqa: E731
    bounds_file = None
    if interpreter:
        interp_memory.install()  # the zygote did; a replay must never run unwatched
        bounds_file = str(source_file)
    try:
        kernels = extract_kernels(job["source"], str(source_file))
    except ReplayError as e:
        return {"error": str(e), "replays": []}
    replays = []
    for n, (k, seed, regime) in enumerate(job["plan"]):
        inputs = trial_inputs.make_inputs(pm, seed, device, dtype, regime)
        pristine = [trial_inputs.clone(a) for a in inputs]
        report: dict[str, Any] = {"log": k, "seed": seed, "file": None, "error": None}
        try:
            with torch.no_grad():
                state_copy = {name: t.clone() for name, t in state.items()}
                replay = Replay(logs[k], inputs, state_copy, device, program, bounds_file)
                outs = replay.run(kernels, allowed)
            if device.startswith("cuda"):
                torch.cuda.synchronize()
        except OutOfBounds as e:
            report.update(error=str(e), out_of_bounds=e.violation.model_dump())
            replays.append(report)
            continue
        except ReplayError as e:
            report["error"] = str(e)
            replays.append(report)
            continue
        except Exception as e:
            inner = e.__cause__ or e
            report["error"] = f"{type(inner).__name__}: {inner}"[:2000]
            report["launch_failed"] = True
            replays.append(report)
            continue
        file = jobdir / f"replay{n}.pt"
        torch.save({"outputs": outs}, file)
        report.update(
            file=str(file),
            mutated=[
                i
                for i, (a, b) in enumerate(zip(pristine, inputs, strict=True))
                if not bitwise_equal(a, b)
            ],
            notes=replay.notes,
        )
        replays.append(report)
    return {"error": None, "replays": replays}
