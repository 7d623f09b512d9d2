"""``kernelwright generate``: ask a model for a Triton kernel, check it, feed back, repeat."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import shlex
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from kernelwright import cli_options as opts
from kernelwright.agent.errors import AgentError
from kernelwright.problem import ProblemError, read_problem, resolve_problem
from kernelwright.runlog import RunDir

if TYPE_CHECKING:
    from kernelwright.agent.run import GenerateConfig


class Strategy(str, Enum):
    refine = "refine"
    best_of_k = "best-of-k"
    beam = "beam"


# Command-line option -> GenerateConfig field, where the names differ.
FIELDS = {
    "max_wall": "max_wall_s",
    "prompt": "prompt_variant",
    "timeout": "eval_timeout_s",
    "request_timeout": "request_timeout_s",
    "call_deadline": "call_deadline_s",
    "no_cache": "cache",
}


# Options `generate` and `eval` share: the same words mean the same thing in both.
BaseUrlOption = Annotated[
    str | None,
    typer.Option(
        envvar="OPENAI_BASE_URL",
        help="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1.",
    ),
]
ApiKeyEnvOption = Annotated[str, typer.Option(help="Environment variable that holds the API key.")]
TemperatureOption = Annotated[
    float | None,
    typer.Option(help="Sampling temperature (default: the server's).", callback=opts.non_negative),
]
MaxTokensOption = Annotated[int, typer.Option(min=1, help="Most tokens per answer.")]
SeedOption = Annotated[int, typer.Option(help="Base sampling seed; sample k asks with seed+k.")]
TargetOption = Annotated[
    str | None,
    typer.Option(
        help="Write for this chip (a100, h100, h200, b200, rtx5090, mi300x, mi355x): its facts "
        "go in the prompt and every check compiles for it, whatever machine runs the check."
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(min=1, help="Sandbox workers (default: one per GPU, or the CPU cores)."),
]
SandboxOption = Annotated[
    opts.Sandbox, typer.Option(help="Isolation backend (auto: the strongest this machine runs).")
]
TimeoutOption = Annotated[
    float, typer.Option(help="Seconds one candidate may run.", callback=opts.positive_seconds)
]
RequestTimeoutOption = Annotated[
    float,
    typer.Option(
        help="Seconds a model endpoint may stay silent on one try before it is retried once.",
        callback=opts.positive_seconds,
    ),
]
CallDeadlineOption = Annotated[
    float,
    typer.Option(
        help="Seconds one model call may take in all, every retry and wait included.",
        callback=opts.positive_seconds,
    ),
]
NoCacheOption = Annotated[
    bool,
    typer.Option("--no-cache", help="Always ask the endpoint; do not read or write the cache."),
]
ExecutorOption = Annotated[
    opts.ExecutorKind,
    typer.Option(help="Where candidates run: local (this machine) or ray (a Ray cluster)."),
]
RecordOption = Annotated[
    Path | None,
    typer.Option(
        help="Append every model exchange to this transcript file.",
        callback=opts.file_in_existing_folder,
    ),
]
PricesOption = Annotated[
    Path | None,
    typer.Option(
        help="JSON price table: {model: {input: $/Mtok, output: $/Mtok}}.",
        exists=True,
        dir_okay=False,
    ),
]
RayAddressOption = Annotated[
    str | None,
    typer.Option(
        help="Ray cluster for --executor ray: auto, HOST:6379 or ray://HOST:10001 "
        "(default: $RAY_ADDRESS, else a new local cluster)."
    ),
]


def parse_duration(text: str) -> float:
    """Seconds from '90', '90s', '10m' or '1.5h'."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text)
    if not m:
        raise AgentError(f"--max-wall {text!r}: give seconds, or a number with s, m or h")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def config_from_options(
    ctx: typer.Context, given: dict[str, Any], stored: dict[str, Any] | None
) -> GenerateConfig:
    """The run's config: the options given; resuming, the stored ones wherever none was given."""
    from kernelwright.agent.run import GenerateConfig

    values: dict[str, Any] = {}
    for option, value in given.items():
        field = FIELDS.get(option, option)
        # By name: typer vendors its own click, whose ParameterSource is another enum.
        source = ctx.get_parameter_source(option)
        explicit = source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT")
        if stored is not None and not explicit and field in stored and option != "problem":
            values[field] = stored[field]
            continue
        if option == "no_cache":
            value = not value
        elif option == "max_wall" and value is not None:
            value = parse_duration(value)
        elif isinstance(value, Enum):
            value = value.value
        elif isinstance(value, Path):
            value = str(value)
        values[field] = value
    return GenerateConfig.model_validate(values)


