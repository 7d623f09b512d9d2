"""What ran on the GPU, judged against the launch logs: only the candidate's Triton kernels.

On a GPU the worker profiles (``profiler.py``) each trial's forward and the timed calls, and
hands the parent the device work it saw, as typed data: kernels, copies and fills, each with
how often it ran and whether Triton's autotuner ran it while benchmarking. The worker's own
device work (the timer's cache flush, the rotation of the timed inputs, the output samples)
runs inside its own profiler ranges and is left out there. Everything here is pure: it
decides over those lists, so it is tested on the CPU with recorded and synthetic ones.

The rule: every kernel is one of the candidate's Triton kernels that the trials' launch logs
show (a kernel's name on the profiler is its ``@triton.jit`` function's name, in Triton 3.6
and 3.9 alike), or device work that the host ops of the log would launch (a ``zeros`` fill,
a ``.contiguous()`` copy, an ``item()`` read back), no more often and no larger than the log
says. Anything else (a cuBLAS gemm, an aten softmax or reduction, an inductor kernel, a
host-to-device copy of output-sized data) is refused by name.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from kernelwright.sandbox.launchlog import (
    COPY_OPS,
    FILL_OPS,
    READ_OPS,
    HostOp,
    LaunchLog,
    TensorRef,
    refs,
)

# The classes of non-Triton device work a host op may launch.
Work = Literal["fill", "copy", "upload", "download"]
ZERO_OPS = frozenset(["fill_", "zero_"])
# Ops that make a device tensor out of host data (torch.tensor(..., device=...)).
UPLOAD_OPS = frozenset(["lift_fresh", "lift_fresh_copy", "_to_copy", "copy_"])
# Profiler entries that are bookkeeping, not device work.
NOT_WORK_PREFIXES = ("Activity Buffer Request", "CUPTI Overhead", "kernelwright:")
ITEMSIZE = {
    "bool": 1,
    "uint8": 1,
    "int8": 1,
    "float8_e4m3fn": 1,
    "float8_e5m2": 1,
    "int16": 2,
    "float16": 2,
    "bfloat16": 2,
    "int32": 4,
    "float32": 4,
    "int64": 8,
    "float64": 8,
    "complex64": 8,
    "complex128": 16,
}


class DeviceWork(BaseModel):
    """One kind of device work the profiler saw in a session, folded over identical entries."""

    name: str
    kind: Literal["kernel", "memcpy", "memset"]
    nbytes: int | None = None  # copies and fills, where the profiler says
    count: int = 1
    # Launched while Triton's autotuner benchmarked configs (its own launches and cache flush).
    autotune: bool = False


class Session(BaseModel):
    """The device work of one profiled stretch: one trial's forward, or all the timed calls."""

    phase: Literal["trial", "timed"]
    trial: int | None = None  # the trial whose launch log describes it
    calls: int = 1
    work: list[DeviceWork] = Field(default_factory=list)


class Profile(BaseModel):
    sessions: list[Session] = Field(default_factory=list)
    error: str | None = None  # the profiler could not run: the parent says so


def memcpy_direction(name: str) -> str | None:
    """``HtoD`` from Kineto's "Memcpy HtoD (Pageable -> Device)"; None for anything else."""
    parts = name.split()
    return parts[1] if len(parts) > 1 and parts[0] == "Memcpy" else None


def kind_of(name: str) -> Literal["kernel", "memcpy", "memset"] | None:
    """What a device entry is by its profiler name; None for bookkeeping entries."""
    if name.startswith(NOT_WORK_PREFIXES):
        return None
    if memcpy_direction(name):
        return "memcpy"
    if name.startswith("Memset"):
        return "memset"
    return "kernel"


def is_triton_name(name: str) -> bool:
    """Triton names a kernel after its function: an identifier. aten's and the libraries' are
    demangled C++ (``void at::native::...``) or names of their own."""
    return name.isidentifier()


def work_class(w: DeviceWork) -> Work | None:
    """The host-op class a non-Triton entry belongs to, or None for compute.

    Matched on aten's own kernels, whose names are C++ (``::``), so that no Triton kernel
    (an identifier) can pass for one."""
    if w.kind == "memset":
        return "fill"
    if w.kind == "memcpy":
        return {"HtoD": "upload", "DtoH": "download", "DtoD": "copy"}.get(
            memcpy_direction(w.name) or ""
        )
    if "::" not in w.name:
        return None
    if "FillFunctor" in w.name or "fill_kernel" in w.name or "arange" in w.name:
        return "fill"
    if "copy_kernel" in w.name:
        return "copy"
    return None


class Allowance(BaseModel):
    """Non-Triton device work one forward's host ops may launch: per class, how many and how
    large (bytes of the largest tensor such an op made or wrote)."""

    count: dict[str, int] = Field(default_factory=dict)
    nbytes: dict[str, int] = Field(default_factory=dict)

    def add(self, cls: str, n: int, nbytes: int) -> None:
        self.count[cls] = self.count.get(cls, 0) + n
        self.nbytes[cls] = max(self.nbytes.get(cls, 0), nbytes)

    def widen(self, other: Allowance) -> Allowance:
        out = Allowance(count=dict(self.count), nbytes=dict(self.nbytes))
        for cls, n in other.count.items():
            out.count[cls] = max(out.count.get(cls, 0), n)
        for cls, b in other.nbytes.items():
            out.nbytes[cls] = max(out.nbytes.get(cls, 0), b)
        return out


