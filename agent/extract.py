"""Code out of a model's answer: the last complete ```python block, or the whole answer when
it is only code; anything else is a format error whose message tells the model what to fix."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from kernelwright import pyast

PYTHON_LABELS = {"python", "py", "python3"}
_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})[ \t]*([^\s`]*)[^`\n]*$")


@dataclass(frozen=True)
class Extraction:
    code: str | None
    error: str | None = None  # set when code is None: the format error for the model


@dataclass(frozen=True)
class _Block:
    label: str
    body: str
    closed: bool


def _blocks(text: str) -> list[_Block]:
    """Fenced blocks in order (CommonMark rules: a block closes on a fence at least as long)."""
    blocks: list[_Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        fence, label = m.group(1), m.group(2).lower()
        close = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        body: list[str] = []
        i += 1
        while i < len(lines) and not close.match(lines[i]):
            body.append(lines[i])
            i += 1
        blocks.append(_Block(label, "\n".join(body) + "\n", closed=i < len(lines)))
        i += 1
    return blocks


def _is_code(text: str) -> bool:
    """Parses as Python and defines or imports something: prose rarely does both."""
    try:
        tree = pyast.parse(text)
    except SyntaxError:
        return False
    return any(
        isinstance(n, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef))
        for n in tree.body
    )


def extract_code(answer: str, finish_reason: str | None = None) -> Extraction:
    truncated = finish_reason == "length"
    if not answer.strip():
        why = " It ran out of tokens before answering." if truncated else ""
        return Extraction(None, "The answer was empty." + why)
    blocks = _blocks(answer)
    complete = [b for b in blocks if b.closed and b.body.strip()]
    for wanted in (lambda b: b.label in PYTHON_LABELS, lambda b: not b.label and _is_code(b.body)):
        found = [b for b in complete if wanted(b)]
        if found:
            return Extraction(found[-1].body)
    if not blocks and _is_code(answer):
        return Extraction(answer if answer.endswith("\n") else answer + "\n")
    if blocks and not blocks[-1].closed:
        cause = "was cut off at the token limit" if truncated else "ends inside a code block"
        return Extraction(
            None,
            f"The answer {cause} before its ```python block closed, so no code was run. "
            "Answer again with the complete module in one closed ```python block, shorter.",
        )
    return Extraction(
        None,
        "No ```python code block was found in the answer, so no code was run. Answer with the "
        "complete module (imports, Triton kernels and class ModelNew) in one ```python block.",
    )
