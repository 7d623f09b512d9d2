"""The launch log: what one forward did, as plain data a trusted process can replay.

Recorded in the candidate's process (``recorder.py``), replayed in one that never imported
the candidate (``replay.py``). Every tensor is named by the buffer it lives in (an input, a
state tensor of the model, a buffer allocated during forward, or one of unknown origin)
and its place in that buffer; so the log carries no data of its own, only host ops, launch
parameters and scalars. Nothing in a log is trusted: a forged one is just another program
made of the candidate's kernels, replayed on inputs its author never saw.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

# Host ops that make a buffer whose contents are a constant (or nothing): what a kernel may
# write its output into. ``empty`` ones are replayed poisoned.
EMPTY_OPS = frozenset(["empty", "empty_like", "empty_strided", "new_empty", "new_empty_strided"])
FILL_OPS = frozenset(
    ["zeros", "zeros_like", "new_zeros", "ones", "ones_like", "new_ones"]
    + ["full", "full_like", "new_full", "scalar_tensor", "arange"]
)
# Host ops that copy data from one buffer into another: layout, not compute.
COPY_OPS = frozenset(["clone", "_to_copy", "copy_", "lift_fresh_copy", "contiguous"])
# Host ops that hand tensor data back to host code: a log with them may depend on the data.
READ_OPS = frozenset(["_local_scalar_dense", "item", "is_nonzero", "equal"])


class TensorRef(BaseModel):
    """A tensor, as a strided view of one buffer (offset and strides in elements)."""

    k: Literal["ref"] = "ref"
    buffer: int
    dtype: str
    offset: int
    shape: list[int]
    strides: list[int]


class Const(BaseModel):
    """A scalar argument; ``type`` says how to rebuild it (a dtype, a device, ...)."""

    k: Literal["const"] = "const"
    type: Literal[
        "int",
        "float",
        "bool",
        "none",
        "str",
        "dtype",
        "tl_dtype",
        "device",
        "memory_format",
        "layout",
    ]
    value: int | float | bool | str | None = None


class Seq(BaseModel):
    k: Literal["seq"] = "seq"
    items: list[Arg]
    tuple: bool = False


Arg = Annotated[TensorRef | Const | Seq, Field(discriminator="k")]
Seq.model_rebuild()


class Buffer(BaseModel):
    """One storage forward touched. ``input``: the i-th forward argument; ``state``: the model's
    state_dict entry of that name; ``forward``: made by host op ``op`` during forward;
    ``foreign``: anything else (made in ``__init__`` or at import), replayed as poison."""

    kind: Literal["input", "state", "forward", "foreign"]
    nbytes: int
    input: int | None = None
    name: str | None = None
    op: str | None = None


class HostOp(BaseModel):
    """A torch op host code issued outside any launch, as the dispatcher saw it."""

    k: Literal["host"] = "host"
    op: str  # the overload, e.g. "aten.empty_like.default"
    args: list[Arg]
    kwargs: dict[str, Arg]
    outs: list[Arg]  # a Const is a value handed back to host code (item())

    @property
    def name(self) -> str:
        return self.op.split(".")[1] if self.op.count(".") >= 2 else self.op


class Launch(BaseModel):
    """One Triton launch, after autotune and heuristics chose: every parameter by name
    (constexprs included), the resolved grid and the compile options (num_warps, ...)."""

    k: Literal["launch"] = "launch"
    kernel: str  # the @triton.jit function's name in the candidate's source
    line: int  # where its def starts there
    grid: list[int]
    params: dict[str, Arg]
    constexprs: list[str]
    options: dict[str, Const]


Step = Annotated[HostOp | Launch, Field(discriminator="k")]


class LaunchLog(BaseModel):
    buffers: list[Buffer]
    steps: list[Step]
    outputs: list[Arg]
    # Set when forward did something the log cannot describe: such a log is never replayed.
    problem: str | None = None

    @property
    def launches(self) -> list[Launch]:
        return [s for s in self.steps if isinstance(s, Launch)]

    def reads_data(self) -> bool:
        """Host code read tensor data back: the launches may depend on the inputs' values."""
        return any(isinstance(s, HostOp) and s.name in READ_OPS for s in self.steps)


def refs(arg: Arg) -> list[TensorRef]:
    if isinstance(arg, TensorRef):
        return [arg]
    if isinstance(arg, Seq):
        return [r for item in arg.items for r in refs(item)]
    return []


def _step_refs(step: Step) -> list[TensorRef]:
    args = list(step.params.values()) if isinstance(step, Launch) else [*step.args]
    if isinstance(step, HostOp):
        args += list(step.kwargs.values())
    return [r for a in args for r in refs(a)]


