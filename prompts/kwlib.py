"""kwlib: small @triton.jit helpers that candidate kernels may import.

    from kernelwright.prompts.kwlib import load_tile, store_tile, gelu_tanh

Tiles are 2-D ``[ROWS, COLS]``; row reductions run over axis 1 and return ``[ROWS]``.
Math runs in fp32. Every helper uses only core ``tl`` operations, so it runs in the CPU
interpreter and compiles on Triton 3.6 and later.

``inline_helpers`` turns a candidate that imports kwlib into a standalone module (the
exported ``best_kernel.py`` needs only torch and triton). The prompt documents each helper
by its signature and the first line of its docstring, read from this file, so the two
cannot drift apart.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import triton
import triton.language as tl

from kernelwright import pyast

# ---------------------------------------------------------------------------------------
# Helpers (everything decorated with @triton.jit below is public and documented)
# ---------------------------------------------------------------------------------------


@triton.jit
def load_vec(ptr, offs, n, other=0.0):
    """Masked 1-D load of ptr[offs] for offs < n; lanes past n read `other`."""
    return tl.load(ptr + offs, mask=offs < n, other=other)


@triton.jit
def store_vec(ptr, value, offs, n):
    """Masked 1-D store of value to ptr[offs] for offs < n, cast to ptr's element type."""
    tl.store(ptr + offs, value.to(ptr.dtype.element_ty), mask=offs < n)


@triton.jit
def load_tile(ptr, rows, cols, stride_r, stride_c, n_rows, n_cols, other=0.0):
    """Masked [len(rows), len(cols)] tile of ptr[r*stride_r + c*stride_c]; outside reads `other`."""
    offs = rows[:, None] * stride_r + cols[None, :] * stride_c
    mask = (rows[:, None] < n_rows) & (cols[None, :] < n_cols)
    return tl.load(ptr + offs, mask=mask, other=other)


@triton.jit
def store_tile(ptr, value, rows, cols, stride_r, stride_c, n_rows, n_cols):
    """Masked store of a [len(rows), len(cols)] tile, cast to ptr's element type."""
    offs = rows[:, None] * stride_r + cols[None, :] * stride_c
    mask = (rows[:, None] < n_rows) & (cols[None, :] < n_cols)
    tl.store(ptr + offs, value.to(ptr.dtype.element_ty), mask=mask)


@triton.jit
def row_max(x, cols, n_cols):
    """Max over axis 1 of a [R, C] tile, ignoring columns >= n_cols; returns fp32 [R]."""
    x = tl.where(cols[None, :] < n_cols, x.to(tl.float32), -float("inf"))
    return tl.max(x, axis=1)


@triton.jit
def row_sum(x, cols, n_cols):
    """Sum over axis 1 of a [R, C] tile, ignoring columns >= n_cols; returns fp32 [R]."""
    x = tl.where(cols[None, :] < n_cols, x.to(tl.float32), 0.0)
    return tl.sum(x, axis=1)


@triton.jit
def row_mean_var(x, cols, n_cols):
    """Mean and biased variance over axis 1 (columns < n_cols) of a [R, C] tile, in fp32."""
    valid = cols[None, :] < n_cols
    x = tl.where(valid, x.to(tl.float32), 0.0)
    mean = tl.sum(x, axis=1) / n_cols
    diff = tl.where(valid, x - mean[:, None], 0.0)
    return mean, tl.sum(diff * diff, axis=1) / n_cols


@triton.jit
def row_softmax(x, cols, n_cols):
    """Softmax over axis 1 of a [R, C] tile holding whole rows; padding columns give 0."""
    x = tl.where(cols[None, :] < n_cols, x.to(tl.float32), -float("inf"))
    p = tl.exp(x - tl.max(x, axis=1)[:, None])
    return p / tl.sum(p, axis=1)[:, None]


