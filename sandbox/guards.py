"""Guards: early, specific messages for a candidate that breaks a rule.

They are not the line of defence: the verdict rests on the trusted replay of the launch log
(``replay.py``), which no code in the candidate's process can forge. ``static_violations``
reads the source (AST) before anything runs and names forbidden imports, attributes and
patching. In the candidate's process, ``install`` counts launches and traces torch compute at
the dispatcher (the op trace, which also feeds the launch log), and refuses tensor data handed
to NumPy and side streams. What only an attacker does at run time (frames, gc, patching,
threads, subprocesses, switching the trace off, imports by built names) is not watched: it can
shape only its own process's report, and the replay judges none of that (see the README).
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass
from typing import Any

# Modules whose use in a candidate has no legitimate purpose in a kernel module.
FORBIDDEN_IMPORTS = {
    "gc": "reaching into other objects (gc)",
    "inspect": "reaching into frames and other objects (inspect)",
    "ctypes": "raw memory and process access (ctypes)",
    "threading": "threads",
    "_thread": "threads",
    "multiprocessing": "subprocesses",
    "concurrent": "threads or subprocesses (concurrent.futures)",
    "subprocess": "subprocesses",
    "signal": "signal handlers",
    "socket": "network access",
    "pickle": "deserialising arbitrary objects",
    "kernelwright": "reaching into the checker (kernelwright)",
}
# Libraries of @triton.jit helpers, inside forbidden packages: kernelwright's own, and the
# one inductor's kernels call (libdevice wrappers, reductions).
ALLOWED_HELPERS = ("kernelwright.prompts.kwlib", "torch._inductor.runtime.triton_helpers")

# torch's compilers write kernels themselves: a candidate that calls them wrote none.
COMPILERS = "torch's compilers write the kernels (torch.compile, dynamo, inductor), not you"

RAW_MEMORY = "reads of tensor memory outside the dispatcher (DLPack, ctypes, /proc/self/mem)"

FORBIDDEN_ATTRS = {
    "_getframe": "reading interpreter frames (sys._getframe)",
    "_current_frames": "reading interpreter frames (sys._current_frames)",
    "f_back": "reading interpreter frames",
    "f_locals": "reading interpreter frames",
    "f_globals": "reading interpreter frames",
    "tb_frame": "reading interpreter frames (through a traceback)",
    "gi_frame": "reading interpreter frames (through a generator)",
    "cr_frame": "reading interpreter frames (through a coroutine)",
    "ag_frame": "reading interpreter frames (through a generator)",
    "settrace": "tracing the interpreter",
    "setprofile": "tracing the interpreter",
    "__globals__": "reaching into other functions' globals",
    "__closure__": "reaching into other functions' state",
    "__subclasses__": "reaching into other objects (__subclasses__)",
    "get_objects": "reaching into other objects (gc.get_objects)",
    "get_referrers": "reaching into other objects (gc.get_referrers)",
    "Stream": "work on a side stream (torch.cuda.Stream)",
    "set_stream": "work on a side stream",
    "fork": "subprocesses (os.fork)",
    "system": "subprocesses (os.system)",
    "_exit": "ending the process (os._exit)",
    "kill": "signalling processes (os.kill)",
    "__dlpack__": RAW_MEMORY,
    "from_dlpack": RAW_MEMORY,
    "to_dlpack": RAW_MEMORY,
    "__cuda_array_interface__": RAW_MEMORY,
    "ctypeslib": RAW_MEMORY,
    "from_address": RAW_MEMORY,
    "string_at": RAW_MEMORY,
}
# Ways around the dispatcher hook that traces forward's torch ops: modes popped or disabled,
# the Python dispatch key excluded, an op redispatched below it. Any attribute of torch whose
# name says "dispatch" counts too (see _dispatch_bypass).
UNTRACE = "switching off the trace of torch ops (dispatch modes, dispatch keys, redispatch)"
DISPATCH_BYPASS_NAMES = {
    "redispatch",
    "redispatch_boxed",
    "_op_dk",
    "_disable_current_modes",
    "_pop_mode",
    "_pop_mode_temporarily",
}

# Attributes forbidden on one root only: the same names elsewhere are ordinary.
FORBIDDEN_ROOT_ATTRS = {
    ("sys", "modules"): "reaching into loaded modules, the checker's included (sys.modules)",
    ("torch", "compile"): COMPILERS,
    ("torch", "_dynamo"): COMPILERS,
    ("torch", "_inductor"): COMPILERS,
}

# torch's documented numeric settings: data, not functions the check relies on, so setting
# one (tf32 off, say) is a choice of precision, not patching.
NUMERIC_FLAGS = frozenset(
    [
        "torch.backends.cuda.matmul.allow_tf32",
        "torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction",
        "torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction",
        "torch.backends.cuda.matmul.fp32_precision",
        "torch.backends.cudnn.allow_tf32",
        "torch.backends.cudnn.benchmark",
        "torch.backends.cudnn.deterministic",
        "torch.backends.cudnn.fp32_precision",
        "torch.backends.fp32_precision",
    ]
)

# Roots whose attributes a candidate must not assign: patching them changes the check.
PROTECTED_ROOTS = {
    "torch",
    "triton",
    "time",
    "os",
    "sys",
    "builtins",
    "np",
    "numpy",
    "F",
    "nn",
    "tl",
}

# Allocation, view and layout ops: what a kernel's forward needs besides its launches.
ALLOWED_OPS = frozenset(
    [
        "empty",
        "empty_like",
        "empty_strided",
        "new_empty",
        "new_empty_strided",
        "zeros",
        "zeros_like",
        "new_zeros",
        "ones",
        "ones_like",
        "new_ones",
        "full",
        "full_like",
        "new_full",
        "fill_",
        "zero_",
        "arange",
        "scalar_tensor",
        "view",
        "_unsafe_view",
        "reshape",
        "_reshape_alias",
        "view_as",
        "permute",
        "transpose",
        "t",
        "expand",
        "expand_as",
        "squeeze",
        "unsqueeze",
        "flatten",
        "unflatten",
        "slice",
        "select",
        "narrow",
        "split",
        "split_with_sizes",
        "chunk",
        "unbind",
        "as_strided",
        "alias",
        "detach",
        "clone",
        "contiguous",
        "copy_",
        "_to_copy",
        "to",
        "lift_fresh",
        "lift_fresh_copy",
        "_local_scalar_dense",
        "item",
        "is_same_size",
        "resize_",
        "set_",
        "movedim",
        "_has_compatible_shallow_copy_type",
        "is_nonzero",
    ]
)


@dataclass
class Violation:
    rule: str
    detail: str
    line: int | None = None

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"{self.rule}: {self.detail}{where}"


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _dispatch_bypass(name: str, root: str | None = "torch") -> bool:
    """A name that reaches around the op trace: one of the known ones, or torch's own
    dispatch machinery (``torch._C._DisableTorchDispatch``, ``torch.utils._python_dispatch``)."""
    return name in DISPATCH_BYPASS_NAMES or (root == "torch" and "dispatch" in name.lower())


def _forbidden_module(name: str) -> str | None:
    if name.startswith(ALLOWED_HELPERS):
        return None
    parts = name.split(".")
    if any(_dispatch_bypass(part, parts[0]) for part in parts[1:]):
        return UNTRACE
    for (root, attr), why in FORBIDDEN_ROOT_ATTRS.items():
        if name == f"{root}.{attr}" or name.startswith(f"{root}.{attr}."):
            return why
    return FORBIDDEN_IMPORTS.get(name.split(".")[0])


def static_violations(tree: ast.Module) -> list[Violation]:
    """Tricks visible in the source, named for the message."""
    out: list[Violation] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            # `from a import b` is judged as a.b: `from torch import compile`, `from
            # kernelwright.prompts import kwlib`.
            prefix = f"{node.module}." if isinstance(node, ast.ImportFrom) and node.module else ""
            names = [prefix + a.name for a in node.names]
            for name in names:
                why = _forbidden_module(name)
                if why:
                    out.append(Violation("forbidden import", f"{name}: {why}", node.lineno))
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRS:
            out.append(
                Violation(
                    "forbidden attribute",
                    f".{node.attr}: {FORBIDDEN_ATTRS[node.attr]}",
                    node.lineno,
                )
            )
        elif isinstance(node, ast.Attribute) and _dispatch_bypass(node.attr, _root_name(node)):
            out.append(Violation("forbidden attribute", f".{node.attr}: {UNTRACE}", node.lineno))
        elif isinstance(node, ast.Attribute) and (_root_name(node), node.attr) in (
            FORBIDDEN_ROOT_ATTRS
        ):
            why = FORBIDDEN_ROOT_ATTRS[(_root_name(node), node.attr)]
            out.append(Violation("forbidden attribute", f"{ast.unparse(node)}: {why}", node.lineno))
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if (
                    isinstance(t, ast.Attribute)
                    and _root_name(t) in PROTECTED_ROOTS
                    and ast.unparse(t) not in NUMERIC_FLAGS
                ):
                    out.append(
                        Violation(
                            "patching",
                            f"assigns {ast.unparse(t)}: the checker's functions must not be replaced",
                            node.lineno,
                        )
                    )
        elif isinstance(node, ast.Call):
            fn = node.func
            if isinstance(fn, ast.Name) and fn.id in {"setattr", "delattr"} and node.args:
                if _root_name(node.args[0]) in PROTECTED_ROOTS:
                    out.append(
                        Violation(
                            "patching", f"{fn.id}() on {ast.unparse(node.args[0])}", node.lineno
                        )
                    )
            if isinstance(fn, ast.Name) and fn.id in {"__import__", "exec", "eval", "compile"}:
                out.append(
                    Violation("dynamic code", f"{fn.id}() hides what the module does", node.lineno)
                )
    return out


class GuardState:
    """What the dynamic guards saw while candidate code ran."""

    def __init__(self) -> None:
        self.active = False  # candidate code is running (import or forward)
        self.suspended = 0  # >0 inside a Triton launch: the interpreter's own torch ops
        self.in_launch = 0  # >0 inside a kernel's run or an autotuner's benchmark
        self.recorder = None  # the launch log of the forward being traced
        self.capture: list | None = None  # a dry run's launches: logged here, never run
        self.dry = False  # a dry forward (``Worker._dry_forwards``): what it allocates is poison
        # Where the forward's autotuned launches are in its log (``_record_configs``); while
        # ``forced`` holds what each should run (``Launch.made``), each takes the config of its
        # list that makes it.
        self.tuned: list[int] = []
        self.forced: list[str] | None = None
        # The problem's size constants a candidate's copies of take the shape set's value
        # (``ProblemModule.rebind_copies``): not a kernel's own constants changing.
        self.rebound: frozenset[str] = frozenset()
        self.launches = 0
        self.torch_ops: Counter[str] = Counter()
        self.events: list[str] = []

    def reset_forward(self) -> None:
        self.launches = 0
        self.torch_ops.clear()

    def flag(self, what: str) -> None:
        if self.active and what not in self.events:
            self.events.append(what)


STATE = GuardState()


def _guarded() -> bool:
    """Candidate code is running, outside Triton's own machinery (whatever runs inside a
    launch is not recorded either, so the replay never runs it)."""
    return STATE.active and not STATE.suspended


def _wrap_launch(cls: type, count: bool = True) -> None:
    """Count launches, and suspend the guards inside Triton's own machinery: its compiler
    runs ptxas as a subprocess, its autotuner benchmarks with torch ops, the interpreter
    copies tensors. None of that is the candidate's doing."""
    from kernelwright.sandbox import kernel_identity

    original = cls.run
    hooks = _knob_hooks()  # as they are before any candidate

    def run(self, *args, **kwargs):
        if kwargs.get("warmup") and _guarded():
            # A GPU compiles with the module's constants as they are now and reuses that
            # binary at the launch, whatever they are then; no launch log sees this moment.
            _deny(
                "kernel.warmup() (a compile ahead of the launch, with the module's constants "
                "as they are at that moment): launch kernels in forward only"
            )
        launch = count and not kwargs.get("warmup")
        if count and (changed := _hooks_changed(hooks)):
            STATE.flag(changed)
        if count:  # a launch, or a compile ahead of one
            identity = kernel_identity.Identity(self, STATE.rebound)
        if launch and STATE.capture is not None:
            STATE.recorder.launch(self, args, kwargs, identity, into=STATE.capture)
            return None
        if launch and STATE.recorder is not None and not STATE.in_launch:
            STATE.recorder.launch(self, args, kwargs, identity)
        elif count:  # the first launch or compile of a kernel's code sets what later ones see
            kernel_identity.changed_since_first(identity)
        STATE.launches += launch
        STATE.suspended += 1
        STATE.in_launch += count
        try:
            return original(self, *args, **kwargs)
        finally:
            STATE.suspended -= 1
            STATE.in_launch -= count

    run.__wrapped__ = original
    cls.run = run


