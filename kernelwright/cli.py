"""The ``kernelwright`` command line.

Exit status everywhere: 0 success (for ``check``: every solution correct), 1 a result
that is not a success, 2 a usage error or unusable input (a message, never a traceback).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

# Only what the commands' signatures need is imported here: `kernelwright --help` must not
# load torch, Triton or the model clients (tests/test_cli_help.py).
from kernelwright import cli_options as opts
from kernelwright.agent.commands import generate
from kernelwright.cli_help import EPILOGS, Command, Group
from kernelwright.datasets import commands as corpus_commands
from kernelwright.evals.commands import eval_command, report_command
from kernelwright.evals.mutation_command import mutate_command
from kernelwright.problem import ProblemError

app = typer.Typer(
    cls=Group,
    help="kernelwright: an agent that writes Triton kernels with language models, checks "
    "them against PyTorch references in a sandbox, and times them against the roofline.",
    epilog=EPILOGS["kernelwright"],
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
problems_app = typer.Typer(
    cls=Group, help="Inspect problem suites.", epilog=EPILOGS["problems"], no_args_is_help=True
)
app.add_typer(problems_app, name="problems")
corpus_app = typer.Typer(
    cls=Group,
    help="Training corpus: build from run directories, generate problems, inductor teacher.",
    epilog=EPILOGS["corpus"],
    no_args_is_help=True,
)
for _name in ("build", "generate", "teach"):
    corpus_app.command(_name, cls=Command, epilog=EPILOGS["corpus"])(
        getattr(corpus_commands, _name)
    )
app.add_typer(corpus_app, name="corpus")

console = Console(stderr=True, soft_wrap=True)
out = Console()


def fail(message: str, code: int = 2) -> None:
    console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


app.command("generate", cls=Command, epilog=EPILOGS["generate"])(generate)

TARGETS_HELP = (
    "Compile every launched kernel for these chips: comma-separated keys of "
    "kernelwright.hardware.TARGETS (a100, h100, h200, b200, rtx5090, mi300x, mi355x), 'default' "
    "(this machine's GPU, h100 and mi300x: what no option means), 'all' or 'none'."
)


def _check_targets(targets: str | None) -> None:
    """A --targets value that names no target is a usage error, before any work."""
    from kernelwright.hardware import TargetError, resolve_targets

    try:
        resolve_targets(targets)
    except TargetError as e:
        fail(f"--targets: {e}")


@app.command(cls=Command, epilog=EPILOGS["check"])
def check(
    problem: str = typer.Argument(
        None, help="Problem file, or the name of a bundled problem.", show_default=False
    ),
    solutions: list[Path] = typer.Argument(
        None, help="Candidate module(s) defining ModelNew.", show_default=False
    ),
    problems_dir: Path = typer.Option(
        None,
        "--problems",
        help="Batch: a folder of problem files (a KernelBench level1/ works); each solution in "
        "--solutions is checked against the problem it is named after (file stem or name).",
    ),
    solutions_dir: Path = typer.Option(
        None, "--solutions", help="Batch: the folder of solutions NAME.py for --problems."
    ),
    pairs_file: Path = typer.Option(
        None, "--pairs", help="Batch: a file of 'PROBLEM SOLUTION' lines ('#' comments)."
    ),
    summary: Path = typer.Option(
        None, "--summary", help="Write every result (and what Ctrl-C stopped) to this JSON file."
    ),
    json_out: bool = typer.Option(
        False, "--json", help="One Outcome JSON object per line, in the order of the pairs."
    ),
    timeout: float = typer.Option(
        120.0, help="Seconds per solution before it is killed.", callback=opts.positive_seconds
    ),
    shape: str = typer.Option(
        None,
        help="Shape set: a declared one, 'small', 'heldout', 'tiles' or 'even' (default: on "
        "the CPU small, heldout and, where the problem has them, tiles and even, every size a "
        "multiple of a power of two up to 1024 so a fast path for sizes that divide the block "
        "runs; on a GPU every declared set and heldout).",
    ),
    device: str = typer.Option("auto", help="auto, cpu, cuda or cuda:N.", callback=opts.device),
    sandbox: opts.Sandbox = typer.Option("auto", help="Isolation backend (auto: the strongest)."),
    workers: int = typer.Option(None, min=1, help="Workers on the CPU (default: core count)."),
    allow_torch_ops: bool = typer.Option(
        False, help="Relaxed track: allow PyTorch compute in forward (recorded in the Outcome)."
    ),
    timing: bool = typer.Option(True, help="Time on a GPU against eager and torch.compile."),
    seed: int = typer.Option(
        None, min=0, help="Fix the trial seeds (default: fresh random seeds)."
    ),
    targets: str = typer.Option(None, help=TARGETS_HELP),
) -> None:
    """Check solutions against problems' references: correctness, guards, timing.

    One problem and its solutions, or a batch (--problems with --solutions, or --pairs)
    through one warm pool, each result printed as it comes."""
    from kernelwright import check_batch
    from kernelwright.problem import resolve_problem

    forms = [problem is not None, problems_dir is not None, pairs_file is not None]
    if sum(forms) != 1:
        fail("give PROBLEM SOLUTION..., or --problems DIR --solutions DIR, or --pairs FILE")
    if (problems_dir is None) != (solutions_dir is None):
        fail("--problems and --solutions go together")
    _check_targets(targets)
    try:
        if problem is not None:
            if not solutions:
                fail("give at least one SOLUTION after the PROBLEM")
            pairs = check_batch.from_arguments(resolve_problem(problem), solutions)
        elif problems_dir is not None:
            pairs = check_batch.from_folders(problems_dir, solutions_dir)
        else:
            pairs = check_batch.from_file(pairs_file)
    except (ProblemError, check_batch.BatchError) as e:
        fail(str(e))
    for info in {p.problem.path: p.problem for p in pairs.pairs}.values():
        if (why := opts.shape_error(info, shape, drawn=True)) is not None:
            fail(why)
    for sol in pairs.unmatched_solutions:
        console.print(f"[yellow]note:[/yellow] {sol}: no problem of that name", highlight=False)
    _run_checks(
        pairs,
        summary,
        json_out,
        timeout,
        shape,
        device,
        sandbox,
        workers,
        allow_torch_ops,
        timing,
        seed,
        targets,
    )


def _run_checks(
    pairs,
    summary,
    json_out,
    timeout,
    shape,
    device,
    sandbox,
    workers,
    allow_torch_ops,
    timing,
    seed,
    targets,
) -> None:
    from kernelwright import check_batch
    from kernelwright.sandbox.executor import EvalRequest
    from kernelwright.sandbox.pool import make_pool

    seeds = [seed + i for i in range(3)] if seed is not None else None
    n = len(pairs.pairs)
    try:
        # On the CPU: no more workers than pairs, nor (by default) than cores. A GPU machine
        # gets one worker per GPU whatever this says.
        pool = make_pool(sandbox, device, min(workers or os.cpu_count() or 1, n))
    except (ProblemError, RuntimeError) as e:
        fail(str(e))
    batch = n > 1 and len({p.problem.path for p in pairs.pairs}) > 1

    def request(pair: check_batch.Pair) -> EvalRequest:
        return EvalRequest(
            problem=pair.problem.path,
            code=pair.code,
            shape=shape,
            timeout_s=timeout,
            timing=timing,
            allow_torch_ops=allow_torch_ops,
            seeds=seeds,
            targets=targets,
        )

    # JSON lines keep the pairs' order: each is printed once it and every earlier one are in.
    arrived: dict[int, check_batch.Result] = {}
    next_json = 0

    def on_result(i: int, result: check_batch.Result) -> None:
        nonlocal next_json
        label = f"{result.pair.problem.name}: {result.pair.solution}" if batch else None
        if result.error is not None:
            console.print(
                f"[red]error:[/red] {label or result.pair.solution}: {result.error}",
                highlight=False,
            )
        elif not json_out:
            _print_outcome(label or str(result.pair.solution), result.outcome)
        arrived[i] = result
        while json_out and next_json in arrived:
            outcome = arrived.pop(next_json).outcome
            if outcome is not None:
                print_json(outcome.to_json())
            next_json += 1

    with pool:
        run = check_batch.run(pool, pairs.pairs, request, on_result)
    if summary is not None:
        check_batch.write_summary(summary, run, pairs)
    results = run.results
    correct = sum(1 for r in results if r.outcome is not None and r.outcome.correct)
    if run.interrupted:
        lost = [f"{p.solution} ({p.problem.name})" for p in run.killed]
        console.print(
            f"interrupted: {len(results)} of {n} checked, reported above"
            + (f"; killed while running: {', '.join(lost)}" if lost else "")
            + (f"; not started: {len(run.not_started)}" if run.not_started else "")
            + (f"; summary: {summary}" if summary is not None else ""),
            highlight=False,
        )
        raise typer.Exit(130)
    if batch or summary is not None:
        without = len(pairs.unmatched_problems)
        console.print(
            f"{correct} of {n} correct"
            + (f"; {without} problem(s) without a solution" if without else "")
            + (f"; summary: {summary}" if summary is not None else ""),
            highlight=False,
        )
    if any(r.error is not None for r in results):
        raise typer.Exit(2)
    raise typer.Exit(0 if correct == n else 1)


def target_line(report) -> str:
    """One compile target's report in a line: registers/spills/shared memory per kernel."""
    if report.error:
        return f"{report.arch}: not compiled ({report.error})"
    parts = []
    for k in report.kernels:
        if not k.compiled:
            first = (k.error or "").strip().splitlines()
            parts.append(f"{k.kernel} does not compile: {first[-1][:120] if first else '?'}")
            continue
        tc = f", tensor cores {k.tensor_core_ops[0]}" if k.tensor_core_ops else ""
        parts.append(
            f"{k.kernel} {k.registers} regs, {k.spill_bytes} B spilled, "
            f"{(k.shared_bytes or 0) / 1024:.0f} KB smem, {k.warps_per_sm} warps/SM "
            f"({k.occupancy_limit}){tc}"
        )
    return f"{report.arch}: " + "; ".join(parts)


