"""Check every bundled problem with its bundled solution on the GPU, and tabulate the results.

    python scripts/device_table.py --out OUT [--shape bench] [--deadline-s 180]

For each ``reference_kernels/problems/level*/NAME.py`` with a ``reference_kernels/solutions/
NAME.py``, checks the pair through one warm sandbox pool (the same path as ``kernelwright check``,
without a fresh process per problem) and writes ``OUT/table.json`` after every problem, so a
killed run keeps what it finished. Every pair is checked first without timing, then the correct
ones are checked again with eager and torch.compile baselines and timing while the deadline
allows; in each pass the levels take turns (the first problem of each level, then the second,
...), so a run the deadline cuts short still covers every level. Prints the table last, by level
and name. Problems not reached before the deadline are listed as ``not_run``; correct ones the
timing pass did not reach keep their row, untimed.
Exit status: 0 when every solution is correct, 1 otherwise.
"""

from __future__ import annotations

import argparse
import itertools
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PROBLEMS = REPO / "reference_kernels" / "problems"
SOLUTIONS = REPO / "reference_kernels" / "solutions"
# A check that cannot start within this much of the deadline is not started.
MIN_START_S = 20.0


def pairs(problems: Path = PROBLEMS, solutions: Path = SOLUTIONS) -> list[tuple[Path, Path]]:
    """(problem, solution) for every bundled problem, in level and name order."""
    return [
        (p, solutions / p.name)
        for p in sorted(problems.glob("level*/*.py"))
        if p.name != "__init__.py"
    ]


def levels_in_turn(todo: list[tuple[Path, Path]]) -> list[tuple[Path, Path]]:
    """The pairs reordered so the levels take turns, each level in its own order."""
    by_level: dict[str, list[tuple[Path, Path]]] = {}
    for pair in todo:
        by_level.setdefault(pair[0].parent.name, []).append(pair)
    rounds = itertools.zip_longest(*by_level.values())
    return [pair for pairs_ in rounds for pair in pairs_ if pair is not None]


def row_for(
    problem: Path, outcome: dict[str, Any] | None, wall_s: float, error: str = ""
) -> dict[str, Any]:
    name = f"{problem.parent.name}/{problem.stem}"
    if outcome is None:
        return {
            "problem": name,
            "status": "no_outcome",
            "eager_ms": None,
            "compiled_ms": None,
            "solution_ms": None,
            "pct_of_roofline": None,
            "bound_by": None,
            "speedup_eager": None,
            "speedup_compiled": None,
            "wall_s": round(wall_s, 1),
            "message": error,
        }
    timing = outcome.get("timing") or {}
    roof = outcome.get("roofline") or {}
    return {
        "problem": name,
        "status": outcome["status"],
        "eager_ms": timing.get("eager_ms"),
        "compiled_ms": timing.get("compiled_ms"),
        "solution_ms": timing.get("candidate_ms"),
        "pct_of_roofline": roof.get("pct_of_bound"),
        "bound_by": roof.get("bound_by"),
        "speedup_eager": timing.get("speedup_eager"),
        "speedup_compiled": timing.get("speedup_compiled"),
        "wall_s": round(wall_s, 1),
        "message": "" if outcome["status"] == "correct" else (outcome.get("message") or "")[:300],
        "outcome": outcome,
    }


def run_check(
    pool, problem: Path, solution: Path, shape: str, timeout_s: float, timing: bool = True
) -> dict[str, Any]:
    """One pair through the pool; a problem the checker cannot use becomes a row, not a crash."""
    from kernelwright.problem import ProblemError
    from kernelwright.sandbox.pool import Job

    if not solution.exists():
        return row_for(problem, None, 0.0, f"no bundled solution {solution.name}")
    start = time.monotonic()
    job = Job(
        problem=problem, code=solution.read_text(), shape=shape, timeout_s=timeout_s, timing=timing
    )
    try:
        outcome = pool.evaluate(job).model_dump(mode="json")
    except ProblemError as e:
        return row_for(problem, None, time.monotonic() - start, str(e))
    except Exception as e:  # one problem's failure is a row; the table goes on
        return row_for(problem, None, time.monotonic() - start, f"{type(e).__name__}: {e}")
    return row_for(problem, outcome, time.monotonic() - start)


