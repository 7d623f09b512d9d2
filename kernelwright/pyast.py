"""Parsing Python safely from several threads at once.

CPython before 3.12 keeps the AST converter's recursion depth in interpreter-wide state, so
two threads converting at the same time can fail with "AST constructor recursion depth
mismatch" (python/cpython#106905). The pool judges candidates in threads while the agent
parses answers, so every conversion between source, Python AST objects and code objects in
kernelwright goes through this one lock.
"""

from __future__ import annotations

import ast
import threading
from types import CodeType

_LOCK = threading.Lock()


def parse(source: str, filename: str = "<unknown>", mode: str = "exec") -> ast.AST:
    with _LOCK:
        return ast.parse(source, filename=filename, mode=mode)


def compile_tree(tree: ast.AST, filename: str, mode: str) -> CodeType:
    with _LOCK:
        return compile(tree, filename, mode)
