"""The Outcome record: the one verdict every layer (check, agent, eval, corpus) speaks."""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, Field


class Status(str, Enum):
    correct = "correct"
    incorrect = "incorrect"
    compile_error = "compile_error"
    runtime_error = "runtime_error"
    timeout = "timeout"
    crashed = "crashed"
    rejected = "rejected"
    format_error = "format_error"


class Check(BaseModel):
    name: str
    passed: bool
    detail: str = ""


class Timing(BaseModel):
    """Milliseconds on a GPU; never filled from the CPU interpreter."""

    candidate_ms: float
    eager_ms: float | None = None
    compiled_ms: float | None = None
    speedup_eager: float | None = None
    speedup_compiled: float | None = None
    stats: dict[str, Any] = Field(default_factory=dict)


class Roofline(BaseModel):
    bytes: int | None = None
    flops: int | None = None
    bound_ms: float | None = None
    pct_of_bound: float | None = None
    bound_by: str | None = None  # "memory" | "compute"


class Traffic(BaseModel):
    """Bytes the kernels asked to load and store (unmasked lanes) in one trial, counted on the
    CPU interpreter: traffic requested by the kernels, before any cache."""

    loaded_bytes: int
    stored_bytes: int
    total_bytes: int
    min_bytes: int | None = None  # the roofline's minimum (inputs read once, outputs written once)
    ratio: float | None = None  # total / minimum: 3.0 for a softmax that reads its row 3 times


class KernelCompile(BaseModel):
    """One kernel, as the candidate launched it, compiled ahead of time for one target."""

    kernel: str
    line: int | None = None  # of its def in the candidate's source
    config: dict[str, Any] = Field(default_factory=dict)  # constexprs and launch options used
    compiled: bool
    # False when the compiler did not finish (out of time, crashed): nothing is known either way
    finished: bool = True
    error: str | None = None  # the compiler's own message, when it did not compile
    error_line: int | None = None  # where in the candidate's source the compiler points
    registers: int | None = None  # per thread (AMD: VGPRs, AccVGPRs included)
    spill_bytes: int | None = None  # per thread: NVIDIA stack frame, AMD scratch
    shared_bytes: int | None = None  # shared memory (LDS) per block
    num_warps: int | None = None
    warps_per_sm: int | None = None  # resident warps (wavefronts) per SM (CU) these allow
    occupancy_limit: str | None = None  # registers | shared memory | warps | blocks | threads
    fits: bool = True  # False: one block needs more than the chip has (why_not says what)
    why_not: str | None = None
    calls_dot: bool = False  # the kernel (helpers inlined) calls tl.dot
    dot_inputs: list[str] = Field(default_factory=list)  # per tl.dot: "f32/ieee", "f16/tf32"
    # e.g. wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16 (PTX)
    tensor_core_ops: list[str] = Field(default_factory=list)
    global_load_bits: int | None = None  # widest global load, bits per thread
    global_store_bits: int | None = None  # widest global store, bits per thread
    async_copy_ops: list[str] = Field(default_factory=list)  # cp.async, TMA, LDS-direct loads
    # What the code generator fixed at compile time (static_values.Statics.dump), and the lines
    # of the atomics on a scalar whose result the kernel uses (ttir.handed_over), of the loads
    # of a scalar whose value reaches every thread's lanes (ttir.spread), of the atomics of any
    # shape whose result is used (ttir.returned) and of the pointers read as numbers
    # (ttir.addresses): evidence for the verdict, dropped from the Outcome
    statics: dict[str, Any] | None = None
    handed_over: list[int] | None = None
    spread: list[int] | None = None
    returned: list[int] | None = None
    addresses: list[int] | None = None


class TargetReport(BaseModel):
    """What the compiler says about every launched kernel on one target."""

    target: str  # the key in kernelwright.hardware.TARGETS
    arch: str  # sm_90, gfx942, ...
    compiled: bool  # every kernel compiled (and fits)
    kernels: list[KernelCompile] = Field(default_factory=list)
    cached: bool = False  # every kernel's report came from the cache
    error: str | None = None  # the compile could not run at all (not the kernels' fault)
    seconds: float = 0.0  # compile time spent for this target (0 when cached)


class Outcome(BaseModel):
    status: Status
    message: str = ""
    checks: list[Check] = Field(default_factory=list)
    timing: Timing | None = None
    roofline: Roofline | None = None
    env: dict[str, Any] = Field(default_factory=dict)
    # Captured stdout/stderr of the candidate, capped (head and tail kept).
    output: str = ""
    # Per-kernel profiler metrics when ncu ran; mismatch locations etc. for feedback.
    details: dict[str, Any] = Field(default_factory=dict)
    # The compiler's report per target (kernelwright.hardware.TARGETS), when kernels ran.
    targets: list[TargetReport] = Field(default_factory=list)
    # Memory traffic the kernels requested in one trial (CPU interpreter only).
    traffic: Traffic | None = None

    @property
    def correct(self) -> bool:
        return self.status is Status.correct

    def compiles_for(self, without_spills: bool = False) -> list[str]:
        """The architectures (sm_90, gfx942) every launched kernel compiled for and fits on;
        with ``without_spills``, only those where no kernel spills."""
        return [
            r.arch
            for r in self.targets
            if r.compiled
            and r.kernels
            and not (without_spills and any(k.spill_bytes for k in r.kernels))
        ]

    def failed_checks(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def to_json(self) -> str:
        return self.model_dump_json()
