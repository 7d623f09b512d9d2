"""Findings from the compiler's report per target (``Outcome.targets``), worded so a model can
act on them: spills with the config that caused them, ``tl.dot`` that missed the tensor cores,
occupancy bound by one resource, a block that cannot launch, a target it does not compile for.

Every finding is read off the report; nothing here guesses.
"""

from __future__ import annotations

from kernelwright.hardware import TARGETS
from kernelwright.outcome import KernelCompile, TargetReport, Traffic

# Occupancy below this share of the chip's resident warps is worth a word.
LOW_OCCUPANCY = 0.25
# Requested traffic above this multiple of the minimum is worth a word.
HIGH_TRAFFIC = 1.5
MAX_FINDINGS = 8


def _config(k: KernelCompile) -> str:
    return ", ".join(f"{n}={v}" for n, v in k.config.items()) or "its launch config"


def _error_line(error: str | None) -> str:
    lines = [ln.strip() for ln in (error or "").splitlines() if ln.strip()]
    # The compiler's last line names the error; an assembler's says which instruction.
    for ln in reversed(lines):
        if "error" in ln.lower() or ln.endswith(")"):
            return ln[:300]
    return lines[-1][:300] if lines else "no message"


def _kernel_findings(k: KernelCompile, r: TargetReport) -> list[str]:
    spec = TARGETS.get(r.target)
    arch = r.arch
    out = []
    if not k.compiled:
        where = f" (line {k.error_line})" if k.error_line else ""
        out.append(f"{k.kernel} does not compile for {arch}{where}: {_error_line(k.error)}")
        return out
    if not k.fits:
        out.append(f"{k.kernel} cannot launch on {arch} at {_config(k)}: {k.why_not}")
        return out
    if k.spill_bytes:
        out.append(
            f"{k.kernel} spills {k.spill_bytes} bytes per thread on {arch} at {_config(k)} "
            f"({k.registers} registers): lower the tile sizes or num_stages, or raise num_warps"
        )
    for inputs in k.dot_inputs:
        if k.tensor_core_ops or not inputs.endswith("/ieee"):
            continue
        dtype = inputs.split("/")[0]
        out.append(
            f"{k.kernel}: tl.dot on {dtype} inputs with input_precision='ieee' uses no tensor "
            f"cores on {arch}: use fp16/bf16 operands, or input_precision='tf32' (or 'tf32x3' "
            "for near-fp32 accuracy)"
        )
    if spec and k.warps_per_sm and k.occupancy_limit in ("registers", "shared memory"):
        if k.warps_per_sm < LOW_OCCUPANCY * spec.max_warps_per_sm:
            blocks = k.warps_per_sm // max(1, k.num_warps or 1)
            used = (
                f"{(k.shared_bytes or 0) / 1024:.0f} KB per block"
                if k.occupancy_limit == "shared memory"
                else f"{k.registers} per thread"
            )
            out.append(
                f"{k.kernel} on {arch}: occupancy {k.warps_per_sm} of "
                f"{spec.max_warps_per_sm} warps per SM ({blocks} block"
                f"{'s' if blocks != 1 else ''}), limited by {k.occupancy_limit} ({used})"
            )
    return out


def diagnose_targets(reports: list[TargetReport]) -> list[str]:
    """One line per finding, most serious first (does not compile, cannot launch, spills,
    tensor cores, occupancy), at most MAX_FINDINGS."""
    findings: list[str] = []
    for r in reports:
        if r.error:
            continue  # the compile did not run: nothing is known about the kernels
        for k in r.kernels:
            findings += _kernel_findings(k, r)
    order = ("does not compile", "cannot launch", "spills", "tensor cores", "occupancy")
    findings.sort(key=lambda f: next((i for i, w in enumerate(order) if w in f), len(order)))
    return list(dict.fromkeys(findings))[:MAX_FINDINGS]


def traffic_finding(traffic: Traffic | None) -> str | None:
    """The kernels' requested traffic against the minimum, when it is well above it."""
    if traffic is None or traffic.ratio is None or traffic.ratio < HIGH_TRAFFIC:
        return None
    return (
        f"the kernels requested {traffic.ratio:.1f}x the minimum bytes "
        f"({traffic.total_bytes:,} against {traffic.min_bytes:,}; loads and stores of unmasked "
        "lanes counted on the interpreter, before any cache): read each input once and keep "
        "intermediates in registers"
    )
