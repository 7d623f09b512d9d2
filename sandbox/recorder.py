"""Records one forward as a launch log, in the candidate's process (see ``launchlog.py``).

The guards' op trace hands every host op to ``host_op`` and the launch wrapper every
Triton launch to ``launch``; tensors are named by the storage they live in. Nothing here
is trusted: the log is only a description the replay executes on inputs of its own.
"""

from __future__ import annotations

import inspect
import numbers
from typing import Any

import torch

from kernelwright.sandbox import kernel_identity
from kernelwright.sandbox.launchlog import (
    Arg,
    Buffer,
    Const,
    Desc,
    HostOp,
    Launch,
    LaunchLog,
    Seq,
    TensorRef,
    Variant,
)


class Unrecordable(Exception):
    """A value the replay could not rebuild (an object, a function)."""


# What collections.namedtuple and typing.NamedTuple write into the class they make.
_NAMEDTUPLE_MADE = frozenset(
    {"__new__", "__repr__", "__getnewargs__", "__match_args__", "__slots__"}
)
_CLASS_BOOKKEEPING = frozenset(
    {
        "__module__",
        "__dict__",
        "__weakref__",
        "__annotations__",
        "__orig_bases__",
        "__qualname__",
        "__doc__",
        "__firstlineno__",
        "__static_attributes__",
    }
)


def _classes_before_any_candidate() -> tuple[frozenset[type], frozenset[type]]:
    """The C types read as the values they hold (torch.Size, NumPy's scalars), and Triton's own
    host descriptor classes: taken by identity when the zygote imports this module, before any
    candidate runs, so that no class of the candidate's passes for one (a ``__module__``
    written in its class body did)."""
    import numpy as np

    held = {
        torch.Size,
        *(t for t in vars(np).values() if isinstance(t, type) and issubclass(t, np.generic)),
    }
    try:
        from triton.tools.tensor_descriptor import TensorDescriptor
    except ImportError:  # a Triton without host descriptors: none is taken
        return frozenset(held), frozenset()
    descriptors, todo = set(), [TensorDescriptor]
    while todo:
        cls = todo.pop()
        descriptors.add(cls)
        todo.extend(cls.__subclasses__())
    return frozenset(held), frozenset(descriptors)


_READ_AS_HELD, _DESCRIPTORS = _classes_before_any_candidate()


def _own_behaviour(v: Any, base: type) -> None:
    """A kernel argument is read twice on a CPU (its items or value logged here, then read
    again by the interpreter) and once more, by other code, on a GPU: Triton's launcher reads
    a tuple's items and a number's value through the C API (the value an int or float holds,
    not what ``__int__``/``__index__``/``__float__`` answer: an int subclass holding 1 and
    converting to n is specialised to the constant 1). A subclass that redefines how it is read
    (``__iter__``, ``__getitem__``, ``__index__``, ``__getattribute__``) can list one thing to
    the log and hand another to the GPU, so only ``base`` itself is taken, one of the C types
    read as what they hold (``_READ_AS_HELD``), or a subclass that adds nothing ``base`` has
    (a namedtuple: its generated ``__new__`` and ``__repr__`` aside) and no attribute hook."""
    for cls in type(v).__mro__:
        if cls is base or cls in _READ_AS_HELD:
            return
        own = set(vars(cls)) - _CLASS_BOOKKEEPING
        if "_fields" in vars(cls):
            own -= _NAMEDTUPLE_MADE
        redefined = sorted(
            n
            for n in own
            if hasattr(base, n) or n in ("__getattr__", "__getattribute__", "__class__")
        )
        if redefined:
            raise Unrecordable(
                f"a {base.__name__} subclass {cls.__name__} that redefines "
                f"{', '.join(redefined)} (Triton's launcher reads it on a GPU by other means "
                "than the launch log and the interpreter here)"
            )


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


