"""Per-candidate wall time: a warm worker, a fork of a warm zygote, a fresh interpreter.

Three ways to run each bundled problem/solution pair at the ``small`` shape set, side by
side, candidate by candidate, in one run on this machine:

- ``warm``: the warm worker of an older checkout (``--baseline-python``), where one
  long-lived process runs candidate after candidate (what kernelwright did before each
  candidate got a fresh process; run main at 9a63c53 for it, see the README);
- ``fork``: this checkout's pool, a fresh fork of a warm zygote per candidate;
- ``fresh``: a fresh interpreter per candidate, as KernelBench-style harnesses run: start
  Python, import torch and Triton, load the problem, run the candidate, compare (no guards,
  no sandbox, so the comparison flatters it if anything).

Each pool runs in a process of its own, started once and warmed before the first candidate
(not counted); a candidate's time is its ``Pool.evaluate`` call, or the fresh interpreter's
whole run. The script prints each candidate's times, the median of each way and the ratios.

    python benchmarks/sandbox_overhead.py [--count N] [--sandbox auto] [--device cpu]
        [--baseline-python OLD_CHECKOUT/.venv/bin/python]

On a machine without a GPU everything runs Triton's interpreter (TRITON_INTERPRET=1).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kernelwright.problem import bundled_problems_dir
from kernelwright.sandbox.isolation import select_backend
from kernelwright.sandbox.pool import cuda_device_count

SEEDS = [0, 1, 2]

# A warm pool in a process of its own, with whatever kernelwright its interpreter imports:
# one "problem<TAB>solution" line in, one {"s", "status"} line out.
SERVE = """
import json, sys, time
from pathlib import Path
from kernelwright.sandbox.isolation import select_backend
from kernelwright.sandbox.pool import Job, Pool

sandbox, device, seeds = sys.argv[1], sys.argv[2], [int(s) for s in sys.argv[3].split(",")]
with Pool(select_backend(sandbox), [device]) as pool:
    start = time.perf_counter()
    pool.warm()
    print(json.dumps({"start_s": time.perf_counter() - start}), flush=True)
    for line in sys.stdin:
        problem, solution = line.rstrip("\\n").split("\\t")
        job = Job(problem=Path(problem), code=Path(solution).read_text(), shape="small", seeds=seeds)
        start = time.perf_counter()
        outcome = pool.evaluate(job)
        elapsed = time.perf_counter() - start
        print(json.dumps({"s": elapsed, "status": outcome.status.value}), flush=True)
"""

# The fresh-interpreter harness: everything a one-shot checker does, nothing more.
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


def pairs(count: int | None) -> list[tuple[Path, Path]]:
    """Bundled problems that ship a known-good solution of the same name."""
    root = bundled_problems_dir()
    solutions = root.parent / "solutions"
    found = [
        (p, solutions / p.name)
        for p in sorted(root.glob("level*/*.py"))
        if (solutions / p.name).exists()
    ]
    return found[:count]


def child_env(device: str) -> dict[str, str]:
    env = dict(os.environ)
    if device == "cpu":
        env["TRITON_INTERPRET"] = "1"
        env["CUDA_VISIBLE_DEVICES"] = ""
    else:
        env.pop("TRITON_INTERPRET", None)
    return env


class Server:
    """A warm pool in its own process (``SERVE``), run by ``python``."""

    def __init__(self, python: str, sandbox: str, device: str, cwd: Path):
        seeds = ",".join(map(str, SEEDS))
        self.proc = subprocess.Popen(
            [python, "-c", SERVE, sandbox, device, seeds],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=child_env(device),
            # Not this checkout's folder: `python -c` imports from the working directory
            # first, which would mix this checkout's modules into the older one's.
            cwd=cwd,
            text=True,
        )
        self.start_s = self._answer()["start_s"]

    def _answer(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"the pool process ended (status {self.proc.wait()})")
        return json.loads(line)

    def evaluate(self, problem: Path, solution: Path) -> tuple[float, str]:
        self.proc.stdin.write(f"{problem}\t{solution}\n")
        self.proc.stdin.flush()
        answer = self._answer()
        return answer["s"], answer["status"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def run_fresh(problem: Path, solution: Path, device: str, cache: Path) -> tuple[float, str]:
    env = {**child_env(device), "TRITON_CACHE_DIR": str(cache)}
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
    parser.add_argument("--count", type=int, default=None, help="pairs (default: all)")
    parser.add_argument("--sandbox", default="auto", help="auto, subprocess, bwrap or docker")
    parser.add_argument("--device", default=None, help="cpu or cuda:N (default: GPU if any)")
    parser.add_argument(
        "--baseline-python",
        default=None,
        help="the interpreter of an older checkout whose pool reuses one warm worker "
        "(its venv's python); without it the warm column is left out",
    )
    args = parser.parse_args()
    device = args.device or ("cuda:0" if cuda_device_count() else "cpu")
    sandbox = select_backend(args.sandbox).name  # decided once, the same for both pools
    cases = pairs(args.count)
    # A `timeout` ends this with SIGTERM: exit through the pools' own shutdown.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    servers: dict[str, Server] = {}
    tmp = Path(tempfile.mkdtemp(prefix="kw-overhead-"))
    try:
        if args.baseline_python:
            servers["warm"] = Server(args.baseline_python, sandbox, device, tmp)
        servers["fork"] = Server(sys.executable, sandbox, device, tmp)
        ways = [*servers, "fresh"]
        print(f"{len(cases)} candidates on {device}, pools in the {sandbox} sandbox")
        for name, server in servers.items():
            print(f"{name} pool start (once, not counted): {server.start_s:.2f} s")
        times: dict[str, list[float]] = {w: [] for w in ways}
        print(f"{'candidate':32} " + " ".join(f"{w + ' s':>8}" for w in ways) + "  statuses")
        for i, (problem, solution) in enumerate(cases):
            statuses = []
            for name, server in servers.items():
                elapsed, status = server.evaluate(problem, solution)
                times[name].append(elapsed)
                statuses.append(status)
            elapsed, status = run_fresh(problem, solution, device, tmp / f"cache{i}")
            times["fresh"].append(elapsed)
            statuses.append(status)
            name = f"{problem.parent.name}/{problem.stem}"
            row = " ".join(f"{times[w][-1]:8.3f}" for w in ways)
            print(f"{name:32} {row}  {' / '.join(statuses)}")
    finally:
        for server in servers.values():
            server.close()
        shutil.rmtree(tmp, ignore_errors=True)
    medians = {w: statistics.median(t) for w, t in times.items()}
    print("median per candidate: " + ", ".join(f"{w} {m:.3f} s" for w, m in medians.items()))
    if "warm" in medians:
        print(f"ratio fork / warm: {medians['fork'] / medians['warm']:.2f}x")
    print(f"ratio fresh / fork: {medians['fresh'] / medians['fork']:.1f}x")


if __name__ == "__main__":
    main()
