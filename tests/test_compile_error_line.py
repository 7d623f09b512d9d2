"""A kernel's error names the kernel's line, with its source, not the launch that ran it: in
the interpreter (through the sandbox, as `check` and the agent see it, the model's feedback
included) and from Triton's compiler (a real CompilationError of the installed Triton,
compiled ahead of time for a GPU target, which needs no GPU)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from conftest import TESTS
from kernelwright.prompts.render import render_feedback
from kernelwright.sandbox.error_line import locate
from kernelwright.sandbox.pool import Job

PROBLEM = TESTS / "problems" / "vector_add.py"

# tl.arange(0, n) with a runtime n on line 10, launched on line 23.
KERNEL = """import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def add_kernel(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    offs = pid * BLOCK + tl.arange(0, n)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    y = tl.load(y_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, x + y, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x, y):
        out = torch.empty_like(x)
        n = x.numel()
        # the launch
        grid = (triton.cdiv(n, 256),)
        add_kernel[grid](x, y, out, n, BLOCK=256)
        return out
"""

# The same error inside a @triton.jit helper the kernel calls: the helper's line (9).
HELPER = """import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def offsets(start, n):
    return start + tl.arange(0, n)


@triton.jit
def add_kernel(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = offsets(tl.program_id(0) * BLOCK, n)
    mask = offs < n
    tl.store(out_ptr + offs, tl.load(x_ptr + offs, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x, y):
        out = torch.empty_like(x)
        add_kernel[(triton.cdiv(x.numel(), 256),)](x, y, out, x.numel(), BLOCK=256)
        return out
"""

CASES = {
    "kernel": (KERNEL, 10, "add_kernel", "offs = pid * BLOCK + tl.arange(0, n)"),
    "helper": (HELPER, 9, "offsets", "return start + tl.arange(0, n)"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_interpreter_error_points_into_the_kernel(pool, case):
    code, line, function, source = CASES[case]
    outcome = pool.evaluate(Job(problem=PROBLEM, code=code, shape="small"))
    assert outcome.status.value == "compile_error", outcome.message
    first = outcome.message.splitlines()[0]
    assert f"at line {line} (in {function})" in first, outcome.message
    assert outcome.message.splitlines()[1].strip() == source
    feedback = render_feedback(outcome, code, "full")
    assert f"At line {line} (in `{function}`): `{source}`" in feedback, feedback
    assert "At line 23" not in feedback and "line 23" not in first


def compile_for_a_gpu(tmp_path: Path, code: str) -> BaseException:
    """Triton's own compiler on the candidate's kernel, for sm_80: its CompilationError."""
    import triton
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    path = tmp_path / "candidate.py"
    path.write_text(code)
    spec = importlib.util.spec_from_file_location("kw_candidate_compile_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    kernel = module.add_kernel
    signature = {"x_ptr": "*fp32", "y_ptr": "*fp32", "out_ptr": "*fp32", "n": "i32"}
    source = ASTSource(
        fn=kernel, signature={**signature, "BLOCK": "constexpr"}, constexprs={"BLOCK": 256}
    )
    with pytest.raises(triton.CompilationError) as e:
        triton.compile(source, target=GPUTarget("cuda", 80, 32))
    sys.modules.pop("kw_candidate_compile_test", None)
    return e.value


@pytest.mark.parametrize("case", sorted(CASES))
def test_compiler_error_points_into_the_kernel(tmp_path, case):
    code, line, function, _ = CASES[case]
    error = compile_for_a_gpu(tmp_path, code)
    where = locate(error, str(tmp_path / "candidate.py"), code)
    assert where is not None and (where.line, where.function) == (line, function)
