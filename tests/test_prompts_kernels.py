"""Kernels in Triton's CPU interpreter: the worked patterns and kwlib helpers against torch,
inline_helpers' standalone output, and each feedback diagnosis on a real wrong kernel.

Triton chooses the interpreter when it is imported (its own library functions are
``@triton.jit`` too), and other test modules import it first. So the ``case_*`` functions
below run in one worker process that sets TRITON_INTERPRET=1 before importing anything,
and each ``test_*`` asks the worker to run its case: an assertion there fails the test here,
with the worker's traceback.
"""

from __future__ import annotations

import ast
import importlib.util
import itertools
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import traceback
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F

import kernelwright.prompts
from kernelwright.prompts import kwlib
from kernelwright.prompts.feedback import diagnose_compile_error, diagnose_mismatch
from kernelwright.prompts.render import pattern_names

PROMPTS = Path(kernelwright.prompts.__file__).resolve().parent
PATTERNS = PROMPTS / "patterns"
REPLY = "@@kernelwright-case@@ "
_counter = itertools.count()
_SCRATCH = tempfile.TemporaryDirectory(prefix="kw-prompt-cases-")

WORKER = f"""
import importlib.util, json, sys, traceback
spec = importlib.util.spec_from_file_location("prompts_kernel_cases", sys.argv[1])
cases = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cases)
for line in sys.stdin:
    name, args = json.loads(line)
    try:
        reply = {{"result": getattr(cases, name)(*args), "error": None}}
    except BaseException:
        reply = {{"result": None, "error": traceback.format_exc()}}
    print({REPLY!r} + json.dumps(reply), flush=True)
"""


class Interpreter:
    """A worker process with Triton's interpreter on, running this module's cases."""

    def __init__(self) -> None:
        env = {**os.environ, "TRITON_INTERPRET": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WORKER, __file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )

    def run(self, case: str, *args: Any) -> Any:
        self.proc.stdin.write(json.dumps([case, list(args)]) + "\n")
        self.proc.stdin.flush()
        for line in self.proc.stdout:
            if line.startswith(REPLY):
                reply = json.loads(line[len(REPLY) :])
                if reply["error"]:
                    pytest.fail(f"{case} failed in the interpreter:\n{reply['error']}", False)
                return reply["result"]
        pytest.fail(f"the interpreter worker died running {case}", False)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def interp():
    worker = Interpreter()
    yield worker
    worker.close()


def load(code: str):
    """A candidate module from source text (in the worker: kernels are interpreted)."""
    path = Path(_SCRATCH.name) / f"candidate_{next(_counter)}.py"
    path.write_text(textwrap.dedent(code))
    return _load_file(path, path.stem)