def print_json(text: str) -> None:
    """One JSON document on stdout, as it is: messages carry brackets ("[shape heldout: ..]")
    that Rich would otherwise read as markup and drop."""
    out.print(text, soft_wrap=True, highlight=False, markup=False)


def _print_outcome(label: str, outcome) -> None:
    color = "green" if outcome.correct else "red"
    out.print(
        f"[bold]{escape(label)}[/bold]: [{color}]{outcome.status.value}[/{color}]", highlight=False
    )
    # Messages and check names carry brackets ("[shape heldout: ...]"): text, not markup.
    out.print(f"  {outcome.message}", highlight=False, markup=False)
    for c in outcome.checks:
        # The message usually is the first failed check: say each failure once.
        if not c.passed and f"{c.name}: {c.detail}" not in outcome.message:
            out.print(f"  [red]x[/red] {escape(f'{c.name}: {c.detail}')}", highlight=False)
    if outcome.timing:
        t = outcome.timing
        line = f"  time {t.candidate_ms:.4g} ms"
        if t.speedup_eager:
            line += f", {t.speedup_eager:.2f}x eager"
        if t.speedup_compiled:
            line += f", {t.speedup_compiled:.2f}x torch.compile"
        out.print(line)
    elif outcome.env.get("interpreter"):
        out.print("  timing: not measured (Triton CPU interpreter: correctness only)")
    if outcome.roofline and outcome.roofline.pct_of_bound is not None:
        out.print(
            f"  roofline: {outcome.roofline.pct_of_bound:.1f}% of the "
            f"{outcome.roofline.bound_by}-bound limit"
        )
    if outcome.traffic and outcome.traffic.ratio is not None:
        out.print(
            f"  traffic: {outcome.traffic.ratio:.2f}x the minimum bytes (requested by the "
            "kernels on the interpreter, before any cache)"
        )
    for report in outcome.targets:
        out.print(f"  {target_line(report)}", highlight=False)
    env = outcome.env
    if env:
        out.print(
            f"  [dim]{env.get('device_name', env.get('device'))}, sandbox "
            f"{env.get('sandbox')}, torch {env.get('torch')}, triton {env.get('triton')}[/dim]",
            highlight=False,
        )
    for note in env.get("notes", []):
        out.print(f"  [yellow]note:[/yellow] {note}", highlight=False)
    if outcome.output.strip() and not outcome.correct:
        out.print("  [dim]candidate output (tail):[/dim]")
        out.print("    " + outcome.output.strip()[-800:].replace("\n", "\n    "), highlight=False)


