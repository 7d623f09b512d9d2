"""The whole CPU check of a bundled solution, before and after the trusted replay, side by side.

"Before" is kernelwright at a git revision (default 9a63c53, the last commit before the
replay), unpacked with ``git archive`` into a temporary folder; "after" is this checkout (or
``--after REV``). Each side runs in its own driver process with a warm pool of one worker on
the subprocess backend, and checks each solution as ``kernelwright check PROBLEM SOLUTION``
does: the default shape sets, the default compile targets, fresh seeds per check (the same
for both sides), and an empty compile cache per check (a candidate the agent has just written
has never been compiled; ``--warm-compile-cache`` measures a re-check instead). Old and new alternate for each solution, so both see the same
machine load. Each side checks its own revision's bundled problem and solution (the problem
files changed too: shape domains, stress regimes); a pair either side cannot check is left out
and said so. Printed per solution, medians over the repeats: wall seconds before and after,
the replay's wall seconds (the pool waiting on the replay child), and the CPU seconds the
check cost in all processes (the driver, its zygotes and every child they forked), since a
check can overlap work on a second core; then the medians over the suite and the load.

    python benchmarks/replay_cost.py [--before 9a63c53] [--repeats 3] [--only softmax,silu]
                                     [--coverage check|before]

``--coverage before`` has both sides check what 9a63c53's check covered, 3 plain seeds at
`small`, of the same problem and solution files (the after side's; the before side's copy
leaves out the metadata keys it predates, ``domain`` and ``regimes``, which configure only what
its check never runs): the "after" side then runs without issue 15's stress regimes and extra
shapes, and with everything issue 14 added (the launch log, a fresh process per candidate, the
trusted replay with its bounds check, the ahead-of-time compile), so the ratio is the price of
the evidence alone. The default, ``check``, is the whole check as ``kernelwright check`` runs
it, each side with its own revision's files.

The bar (issue 14): the median "after" is at most 2x the median "before".
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import re
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
import json, os, resource, shutil, sys, tempfile, time
from pathlib import Path
from dataclasses import dataclass, fields, replace
import kernelwright
from kernelwright.problem import bundled_problems_dir, find_problems
from kernelwright.reference_kernels import solution_for
from kernelwright.sandbox.backends import SubprocessBackend
from kernelwright.sandbox.pool import Job, Pool

# Each side checks its own revision's bundled problems and solutions.
PROBLEMS = {p.stem: p for p in find_problems(bundled_problems_dir())}

TICK = os.sysconf("SC_CLK_TCK")

def cpu_seconds():
    # This process, and every live descendant with what it reaped of its own children.
    me = resource.getrusage(resource.RUSAGE_SELF)
    total = me.ru_utime + me.ru_stime
    parent = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parent[int(entry)] = (int(stat[1]), sum(map(int, stat[11:15])))
    mine, frontier = set(), {os.getpid()}
    while frontier:
        frontier = {p for p, (pp, _) in parent.items() if pp in frontier and p not in mine}
        mine |= frontier
    return total + sum(parent[p][1] for p in mine) / TICK

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

@dataclass
class PlainJob(Job):
    # The coverage of 9a63c53's check: the plain seeds only, no stress trials.

    def trials(self, info):
        return [(s, None) for s in self.seeds]

with Pool(SubprocessBackend(), ["cpu"]) as pool:
    pool.warm()
    print(json.dumps({"ready": kernelwright.__file__}), flush=True)
    for line in sys.stdin:
        name, seeds, problem_file, code = json.loads(line)
        replay_s[0] = 0.0
        # Cold: nothing compiled before. Warm: one cache for the run (a re-check).
        cache = tempfile.mkdtemp(prefix="kw-cache-") if sys.argv[1] == "cold" else sys.argv[1]
        os.environ["KERNELWRIGHT_CACHE_DIR"] = cache
        c, t = cpu_seconds(), time.perf_counter()
        try:
            problem = Path(problem_file) if problem_file else PROBLEMS[name]
            code = code or solution_for(PROBLEMS[name]).read_text()
            if sys.argv[2] == "before":
                job = PlainJob(problem=problem, code=code, seeds=seeds, timeout_s=600, shape="small")
            else:
                job = Job(problem=problem, code=code, seeds=seeds, timeout_s=600)
            # Both sides compile for the same targets where their revision has them (9a63c53
            # has none: its check compiled nothing).
            if sys.argv[3] != "-" and "targets" in {f.name for f in fields(Job)}:
                job = replace(job, targets=sys.argv[3])
            status = pool.evaluate(job).status.value
        except Exception as e:  # a problem this revision lacks or refuses: said, not timed
            status = f"error: {type(e).__name__}: {str(e)[:300]}"
        seconds, cpu = time.perf_counter() - t, cpu_seconds() - c
        if sys.argv[1] == "cold":
            shutil.rmtree(cache, ignore_errors=True)
        print(json.dumps({"status": status, "seconds": seconds, "cpu": cpu,
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
    def __init__(
        self, label: str, pythonpath: str | None, cwd: str, cache: str, coverage: str, targets: str
    ):
        env = dict(os.environ)
        if pythonpath:
            env["PYTHONPATH"] = pythonpath
        self.label = label
        self.proc = subprocess.Popen(
            [sys.executable, "-c", DRIVER, cache, coverage, targets],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=cwd,  # not this checkout: `python -c` puts the working folder first on the path
        )
        ready = json.loads(self.proc.stdout.readline())
        print(f"{label}: kernelwright from {ready['ready']}", flush=True)

    def check(self, name: str, seeds: list[int], files: tuple[str, str] | None = None) -> dict:
        """Check a bundled solution: the revision's own files, or (problem path, code)."""
        self.proc.stdin.write(json.dumps([name, seeds, *(files or (None, None))]) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=120)


