"""Feedback: the mismatch and error diagnoses on constructed cases, and render_feedback for
every status, with and without diagnosis, within its budget. (The diagnoses on real wrong
kernels run in test_prompts_kernels.py.)"""

from __future__ import annotations

import json

import pytest
import torch

from kernelwright.outcome import Check, Outcome, Roofline, Status, Timing
from kernelwright.prompts.contract import RULES, rule_for
from kernelwright.prompts.feedback import (
    DIAGNOSES,
    HINTS,
    cut_middle,
    diagnose_compile_error,
    diagnose_mismatch,
)
from kernelwright.prompts.render import render_feedback


def _ref(*shape: int) -> torch.Tensor:
    torch.manual_seed(0)
    return torch.randn(*shape)


# ---------------------------------------------------------------------------------------
# diagnose_mismatch
# ---------------------------------------------------------------------------------------


def _diag(out: torch.Tensor, ref: torch.Tensor, atol: float = 1e-3, rtol: float = 1e-3) -> dict:
    d = diagnose_mismatch(out, ref, atol, rtol)
    json.loads(json.dumps(d, allow_nan=False))  # strictly JSON-able, NaN included
    return d


def test_mismatch_reports_where_and_how_much():
    ref = _ref(8, 16)
    out = ref.clone()
    out[2, 3] += 1.0
    out[5, 7] = float("nan")
    d = _diag(out, ref)
    assert d["n_wrong"] == 2 and d["numel"] == 128 and d["frac_wrong"] == 2 / 128
    assert d["nan_count"] == 1 and d["inf_count"] == 0
    assert d["max_abs"] == pytest.approx(1.0, rel=1e-5)
    assert [b["index"] for b in d["first_bad_indices"]] == [[2, 3], [5, 7]]
    assert d["first_bad_indices"][1]["got"] == "nan"
    assert d["bad_box"] == [[2, 5], [3, 7]]
    assert d["shape"] == [8, 16] and d["dtype"] == "float32"


@pytest.mark.parametrize(
    ("make", "pattern"),
    [
        (lambda r: r.clone(), "within_tolerance"),
        (lambda r: torch.full_like(r, float("nan")), "all_nan"),
        (lambda r: torch.zeros_like(r), "constant"),
        (lambda r: r.t().contiguous(), "transposed"),
        (lambda r: r[:1].expand_as(r).clone(), "rows_identical"),
        (lambda r: torch.cat([r[:, :50], torch.zeros(8, 14)], dim=1), "tail"),
        (lambda r: r * 1.7, "global_scale"),
        (lambda r: r * torch.arange(2.0, 10.0)[:, None], "row_scale"),
        (lambda r: r + 0.5, "global_offset"),
        (lambda r: r - torch.arange(1.0, 9.0)[:, None], "row_offset"),
        (lambda r: torch.where(r > 1.5, float("nan"), r), "nan"),
        (lambda r: r + 3e-3 * torch.sign(torch.randn_like(r)), "precision"),
        (lambda r: r.reshape(-1)[torch.randperm(r.numel())].reshape(r.shape), "permuted"),
        (lambda r: r + 5 * torch.randn_like(r) * (torch.rand_like(r) < 0.3), "scattered"),
    ],
)
def test_mismatch_patterns(make, pattern):
    ref = _ref(8, 64)
    if pattern == "transposed":
        ref = _ref(32, 32)
    torch.manual_seed(1)
    d = _diag(make(ref), ref)
    assert d["pattern"] == pattern, d
    assert d["diagnosis"] and "{" not in d["diagnosis"]


def test_mismatch_transposed_layout_of_a_non_square_output():
    ref = _ref(6, 10)
    written_with_swapped_strides = ref.t().contiguous().view(6, 10)
    assert _diag(written_with_swapped_strides, ref)["pattern"] == "transposed"


def test_mismatch_tail_of_a_flat_output_names_its_size():
    ref = _ref(1000)
    out = ref.clone()
    out[896:] = float("nan")  # the last, partial block never ran
    d = _diag(out, ref)
    assert d["pattern"] == "tail" and "the last 104 of 1000" in d["diagnosis"]


def test_mismatch_shape_and_dtype_and_half_precision():
    ref = _ref(4, 4)
    assert _diag(torch.zeros(4, 5), ref)["pattern"] == "shape"
    half = ref.half()
    d = _diag((half.float() * 3).half(), half, atol=1e-2, rtol=1e-2)
    assert d["pattern"] == "global_scale" and d["dtype"] == "float16"


