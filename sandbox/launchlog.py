"""The launch log: what one forward did, as plain data a trusted process can replay.

Recorded in the candidate's process (``recorder.py``), replayed in one that never imported
the candidate (``replay.py``). Every tensor is named by the buffer it lives in (an input, a
state tensor of the model, a buffer allocated during forward, or one of unknown origin)
and its place in that buffer; so the log carries no data of its own, only host ops, launch
parameters and scalars. Nothing in a log is trusted: a forged one is just another program
made of the candidate's kernels, replayed on inputs its author never saw.
"""

from __future__ import annotations

import ast
import bisect
import itertools
import math
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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


class _Plain(BaseModel):
    # -inf, inf and NaN are scalars like any (a max's identity, a fill value): written as the
    # JSON constants Python reads back, never as null.
    model_config = ConfigDict(ser_json_inf_nan="constants")


class TensorRef(_Plain):
    """A tensor, as a strided view of one buffer (offset and strides in elements)."""

    k: Literal["ref"] = "ref"
    buffer: int
    dtype: str
    offset: int
    shape: list[int]
    strides: list[int]


class Const(_Plain):
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


class Seq(_Plain):
    k: Literal["seq"] = "seq"
    items: list[Arg]
    tuple: bool = False


class Desc(_Plain):
    """A host-side tensor descriptor (``triton.tools.tensor_descriptor.TensorDescriptor``): the
    memory at ``base``'s first element, as a tensor of its own shape and strides (in elements),
    read and written a block of ``block_shape`` at a time."""

    k: Literal["desc"] = "desc"
    base: TensorRef
    shape: list[int]
    strides: list[int]
    block_shape: list[int]
    padding: str = "zero"
    round_f32_to_tf32: bool = False

    def extent(self) -> TensorRef:
        """The view of ``base``'s buffer that the descriptor's shape and strides describe."""
        return self.base.model_copy(update={"shape": self.shape, "strides": self.strides})


Arg = Annotated[TensorRef | Const | Seq | Desc, Field(discriminator="k")]
Seq.model_rebuild()


class Buffer(_Plain):
    """One storage forward touched. ``input``: the i-th forward argument; ``state``: the model's
    state_dict entry of that name; ``forward``: made by host op ``op`` during forward;
    ``foreign``: anything else (made in ``__init__`` or at import), replayed as poison."""

    kind: Literal["input", "state", "forward", "foreign"]
    nbytes: int
    input: int | None = None
    name: str | None = None
    op: str | None = None


class HostOp(_Plain):
    """A torch op host code issued outside any launch, as the dispatcher saw it."""

    k: Literal["host"] = "host"
    op: str  # the overload, e.g. "aten.empty_like.default"
    args: list[Arg]
    kwargs: dict[str, Arg]
    outs: list[Arg]  # a Const is a value handed back to host code (item())

    @property
    def name(self) -> str:
        return self.op.split(".")[1] if self.op.count(".") >= 2 else self.op


class Variant(_Plain):
    """An autotuned launch as another config of its list would have made it: the parameters
    that differ (the config's and what heuristics derive from them), the grid and options."""

    config: str
    grid: list[int]
    params: dict[str, Arg]
    options: dict[str, Const]


class Launch(_Plain):
    """One Triton launch, after autotune and heuristics chose: every parameter by name
    (constexprs included), the resolved grid and the compile options (num_warps, ...)."""

    k: Literal["launch"] = "launch"
    kernel: str  # the @triton.jit function's name in the candidate's source
    grid: list[int]
    params: dict[str, Arg]
    constexprs: list[str]
    options: dict[str, Const]
    # What the launched object was (``kernel_identity``): its def and its helpers' (name ->
    # digest), the module constants they read (name -> value), held against the extraction.
    sources: dict[str, str] = {}
    constants: dict[str, str] = {}
    # An autotuned launch: every other config a GPU's benchmark could pick in its place, and
    # which autotuner of the log it is (numbered in order of first launch).
    variants: list[Variant] = []
    tuner: int | None = None

    def made(self) -> str:
        """What the launch runs (kernel, grid, parameters, options), as one string."""
        return self.model_dump_json(include={"kernel", "grid", "params", "options"})


Step = Annotated[HostOp | Launch, Field(discriminator="k")]


# What the autotuning of a launch adds to it, not what it ran.
_TUNING = {"variants", "tuner"}