def _knob_hooks() -> list[tuple[str, Any, str, tuple]]:
    """Triton's knobs that hold code Triton runs at a compile or a launch (``launch_exit_hook``,
    ``jit_cache_hook``, the autotuner's listener), as they are now: (namespace name, namespace,
    knob, what it holds)."""
    try:
        from triton import knobs
    except ImportError:  # a Triton without knobs: none to hold
        return []
    found = []
    for name in dir(knobs):
        ns = getattr(knobs, name)
        if isinstance(ns, type) or type(ns).__module__ != knobs.__name__:
            continue
        for knob in dir(ns):
            if not knob.startswith("_") and ("hook" in knob or "listener" in knob):
                found.append((name, ns, knob, _held(ns, knob)))
    return found


def _held(ns: Any, knob: str) -> tuple:
    # The namespace's class too: a property put there in place of the knob could answer this
    # check one way and Triton's launcher another.
    return (_holds(getattr(ns, knob, None)), tuple((k, id(v)) for k, v in vars(type(ns)).items()))


def _holds(value: Any) -> tuple:
    """What a knob holds, by identity: the object, what it holds (a HookChain's list of calls,
    and each call), and its class's attributes (a HookChain's ``__call__``, patched on the
    class, runs at every launch as surely as a hook added to the chain)."""
    held = getattr(value, "__dict__", {})
    return (
        id(value),
        id(type(value)),
        tuple((k, id(v)) for k, v in vars(type(value)).items()),
        tuple(
            (k, id(v), tuple(map(id, v)) if isinstance(v, list) else ()) for k, v in held.items()
        ),
    )


