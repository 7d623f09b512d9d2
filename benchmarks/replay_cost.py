"""Per-candidate CPU check cost, before and after the trusted replay, side by side in one run.

"Before" is kernelwright at a git revision (default 9a63c53, the last commit before the
replay), unpacked with ``git archive`` into a temporary folder; "after" is this checkout.
Each side runs in its own driver process with a warm pool of one worker (and, after, its
replayer), on the subprocess backend; the bundled solutions are checked at the ``small``
shape set with the same three seeds, old and new alternating for each solution, so both see
the same machine load. Printed: each solution's median seconds before and after, the replay's
seconds (the time the pool spends waiting on the replayer), and the medians over the suite.

    python benchmarks/replay_cost.py [--before 9a63c53] [--repeats 3] [--only softmax,silu]

The bar (issue 14): the median "after" is at most 2x the median "before".
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# kernelwright's package layout (pyproject's package-dir): subpackage -> folder.
PACKAGES = {
    "agent": "agent",
    "prompts": "prompts",
    "sandbox": "sandbox",
    "reference_kernels": "reference_kernels",
    "datasets": "datasets",
    "evals": "evals",
}

DRIVER = r"""
import json, sys, time
import kernelwright
from kernelwright.sandbox.backends import SubprocessBackend
from kernelwright.sandbox.pool import Job, Pool

replay_s = [0.0]
if hasattr(Pool, "_replay"):
    inner = Pool._replay
    def timed(self, *a, **k):
        t = time.perf_counter()
        try:
            return inner(self, *a, **k)
        finally:
            replay_s[0] += time.perf_counter() - t
    Pool._replay = timed

with Pool(SubprocessBackend(), ["cpu"]) as pool:
    pool.warm()
    print(json.dumps({"ready": kernelwright.__file__}), flush=True)
    for line in sys.stdin:
        problem, solution = json.loads(line)
        replay_s[0] = 0.0
        job = Job(problem=problem, code=open(solution).read(), shape="small", seeds=[1, 2, 3],
                  timeout_s=600)
        t = time.perf_counter()
        outcome = pool.evaluate(job)
        seconds = time.perf_counter() - t
        print(json.dumps({"status": outcome.status.value, "seconds": seconds,
                          "replay": replay_s[0]}), flush=True)
"""


def unpack(revision: str, into: Path) -> Path:
    """The revision's tree, laid out as an importable ``kernelwright`` package."""
    src = into / "src"
    src.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
    package = into / "shim" / "kernelwright"
    package.mkdir(parents=True)
    for f in (src / "kernelwright").iterdir():
        (package / f.name).symlink_to(f)
    for name, folder in PACKAGES.items():
        (package / name).symlink_to(src / folder)
    return into / "shim"


class Driver:
    def __init__(self, label: str, pythonpath: str | None, cwd: str):
        env = dict(os.environ)
        if pythonpath:
            env["PYTHONPATH"] = pythonpath
        self.label = label
        self.proc = subprocess.Popen(
            [sys.executable, "-c", DRIVER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=cwd,  # not this checkout: `python -c` puts the working folder first on the path
        )
        ready = json.loads(self.proc.stdout.readline())
        print(f"{label}: kernelwright from {ready['ready']}", flush=True)

    def check(self, problem: Path, solution: Path) -> dict:
        self.proc.stdin.write(json.dumps([str(problem), str(solution)]) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=120)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", default="9a63c53", help="git revision measured as 'before'")
    ap.add_argument(
        "--after", default="", help="git revision measured as 'after' (default: this checkout)"
    )
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated problem names")
    args = ap.parse_args()

    from kernelwright.problem import bundled_problems_dir, find_problems
    from kernelwright.reference_kernels import solution_for

    problems = find_problems(bundled_problems_dir())
    if args.only:
        keep = set(args.only.split(","))
        problems = [p for p in problems if p.stem in keep]
    os.environ["TRITON_INTERPRET"] = "1"
    with tempfile.TemporaryDirectory(prefix="kw-before-") as tmp:
        before = Driver("before", str(unpack(args.before, Path(tmp) / "b")), tmp)
        after_path = str(unpack(args.after, Path(tmp) / "a")) if args.after else None
        after = Driver("after", after_path, tmp)
        rows = []
        try:
            for problem in problems:
                solution = solution_for(problem)
                old, new, replay = [], [], []
                for r in range(args.repeats):
                    # Alternate who goes first, so neither always runs on a warmer machine.
                    pair = (before, after) if r % 2 == 0 else (after, before)
                    got = {d.label: d.check(problem, solution) for d in pair}
                    for label, res in got.items():
                        if res["status"] != "correct":
                            print(f"  {problem.stem} {label}: {res['status']}", flush=True)
                    old.append(got["before"]["seconds"])
                    new.append(got["after"]["seconds"])
                    replay.append(got["after"]["replay"])
                row = (problem.stem, *map(statistics.median, (old, new, replay)))
                rows.append(row)
                print(
                    f"{row[0]:28s} before {row[1]:6.2f} s  after {row[2]:6.2f} s  "
                    f"(replay {row[3]:5.2f} s)  x{row[2] / row[1]:.2f}",
                    flush=True,
                )
        finally:
            before.close()
            after.close()
    b, a, rp = (statistics.median(r[i] for r in rows) for i in (1, 2, 3))
    ratios = statistics.median(r[2] / r[1] for r in rows)
    share = statistics.median(r[3] / r[2] for r in rows)
    print(
        f"\nmedian over {len(rows)} solutions ({args.repeats} repeats each): before {b:.2f} s, "
        f"after {a:.2f} s (x{a / b:.2f}; median per-solution ratio x{ratios:.2f}); replay "
        f"{rp:.2f} s, a median {100 * share:.0f}% of the after time"
    )


if __name__ == "__main__":
    main()
