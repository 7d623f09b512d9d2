"""The inductor teacher: rewriting inductor's output code into a plain Triton candidate.

On the CPU inductor emits C++, so the rewriting is tested on (1) a fixture in the format
inductor's CUDA output code has (written by hand after real output: a Triton matmul template
launched on a fixed grid, a pointwise kernel, an extern fallback variant) and (2) real inductor
output for Triton, generated on the CPU with code generation only, whose rewritten candidate
is then verified by the sandbox on Triton's interpreter.
"""

from __future__ import annotations

import ast
import asyncio
import json
from pathlib import Path
from unittest import mock

import pytest
import torch
from typer.testing import CliRunner

from kernelwright.datasets import teacher
from kernelwright.datasets.teacher import (
    LaunchConfig,
    TeacherError,
    Variant,
    fallbacks,
    parse_output_code,
    render_candidate,
    rewrite_call,
)
from kernelwright.problem import load_problem, read_problem
from kernelwright.sandbox.guards import static_violations

PROBLEM = """import torch
import torch.nn as nn

M = 64
K = 32
N = 48

KERNELWRIGHT = {"shapes": {"small": {"M": 8, "K": 16, "N": 24}, "bench": {"M": 64, "K": 32, "N": 48}}}


class Model(nn.Module):
    def __init__(self, n):
        super(Model, self).__init__()
        self.bias = nn.Parameter(torch.randn(n))

    def forward(self, a, b):
        return torch.relu(a @ b + self.bias)


def get_inputs():
    return [torch.randn(M, K), torch.randn(K, N)]


def get_init_inputs():
    return [N]
"""

KERNEL_HEADER = """
import triton
import triton.language as tl

from torch._inductor.runtime import triton_helpers, triton_heuristics
from torch._inductor.runtime.triton_helpers import libdevice, math as tl_math
from torch._inductor.runtime.hints import AutotuneHint, ReductionHint, TileHint, DeviceProperties
triton_helpers.set_driver_to_gpu()
"""
DEVICE = (
    "DeviceProperties(type='cuda', index=0, multi_processor_count=132, cc=90, major=9, "
    "regs_per_multiprocessor=65536, max_threads_per_multi_processor=2048, "
    "max_threads_per_block=1024, warp_size=32)"
)