def _hooks_changed(start: list[tuple[str, Any, str, tuple]]) -> str | None:
    from triton import knobs

    for name, ns, knob, held in start:
        if getattr(knobs, name, None) is not ns or _held(ns, knob) != held:
            return (
                f"a Triton hook set (triton.knobs.{name}.{knob}): Triton runs it at a launch or "
                "a compile on a GPU, where the interpreter never does"
            )
    return None


def _read_at_jit(cls: type, read) -> None:
    """What @triton.jit read of a function when it wrapped it, kept (``kernel_identity``)."""
    original = cls.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        read(self)

    cls.__init__ = init


def _record_configs(cls: type) -> None:
    """A GPU's autotuner may pick any config of the list, by timings this check never sees:
    an autotuned launch is logged with the launch every config of the list makes, dry (its
    grid and heuristics evaluated, nothing run), and the replay runs each
    (``LaunchLog.variant``)."""
    from kernelwright.sandbox.launchlog import Launch

    original = cls.run

    def run(self, *args, **kwargs):
        recorder = STATE.recorder if not STATE.in_launch else None
        if recorder is None or len(self.configs) < 2:
            return original(self, *args, **kwargs)
        STATE.suspended += 1
        try:
            found = _dry_configs(self, args, kwargs)
        finally:
            STATE.suspended -= 1
        if STATE.forced is not None:
            want = STATE.forced.pop(0) if STATE.forced else None
            config = next((c for c, made in found if [m.made() for m in made] == [want]), None)
            if config is None:
                name = getattr(getattr(self, "base_fn", None), "__name__", "a kernel")
                recorder.problem = recorder.problem or (
                    f"no config of autotuned {name} launches what the log replays in its place"
                )
                return None
            configs, self.configs = self.configs, [config]
            try:
                return original(self, *args, **kwargs)
            finally:
                self.configs = configs
        before = len(recorder.steps)
        out = original(self, *args, **kwargs)
        taken = [
            i for i in range(before, len(recorder.steps)) if isinstance(recorder.steps[i], Launch)
        ]
        if taken:
            recorder.variants(recorder.steps[taken[-1]], self, self.best_config, found)
            STATE.tuned.append(taken[-1])
        return out

    run.__wrapped__ = original
    cls.run = run


