"""``kernelwright mutate``: the mutation score of a problem's checks, and of the bundled suite."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kernelwright import cli_options as opts
from kernelwright.evals import equivalence, mutation
from kernelwright.evals.mutants import CLASSES, Mutant, NoKernel, make_mutants
from kernelwright.problem import ProblemError, ProblemInfo

console = Console(stderr=True)
out = Console()


class MutateError(Exception):
    """A mutation run that cannot start; the message says why, for a person."""


def bundled_solution(problem: Path) -> Path:
    from kernelwright import reference_kernels

    path = Path(reference_kernels.__file__).parent / "solutions" / f"{problem.stem}.py"
    if not path.is_file():
        raise MutateError(f"{problem.stem}: no bundled solution; give SOLUTION")
    return path


def mutate_command(
    problem: str = typer.Argument(
        None, help="Problem file or bundled problem name (omit with --bundled)."
    ),
    solution: Path = typer.Argument(
        None, help="A correct solution to mutate (default: the problem's bundled solution)."
    ),
    bundled: bool = typer.Option(
        False, "--bundled", help="Every bundled problem with its bundled solution."
    ),
    per_class: int = typer.Option(
        6, min=0, help="At most this many mutants per bug class (drawn reproducibly); 0 for all."
    ),
    out_dir: Path = typer.Option(
        None, "--out", help="Folder for mutants.jsonl and summary.json (default: mutants-*)."
    ),
    record: bool = typer.Option(
        False, help="Store the score of each bundled problem in reference_kernels/."
    ),
    json_out: bool = typer.Option(False, "--json", help="One summary JSON object per problem."),
    shape: str = typer.Option(None, help="Shape set to check at (default: as `check`)."),
    device: str = typer.Option("auto", help="auto, cpu, cuda or cuda:N.", callback=opts.device),
    sandbox: opts.Sandbox = typer.Option("auto", help="Isolation backend (auto: the strongest)."),
    workers: int = typer.Option(None, min=1, help="Workers on the CPU (default: core count)."),
) -> None:
    """Break a correct solution in realistic ways and count how many the checker refuses.

    The mutation score is refused / (compiling - equivalent) mutants. A mutant is equivalent
    when its kernels compile to the original's very Triton IR for every launch the original's
    check made (constexprs as launched, nothing specialised on a value the check happened to
    pass): it is not checked and is listed apart with its diff. Survivors are listed with
    their diff so a person can judge them. Exit 0 when every score is at least 95%, 1
    otherwise, 2 for a usage error."""
    from kernelwright.problem import bundled_problems_dir, find_problems, resolve_problem

    if bundled == (problem is not None):
        _fail("give PROBLEM [SOLUTION], or --bundled")
    if bundled and solution is not None:
        _fail("--bundled takes no SOLUTION: each problem's bundled solution is used")
    if record and not bundled and problem is not None:
        try:
            root = bundled_problems_dir().resolve()
            if root not in resolve_problem(problem).resolve().parents or solution is not None:
                _fail("--record stores bundled problems' scores against their bundled solutions")
        except ProblemError as e:
            _fail(str(e))
    try:
        if bundled:
            jobs = [(p, bundled_solution(p)) for p in find_problems(bundled_problems_dir())]
        else:
            path = resolve_problem(problem)
            jobs = [(path, solution or bundled_solution(path))]
        prepared = [_prepare(p, s, shape, per_class or None) for p, s in jobs]
    except (ProblemError, MutateError) as e:
        _fail(str(e))
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    root_out = out_dir or Path(f"mutants-{'bundled' if bundled else jobs[0][0].stem}-{stamp}")
    from kernelwright.sandbox.pool import make_pool

    try:
        pool = make_pool(sandbox, device, workers)
    except (ProblemError, RuntimeError) as e:
        _fail(str(e))
    below = 0
    summaries: list[mutation.Summary] = []
    compiler = equivalence.IRCompiler(pool.backend, pool.helper_spec("ttir"))
    with pool, contextlib.closing(compiler):
        for prep in prepared:
            folder = root_out / prep.info.name if bundled else root_out
            try:
                summary = _run_one(pool, compiler, prep, folder)
            except KeyboardInterrupt:
                console.print(f"\ninterrupted: what was checked is in {folder}")
                raise typer.Exit(130) from None
            except MutateError as e:
                console.print(f"[red]{prep.info.name}:[/red] {escape(str(e))}")
                below += 1
                continue
            summaries.append(summary)
            if record:
                mutation.record_score(summary)
            below += summary.score is None or summary.score < mutation.TARGET_SCORE
            if json_out:
                out.print(summary.model_dump_json(), soft_wrap=True, highlight=False, markup=False)
            else:
                _print_summary(summary, folder)
    if len(summaries) > 1 and not json_out:
        _print_totals(summaries)
    if record:
        console.print(f"scores recorded in {mutation.scores_file()}")
    raise typer.Exit(1 if below else 0)


@dataclass(frozen=True)
class _Prepared:
    """One problem's run, ready before any worker starts."""

    info: ProblemInfo
    problem: Path
    solution: Path
    code: str
    mutants: list[Mutant]
    total: int  # mutants in the catalogue, before sampling
    shape: str | None