class LaunchLog(_Plain):
    buffers: list[Buffer]
    steps: list[Step]
    outputs: list[Arg]
    # Set when forward did something the log cannot describe: such a log is never replayed.
    problem: str | None = None
    # Later calls of forward on the same inputs, logged dry, where they did otherwise than
    # this one (``Worker._dry_forwards``): each is replayed too.
    later: list[LaunchLog] = []

    @property
    def launches(self) -> list[Launch]:
        return [s for s in self.steps if isinstance(s, Launch)]

    def variants(self) -> list[tuple[int, int]]:
        """(autotuner, j) for each other config of each autotuner of the log: a GPU tunes each
        autotuner apart, so each takes its configs in turn while the others keep theirs."""
        count: dict[int, int] = {}
        for s in self.launches:
            if s.variants and s.tuner is not None:
                count[s.tuner] = max(count.get(s.tuner, 0), len(s.variants))
        return [(t, j) for t, n in count.items() for j in range(n)]

    def variant(self, tuner: int, j: int) -> tuple[LaunchLog, list[str]]:
        """This log with every launch of autotuner ``tuner`` taking the ``j``-th other config of
        its list (modulo its length), and the configs taken."""
        steps, taken = [], []
        for s in self.steps:
            if isinstance(s, Launch) and s.variants and s.tuner == tuner:
                v = s.variants[j % len(s.variants)]
                taken.append(f"{s.kernel} {v.config}")
                s = s.model_copy(
                    update={
                        "grid": v.grid,
                        "params": {**s.params, **v.params},
                        "options": v.options,
                        "variants": [],
                    }
                )
            steps.append(s)
        return self.model_copy(update={"steps": steps, "later": []}), list(dict.fromkeys(taken))

    def what_ran(self) -> str:
        """The log as one string, without what autotuning adds to it or the later calls."""
        return self.model_copy(
            update={
                "steps": [
                    s.model_copy(update={"variants": [], "tuner": None})
                    if isinstance(s, Launch)
                    else s
                    for s in self.steps
                ],
                "later": [],
            }
        ).model_dump_json()

    def first_difference(self, other: LaunchLog) -> str | None:
        """Where another log of the same forward on the same inputs does otherwise than this
        one, said for the candidate; None where it does not."""

        def said(step: Step | None) -> str:
            if step is None:
                return "nothing"
            if isinstance(step, HostOp):
                return f"host op {step.op}"
            return f"a launch of {step.kernel} with grid {step.grid}"

        def plain(step: Step | None) -> str | None:
            exclude = _TUNING if isinstance(step, Launch) else None
            return step.model_dump_json(exclude=exclude) if step is not None else None

        for n, (a, b) in enumerate(itertools.zip_longest(self.steps, other.steps)):
            if plain(a) != plain(b):
                return f"step {n} is {said(b)} where it was {said(a)}"
        if self.model_dump_json(include={"buffers", "outputs"}) != other.model_dump_json(
            include={"buffers", "outputs"}
        ):
            return "its outputs are other buffers"
        return None

    def reads_data(self) -> bool:
        """Host code read tensor data back: the launches may depend on the inputs' values."""
        return any(isinstance(s, HostOp) and s.name in READ_OPS for s in self.steps)


def with_later(logs: list[LaunchLog]) -> list[LaunchLog]:
    """Each log, followed by the later calls of forward logged with it."""
    return [x for log in logs for x in (log, *log.later)]


def refs(arg: Arg) -> list[TensorRef]:
    if isinstance(arg, TensorRef):
        return [arg]
    if isinstance(arg, Desc):
        return [arg.extent()]
    if isinstance(arg, Seq):
        return [r for item in arg.items for r in refs(item)]
    return []


def _step_refs(step: Step) -> list[TensorRef]:
    args = list(step.params.values()) if isinstance(step, Launch) else [*step.args]
    if isinstance(step, HostOp):
        args += list(step.kwargs.values())
    return [r for a in args for r in refs(a)]


def _schema(op: str):
    import torch

    _, packet, overload = op.split(".", 2)
    return getattr(getattr(torch.ops.aten, packet), overload)._schema


def _written(arg) -> bool:
    return arg.alias_info is not None and arg.alias_info.is_write


def writes(op: str) -> bool:
    """Does this aten overload write into one of its arguments (copy_, fill_, out=)? Read from
    torch's own schema, never from the log."""
    return any(map(_written, _schema(op).arguments))


def moves_data(step: Step) -> bool:
    """A host op that writes data into a tensor: a copy, or any op torch's schema says writes
    one of its arguments (``fill_`` with a 0-d tensor moves an element as surely as ``copy_``);
    what it reads is ``read_refs``."""
    return isinstance(step, HostOp) and (
        step.name in COPY_OPS or (step.op.startswith("aten.") and writes(step.op))
    )