def ref_nbytes(r: TensorRef) -> int:
    numel = 1
    for n in r.shape:
        numel *= n
    return numel * ITEMSIZE.get(r.dtype, 8)


def allowance(log: LaunchLog) -> Allowance:
    """The device work the log's host ops would launch, one forward's worth."""
    out = Allowance()
    for step in log.steps:
        if not isinstance(step, HostOp):
            continue
        made = [r for o in step.outs for r in refs(o)]
        touched = made + [r for a in step.args for r in refs(a)]
        size = max((ref_nbytes(r) for r in touched), default=0)
        if step.name in FILL_OPS | ZERO_OPS:
            out.add("fill", 1, size)
        if step.name in COPY_OPS:
            # One copy kernel (or device-to-device memcpy), and a transfer if it crossed devices.
            out.add("copy", 1, size)
            out.add("download", 1, size)
        if step.name in UPLOAD_OPS:
            out.add("upload", 1, size)
        if step.name in READ_OPS:
            out.add("download", 1, size)
    return out


def output_nbytes(logs: list[LaunchLog]) -> int | None:
    """The smallest output's size: an upload this large could be an output made on the host."""
    sizes = [ref_nbytes(r) for log in logs for o in log.outputs for r in refs(o)]
    return min(sizes) if sizes else None


def kernel_names(log: LaunchLog) -> set[str]:
    return {launch.kernel for launch in log.launches}


def _where(session: Session) -> str:
    if session.phase == "trial":
        return f"trial {session.trial}"
    return f"the timed calls ({session.calls} calls)"


def problems(profile: Profile, logs: list[LaunchLog]) -> list[str]:
    """Every piece of device work that is not the candidate's Triton kernels or what the logs'
    host ops would launch, one message each, naming the kernel."""
    found: list[str] = []
    every_kernel = set().union(*(kernel_names(log) for log in logs)) if logs else set()
    listed = ", ".join(sorted(every_kernel)) or "none"
    upload_limit = output_nbytes(logs)
    for session in profile.sessions:
        where = _where(session)
        if session.phase == "trial":
            if session.trial is None or not 0 <= session.trial < len(logs):
                found.append(f"{where}: no launch log describes this forward")
                continue
            log = logs[session.trial]
            kernels = kernel_names(log)
            allowed = allowance(log)
        else:
            kernels = every_kernel
            allowed = Allowance()
            for log in logs:
                allowed = allowed.widen(allowance(log))
        used: dict[str, int] = {}
        for w in session.work:
            cls = work_class(w)
            if is_triton_name(w.name) and w.kind == "kernel":
                if w.name in kernels or (w.autotune and w.name in every_kernel):
                    continue
                if session.phase == "timed":
                    found.append(
                        f"{where}: Triton kernel {w.name!r} ran ({w.count}x) but no trial "
                        f"launched it (the trials launched: {listed}): the timed calls must "
                        "run what the checked calls ran"
                    )
                else:
                    found.append(
                        f"{where}: Triton kernel {w.name!r} ran ({w.count}x) but forward's "
                        f"launch log does not show it (it shows: {', '.join(sorted(kernels))}): "
                        "a launch hidden from the log"
                    )
                continue
            if cls is None:
                found.append(
                    f"{where}: {w.kind} {w.name!r} ran on the GPU ({w.count}x): only the "
                    f"candidate's Triton kernels ({listed}) and the allocation and layout ops "
                    "its launch log shows may run; torch compute (a gemm, softmax, reduction, "
                    "cuBLAS, cuDNN or another library's kernel) is not allowed"
                )
                continue
            if w.autotune and cls in ("fill", "copy"):
                continue  # the autotuner's cache flush and its reset/restore of arguments
            if (
                cls == "upload"
                and w.nbytes is not None
                and upload_limit
                and w.nbytes >= upload_limit
            ):
                found.append(
                    f"{where}: a host-to-device copy of {w.nbytes} bytes ({w.name!r}): as "
                    f"large as an output ({upload_limit} bytes), data made on the host"
                )
                continue
            limit = allowed.nbytes.get(cls)
            if w.nbytes is not None and (limit is None or w.nbytes > limit):
                found.append(
                    f"{where}: {w.name!r} moved {w.nbytes} bytes, more than any {cls} op in "
                    f"forward's launch log ({limit or 0} bytes)"
                )
                continue
            used[cls] = used.get(cls, 0) + w.count
        for cls, n in sorted(used.items()):
            budget = allowed.count.get(cls, 0) * session.calls
            if n > budget:
                found.append(
                    f"{where}: {n} {cls} operations ran on the GPU, but forward's launch log "
                    f"accounts for {budget} ({allowed.count.get(cls, 0)} per call): device "
                    "work hidden from the log"
                )
    return found