def _dry_configs(tuner, args: tuple, kwargs: dict) -> list[tuple[Any, list]]:
    """Each config a GPU's autotuner would benchmark (pruned as it prunes them, not as the
    interpreter's autotuner does), with the launches it makes."""
    from triton.runtime.autotuner import Autotuner

    prune = getattr(Autotuner.prune_configs, "__wrapped__", Autotuner.prune_configs)
    tuner.nargs = dict(zip(tuner.arg_names, args, strict=False))
    found = []
    for config in prune(tuner, kwargs):
        held, STATE.capture = STATE.capture, []  # a dry forward's own log, held meanwhile
        try:
            tuner.fn.run(*args, **kwargs, **config.all_kwargs())
        finally:
            made, STATE.capture = STATE.capture, held
        found.append((config, made))
    return found


def _quiet_benchmark(cls: type) -> None:
    """An autotuner's benchmark runs are not the forward's: only the chosen config's launch (and
    its pre_hook's host ops) go into the launch log. Nor is the reset after a benchmark
    (``reset_to_zero``, a pre_hook called with ``reset_only``): a GPU runs it at the first call
    of a key only, so a forward whose output is zeroed by it alone is wrong from the second
    call on, and its log must not zero it."""
    bench, run = cls._bench, cls.run

    def quiet_bench(self, *args, **kwargs):
        STATE.in_launch += 1
        try:
            return bench(self, *args, **kwargs)
        finally:
            STATE.in_launch -= 1

    def quiet_run(self, *args, **kwargs):
        hook = self.pre_hook

        def quiet_reset(*a, **kw):
            STATE.in_launch += bool(kw.get("reset_only"))
            try:
                return hook(*a, **kw)
            finally:
                STATE.in_launch -= bool(kw.get("reset_only"))

        self.pre_hook = quiet_reset
        try:
            return run(self, *args, **kwargs)
        finally:
            self.pre_hook = hook

    quiet_run.__wrapped__ = run
    cls._bench, cls.run = quiet_bench, quiet_run