def read_refs(step: HostOp) -> list[TensorRef]:
    """The tensors a writing host op reads data from: its tensor arguments that torch's schema
    does not mark as written. A view of the very buffer it writes counts: a copy between two
    views of one buffer moves data as surely as a copy between two buffers."""
    schema = _schema(step.op).arguments
    by_name = {a.name: a for a in schema}
    found = []
    for i, a in enumerate(step.args):
        if not (i < len(schema) and _written(schema[i])):
            found += refs(a)
    for k, v in step.kwargs.items():
        if not (k in by_name and _written(by_name[k])):
            found += refs(v)
    return found


def output_problems(log: LaunchLog) -> list[str]:
    """Outputs no kernel wrote: a view of an input or of state, a buffer no launch took, or
    data a host op copied in (even a copy of what a kernel wrote: on a copy or gather problem
    an identity kernel and a host copy would otherwise do the job). Host ops may prepare a
    kernel's inputs; they may not produce an output."""
    # "fill": constant contents (or none) so far, so the replay can poison it; "kernel": a
    # launch took such a buffer; "host": data a host op put there.
    status = {i: "host" for i, b in enumerate(log.buffers) if b.kind != "forward"}
    for step in log.steps:
        if isinstance(step, Launch):
            for r in _step_refs(step):
                if status.get(r.buffer) == "fill":
                    status[r.buffer] = "kernel"
            continue
        wrote_into, sources = set(), []
        if step.op.startswith("aten.") and writes(step.op):
            wrote_into = {r.buffer for out in step.outs for r in refs(out)}
            sources = read_refs(step)
        for out in step.outs:
            for r in refs(out):
                b = r.buffer
                if b not in status:  # made by this op
                    status[b] = "fill" if step.name in EMPTY_OPS | FILL_OPS else "host"
                elif b in wrote_into and sources:  # data read from a tensor, not a constant
                    status[b] = "host"
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
                    f"output {i} holds data a host op copied in, data no kernel wrote (its "
                    f"buffer was made by {buf.op}): host layout ops may prepare a kernel's "
                    "inputs, not produce an output, not even as a copy of what a kernel wrote; "
                    "allocate it (torch.empty) and have a kernel write every element"
                )
    return problems


def one_block(r: TensorRef) -> bool:
    """A view that is one block of its buffer in memory order: the tensor itself, a reshape, a
    run of whole rows; not a transpose, a permutation, a broadcast, nor a column or any other
    selection of elements with gaps between them."""
    extent = 1
    for n, s in reversed([d for d in zip(r.shape, r.strides, strict=True) if d[0] > 1]):
        if s != extent:
            return False
        extent = s * n
    return True


def _span(r: TensorRef) -> tuple[int, int]:
    """The first and last element a view holds, as offsets into its buffer."""
    return r.offset, r.offset + sum((n - 1) * s for n, s in zip(r.shape, r.strides, strict=True))


def host_reorders(log: LaunchLog) -> list[str]:
    """Host copies (every op that ``moves_data``) that select or move elements: that is data
    movement, the whole job of a
    layout problem, and a kernel that copies the result out unchanged, or places the pieces the
    host selected, would be credited with it. A host copy may relocate one block of memory (a
    dtype change, a reshape, a run of whole rows): each copy must read and write views that are
    one block, and all the copies from one buffer into another, followed back through scratch
    buffers one copy filled, must keep the blocks' order. One copy per column of a matrix, or
    per row in reverse, is a transpose or a flip. Kernels take strides; they do the moving."""
    problems = []
    pieces: dict[tuple[int, int], list[tuple[tuple[int, int], tuple[int, int]]]] = {}
    # buffer -> the span the last host copy into it wrote, and the buffer and span it read
    origin: dict[int, tuple[tuple[int, int], int, tuple[int, int]]] = {}
    for step in log.steps:
        if not moves_data(step):
            continue
        sources = read_refs(step)
        dests = [r for out in step.outs for r in refs(out)]
        bad = next((r for r in sources + dests if not one_block(r)), None)
        if bad is not None:
            problems.append(
                f"host op {step.op} copies a view of shape {bad.shape} and strides "
                f"{bad.strides}, which is not one block of memory: selecting or reordering "
                "elements is work a kernel must do (pass the view's strides to the kernel "
                "instead of copying it on the host)"
            )
            continue
        for src in sources:
            for dst in dests:
                if math.prod(src.shape) != math.prod(dst.shape):
                    problems.append(
                        f"host op {step.op} copies {src.shape} elements onto {dst.shape}: a "
                        "broadcast on the host is work a kernel must do"
                    )
                elif math.prod(src.shape):
                    # A copy of all a buffer one host copy wrote reads what that copy read: a
                    # column moved through a scratch buffer of its own is still a column.
                    root, span = src.buffer, _span(src)
                    if src.buffer in origin and origin[src.buffer][0] == span:
                        root, span = origin[src.buffer][1:]
                    pieces.setdefault((root, dst.buffer), []).append((_span(dst), span))
                    origin[dst.buffer] = (_span(dst), root, span)
    for (src, dst), spans in pieces.items():
        spans.sort()
        for (d0, s0), (d1, s1) in itertools.pairwise(spans):
            if not (d0[1] < d1[0] and s0[1] < s1[0]):
                problems.append(
                    f"host copies from buffer {src} into buffer {dst} place its elements in "
                    "another order (one copy per row or column, each in memory order, together "
                    "a transpose or a gather): moving elements to new places is work a kernel "
                    "must do"
                )
                break
    return problems


