"""The GPU kernel-list rule, decided on the CPU over synthetic profiler events and launch logs.

The profiler itself only runs on a GPU (tests/test_profiler_gpu.py); what it hands over is
typed data, and everything that judges it is pure: these lists are what a GPU shows for
each case (kernel names as Kineto reports them: a Triton kernel by its function's name, aten's
and cuBLAS's by their demangled C++ or library names)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from launchlogs import ALLOC, COLS, OUT_BYTES, ROWS, host, launch, log, ref

from kernelwright.sandbox import profiler
from kernelwright.sandbox.kernel_list import DeviceWork, Profile, Session, problems
from kernelwright.sandbox.launchlog import Const, LaunchLog, TensorRef

FILL = "void at::native::vectorized_elementwise_kernel<4, at::native::FillFunctor<float>, std::array<char*, 1ul> >(int, at::native::FillFunctor<float>, std::array<char*, 1ul>)"
COPY = "void at::native::elementwise_kernel<128, 4, at::native::gpu_kernel_impl_nocast<at::native::direct_copy_kernel_cuda(at::TensorIteratorBase&)::{lambda()#3}::operator()() const::{lambda()#8}::operator()() const::{lambda(float)#1}> >(at::TensorIteratorBase&, at::native::direct_copy_kernel_cuda(at::TensorIteratorBase&)::{lambda()#3}::operator()() const::{lambda()#8}::operator()() const::{lambda(float)#1} const&)::{lambda(int)#1}>(int, at::native::gpu_kernel_impl_nocast<at::native::direct_copy_kernel_cuda(at::TensorIteratorBase&)::{lambda()#3}::operator()() const::{lambda()#8}::operator()() const::{lambda(float)#1}> >(at::TensorIteratorBase&, at::native::direct_copy_kernel_cuda(at::TensorIteratorBase&)::{lambda()#3}::operator()() const::{lambda()#8}::operator()() const::{lambda(float)#1} const&)::{lambda(int)#1})"
SOFTMAX = "void at::native::(anonymous namespace)::cunn_SoftMaxForward<4, float, float, float, at::native::(anonymous namespace)::SoftMaxForwardEpilogue>(float*, float const*, int)"
CUBLAS = "sm90_xmma_gemm_f32f32_tf32f32_f32_tn_n_tilesize128x128x32_warpgroupsize1x1x1_execute_segment_k_off_kernel__5x_cublas"
AMPERE = "ampere_sgemm_128x64_tn"
HTOD = "Memcpy HtoD (Pageable -> Device)"
DTOD = "Memcpy DtoD (Device -> Device)"


ONE_KERNEL = log(ALLOC, launch("softmax_kernel", 0, 1))


def kernel(name: str, count: int = 1, autotune: bool = False) -> DeviceWork:
    return DeviceWork(name=name, kind="kernel", count=count, autotune=autotune)


def trial(k: int, *work: DeviceWork) -> Session:
    return Session(phase="trial", trial=k, work=list(work))


def timed(calls: int, *work: DeviceWork) -> Session:
    return Session(phase="timed", calls=calls, work=list(work))


def judged(logs: list[LaunchLog], *sessions: Session) -> list[str]:
    return problems(Profile(sessions=list(sessions)), logs)


# --- accepted ------------------------------------------------------------------------------


def test_one_triton_kernel_in_trials_and_timed_calls():
    assert (
        judged(
            [ONE_KERNEL, ONE_KERNEL],
            trial(0, kernel("softmax_kernel")),
            trial(1, kernel("softmax_kernel")),
            timed(500, kernel("softmax_kernel", 500)),
        )
        == []
    )


def test_kernels_chained_through_an_intermediate():
    chained = log(
        ALLOC,
        host("aten.empty.memory_format", [], [ref(2, (ROWS,), (1,))]),
        launch("stats_kernel", 0, 2),
        launch("normalise_kernel", 0, 2, 1),
        extra_buffers=1,
    )
    work = [kernel("stats_kernel"), kernel("normalise_kernel")]
    assert judged([chained], trial(0, *work), timed(3, *(kernel(w.name, 3) for w in work))) == []


def test_a_contiguous_copy_of_a_transposed_input_and_a_zeros_fill():
    transposed = ref(0, (COLS, ROWS), (1, COLS))
    prepared = log(
        host("aten.clone.default", [transposed], [ref(2, (COLS, ROWS), (ROWS, 1))]),
        host("aten.zeros.default", [], [ref(1)]),
        launch("transpose_sum", 2, 1),
        extra_buffers=1,
    )
    copy = DeviceWork(name=COPY, kind="kernel")
    fill = DeviceWork(name=FILL, kind="kernel")
    memset = DeviceWork(name="Memset (Device)", kind="memset", nbytes=OUT_BYTES)
    assert judged([prepared], trial(0, copy, fill, kernel("transpose_sum"))) == []
    # zeros may reach the GPU as a memset; a contiguous copy as a device-to-device memcpy.
    dtod = DeviceWork(name=DTOD, kind="memcpy", nbytes=OUT_BYTES)
    assert judged([prepared], timed(2, dtod.model_copy(update={"count": 2}), memset)) == []


def test_the_autotuners_benchmark_runs_are_accounted_for():
    # Benchmarking launches the kernel once per config and repetition, flushes the cache with a
    # fill, and resets and restores arguments with copies: all inside its range.
    work = [
        kernel("softmax_kernel", 40, autotune=True),
        DeviceWork(name=FILL, kind="kernel", count=40, autotune=True),
        DeviceWork(name=COPY, kind="kernel", count=4, autotune=True),
        kernel("softmax_kernel"),
    ]
    assert judged([ONE_KERNEL], trial(0, *work)) == []


def test_an_item_read_back_and_a_small_upload_the_log_shows():
    scalar = TensorRef(buffer=2, dtype="int64", offset=0, shape=[], strides=[])
    reads = log(
        ALLOC,
        host("aten.lift_fresh.default", [scalar], [scalar]),
        host("aten._local_scalar_dense.default", [scalar], [Const(type="int", value=3)]),
        launch("softmax_kernel", 0, 1),
        extra_buffers=1,
    )
    work = [
        DeviceWork(name=HTOD, kind="memcpy", nbytes=8),
        DeviceWork(name="Memcpy DtoH (Device -> Pageable)", kind="memcpy", nbytes=8),
        kernel("softmax_kernel"),
    ]
    assert judged([reads], trial(0, *work)) == []


# --- refused -------------------------------------------------------------------------------


def test_an_aten_softmax_is_named():
    found = judged([ONE_KERNEL], trial(0, kernel("softmax_kernel"), kernel(SOFTMAX)))
    assert len(found) == 1 and "cunn_SoftMaxForward" in found[0] and "trial 0" in found[0]


def test_cublas_gemms_are_named_in_the_timed_calls():
    found = judged(
        [ONE_KERNEL],
        trial(0, kernel("softmax_kernel")),
        timed(10, kernel("softmax_kernel", 10), kernel(CUBLAS, 10), kernel(AMPERE, 10)),
    )
    assert len(found) == 2 and all("timed calls" in f for f in found)
    assert CUBLAS in found[0] and AMPERE in found[1]


def test_a_host_to_device_copy_of_output_size():
    upload = DeviceWork(name=HTOD, kind="memcpy", nbytes=OUT_BYTES)
    found = judged([ONE_KERNEL], trial(0, upload, kernel("softmax_kernel")))
    assert (
        len(found) == 1
        and "host-to-device copy" in found[0]
        and "as large as an output" in found[0]
    )


def test_an_upload_the_log_does_not_account_for():
    upload = DeviceWork(name=HTOD, kind="memcpy", nbytes=None)  # a torch without copy sizes
    found = judged([ONE_KERNEL], trial(0, upload, kernel("softmax_kernel")))
    assert len(found) == 1 and "1 upload operations" in found[0] and "accounts for 0" in found[0]


def test_a_kernel_in_the_timed_calls_that_no_trial_launched():
    found = judged(
        [ONE_KERNEL],
        trial(0, kernel("softmax_kernel")),
        timed(10, kernel("cached_softmax_kernel", 10)),
    )
    assert len(found) == 1 and "'cached_softmax_kernel'" in found[0]
    assert "no trial launched it" in found[0]


def test_a_triton_launch_hidden_from_the_trials_log():
    found = judged([ONE_KERNEL], trial(0, kernel("softmax_kernel"), kernel("helper_kernel")))
    assert len(found) == 1 and "a launch hidden from the log" in found[0]


def test_more_copies_than_the_log_accounts_for():
    copy = DeviceWork(name=COPY, kind="kernel", count=3)
    found = judged([ONE_KERNEL], trial(0, copy, kernel("softmax_kernel")))
    assert len(found) == 1 and "3 copy operations" in found[0]


def test_a_copy_larger_than_any_in_the_log():
    small = log(
        ALLOC,
        host("aten.clone.default", [ref(0, (8,), (1,))], [ref(2, (8,), (1,))]),
        launch("softmax_kernel", 0, 1),
        extra_buffers=1,
    )
    big = DeviceWork(name=DTOD, kind="memcpy", nbytes=OUT_BYTES)
    found = judged([small], trial(0, big, kernel("softmax_kernel")))
    assert len(found) == 1 and "more than any copy op" in found[0]


def test_a_triton_kernel_named_like_an_aten_copy_is_no_copy():
    # Triton names a kernel after an identifier; aten's copies are C++ names. A Triton kernel
    # called direct_copy_kernel_cuda that the log does not show is a hidden launch.
    found = judged(
        [ONE_KERNEL], trial(0, kernel("direct_copy_kernel_cuda"), kernel("softmax_kernel"))
    )
    assert len(found) == 1 and "a launch hidden from the log" in found[0]


def test_autotune_work_is_still_only_the_candidates_kernels():
    found = judged([ONE_KERNEL], trial(0, kernel(CUBLAS, autotune=True), kernel("softmax_kernel")))
    assert len(found) == 1 and CUBLAS in found[0]


def test_a_trial_with_no_log():
    assert "no launch log" in judged([ONE_KERNEL], trial(3, kernel("softmax_kernel")))[0]


# --- from Kineto's events to device work ---------------------------------------------------


def raw(name, device, start, end, thread=1, correlation=0, linked=0, nbytes=None):
    return profiler.RawEvent(
        name=name,
        device=device,
        start_ns=start,
        end_ns=end,
        thread=thread,
        correlation=correlation,
        linked=linked,
        nbytes=nbytes,
    )


def test_fold_leaves_out_the_workers_own_work_and_marks_the_autotuners():
    events = [
        raw(profiler.MARKS.worker, False, 0, 100),
        raw("aten::zero_", False, 10, 20, correlation=1),  # the timer's cache flush
        raw(FILL, True, 200, 300, linked=1),
        raw(profiler.MARKS.autotune, False, 400, 500),
        raw("aten::zero_", False, 410, 420, correlation=2),  # the autotuner's flush
        raw(FILL, True, 600, 700, linked=2),
        raw("kernelwright:call", False, 800, 900, correlation=3),
        raw("softmax_kernel", True, 950, 990, linked=3),
        raw("softmax_kernel", True, 1000, 1040, linked=3),
        raw(CUBLAS, True, 1100, 1200, linked=0),  # launched from nowhere the profiler saw
        raw(profiler.MARKS.worker, False, 1000, 1100, thread=2),  # another thread's range
        raw("aten::mm", False, 1010, 1020, correlation=4),
        raw(AMPERE, True, 1300, 1400, linked=4),
    ]
    work = {(w.name, w.autotune): w.count for w in profiler.fold(events)}
    assert work == {
        (FILL, True): 1,
        ("softmax_kernel", False): 2,
        (CUBLAS, False): 1,
        (AMPERE, False): 1,
    }


def test_a_range_the_candidate_names_like_the_workers_is_not_the_workers():
    events = [
        raw("kernelwright:worker", False, 0, 100),  # the name without this process's token
        raw("aten::mm", False, 10, 20, correlation=7),
        raw(CUBLAS, True, 200, 300, linked=7),
        # A CUDA API call whose CUPTI correlation id happens to equal a torch op's: it is not
        # the op that launched the work.
        raw("aten::mm", False, 600, 610, correlation=8),
        raw(profiler.MARKS.worker, False, 400, 500),
        raw("cudaLaunchKernel", False, 410, 420, correlation=8),
        raw(AMPERE, True, 700, 800, linked=8),
    ]
    assert sorted(w.name for w in profiler.fold(events)) == [AMPERE, CUBLAS]


KINETO_SCRIPT = """
import json, torch
from torch.profiler import ProfilerActivity, profile
from kernelwright.sandbox import profiler