def _deny(what: str):
    STATE.flag(what)
    raise PermissionError(f"kernelwright: not allowed in a candidate: {what}")


def _refuse(what: str, original):
    """Refused while candidate code runs, outside Triton's own machinery, whoever calls it."""

    def refused(*args, **kwargs):
        if _guarded():
            _deny(what)
        return original(*args, **kwargs)

    return refused


def install() -> None:
    """Install the dynamic guards in this (worker) process, once, before any candidate."""
    import torch
    from triton.runtime.autotuner import Autotuner
    from triton.runtime.jit import JITFunction

    from kernelwright.sandbox import kernel_identity

    _wrap_launch(JITFunction)
    _read_at_jit(JITFunction, kernel_identity.read_at_jit)
    _wrap_launch(Autotuner, count=False)
    _record_configs(Autotuner)
    _quiet_benchmark(Autotuner)
    try:
        from triton.runtime.interpreter import InterpretedFunction

        _wrap_launch(InterpretedFunction)
        _read_at_jit(InterpretedFunction, kernel_identity.read_at_jit)
    except ImportError:
        pass
    # The usual way to compute outside kernels, named: tensor data handed to NumPy or lists.
    for name in ("numpy", "tolist", "__array__"):
        original = getattr(torch.Tensor, name)
        what = "tensor data moved to NumPy or Python lists (compute outside kernels)"
        setattr(torch.Tensor, name, _refuse(what, original))
    if torch.version.cuda:  # a CUDA build; asking the driver would initialise CUDA in the zygote
        for cls in (torch.cuda.Stream, torch.cuda.ExternalStream):
            cls.__new__ = _refuse_stream(cls.__new__)
        torch.cuda.set_stream = _refuse("side streams", torch.cuda.set_stream)


def _refuse_stream(original_new):
    """Refuse a stream other than the current one; torch itself wraps the current one."""
    import torch

    def new(cls, *args, **kwargs):
        if original_new is object.__new__:
            obj = original_new(cls)
        else:
            obj = original_new(cls, *args, **kwargs)
        if _guarded():
            current = torch._C._cuda_getCurrentRawStream(torch.cuda.current_device())
            if obj.cuda_stream != current:
                _deny("side streams")
        return obj

    return new


def op_trace_mode():
    """A TorchDispatchMode that counts the aten ops forward issues outside Triton launches."""
    from torch.utils._python_dispatch import TorchDispatchMode

    from kernelwright.sandbox.launchlog import EMPTY_OPS
    from kernelwright.sandbox.replay import poison

    class OpTrace(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            if not STATE.suspended:
                STATE.torch_ops[func.overloadpacket.__name__] += 1
            recorder = STATE.recorder if not STATE.in_launch else None
            step = recorder.host_op(func, args, kwargs) if recorder else None
            out = func(*args, **(kwargs or {}))
            if recorder:
                recorder.done(step, out)
            if STATE.dry and func.overloadpacket.__name__ in EMPTY_OPS:
                # No kernel runs in a dry forward: what host code reads of memory one would have
                # written is the same poison on every run, as in the replay.
                poison(out)
            return out

    return OpTrace()


# Even allowed ops, issued this often in one forward, are a Python loop over elements (item()
# reads, fill_ writes): compute outside kernels. Real forwards issue tens, or a few per launch
# when they launch a kernel per row (the row views).
MAX_OPS_PER_FORWARD = 1024
MAX_OPS_PER_LAUNCH = 8


def python_loop(ops: dict[str, int], launches: int) -> bool:
    n = sum(ops.values())
    return n > MAX_OPS_PER_FORWARD and n > MAX_OPS_PER_LAUNCH * launches


def disallowed_ops(ops: dict[str, int], launches: int) -> dict[str, int]:
    bad = {
        op: n
        for op, n in ops.items()
        if op.rstrip("_") not in ALLOWED_OPS and op not in ALLOWED_OPS
    }
    if not bad and python_loop(ops, launches):
        return dict(ops)
    return bad
