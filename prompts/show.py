"""The prompt a model gets for a problem, as Markdown: ``kernelwright prompt softmax``.

The README's sample prompt is this command's output for a bundled problem.
"""

from __future__ import annotations

from kernelwright.problem import exec_problem, read_problem, resolve_problem
from kernelwright.prompts.render import PromptConfig, render_problem, render_system


def render_prompt(
    problem: str, variant: str = "full", shape: str = "small", target: str | None = None
) -> str:
    """System and problem messages for a bundled problem name or a path, as Markdown; with
    ``target`` (a key of kernelwright.hardware.TARGETS), that chip's facts are the target's."""
    from kernelwright.hardware import target_facts

    config = PromptConfig.from_variant(variant)
    info = read_problem(resolve_problem(problem))
    pm = exec_problem(info, shape)
    facts = target_facts(target) if target else None
    for_whom = f"target {facts['arch']} ({target})" if facts else "no GPU target"
    return (
        f"# A rendered prompt: {info.name}, variant {config.label}, checked on the CPU\n\n"
        "The messages below are what the model receives first (`render_system`, then "
        f"`render_problem` with shape set `{shape}` and {for_whom}).\n\n"
        f"## System message\n\n````markdown\n{render_system(config, facts)}\n````\n\n"
        f"## User message\n\n````markdown\n{render_problem(info, pm, config, facts)}\n````\n"
    )
