"""What the replay's bounds check costs on the CPU interpreter: the same replays with and without it.

Each bundled solution is checked once through a warm pool (subprocess backend, one worker),
and the replay requests the pool sends to its replayer are kept. Those requests are then run
again in this process (``replay.run_job``, interpreter), alternating with the bounds check on
and off (``Replay.bounds_file`` None), ``--repeats`` times; printed: each solution's median
CPU seconds on and off, their ratio, and the medians over the solutions. Only the replays are
timed, so the ratio is the check's own cost, without the noise of the rest of a check.

    python benchmarks/bounds_cost.py [--repeats 3] [--only gelu,softmax]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
import warnings

os.environ["TRITON_INTERPRET"] = "1"  # before Triton is imported: kernels run interpreted


def _capture(problems: list) -> dict[str, list[dict]]:
    from kernelwright.reference_kernels import solution_for
    from kernelwright.sandbox.backends import SubprocessBackend
    from kernelwright.sandbox.pool import Job, Pool, derived_seed

    requests: dict[str, list[dict]] = {}
    inner = Pool._replay

    def keep(self, slot, info, job, logs, plan, program, jobdir, env):
        result = inner(self, slot, info, job, logs, plan, program, jobdir, env)
        requests.setdefault(current[0], []).append(
            {
                "device": "cpu",
                "problem": str(info.path),
                "problem_source": info.source,
                "shape": job.shape,
                "draw_seed": derived_seed(job.seeds, "heldout"),
                "init_seed": job.init_seed,
                "source": job.code,
                "logs": [log.model_dump(mode="json") for log in logs],
                "plan": plan,
                "program": {k: d.model_dump() for k, d in program.items()},
                "allow_torch_ops": job.allow_torch_ops,
            }
        )
        return result

    Pool._replay = keep
    current = [""]
    with Pool(SubprocessBackend(), ["cpu"]) as pool:
        pool.warm()
        for problem in problems:
            current[0] = problem.stem
            code = solution_for(problem).read_text()
            outcome = pool.evaluate(Job(problem=problem, code=code, seeds=[1, 2, 3], timeout_s=600))
            if not outcome.correct:
                raise SystemExit(f"{problem.stem}: the bundled solution is {outcome.status.value}")
    Pool._replay = inner
    return requests


def _run(requests: list[dict], bounds: bool) -> float:
    """CPU seconds of this process (the replays run in it): less shaken by a loaded machine
    than wall time."""
    from kernelwright.sandbox import replay

    init = replay.Replay.__init__

    def unchecked(self, *a, **k):
        init(self, *a, **k)
        self.bounds_file = None

    if not bounds:
        replay.Replay.__init__ = unchecked
    folder = tempfile.mkdtemp(prefix="bounds-cost")
    try:
        t = time.process_time()
        for r in requests:
            result = replay.run_job({**r, "dir": folder})
            if result["error"] or any(x["error"] for x in result["replays"]):
                raise SystemExit(f"a replay failed: {result}")
        return time.process_time() - t
    finally:
        replay.Replay.__init__ = init
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated problem names")
    args = ap.parse_args()
    warnings.filterwarnings("ignore", category=RuntimeWarning)  # NumPy's, from kernels' math
    from kernelwright.problem import bundled_problems_dir, find_problems

    problems = find_problems(bundled_problems_dir())
    if args.only:
        problems = [p for p in problems if p.stem in set(args.only.split(","))]
    names = [p.stem for p in problems]
    requests = _capture(problems)
    ratios, on_all, off_all = [], [], []
    for name in names:
        on, off = [], []
        for _ in range(args.repeats):
            off.append(_run(requests[name], bounds=False))
            on.append(_run(requests[name], bounds=True))
        m_on, m_off = statistics.median(on), statistics.median(off)
        ratios.append(m_on / m_off)
        on_all.append(m_on)
        off_all.append(m_off)
        print(
            f"{name:28s} off {m_off:6.2f} cpu-s  on {m_on:6.2f} cpu-s  x{m_on / m_off:.3f}",
            flush=True,
        )
    print(
        f"\nmedian over {len(names)} solutions ({args.repeats} repeats each): replays without "
        f"the bounds check {statistics.median(off_all):.2f} cpu-s, with it "
        f"{statistics.median(on_all):.2f} cpu-s; median per-solution ratio x{statistics.median(ratios):.3f}"
    )


if __name__ == "__main__":
    main()
