"""What a launch ran (kernel_identity.py): a launched kernel's def, its helpers' and the module
constants they read, recorded in the candidate's process and held against the extraction's."""

from __future__ import annotations

import ast
import importlib.util

import triton.language as tl

from kernelwright.sandbox import kernel_identity
from kernelwright.sandbox.kernel_identity import Identity, canonical, def_digest, mismatch

SOURCE = """import triton
import triton.language as tl

LIMIT = tl.constexpr(6.0)


@triton.jit
def helper(x):
    return tl.minimum(x, LIMIT)


@triton.jit
def kernel(x_ptr, n, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    tl.store(x_ptr + offs, helper(tl.load(x_ptr + offs)), mask=offs < n)


def make():
    @triton.jit
    def kernel(x_ptr, n, BLOCK: tl.constexpr):
        offs = tl.arange(0, BLOCK)
        tl.store(x_ptr + offs, helper(tl.load(x_ptr + offs)), mask=offs < n)

    return kernel
"""


def _module(tmp_path):
    path = tmp_path / "cand.py"
    path.write_text(SOURCE)
    spec = importlib.util.spec_from_file_location("cand_identity", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _defs():
    return {
        n.name: def_digest(n, n.name)
        for n in ast.parse(SOURCE).body
        if isinstance(n, ast.FunctionDef) and n.name != "make"
    }


def test_a_module_level_kernel_is_its_extracted_def_with_its_helpers_and_constants(tmp_path):
    m = _module(tmp_path)
    seen = Identity(m.kernel)
    assert seen.sources == {"kernel": _defs()["kernel"], "helper": _defs()["helper"]}
    assert seen.constants == {"LIMIT": "constexpr float 6.0"}
    assert mismatch("kernel", seen.sources, seen.constants, _defs(), vars(m)) is None


def test_a_kernel_made_inside_a_function_is_not_the_def_of_its_name(tmp_path):
    m = _module(tmp_path)
    nested = Identity(m.make())  # the same text, indented inside make()
    assert nested.sources["kernel"] != _defs()["kernel"]
    why = mismatch("kernel", nested.sources, nested.constants, _defs(), vars(m))
    assert why and "is not the @triton.jit def kernel" in why


def test_a_constant_changed_after_its_binding_is_named(tmp_path):
    m = _module(tmp_path)
    m.LIMIT.value = 1e30
    seen = Identity(m.kernel)
    extracted = {"LIMIT": tl.constexpr(6.0)}
    why = mismatch("kernel", seen.sources, seen.constants, _defs(), extracted)
    assert why and "LIMIT it reads held constexpr float 1e+30" in why
    # The problem's own size constants follow the shape set in the candidate: not compared.
    assert "LIMIT" not in Identity(m.kernel, frozenset({"LIMIT"})).constants


def test_constants_are_read_by_exact_type():
    class Sneaky(tl.constexpr):
        pass

    assert canonical(tl.constexpr(2)) == "constexpr int 2"
    assert canonical((1, 2.5)) == "tuple (int 1, float 2.5)"
    assert canonical(tl.float16) == "dtype fp16"
    assert canonical(True) == "bool True" and canonical(1) == "int 1"
    assert canonical(Sneaky(2)).startswith("an object of ")
    assert canonical(tl) is None and canonical(len) is None
    assert kernel_identity.canonical(object()) == "an object of builtins.object"


def test_constants_changed_after_a_kernels_first_launch_are_refused_from_then_on(tmp_path):
    m = _module(tmp_path)
    first = Identity(m.kernel)
    assert kernel_identity.changed_since_first(first) is None
    m.LIMIT.value = -0.0  # == 0.0 on a GPU's check of changed globals, not here
    why = kernel_identity.changed_since_first(Identity(m.kernel))
    assert why and "LIMIT held constexpr float 6.0" in why and "constexpr float -0.0" in why
    m.LIMIT.value = 6.0  # changed back: a binary compiled in between may be reused
    assert kernel_identity.changed_since_first(Identity(m.kernel)) == why
    # Another kernel's code (the nested def) has a first launch of its own.
    assert kernel_identity.changed_since_first(Identity(m.make())) is None