# Problem metadata 9a63c53 cannot read: they configure only the held-out shape and the stress
# regimes, which its check never runs.
NEWER_KEYS = ("domain", "regimes")


def without_keys(source: str, keys: tuple[str, ...]) -> str:
    """A problem file's text with these keys taken out of its KERNELWRIGHT dict."""
    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    cuts = []
    for node in ast.parse(source).body:
        targets = getattr(node, "targets", [])
        if not any(isinstance(t, ast.Name) and t.id == "KERNELWRIGHT" for t in targets):
            continue
        if not isinstance(node.value, ast.Dict):
            continue
        for k, v in zip(node.value.keys, node.value.values, strict=True):
            if isinstance(k, ast.Constant) and k.value in keys:
                start = starts[k.lineno - 1] + k.col_offset
                end = starts[v.end_lineno - 1] + v.end_col_offset
                comma = re.match(r"\s*,", source[end:])
                cuts.append((start, end + (comma.end() if comma else 0)))
    for start, end in sorted(cuts, reverse=True):
        source = source[:start] + source[end:]
    return source


def same_files(path: Path, root: Path, into: Path) -> tuple[tuple[str, str], tuple[str, str]]:
    """(problem path, solution code) for the after side, and for the before side the same
    problem with the keys it predates taken out: both check the same problem and solution."""
    code = (root / "reference_kernels" / "solutions" / path.name).read_text()
    old = into / path.name
    old.write_text(without_keys(path.read_text(), NEWER_KEYS))
    return (str(path), code), (str(old), code)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return int(text)


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", default="9a63c53", help="git revision measured as 'before'")
    ap.add_argument(
        "--after", default="", help="git revision measured as 'after' (default: this checkout)"
    )
    ap.add_argument("--repeats", type=_positive, default=3, metavar="N")
    ap.add_argument("--only", default="", help="comma-separated problem names")
    ap.add_argument(
        "--warm-compile-cache",
        action="store_true",
        help="a re-check: one compile cache for the run, filled by an unmeasured check of each "
        "solution first (default: an empty cache per check, as for a new candidate)",
    )
    ap.add_argument(
        "--coverage",
        choices=("check", "before"),
        default="check",
        help="check: the whole default check; before: both sides check only what 9a63c53 did "
        "(3 plain seeds at small), so the ratio is the evidence's price alone",
    )
    ap.add_argument(
        "--targets",
        default="",
        help="both sides' compile targets, as `kernelwright check --targets` takes them "
        "(default: the default targets); 'none' leaves only the compile the verdict rests on "
        "(a before revision older than the targets report, 9a63c53, compiles nothing)",
    )
    args = ap.parse_args()

    from kernelwright.problem import bundled_problems_dir, find_problems

    paths = {p.stem: p for p in find_problems(bundled_problems_dir())}
    problems = list(paths)
    if args.only:
        keep = set(args.only.split(","))
        unknown = keep - set(problems)
        if unknown:
            ap.error(f"--only: no bundled problem named {', '.join(sorted(unknown))}")
        problems = [p for p in problems if p in keep]
    os.environ["TRITON_INTERPRET"] = "1"
    targets = args.targets or "default"
    print(
        f"coverage: {args.coverage}; targets: {targets}; load at the start: {_load()}", flush=True
    )
    with tempfile.TemporaryDirectory(prefix="kw-before-") as tmp:
        cache = str(Path(tmp) / "compile-cache") if args.warm_compile_cache else "cold"
        before_path = str(unpack(args.before, Path(tmp) / "b"))
        before = Driver("before", before_path, tmp, cache, args.coverage, args.targets or "-")
        after_path = str(unpack(args.after, Path(tmp) / "a")) if args.after else None
        after = Driver("after", after_path, tmp, cache, args.coverage, args.targets or "-")
        # The after side's tree: its problem and solution files, which both sides check when
        # the coverage is the before's.
        tree = Path(tmp) / "a" / "src" if args.after else ROOT
        if args.after:
            paths = {p.stem: p for p in find_problems(tree / "reference_kernels" / "problems")}
        old_files = Path(tmp) / "old-problems"
        old_files.mkdir()
        rows = []
        try:
            for problem in problems:
                got: dict[str, dict[str, list[float]]] = {"before": {}, "after": {}}
                statuses = []
                if args.warm_compile_cache:
                    for d in (before, after):
                        d.check(problem, [random.randrange(2**31) for _ in range(3)])
                files = {"before": None, "after": None}
                if args.coverage == "before" and problem in paths:
                    files["after"], files["before"] = same_files(paths[problem], tree, old_files)
                for r in range(args.repeats):
                    seeds = [random.randrange(2**31) for _ in range(3)]  # fresh, as `check` has
                    # Alternate who goes first, so neither always runs on a warmer machine.
                    pair = (before, after) if r % 2 == 0 else (after, before)
                    for d in pair:
                        res = d.check(problem, seeds, files[d.label])
                        statuses.append(res["status"])
                        if res["status"] != "correct":
                            print(f"  {problem} {d.label}: {res['status']}", flush=True)
                        for key in ("seconds", "cpu", "replay"):
                            got[d.label].setdefault(key, []).append(res[key])
                if any(st.startswith("error") for st in statuses):
                    print(f"{problem:28s} left out: a side could not check it", flush=True)
                    continue
                b, a = ({k: statistics.median(v) for k, v in got[s].items()} for s in got)
                row = (problem, b["seconds"], a["seconds"], a["replay"], b["cpu"], a["cpu"])
                rows.append(row)
                # The before side's replay too, where it has one to time (a later revision).
                was = f"{b['replay']:4.2f} -> " if b["replay"] else ""
                print(
                    f"{row[0]:28s} before {row[1]:5.2f} s  after {row[2]:5.2f} s  "
                    f"(replay {was}{row[3]:4.2f} s)  x{row[2] / row[1]:.2f}   "
                    f"cpu {row[4]:5.2f} -> {row[5]:5.2f} s  x{row[5] / row[4]:.2f}",
                    flush=True,
                )
        finally:
            before.close()
            after.close()
    b, a, rp, bc, ac = (statistics.median(r[i] for r in rows) for i in (1, 2, 3, 4, 5))
    ratio = statistics.median(r[2] / r[1] for r in rows)
    cpu_ratio = statistics.median(r[5] / r[4] for r in rows)
    share = statistics.median(r[3] / r[2] for r in rows)
    print(
        f"\nmedian over {len(rows)} solutions ({args.repeats} repeats each):\n"
        f"  wall: before {b:.2f} s, after {a:.2f} s (x{a / b:.2f}; median per-solution ratio "
        f"x{ratio:.2f}); replay {rp:.2f} s, a median {100 * share:.0f}% of the after time\n"
        f"  cpu:  before {bc:.2f} s, after {ac:.2f} s (x{ac / bc:.2f}; median per-solution ratio "
        f"x{cpu_ratio:.2f})\n"
        f"load average at the end: {_load()}"
    )


if __name__ == "__main__":
    main()