def test_every_diagnosis_has_a_test():
    tested = {
        "within_tolerance", "all_nan", "constant", "transposed", "rows_identical", "tail",
        "global_scale", "row_scale", "global_offset", "row_offset", "nan", "precision",
        "permuted", "scattered", "shifted", "half_precision", "out_of_bounds",
    }  # fmt: skip
    assert set(DIAGNOSES) == tested


def test_mismatch_tail_partly_right_is_still_the_tail():
    # A ReLU whose zero-initialised output never got its tail block: the tail is right
    # wherever the input was negative, wrong elsewhere.
    ref = torch.relu(_ref(1000))
    out = ref.clone()
    out[896:] = 0.0
    d = _diag(out, ref)
    assert d["pattern"] == "tail", d
    rows = torch.relu(_ref(8, 64))
    out = rows.clone()
    out[:, 48:] = 0.0
    assert _diag(out, rows)["pattern"] == "tail"


def test_mismatch_shifted_by_an_off_by_one_offset():
    ref = _ref(8, 64)
    out = torch.full_like(ref, float("nan"))
    out[:, 1:] = ref[:, :-1]  # each row stored one element late
    d = _diag(out, ref)
    assert d["pattern"] == "shifted" and "1 element" in d["diagnosis"], d
    flat = _ref(1000)
    early = torch.cat([flat[1:], torch.zeros(1)])  # loaded one element early
    assert _diag(early, flat)["pattern"] == "shifted"


KERNEL_WITH_DOT = "acc = tl.dot(a, b, acc)"
KERNEL_IN_HALF = "acc = tl.zeros((BLOCK,), dtype=tl.float16)"
KERNEL_IN_FP32 = "acc = tl.zeros((BLOCK,), dtype=tl.float32)"


def test_precision_is_named_only_where_the_code_can_lose_it():
    ref = _ref(8, 64)
    torch.manual_seed(1)
    out = ref + 3e-3 * torch.sign(torch.randn_like(ref))
    assert diagnose_mismatch(out, ref, 1e-3, 1e-3, KERNEL_WITH_DOT)["pattern"] == "precision"
    d = diagnose_mismatch(out, ref, 1e-3, 1e-3, KERNEL_IN_HALF)
    assert d["pattern"] == "half_precision" and "float16" in d["diagnosis"]
    assert diagnose_mismatch(out, ref, 1e-3, 1e-3, KERNEL_IN_FP32)["pattern"] == "scattered"
    # A 0-d output: its rounding is the reduction order's, never a precision diagnosis.
    scalar = torch.tensor(1.0)
    d = diagnose_mismatch(scalar + 3e-3, scalar, 1e-3, 1e-3, KERNEL_WITH_DOT)
    assert d["pattern"] not in ("precision", "half_precision"), d


# ---------------------------------------------------------------------------------------
# diagnose_compile_error
# ---------------------------------------------------------------------------------------

CODE = """import triton
import triton.language as tl


@triton.jit
def kernel(x_ptr, y_ptr, n, BLOCK):
    offs = tl.arange(0, BLOCK)
    tl.store(y_ptr + offs, tl.load(x_ptr + offs))
"""

TRITON_ERROR = """Traceback (most recent call last):
  File "/srv/worker.py", line 88, in run
    model(*inputs)
triton.compiler.errors.CompilationError: at 2:11:
def kernel(x_ptr, y_ptr, n, BLOCK):
    offs = tl.arange(0, BLOCK)
           ^
arange's arguments must be of type tl.constexpr
"""

PY_ERROR = """Traceback (most recent call last):
  File "/usr/lib/python3.11/site-packages/triton/runtime/interpreter.py", line 1511, in __call__
    self.fn(**args)
  File "/tmp/cand/candidate.py", line 8, in kernel
    tl.store(y_ptr + offs, tl.load(x_ptr + offs))
  File "/usr/lib/python3.11/site-packages/triton/language/core.py", line 42, in wrapper
    raise ValueError("...")
ValueError: Cannot make_shape_compatible: incompatible dimensions at index 0: 64 and 128

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/tmp/cand/candidate.py", line 7, in forward
    offs = tl.arange(0, BLOCK)
triton.runtime.errors.InterpreterError: ValueError('Cannot make_shape_compatible')
"""


def test_compile_error_from_the_triton_compiler():
    d = diagnose_compile_error(TRITON_ERROR, CODE)
    assert d["line"] == 7 and d["source_line"] == "offs = tl.arange(0, BLOCK)"
    assert d["function"] == "kernel"
    assert d["error"] == "arange's arguments must be of type tl.constexpr"
    assert d["rule"] == "constexpr" and "tl.constexpr" in d["hint"]


