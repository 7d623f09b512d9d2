"""A kernel may not read where memory lies: the compiled IR says where a pointer becomes a
number (ttir.addresses), and the verdict refuses it (target_compile.attach)."""

from __future__ import annotations

from conftest import located_ir

KERNELS = """
import triton
import triton.language as tl


@triton.jit
def address_gate(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    bits = x_ptr.to(tl.int64, bitcast=True) | y_ptr.to(tl.int64)
    tl.store(y_ptr + offs, tl.load(x_ptr + offs) * ((bits & 511) != 0))


@triton.jit
def rebuilt(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    addr = x_ptr.to(tl.int64) + 4 * offs
    tl.store(y_ptr + offs, tl.load(addr.to(tl.pointer_type(tl.float32))))


@triton.jit
def rebuilt_by_its_own_bits(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    addr = x_ptr.to(tl.int64)
    moved = addr + 4 * offs + 4 * ((addr & 511) == 0)
    tl.store(y_ptr + offs, tl.load(moved.to(tl.pointer_type(tl.float32))))


@triton.jit
def pointer_cast(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    halves = x_ptr.to(tl.pointer_type(tl.int32), bitcast=True)
    tl.store(y_ptr + offs, tl.load(halves + offs).to(tl.float32))
"""


def _ttir(tmp_path, name):
    return located_ir(tmp_path, KERNELS, name)


def test_a_pointer_read_as_a_number_is_found_by_its_line(tmp_path):
    from kernelwright.sandbox import ttir

    line = KERNELS.splitlines().index(
        "    bits = x_ptr.to(tl.int64, bitcast=True) | y_ptr.to(tl.int64)"
    )
    assert ttir.addresses(_ttir(tmp_path, "address_gate")) == [line + 1]
    # A pointer cast to another pointer type is an offset's business, not an address read;
    # so is an address moved by offsets made without it and made a pointer again.
    assert ttir.addresses(_ttir(tmp_path, "pointer_cast")) == []
    assert ttir.addresses(_ttir(tmp_path, "rebuilt")) == []
    # An offset made from the address's own bits reads it.
    line = KERNELS.splitlines().index("    addr = x_ptr.to(tl.int64)") + 1
    assert ttir.addresses(_ttir(tmp_path, "rebuilt_by_its_own_bits")) == [line]


def test_the_verdict_refuses_a_kernel_that_reads_an_address():
    from kernelwright.outcome import KernelCompile, Outcome, Status, TargetReport
    from kernelwright.sandbox import target_compile

    kernel = KernelCompile(kernel="k", compiled=True, addresses=[12])
    report = TargetReport(target="h100", arch="sm_90", compiled=True, kernels=[kernel])
    outcome = target_compile.attach(Outcome(status=Status.correct, message="ok"), [report])
    assert outcome.status is Status.rejected
    assert "reads a pointer as a number (line 12)" in outcome.message
    assert outcome.targets[0].kernels[0].addresses is None  # evidence, not part of the report
