"""The ``kernelwright corpus`` commands: build, generate, teach (wired into the CLI's
``corpus`` sub-app). Bad input ends with a one-line message and exit status 2.

The heavy parts (pyarrow, matplotlib, inductor) are imported when a command runs, so the
CLI starts without the ``corpus`` extra installed."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer

from kernelwright import cli_options as opts
from kernelwright.datasets.schema import DEFAULT_LICENCE


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def build(
    run_dirs: Annotated[
        list[Path] | None, typer.Argument(help="Run directories (generate or eval).")
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Corpus folder to write.")] = None,
    mutants: Annotated[
        list[Path] | None,
        typer.Option(
            "--mutants",
            help="A `kernelwright mutate` folder (repeatable): its refused mutants become "
            "synthetic repair pairs, in subsets of their own.",
        ),
    ] = None,
    include_interpreter: Annotated[
        bool,
        typer.Option(
            "--include-interpreter",
            help="Also export kernels verified only on the CPU interpreter, as separate subsets.",
        ),
    ] = False,
    eval_suite: Annotated[
        list[Path] | None,
        typer.Option(
            "--eval-suite",
            exists=True,
            help="Problem folder to check for contamination (repeatable); default: the bundled suite.",
        ),
    ] = None,
    licence: Annotated[str, typer.Option("--licence", help="Licence of the corpus.")] = (
        DEFAULT_LICENCE
    ),
) -> None:
    """Build a training corpus (SFT and RL Parquet, dataset card) from run directories."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise _fail(
            "corpus build writes Parquet with pyarrow, which is not installed: "
            "pip install 'kernelwright[corpus]'"
        ) from None
    from kernelwright.datasets.build import BuildError, build_corpus
    from kernelwright.datasets.split import SPLITS

    if out is None:
        raise _fail("--out DIR is required: the corpus folder to write")
    try:
        report = build_corpus(
            run_dirs or [],
            out,
            mutant_dirs=mutants or [],
            include_interpreter=include_interpreter,
            eval_suites=eval_suite or None,
            licence=licence,
        )
    except BuildError as e:
        raise _fail(str(e)) from None
    c = report.counts
    typer.echo(
        f"corpus: {c['attempts']} attempts, {c['trajectories']} trajectories, "
        f"{c['problems']} problems from {len(report.runs)} runs -> {out}"
    )
    configs = sorted({(f.table, f.subset) for f in report.files if f.table != "attempts"})
    for table, subset in configs:
        per_split = {
            f.split: f.rows for f in report.files if (f.table, f.subset) == (table, subset)
        }
        parts = " / ".join(f"{s} {per_split.get(s, 0)}" for s in SPLITS)
        typer.echo(f"  {table}/{subset}: {sum(per_split.values())} rows ({parts})")
    typer.echo(
        f"  removed {c['exact_duplicates']} exact and {c['near_duplicates']} near-duplicate "
        f"kernels; {c['contaminated_problems']} problems flagged as in the eval suite"
    )
    typer.echo(f"  dataset card: {out / 'README.md'}")
    interpreter_only = (
        f"{c['sft_interpreter_kernels']} kernel(s), {c['episodes_interpreter']} "
        f"trajectory(ies) and {c['synthetic_repair_pairs_interpreter']} synthetic repair "
        "pair(s) verified only on the CPU interpreter were left out: add "
        "--include-interpreter to export them, in subsets of their own"
    )
    left_out = not include_interpreter and (
        c["sft_interpreter_kernels"]
        or c["episodes_interpreter"]
        or c["synthetic_repair_pairs_interpreter"]
    )
    if not configs:
        # An empty corpus is not a result: say why, and fail, so that a script notices.
        raise _fail(
            "no SFT or RL rows: "
            + (interpreter_only if left_out else "no verified kernel passed the filters"),
            code=1,
        )
    if left_out:
        typer.echo(f"  note: {interpreter_only}")


def generate(
    count: Annotated[int, typer.Option("--count", min=1, help="How many problems.")] = 100,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same problems.")] = 0,
    out: Annotated[Path, typer.Option("--out", help="Folder for the problem files.")] = Path(
        "generated_problems"
    ),
) -> None:
    """Generate fusion problems: random valid op chains, each checked to run."""
    from kernelwright.datasets import generator

    try:
        paths = generator.generate(count, seed, out)
    except generator.GenerateError as e:
        raise _fail(str(e)) from None
    typer.echo(f"generated {len(paths)} problems (seed {seed}) in {out}")


def teach(
    suite: Annotated[
        Path | None,
        typer.Argument(help="Problem file or folder; default: the bundled suite.", exists=True),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Run directory to write.")] = Path(
        "runs/teach"
    ),
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Sandbox workers (default: one per GPU)."),
    ] = None,
    timeout_s: Annotated[
        float,
        typer.Option(
            "--timeout", help="Seconds to verify one candidate.", callback=opts.positive_seconds
        ),
    ] = 300.0,
) -> None:
    """Inductor teacher (GPU): torch.compile each reference, rewrite its Triton as a candidate,
    verify it in the sandbox, and record it in a run directory for `corpus build`."""
    from kernelwright.datasets.teacher import TeacherError
    from kernelwright.datasets.teacher import teach as run_teacher
    from kernelwright.problem import bundled_problems_dir

    def say(p) -> None:
        typer.echo(f"  {p.name}: {p.result}" + (f" ({p.detail})" if p.detail else ""))

    try:
        report = asyncio.run(
            run_teacher(
                suite or bundled_problems_dir(),
                out,
                workers=workers,
                timeout_s=timeout_s,
                command=sys.argv,
                progress=say,
            )
        )
    except TeacherError as e:
        raise _fail(str(e), 1) from None
    typer.echo(report.summary())
    typer.echo(f"run directory: {out}")
