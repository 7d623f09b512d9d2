"""The prompt a model gets for a problem, as Markdown: ``kernelwright prompt softmax``.

The README's sample prompt is this command's output for a bundled problem.
"""

from __future__ import annotations

from kernelwright.problem import exec_problem, read_problem, resolve_problem
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