# Inductor's CUDA output code for PROBLEM at the bench shape (M=64, K=32, N=48) with
# max-autotune Triton GEMMs: the matmul as a template kernel, bias + relu fused after it.
CUDA_OUTPUT = f"""# AOT ID: ['0_inference']
from ctypes import c_void_p, c_long, c_int
import torch
import math
import random
import os
import tempfile
from math import inf, nan
from cmath import nanj
from torch._inductor.hooks import run_intermediate_hooks
from torch._inductor.utils import maybe_profile
from torch._inductor.codegen.memory_planning import _align as align
from torch import device, empty_strided
from torch._inductor.async_compile import AsyncCompile
from torch._inductor.select_algorithm import extern_kernels
import triton
import triton.language as tl
from torch._inductor.runtime.triton_heuristics import start_graph, end_graph
from torch._C import _cuda_getCurrentRawStream as get_raw_stream

aten = torch.ops.aten
inductor_ops = torch.ops.inductor
_quantized = torch.ops._quantized
assert_size_stride = torch._C._dynamo.guards.assert_size_stride
assert_alignment = torch._C._dynamo.guards.assert_alignment
empty_strided_cpu = torch._C._dynamo.guards._empty_strided_cpu
empty_strided_cuda = torch._C._dynamo.guards._empty_strided_cuda
reinterpret_tensor = torch._C._dynamo.guards._reinterpret_tensor
alloc_from_pool = torch.ops.inductor._alloc_from_pool
async_compile = AsyncCompile()


# kernel path: /tmp/torchinductor_root/ab/cabcdef.py
# Topologically Sorted Source Nodes: [matmul], Original ATen: [aten.mm]
triton_tem_fused_mm_0 = async_compile.triton('triton_tem_fused_mm_0', \'\'\'{KERNEL_HEADER}
@triton_heuristics.template(
    num_stages=3,
    num_warps=4,
    triton_meta={{'signature': {{'arg_A': '*fp32', 'arg_B': '*fp32', 'out_ptr0': '*fp32'}}, 'device': {DEVICE}, 'constants': {{}}, 'configs': [{{(0,): [['tt.divisibility', 16]], (1,): [['tt.divisibility', 16]], (2,): [['tt.divisibility', 16]]}}]}},
    inductor_meta={{'kernel_name': 'triton_tem_fused_mm_0', 'backend_hash': 'B0', 'grid_type': 'FixedGrid', 'fixed_grid': ['_grid_0', '_grid_1', '_grid_2'], 'extra_launcher_args': ['_grid_0', '_grid_1', '_grid_2'], 'config_args': {{'EVEN_K': True, 'BLOCK_M': 32, 'BLOCK_N': 32, 'BLOCK_K': 32, 'GROUP_M': 8}}}},
)
@triton.jit
def triton_tem_fused_mm_0(arg_A, arg_B, out_ptr0):
    EVEN_K : tl.constexpr = True
    ALLOW_TF32 : tl.constexpr = False
    BLOCK_M : tl.constexpr = 32
    BLOCK_N : tl.constexpr = 32
    BLOCK_K : tl.constexpr = 32
    GROUP_M : tl.constexpr = 8
    A = arg_A
    B = arg_B

    M = 64
    N = 48
    K = 32
    stride_am = 32
    stride_ak = 1
    stride_bk = 48
    stride_bn = 1

    pid = tl.program_id(0).to(tl.int64)
    grid_m = (M + BLOCK_M - 1) // BLOCK_M
    grid_n = (N + BLOCK_N - 1) // BLOCK_N
    width = GROUP_M * grid_n
    group_id = pid // width
    group_size = min(grid_m - group_id * GROUP_M, GROUP_M)
    pid_m = group_id * GROUP_M + (pid % group_size)
    pid_n = (pid % width) // (group_size)
    rm = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    rn = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    ram = tl.max_contiguous(tl.multiple_of(rm % M, BLOCK_M), BLOCK_M)
    rbn = tl.max_contiguous(tl.multiple_of(rn % N, BLOCK_N), BLOCK_N)
    rk = tl.arange(0, BLOCK_K)
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for k in range(K, 0, -BLOCK_K):
        a = tl.load(A + (ram[:, None] * stride_am + rk[None, :] * stride_ak))
        b = tl.load(B + (rk[:, None] * stride_bk + rbn[None, :] * stride_bn))
        acc += tl.dot(a, b, allow_tf32=ALLOW_TF32)
    idx_m = rm[:, None]
    idx_n = rn[None, :]
    mask = (idx_m < M) & (idx_n < N)
    xindex = idx_n + 48*idx_m
    tl.store(out_ptr0 + (tl.broadcast_to(xindex, acc.shape)), acc, mask)
\'\'\', device_str='cuda')


# kernel path: /tmp/torchinductor_root/cd/ccdef01.py
# Topologically Sorted Source Nodes: [add, relu], Original ATen: [aten.add, aten.relu]
triton_poi_fused_add_relu_1 = async_compile.triton('triton_poi_fused_add_relu_1', \'\'\'{KERNEL_HEADER}
@triton_heuristics.pointwise(
    size_hints={{'x': 4096}},
    filename=__file__,
    triton_meta={{'signature': {{'in_out_ptr0': '*fp32', 'in_ptr0': '*fp32', 'xnumel': 'i32', 'XBLOCK': 'constexpr'}}, 'device': {DEVICE}, 'constants': {{}}, 'configs': [{{(0,): [['tt.divisibility', 16]], (1,): [['tt.divisibility', 16]], (2,): [['tt.divisibility', 16]]}}]}},
    inductor_meta={{'grid_type': 'Grid1D', 'autotune_hints': set(), 'kernel_name': 'triton_poi_fused_add_relu_1', 'mutated_arg_names': ['in_out_ptr0'], 'optimize_mem': True, 'no_x_dim': False, 'num_load': 2, 'num_reduction': 0, 'backend_hash': 'B0', 'are_deterministic_algorithms_enabled': False, 'assert_indirect_indexing': True, 'autotune_local_cache': True, 'autotune_pointwise': True, 'autotune_remote_cache': None, 'force_disable_caches': False, 'dynamic_scale_rblock': True, 'max_autotune': True, 'max_autotune_pointwise': False, 'min_split_scan_rblock': 256, 'spill_threshold': 16, 'store_cubin': False}},
    min_elem_per_thread=0
)
@triton.jit
def triton_poi_fused_add_relu_1(in_out_ptr0, in_ptr0, xnumel, XBLOCK : tl.constexpr):
    xnumel = 3072
    xoffset = tl.program_id(0) * XBLOCK
    xindex = xoffset + tl.arange(0, XBLOCK)[:]
    xmask = xindex < xnumel
    x2 = xindex
    x0 = (xindex % 48)
    tmp0 = tl.load(in_out_ptr0 + (x2), xmask)
    tmp1 = tl.load(in_ptr0 + (x0), xmask, eviction_policy='evict_last')
    tmp2 = tmp0 + tmp1
    tmp3 = tl.full([1], 0, tl.int32)
    tmp4 = triton_helpers.maximum(tmp3, tmp2)
    tl.store(in_out_ptr0 + (x2), tmp4, xmask)
\'\'\', device_str='cuda')


async_compile.wait(globals())
del async_compile

class Runner:
    def __init__(self, partitions):
        self.partitions = partitions

    def recursively_apply_fns(self, fns):
        new_callables = []
        for fn, c in zip(fns, self.partitions):
            new_callables.append(fn(c))
        self.partitions = new_callables

    def call(self, args):
        arg0_1, arg1_1, arg2_1 = args
        args.clear()
        assert_size_stride(arg0_1, (48, ), (1, ))
        assert_size_stride(arg1_1, (64, 32), (32, 1))
        assert_size_stride(arg2_1, (32, 48), (48, 1))
        with torch.cuda._DeviceGuard(0):
            torch.cuda.set_device(0)
            buf0 = empty_strided_cuda((64, 48), (48, 1), torch.float32)
            # Topologically Sorted Source Nodes: [matmul], Original ATen: [aten.mm]
            stream0 = get_raw_stream(0)
            triton_tem_fused_mm_0.run(arg1_1, arg2_1, buf0, 4, 1, 1, stream=stream0)
            del arg1_1
            del arg2_1
            buf1 = buf0; del buf0  # reuse
            # Topologically Sorted Source Nodes: [add, relu], Original ATen: [aten.add, aten.relu]
            triton_poi_fused_add_relu_1.run(buf1, arg0_1, 3072, stream=stream0)
            del arg0_1
        return (buf1, )

runner = Runner(partitions=[])
call = runner.call
recursively_apply_fns = runner.recursively_apply_fns


def get_args():
    from torch._dynamo.testing import rand_strided
    arg0_1 = rand_strided((48, ), (1, ), device='cuda:0', dtype=torch.float32)
    arg1_1 = rand_strided((64, 32), (32, 1), device='cuda:0', dtype=torch.float32)
    arg2_1 = rand_strided((32, 48), (48, 1), device='cuda:0', dtype=torch.float32)
    return [arg0_1, arg1_1, arg2_1]


def benchmark_compiled_module(args, times=10, repeat=10):
    from torch._inductor.utils import print_performance
    fn = lambda: call(list(args))
    return print_performance(fn, times=times, repeat=repeat, device='cuda')


if __name__ == "__main__":
    from torch._inductor.wrapper_benchmark import compiled_module_main
    args = get_args()
    compiled_module_main('None', lambda times, repeat: benchmark_compiled_module(args, times=times, repeat=repeat))
"""