def generate(
    ctx: typer.Context,
    problem: Annotated[
        str,
        typer.Argument(help="A problem file, or a bundled problem's name (softmax, level1/gelu)."),
    ],
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "-m",
            help="Model name at the endpoint; replay:FILE replays a transcript, "
            "replay:demo the bundled one (offline).",
        ),
    ] = None,
    base_url: BaseUrlOption = None,
    api_key_env: ApiKeyEnvOption = "OPENAI_API_KEY",
    temperature: TemperatureOption = None,
    max_tokens: MaxTokensOption = 8192,
    seed: SeedOption = 0,
    strategy: Annotated[Strategy, typer.Option(help="Search strategy.")] = Strategy.refine,
    turns: Annotated[int, typer.Option(min=1, help="Turns per trajectory (rounds, for beam).")] = 5,
    samples: Annotated[
        int, typer.Option(min=1, help="Trajectories (best-of-k) or answers per round (beam).")
    ] = 1,
    beam_width: Annotated[int, typer.Option(min=1, help="Candidates a beam keeps.")] = 2,
    target_speedup: Annotated[
        float | None,
        typer.Option(
            help="Stop once a correct kernel is this many times faster than eager PyTorch.",
            callback=opts.positive,
        ),
    ] = None,
    target_roofline: Annotated[
        float | None,
        typer.Option(
            help="Stop once a correct kernel reaches this percent of the roofline bound.",
            callback=opts.percent,
        ),
    ] = None,
    max_tokens_total: Annotated[
        int | None, typer.Option(min=1, help="Token budget of the run.")
    ] = None,
    max_cost: Annotated[
        float | None,
        typer.Option(help="Dollar budget of the run, at list price.", callback=opts.positive),
    ] = None,
    max_wall: Annotated[
        str | None, typer.Option(help="Wall-time budget: seconds, or 10m, 1h.")
    ] = None,
    shape: Annotated[
        str | None,
        typer.Option(
            help="Shape set to check at (default: small on the CPU, the problem's own on a GPU)."
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Run directory (default: runs/<problem>-<time>).")
    ] = None,
    resume: Annotated[
        bool, typer.Option(help="Continue the run in --out where it stopped.")
    ] = False,
    record: RecordOption = None,
    prompt: Annotated[
        str,
        typer.Option(
            help="Prompt variant: bare, contract or full, with +part/-part edits (full-patterns)."
        ),
    ] = "full",
    concurrency: Annotated[int, typer.Option(min=1, help="Model calls in flight at most.")] = 4,
    target: TargetOption = None,
    workers: WorkersOption = None,
    sandbox: SandboxOption = "auto",
    executor: ExecutorOption = "local",
    ray_address: RayAddressOption = None,
    timeout: TimeoutOption = 120.0,
    request_timeout: RequestTimeoutOption = 300.0,
    call_deadline: CallDeadlineOption = 900.0,
    no_cache: NoCacheOption = False,
    prices: PricesOption = None,
) -> None:
    """Ask a model for a Triton kernel, check it in the sandbox, feed back, and repeat."""
    console = Console(stderr=True)
    given = dict(locals())
    for name in ("ctx", "console", "out", "resume"):
        given.pop(name)
    try:
        code = _generate(ctx, given, out, resume, console)
    except (AgentError, ProblemError) as e:
        console.print(f"[red]error:[/] {e}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        console.print("interrupted before the run started; nothing was written")
        raise typer.Exit(130) from None
    raise typer.Exit(code)


def _generate(
    ctx: typer.Context, given: dict[str, Any], out: Path | None, resume: bool, console: Console
) -> int:
    # Imported here, not at the top: they load torch, and `kernelwright --help` should not.
    from kernelwright.agent.progress import Progress
    from kernelwright.agent.run import execute, open_client, run_info
    from kernelwright.sandbox.executors import ExecutorError, decide_sandbox

    spec = given["problem"]
    path = resolve_problem(spec).resolve()
    given["problem"] = path
    stored = None
    if resume:
        if out is None or not RunDir(out).exists():
            raise AgentError("--resume needs --out DIR, a run directory with a run.json")
        stored = RunDir(out).read_info().config
    if given["model"] is None and stored is None:
        raise AgentError("--model is required (a model name, or replay:demo for the offline demo)")
    config = config_from_options(ctx, given, stored)
    config.check()
    if (why := opts.shape_error(read_problem(path), config.shape)) is not None:
        raise AgentError(why)
    try:
        config.sandbox = decide_sandbox(config.executor, config.sandbox)
    except ExecutorError as e:
        raise AgentError(str(e)) from None
    if out is None:
        out = Path("runs") / f"{path.stem}-{dt.datetime.now():%Y%m%d-%H%M%S}"
    progress = Progress(console)
    # Before anything is written or asked: a missing key or transcript, a problem that does
    # not run, a run directory in the way, each leaves no half-made run behind.
    client = open_client(config, read_problem(path), progress.retry)
    run_info(config, out, resume)
    resume_cmd = f"kernelwright generate {shlex.quote(spec)} --out {shlex.quote(str(out))} --resume"
    try:
        summary = asyncio.run(execute(config, out, resume, progress=progress, client=client))
    except KeyboardInterrupt:
        if not RunDir(out).exists():
            console.print("\ninterrupted before the run started; nothing was written")
            return 130
        done = len(RunDir(out).attempts())
        console.print(
            f"\ninterrupted: {done} attempt(s) saved in {out}; continue with:\n  {resume_cmd}",
            highlight=False,
            soft_wrap=True,  # a command to copy is never broken over lines
        )
        return 130
    _report(console, summary, out)
    return 0 if summary["correct"] else 1


def _report(console: Console, summary: dict[str, Any], out: Path) -> None:
    best = summary["best"]
    what = summary["status"]
    if best is not None:
        what += f" (turn {best['turn'] + 1}, sample {best['sample'] + 1})"
        if best["speedup_eager"] is not None:
            what += f", {best['speedup_eager']:.2f}x eager"
    tokens = summary["prompt_tokens"] + summary["completion_tokens"]
    if summary["replay"]:
        what += " [cyan](replay of recorded answers)[/]"
        spent = f"{tokens} tokens as recorded, nothing spent"
    else:
        spent = f"{tokens} tokens, ${summary['cost_usd']:.4f}"
        if summary["cache_hits"]:
            spent += f" (${summary['charged_usd']:.4f} charged, the rest from the cache)"
    console.print(
        f"{summary['problem']}: {what} after {summary['attempts']} attempt(s); "
        f"stopped: {summary['stop_reason']}; {spent}",
        highlight=False,
    )
    for note in summary["notes"]:
        console.print(f"  note: {note}", highlight=False)
    if summary["best_kernel"]:
        console.print(f"best kernel: {out / summary['best_kernel']}", highlight=False)
    console.print(f"records: {out / 'attempts.jsonl'}, {out / 'summary.json'}", highlight=False)