x = torch.randn(64, 64)
with profile(activities=[ProfilerActivity.CPU]) as prof:
    with profiler.own_work():
        x.zero_()
    with torch.profiler.record_function("kernelwright:call"):
        torch.mm(x, x)
events = profiler.raw_events(prof.profiler.kineto_results.events())
print(json.dumps({"marks": profiler.MARKS.model_dump(), "events": [e.model_dump() for e in events]}))
"""


def test_kinetos_events_on_this_torch_read_as_raw_events(tmp_path):
    """The profiler's host side runs on the CPU too: ranges and aten ops come back with the
    fields fold() needs, and an op inside the worker's range is contained by it. (In a process
    of its own: a profiler session leaves state behind in the process that ran it.)"""
    script = tmp_path / "kineto.py"
    script.write_text(KINETO_SCRIPT)
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    marks = profiler.Marks.model_validate(data["marks"])
    events = [profiler.RawEvent.model_validate(e) for e in data["events"]]
    names = {e.name for e in events}
    assert {marks.worker, "aten::zero_", "aten::mm"} <= names
    zero = next(e for e in events if e.name == "aten::zero_")
    mm = next(e for e in events if e.name == "aten::mm")
    assert zero.correlation and mm.correlation and zero.thread == mm.thread
    ranges = profiler._Ranges(events, marks.worker)
    assert ranges.contains(zero) and not ranges.contains(mm)
    # A device kernel linked to each: the worker's flush is left out, the gemm is kept.
    events += [
        raw(FILL, True, zero.end_ns + 1, zero.end_ns + 2, linked=zero.correlation),
        raw(CUBLAS, True, mm.end_ns + 1, mm.end_ns + 2, linked=mm.correlation),
    ]
    assert [w.name for w in profiler.fold(events, marks)] == [CUBLAS]


# --- the parent's use of it ----------------------------------------------------------------


def _result(profile: Profile | None, trials: int = 2):
    from kernelwright.sandbox.judge import TrialReport, WorkerResult

    report = TrialReport(
        seed=1, file="t.pt", output_types=[], plain=True, launches=1, torch_ops={}, log="l"
    )
    return WorkerResult(
        type="result", nonce="n", stage="done", trials=[report] * trials, profile=profile
    )


def _listed(result, timing: bool = True, device: str = "cuda:0", allow_torch_ops: bool = False):
    from types import SimpleNamespace

    from kernelwright.sandbox import judge

    checks: list = []
    job = SimpleNamespace(timing=timing, allow_torch_ops=allow_torch_ops)
    env = {"device": device}
    why = judge._unprofiled(job, result, env)
    if why:
        return why
    status = judge._kernel_list_checks(job, result, [ONE_KERNEL] * 2, env, checks, {})
    return status and checks[-1].detail


def test_the_parent_refuses_a_gpu_result_without_a_full_profile():
    legit = [trial(0, kernel("softmax_kernel")), trial(1, kernel("softmax_kernel"))]
    whole = Profile(sessions=[*legit, timed(5, kernel("softmax_kernel", 5))])
    assert _listed(_result(whole)) is None
    assert _listed(_result(None), device="cpu") is None  # nothing to list on the CPU
    assert "sent no profile" in _listed(_result(None))
    assert "could not be listed: boom" in _listed(_result(Profile(error="boom")))
    assert "not each of the 2" in _listed(_result(Profile(sessions=legit[:1])))
    assert "timed calls were not profiled" in _listed(_result(Profile(sessions=legit)))
    cheat = Profile(sessions=[*legit, timed(5, kernel(CUBLAS, 5))])
    assert CUBLAS in _listed(_result(cheat))
    # The relaxed track (--allow-torch-ops) allows torch compute: no kernel list there.
    assert _listed(_result(cheat), allow_torch_ops=True) is None


# --- how Triton names a kernel on the GPU ---------------------------------------------------

NAMES_SCRIPT = """
import re, triton, triton.language as tl
from triton.backends.compiler import GPUTarget
from triton.compiler import ASTSource

def make():
    @triton.jit
    def row_copy(x, y, n, BLOCK: tl.constexpr):
        o = tl.arange(0, BLOCK)
        tl.store(y + o, tl.load(x + o, mask=o < n), mask=o < n)
    return row_copy

sig = {"x": "*fp32", "y": "*fp32", "n": "i32", "BLOCK": "constexpr"}
kernel = triton.compile(ASTSource(make(), sig, {(3,): 128}), target=GPUTarget("cuda", 90, 32))
print(" ".join(re.findall(r"\\.entry (\\w+)", kernel.asm["ptx"])))
"""

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


@pytest.mark.parametrize("python", TRITONS)
def test_triton_names_a_kernel_after_its_function(python, tmp_path):
    """The name the profiler shows is the compiled entry's: the @triton.jit function's own name
    (a nested one's too), which is what the launch log records."""
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    script = tmp_path / "names.py"  # Triton reads a kernel's source from its file
    script.write_text(NAMES_SCRIPT)
    proc = subprocess.run(
        [python, str(script)], capture_output=True, text=True, env=env, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["row_copy"]
