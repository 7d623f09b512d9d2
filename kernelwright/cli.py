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
from rich.table import Table

from kernelwright.agent.commands import generate
from kernelwright.datasets import commands as corpus_commands
from kernelwright.evals.commands import eval_command, report_command
from kernelwright.evals.mutation_command import mutate_command
from kernelwright.problem import ProblemError

app = typer.Typer(
    help="kernelwright: an agent that writes Triton kernels with language models, checks "
    "them against PyTorch references in a sandbox, and times them against the roofline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
problems_app = typer.Typer(help="Inspect problem suites.", no_args_is_help=True)
app.add_typer(problems_app, name="problems")
corpus_app = typer.Typer(
    help="Training corpus: build from run directories, generate problems, inductor teacher.",
    no_args_is_help=True,
)
corpus_app.command("build")(corpus_commands.build)
corpus_app.command("generate")(corpus_commands.generate)
corpus_app.command("teach")(corpus_commands.teach)
app.add_typer(corpus_app, name="corpus")

console = Console(stderr=True)
out = Console()


def fail(message: str, code: int = 2) -> None:
    console.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(code)


app.command("generate")(generate)


@app.command()
def check(
    problem: str = typer.Argument(..., help="Problem file, or the name of a bundled problem."),
    solutions: list[Path] = typer.Argument(..., help="Candidate module(s) defining ModelNew."),
    json_out: bool = typer.Option(False, "--json", help="One Outcome JSON object per line."),
    timeout: float = typer.Option(120.0, help="Seconds per solution before it is killed."),
    shape: str = typer.Option(
        None, help="Shape set (default: 'small' on the CPU, every declared set on a GPU)."
    ),
    device: str = typer.Option("auto", help="'cpu', 'cuda:N', or 'auto'."),
    sandbox: str = typer.Option("auto", help="auto | subprocess | bwrap | docker."),
    workers: int = typer.Option(None, help="Workers on the CPU (default: core count)."),
    allow_torch_ops: bool = typer.Option(
        False, help="Relaxed track: allow PyTorch compute in forward (recorded in the Outcome)."
    ),
    timing: bool = typer.Option(True, help="Time on a GPU against eager and torch.compile."),
    seed: int = typer.Option(None, help="Fix the trial seeds (default: fresh random seeds)."),
) -> None:
    """Check solutions against a problem's reference: correctness, guards, timing."""
    from concurrent.futures import ThreadPoolExecutor

    from kernelwright.problem import read_problem, resolve_problem
    from kernelwright.sandbox.executor import EvalRequest
    from kernelwright.sandbox.pool import make_pool

    try:
        path = resolve_problem(problem)
        read_problem(path)  # a broken problem file is a usage error, before any worker starts
    except ProblemError as e:
        fail(str(e))
    codes = []
    for sol in solutions:
        try:
            codes.append(sol.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as e:
            fail(f"{sol}: cannot read solution ({e})")
    seeds = [seed + i for i in range(3)] if seed is not None else None
    try:
        # On the CPU: no more workers than solutions, nor (by default) than cores. A GPU
        # machine gets one worker per GPU whatever this says.
        pool = make_pool(sandbox, device, min(workers or os.cpu_count() or 1, len(codes)))
    except (ProblemError, RuntimeError) as e:
        fail(str(e))
    all_correct = True
    with pool:
        requests = [
            EvalRequest(
                problem=path,
                code=c,
                shape=shape,
                timeout_s=timeout,
                timing=timing,
                allow_torch_ops=allow_torch_ops,
                seeds=seeds,
            )
            for c in codes
        ]
        try:
            with ThreadPoolExecutor(len(pool.slots)) as tp:
                outcomes = list(tp.map(lambda r: pool.evaluate(r.job()), requests))
        except ProblemError as e:
            fail(str(e))
        except KeyboardInterrupt:
            fail("interrupted", 130)
    for sol, outcome in zip(solutions, outcomes, strict=True):
        all_correct &= outcome.correct
        if json_out:
            out.print(outcome.to_json(), soft_wrap=True, highlight=False)
        else:
            _print_outcome(sol, outcome)
    raise typer.Exit(0 if all_correct else 1)


def _print_outcome(sol: Path, outcome) -> None:
    color = "green" if outcome.correct else "red"
    out.print(f"[bold]{sol}[/bold]: [{color}]{outcome.status.value}[/{color}]", highlight=False)
    out.print(f"  {outcome.message}", highlight=False)
    for c in outcome.checks:
        # The message usually is the first failed check: say each failure once.
        if not c.passed and f"{c.name}: {c.detail}" not in outcome.message:
            out.print(f"  [red]x[/red] {c.name}: {c.detail}", highlight=False)
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


@app.command()
def prompt(
    problem: str = typer.Argument(..., help="Problem file, or the name of a bundled problem."),
    variant: str = typer.Option(
        "full", help="bare | contract | full, or finer: full-guide, contract+patterns, ..."
    ),
    shape: str = typer.Option("small", help="The shape set whose inputs the prompt lists."),
) -> None:
    """Print what the model sees for a problem: the system and the first user message."""
    from kernelwright.prompts.show import render_prompt

    try:
        text = render_prompt(problem, variant, shape)
    except (ProblemError, ValueError) as e:
        fail(str(e))
    out.print(text, markup=False, highlight=False, soft_wrap=True)


app.command("eval")(eval_command)
app.command("mutate")(mutate_command)
app.command("report")(report_command)


@problems_app.command("list")
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
    from kernelwright.problem import bundled_problems_dir, find_problems, read_problem
    from kernelwright.sandbox.verify import degenerate_warning

    root = path or bundled_problems_dir()
    scores = read_scores()
    try:
        files = find_problems(root)
    except ProblemError as e:
        fail(str(e))
    rows = []
    for f in files:
        try:
            info = read_problem(f)
        except ProblemError as e:
            rows.append({"path": str(f), "error": str(e)})
            continue
        row = {
            "name": info.name,
            "path": str(f),
            "level": info.level,
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
            out.print(json.dumps(r), soft_wrap=True, highlight=False)
        return
    table = Table(title=f"{len(rows)} problems in {root}")
    for col in ("name", "level", "tags", "dtype", "shapes", "mutation", "warning"):
        table.add_column(col)
    for r in rows:
        if "error" in r:
            table.add_row(Path(r["path"]).stem, "", "", "", "", "", f"[red]{r['error']}[/red]")
            continue
        m = r["mutation_score"]
        low = m is not None and m["score"] is not None and m["score"] < 0.95
        table.add_row(
            r["name"],
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
    return {k: entry[k] for k in ("score", "refused", "compiling", "measured_at")}


def main() -> None:
    try:
        app()
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


if __name__ == "__main__":
    main()