@app.command(cls=Command, epilog=EPILOGS["prompt"])
def prompt(
    problem: str = typer.Argument(..., help="Problem file, or the name of a bundled problem."),
    variant: str = typer.Option(
        "full", help="bare | contract | full, or finer: full-guide, contract+patterns, ..."
    ),
    shape: str = typer.Option("small", help="The shape set whose inputs the prompt lists."),
    target: str = typer.Option(
        None, help="Put this chip's facts in the prompt (a key of kernelwright.hardware.TARGETS)."
    ),
) -> None:
    """Print what the model sees for a problem: the system and the first user message."""
    from kernelwright.problem import read_problem, resolve_problem
    from kernelwright.prompts.show import render_prompt

    try:
        why = opts.shape_error(read_problem(resolve_problem(problem)), shape)
    except ProblemError as e:
        fail(str(e))
    if why is not None:
        fail(why)
    try:
        text = render_prompt(problem, variant, shape, target)
    except (ProblemError, ValueError) as e:
        fail(str(e))
    out.print(text, markup=False, highlight=False, soft_wrap=True)


app.command("eval", cls=Command, epilog=EPILOGS["eval"])(eval_command)
app.command("mutate", cls=Command, epilog=EPILOGS["mutate"])(mutate_command)
app.command("report", cls=Command, epilog=EPILOGS["report"])(report_command)