def _load_file(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pattern(name: str):
    return load((PATTERNS / f"{name}.py").read_text())


def _build(cls, *args):
    torch.manual_seed(0)
    return cls(*args)


# ---------------------------------------------------------------------------------------
# Worked patterns
# ---------------------------------------------------------------------------------------


def test_every_pattern_is_tested():
    assert sorted(pattern_names()) == sorted(p.stem for p in PATTERNS.glob("*.py"))
    assert set(pattern_names()) == {
        "elementwise_epilogue",
        "row_softmax",
        "matmul_epilogue",
        "flash_attention",
        "gather_scatter",
    }


def case_elementwise_epilogue(dtype: str) -> None:
    m = _pattern("elementwise_epilogue")
    model = _build(m.ModelNew, 100, 0.5)
    bias = _build(lambda: torch.randn(100))
    x = torch.randn(7, 100, dtype=getattr(torch, dtype))
    out = model(x)
    assert out.dtype == x.dtype
    expected = F.gelu(x.float() * 0.5 + bias, approximate="tanh")
    torch.testing.assert_close(out.float(), expected, atol=2e-3, rtol=2e-3)


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_pattern_elementwise_epilogue(interp, dtype):
    interp.run("case_elementwise_epilogue", dtype)


def case_row_softmax(shape: list[int], strided: bool) -> None:
    m = _pattern("row_softmax")
    x = torch.randn(*shape) * 3
    if strided:
        x = x[..., : shape[-1] // 2]  # rows further apart in memory than they are long
    torch.testing.assert_close(m.ModelNew()(x), torch.softmax(x, dim=-1))


@pytest.mark.parametrize(
    ("shape", "strided"),
    [((5, 5000), False), ((3, 4, 37), False), ((1, 1), False), ((6, 400), True)],
)
def test_pattern_row_softmax(interp, shape, strided):
    interp.run("case_row_softmax", shape, strided)


def case_matmul_epilogue(dtype: str) -> None:
    m = _pattern("matmul_epilogue")
    dt = getattr(torch, dtype)
    model = _build(m.ModelNew, 70, 150).to(dt)
    reference = _build(torch.nn.Linear, 70, 150)
    x = torch.randn(130, 70, dtype=dt)
    expected = torch.relu(reference(x.float()))
    tol = 1e-4 if dt == torch.float32 else 2e-2
    torch.testing.assert_close(model(x).float(), expected, atol=tol, rtol=tol)


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_pattern_matmul_epilogue(interp, dtype):
    interp.run("case_matmul_epilogue", dtype)


def case_flash_attention(causal: bool) -> None:
    m = _pattern("flash_attention")
    q, k, v = (torch.randn(2, 3, 70, 24) for _ in range(3))
    expected = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    torch.testing.assert_close(m.ModelNew(causal)(q, k, v), expected, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("causal", [True, False])
def test_pattern_flash_attention(interp, causal):
    interp.run("case_flash_attention", causal)


def case_gather_scatter() -> None:
    m = _pattern("gather_scatter")
    model = _build(m.ModelNew, 50, 300)
    idx = torch.randint(0, 50, (4, 9))
    torch.testing.assert_close(model(idx), model.embedding.weight[idx])
    src = torch.randn(40, 300)
    rows = torch.randint(0, 10, (40,))
    expected = torch.zeros(10, 300).index_add_(0, rows, src)
    torch.testing.assert_close(m.scatter_add_rows(src, rows, 10), expected)


def test_pattern_gather_scatter(interp):
    interp.run("case_gather_scatter")


# ---------------------------------------------------------------------------------------
# kwlib helpers
# ---------------------------------------------------------------------------------------

HELPER_KERNELS = """
import torch
import triton
import triton.language as tl
from kernelwright.prompts.kwlib import (
    gelu_erf, gelu_tanh, grouped_pid, leaky_relu, load_tile, load_vec, online_softmax_update,
    relu, row_max, row_mean_var, row_softmax, row_sum, sigmoid, silu, softplus, store_tile,
    store_vec, tanh,
)


@triton.jit
def act_kernel(x_ptr, y_ptr, n, ACT: tl.constexpr, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = load_vec(x_ptr, offs, n)
    if ACT == 0:
        y = relu(x)
    elif ACT == 1:
        y = leaky_relu(x, 0.1)
    elif ACT == 2:
        y = sigmoid(x)
    elif ACT == 3:
        y = silu(x)
    elif ACT == 4:
        y = tanh(x)
    elif ACT == 5:
        y = gelu_tanh(x)
    elif ACT == 6:
        y = gelu_erf(x)
    else:
        y = softplus(x)
    store_vec(y_ptr, y, offs, n)


@triton.jit
def rows_kernel(x_ptr, stats_ptr, sm_ptr, n_rows, n_cols, stride,
                ROWS: tl.constexpr, BLOCK: tl.constexpr):
    rows = tl.program_id(0) * ROWS + tl.arange(0, ROWS)
    cols = tl.arange(0, BLOCK)
    x = load_tile(x_ptr, rows, cols, stride, 1, n_rows, n_cols)
    mean, var = row_mean_var(x, cols, n_cols)
    ok = rows < n_rows
    tl.store(stats_ptr + rows * 4 + 0, row_max(x, cols, n_cols), mask=ok)
    tl.store(stats_ptr + rows * 4 + 1, row_sum(x, cols, n_cols), mask=ok)
    tl.store(stats_ptr + rows * 4 + 2, mean, mask=ok)
    tl.store(stats_ptr + rows * 4 + 3, var, mask=ok)
    store_tile(sm_ptr, row_softmax(x, cols, n_cols), rows, cols, stride, 1, n_rows, n_cols)


@triton.jit
def lse_kernel(x_ptr, out_ptr, n_rows, n_cols, ROWS: tl.constexpr, BLOCK: tl.constexpr):
    rows = tl.program_id(0) * ROWS + tl.arange(0, ROWS)
    m = tl.full([ROWS], -float("inf"), tl.float32)
    l = tl.zeros([ROWS], tl.float32)
    for start in range(0, n_cols, BLOCK):
        cols = start + tl.arange(0, BLOCK)
        s = load_tile(x_ptr, rows, cols, n_cols, 1, n_rows, n_cols, -float("inf"))
        m, l, p, alpha = online_softmax_update(m, l, s)
    tl.store(out_ptr + rows, m + tl.log(l), mask=rows < n_rows)


@triton.jit
def pid_kernel(out_ptr, num_pid_m, num_pid_n, GROUP_M: tl.constexpr):
    pid = tl.program_id(0)
    pid_m, pid_n = grouped_pid(pid, num_pid_m, num_pid_n, GROUP_M)
    tl.store(out_ptr + pid * 2, pid_m)
    tl.store(out_ptr + pid * 2 + 1, pid_n)
"""

ACTIVATIONS = [
    torch.relu,
    lambda x: F.leaky_relu(x, 0.1),
    torch.sigmoid,
    F.silu,
    torch.tanh,
    lambda x: F.gelu(x, approximate="tanh"),
    F.gelu,
    F.softplus,
]


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


def case_kwlib_activation(act: int) -> None:
    h = load(HELPER_KERNELS)
    x = torch.cat([torch.randn(997) * 4, torch.tensor([0.0, -30.0, 30.0])])
    y = torch.empty_like(x)
    h.act_kernel[(_cdiv(x.numel(), 256),)](x, y, x.numel(), ACT=act, BLOCK=256)
    torch.testing.assert_close(y, ACTIVATIONS[act](x), atol=1e-5, rtol=1e-5)
    half = torch.empty(x.numel(), dtype=torch.float16)  # stores cast to the pointer's type
    h.act_kernel[(_cdiv(x.numel(), 256),)](x, half, x.numel(), ACT=act, BLOCK=256)
    torch.testing.assert_close(half, ACTIVATIONS[act](x).half(), atol=1e-3, rtol=1e-3)


@pytest.mark.parametrize("act", range(len(ACTIVATIONS)))
def test_kwlib_activations_match_torch(interp, act):
    interp.run("case_kwlib_activation", act)


def case_kwlib_tiles_and_row_reductions() -> None:
    h = load(HELPER_KERNELS)
    x = torch.randn(13, 300)[:, :100]  # strided rows, 100 of 128 tile columns used
    stats = torch.empty(13, 4)
    sm = torch.zeros(13, 300)
    h.rows_kernel[(_cdiv(13, 4),)](x, stats, sm, 13, 100, x.stride(0), ROWS=4, BLOCK=128)
    torch.testing.assert_close(stats[:, 0], x.amax(dim=1))
    torch.testing.assert_close(stats[:, 1], x.sum(dim=1))
    torch.testing.assert_close(stats[:, 2], x.mean(dim=1))
    torch.testing.assert_close(stats[:, 3], x.var(dim=1, unbiased=False))
    torch.testing.assert_close(sm[:, :100], torch.softmax(x, dim=1))
    assert not sm[:, 100:].any(), "store_tile wrote outside its columns"


def test_kwlib_tile_loads_and_row_reductions(interp):
    interp.run("case_kwlib_tiles_and_row_reductions")


def case_kwlib_online_softmax_update() -> None:
    h = load(HELPER_KERNELS)
    x = torch.randn(10, 333) * 5
    out = torch.empty(10)
    h.lse_kernel[(_cdiv(10, 4),)](x, out, 10, 333, ROWS=4, BLOCK=64)
    torch.testing.assert_close(out, torch.logsumexp(x, dim=1))


def test_kwlib_online_softmax_update(interp):
    interp.run("case_kwlib_online_softmax_update")


def case_kwlib_grouped_pid() -> None:
    h = load(HELPER_KERNELS)
    m, n, group = 7, 5, 3
    out = torch.empty(m * n, 2, dtype=torch.int32)
    h.pid_kernel[(m * n,)](out, m, n, GROUP_M=group)
    pairs = [tuple(p) for p in out.tolist()]
    assert sorted(pairs) == [(i, j) for i in range(m) for j in range(n)]
    # The first group * n programs cover exactly the first `group` tile-rows.
    assert {p[0] for p in pairs[: group * n]} == set(range(group))


def test_kwlib_grouped_pid_is_a_grouped_permutation(interp):
    interp.run("case_kwlib_grouped_pid")


def test_kwlib_docs_cover_every_helper():
    docs = dict(kwlib.helper_docs())
    assert len(docs) == len(kwlib.helper_names()) >= 15
    for signature, line in docs.items():
        assert signature.endswith(")") and line, signature
    assert "gelu_tanh(x)" in docs and "online_softmax_update(m_i, l_i, s)" in docs


# ---------------------------------------------------------------------------------------
# inline_helpers
# ---------------------------------------------------------------------------------------

KWLIB_CANDIDATE = """
import torch
import torch.nn as nn
import triton
import triton.language as tl
{imports}


@triton.jit
def gelu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = {load}(x_ptr, offs, n)
    {store}(y_ptr, {gelu}(x), offs, n)


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        gelu_kernel[(triton.cdiv(x.numel(), 256),)](x, y, x.numel(), BLOCK=256)
        return y
"""

IMPORT_FORMS = {
    "from": (
        "from kernelwright.prompts.kwlib import gelu_tanh, load_vec, store_vec",
        "load_vec",
        "store_vec",
        "gelu_tanh",
    ),
    "from_as": (
        "from kernelwright.prompts.kwlib import gelu_tanh as act, load_vec\n"
        "from kernelwright.prompts.kwlib import store_vec",
        "load_vec",
        "store_vec",
        "act",
    ),
    "module_alias": (
        "import kernelwright.prompts.kwlib as kw",
        "kw.load_vec",
        "kw.store_vec",
        "kw.gelu_tanh",
    ),
    "package_import": (
        "from kernelwright.prompts import kwlib",
        "kwlib.load_vec",
        "kwlib.store_vec",
        "kwlib.gelu_tanh",
    ),
}


def case_inline_helpers(form: str) -> None:
    imports, load_fn, store_fn, gelu_fn = IMPORT_FORMS[form]
    code = KWLIB_CANDIDATE.format(imports=imports, load=load_fn, store=store_fn, gelu=gelu_fn)
    x = torch.randn(1000)
    expected = load(code).ModelNew()(x)  # the candidate as the model wrote it
    torch.testing.assert_close(expected, F.gelu(x, approximate="tanh"), atol=1e-5, rtol=1e-5)

    standalone = kwlib.inline_helpers(code)
    imported = {
        alias.name if isinstance(node, ast.Import) else node.module
        for node in ast.walk(ast.parse(standalone))
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert imported <= {"torch", "torch.nn", "triton", "triton.language"}, imported
    assert "def tanh(x):" in standalone, "gelu_tanh's dependency was not inlined"
    assert "def row_softmax" not in standalone, "unused helpers were inlined"
    hidden = {m: sys.modules[m] for m in sys.modules if m.split(".")[0] == "kernelwright"}
    sys.modules.update(dict.fromkeys(hidden))  # None: importing kernelwright now fails
    try:
        try:
            import kernelwright.prompts.kwlib  # noqa: F401
        except ImportError:
            pass
        else:
            raise AssertionError("kernelwright is still importable")
        module = load(standalone)
        torch.testing.assert_close(module.ModelNew()(x), expected)
    finally:
        sys.modules.update(hidden)


@pytest.mark.parametrize("form", list(IMPORT_FORMS))
def test_inline_helpers_makes_a_standalone_module(interp, form):
    interp.run("case_inline_helpers", form)


def test_inline_helpers_leaves_code_without_kwlib_alone():
    code = (PATTERNS / "row_softmax.py").read_text()
    assert kwlib.inline_helpers(code) == code


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("from kernelwright.prompts.kwlib import no_such\n", "no helper 'no_such'"),
        (
            "import kernelwright.prompts.kwlib as kw\nx = kw.nope\n",
            "no helper 'nope'",
        ),
        (
            "from kernelwright.prompts.kwlib import gelu_tanh\n\ndef tanh(x):\n    return x\n",
            "defines tanh",
        ),
        ("def f():\n    from kernelwright.prompts.kwlib import relu\n", "top level"),
        ("from kernelwright.prompts import render\n", "only kwlib"),
        ("def f(:\n", "syntax error"),
    ],
)
def test_inline_helpers_explains_what_it_cannot_inline(code, message):
    with pytest.raises(kwlib.InlineError, match=message):
        kwlib.inline_helpers(code)


# ---------------------------------------------------------------------------------------
# The GPU compiler, without a GPU: patterns and kwlib compile for sm_90
# ---------------------------------------------------------------------------------------

COMPILE_SCRIPT = r"""
import importlib.util, json, sys, warnings
warnings.filterwarnings("ignore")
import triton
from triton.backends.compiler import GPUTarget
from triton.compiler import ASTSource

results = []
for path, kernel, signature, constexprs in json.loads(sys.argv[1]):
    spec = importlib.util.spec_from_file_location("m" + str(len(results)), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        triton.compile(ASTSource(getattr(module, kernel), signature, constexprs),
                       target=GPUTarget("cuda", 90, 32))
        results.append([kernel, "ok"])
    except Exception as e:
        results.append([kernel, f"{type(e).__name__}: {e}"])
print(json.dumps(results))
"""


def _compile_for_sm90(specs: list) -> list:
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    proc = subprocess.run(
        [sys.executable, "-c", COMPILE_SCRIPT, json.dumps(specs)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _pattern_specs(dt: str) -> list:
    """[file, kernel, signature, constexpr values] for each pattern kernel, inputs of dtype dt."""
    p = f"*{dt}"
    prec = "tf32x3" if dt == "fp32" else "tf32"

    def sig(pointers: dict, ints: str, consts: dict, **extra: str) -> tuple[dict, dict]:
        names = {n: "i32" for n in ints.split()}
        return {**pointers, **names, **extra, **dict.fromkeys(consts, "constexpr")}, consts

    specs = {
        ("elementwise_epilogue", "scale_bias_gelu_kernel"): sig(
            {"x_ptr": p, "bias_ptr": p, "y_ptr": p},
            "n_elements n_cols",
            {"BLOCK": 1024},
            scale="fp32",
        ),
        ("row_softmax", "softmax_kernel"): sig(
            {"x_ptr": p, "y_ptr": p}, "n_cols stride_x stride_y", {"BLOCK": 4096}
        ),
        ("matmul_epilogue", "linear_relu_kernel"): sig(
            dict.fromkeys(("x_ptr", "w_ptr", "b_ptr", "y_ptr"), p),
            "M N K stride_xm stride_xk stride_wn stride_wk stride_ym stride_yn",
            {"BLOCK_M": 128, "BLOCK_N": 128, "BLOCK_K": 32, "GROUP_M": 8, "PRECISION": prec},
        ),
        ("flash_attention", "attn_fwd_kernel"): sig(
            dict.fromkeys(("q_ptr", "k_ptr", "v_ptr", "o_ptr"), p),
            "seq_len head_dim",
            {"BLOCK_M": 64, "BLOCK_N": 64, "BLOCK_D": 64, "CAUSAL": True, "PRECISION": prec},
            sm_scale="fp32",
            stride_b="i32",
            stride_h="i32",
            stride_s="i32",
            H="i32",
        ),
        ("gather_scatter", "gather_rows_kernel"): sig(
            {"w_ptr": p, "idx_ptr": "*i64", "y_ptr": p}, "dim stride_w stride_y", {"BLOCK_D": 256}
        ),
        ("gather_scatter", "scatter_add_rows_kernel"): sig(
            {"src_ptr": p, "idx_ptr": "*i64", "out_ptr": "*fp32"},
            "dim stride_src stride_out",
            {"BLOCK_D": 256},
        ),
    }
    return [
        [str(PATTERNS / f"{pattern}.py"), kernel, signature, consts]
        for (pattern, kernel), (signature, consts) in specs.items()
    ]


def test_patterns_and_kwlib_compile_for_sm90(tmp_path):
    """The interpreter accepts code the GPU compiler rejects: compile with the real one."""
    specs = _pattern_specs("fp32") + _pattern_specs("fp16")
    helpers = tmp_path / "helpers.py"
    helpers.write_text(HELPER_KERNELS)
    f32 = "*fp32"
    specs += [
        [str(helpers), "act_kernel", {"x_ptr": f32, "y_ptr": "*fp16", "n": "i32", "ACT": "constexpr",
                                      "BLOCK": "constexpr"}, {"ACT": act, "BLOCK": 256}]
        for act in range(len(ACTIVATIONS))
    ]  # fmt: skip
    specs += [
        [str(helpers), "rows_kernel", {"x_ptr": f32, "stats_ptr": f32, "sm_ptr": "*fp16",
         "n_rows": "i32", "n_cols": "i32", "stride": "i32", "ROWS": "constexpr",
         "BLOCK": "constexpr"}, {"ROWS": 4, "BLOCK": 128}],
        [str(helpers), "lse_kernel", {"x_ptr": f32, "out_ptr": f32, "n_rows": "i32",
         "n_cols": "i32", "ROWS": "constexpr", "BLOCK": "constexpr"}, {"ROWS": 16, "BLOCK": 64}],
        [str(helpers), "pid_kernel", {"out_ptr": "*i32", "num_pid_m": "i32", "num_pid_n": "i32",
         "GROUP_M": "constexpr"}, {"GROUP_M": 8}],
    ]  # fmt: skip
    results = _compile_for_sm90(specs)
    assert len(results) == len(specs)
    failures = [r for r in results if r[1] != "ok"]
    assert not failures, failures


# ---------------------------------------------------------------------------------------
# Diagnoses on real wrong kernels
# ---------------------------------------------------------------------------------------

TAIL_BUG = """
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def double_kernel(x_ptr, y_ptr, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(y_ptr + offs, tl.load(x_ptr + offs) * 2)  # no mask


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        double_kernel[(n // 128,)](x, y, BLOCK=128)  # floor: the tail block never runs
        return y
"""

SOFTMAX_NO_NORMALISATION = """
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def softmax_kernel(x_ptr, y_ptr, n_cols, stride, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * stride + cols, mask=mask, other=-float("inf"))
    p = tl.exp(x - tl.max(x, axis=0))
    tl.store(y_ptr + row * stride + cols, p, mask=mask)  # forgot: p / tl.sum(p)


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        softmax_kernel[(x.shape[0],)](x, y, x.shape[1], x.stride(0),
                                      BLOCK=triton.next_power_of_2(x.shape[1]))
        return y
"""

TRANSPOSE_SWAPPED_STRIDES = """
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def transpose_kernel(x_ptr, y_ptr, M, N, stride_xm, stride_xn, stride_ym, stride_yn,
                     BLOCK: tl.constexpr):
    rm = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    rn = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    mask = (rm[:, None] < M) & (rn[None, :] < N)
    tile = tl.load(x_ptr + rm[:, None] * stride_xm + rn[None, :] * stride_xn, mask=mask)
    tl.store(y_ptr + rn[None, :] * stride_ym + rm[:, None] * stride_yn, tile, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        M, N = x.shape
        y = torch.empty((N, M), dtype=x.dtype)
        grid = (triton.cdiv(M, 32), triton.cdiv(N, 32))
        # strides of x passed in the wrong order
        transpose_kernel[grid](x, y, M, N, x.stride(1), x.stride(0), y.stride(0), y.stride(1),
                               BLOCK=32)
        return y
"""

NEVER_STORES = """
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n)
    y = tl.maximum(x, 0.0)  # computed, never stored


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.zeros_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 256),)](x, y, x.numel(), BLOCK=256)
        return y
"""

ARANGE_NOT_POWER_OF_TWO = """
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def row_sum_kernel(x_ptr, y_ptr, N: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.arange(0, N)
    tl.store(y_ptr + row, tl.sum(tl.load(x_ptr + row * N + cols), axis=0))


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty(x.shape[0], dtype=x.dtype)
        row_sum_kernel[(x.shape[0],)](x, y, N=x.shape[1])
        return y
"""

TENSOR_IF = """
import triton
import triton.language as tl


@triton.jit
def relu_kernel(x_ptr, y_ptr, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs)
    if x > 0:
        x = x * 1.0
    tl.store(y_ptr + offs, x)
"""


def case_wrong_output(code: str, x_shape: list[int], reference: str) -> dict:
    """Run a wrong candidate; diagnose its output as the checker does, in the parent."""
    x = torch.randn(*x_shape)
    out = load(code).ModelNew()(x)
    expected = {
        "double": lambda: x * 2,
        "softmax": lambda: torch.softmax(x, dim=-1),
        "transpose": lambda: x.t().contiguous(),
        "relu": lambda: torch.relu(x),
    }[reference]()
    return {"out": out.tolist(), "ref": expected.tolist()}


def _diagnose_case(interp, code: str, x_shape: list[int], reference: str) -> dict:
    r = interp.run("case_wrong_output", code, x_shape, reference)
    d = diagnose_mismatch(torch.tensor(r["out"]), torch.tensor(r["ref"]), 1e-3, 1e-3)
    json.dumps(d)  # stored in Outcome.details: must be JSON-able
    return d


def test_diagnosis_tail_block_never_computed(interp):
    d = _diagnose_case(interp, TAIL_BUG, [1000], "double")
    assert d["pattern"] == "tail", d
    assert d["n_wrong"] == 1000 - 896 and d["bad_box"] == [[896, 999]]
    assert "triton.cdiv" in d["diagnosis"] and "the last 104 of 1000" in d["diagnosis"]


def test_diagnosis_softmax_missing_normalisation(interp):
    d = _diagnose_case(interp, SOFTMAX_NO_NORMALISATION, [37, 100], "softmax")
    assert d["pattern"] == "row_scale", d
    assert "normalisation" in d["diagnosis"]
    assert d["frac_wrong"] == 1.0


def test_diagnosis_transpose_with_swapped_strides(interp):
    d = _diagnose_case(interp, TRANSPOSE_SWAPPED_STRIDES, [64, 64], "transpose")
    assert d["pattern"] == "transposed", d
    assert "strides are swapped" in d["diagnosis"]


def test_diagnosis_output_never_written(interp):
    d = _diagnose_case(interp, NEVER_STORES, [500], "relu")
    assert d["pattern"] == "constant", d
    assert "never written" in d["diagnosis"]


def case_error_text(code: str, x_shape: list[int]) -> str:
    model = load(code).ModelNew()
    try:
        model(torch.randn(*x_shape))
    except Exception:
        return traceback.format_exc()
    raise AssertionError("the candidate ran without an error")


def test_diagnosis_arange_not_power_of_two_in_the_interpreter(interp):
    error_text = interp.run("case_error_text", ARANGE_NOT_POWER_OF_TWO, [4, 100])
    d = diagnose_compile_error(error_text, ARANGE_NOT_POWER_OF_TWO)
    assert d["rule"] == "arange_pow2", d
    assert d["source_line"] == "cols = tl.arange(0, N)"
    assert ARANGE_NOT_POWER_OF_TWO.splitlines()[d["line"] - 1].strip() == d["source_line"]
    assert d["function"] == "row_sum_kernel"
    assert "power of 2" in d["error"] and "next_power_of_2" in d["hint"]


def test_diagnosis_gpu_compiler_error_points_at_the_line(tmp_path):
    """A real CompilationError from the sm_90 compiler (the interpreter accepts this code)."""
    path = tmp_path / "tensor_if.py"
    path.write_text(TENSOR_IF)
    [(kernel, error)] = _compile_for_sm90(
        [[str(path), "relu_kernel", {"x_ptr": "*fp32", "y_ptr": "*fp32", "BLOCK": "constexpr"},
          {"BLOCK": 64}]]
    )  # fmt: skip
    assert error != "ok"
    d = diagnose_compile_error(error, TENSOR_IF)
    assert d["line"] == TENSOR_IF.splitlines().index("    if x > 0:") + 1, d
    assert d["source_line"] == "if x > 0:"
    assert d["rule"] == "tensor_control_flow" and "tl.where" in d["hint"]
