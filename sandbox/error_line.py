"""Where in the candidate an error is: the kernel line that failed, not the launch that ran it.

Triton reports a kernel's errors at its launch: the interpreter re-raises what the kernel raised
as an ``InterpreterError`` from the launch (the kernel's own frame is in the cause's traceback),
and the compiler raises a ``CompilationError`` whose ``node.lineno`` counts from the kernel's
``def`` line in ``src`` (a helper's error is the cause of its caller's). Both have kept these
shapes from Triton 3.0 to 3.9; they are read by attribute, so nothing here imports Triton.
"""

from __future__ import annotations

import ast
import re
import traceback
from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    line: int  # 1-based, in the candidate file
    function: str | None


def locate(e: BaseException, candidate_file: str, code: str) -> Location | None:
    """The candidate line ``e`` comes from: the innermost located cause first (the kernel's
    line under the launch's), else the deepest candidate frame of ``e`` itself."""
    lines = code.splitlines()
    defs = _function_lines(code)
    chain = []
    seen: set[int] = set()
    x: BaseException | None = e
    while x is not None and id(x) not in seen:  # explicit causes only: `raise ... from`
        seen.add(id(x))
        chain.append(x)
        x = x.__cause__
    for x in reversed(chain):
        found = _compiled(x, defs) or _frame(x, candidate_file)
        if found is not None and 0 < found[0] <= len(lines):
            return Location(*found)
    return None


def _compiled(e: BaseException, defs: dict[str, int]) -> tuple[int, str] | None:
    """A compiler error's line: its node's line counted from its function's def line."""
    src, node = getattr(e, "src", None), getattr(e, "node", None)
    lineno = getattr(node, "lineno", None)
    if not isinstance(src, str) or not isinstance(lineno, int):
        return None
    m = re.search(r"^\s*def\s+(\w+)\s*\(", src, re.M)
    if m is None or m.group(1) not in defs:
        return None  # a helper from elsewhere (kwlib): its caller's line is the candidate's
    first = src[: m.start()].count("\n") + 1  # src may start with the decorators
    return defs[m.group(1)] + lineno - first, m.group(1)


def _frame(e: BaseException, candidate_file: str) -> tuple[int, str] | None:
    frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == candidate_file]
    if not frames:
        return None
    return frames[-1].lineno, frames[-1].name


def _function_lines(code: str) -> dict[str, int]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return {}
    return {
        n.name: n.lineno
        for n in ast.walk(tree)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