@problems_app.command("list", cls=Command, epilog=EPILOGS["problems"])
def problems_list(
    path: Path = typer.Argument(
        None, help="A folder of problem files (default: the bundled suite)."
    ),
    json_out: bool = typer.Option(False, "--json", help="One JSON object per problem."),
    degenerate: bool = typer.Option(
        True, help="Run each reference at its small shape to warn about degenerate outputs."
    ),
) -> None:
    """List problems: level, tags, dtype, shape sets, and warnings."""
    from kernelwright.evals.mutation import read_scores, score_label
    from kernelwright.evals.suite import problem_level
    from kernelwright.problem import bundled_problems_dir, find_problems, read_problem

    root = path or bundled_problems_dir()
    scores = read_scores()
    try:
        files = find_problems(root)
    except ProblemError as e:
        fail(str(e))
    from kernelwright.sandbox.verify import degenerate_warning  # torch: after the usage checks

    rows = []
    for f in files:
        try:
            info = read_problem(f)
        except ProblemError as e:
            rows.append({"path": str(f), "error": str(e)})
            continue
        level = problem_level(info)  # a KernelBench file's level is its levelN folder's
        row = {
            # What an eval calls the problem, in its records and reports.
            "key": info.name if level is None else f"level{level}/{info.name}",
            "name": info.name,
            "path": str(f),
            "level": level,
            "tags": info.meta.tags,
            "dtype": info.meta.dtype,
            "shapes": info.shape_names,
            "mutation_score": _mutation_score(info, scores),
        }
        if degenerate:
            row["warning"] = degenerate_warning(info)
        rows.append(row)
    if json_out:
        for r in rows:
            print_json(json.dumps(r))
        return
    table = Table(title=f"{len(rows)} problems in {root}")
    # Names are typed back on the command line: never cut; the other columns give way.
    longest = max((len(r.get("key", Path(r["path"]).stem)) for r in rows), default=4)
    table.add_column("problem", no_wrap=True, min_width=longest)
    table.add_column("level", no_wrap=True)
    table.add_column("tags", overflow="fold")
    table.add_column("dtype", no_wrap=True)
    table.add_column("shapes", overflow="fold")
    table.add_column("mutation", no_wrap=True)
    table.add_column("warning", overflow="fold")
    for r in rows:
        if "error" in r:
            table.add_row(Path(r["path"]).stem, "", "", "", "", "", f"[red]{r['error']}[/red]")
            continue
        m = r["mutation_score"]
        low = m is not None and m["score"] is not None and m["score"] < 0.95
        table.add_row(
            r["key"],
            str(r["level"] or ""),
            ", ".join(r["tags"]),
            r["dtype"] or "",
            ", ".join(r["shapes"]),
            f"[{'red' if low else 'default'}]{score_label(m)}[/]" if m else "",
            f"[yellow]{r.get('warning') or ''}[/yellow]",
        )
    out.print(table)
    out.print(
        "[dim]mutation: realistic bugs in the bundled solution that the checks refuse "
        "(`kernelwright mutate --bundled --record` measures them)[/dim]"
    )


def _mutation_score(info, scores: dict[str, dict]) -> dict | None:
    """A bundled problem's recorded score, if it was measured on this very problem file."""
    entry = scores.get(info.name)
    if entry is None or entry.get("problem_sha256") != info.sha256:
        return None
    shown = {k: entry[k] for k in ("score", "refused", "compiling", "measured_at")}
    # Files of schema 1 count no equivalent mutants.
    return {**shown, "equivalent": entry.get("equivalent", 0)}


def main() -> None:
    from typer._click.exceptions import ClickException, NoArgsIsHelpError

    try:
        code = app(standalone_mode=False)
    except NoArgsIsHelpError:
        sys.exit(2)  # the help is printed already
    except ClickException as e:
        # A usage error is one line, with where to look, not a framed usage screen.
        where = getattr(getattr(e, "ctx", None), "command_path", "kernelwright")
        message = e.format_message().replace("Value error, ", "")
        console.print(
            f"[red]error:[/red] {message} (see: {where} --help)", highlight=False, soft_wrap=True
        )
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(130)
    except Exception as e:
        # A bug of ours, not the user's input: one line here, the traceback in a file.
        import tempfile
        import traceback

        with tempfile.NamedTemporaryFile(
            "w", prefix="kernelwright-crash-", suffix=".txt", delete=False
        ) as f:
            traceback.print_exc(file=f)
        console.print(
            f"[red]internal error:[/red] {type(e).__name__}: {e} "
            f"(traceback in {f.name}; please report it)",
            highlight=False,
        )
        sys.exit(3)
    sys.exit(code or 0)


if __name__ == "__main__":
    main()
