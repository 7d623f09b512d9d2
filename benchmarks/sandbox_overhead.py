"""Per-candidate latency: the warm sandbox pool against a fresh process per candidate.

A fresh process per candidate is how KernelBench-style harnesses run: start Python,
import torch and Triton, load the problem, run the candidate, compare. The warm pool
pays the imports once per worker. Both run the same bundled problem/solution pairs at
the ``small`` shape set, one after another, on this machine, in one run; the script
prints each candidate's latency, the median of each way and their ratio.

    python benchmarks/sandbox_overhead.py [--count 10] [--sandbox auto] [--device cpu]

On a machine without a GPU both run Triton's interpreter (TRITON_INTERPRET=1).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kernelwright.problem import bundled_problems_dir
from kernelwright.sandbox.isolation import select_backend
from kernelwright.sandbox.pool import Job, Pool, cuda_device_count

SEEDS = [0, 1, 2]

# The fresh-process harness: everything a one-shot checker does, nothing more (no
# guards, no sandbox), so the comparison flatters it if anything.
FRESH = """
import importlib.util, sys
import torch, triton
from kernelwright.problem import load_problem

problem, solution, device, seeds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
pm = load_problem(problem, "small")
spec = importlib.util.spec_from_file_location("candidate", solution)
candidate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(candidate)
name = pm.info.meta.dtype or "float32"
if name == "bfloat16" and device == "cpu":
    name = "float32"
dtype, tol = getattr(torch, name), pm.info.tolerance(name)
ref = pm.build(pm.module.Model, 0, device).to(dtype)
new = pm.build(candidate.ModelNew, 0, device).to(dtype)
ok = True
for seed in map(int, seeds.split(",")):
    args = [a.to(dtype) if torch.is_tensor(a) and a.is_floating_point() else a
            for a in pm.inputs(seed, device).args]
    with torch.no_grad():
        want, got = ref(*[a.clone() if torch.is_tensor(a) else a for a in args]), new(*args)
    want = want if isinstance(want, (tuple, list)) else [want]
    got = got if isinstance(got, (tuple, list)) else [got]
    ok = ok and all(torch.allclose(g.float(), w.float(), atol=tol.atol, rtol=tol.rtol)
                    for g, w in zip(got, want))
if device.startswith("cuda"):
    torch.cuda.synchronize()
print("correct" if ok else "incorrect")
"""


def pairs(count: int) -> list[tuple[Path, Path]]:
    """Bundled problems that ship a known-good solution of the same name."""
    root = bundled_problems_dir()
    solutions = root.parent / "solutions"
    found = [
        (p, solutions / p.name)
        for p in sorted(root.glob("level*/*.py"))
        if (solutions / p.name).exists()
    ]
    return found[:count]


def fresh_env(device: str) -> dict[str, str]:
    env = dict(os.environ)
    if device == "cpu":
        env["TRITON_INTERPRET"] = "1"
        env["CUDA_VISIBLE_DEVICES"] = ""
    else:
        env.pop("TRITON_INTERPRET", None)
    return env


def run_fresh(problem: Path, solution: Path, device: str, cache: Path) -> tuple[float, str]:
    env = {**fresh_env(device), "TRITON_CACHE_DIR": str(cache)}
    seeds = ",".join(map(str, SEEDS))
    argv = [sys.executable, "-c", FRESH, str(problem), str(solution), device, seeds]
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - start
    lines = done.stdout.strip().splitlines()
    status = lines[-1] if done.returncode == 0 and lines else f"failed ({done.returncode})"
    return elapsed, status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10, help="problem/solution pairs")
    parser.add_argument("--sandbox", default="auto", help="auto, subprocess, bwrap or docker")
    parser.add_argument("--device", default=None, help="cpu or cuda:N (default: GPU if any)")
    args = parser.parse_args()
    device = args.device or ("cuda:0" if cuda_device_count() else "cpu")
    if device == "cpu":
        os.environ["TRITON_INTERPRET"] = "1"  # the parent loads results; keep it CPU-only
    cases = pairs(args.count)
    backend = select_backend(args.sandbox)
    # A `timeout` ends this with SIGTERM: exit through the pool, so its worker (its own
    # session) does not outlive the benchmark on the GPU.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    print(f"{len(cases)} candidates on {device}, warm pool in the {backend.name} sandbox")

    pool_s: list[float] = []
    fresh_s: list[float] = []
    with Pool(backend, [device]) as pool, tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        pool.warm()
        print(f"pool start (once, not counted): {time.perf_counter() - start:.2f} s")
        print(f"{'candidate':32} {'pool s':>8} {'fresh s':>8}  statuses (pool / fresh)")
        for i, (problem, solution) in enumerate(cases):
            job = Job(problem=problem, code=solution.read_text(), shape="small", seeds=SEEDS)
            start = time.perf_counter()
            outcome = pool.evaluate(job)
            pool_s.append(time.perf_counter() - start)
            elapsed, status = run_fresh(problem, solution, device, Path(tmp) / f"cache{i}")
            fresh_s.append(elapsed)
            name = f"{problem.parent.name}/{problem.stem}"
            print(
                f"{name:32} {pool_s[-1]:8.3f} {fresh_s[-1]:8.3f}  {outcome.status.value} / {status}"
            )
    warm, fresh = statistics.median(pool_s), statistics.median(fresh_s)
    print(f"median per candidate: warm pool {warm:.3f} s, fresh process {fresh:.3f} s")
    print(f"ratio (fresh / warm): {fresh / warm:.1f}x")


if __name__ == "__main__":
    main()
