"""Print the prompt a model gets for a problem: ``python -m kernelwright.prompts.show softmax``.

The README's sample prompt is this command's output for a bundled problem.
"""

from __future__ import annotations

import argparse
import sys

from kernelwright.problem import ProblemError, exec_problem, read_problem, resolve_problem
from kernelwright.prompts.render import PromptConfig, render_problem, render_system


def render_prompt(problem: str, variant: str = "full", shape: str = "small") -> str:
    """System and problem messages for a bundled problem name or a path, as Markdown."""
    config = PromptConfig.from_variant(variant)
    info = read_problem(resolve_problem(problem))
    pm = exec_problem(info, shape)
    return (
        f"# A rendered prompt: {info.name}, variant {config.label}, checked on the CPU\n\n"
        "The messages below are what the model receives first (`render_system`, then "
        f"`render_problem` with shape set `{shape}` and no GPU target).\n\n"
        f"## System message\n\n````markdown\n{render_system(config, None)}\n````\n\n"
        f"## User message\n\n````markdown\n{render_problem(info, pm, config, None)}\n````\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("problem", help="a bundled problem name or a problem file")
    parser.add_argument(
        "--variant", default="full", help="bare, contract, full, or e.g. full-guide"
    )
    parser.add_argument("--shape", default="small", help="the shape set whose inputs are listed")
    args = parser.parse_args(argv)
    try:
        sys.stdout.write(render_prompt(args.problem, args.variant, args.shape))
    except (ProblemError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