# The same graph without Triton GEMM templates: inductor calls cuBLAS for the matmul.
EXTERN_OUTPUT = CUDA_OUTPUT.replace(
    "triton_tem_fused_mm_0.run(arg1_1, arg2_1, buf0, 4, 1, 1, stream=stream0)",
    "extern_kernels.mm(arg1_1, arg2_1, out=buf0)",
)
CONFIGS = {
    "triton_tem_fused_mm_0": LaunchConfig({}, num_warps=4, num_stages=3),
    "triton_poi_fused_add_relu_1": LaunchConfig({"XBLOCK": 256}, num_warps=4, num_stages=1),
}


@pytest.fixture
def problem(tmp_path: Path):
    path = tmp_path / "mm_bias_relu.py"
    path.write_text(PROBLEM)
    return read_problem(path)


def test_parse_cuda_output_code():
    code = parse_output_code(CUDA_OUTPUT)
    assert list(code.kernels) == ["triton_tem_fused_mm_0", "triton_poi_fused_add_relu_1"]
    mm = code.kernels["triton_tem_fused_mm_0"]
    assert mm.params == ["arg_A", "arg_B", "out_ptr0"] and mm.constexprs == []
    assert mm.inductor_meta["grid_type"] == "FixedGrid"
    poi = code.kernels["triton_poi_fused_add_relu_1"]
    assert poi.constexprs == ["XBLOCK"] and poi.inductor_meta["grid_type"] == "Grid1D"
    assert code.other_kernels == [] and code.call.name == "call"
    assert fallbacks(code) == []


def test_extern_fallbacks_are_found():
    assert fallbacks(parse_output_code(EXTERN_OUTPUT)) == ["extern_kernels.mm"]


