"""What telling equivalent mutants apart costs a ``kernelwright mutate`` run.

For each problem: the bundled solution's mutants as ``mutate`` samples them (6 per class), the
original checked once on one worker (its launch records, and the time of one check), then every
mutant judged by compiled IR (``evals/equivalence.py``) twice: with an empty IR cache (the
compile process started, every IR compiled) and again with the cache that left (the process
started, nothing compiled). The script prints, per problem, the mutants, which are
equivalent, both judging times, and the cold time in units of one check: a ``mutate`` run
checks every mutant that is not equivalent, so that ratio over the mutant count is the share
of the run the judging adds at most (it runs while the workers check the mutants before).

    python benchmarks/mutate_equivalence.py [softmax argmax ...] [--sandbox subprocess]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from kernelwright.evals import equivalence, mutation
from kernelwright.evals.mutants import make_mutants
from kernelwright.problem import exec_problem, read_problem, resolve_problem
from kernelwright.sandbox.pool import make_pool

DEFAULT = ["softmax", "argmax", "matmul_square", "fused_residual_rmsnorm"]


def judge_all(pool, code: str, records: list[dict], mutants) -> tuple[float, list[str], int]:
    """(seconds, the equivalent mutants' ids, compiles requested) for one pass over every
    mutant."""
    compiler = equivalence.IRCompiler(pool.backend, pool.helper_spec("ttir-bench"))
    try:
        judge = equivalence.Judge(compiler, code, records)
        start = time.monotonic()
        verdicts = [judge.judge(m) for m in mutants]
        seconds = time.monotonic() - start
    finally:
        compiler.close()
    same = [m.id for m, v in zip(mutants, verdicts, strict=True) if v.verdict == "equivalent"]
    return seconds, same, compiler.compiled


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("problems", nargs="*", default=DEFAULT)
    ap.add_argument("--sandbox", default="subprocess")
    ap.add_argument("--json", type=Path, help="Also write the figures here.")
    args = ap.parse_args()
    rows = []
    with make_pool(args.sandbox, "cpu", 1) as pool:
        for name in args.problems:
            path = resolve_problem(name)
            info = read_problem(path)
            solution = path.parents[2] / "solutions" / f"{path.stem}.py"
            code = solution.read_text()
            inputs = exec_problem(info, "small").inputs(0).args
            shapes = [tuple(a.shape) if hasattr(a, "shape") else None for a in inputs]
            mutants = mutation.sample(make_mutants(code, shapes), 6)
            start = time.monotonic()
            base = pool.evaluate(mutation.request(path, code, None, 300).job())
            check_s = time.monotonic() - start
            records = base.details.get("launch_records") or []
            with tempfile.TemporaryDirectory() as cache:
                os.environ["KERNELWRIGHT_CACHE_DIR"] = cache
                cold_s, equivalent, compiled = judge_all(pool, code, records, mutants)
                warm_s, _, recompiled = judge_all(pool, code, records, mutants)
            row = {
                "problem": name,
                "mutants": len(mutants),
                "records": len(records),
                "equivalent": equivalent,  # their ids
                "compiles": compiled,
                "cold_s": round(cold_s, 2),
                "warm_s": round(warm_s, 2),
                "warm_compiles": recompiled,
                "one_check_s": round(check_s, 2),
                "cold_in_checks": round(cold_s / check_s, 2),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