def writes(op: str) -> bool:
    """Does this aten overload write into one of its arguments (copy_, fill_, out=)? Read from
    torch's own schema, never from the log."""
    import torch

    _, packet, overload = op.split(".", 2)
    schema = getattr(getattr(torch.ops.aten, packet), overload)._schema
    return any(a.alias_info is not None and a.alias_info.is_write for a in schema.arguments)


def output_problems(log: LaunchLog) -> list[str]:
    """Outputs no kernel wrote: a view of an input or of state, a buffer no launch took, or a
    host copy of data no kernel wrote. Host ops may prepare a kernel's inputs; they may not
    produce an output."""
    # "fill": constant contents (or none) so far; "kernel": a launch took it, or it holds a
    # copy of such data; "host": data that came from outside the kernels.
    status = {i: "host" for i, b in enumerate(log.buffers) if b.kind != "forward"}
    for step in log.steps:
        if isinstance(step, Launch):
            for r in _step_refs(step):
                if status.get(r.buffer) == "fill":
                    status[r.buffer] = "kernel"
            continue
        sources = {r.buffer for r in _step_refs(step)}
        wrote_into = set()
        if step.op.startswith("aten.") and writes(step.op):
            wrote_into = {r.buffer for out in step.outs for r in refs(out)}
        for out in step.outs:
            for r in refs(out):
                b = r.buffer
                if b not in status:  # made by this op
                    if step.name in EMPTY_OPS | FILL_OPS:
                        status[b] = "fill"
                    else:
                        kernel_data = sources and all(status.get(s) == "kernel" for s in sources)
                        status[b] = "kernel" if kernel_data else "host"
                elif b in wrote_into and step.name not in {"fill_", "zero_"}:
                    others = sources - {b}
                    if others and not all(status.get(s) == "kernel" for s in others):
                        status[b] = "host"
                    elif others and status[b] == "fill":
                        status[b] = "kernel"
    problems = []
    for i, out in enumerate(log.outputs):
        for r in refs(out):
            buf = log.buffers[r.buffer]
            if buf.kind != "forward":
                what = {
                    "input": f"an input (input {buf.input})",
                    "state": f"the model's state ({buf.name})",
                    "foreign": "a tensor made outside forward",
                }[buf.kind]
                problems.append(
                    f"output {i} is (a view of) {what}: a kernel must write each output into "
                    "memory allocated in forward"
                )
            elif status.get(r.buffer) == "fill":
                problems.append(
                    f"output {i} was never passed to a Triton kernel: every output element must "
                    "be written by a kernel"
                )
            elif status.get(r.buffer) != "kernel":
                problems.append(
                    f"output {i} holds a host copy ({buf.op}) of data no kernel wrote: host "
                    "layout ops may prepare a kernel's inputs, not produce an output; allocate "
                    "it (torch.empty) and have a kernel write every element"
                )
    return problems


# Integer scalars host code may pass into launches that differ between logs recorded on
# different inputs (counts read back, a grid sized from them): a few, never floats.
MAX_VARYING_INTS = 8


def data_channel(logs: list[LaunchLog]) -> str | None:
    """When each log is replayed on its own inputs (host code read data back), what host code
    passes into launches is a channel for answers: floats that vary with the data are refused,
    and so are more than a few varying integers."""

    def scalars(log: LaunchLog) -> dict[tuple, Const]:
        found = {}
        for i, step in enumerate(log.steps):
            args = step.params.items() if isinstance(step, Launch) else enumerate(step.args)
            for name, a in args:
                if isinstance(a, Const) and a.type in ("int", "float"):
                    found[
                        (
                            i,
                            getattr(step, "kernel", step.op if isinstance(step, HostOp) else ""),
                            name,
                        )
                    ] = a
        return found

    first = scalars(logs[0])
    varying_ints: set[tuple] = set()
    for log in logs[1:]:
        for key, c in scalars(log).items():
            before = first.get(key)
            if before is None or before.value == c.value:
                continue
            if c.type == "float" or before.type == "float":
                return (
                    f"host code passed {key[2]}={c.value!r} to {key[1]} on one seed and "
                    f"{before.value!r} on another: floats that vary with the data may not reach "
                    "a launch from host code"
                )
            varying_ints.add(key)
    if len(varying_ints) > MAX_VARYING_INTS:
        return (
            f"host code passed {len(varying_ints)} integers that vary with the data into "
            f"launches (at most {MAX_VARYING_INTS}): results computed on the host"
        )
    return None