def test_compile_error_from_a_chained_python_traceback_uses_the_root_cause():
    d = diagnose_compile_error(PY_ERROR, CODE)
    assert d["line"] == 8 and d["function"] == "kernel"
    assert d["error"].startswith("ValueError: Cannot make_shape_compatible")
    assert d["rule"] == "shape"


def test_compile_error_from_a_plain_message():
    d = diagnose_compile_error("SyntaxError at line 6: invalid syntax", CODE)
    assert d["line"] == 6 and d["source_line"].startswith("def kernel")
    assert d["rule"] is None and d["hint"] is None


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("ValueError: arange's range must be a power of 2", "arange_pow2"),
        ("AssertionError: Input shapes should have M >= 16, N >= 16 and K >= 16", "dot_shape"),
        ("NameError: Cannot access global variable G from within @jit'ed function", "global"),
        ("ValueError: Did you forget to add @triton.jit ? in libdevice.tanh", "libdevice"),
        ("Loop-carried variable acc has initial type fp16 but is re-assigned", "loop_type"),
        ("Unsupported ptr type <['64'], fp32> in `tl.store`", "pointer"),
        ("unsupported AST node type: Break", "tensor_control_flow"),
        ("RuntimeError: CUDA error: an illegal memory access was encountered", "out_of_bounds"),
        ("triton.runtime.errors.OutOfResources: out of resource: shared memory", "shared_memory"),
        ("ValueError: Conflicting meta-parameters: BLOCK", "autotune"),
        ("RuntimeError: Unsupported function referenced: <built-in method exp>", "torch_in_kernel"),
        ("TypeError: k() missing 1 required positional argument: 'BLOCK'", "launch_args"),
        ("input_precision must be one of ('tf32', 'tf32x3', 'ieee'). Got fp64", "input_precision"),
        ("ValueError: Value argument cannot be block type if pointer argument is not", "shape"),
    ],
)
def test_compile_error_hints(text, rule):
    d = diagnose_compile_error(text, CODE)
    assert d["rule"] == rule, d
    assert d["hint"] == dict((r, h) for r, _, h in HINTS)[rule]


# ---------------------------------------------------------------------------------------
# render_feedback
# ---------------------------------------------------------------------------------------


def _outcome(status: Status, **kw) -> Outcome:
    return Outcome(status=status, message=kw.pop("message", f"{status.value} message"), **kw)


def test_feedback_compile_error_names_line_and_hint():
    o = _outcome(
        Status.compile_error,
        details={"traceback": TRITON_ERROR, "error": {"type": "CompilationError"}},
    )
    text = render_feedback(o, CODE, "full")
    assert "## Result: compile error" in text
    assert "At line 7 (in `kernel`): `offs = tl.arange(0, BLOCK)`" in text
    assert "Hint: Values that set a shape" in text
    assert "arange's arguments must be of type tl.constexpr" in text
    assert text.rstrip().endswith("Fix it and answer with the whole corrected module.")


def test_feedback_uses_the_checkers_stored_compile_details():
    o = _outcome(Status.compile_error, details={"compile": {"line": 6, "error": "invalid syntax"}})
    text = render_feedback(o, CODE, "full")
    assert "Error: invalid syntax" in text
    assert "At line 6: `def kernel(x_ptr, y_ptr, n, BLOCK):`" in text


def test_feedback_incorrect_shows_the_mismatch_and_diagnosis():
    ref = _ref(8, 64)
    out = ref * torch.arange(2.0, 10.0)[:, None]
    mismatch = {"output": 0, **diagnose_mismatch(out, ref, 1e-3, 1e-3)}
    o = _outcome(
        Status.incorrect,
        checks=[Check(name="output matches (seed 1)", passed=False, detail="max abs error 9.1")],
        details={"mismatch": mismatch},
    )
    text = render_feedback(o, "code", "full")
    assert "512 of 512 elements wrong (100%)" in text
    assert "first wrong: [0, 0] got" in text
    assert "Diagnosis: Each row is off by its own constant factor" in text
    assert "Failed check: output matches (seed 1): max abs error 9.1" in text


def test_feedback_out_of_bounds_names_the_access_not_an_output():
    # The judge's finding from the replay's bounds check (sandbox/bounds.py): no output compared.
    detail = "kernel k, line 9 (`x = tl.load(x_ptr + offs)`): a load by 3 of its 8 active lanes"
    o = _outcome(
        Status.incorrect,
        checks=[Check(name="memory in bounds (seed 1)", passed=False, detail=detail)],
        details={"mismatch": {"pattern": "out_of_bounds", "diagnosis": DIAGNOSES["out_of_bounds"]}},
    )
    text = render_feedback(o, "code", "full")
    assert f"Failed check: memory in bounds (seed 1): {detail}" in text
    assert "Diagnosis: A load or store reached memory outside every tensor" in text
    assert "Where the output differs" not in text