def test_rewrite_launches_through_triton():
    call = rewrite_call(parse_output_code(CUDA_OUTPUT), CONFIGS, "bench")
    assert call.startswith("def call_bench(args):\n    arg0_1, arg1_1, arg2_1 = args")
    # The template's grid comes from its fixed-grid arguments, the pointwise one from
    # ceil(xnumel / XBLOCK) = ceil(3072 / 256).
    assert (
        "triton_tem_fused_mm_0_bench[(4, 1, 1)](arg1_1, arg2_1, buf0, num_warps=4, num_stages=3)"
        in call
    )
    assert (
        "triton_poi_fused_add_relu_1_bench[(12, 1, 1)](buf1, arg0_1, 3072, XBLOCK=256, "
        "num_warps=4, num_stages=1)" in call
    )
    assert ".run(" not in call and "stream" not in call and "get_raw_stream" not in call
    assert (
        "with torch.cuda._DeviceGuard(0):" in call
    )  # everything else is kept as inductor wrote it
    ast.parse(call)


def test_rendered_candidate_is_a_plain_triton_module(problem):
    variant = Variant("bench", parse_output_code(CUDA_OUTPUT), CONFIGS, ("sig",))
    code = render_candidate(problem, [variant], ["bias"], "tensor", {"teacher": "test"})
    tree = ast.parse(code)
    assert static_violations(tree) == []
    names = {n.name for n in tree.body if isinstance(n, (ast.ClassDef, ast.FunctionDef))}
    assert {"_Reference", "ModelNew", "call_bench", "triton_tem_fused_mm_0_bench"} <= names
    assert "Model" not in names and "get_inputs" not in names and "KERNELWRIGHT" not in code
    assert "super(_Reference, self).__init__()" in code  # the reference's own name, renamed too
    for fn in tree.body:
        if isinstance(fn, ast.FunctionDef) and fn.name.startswith("triton_"):
            assert [ast.unparse(d) for d in fn.decorator_list] == ["triton.jit"]
    assert "triton_heuristics" not in code and "set_driver_to_gpu" not in code
    # Allocated through torch's dispatcher, where the launch log sees it.
    assert "def empty_strided_cuda(size, stride, dtype):" in code
    assert "_empty_strided_cuda" not in code
    assert "from torch._inductor.runtime import triton_helpers" in code
    assert "extern_kernels" not in code


def test_mismatched_launch_is_an_error():
    broken = CUDA_OUTPUT.replace("buf0, 4, 1, 1, stream", "buf0, 4, 1, stream")
    with pytest.raises(TeacherError, match="launched with 5 arguments"):
        rewrite_call(parse_output_code(broken), CONFIGS, "bench")


def _codegen_only(cpu_backend: str):
    """Inductor code generation without compiling: the CPU has no Triton driver to compile
    for, and C++ kernels need not be built to be recognised as fallbacks."""
    from torch._inductor import config as inductor_config
    from torch._inductor.graph import GraphLowering

    def compile_to_module(self):
        wrapper, _ = self.codegen()
        GraphLowering.save_output_code(wrapper.value)
        return mock.Mock()

    return (
        inductor_config.patch(cpu_backend=cpu_backend),
        mock.patch("torch.utils._triton.triton_hash_with_backend", lambda: "0" * 64),
        mock.patch.object(GraphLowering, "compile_to_module", compile_to_module),
    )


FUSED = """import torch
import torch.nn as nn

B = 6
D = 40

KERNELWRIGHT = {"shapes": {"small": {"B": 6, "D": 40}}}


class Model(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.scale = nn.Parameter(torch.randn(d))

    def forward(self, x, y):
        h = torch.relu(x * self.scale + 1.0)
        return torch.cumsum(h - h.sum(dim=-1, keepdim=True), dim=-1) + y


def get_inputs():
    return [torch.randn(B, D), torch.randn(B, D)]


def get_init_inputs():
    return [D]
"""


