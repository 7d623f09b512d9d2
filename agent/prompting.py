"""The agent's one boundary with the prompt templates (``kernelwright.prompts.render``): the
conversation's first messages, the feedback after an attempt, and how a conversation goes on."""

from __future__ import annotations

from typing import Any

from kernelwright.agent.errors import AgentError
from kernelwright.agent.models import Message
from kernelwright.outcome import Outcome
from kernelwright.problem import ProblemInfo
from kernelwright.prompts import render
from kernelwright.runlog import AttemptRecord


def prompt_version() -> str:
    return render.PROMPT_VERSION


def check_variant(variant: str) -> None:
    """``bare``, ``contract`` or ``full``, optionally with +part/-part edits."""
    try:
        render.PromptConfig.from_variant(variant)
    except ValueError as e:
        raise AgentError(f"--prompt: {e}") from None


def first_messages(
    problem: ProblemInfo, variant: str, target: dict[str, Any] | None
) -> list[Message]:
    return [
        {"role": "system", "content": render.render_system(variant, target)},
        {"role": "user", "content": render.render_problem(problem, None, variant, target)},
    ]


def feedback(outcome: Outcome, code: str | None, variant: str) -> str:
    return render.render_feedback(outcome, code, variant)


def follow_up(record: AttemptRecord) -> list[Message]:
    """The conversation that asks the model to fix or improve the attempt ``record``."""
    return [
        *record.messages,
        {"role": "assistant", "content": record.response},
        {"role": "user", "content": record.feedback or ""},
    ]
