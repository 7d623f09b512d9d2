"""Ahead-of-time compile for chips not in the machine: the target table, the extraction of the
candidate's kernels, the compiler's report per target, and the verdicts it drives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import CANDIDATES, TESTS, header
from kernelwright.hardware import TARGETS, TargetError, resolve_targets
from kernelwright.outcome import KernelCompile, Outcome, Status, TargetReport
from kernelwright.prompts.render import render_feedback
from kernelwright.prompts.show import render_prompt
from kernelwright.prompts.target_feedback import diagnose_targets
from kernelwright.sandbox import aot, compiler_report
from kernelwright.sandbox.pool import Job

VECTOR_ADD = TESTS / "problems" / "vector_add.py"

KERNELS = textwrap.dedent(
    """
    import triton
    import triton.language as tl


    @triton.jit
    def dot_kernel(a_ptr, b_ptr, c_ptr, N: tl.constexpr, PRECISION: tl.constexpr):
        r = tl.arange(0, N)
        a = tl.load(a_ptr + r[:, None] * N + r[None, :])
        b = tl.load(b_ptr + r[:, None] * N + r[None, :])
        tl.store(c_ptr + r[:, None] * N + r[None, :], tl.dot(a, b, input_precision=PRECISION))


    @triton.jit
    def ptx_copy(x_ptr, out_ptr, BLOCK: tl.constexpr):
        offs = tl.arange(0, BLOCK)
        x = tl.load(x_ptr + offs)
        y = tl.inline_asm_elementwise(
            "mov.b32 $0, $1;", "=r,r", [x], dtype=tl.float32, is_pure=True, pack=1
        )
        tl.store(out_ptr + offs, y)
    """
)


def tensor(dtype: str) -> dict:
    return {"kind": "tensor", "dtype": dtype, "aligned": True}


def const(value) -> dict:
    return {"kind": "constexpr", "value": value}


def dot_launch(dtype: str, n: int, precision: str) -> dict:
    args = {"a_ptr": tensor(dtype), "b_ptr": tensor(dtype), "c_ptr": tensor("fp32")}
    args |= {"N": const(n), "PRECISION": const(precision)}
    return {"kernel": "dot_kernel", "args": args, "options": {}}


@pytest.fixture
def compile_here(tmp_path, monkeypatch):
    """Compile in this process (the check does it in a process of its own)."""
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    monkeypatch.setenv("TRITON_CACHE_DIR", str(tmp_path / "triton"))

    def run(launch: dict, *keys: str, source: str = KERNELS) -> dict:
        targets = [TARGETS[k] for k in keys]
        out = aot.compile_for_targets(source, [launch], targets, tmp_path)
        return {k: v[0] for k, v in out.items()}

    return run


def test_target_table_names_every_chip_with_its_triton_target():
    archs = {t.key: t.arch_name for t in TARGETS.values()}
    assert archs == {
        "a100": "sm_80",
        "h100": "sm_90",
        "h200": "sm_90",
        "b200": "sm_100",
        "rtx5090": "sm_120",
        "mi300x": "gfx942",
        "mi355x": "gfx950",
    }
    for t in TARGETS.values():
        assert t.warp_size == (32 if t.backend == "cuda" else 64)
        assert t.smem_per_block <= t.smem_per_sm and t.source


def test_resolve_targets_default_all_none_and_unknown():
    assert [t.key for t in resolve_targets(None)] == ["h100", "mi300x"]
    assert [t.key for t in resolve_targets(None, "NVIDIA A100-SXM4-80GB")] == [
        "a100",
        "h100",
        "mi300x",
    ]
    assert [t.key for t in resolve_targets(None, "NVIDIA H100 80GB HBM3")] == ["h100", "mi300x"]
    assert len(resolve_targets("all")) == len(TARGETS)
    assert resolve_targets("none") == []
    assert [t.key for t in resolve_targets("mi355x, b200")] == ["mi355x", "b200"]
    assert [t.key for t in resolve_targets("default,b200")] == ["h100", "mi300x", "b200"]
    with pytest.raises(TargetError, match="unknown target 'h300'"):
        resolve_targets("h100,h300")


def test_a_kernel_that_spills_on_sm90_and_not_on_gfx942(compile_here):
    reports = compile_here(dot_launch("fp32", 64, "ieee"), "h100", "mi300x")
    h100, mi300x = reports["h100"], reports["mi300x"]
    assert h100.compiled and mi300x.compiled
    assert h100.spill_bytes > 0 and h100.registers == 255
    assert mi300x.spill_bytes == 0
    assert h100.occupancy_limit == "registers"


def test_fp32_ieee_dot_uses_no_tensor_cores_and_fp16_does(compile_here):
    ieee = compile_here(dot_launch("fp32", 32, "ieee"), "h100", "a100")
    for report in ieee.values():
        assert report.calls_dot and report.dot_inputs == ["f32/ieee"]
        assert report.tensor_core_ops == []
    fp16 = compile_here(dot_launch("fp16", 64, "tf32"), "h100", "a100", "mi300x")
    assert any(op.startswith("wgmma.mma_async") for op in fp16["h100"].tensor_core_ops)
    assert any(op.startswith("mma.sync") for op in fp16["a100"].tensor_core_ops)
    assert any(op.startswith("v_mfma") for op in fp16["mi300x"].tensor_core_ops)


def test_nvidia_instructions_are_read_off_the_ptx():
    """The families the SASS would show (HGMMA, LDGSTS.128, LDG.E.128, STG.E.U16), read off the
    PTX Triton hands to ptxas: synchronisation ops of the same families are not instructions
    of the family, and cp.async's byte count is a global load's width."""
    ptx = textwrap.dedent(
        """
        .visible .entry k(
        \t.param .u64 k_param_0
        )
        {
        $L__BB0_1:
        \t// begin inline asm
        \t@%p1 ld.global.v4.b32 { %r1, %r2, %r3, %r4 }, [ %rd1 + 0 ];
        \t// end inline asm
        \tcp.async.cg.shared.global [ %r9 + 0 ], [ %rd4 + 0 ], 0x10, %r10;
        \tcp.async.commit_group;
        \tcp.async.bulk.commit_group;
        \twgmma.fence.sync.aligned;
        \twgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16 {%f1}, %rd5, %rd6, 1, 1, 1, 0, 0;
        \twgmma.commit_group.sync.aligned;
        \t@!%p2 st.global.b16 [ %rd7 + 0 ], { %rs1 };
        }
        """
    )
    ins = compiler_report.nvidia_instructions(ptx, TARGETS["h100"])
    assert ins.tensor_core == ["wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16"]
    assert ins.async_copy == ["cp.async.cg.shared.global"]
    assert (ins.global_load_bits, ins.global_store_bits) == (128, 16)
    a100 = compiler_report.nvidia_instructions(ptx, TARGETS["a100"])
    assert a100.tensor_core == [] and a100.async_copy == ["cp.async.cg.shared.global"]
    plain = compiler_report.nvidia_instructions(
        "\tld.global.b32 %r1, [ %rd1 + 0 ];", TARGETS["h100"]
    )
    assert (plain.global_load_bits, plain.global_store_bits, plain.async_copy) == (32, None, [])


def test_inline_ptx_compiles_for_nvidia_and_not_for_amd(compile_here):
    launch = {
        "kernel": "ptx_copy",
        "args": {"x_ptr": tensor("fp32"), "out_ptr": tensor("fp32"), "BLOCK": const(128)},
        "options": {"num_warps": 4},
    }
    reports = compile_here(launch, "h100", "mi300x")
    assert reports["h100"].compiled and reports["h100"].global_load_bits == 32
    amd = reports["mi300x"]
    assert not amd.compiled
    assert "invalid instruction" in amd.error and "mov.b32" in amd.error


def test_occupancy_names_the_limiting_resource():
    h100 = TARGETS["h100"]
    smem = compiler_report.occupancy(h100, 4, compiler_report.Resources(32, 0, 180 * 1024))
    assert (smem.warps_per_sm, smem.limit, smem.fits) == (4, "shared memory", True)
    regs = compiler_report.occupancy(h100, 8, compiler_report.Resources(255, 0, 0))
    assert (regs.warps_per_sm, regs.limit) == (8, "registers")
    too_big = compiler_report.occupancy(h100, 4, compiler_report.Resources(32, 0, 300 * 1024))
    assert not too_big.fits and "227 KB" in too_big.why_not
    mi300x = compiler_report.occupancy(TARGETS["mi300x"], 4, compiler_report.Resources(20, 0, 0))
    assert (mi300x.warps_per_sm, mi300x.limit) == (32, "warps")


@pytest.mark.parametrize("targets", [None, "none"], ids=["default-targets", "no-targets"])
@pytest.mark.parametrize(
    "path", sorted((CANDIDATES / "targets").glob("*.py")), ids=lambda p: p.name
)
def test_interpreter_only_bodies_are_compile_errors_on_the_cpu(pool, path, targets):
    job = Job(problem=VECTOR_ADD, code=path.read_text(), shape="small", targets=targets)
    outcome = pool.evaluate(job)
    assert outcome.env["interpreter"] is True
    assert outcome.status.value == header(path, "expect"), outcome.message
    if targets == "none":
        # No report was asked for, and the verdict still rests on a compile.
        assert outcome.targets == []
        return
    assert {r.target for r in outcome.targets} == {"h100", "mi300x"}
    for report in outcome.targets:
        (kernel,) = report.kernels
        assert not kernel.compiled and kernel.finished
        line = path.read_text().splitlines()[kernel.error_line - 1]
        if header(path, "stopped by") == "extraction":
            # The extraction both the replay and the compiler run refuses the body before
            # anything compiles; the report per target says so, at the body's line.
            assert "cannot be compiled on its own: kernel add_kernel" in kernel.error
            assert "add_kernel" not in line
        else:
            assert "unsupported AST node type: Break" in kernel.error
            assert line.strip() == "break"


def test_a_kernel_that_compiles_nowhere_turns_a_correct_verdict_into_compile_error():
    from kernelwright.sandbox.target_compile import attach

    def failed(target: str) -> TargetReport:
        k = KernelCompile(
            kernel="k", compiled=False, error="at line 9:\nNameError('np')", error_line=9
        )
        return TargetReport(
            target=target, arch=TARGETS[target].arch_name, compiled=False, kernels=[k]
        )

    outcome = attach(
        Outcome(status=Status.correct, message="ok"), [failed("h100"), failed("mi300x")]
    )
    assert outcome.status is Status.compile_error
    assert (
        "Kernel k does not compile for any GPU target (sm_90, gfx942) at line 9" in outcome.message
    )
    one = attach(Outcome(status=Status.correct, message="ok"), [failed("mi300x"), _report("h100")])
    assert one.status is Status.correct  # a target it fails on is a finding, not a verdict
    unknown = failed("h100")
    unknown.kernels[0].finished = False
    unsettled = attach(Outcome(status=Status.correct, message="ok"), [unknown])
    assert unsettled.status is Status.crashed  # not known to be Triton: no correct verdict
    assert attach(Outcome(status=Status.incorrect, message="no"), [unknown]).status.value == (
        "incorrect"
    )
    # Settled on one target is enough: the kernel is known to be Triton.
    assert attach(Outcome(status=Status.correct, message="ok"), [unknown, _report("h100")]).correct


def test_a_correct_check_carries_the_report_and_the_cache_serves_it_again(
    pool, tmp_path, monkeypatch
):
    monkeypatch.setenv("KERNELWRIGHT_CACHE_DIR", str(tmp_path))
    code = (CANDIDATES / "broken" / "correct.py").read_text()
    job = Job(problem=VECTOR_ADD, code=code, shape="small", targets="h100,mi355x")
    first = pool.evaluate(job)
    assert first.correct, first.message
    assert [(r.target, r.compiled, r.cached) for r in first.targets] == [
        ("h100", True, False),
        ("mi355x", True, False),
    ]
    k = first.targets[0].kernels[0]
    assert k.kernel == "add_kernel" and k.config == {"BLOCK": 256}
    assert k.registers > 0 and k.spill_bytes == 0 and k.warps_per_sm > 0
    again = pool.evaluate(job)
    assert [r.cached for r in again.targets] == [True, True]
    assert again.targets[0].kernels[0] == k


def _report(target: str, **kernel) -> TargetReport:
    k = KernelCompile(kernel="k", compiled=True, num_warps=4, config={"BLOCK_M": 256}, **kernel)
    return TargetReport(target=target, arch=TARGETS[target].arch_name, compiled=True, kernels=[k])


def test_feedback_names_what_the_report_shows():
    reports = [
        _report("h100", registers=255, spill_bytes=96, warps_per_sm=4, occupancy_limit="warps"),
        _report(
            "a100",
            registers=64,
            spill_bytes=0,
            shared_bytes=180 * 1024,
            warps_per_sm=4,
            occupancy_limit="shared memory",
            dot_inputs=["f32/ieee"],
        ),
        TargetReport(
            target="mi300x",
            arch="gfx942",
            compiled=False,
            kernels=[
                KernelCompile(
                    kernel="k",
                    compiled=False,
                    error="AMD assembler rejected generated AMDGCN\n"
                    "triton-amdgpu-assembler:51:2: error: invalid instruction",
                    error_line=12,
                )
            ],
        ),
    ]
    findings = diagnose_targets(reports)
    assert findings[0] == (
        "k does not compile for gfx942 (line 12): triton-amdgpu-assembler:51:2: error: "
        "invalid instruction"
    )
    assert "k spills 96 bytes per thread on sm_90 at BLOCK_M=256" in findings[1]
    assert (
        "tl.dot on f32 inputs with input_precision='ieee' uses no tensor cores on sm_80"
        in (findings[2])
    )
    assert findings[3] == (
        "k on sm_80: occupancy 4 of 64 warps per SM (1 block), limited by shared memory "
        "(180 KB per block)"
    )
    outcome = Outcome(status=Status.correct, message="Correct.", targets=reports)
    text = render_feedback(outcome, "", "full")
    assert "What the compiler says about the kernels" in text and findings[1] in text
    assert "What the compiler says" not in render_feedback(outcome, "", "full-feedback_diagnosis")


def test_prompt_with_a_target_states_that_chips_facts():
    text = render_prompt("softmax", target="mi355x")
    assert "AMD Instinct MI355X (gfx950)" in text
    assert "64 threads per wavefront, up to 512 registers per thread" in text
    assert "160 KiB shared memory per block" in text
    assert "compiled ahead of time for gfx950" in text
    with pytest.raises(TargetError):
        render_prompt("softmax", target="h300")


def test_a_compile_that_does_not_finish_gives_no_correct_verdict(monkeypatch, tmp_path):
    from kernelwright.sandbox import target_compile
    from kernelwright.sandbox.backends import SubprocessBackend
    from kernelwright.sandbox.pool import Pool

    # A compile process that says it is ready and then never answers (a real compile can now
    # finish while the trials run, before any limit is looked at).
    silent = "import json,time; print(json.dumps({'type': 'ready'}), flush=True); time.sleep(600)"
    monkeypatch.setattr(target_compile.CompilerSpec, "argv", [sys.executable, "-c", silent])
    monkeypatch.setenv("KERNELWRIGHT_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(target_compile, "KERNEL_TIMEOUT_S", 0.001)
    code = (CANDIDATES / "broken" / "correct.py").read_text()
    with Pool(SubprocessBackend(), ["cpu"]) as pool:
        outcome = pool.evaluate(Job(problem=VECTOR_ADD, code=code, shape="small"))
    # Nothing is known of the compile: the kernels are not known to be Triton.
    assert outcome.status.value == "timeout", outcome.message
    assert "not every kernel's compile for the GPU targets finished" in outcome.message
    for report in outcome.targets:
        assert not report.compiled
        assert [k.finished for k in report.kernels] == [False]
        assert "did not finish within 0 s" in report.kernels[0].error


@pytest.mark.parametrize("path", sorted((CANDIDATES / "slow_compile").glob("*.py")), ids=str)
def test_a_decoy_slow_to_compile_keeps_no_body_from_the_compiler(monkeypatch, tmp_path, path):
    """The decoy's thousands of unrolled operations take the compiler minutes, on any machine;
    a limit of 10 s keeps the test short and changes nothing else."""
    from kernelwright.sandbox import target_compile
    from kernelwright.sandbox.backends import SubprocessBackend
    from kernelwright.sandbox.pool import Pool

    monkeypatch.setenv("KERNELWRIGHT_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(target_compile, "KERNEL_TIMEOUT_S", 10.0)
    with Pool(SubprocessBackend(), ["cpu"]) as pool:
        outcome = pool.evaluate(Job(problem=VECTOR_ADD, code=path.read_text(), shape="small"))
    assert outcome.status.value == header(path, "expect"), outcome.message
    assert "kernel decoy_kernel: the compiler did not finish within 10 s" in outcome.message


# The compile process on each Triton this project supports: the one installed here, and 3.6
# (the GPU machines') when a Python that has it is named, e.g. a venv made with
# `pip install triton==3.6.0 pydantic && pip install --no-deps -e .`.
TRITONS = [
    pytest.param(sys.executable, id="installed"),
    pytest.param(
        os.environ.get("KERNELWRIGHT_TRITON36_PYTHON"),
        id="triton-3.6",
        marks=pytest.mark.skipif(
            not os.environ.get("KERNELWRIGHT_TRITON36_PYTHON"),
            reason="set KERNELWRIGHT_TRITON36_PYTHON to a Python with triton 3.6",
        ),
    ),
]


def _ask_compile_process(python: str, scratch: Path, request: dict) -> dict:
    """One request to a fresh compile process: its reports by (target, record index)."""
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    proc = subprocess.Popen(
        [python, "-m", "kernelwright.sandbox.aot", str(scratch), ",".join(request["targets"])],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    got = {}
    try:
        assert json.loads(proc.stdout.readline())["type"] == "ready"
        proc.stdin.write(json.dumps({"type": "compile", "nonce": "n1", **request}) + "\n")
        proc.stdin.flush()
        for line in proc.stdout:
            msg = json.loads(line)
            assert msg["nonce"] == "n1"
            if msg["type"] == "done":
                return got
            got[(msg["target"], msg["index"])] = KernelCompile.model_validate(msg["report"])
    finally:
        proc.kill()
        proc.wait()
    raise AssertionError("the compile process ended without saying done")


@pytest.mark.parametrize("python", TRITONS)
def test_the_compile_process_speaks_its_protocol_on_each_triton(python, tmp_path):
    launches = [
        dot_launch("fp16", 64, "tf32"),
        dot_launch("fp32", 32, "ieee"),
        {
            "kernel": "ptx_copy",
            "args": {"x_ptr": tensor("fp32"), "out_ptr": tensor("fp32"), "BLOCK": const(128)},
        },
    ]
    request = {"source": KERNELS, "launches": launches, "targets": ["h100", "mi300x"]}
    got = _ask_compile_process(python, tmp_path, request)
    assert len(got) == 6
    assert any(op.startswith("wgmma.mma_async") for op in got[("h100", 0)].tensor_core_ops)
    assert got[("h100", 1)].dot_inputs == ["f32/ieee"] and not got[("h100", 1)].tensor_core_ops
    assert got[("h100", 2)].compiled and not got[("mi300x", 2)].compiled
    # The front end alone (the evidence when no report is asked for): compiled, no report.
    front = _ask_compile_process(python, tmp_path, {**request, "front_end": True})
    assert len(front) == 6
    assert all(r.compiled and r.registers is None and not r.dot_inputs for r in front.values())


def test_eval_metrics_count_compile_spill_and_tensor_core_rates_per_target():
    from evals_records import record

    from kernelwright.evals.metrics import target_stats

    def attempt(h100: dict, mi300x: dict | None):
        a = record("A", "t0", 1, "correct")
        a.outcome.targets = [_report("h100", **h100)] + (
            [_report("mi300x", **mi300x)] if mi300x is not None else []
        )
        return a

    dot_tc = {
        "calls_dot": True,
        "tensor_core_ops": ["wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16"],
        "spill_bytes": 0,
    }
    dot_no_tc = {"calls_dot": True, "tensor_core_ops": [], "spill_bytes": 64}
    attempts = [
        attempt(dot_tc, {"spill_bytes": 0}),
        attempt(dot_no_tc, {"spill_bytes": 0}),
        attempt({"spill_bytes": 0}, None),
    ]
    attempts[2].outcome.targets[0].compiled = False
    stats = {s.target: s for s in target_stats(attempts)}
    h100 = stats["h100"]
    assert (h100.attempts, h100.compile_rate, h100.spill_rate) == (3, 2 / 3, 0.5)
    assert (h100.dot_attempts, h100.tensor_core_rate) == (2, 0.5)
    assert (stats["mi300x"].attempts, stats["mi300x"].spill_rate) == (2, 0.0)
    # The corpus column a dataset filters on: "compiles for sm_90 without spills".
    assert attempts[0].outcome.compiles_for(without_spills=True) == ["sm_90", "gfx942"]
    assert attempts[1].outcome.compiles_for(without_spills=True) == ["gfx942"]
    assert attempts[2].outcome.compiles_for() == []


SOFTMAX_PASSES = textwrap.dedent(
    """
    import torch
    import torch.nn as nn
    import triton
    import triton.language as tl


    @triton.jit
    def one_pass(x_ptr, out_ptr, cols, BLOCK: tl.constexpr):
        offs = tl.arange(0, BLOCK)
        mask = offs < cols
        x = tl.load(x_ptr + tl.program_id(0) * cols + offs, mask=mask, other=-float("inf"))
        e = tl.exp(x - tl.max(x, axis=0))
        tl.store(out_ptr + tl.program_id(0) * cols + offs, e / tl.sum(e, axis=0), mask=mask)


    @triton.jit
    def three_passes(x_ptr, out_ptr, cols, BLOCK: tl.constexpr):
        row = x_ptr + tl.program_id(0) * cols
        m = -float("inf")
        for start in range(0, cols, BLOCK):
            offs = start + tl.arange(0, BLOCK)
            x = tl.load(row + offs, mask=offs < cols, other=-float("inf"))
            m = tl.maximum(m, tl.max(x, axis=0))
        s = 0.0
        for start in range(0, cols, BLOCK):
            offs = start + tl.arange(0, BLOCK)
            x = tl.load(row + offs, mask=offs < cols, other=-float("inf"))
            s += tl.sum(tl.exp(x - m), axis=0)
        for start in range(0, cols, BLOCK):
            offs = start + tl.arange(0, BLOCK)
            x = tl.load(row + offs, mask=offs < cols)
            y = tl.exp(x - m) / s
            tl.store(out_ptr + tl.program_id(0) * cols + offs, y, mask=offs < cols)


    class ModelNew(nn.Module):
        def forward(self, x):
            out = torch.empty_like(x)
            rows, cols = x.shape
            KERNEL
            return out
    """
)


@pytest.mark.parametrize(
    "launch, ratio",
    [
        ("one_pass[(rows,)](x, out, cols, BLOCK=2 * triton.next_power_of_2(cols))", 1.0),
        ("three_passes[(rows,)](x, out, cols, BLOCK=1024)", 2.0),
    ],
    ids=["one-pass", "three-passes"],
)
def test_interpreter_counts_the_traffic_kernels_request(pool, launch, ratio):
    code = SOFTMAX_PASSES.replace("KERNEL", launch)
    problem = TESTS / "problems" / "wide_softmax.py"
    outcome = pool.evaluate(Job(problem=problem, code=code, shape="small", targets="none"))
    assert outcome.correct, outcome.message
    t = outcome.traffic
    row_bytes = 4 * 8192 * 4  # rows x cols x fp32 at the small shape
    assert t.stored_bytes == row_bytes  # one-pass: half its lanes are masked, not counted
    assert t.loaded_bytes == (1 if ratio == 1.0 else 3) * row_bytes
    assert t.min_bytes == 2 * row_bytes and t.ratio == pytest.approx(ratio)


# A compile process that answers every request at once, each record compiled, and notes what
# it was asked (the argv[1] file): the queue's bookkeeping without Triton's compile times.
ECHO_COMPILER = r"""
import json, sys
seen = open(sys.argv[1], "a")
print(json.dumps({"type": "ready"}), flush=True)
for line in sys.stdin:
    msg = json.loads(line)
    front_end = ["front end"] if msg.get("front_end") else []
    seen.write(json.dumps([r["kernel"] for r in msg["launches"]] + front_end) + "\n")
    seen.flush()
    for key in msg["targets"]:
        for i, r in enumerate(msg["launches"]):
            report = {"kernel": r["kernel"], "compiled": True, "registers": 10 + i}
            head = {"type": "kernel", "nonce": msg["nonce"], "target": key, "index": i}
            print(json.dumps({**head, "report": report}), flush=True)
    print(json.dumps({"type": "done", "nonce": msg["nonce"]}), flush=True)