def _prepare(problem: Path, solution: Path, shape: str | None, per_class: int | None) -> _Prepared:
    """Everything that can fail before a worker starts: the files, the mutants."""
    from kernelwright.problem import exec_problem, read_problem

    info = read_problem(problem)
    try:
        code = solution.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise MutateError(f"{solution}: cannot read solution ({e})") from None
    # Sizes for the hard-coded-size bug: forward's inputs at the first shape checked.
    try:
        args = exec_problem(info, shape or "small").inputs(0).args
        shapes = [tuple(a.shape) if hasattr(a, "shape") else None for a in args]
    except Exception:  # the check itself will say what is wrong with the problem
        shapes = []
    try:
        every = make_mutants(code, shapes)
    except SyntaxError as e:
        raise MutateError(f"{solution}: not Python ({e.msg}, line {e.lineno})") from None
    except NoKernel as e:
        raise MutateError(f"{solution}: {e}") from None
    return _Prepared(
        info, problem, solution, code, mutation.sample(every, per_class), len(every), shape
    )


def _run_one(
    pool, compiler: equivalence.IRCompiler, prep: _Prepared, folder: Path
) -> mutation.Summary:
    from kernelwright.versions import library_versions

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mutants.jsonl").unlink(missing_ok=True)
    (folder / "original.py").write_text(prep.code, encoding="utf-8")
    console.print(
        f"[bold]{prep.info.name}[/bold]: {len(prep.mutants)} mutants "
        f"(of {prep.total}) of {prep.solution}",
        highlight=False,
    )
    # The original must pass first: a mutant of a wrong solution measures nothing. The IR
    # compiler loads Triton meanwhile.
    compiler.start()
    start = time.monotonic()
    base = pool.evaluate(mutation.request(prep.problem, prep.code, prep.shape, 300).job())
    if not base.correct:
        raise MutateError(
            f"the solution itself is {base.status.value}: {base.message.splitlines()[0]}"
        )
    seconds = {"original": time.monotonic() - start, "equivalence": 0.0}
    # With the problem and the original's verdict the folder is self-contained: `corpus
    # build --mutants` makes repair pairs from it wherever it is read.
    (folder / "problem.py").write_text(prep.info.source, encoding="utf-8")
    (folder / "original.json").write_text(base.model_dump_json() + "\n", encoding="utf-8")
    timeout = max(mutation.TIMEOUT_FLOOR_S, mutation.TIMEOUT_FACTOR * seconds["original"])
    judge = equivalence.Judge(compiler, prep.code, base.details.get("launch_records") or [])
    name = prep.problem.stem + "_solution.py"
    verdicts: dict[str, equivalence.Equivalence] = {}
    results: list[mutation.MutantResult] = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("mutants", total=len(prep.mutants))

        def on_result(r: mutation.MutantResult) -> None:
            r.equivalence = r.equivalence or verdicts.get(r.id)
            results.append(r)
            mutation.write_results(folder, [r])
            bar.advance(task)
            if r.compiles and r.survived:
                bar.console.print(f"  [yellow]survived[/yellow] {r.id}: {escape(r.description)}")

        def to_check():
            """The mutants to check, each told equivalent or not ahead of the workers (a
            thread judges while they check the ones before); equivalents are not checked."""
            for m, verdict, took in equivalence.judged(judge, prep.mutants):
                verdicts[m.id] = verdict
                seconds["equivalence"] += took
                if verdict.verdict == "equivalent":
                    on_result(mutation.result(m, prep.code, name, None, verdict))
                else:
                    yield m

        try:
            began = time.monotonic()
            mutation.check_mutants(
                pool,
                prep.problem,
                to_check(),
                prep.code,
                timeout_s=timeout,
                shape=prep.shape,
                on_result=on_result,
            )
            seconds["mutants"] = time.monotonic() - began
            bar.update(task, description="probing survivors")
            began = time.monotonic()
            mutation.probe_survivors(
                pool, prep.problem, results, prep.code, timeout_s=timeout, shape=prep.shape
            )
            seconds["probes"] = time.monotonic() - began
            mutation.rewrite_results(folder, sorted(results, key=lambda r: r.id))
        finally:
            summary = mutation.summarise(
                prep.info.name,
                str(prep.solution),
                sorted(results, key=lambda r: r.id),
                len(prep.mutants),
                prep.shape,
                library_versions(),
                prep.info.sha256,
            )
            summary.seconds = {k: round(v, 2) for k, v in seconds.items()}
            (folder / "summary.json").write_text(summary.model_dump_json(indent=1) + "\n")
    return summary


