"""Nsight Compute metrics for a candidate's kernels, when ``ncu`` is present and enabled.

Enabled by ``KERNELWRIGHT_NCU=1`` (or ``enabled=True``). The candidate runs in a child process
under ``ncu``: once untimed (compilation and autotuning), then once between
``cudaProfilerStart``/``Stop``, so only its own kernels of that call are profiled
(``--profile-from-start off``). Clocks are left as the device runs them (``--clock-control
none``), the same state the timer measures in. Call this from inside the sandbox worker: the
child inherits the worker's isolation.

Per kernel: DRAM throughput and SM throughput (% of peak), achieved occupancy (%), registers
per thread, shared memory per block (static + dynamic, bytes) and duration (ns).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import subprocess
import sys
import tempfile
import types
from pathlib import Path
from typing import Any

METRICS = {
    "gpu__time_duration.sum": "duration_ns",
    "dram__throughput.avg.pct_of_peak_sustained_elapsed": "dram_throughput_pct",
    "sm__throughput.avg.pct_of_peak_sustained_elapsed": "sm_throughput_pct",
    "sm__warps_active.avg.pct_of_peak_sustained_active": "achieved_occupancy_pct",
    "launch__registers_per_thread": "registers_per_thread",
    "launch__shared_mem_per_block_static": "shared_mem_static_bytes",
    "launch__shared_mem_per_block_dynamic": "shared_mem_dynamic_bytes",
}
# Enough for any fused candidate; a candidate that launches more is summarised by its first ones.
MAX_KERNELS = 32
DEFAULT_TIMEOUT_S = 300.0


def ncu_enabled(enabled: bool | None = None) -> bool:
    if enabled is not None:
        return enabled
    return os.environ.get("KERNELWRIGHT_NCU", "").strip().lower() in ("1", "true", "yes", "on")


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    text = text.strip().replace(",", "")
    if not text or text.lower() in ("n/a", "nan"):
        return None
    try:
        return float(text)
    except ValueError:
        return None


def parse_raw_csv(text: str) -> list[dict[str, Any]]:
    """Kernels from ``ncu --import R --csv --page raw --print-units base``.

    The page is a header row (identity columns, then one column a metric), a row of units with
    empty identity cells, then one row a kernel launch. Lines ncu prints before the header
    (``==PROF==`` notes) are skipped.
    """
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith('"ID"')), None)
    if start is None:
        return []
    kernels = []
    for row in csv.DictReader(io.StringIO("\n".join(lines[start:]))):
        name = (row.get("Kernel Name") or "").strip()
        if not name or not (row.get("ID") or "").strip():
            continue
        kernel: dict[str, Any] = {"name": name}
        for metric, field in METRICS.items():
            kernel[field] = _number(row.get(metric))
        static = kernel.pop("shared_mem_static_bytes")
        dynamic = kernel.pop("shared_mem_dynamic_bytes")
        kernel["shared_mem_per_block_bytes"] = (
            None if static is None and dynamic is None else (static or 0) + (dynamic or 0)
        )
        if kernel["registers_per_thread"] is not None:
            kernel["registers_per_thread"] = int(kernel["registers_per_thread"])
        kernels.append(kernel)
    return kernels


def collect_metrics(
    problem: Path,
    solution: Path,
    *,
    shape: str = "bench",
    seed: int = 0,
    enabled: bool | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> dict[str, Any] | None:
    """Profile the solution's kernels on the problem; None when ncu is absent or not enabled.

    Returns {"tool": "ncu", "kernels": [...]} or, when profiling failed, {"tool": "ncu",
    "error": one line}.
    """
    ncu = shutil.which("ncu")
    if not ncu_enabled(enabled) or ncu is None:
        return None
    with tempfile.TemporaryDirectory(prefix="kw-ncu-") as tmp:
        report = Path(tmp) / "report"
        profile = [
            ncu,
            "--target-processes",
            "all",
            "--profile-from-start",
            "off",
            "--clock-control",
            "none",
            "--launch-count",
            str(MAX_KERNELS),
            "--metrics",
            ",".join(METRICS),
            "--export",
            str(report),
            "--force-overwrite",
            sys.executable,
            "-m",
            "kernelwright.sandbox.ncu",
            "--problem",
            str(problem),
            "--solution",
            str(solution),
            "--shape",
            shape,
            "--seed",
            str(seed),
        ]
        error = _run(profile, timeout_s)
        if error:
            return {"tool": "ncu", "error": error}
        imported = [
            ncu,
            "--import",
            f"{report}.ncu-rep",
            "--csv",
            "--page",
            "raw",
            "--print-units",
            "base",
        ]
        try:
            out = subprocess.run(imported, capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return {"tool": "ncu", "error": f"reading the ncu report took over {timeout_s:g} s"}
        if out.returncode != 0:
            return {"tool": "ncu", "error": _tail(out.stderr or out.stdout)}
    kernels = parse_raw_csv(out.stdout)
    if not kernels:
        return {"tool": "ncu", "error": "ncu profiled no kernel of the candidate"}
    return {"tool": "ncu", "kernels": kernels}


def _tail(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"


def _run(cmd: list[str], timeout_s: float) -> str | None:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return f"ncu did not finish within {timeout_s:g} s"
    if out.returncode != 0:
        return f"ncu exited with {out.returncode}: {_tail(out.stderr or out.stdout)}"
    return None


def model_and_inputs(pm, cls: type, seed: int, device: str) -> tuple[Any, list[Any]]:
    """``cls`` built and the inputs made in the problem's dtype, as the sandbox's worker runs
    them: the kernels profiled are the ones that were checked and timed (an fp16 problem's
    ``get_inputs`` often makes fp32 tensors)."""
    import torch

    model = pm.build(cls, seed, device)
    args = pm.inputs(seed, device).args
    if pm.info.meta.dtype:
        dtype = getattr(torch, pm.info.meta.dtype)
        model = model.to(dtype)
        args = [a.to(dtype) if torch.is_tensor(a) and a.is_floating_point() else a for a in args]
    return model, args


def _profiled_call(problem: Path, solution: Path, shape: str, seed: int) -> None:
    """The child's work under ncu: one warm-up call, then one call inside the profiled range."""
    import torch

    from kernelwright.problem import load_problem

    pm = load_problem(problem, shape)
    module = types.ModuleType("kw_ncu_candidate")
    module.__file__ = str(solution)
    exec(compile(solution.read_text(), str(solution), "exec"), module.__dict__)
    model, args = model_and_inputs(pm, module.ModelNew, seed, "cuda")
    with torch.no_grad():
        model(*args)
        torch.cuda.synchronize()
        torch.cuda.profiler.start()
        model(*args)
        torch.cuda.synchronize()
        torch.cuda.profiler.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kernelwright.sandbox.ncu",
        description="Run a candidate once inside a profiler range (the child ncu launches).",
    )
    parser.add_argument("--problem", type=Path, required=True)
    parser.add_argument("--solution", type=Path, required=True)
    parser.add_argument("--shape", default="bench")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    _profiled_call(args.problem, args.solution, args.shape, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