class Recorder:
    def __init__(self, args: list, state: dict[str, torch.Tensor]):
        self.buffers: list[Buffer] = []
        self._index: dict[tuple, int] = {}
        self._alive: list[torch.Tensor] = []  # no storage freed, so no address reused
        self.steps: list = []
        self.problem: str | None = None
        self._tuners: dict[int, int] = {}
        for i, a in enumerate(args):
            if isinstance(a, torch.Tensor):
                self._buffer(a, Buffer(kind="input", input=i, nbytes=_nbytes(a)))
        for name, t in state.items():
            if isinstance(t, torch.Tensor):
                self._buffer(t, Buffer(kind="state", name=name, nbytes=_nbytes(t)))

    def _key(self, t: torch.Tensor) -> tuple:
        storage = t.untyped_storage()
        if storage.nbytes() == 0:  # empty storages may share address 0: each is its own
            return ("empty", id(t))
        return (t.device.type, storage.data_ptr())

    def _buffer(self, t: torch.Tensor, buf: Buffer) -> int:
        key = self._key(t)
        if key not in self._index:
            self._index[key] = len(self.buffers)
            self.buffers.append(buf)
            self._alive.append(t)
        return self._index[key]

    def ref(self, t: torch.Tensor, made_by: str | None = None) -> TensorRef:
        if t.layout != torch.strided:
            raise Unrecordable(f"a {t.layout} tensor")
        if not t.untyped_storage().resizable():
            # torch.from_numpy, frombuffer, from_blob: memory host code can read without a
            # torch op (the log's reads would not show it), and no GPU kernel can reach.
            raise Unrecordable(
                "a tensor over memory torch did not allocate (a NumPy array's or a buffer's): "
                "host code reads it without any torch op, and on a GPU a kernel reaches only "
                "device memory torch allocates"
            )
        kind = "forward" if made_by else "foreign"
        buf = self._buffer(t, Buffer(kind=kind, op=made_by, nbytes=_nbytes(t)))
        return TensorRef(
            buffer=buf,
            dtype=dtype_name(t.dtype),
            offset=t.storage_offset(),
            shape=list(t.shape),
            strides=list(t.stride()),
        )

    def arg(self, v: Any, made_by: str | None = None) -> Arg:
        import triton.language as tl

        if isinstance(v, torch.Tensor):
            return self.ref(v, made_by)
        if isinstance(v, tl.constexpr):
            return self.arg(v.value, made_by)
        if v is None:
            return Const(type="none")
        if isinstance(v, numbers.Real) and type(v) not in (int, float, bool):
            _own_behaviour(v, int if isinstance(v, numbers.Integral) else float)
        if isinstance(v, bool):
            return Const(type="bool", value=v)
        if isinstance(v, numbers.Integral):
            return Const(type="int", value=int(v))
        if isinstance(v, numbers.Real):
            return Const(type="float", value=float(v))
        if isinstance(v, str):
            return Const(type="str", value=v)
        if isinstance(v, torch.dtype):
            return Const(type="dtype", value=dtype_name(v))
        if isinstance(v, torch.device):
            return Const(type="device", value=v.type)
        if isinstance(v, torch.memory_format):
            return Const(type="memory_format", value=str(v).removeprefix("torch."))
        if isinstance(v, torch.layout):
            return Const(type="layout", value=str(v).removeprefix("torch."))
        if isinstance(v, tl.dtype):
            return Const(type="tl_dtype", value=v.name)
        if isinstance(v, (list, tuple)):
            _own_behaviour(v, tuple if isinstance(v, tuple) else list)
            return Seq(items=[self.arg(x, made_by) for x in v], tuple=isinstance(v, tuple))
        if type(v) in _DESCRIPTORS:
            return self.descriptor(v, made_by)
        if any(isinstance(v, d) for d in _DESCRIPTORS):
            # Triton's launcher reads a descriptor's fields on a GPU (its TMA map): a class of
            # the candidate's could answer them one way here and another there.
            raise Unrecordable(
                f"a TensorDescriptor of the candidate's own subclass {type(v).__name__} (its "
                "code would run inside Triton's launcher on a GPU, where this check does not "
                "see it)"
            )
        raise Unrecordable(f"a value of type {type(v).__name__}")

    def descriptor(self, v: Any, made_by: str | None) -> Desc:
        """A host-side TensorDescriptor, read by its fields: the replay builds a real one of them
        (whatever subclass this object was of)."""
        if not isinstance(v.base, torch.Tensor):
            raise Unrecordable("a TensorDescriptor over something other than a tensor")
        ints = [list(v.shape), list(v.strides), list(v.block_shape)]
        if not all(isinstance(n, numbers.Integral) for n in sum(ints, [])):
            raise Unrecordable("a TensorDescriptor whose sizes are not integers")
        shape, strides, block_shape = ([int(n) for n in ns] for ns in ints)
        return Desc(
            base=self.ref(v.base, made_by),
            shape=shape,
            strides=strides,
            block_shape=block_shape,
            padding=str(v.padding),
            round_f32_to_tf32=bool(v.round_f32_to_tf32),
        )

    def host_op(self, func, args, kwargs) -> HostOp | None:
        """A host op about to run, its arguments named as they are now; ``done`` adds what it
        made."""
        if self.problem:
            return None
        try:
            return HostOp(
                op=str(func),
                args=[self.arg(a) for a in args],
                kwargs={k: self.arg(v) for k, v in (kwargs or {}).items()},
                outs=[],
            )
        except Unrecordable as e:
            self.problem = f"host op {func} took {e}"
            return None

    def done(self, step: HostOp | None, out) -> None:
        if step is None or self.problem:
            return
        try:
            step.outs = [self.arg(o, made_by=step.op) for o in _flat(out)]
        except Unrecordable as e:
            self.problem = f"host op {step.op} made {e}"
            return
        self.steps.append(step)

    def launch(
        self,
        kernel,
        args: tuple,
        kwargs: dict,
        identity: kernel_identity.Identity,
        into: list | None = None,
    ) -> None:
        """Log a launch about to run (into ``into`` instead, for one that will not)."""
        if self.problem:
            return
        fn = getattr(kernel, "fn", None)
        name = getattr(fn, "__name__", "?")
        changed = identity.problem or kernel_identity.changed_since_first(identity)
        if changed:
            self.problem = f"the launch of {name}: {changed}"
            return
        try:
            sig = inspect.signature(fn)
            names = set(sig.parameters)
            bound = sig.bind(*args, **{k: v for k, v in kwargs.items() if k in names})
            bound.apply_defaults()
            grid = kwargs.get("grid")
            if callable(grid):
                grid = grid(dict(bound.arguments))
            grid = [int(g) for g in (tuple(grid) + (1, 1, 1))[:3]]
            constexprs = [
                p.name for p in sig.parameters.values() if "constexpr" in str(p.annotation)
            ]
            options = {
                k: self.arg(v)
                for k, v in kwargs.items()
                if k not in names and k not in ("grid", "warmup")
            }
            step = Launch(
                kernel=name,
                grid=grid,
                params={k: self.arg(v) for k, v in bound.arguments.items()},
                constexprs=constexprs,
                options=options,
                sources=identity.sources,
                constants=identity.constants,
            )
        except (Unrecordable, TypeError, ValueError) as e:
            self.problem = f"the launch of {name} took {e}"
            return
        (self.steps if into is None else into).append(step)

    def variants(self, taken: Launch, tuner, best, found: list[tuple[Any, list]]) -> None:
        """Give the launch ``taken`` of autotuner ``tuner`` (made with config ``best``) the
        launches every other config of its list made in a dry run (``found``: config, launches
        logged)."""
        if self.problem:
            return
        taken.tuner = self._tuners.setdefault(id(tuner), len(self._tuners))
        self._alive.append(tuner)  # no other autotuner takes its id
        seen = set()
        for config, made in found:
            if config is best:
                continue
            if len(made) != 1 or made[0].kernel != taken.kernel:
                self.problem = f"config {config} of autotuned {taken.kernel} launched otherwise"
                return
            other = made[0]
            v = Variant(
                config=", ".join(
                    f"{k}={x}" for k, x in config.all_kwargs().items() if x is not None
                ),
                grid=other.grid,
                params={k: a for k, a in other.params.items() if taken.params.get(k) != a},
                options=other.options,
            )
            key = v.model_dump_json(exclude={"config"})
            if key not in seen and (v.params or v.grid != taken.grid or v.options != taken.options):
                seen.add(key)
                taken.variants.append(v)

    def finish(self, outs: list) -> LaunchLog:
        outputs = []
        for i, o in enumerate(outs):
            try:
                outputs.append(self.arg(o))
            except Unrecordable as e:
                self.problem = self.problem or f"output {i} is {e}"
                outputs.append(Const(type="none"))
        return LaunchLog(
            buffers=self.buffers, steps=self.steps, outputs=outputs, problem=self.problem
        )


def _nbytes(t: torch.Tensor) -> int:
    return t.untyped_storage().nbytes()


def _flat(out) -> list:
    return list(out) if isinstance(out, (tuple, list)) else [out]