def _print_summary(summary: mutation.Summary, folder: Path) -> None:
    score = "n/a" if summary.score is None else f"{100 * summary.score:.1f}%"
    color = "green" if (summary.score or 0) >= mutation.TARGET_SCORE else "red"
    counted = summary.compiling - summary.equivalent
    out.print(
        f"[bold]{summary.problem}[/bold]: mutation score [{color}]{score}[/{color}] "
        f"({summary.refused} refused of {counted} compiling and not equivalent; "
        f"{summary.equivalent} equivalent, {summary.mutants - summary.compiling} did not "
        "compile)",
        highlight=False,
    )
    table = Table(
        "class",
        "mutants",
        "compiling",
        "equivalent",
        "refused",
        "names it",
        "names another",
        "says nothing",
    )
    for cls, s in summary.per_class.items():
        row = (s.mutants, s.compiling, s.equivalent, s.refused, s.named, s.wrong, s.silent)
        table.add_row(cls, *map(str, row))
    out.print(table)
    by_id = {r.id: r for r in mutation.read_results(folder)}
    if summary.equivalents:
        out.print(
            f"{len(summary.equivalents)} equivalent mutant(s): the original's Triton IR at "
            "every launch of its check, not counted; judge each"
        )
        for e in summary.equivalents:
            r = by_id[e["id"]]
            out.print(f"[cyan]{r.id}[/cyan] ({CLASSES[r.bug_class]}): {escape(r.description)}")
            out.print(escape(r.diff), highlight=False)
    if summary.survivors:
        out.print(f"{len(summary.survivors)} survivor(s): judge each")
        for s in sorted(summary.survivors, key=lambda s: s["reached"] is False):
            r = by_id[s["id"]]
            unreached = (
                "no checked shape changes this size"
                if r.size_read is not None
                else "no checked input runs this line"
            )
            where = f" [dim]({unreached})[/dim]" if r.reached is False else ""
            out.print(
                f"[yellow]{r.id}[/yellow] ({CLASSES[r.bug_class]}): {escape(r.description)}{where}"
            )
            out.print(escape(r.diff), highlight=False)
    out.print(f"[dim]mutants and outcomes: {folder}[/dim]", highlight=False)


def _print_totals(summaries: list[mutation.Summary]) -> None:
    table = Table(
        "class",
        "refused",
        "names it",
        "names another",
        "says nothing",
        title=f"Diagnosis accuracy over {len(summaries)} problems",
    )
    for cls, s in mutation.diagnosis_totals(summaries).items():
        shares = [
            f"{k} ({100 * k / s.refused:.0f}%)" if s.refused else "0"
            for k in (s.named, s.wrong, s.silent)
        ]
        table.add_row(cls, str(s.refused), *shares)
    out.print(table)


def _fail(message: str) -> None:
    console.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    raise typer.Exit(2)
