"""``kernelwright eval`` and ``kernelwright report``: the command-line faces of the eval suite.

Exit status: 0 when every problem was evaluated (whatever the model scored) or the report
was written; 1 when some problem could not be evaluated (no transcript for it, the model
endpoint gave up, the problem does not load); 2 for a usage error or unusable input.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from kernelwright import cli_options as opts
from kernelwright.agent.commands import (
    ApiKeyEnvOption,
    BaseUrlOption,
    CallDeadlineOption,
    ExecutorOption,
    MaxTokensOption,
    NoCacheOption,
    PricesOption,
    RayAddressOption,
    RecordOption,
    RequestTimeoutOption,
    SandboxOption,
    SeedOption,
    Strategy,
    TargetOption,
    TemperatureOption,
    TimeoutOption,
    WorkersOption,
    config_from_options,
)
from kernelwright.agent.errors import AgentError
from kernelwright.evals.suite import SuiteError, resolve_suite
from kernelwright.problem import ProblemError
from kernelwright.runlog import RunDir

if TYPE_CHECKING:
    from kernelwright.evals.metrics import Metrics


def user_errors() -> tuple[type[Exception], ...]:
    """What a command reports as a usage error. Imported when a command runs, not for
    ``--help``: the runner and the report bring Triton and the model clients."""
    from kernelwright.evals.report import ReportError
    from kernelwright.evals.rescore import RescoreError
    from kernelwright.evals.runner import EvalError

    return (EvalError, SuiteError, AgentError, ProblemError, RescoreError, ReportError)


def eval_command(
    ctx: typer.Context,
    suite: Annotated[
        str | None,
        typer.Argument(
            help="Problems: level1, tag:softmax, all, a bundled problem's name, a folder of "
            "problem files (a KernelBench level1/ works unmodified), or a YAML suite file.",
            show_default=False,
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "-m",
            help="Model name at the endpoint; replay:FILE replays a transcript, replay:demo "
            "the bundled ones (offline).",
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Run directory to write (required).")] = None,
    samples: Annotated[
        int, typer.Option(min=1, help="Independent samples (trajectories) per problem: pass@k's n.")
    ] = 1,
    turns: Annotated[
        int,
        typer.Option(min=1, help="Turns per trajectory (1: one-shot, as KernelBench's fast_p)."),
    ] = 1,
    strategy: Annotated[
        Strategy | None,
        typer.Option(help="Search strategy (default: refine, or best-of-k with --samples > 1)."),
    ] = None,
    beam_width: Annotated[int, typer.Option(min=1, help="Candidates a beam keeps.")] = 2,
    prompt: Annotated[
        str,
        typer.Option(
            help="Prompt variant: bare, contract or full, with +part/-part edits (full-patterns)."
        ),
    ] = "full",
    shape: Annotated[
        str | None,
        typer.Option(
            help="Shape set (default: the suite file's, else the sandbox's choice: small on "
            "the CPU, every declared set on a GPU)."
        ),
    ] = None,
    resume: Annotated[
        bool, typer.Option(help="Continue the eval in --out without redoing finished work.")
    ] = False,
    rescore_dir: Annotated[
        Path | None,
        typer.Option(
            "--rescore",
            help="Re-verify and re-time the saved candidates of this run directory on this "
            "machine, into --out; no model is called.",
        ),
    ] = None,
    concurrency: Annotated[
        int, typer.Option(min=1, help="Model calls, and problems, in flight at most.")
    ] = 4,
    target: TargetOption = None,
    workers: WorkersOption = None,
    sandbox: SandboxOption = "auto",
    executor: ExecutorOption = "local",
    ray_address: RayAddressOption = None,
    base_url: BaseUrlOption = None,
    api_key_env: ApiKeyEnvOption = "OPENAI_API_KEY",
    temperature: TemperatureOption = None,
    max_tokens: MaxTokensOption = 8192,
    seed: SeedOption = 0,
    target_speedup: Annotated[
        float | None,
        typer.Option(
            help="Per problem: stop at a correct kernel this much faster.", callback=opts.positive
        ),
    ] = None,
    target_roofline: Annotated[
        float | None,
        typer.Option(
            help="Per problem: stop at this percent of the roofline.", callback=opts.percent
        ),
    ] = None,
    max_tokens_total: Annotated[
        int | None, typer.Option(min=1, help="Token budget per problem.")
    ] = None,
    max_cost: Annotated[
        float | None, typer.Option(help="Dollar budget per problem.", callback=opts.positive)
    ] = None,
    max_wall: Annotated[
        str | None, typer.Option(help="Wall-time budget per problem: seconds, or 10m, 1h.")
    ] = None,
    timeout: TimeoutOption = 120.0,
    request_timeout: RequestTimeoutOption = 300.0,
    call_deadline: CallDeadlineOption = 900.0,
    no_cache: NoCacheOption = False,
    record: RecordOption = None,
    prices: PricesOption = None,
) -> None:
    """Run a suite of problems through the agent and report compile rate, correctness,
    fast_p, pass@k, speedups and % of roofline (see evals/METRICS.md)."""
    console = Console(stderr=True, soft_wrap=True)
    given = dict(locals())
    for name in ("ctx", "console", "suite", "out", "resume", "rescore_dir"):
        given.pop(name)
    try:
        if rescore_dir is not None:
            code = _rescore(ctx, suite, rescore_dir, out, resume, given, console)
        else:
            code = _eval(ctx, suite, given, out, resume, console)
    except user_errors() as e:
        console.print(f"[red]error:[/] {escape(str(e))}", highlight=False)
        raise typer.Exit(2) from None
    raise typer.Exit(code)


def _on_command_line(ctx: typer.Context, name: str) -> bool:
    # By name: typer may vendor its own click, whose ParameterSource is another enum.
    source = ctx.get_parameter_source(name)
    return source is not None and source.name == "COMMANDLINE"


def _eval(
    ctx: typer.Context,
    spec: str | None,
    given: dict[str, Any],
    out: Path | None,
    resume: bool,
    console: Console,
) -> int:
    from kernelwright.evals.runner import EvalConfig, EvalError, run_eval
    from kernelwright.sandbox.executors import ExecutorError, decide_sandbox

    if out is None:
        raise EvalError("--out DIR is required: the run directory to write")
    stored = RunDir(out).read_info().config if resume and RunDir(out).exists() else None
    if spec is None:
        if stored is None:
            raise EvalError("give a SUITE (level1, tag:NAME, all, a folder or a YAML file)")
        spec = stored["suite"]
    suite = resolve_suite(spec)
    if given["model"] is None and stored is None:
        raise EvalError("--model is required (a model name, or replay:demo for the offline demo)")
    if given["shape"] is None and stored is None:
        given["shape"] = suite.shape
    for problem in suite.problems:
        if (why := opts.shape_error(problem.info, given["shape"])) is not None:
            raise EvalError(why)
    if given["strategy"] is None:
        given["strategy"] = "best-of-k" if given["samples"] > 1 else "refine"
    agent = config_from_options(ctx, {"problem": spec, **given}, stored)
    try:
        agent.sandbox = decide_sandbox(agent.executor, agent.sandbox)
    except ExecutorError as e:
        raise EvalError(str(e)) from None
    cfg = EvalConfig(suite=spec, agent=agent)
    console.print(
        f"eval {spec}: {len(suite.problems)} problem(s), model {agent.model}, "
        f"{agent.samples} sample(s) x {agent.turns} turn(s), shape {agent.shape or 'auto'}; "
        f"run directory {out}",
        markup=False,
    )
    try:
        result = run_eval(cfg, suite, out, resume=resume, progress_console=console)
    except KeyboardInterrupt:
        console.print(
            f"\ninterrupted: {len(RunDir(out).attempts())} attempt(s) saved in {out}; continue "
            f"with:\n  kernelwright eval --out {out} --resume",
            markup=False,
            soft_wrap=True,  # a command to copy is never broken over lines
        )
        return 130
    print_headline(console, result.metrics)
    console.print(f"report: {result.report}", markup=False)
    for error in result.errors:
        console.print(f"[yellow]not evaluated:[/] {escape(error)}", highlight=False)
    return 1 if result.errors else 0


def _rescore(
    ctx: typer.Context,
    spec: str | None,
    source: Path,
    out: Path | None,
    resume: bool,
    given: dict[str, Any],
    console: Console,
) -> int:
    from kernelwright.evals.report import write_report
    from kernelwright.evals.rescore import RescoreConfig, rescore
    from kernelwright.evals.runner import EvalError

    if spec is not None:
        raise EvalError("--rescore DIR takes no SUITE: it re-scores that run's problems")
    if out is None:
        raise EvalError("--rescore needs --out DIR, a new run directory for the re-scored run")
    agent_only = [
        name
        for name in given
        if name
        not in ("shape", "timeout", "workers", "sandbox", "executor", "ray_address", "concurrency")
        and _on_command_line(ctx, name)
    ]
    if agent_only:
        raise EvalError(
            "--rescore calls no model; these options do not apply: "
            + ", ".join("--" + n.replace("_", "-") for n in agent_only)
        )
    from kernelwright.sandbox.executors import ExecutorError, make_executor

    cfg = RescoreConfig(
        source=source,
        out=out,
        shape=given["shape"],
        timeout_s=given["timeout"],
        resume=resume,
        concurrency=given["workers"] or given["concurrency"],
    )

    async def go() -> RunDir:
        try:
            executor = make_executor(
                given["executor"],
                ray_address=given["ray_address"],
                workers=given["workers"],
                sandbox=given["sandbox"],
            )
        except ExecutorError as e:
            raise EvalError(str(e)) from None
        try:
            return await rescore(cfg, executor)
        finally:
            await executor.close()

    console.print(
        f"re-scoring {source} into {out} on this machine (no model is called)", markup=False
    )
    try:
        asyncio.run(go())
    except KeyboardInterrupt:
        console.print(
            f"\ninterrupted; continue with:\n  kernelwright eval --rescore {source} --out {out} "
            "--resume",
            markup=False,
        )
        return 130
    files = write_report([out])
    print_headline(console, files.runs[0])
    console.print(f"report: {files.html}", markup=False)
    return 0


def print_headline(console: Console, m: Metrics) -> None:
    o = m.overall

    def pct(v: float | None) -> str:
        return "n/a" if v is None else f"{100 * v:.1f}%"

    line = (
        f"{m.label}{' (replay)' if m.replay and 'replay' not in m.label else ''}: "
        f"{o.problems} problem(s), "
        f"compiled {pct(o.compile_rate)}, correct {pct(o.correct_rate)} (pass@1), "
        f"solved {pct(o.solved_rate)}"
    )
    if m.timing_measured and o.fast_p and o.geomean_speedup:
        geo = o.geomean_speedup["eager"]
        line += (
            f", fast_1 {pct(o.fast_p['eager']['1'])} vs eager / "
            f"{pct(o.fast_p['compiled']['1'])} vs torch.compile, geomean "
            + ("n/a" if geo is None else f"{geo:.2f}x")
        )
    else:
        line += "; no timing on this machine (correctness only)"
    console.print(line, markup=False, highlight=False)


def report_command(
    dirs: Annotated[
        list[Path],
        typer.Argument(
            help="Run directories; the first is the baseline the others are compared with."
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            help="Where to write report.html, report.md and metrics.json "
            "(default: the first run directory)."
        ),
    ] = None,
) -> None:
    """Write report.html (self-contained), report.md and metrics.json for one or more runs,
    side by side."""
    from kernelwright.evals.report import write_report

    console = Console(stderr=True, soft_wrap=True)
    try:
        files = write_report(dirs, out)
    except user_errors() as e:
        console.print(f"[red]error:[/] {escape(str(e))}", highlight=False)
        raise typer.Exit(2) from None
    for m in files.runs:
        print_headline(console, m)
    console.print(f"wrote {files.html}, {files.markdown}, {files.metrics}", markup=False)
