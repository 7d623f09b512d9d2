"""What compiling for the targets adds to a check: wall time per check, median over solutions.

    python benchmarks/target_compile_cost.py [--problems 6] [--rounds 2]

On one warm worker, each bundled solution is checked once unmeasured, then three ways,
interleaved so the machine's load hits them alike: without compiling (``--targets none``),
compiling for the default targets with an empty cache (cold: every kernel compiled), and again
with the cache filled (warm).
Prints the median wall time of each and the ratio to the check without compiling.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

from kernelwright.problem import bundled_problems_dir, find_problems
from kernelwright.reference_kernels import solution_for
from kernelwright.sandbox.backends import SubprocessBackend
from kernelwright.sandbox.pool import Job, Pool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--targets", default=None, help="targets of the compiling checks")
    args = parser.parse_args()
    problems = find_problems(bundled_problems_dir())
    step = max(1, len(problems) // args.problems)
    problems = problems[::step][: args.problems]
    times: dict[str, list[float]] = {"none": [], "cold": [], "warm": []}
    with Pool(SubprocessBackend(), ["cpu"]) as pool:
        pool.warm()
        for r in range(args.rounds):
            for problem in problems:
                code = solution_for(problem).read_text()
                with tempfile.TemporaryDirectory() as cache:
                    os.environ["KERNELWRIGHT_CACHE_DIR"] = cache
                    # Unmeasured: the problem's first check pays for what later ones reuse.
                    pool.evaluate(Job(problem=problem, code=code, targets="none", seeds=[1, 2, 3]))
                    for kind, targets in (
                        ("none", "none"),
                        ("cold", args.targets),
                        ("warm", args.targets),
                    ):
                        job = Job(problem=problem, code=code, targets=targets, seeds=[1, 2, 3])
                        start = time.perf_counter()
                        outcome = pool.evaluate(job)
                        times[kind].append(time.perf_counter() - start)
                        assert outcome.correct, (problem.stem, outcome.message)
                print(f"round {r + 1}: {problem.stem}", flush=True)
    base = statistics.median(times["none"])
    print(f"\n{len(problems)} solutions x {args.rounds} rounds, one CPU worker (interpreter)")
    for kind, values in times.items():
        med = statistics.median(values)
        print(f"{kind:5} median {med:6.2f} s per check, {med / base:.2f}x the check without")


if __name__ == "__main__":
    main()