@triton.jit
def online_softmax_update(m_i, l_i, s):
    """One block of online softmax: running max m_i [R], sum l_i [R], scores s [R, C]
    (fp32, masked lanes -inf) -> (m_new, l_new, p, alpha); rescale acc by alpha[:, None]."""
    m_new = tl.maximum(m_i, tl.max(s, axis=1))
    # A row with nothing valid yet keeps max -inf; subtracting 0 avoids inf - inf = nan.
    m_safe = tl.where(m_new == -float("inf"), 0.0, m_new)
    p = tl.exp(s - m_safe[:, None])
    alpha = tl.exp(m_i - m_safe)
    return m_new, l_i * alpha + tl.sum(p, axis=1), p, alpha


@triton.jit
def grouped_pid(pid, num_pid_m, num_pid_n, GROUP_M: tl.constexpr):
    """Map a 1-D program id to (pid_m, pid_n) in groups of GROUP_M rows, for L2 reuse."""
    group_size = GROUP_M * num_pid_n
    first_m = (pid // group_size) * GROUP_M
    rows_in_group = tl.minimum(num_pid_m - first_m, GROUP_M)
    pid_m = first_m + (pid % group_size) % rows_in_group
    pid_n = (pid % group_size) // rows_in_group
    return pid_m, pid_n


@triton.jit
def relu(x):
    """max(x, 0) in fp32."""
    return tl.maximum(x.to(tl.float32), 0.0)


@triton.jit
def leaky_relu(x, slope):
    """x if x > 0 else slope * x, in fp32."""
    x = x.to(tl.float32)
    return tl.where(x > 0, x, slope * x)


@triton.jit
def sigmoid(x):
    """1 / (1 + exp(-x)) in fp32."""
    return tl.sigmoid(x.to(tl.float32))


@triton.jit
def silu(x):
    """x * sigmoid(x) in fp32 (SiLU / swish)."""
    x = x.to(tl.float32)
    return x * tl.sigmoid(x)


@triton.jit
def tanh(x):
    """tanh in fp32 from exp (libdevice-free, so it also runs in the interpreter)."""
    x = x.to(tl.float32)
    e = tl.exp(-2.0 * tl.abs(x))
    t = (1.0 - e) / (1.0 + e)
    return tl.where(x >= 0, t, -t)


@triton.jit
def gelu_tanh(x):
    """GELU, tanh approximation: F.gelu(x, approximate="tanh"), in fp32."""
    x = x.to(tl.float32)
    return 0.5 * x * (1.0 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))


@triton.jit
def gelu_erf(x):
    """Exact GELU: F.gelu(x) = 0.5 * x * (1 + erf(x / sqrt(2))), in fp32."""
    x = x.to(tl.float32)
    return 0.5 * x * (1.0 + tl.erf(x * 0.7071067811865476))


@triton.jit
def softplus(x):
    """log(1 + exp(x)) in fp32, stable for large |x|."""
    x = x.to(tl.float32)
    return tl.maximum(x, 0.0) + tl.log(1.0 + tl.exp(-tl.abs(x)))


# ---------------------------------------------------------------------------------------
# Documentation and inlining
# ---------------------------------------------------------------------------------------

MODULE = "kernelwright.prompts.kwlib"


class InlineError(ValueError):
    """A candidate whose kwlib use cannot be inlined; the message says why."""


@functools.cache
def _helpers() -> dict[str, ast.FunctionDef]:
    tree = pyast.parse(Path(__file__).read_text(encoding="utf-8"))
    out = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and any(
            ast.unparse(d) in ("triton.jit", "jit") for d in node.decorator_list
        ):
            out[node.name] = node
    return out


def helper_names() -> list[str]:
    return list(_helpers())


def helper_docs() -> list[tuple[str, str]]:
    """(signature, first docstring line) of every helper, in file order."""
    docs = []
    for name, node in _helpers().items():
        doc = " ".join((ast.get_docstring(node) or "").split("\n\n")[0].split())
        docs.append((f"{name}({ast.unparse(node.args)})", doc))
    return docs


@functools.cache
def _source_of(name: str) -> str:
    lines = Path(__file__).read_text(encoding="utf-8").splitlines()
    node = _helpers()[name]
    start = min(d.lineno for d in node.decorator_list)
    return "\n".join(lines[start - 1 : node.end_lineno])