class Derived(_Plain):
    """A value in a log that host code computed from data it read back: the ``read``-th value
    read in forward, as is (``eq``), ceil-divided (``cdiv``) or multiplied (``mul``) by ``by``."""

    read: int
    op: Literal["eq", "cdiv", "mul"]
    by: int = 1

    def value(self, reads: list) -> int | None:
        r = reads[self.read] if self.read < len(reads) else None
        if not isinstance(r, int) or isinstance(r, bool):
            return None
        if self.op == "eq":
            return r
        return -(-r // self.by) if self.op == "cdiv" else r * self.by


def _flat(arg: Arg, path: tuple) -> list[tuple[tuple, Any]]:
    """Every scalar of an argument with its place: constants, and a tensor's geometry (a view's
    offset or shape can carry a number as well as a scalar can)."""
    if isinstance(arg, Const):
        return [(path, arg.value)]
    if isinstance(arg, Seq):
        return [a for i, item in enumerate(arg.items) for a in _flat(item, (*path, i))]
    if isinstance(arg, Desc):
        own = [(("block_shape", i), n) for i, n in enumerate(arg.block_shape)]
        own += [(("padding",), arg.padding), (("round_f32_to_tf32",), arg.round_f32_to_tf32)]
        own += [(("shape", i), n) for i, n in enumerate(arg.shape)]
        own += [(("strides", i), n) for i, n in enumerate(arg.strides)]
        return _flat(arg.base, (*path, "base")) + [((*path, *key), v) for key, v in own]
    geometry = [(("buffer",), arg.buffer), (("dtype",), arg.dtype), (("offset",), arg.offset)]
    geometry += [(("shape", i), n) for i, n in enumerate(arg.shape)]
    geometry += [(("strides", i), n) for i, n in enumerate(arg.strides)]
    # A flat path: ``_set`` walks it to the field and the index in it.
    return [((*path, *key), v) for key, v in geometry]


def _atoms(step: Step) -> list[tuple[tuple, Any]]:
    if isinstance(step, Launch):
        out = [(("grid", i), g) for i, g in enumerate(step.grid)]
        out += [a for k, v in step.params.items() for a in _flat(v, ("params", k))]
        return out + [a for k, v in step.options.items() for a in _flat(v, ("options", k))]
    out = [a for i, v in enumerate(step.args) for a in _flat(v, ("args", i))]
    return out + [a for k, v in step.kwargs.items() for a in _flat(v, ("kwargs", k))]


def _reads(log: LaunchLog) -> tuple[list, list[int]]:
    """The values host code read back, in order, and for each step how many it had read before."""
    reads: list = []
    before = []
    for step in log.steps:
        before.append(len(reads))
        if isinstance(step, HostOp) and step.name in READ_OPS:
            reads += [o.value for o in step.outs if isinstance(o, Const)]
    return reads, before


class _ReadIndex:
    """Every read that holds each integer value, in order."""

    def __init__(self, reads: list):
        self.where: dict[int, list[int]] = {}
        for i, r in enumerate(reads):
            if isinstance(r, int) and not isinstance(r, bool):
                self.where.setdefault(r, []).append(i)
        self.values = sorted(self.where)

    def derivations(self, v: Any, limit: int) -> Iterator[Derived]:
        """Ways ``v`` follows from one of the first ``limit`` reads: as is, ceil-divided or
        multiplied by a power of two. Every read holding a value is a way: two counts equal on
        one input (two experts routed as many tokens) differ on the next."""
        if not isinstance(v, int) or isinstance(v, bool):
            return
        for i in self._reads(v, limit):
            yield Derived(read=i, op="eq")
        for j in range(1, 17):
            c = 2**j
            if v % c == 0:
                for i in self._reads(v // c, limit):
                    yield Derived(read=i, op="mul", by=c)
            lo, hi = (v - 1) * c + 1, v * c  # the reads r with ceil(r / c) == v
            at = bisect.bisect_left(self.values, lo)
            while at < len(self.values) and self.values[at] <= hi:
                for i in self._reads(self.values[at], limit):
                    yield Derived(read=i, op="cdiv", by=c)
                at += 1

    def _reads(self, value: int, limit: int) -> Iterator[int]:
        return itertools.takewhile(lambda i: i < limit, self.where.get(value, ()))


def data_program(logs: list[LaunchLog]) -> dict[str, Derived]:
    """When host code read data back, what in the first log varies with it: each such value
    must be one the host read back (or block arithmetic on it), the same way on the other
    trials' logs. The replay then re-derives it from its own reads, on inputs host code never
    saw. Anything else that varies (a float, a string, a step more or less) is an answer the
    host computed, and so is a host copy or write whose place varies (a gather or a scatter):
    ``ValueError`` says which."""
    first, others = logs[0], logs[1:]
    shape = [(s.k, getattr(s, "kernel", None) or getattr(s, "op", "")) for s in first.steps]
    program: dict[str, Derived] = {}
    reads0, before0 = _reads(first)
    index0 = _ReadIndex(reads0)
    for log in others:
        if [(s.k, getattr(s, "kernel", None) or getattr(s, "op", "")) for s in log.steps] != shape:
            raise ValueError(
                "the sequence of host ops and launches changes with the data: only grids and "
                "integers read back (item()) may vary between inputs"
            )
        reads, _ = _reads(log)
        for n, (a, b) in enumerate(zip(first.steps, log.steps, strict=True)):
            atoms_a, atoms_b = _atoms(a), _atoms(b)
            if [p for p, _ in atoms_a] != [p for p, _ in atoms_b]:
                raise ValueError(f"step {n} ({shape[n][1]}) takes other arguments on other inputs")
            for (path, va), (_, vb) in zip(atoms_a, atoms_b, strict=True):
                same = va == vb and type(va) is type(vb)
                if same and (path[0] != "grid" or va in (0, 1)):
                    continue
                common = next(
                    (
                        d
                        for d in index0.derivations(va, before0[n])
                        if d.value(reads) == vb and (not same or d.op == "eq")
                    ),
                    None,
                )
                if same:
                    # A grid that follows a value read back (a count that happened to agree on
                    # these two inputs) is re-derived; otherwise it is a constant.
                    if common is not None:
                        program[f"{n}:{path}"] = common
                    continue
                where = ".".join(map(str, path))
                if moves_data(a):
                    # Which elements a host copy moves, chosen by data read back, is a gather
                    # or a scatter: the work itself, however the kernel after it is honest.
                    raise ValueError(
                        f"host code moved data ({shape[n][1]}) to or from a place that varies "
                        f"with the data ({where}={vb!r} on one input, {va!r} on another): a "
                        "data-dependent copy is a gather or a scatter, work a kernel must do; "
                        "values read back may size allocations, views and launches only"
                    )
                if common is None:
                    raise ValueError(
                        f"host code passed {where}={vb!r} to {shape[n][1]} on one input and "
                        f"{va!r} on another: integers that vary with the data must be values "
                        "read back (item()) or block arithmetic on them, and this is not a value "
                        "it read back: an answer computed on the host"
                    )
                program[f"{n}:{path}"] = common
    return program


def substitute(step: Step, n: int, program: dict[str, Derived], reads: list) -> Step:
    """The step with every value the program derives recomputed from the replay's own reads."""
    keys = [k for k in program if k.startswith(f"{n}:")]
    if not keys:
        return step
    step = step.model_copy(deep=True)
    for key in keys:
        path = ast.literal_eval(key.split(":", 1)[1])
        value = program[key].value(reads)
        if value is None:
            raise ValueError(f"step {n}: the value it was derived from was not read back")
        _set(step, path, value)
    return step


def _set(step: Step, path: tuple, value: int) -> None:
    head, *rest = path
    if head == "grid":
        step.grid[rest[0]] = value
        return
    container = getattr(step, head)
    node = container[rest[0]]
    rest = rest[1:]
    while rest and isinstance(node, Seq | Desc):
        if isinstance(node, Seq):
            node, rest = node.items[rest[0]], rest[1:]
        elif rest[0] == "base":
            node, rest = node.base, rest[1:]
        else:
            break
    if isinstance(node, Const):
        node.value = value
    elif isinstance(node, TensorRef | Desc):
        field, *index = rest
        if index:
            getattr(node, field)[index[0]] = value
        else:
            setattr(node, field, value)
