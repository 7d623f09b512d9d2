"""The candidate's Triton kernels, lifted out of its module so they can be compiled (or run)
in a process that never ran the candidate's module code.

``extract`` keeps, from the module's top level: ``@triton.jit`` functions (their other
decorators, autotune and heuristics, dropped: the launch record carries the config they chose),
imports of ``triton`` and ``math``, and names bound to constant expressions (literals,
``tl.constexpr(...)``, ``tl.float16``-like attributes). Every other line is blanked, so a line
number in a compiler message is the line in the candidate's own file. Executing the result runs
only ``def`` statements and those constants: a kernel whose default values or annotations are
not constant expressions is left out, with the reason.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

# Modules a kernel may name; everything else in the candidate's module stays behind.
IMPORT_ROOTS = {"triton", "math", "__future__"}
# Libraries of @triton.jit helpers a kernel may call (kernelwright's own, inductor's).
HELPER_MODULES = ("kernelwright.prompts.kwlib", "torch._inductor.runtime.triton_helpers")
# Functions a constant expression may call.
_CONST_CALLS = {"constexpr", "next_power_of_2", "cdiv", "log2", "sqrt", "exp", "log"}
JIT_DECORATOR = "__kernelwright_jit__"


@dataclass
class Extracted:
    text: str  # the module to execute, lines aligned with the candidate's
    kernels: dict[str, int] = field(default_factory=dict)  # name -> line of its def
    left_out: dict[str, str] = field(default_factory=dict)  # name -> why it was not extracted


def _dotted_root(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _constant(node: ast.AST | None, names: set[str]) -> bool:
    """A constant expression over literals, kept names and attributes of kept modules."""
    if node is None:
        return True
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id in names
    if isinstance(node, ast.Attribute):
        return _dotted_root(node) in names and not node.attr.startswith("_")
    if isinstance(node, ast.UnaryOp):
        return _constant(node.operand, names)
    if isinstance(node, ast.BinOp):
        return _constant(node.left, names) and _constant(node.right, names)
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(_constant(e, names) for e in node.elts)
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        return (
            name in _CONST_CALLS
            and _constant(func, names)
            and all(_constant(a, names) for a in node.args)
            and all(_constant(k.value, names) for k in node.keywords)
        )
    return False


def _jit_decorator(node: ast.FunctionDef) -> ast.expr | None:
    for dec in node.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
        if name == "jit":
            return dec
    return None


def _kernel_import(node: ast.Import | ast.ImportFrom) -> ast.Import | ast.ImportFrom | None:
    """The part of an import that binds Triton, math or a helper library, or None."""

    def allowed(module: str) -> bool:
        return module.split(".")[0] in IMPORT_ROOTS or module.startswith(HELPER_MODULES)

    if isinstance(node, ast.ImportFrom):
        if node.level or not node.module:
            return None
        if allowed(node.module):
            return node
        # `from torch._inductor.runtime import triton_helpers` names a helper library in a
        # package that is not one.
        names = [a for a in node.names if f"{node.module}.{a.name}".startswith(HELPER_MODULES)]
        return ast.ImportFrom(module=node.module, names=names, level=0) if names else None
    # `import torch, triton.language as tl` keeps what a kernel may name.
    names = [a for a in node.names if allowed(a.name)]
    return ast.Import(names=names) if names else None


def _bound_names(node: ast.Import | ast.ImportFrom) -> set[str]:
    return {(a.asname or a.name).split(".")[0] for a in node.names}


def extract(code: str) -> Extracted:
    """The kernels of ``code`` (which must parse) as a module safe to execute."""
    tree = ast.parse(code)
    lines = code.splitlines()
    out = [""] * len(lines)
    names: set[str] = set()
    result = Extracted(text="")

    def keep(node: ast.stmt) -> None:
        for i in range(node.lineno - 1, node.end_lineno):
            out[i] = lines[i]

    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            kept = _kernel_import(node)
            if kept is not None:
                out[node.lineno - 1] = ast.unparse(kept)  # on its own line: numbers still match
                names |= _bound_names(kept)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if all(isinstance(t, ast.Name) for t in targets) and node.value is not None:
                if _constant(node.value, names) and (
                    not isinstance(node, ast.AnnAssign) or _constant(node.annotation, names)
                ):
                    keep(node)
                    names |= {t.id for t in targets}
        elif isinstance(node, ast.FunctionDef):
            jit = _jit_decorator(node)
            if jit is None:
                continue
            why = _unsafe_signature(node, names | {node.name})
            if why:
                result.left_out[node.name] = why
                continue
            first = min(d.lineno for d in node.decorator_list) - 1
            keep(node)
            for i in range(first, node.lineno - 1):
                out[i] = ""
            options = ""
            if isinstance(jit, ast.Call):
                if jit.args or not all(_constant(k.value, set()) for k in jit.keywords):
                    result.left_out[node.name] = "its @triton.jit(...) options are not literals"
                    continue
                options = "(" + ", ".join(ast.unparse(k) for k in jit.keywords) + ")"
            indent = lines[node.lineno - 1][: node.col_offset]
            out[node.lineno - 2] = f"{indent}@{JIT_DECORATOR}{options}"
            result.kernels[node.name] = node.lineno
            names.add(node.name)
    result.text = "\n".join(out) + "\n"
    return result


def _unsafe_signature(node: ast.FunctionDef, names: set[str]) -> str | None:
    """Default values and annotations run when the ``def`` runs: only constants may."""
    args = node.args
    for default in [*args.defaults, *[d for d in args.kw_defaults if d is not None]]:
        if not _constant(default, names):
            return f"line {default.lineno}: a default value that is not a constant"
    for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
        if arg.annotation is not None and not _constant(arg.annotation, names):
            return f"line {arg.lineno}: an annotation that is not a constant"
    if node.returns is not None and not _constant(node.returns, names):
        return f"line {node.lineno}: a return annotation that is not a constant"
    return None
