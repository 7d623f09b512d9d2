"""What every ``--help`` shows besides the options: examples and exit codes, and flags
without a ``<bool>`` type (a flag takes no value; showing one misleads).

Imported by ``kernelwright.cli`` before anything else: it must stay light (typer only), since
``kernelwright --help`` loads nothing heavier than this and the command signatures."""

from __future__ import annotations

from typing import Any

from typer.core import TyperCommand, TyperGroup


class _FlagsWithoutType:
    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)  # type: ignore[misc]
        for p in params:
            if getattr(p, "is_flag", False):
                p.metavar = ""  # typer's help shows the metavar, when set, instead of the type
        return params


class Command(_FlagsWithoutType, TyperCommand):
    pass


class Group(_FlagsWithoutType, TyperGroup):
    pass


def epilog(examples: list[str], exit_codes: dict[int, str]) -> str:
    """The text after a command's options: a few examples, then what each exit status means."""
    lines = ["Examples:", *(f"  {e}" for e in examples), "", "Exit status:"]
    lines += [f"  {code}  {meaning}" for code, meaning in exit_codes.items()]
    return "\n".join(lines)


USAGE = {2: "usage error or unusable input (one line on stderr, before any work)"}
INTERRUPTED = {130: "interrupted (Ctrl-C); what was lost is said on stderr"}

EPILOGS = {
    "kernelwright": epilog(
        [
            "kernelwright generate softmax --model replay:demo",
            "kernelwright check softmax reference_kernels/solutions/softmax.py",
            "kernelwright eval level1 --model replay:demo --out runs/l1",
            "kernelwright problems list",
        ],
        {0: "success", 1: "a result that is not a success", **USAGE, 3: "internal error"},
    ),
    "check": epilog(
        [
            "kernelwright check softmax reference_kernels/solutions/softmax.py",
            "kernelwright check softmax a.py b.py --json",
            "kernelwright check --problems PROBLEM_DIR --solutions SOLUTION_DIR "
            "--summary check.json",
            "kernelwright check --pairs pairs.txt   # lines of: PROBLEM SOLUTION",
        ],
        {
            0: "every solution is correct",
            1: "some solution is not correct",
            **USAGE,
            **INTERRUPTED,
        },
    ),
    "generate": epilog(
        [
            "kernelwright generate softmax --model replay:demo",
            "kernelwright generate softmax --model gpt-4.1 --turns 5",
            "kernelwright generate level1/gelu --model M --base-url http://localhost:8000/v1",
            "kernelwright generate softmax --out runs/s --resume",
        ],
        {
            0: "a correct kernel was found",
            1: "no correct kernel within the budget",
            **USAGE,
            **INTERRUPTED,
        },
    ),
    "eval": epilog(
        [
            "kernelwright eval level1 --model replay:demo --out runs/l1",
            "kernelwright eval path/to/KernelBench/level1 --model M --samples 4 --out runs/kb",
            "kernelwright eval --out runs/l1 --resume",
            "kernelwright eval --rescore runs/l1 --out runs/l1-gpu",
        ],
        {
            0: "every problem was evaluated (whatever the model scored)",
            1: "some problem could not be evaluated",
            **USAGE,
            **INTERRUPTED,
        },
    ),
    "mutate": epilog(
        [
            "kernelwright mutate softmax",
            "kernelwright mutate my_problem.py my_solution.py --per-class 0",
            "kernelwright mutate --bundled --record",
        ],
        {0: "every mutation score is at least 95%", 1: "some score is below 95%", **USAGE},
    ),
    "report": epilog(
        ["kernelwright report runs/l1", "kernelwright report runs/base runs/new --out cmp"],
        {0: "the report was written", **USAGE},
    ),
    "prompt": epilog(
        ["kernelwright prompt softmax", "kernelwright prompt softmax --variant bare"],
        {0: "the prompt was printed", **USAGE},
    ),
    "problems": epilog(
        ["kernelwright problems list", "kernelwright problems list path/to/KernelBench/level1"],
        {0: "listed", **USAGE},
    ),
    "corpus": epilog(
        [
            "kernelwright corpus build runs/a runs/b --out corpus",
            "kernelwright corpus generate --count 50 --out gen",
            "kernelwright corpus teach level2 --out runs/teach",
        ],
        {0: "done", 1: "teach could not run (it needs a GPU)", **USAGE},
    ),
}
