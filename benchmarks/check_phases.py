"""Where a check's wall time goes, phase by phase, for bundled solutions on the CPU.

One warm one-worker pool on the `subprocess` backend; each named solution is checked
``--repeats`` times as ``kernelwright check`` does (default shapes, default targets, fresh
seeds), each with an empty compile cache. Printed per check: the total, and the time the pool
spent in each phase (summed over the shape sets): the reference (the child's start and the
float64 reference), the candidate's own trials, the replay, the judge (the replay included),
and the wait for the ahead-of-time compile once everything else was done (every collect of a
compile request: the first trial's, sent early, and the final one).

    python benchmarks/check_phases.py silu,softmax,layer_norm [--repeats 2]
"""

from __future__ import annotations

import argparse
import collections
import os
import tempfile
import time

from kernelwright.problem import bundled_problems_dir, find_problems
from kernelwright.reference_kernels import solution_for
from kernelwright.sandbox import pool as P
from kernelwright.sandbox import target_compile
from kernelwright.sandbox.backends import SubprocessBackend

PHASES = {
    "_reference": "reference",
    "_serve_seeds": "trials",
    "_replay": "replay",
    "_judge": "judge",
}
WAIT = "compile wait"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", help="comma-separated bundled problem names")
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    problems = {p.stem: p for p in find_problems(bundled_problems_dir())}
    unknown = [n for n in args.names.split(",") if n not in problems]
    if unknown:
        ap.error(f"no bundled problem named {', '.join(unknown)}")
    spent: dict[str, float] = collections.defaultdict(float)
    for name, label in PHASES.items():
        inner = P.Pool.__dict__[name]
        fn = inner.__func__ if isinstance(inner, staticmethod) else inner

        def timed(*a, _fn=fn, _label=label, **k):
            t = time.perf_counter()
            try:
                return _fn(*a, **k)
            finally:
                spent[_label] += time.perf_counter() - t

        setattr(P.Pool, name, staticmethod(timed) if isinstance(inner, staticmethod) else timed)
    # Compiler.collect collects the requests sent before the one asked for first (recursively):
    # only the outermost call is timed.
    collect, depth = target_compile.Compiler.collect, [0]

    def waited(self, pending):
        depth[0] += 1
        t = time.perf_counter()
        try:
            return collect(self, pending)
        finally:
            depth[0] -= 1
            if depth[0] == 0:
                spent[WAIT] += time.perf_counter() - t

    target_compile.Compiler.collect = waited
    os.environ["TRITON_INTERPRET"] = "1"
    print(f"load average at the start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with P.Pool(SubprocessBackend(), ["cpu"]) as pool:
        pool.warm()
        for name in args.names.split(","):
            code = solution_for(problems[name]).read_text()
            for _ in range(args.repeats):
                os.environ["KERNELWRIGHT_CACHE_DIR"] = tempfile.mkdtemp(prefix="kw-phases-")
                spent.clear()
                t = time.perf_counter()
                status = pool.evaluate(P.Job(problem=problems[name], code=code)).status.value
                total = time.perf_counter() - t
                parts = "  ".join(
                    f"{label} {spent[label]:.2f}" for label in [*PHASES.values(), WAIT]
                )
                print(f"{name:24s} {status:8s} total {total:5.2f} s   {parts}", flush=True)


if __name__ == "__main__":
    main()