def _fmt(value: Any, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def render(rows: list[dict[str, Any]]) -> str:
    header = (
        f"{'problem':34} {'status':14} {'eager ms':>10} {'compiled ms':>12} "
        f"{'solution ms':>12} {'% roofline':>10} {'bound':>7} {'x eager':>8} "
        f"{'x compiled':>10} {'wall s':>7}"
    )
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(
            f"{r['problem']:34} {r['status']:14} {_fmt(r['eager_ms'], '10.4f')} "
            f"{_fmt(r['compiled_ms'], '12.4f')} {_fmt(r['solution_ms'], '12.4f')} "
            f"{_fmt(r['pct_of_roofline'], '10.1f')} {r['bound_by'] or '-':>7} "
            f"{_fmt(r['speedup_eager'], '8.2f')} {_fmt(r['speedup_compiled'], '10.2f')} "
            f"{_fmt(r['wall_s'], '7.1f')}"
        )
        if r["message"]:
            lines.append(f"    {r['message']}")
    correct = sum(r["status"] == "correct" for r in rows)
    lines.append(f"{correct}/{len(rows)} correct")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for table.json")
    parser.add_argument("--shape", default="bench")
    parser.add_argument("--timeout-s", type=float, default=120.0, help="per solution")
    parser.add_argument(
        "--deadline-s", type=float, default=None, help="start no check after this many seconds"
    )
    parser.add_argument("--problems", type=Path, default=PROBLEMS)
    parser.add_argument("--solutions", type=Path, default=SOLUTIONS)
    parser.add_argument("--sandbox", default="auto", help="auto | subprocess | bwrap | docker")
    args = parser.parse_args(argv)
    todo = pairs(args.problems, args.solutions)
    if not todo:
        print(f"no problems under {args.problems}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    table = args.out / "table.json"
    start = time.monotonic()
    rows: list[dict[str, Any]] = []
    from kernelwright.sandbox.pool import make_pool

    # `timeout` ends this script with SIGTERM, which would leave the worker (its own session)
    # running its job on the GPU while the next step times kernels: exit through the pool.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    with make_pool(args.sandbox, workers=1) as pool:
        _run_all(pool, levels_in_turn(todo), args, table, rows, start)
    print(render(sorted(rows, key=lambda r: r["problem"])))
    return 0 if all(r["status"] == "correct" for r in rows) else 1


def _run_all(pool, todo, args, table: Path, rows: list[dict[str, Any]], start: float) -> None:
    """Two passes: every pair checked without timing first (the correctness table, cheap), then
    the correct ones again with baselines and timing, as long as the deadline allows. Cold
    torch.compile baselines dominate the cost; they must not crowd out a correctness row."""

    def left() -> float | None:
        return None if args.deadline_s is None else args.deadline_s - (time.monotonic() - start)

    def save() -> None:
        table.write_text(json.dumps({"shape": args.shape, "rows": rows}, indent=1))

    def check(problem: Path, solution: Path, timing: bool) -> dict[str, Any] | None:
        remaining = left()
        if remaining is not None and remaining < MIN_START_S:
            return None
        timeout = args.timeout_s if remaining is None else max(10.0, min(args.timeout_s, remaining))
        row = run_check(pool, problem, solution, args.shape, timeout, timing=timing)
        what = "timed" if timing else "checked"
        print(f"{row['problem']}: {row['status']} ({what}, {row['wall_s']} s)", flush=True)
        return row

    for problem, solution in todo:
        row = check(problem, solution, timing=False)
        if row is None:
            row = row_for(problem, None, 0.0, "not started: the deadline was reached")
            row["status"] = "not_run"
        rows.append(row)
        save()
    for k, (problem, solution) in enumerate(todo):
        if rows[k]["status"] != "correct":
            continue
        timed = check(problem, solution, timing=True)
        if timed is None:
            rows[k]["message"] = "correct; not timed: the deadline was reached"
            continue
        rows[k] = timed
        save()


if __name__ == "__main__":
    sys.exit(main())