def test_feedback_rejected_quotes_the_contract_rule():
    o = _outcome(
        Status.rejected,
        message="no torch compute in forward: forward computed with PyTorch ops: aten.mm x1",
        checks=[Check(name="no torch compute in forward", passed=False, detail="aten.mm x1")],
        details={"rule": "torch compute in forward"},
    )
    text = render_feedback(o, "code", "full")
    assert f"Rule broken: {RULES['torch_compute'].text}" in text


@pytest.mark.parametrize(
    ("said", "rule"),
    [
        ("torch compute in forward", "torch_compute"),
        ("forbidden import threading: threads", "concurrency"),
        ("subprocesses", "concurrency"),
        ("work after forward returned", "concurrency"),
        ("reaching into other objects (gc.get_objects)", "introspection"),
        ("reading interpreter frames (sys._getframe)", "introspection"),
        ("patching: assigns torch.matmul", "patching"),
        ("it equals the reference of an earlier trial", "caching"),
        ("physically impossible time: 0.001 ms", "impossible_time"),
        ("forward launched no Triton kernel", "no_kernel"),
    ],
)
def test_contract_rule_for_checker_words(said, rule):
    found = rule_for(said)
    assert found is not None and found.key == rule


def test_feedback_correct_on_the_cpu_says_timing_is_not_measured():
    text = render_feedback(_outcome(Status.correct, message="Correct on 3 seeds."), "c", "full")
    assert "## Result: correct" in text
    assert "Timing is not measured in the CPU interpreter" in text


@pytest.mark.parametrize(
    ("bound_by", "advice"), [("memory", "move fewer bytes"), ("compute", "tensor cores")]
)
def test_feedback_correct_on_a_gpu_reports_speed_and_bound(bound_by, advice):
    o = _outcome(
        Status.correct,
        timing=Timing(candidate_ms=0.5, eager_ms=1.0, compiled_ms=0.75, speedup_eager=2.0,
                      speedup_compiled=1.5),
        roofline=Roofline(bytes=2**30, flops=2**20, bound_ms=0.3, pct_of_bound=60.0,
                          bound_by=bound_by),
    )  # fmt: skip
    text = render_feedback(o, "c", "full")
    assert "Time: 0.5 ms; eager PyTorch 1 ms (2x); torch.compile 0.75 ms (1.5x)." in text
    assert f"Roofline: 60.0% of the bound 0.3 ms (1.07 GB, 1.05 MFLOP; {bound_by}-bound)." in text
    assert advice in text
    assert advice not in render_feedback(o, "c", "contract")


def test_feedback_other_statuses():
    for status, words in [
        (Status.timeout, "Hint: look for a loop whose bound never moves"),
        (Status.crashed, "## Result: crashed"),
        (Status.runtime_error, "## Result: runtime error"),
        (Status.format_error, "Answer with exactly one ```python block"),
    ]:
        assert words in render_feedback(_outcome(status), "", "full"), status


def test_feedback_without_diagnosis_is_raw():
    o = _outcome(Status.compile_error, details={"traceback": TRITON_ERROR})
    text = render_feedback(o, CODE, "contract")
    assert "Hint:" not in text and "At line" not in text
    assert "arange's arguments must be of type tl.constexpr" in text  # the raw traceback
    ref = _ref(8, 64)
    mismatch = diagnose_mismatch(ref * 2, ref, 1e-3, 1e-3)
    o = _outcome(Status.incorrect, details={"mismatch": mismatch})
    assert "Diagnosis:" in render_feedback(o, "", "full")
    assert "Diagnosis:" not in render_feedback(o, "", "bare")


@pytest.mark.parametrize("budget", [800, 2000, 6000])
def test_feedback_fits_its_budget_cutting_long_output_from_the_middle(budget):
    output = "HEAD-LINE\n" + "".join(f"noise line {i}\n" for i in range(5000)) + "TAIL-LINE\n"
    o = _outcome(Status.runtime_error, output=output, details={"traceback": PY_ERROR * 20})
    text = render_feedback(o, CODE, "full", budget_chars=budget)
    assert len(text) <= budget
    assert "characters cut" in text
    assert "## Result: runtime error" in text
    if budget >= 2000:
        assert "HEAD-LINE" in text and "TAIL-LINE" in text


def test_cut_middle():
    text = "a" * 50 + "b" * 50
    assert cut_middle(text, 200) == text
    cut = cut_middle(text, 60)
    assert len(cut) <= 60 and cut.startswith("a") and cut.endswith("b") and "cut" in cut