def test_real_inductor_triton_becomes_a_verified_candidate(tmp_path: Path):
    from kernelwright.sandbox.executor import EvalRequest, LocalExecutor

    path = tmp_path / "fused.py"
    path.write_text(FUSED)
    info = read_problem(path)
    traced = teacher.trace(info, "small", "cpu")
    assert traced.state == ["scale"] and traced.output == "tensor"
    backend, hash_, codegen = _codegen_only("triton")
    with backend, hash_, codegen:
        text = teacher.output_code(traced)
    code = parse_output_code(text)
    assert code.kernels and fallbacks(code) == []
    # The scan's combine function is a second @triton.jit function in the kernel's module.
    assert any("def _triton_helper_fn" in k.source for k in code.kernels.values())
    # Any block size is valid for inductor's masked kernels; on a GPU the autotuner picks it.
    configs = {
        name: LaunchConfig({c: 8 for c in k.constexprs}, num_warps=4, num_stages=1)
        for name, k in code.kernels.items()
    }
    variant = Variant("small", code, configs, traced.signature)
    candidate = render_candidate(info, [variant], traced.state, traced.output, {"teacher": "t"})

    async def verify():
        async with LocalExecutor(workers=1, sandbox="subprocess") as ex:
            return await ex.evaluate(EvalRequest(problem=path, code=candidate, timing=False))

    outcome = asyncio.run(verify())
    assert outcome.correct, outcome.message
    assert outcome.env["interpreter"] is True


def test_real_inductor_cpp_and_extern_calls_are_fallbacks(tmp_path: Path):
    path = tmp_path / "mm.py"
    path.write_text(PROBLEM)
    info = read_problem(path)
    traced = teacher.trace(info, "small", "cpu")
    assert traced.state == ["bias"]
    backend, hash_, codegen = _codegen_only("cpp")
    # Without Triton GEMM templates (the CPU has none to autotune) the matmul goes to extern.
    no_templates = mock.patch.dict(teacher.INDUCTOR_CONFIG, {"max_autotune_gemm": False})
    with backend, hash_, codegen, no_templates:
        code = parse_output_code(teacher.output_code(traced))
    found = fallbacks(code)
    assert any(f.startswith("extern_kernels.") for f in found)
    assert code.other_kernels and not code.kernels
    assert any("not a Triton kernel" in f for f in found)


def test_trace_orders_state_then_tensor_inputs(problem):
    traced = teacher.trace(problem, "small", "cpu")
    pm = load_problem(problem.path, "small")
    model = pm.build(pm.module.Model, seed=0)
    a, b = pm.inputs(seed=0).args
    out = traced.graph(model.bias.detach(), a, b)
    assert torch.allclose(out[0], model(a, b))
    assert traced.signature == (
        ((24,), "torch.float32"),
        ((8, 16), "torch.float32"),
        ((16, 24), "torch.float32"),
    )


def test_teach_says_it_needs_a_gpu(tmp_path: Path):
    import typer

    from kernelwright.datasets import commands

    app = typer.Typer()
    app.command("teach")(commands.teach)
    app.command("generate")(commands.generate)  # two commands: typer keeps sub-command names
    with mock.patch("torch.cuda.is_available", return_value=False):
        result = CliRunner().invoke(app, ["teach", "--out", str(tmp_path / "run")])
    assert result.exit_code == 1
    assert "needs a CUDA GPU" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "run").exists()


@pytest.mark.gpu
def test_teacher_on_gpu_verifies_generated_problems(tmp_path: Path):
    from kernelwright.datasets.build import build_corpus
    from kernelwright.datasets.generator import generate

    suite = tmp_path / "suite"
    generate(3, seed=0, out=suite)
    report = asyncio.run(teacher.teach(suite, tmp_path / "run"))
    assert len(report.problems) == 3
    assert report.count("verified") >= 1, report.summary()
    reached = [p for p in report.problems if p.result not in ("fallback", "failed")]
    corpus = build_corpus([tmp_path / "run"], tmp_path / "corpus", eval_suites=[suite])
    assert corpus.origins == {"inductor-teacher": len(reached)}
    assert corpus.rows("sft", "verified") == report.count("verified")


def test_teach_reports_each_problem_as_it_is_known(tmp_path, monkeypatch):
    # The loop without a GPU: capture fails for every problem (a fallback, an inductor error),
    # which is what the loop must still report one by one and record as it goes.
    import torch

    suite = tmp_path / "suite"
    suite.mkdir()
    for name in ("first", "second"):
        (suite / f"{name}.py").write_text(PROBLEM)

    def capture(info):
        if info.path.stem == "first":
            raise teacher.FallbackError("aten.mm left as an extern kernel")
        raise RuntimeError("inductor failed\nsecond line")

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(teacher, "capture_candidate", capture)
    heard = []
    out = tmp_path / "run"
    report = asyncio.run(teacher.teach(suite, out, workers=1, progress=heard.append))
    assert [(r.name, r.result) for r in heard] == [(r.name, r.result) for r in report.problems]
    assert [r.result for r in heard] == ["fallback", "failed"]
    assert heard[1].detail == "RuntimeError: inductor failed"
    saved = json.loads((out / "teach.json").read_text())
    assert [p["result"] for p in saved["problems"]] == ["fallback", "failed"]
