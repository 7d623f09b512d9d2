"""Extra cost per check of the stress regimes and the held-out shape, on this machine.

Each bundled problem/solution pair is checked three ways on one warm pool, in turn:

    plain     the check without them: 3 seeds at `small` (the check before issue 15)
    regimes   3 seeds and one trial per stress regime, at `small`
    full      the default check: that, then the held-out shape (2 seeds and the regimes),
              then the many-tiles and divisible shapes where the problem has them (1 seed)
    tiles     the many-tiles shape alone, where the problem has one

and the script prints each pair's wall time per way, then the median over pairs of
regimes/plain and full/plain, and over the pairs with a many-tiles shape the median of
tiles/(full - tiles): what that shape adds to the rest of the check. The float64 reference
(one more torch forward per trial, in the worker, before the candidate runs) is part of every
way, `plain` included.

    python benchmarks/coverage_cost.py [--count 26] [--sandbox auto] [--repeat 1] [NAME ...]

On a machine without a GPU the checks run Triton's interpreter (TRITON_INTERPRET=1).
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass

from kernelwright.problem import bundled_problems_dir, find_problems, has_tiles_shape, read_problem
from kernelwright.sandbox.isolation import select_backend
from kernelwright.sandbox.pool import Job, Pool

SEEDS = [0, 1, 2]


@dataclass
class PlainJob(Job):
    """The check without stress trials: the plain seeds only."""

    def trials(self, info):
        return [(s, None) for s in self.seeds]


def pairs(count: int, names: list[str]):
    solutions = bundled_problems_dir().parent / "solutions"
    out = []
    for p in find_problems(bundled_problems_dir()):
        sol = solutions / f"{p.stem}.py"
        if sol.exists() and (not names or p.stem in names):
            out.append((p, sol.read_text()))
    return out[:count]


def timed(pool: Pool, job: Job) -> tuple[float, bool]:
    t = time.perf_counter()
    outcome = pool.evaluate(job)
    return time.perf_counter() - t, outcome.correct


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=26)
    ap.add_argument("--sandbox", default="auto")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("names", nargs="*", help="Only these bundled problems (default: all).")
    args = ap.parse_args()
    with Pool(select_backend(args.sandbox), ["cpu"]) as pool:
        pool.warm()
        ratios_regimes, ratios_full, ratios_tiles = [], [], []
        print(
            f"{'problem':28} {'plain s':>8} {'regimes s':>10} {'full s':>8} {'tiles s':>8}  correct"
        )
        for problem, code in pairs(args.count, args.names):
            tiles = has_tiles_shape(read_problem(problem))
            times = {"plain": [], "regimes": [], "full": [], "tiles": []}
            ok = True
            for _ in range(args.repeat):
                for way, job in (
                    ("plain", PlainJob(problem=problem, code=code, shape="small", seeds=SEEDS)),
                    ("regimes", Job(problem=problem, code=code, shape="small", seeds=SEEDS)),
                    ("full", Job(problem=problem, code=code, seeds=SEEDS)),
                    *(
                        [("tiles", Job(problem=problem, code=code, shape="tiles", seeds=SEEDS))]
                        if tiles
                        else []
                    ),
                ):
                    t, correct = timed(pool, job)
                    times[way].append(t)
                    ok = ok and correct
            med = {k: statistics.median(v) for k, v in times.items() if v}
            ratios_regimes.append(med["regimes"] / med["plain"])
            ratios_full.append(med["full"] / med["plain"])
            if tiles:
                ratios_tiles.append(med["tiles"] / (med["full"] - med["tiles"]))
            print(
                f"{problem.stem:28} {med['plain']:8.2f} {med['regimes']:10.2f} "
                f"{med['full']:8.2f} {med.get('tiles', 0):8.2f}  {ok}"
            )
    print(
        f"\nmedian over {len(ratios_full)} pairs: regimes/plain "
        f"{statistics.median(ratios_regimes):.2f}x, the default check/plain "
        f"{statistics.median(ratios_full):.2f}x"
    )
    if ratios_tiles:
        print(
            f"median over the {len(ratios_tiles)} pairs with a many-tiles shape: "
            f"tiles/(the rest of the default check) {statistics.median(ratios_tiles):.2f}x"
        )


if __name__ == "__main__":
    main()