"""


def test_a_record_an_earlier_request_compiles_is_not_compiled_twice(monkeypatch, tmp_path):
    """The first trial's launches go to the compiler while the other trials run, and a shape's
    while the next shape's run: a record already on its way is borrowed, not sent again, and
    answers are read in the order the requests went, whichever is collected first."""
    from kernelwright.sandbox import target_compile
    from kernelwright.sandbox.backends import Limits, SubprocessBackend

    seen = tmp_path / "requests.jsonl"
    argv = [sys.executable, "-c", ECHO_COMPILER, str(seen)]
    monkeypatch.setattr(target_compile.CompilerSpec, "argv", argv)
    monkeypatch.setenv("KERNELWRIGHT_CACHE_DIR", str(tmp_path / "cache"))
    compiler = target_compile.Compiler(
        SubprocessBackend(), tmp_path / "c", dict(os.environ), Limits(), ()
    )
    try:
        targets = [TARGETS["h100"], TARGETS["mi300x"]]
        a = {"kernel": "dot_kernel", "args": {"N": const(16)}}
        b = {"kernel": "ptx_copy", "args": {"BLOCK": const(128)}}
        first = compiler.submit(targets, KERNELS, [a])
        second = compiler.submit(targets, KERNELS, [a, b])
        assert first.missing == [a] and second.missing == [b]
        # Collected out of order: the first request's answers are read first all the same.
        reports = compiler.collect(second)
        assert [[k.kernel for k in r.kernels] for r in reports] == [["dot_kernel", "ptx_copy"]] * 2
        assert all(k.compiled for r in reports for k in r.kernels)
        assert not any(r.cached for r in reports)
        assert compiler.collect(first)[0].kernels[0].kernel == "dot_kernel"
        asked = [json.loads(line) for line in seen.read_text().splitlines()]
        assert asked == [["dot_kernel"], ["ptx_copy"]]
        # Once answered, the reports are cached: a third request sends nothing.
        third = compiler.submit(targets, KERNELS, [b, a])
        assert third.missing == [] and not third.borrowed
        assert all(r.cached for r in compiler.collect(third))
        # No report asked for: the evidence goes only through the front end, for the first
        # default target, and is cached apart (it holds no report for a later request).
        evidence = compiler.submit([], KERNELS, [a])
        assert evidence.missing == [a] and not evidence.reported
        assert [r.target for r in compiler.collect(evidence)] == ["h100"]
        assert json.loads(seen.read_text().splitlines()[-1]) == ["dot_kernel", "front end"]
        assert compiler.submit([TARGETS["h100"]], KERNELS, [a]).missing == []
        assert compiler.submit([], KERNELS, [a]).missing == []
    finally:
        compiler.close()


def test_a_borrowed_record_whose_compiler_died_is_unknown_not_a_failure(monkeypatch, tmp_path):
    from kernelwright.sandbox import target_compile
    from kernelwright.sandbox.backends import Limits, SubprocessBackend

    silent = "import json,time; print(json.dumps({'type': 'ready'}), flush=True); time.sleep(600)"
    monkeypatch.setattr(target_compile.CompilerSpec, "argv", [sys.executable, "-c", silent])
    monkeypatch.setattr(target_compile, "KERNEL_TIMEOUT_S", 0.5)
    monkeypatch.setenv("KERNELWRIGHT_CACHE_DIR", str(tmp_path / "cache"))
    compiler = target_compile.Compiler(
        SubprocessBackend(), tmp_path / "c", dict(os.environ), Limits(), ()
    )
    try:
        a = {"kernel": "dot_kernel", "args": {"N": const(16)}}
        first = compiler.submit([TARGETS["h100"]], KERNELS, [a])
        second = compiler.submit([TARGETS["h100"]], KERNELS, [a])
        assert second.borrowed and not second.missing
        (report,) = compiler.collect(second)
        (kernel,) = report.kernels
        assert not kernel.compiled and not kernel.finished
        assert "did not finish" in kernel.error
        assert not target_compile.nowhere([report])  # unknown: no verdict rests on it
        assert compiler.collect(first)[0].kernels[0].finished is False
    finally:
        compiler.close()


def test_a_compile_a_check_leaves_behind_is_not_charged_to_the_next(monkeypatch, tmp_path):
    """A candidate whose check ends (here: it hangs on the second trial) while its first
    trial's decoy is still compiling: its check collects that compile itself, and the honest
    candidate checked next on the same pool is correct."""
    from kernelwright.sandbox import target_compile
    from kernelwright.sandbox.backends import SubprocessBackend
    from kernelwright.sandbox.pool import Pool

    monkeypatch.setenv("KERNELWRIGHT_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(target_compile, "KERNEL_TIMEOUT_S", 10.0)
    (path,) = sorted((CANDIDATES / "compile_left_behind").glob("*.py"))
    honest = (CANDIDATES / "broken" / "correct.py").read_text()
    with Pool(SubprocessBackend(), ["cpu"]) as pool:
        first = pool.evaluate(
            Job(problem=VECTOR_ADD, code=path.read_text(), shape="small", timeout_s=8)
        )
        assert first.status.value == header(path, "expect"), first.message
        after = pool.evaluate(Job(problem=VECTOR_ADD, code=honest, shape="small"))
    assert after.correct, after.message
    assert all(r.compiled for r in after.targets)