def _deps(name: str) -> list[str]:
    """The helper and every helper it calls, callees first."""
    order: list[str] = []

    def visit(n: str) -> None:
        if n in order:
            return
        for sub in ast.walk(_helpers()[n]):
            if isinstance(sub, ast.Name) and sub.id in _helpers() and sub.id != n:
                visit(sub.id)
        order.append(n)

    visit(name)
    return order


def _kwlib_imports(tree: ast.Module) -> tuple[list[ast.stmt], dict[str, str], set[str]]:
    """Top-level kwlib imports: the statements, {local name: helper}, module aliases."""
    stmts: list[ast.stmt] = []
    names: dict[str, str] = {}
    aliases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == MODULE:
            for a in node.names:
                if a.name == "*":
                    names.update({h: h for h in _helpers()})
                elif a.name in _helpers():
                    names[a.asname or a.name] = a.name
                else:
                    raise InlineError(f"line {node.lineno}: kwlib has no helper {a.name!r}")
        elif isinstance(node, ast.ImportFrom) and node.module == "kernelwright.prompts":
            if any(a.name != "kwlib" for a in node.names):
                raise InlineError(
                    f"line {node.lineno}: only kwlib may be imported from kernelwright"
                )
            aliases.update(a.asname or a.name for a in node.names)
        elif isinstance(node, ast.Import) and any(a.name == MODULE for a in node.names):
            if len(node.names) != 1 or node.names[0].asname is None:
                raise InlineError(
                    f"line {node.lineno}: write `import {MODULE} as kw` or "
                    f"`from {MODULE} import ...`"
                )
            aliases.add(node.names[0].asname)
        else:
            continue
        if node not in tree.body:
            raise InlineError(f"line {node.lineno}: import kwlib at the top level of the module")
        stmts.append(node)
    return stmts, names, aliases


def inline_helpers(code: str) -> str:
    """Rewrite a candidate that imports kwlib into a module that needs only torch and triton.

    The used helpers' sources (and the helpers they call) replace the first kwlib import;
    other kwlib imports are removed; ``kw.helper`` attribute uses become plain names; an
    ``import ... as other`` alias is bound after the helpers. Code without kwlib is returned
    unchanged.
    """
    try:
        tree = pyast.parse(code)
    except SyntaxError as e:
        raise InlineError(f"line {e.lineno}: syntax error: {e.msg}") from None
    stmts, names, aliases = _kwlib_imports(tree)
    if not stmts:
        return code
    used = dict(names)
    edits: list[tuple[int, int, int, int, str]] = []  # (line, col, end_line, end_col, text)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id in aliases:
                if node.attr not in _helpers():
                    raise InlineError(f"line {node.lineno}: kwlib has no helper {node.attr!r}")
                used[node.attr] = node.attr
                edits.append(
                    (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset, node.attr)
                )
    needed: list[str] = []
    for helper in used.values():
        needed += [d for d in _deps(helper) if d not in needed]
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))} | {
        t.id
        for n in tree.body
        if isinstance(n, ast.Assign)
        for t in n.targets
        if isinstance(t, ast.Name)
    }
    clash = sorted(defined & set(needed))
    if clash:
        raise InlineError(
            f"the candidate defines {', '.join(clash)}, which kwlib helpers it uses also define; "
            "rename them"
        )
    block = [
        "import triton",
        "import triton.language as tl",
        "",
        "# --- inlined from kernelwright.prompts.kwlib ---",
    ]
    for name in needed:
        block += ["", _source_of(name), ""]
    block += [f"{local} = {helper}" for local, helper in names.items() if local != helper]
    block.append("# --- end of kwlib ---")
    for i, stmt in enumerate(stmts):
        text = "\n".join(block) if i == 0 else ""
        edits.append((stmt.lineno, stmt.col_offset, stmt.end_lineno, stmt.end_col_offset, text))
    return _apply_edits(code, edits)


def _apply_edits(code: str, edits: list[tuple[int, int, int, int, str]]) -> str:
    lines = code.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def pos(line: int, col: int) -> int:
        # ast columns are utf-8 byte offsets.
        return starts[line - 1] + len(lines[line - 1].encode()[:col].decode())

    out = code
    for line, col, end_line, end_col, text in sorted(edits, reverse=True):
        out = out[: pos(line, col)] + text + out[pos(end_line, end_col) :]
    return out
