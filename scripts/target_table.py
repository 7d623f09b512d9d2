"""The bundled solutions x compile targets table: registers, spills and shared memory per kernel.

    python scripts/target_table.py [--targets all] [--json table.json] [--markdown table.md]

Checks every bundled solution on this machine (the CPU interpreter here) with the compile
targets asked for, and prints, per solution and target, each launched kernel's registers per
thread / spilled bytes per thread / shared memory per block, or why it did not compile.
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kernelwright.hardware import resolve_targets
from kernelwright.problem import bundled_problems_dir, find_problems
from kernelwright.reference_kernels import solution_for
from kernelwright.sandbox.pool import Job, make_pool


def cell(report) -> str:
    if report.error:
        return f"not run: {report.error}"
    parts = []
    for k in report.kernels:
        if not k.compiled:
            first = (k.error or "").strip().splitlines()
            parts.append(f"{k.kernel}: does not compile ({first[-1][:80] if first else '?'})")
        else:
            smem = f"{k.shared_bytes / 1024:.0f}K" if k.shared_bytes else "0"
            fit = "" if k.fits else " DOES NOT FIT"
            parts.append(f"{k.registers}/{k.spill_bytes}/{smem}{fit}")
    return "; ".join(parts) or "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", default="all")
    parser.add_argument("--json", type=Path, help="write the reports here")
    parser.add_argument("--markdown", type=Path, help="write the table here")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    targets = resolve_targets(args.targets)
    problems = find_problems(bundled_problems_dir())

    with make_pool("auto", "cpu", args.workers) as pool:

        def check(problem):
            code = solution_for(problem).read_text()
            return pool.evaluate(
                Job(problem=problem, code=code, timeout_s=300, targets=args.targets)
            )

        with ThreadPoolExecutor(len(pool.slots)) as tp:
            outcomes = list(tp.map(check, problems))

    header = "| solution | " + " | ".join(t.arch_name + f" ({t.key})" for t in targets) + " |"
    lines = [header, "|" + "---|" * (len(targets) + 1)]
    failures = 0
    for problem, outcome in zip(problems, outcomes, strict=True):
        by_target = {r.target: r for r in outcome.targets}
        cells = [cell(by_target[t.key]) if t.key in by_target else "-" for t in targets]
        failures += not outcome.correct or any(not r.compiled for r in outcome.targets)
        lines.append(f"| {problem.stem} | " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    print(table)
    if args.markdown:
        args.markdown.write_text(table + "\n")
    if args.json:
        rows = {
            p.stem: {"status": o.status.value, "targets": [r.model_dump() for r in o.targets]}
            for p, o in zip(problems, outcomes, strict=True)
        }
        args.json.write_text(json.dumps(rows, indent=1))
    print(f"\n{len(problems) - failures}/{len(problems)} solutions correct and compiled everywhere")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
