"""``kernelwright check`` over many pairs: one batch call (one warm pool) against one call per
pair (what a script looping over pairs does).

Both run the same (problem, solution) pairs, one after another on one worker, through the
real command line, on this machine, in one run: the bundled suite's pairs (or a folder of
problems and a folder of solutions matched by name, e.g. KernelBench level 1 and your
kernels). The script prints, for each way, the per-pair median (seconds) and the total wall
time, and their ratios.

    python benchmarks/batch_check.py [--count 10] [--sandbox subprocess]
    python benchmarks/batch_check.py --problems KernelBench/level1 --solutions my_kernels

Per pair, the batch's time is the pool's time for that pair (from ``--summary``); a single
call's time is the whole command's wall time, start-up included, which is what a user waits.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kernelwright.check_batch import from_folders
from kernelwright.problem import bundled_problems_dir

SOLUTIONS = bundled_problems_dir().parent / "solutions"
CLI = "import sys; from kernelwright.cli import main; sys.argv[0] = 'kernelwright'; main()"


def kernelwright(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", CLI, *args], capture_output=True, text=True, timeout=3600
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--problems", type=Path, default=bundled_problems_dir())
    ap.add_argument("--solutions", type=Path, default=SOLUTIONS)
    ap.add_argument("--count", type=int, default=10, help="Pairs to check (0: all).")
    ap.add_argument("--sandbox", default="subprocess")
    ap.add_argument("--json", type=Path, help="Also write the figures here.")
    args = ap.parse_args()

    pairs = from_folders(args.problems, args.solutions).pairs
    pairs = pairs[: args.count] if args.count else pairs
    common = ["--sandbox", args.sandbox, "--workers", "1", "--seed", "0"]
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "pairs.txt"
        listing.write_text("".join(f"{p.problem.path} {p.solution}\n" for p in pairs))
        summary = Path(tmp) / "summary.json"
        start = time.perf_counter()
        done = kernelwright("check", "--pairs", str(listing), "--summary", str(summary), *common)
        batch_total = time.perf_counter() - start
        if done.returncode not in (0, 1):
            sys.exit(f"the batch check failed: {done.stderr.strip()}")
        results = json.loads(summary.read_text())["results"]
        batch = [r["seconds"] for r in results]
        single = []
        for p in pairs:
            start = time.perf_counter()
            one = kernelwright("check", str(p.problem.path), str(p.solution), *common)
            single.append(time.perf_counter() - start)
            if one.returncode not in (0, 1):
                sys.exit(f"{p.solution}: the check failed: {one.stderr.strip()}")
            print(f"  {p.problem.name}: one call {single[-1]:.2f} s", flush=True)
        shutil.rmtree(tmp, ignore_errors=True)
    figures = {
        "pairs": len(pairs),
        "sandbox": args.sandbox,
        "statuses": sorted({r["status"] for r in results}),
        "batch_median_s": statistics.median(batch),
        "batch_total_s": batch_total,
        "single_median_s": statistics.median(single),
        "single_total_s": sum(single),
    }
    figures["median_ratio"] = figures["single_median_s"] / figures["batch_median_s"]
    figures["total_ratio"] = figures["single_total_s"] / figures["batch_total_s"]
    print(
        f"{len(pairs)} pairs, sandbox {args.sandbox}, one worker: "
        f"batch median {figures['batch_median_s']:.2f} s/pair, total {batch_total:.1f} s; "
        f"one call per pair median {figures['single_median_s']:.2f} s, total "
        f"{figures['single_total_s']:.1f} s; {figures['median_ratio']:.1f}x per pair, "
        f"{figures['total_ratio']:.1f}x in total"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
