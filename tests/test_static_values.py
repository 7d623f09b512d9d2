"""What Triton's compiler fixes while it compiles a kernel, held against what the interpreter
computes (sandbox/static_values.py): each kernel here is compiled as the compile process
compiles it (in a process of its own, where Triton is not the interpreter's) and replayed as the
trusted replay runs it on a CPU, probed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
import torch

from kernelwright.sandbox import interp_rewrite, launch_signature, static_values
from kernelwright.sandbox.launchlog import Buffer, Const, Launch, LaunchLog, TensorRef

# Each side in a process of its own, as in a check: the compile process's (aot.compile_one, as
# far as Triton's front end) and the replay's (Triton imported as the interpreter's).
COMPILE = """
import json, sys
from pathlib import Path
from kernelwright.hardware import TARGETS
from kernelwright.sandbox import aot
folder = Path(sys.argv[1])
jits, extracted = aot.load_kernels((folder / "candidate.py").read_text(), folder)
record = json.loads((folder / "step.json").read_text())["record"]
report = aot.compile_one(jits["k"], record, TARGETS["h100"], extracted, folder, front_end=True)
(folder / "compiled.json").write_text(json.dumps({"error": report.error, "statics": report.statics}))
"""
REPLAY = """
import json, sys
from pathlib import Path
import torch
from kernelwright.sandbox.launchlog import LaunchLog
from kernelwright.sandbox.replay import Replay, load_kernels
folder = Path(sys.argv[1])
kernels, probe = load_kernels((folder / "candidate.py").read_text(), folder, True)
log = LaunchLog.model_validate(json.loads((folder / "step.json").read_text())["log"])
x, y = torch.load(folder / "x.pt"), torch.zeros(torch.load(folder / "x.pt").shape)
(out,) = Replay(log, [x, y], {}, "cpu", probe=probe).run(kernels, lambda name: True)
torch.save(out, folder / "out.pt")
(folder / "probed.json").write_text(json.dumps(probe.dump()))
"""

N, BLOCK = 200, 64
HEAD = "import triton\nimport triton.language as tl\n"


def _ref(buffer: int) -> TensorRef:
    return TensorRef(buffer=buffer, dtype="float32", offset=0, shape=[N], strides=[1])


def replay(tmp_path, source: str, x: torch.Tensor, compile_error=False, **constexprs):
    """``k[(cdiv(N, BLOCK),)](x, y, N, BLOCK=BLOCK, **constexprs)`` compiled and replayed:
    (y, the first disagreement or None); with ``compile_error``, the compile's error."""
    source = HEAD + textwrap.dedent(source)
    step = Launch(
        kernel="k",
        grid=[-(-N // BLOCK), 1, 1],
        params={
            "x_ptr": _ref(0),
            "y_ptr": _ref(1),
            "n": Const(type="int", value=N),
            "BLOCK": Const(type="int", value=BLOCK),
            **{k: Const(type=type(v).__name__, value=v) for k, v in constexprs.items()},
        },
        constexprs=["BLOCK", *constexprs],
        options={},
    )
    record = launch_signature.record(step)
    buffers = [Buffer(kind="input", nbytes=4 * N, input=i) for i in range(2)]
    log = LaunchLog(buffers=buffers, steps=[step], outputs=[_ref(1)])
    (tmp_path / "candidate.py").write_text(source)
    (tmp_path / "step.json").write_text(json.dumps({"record": record, "log": log.model_dump()}))
    torch.save(x, tmp_path / "x.pt")
    plain = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    for script, env in ((COMPILE, plain), (REPLAY, {**plain, "TRITON_INTERPRET": "1"})):
        run = subprocess.run(
            [sys.executable, "-c", script, str(tmp_path)], env=env, capture_output=True, text=True
        )
        assert run.returncode == 0, run.stderr[-3000:]
    compiled = json.loads((tmp_path / "compiled.json").read_text())
    if compile_error:
        return compiled["error"]
    assert compiled["error"] is None, compiled["error"]
    statics = static_values.Statics.load(compiled["statics"])
    key = json.dumps(record, sort_keys=True, default=str)
    probed = json.loads((tmp_path / "probed.json").read_text())
    out = torch.load(tmp_path / "out.pt")
    return out, static_values.disagreement(probed, {key: statics}), statics


def test_the_compilers_own_meaning_of_print_is_caught(tmp_path):
    x = torch.randn(N)
    out, why, _ = replay(
        tmp_path,
        """
        @triton.jit
        def k(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
            offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
            if print is tl.device_print:
                tl.store(y_ptr + offs, tl.zeros((BLOCK,), tl.float32), mask=offs < n)
            else:
                tl.store(y_ptr + offs, tl.load(x_ptr + offs, mask=offs < n), mask=offs < n)
        """,
        x,
    )
    assert torch.equal(out, x)  # what the interpreter ran; the compiled kernel stores zeros
    assert why is not None
    assert "(line 7)" in why  # the `if`, in the source as written
    assert "folds `print is tl.device_print` to True" in why
    assert "computes False" in why


HONEST = """
@triton.jit
def half(v, K: tl.constexpr):
    if K == 1:
        return v * 0.5
    return v * (0.5 ** K) * (2 ** (K - 1))


@triton.jit
def add(a, b):
    return a + b


@triton.jit
def k(x_ptr, y_ptr, n, BLOCK: tl.constexpr, SCALE: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    c = 0.7978845608  # a float the interpreter stores as float32 and the compiler does not
    d = c * 0.044715 * SCALE
    width = "größe" == "größe" and BLOCK * 2 > 64 and x.dtype == tl.float32
    acc = tl.zeros((BLOCK,), tl.float32)
    for i in tl.static_range(3):
        if i * 2 < 4 and width:
            acc += x * (i + 1)
    acc = half(acc, 1) + half(acc, 2) * (d > 0.0356)
    total = tl.reduce(acc, 0, add)
    tl.store(y_ptr + offs, acc + 0.0 * total, mask=mask)
"""


def test_an_honest_kernel_agrees(tmp_path):
    """Helpers compiled at two specialisations, a static_range unrolled, floats the compiler
    keeps in double precision, a combine function, text after non-ASCII characters."""
    x = torch.randn(N)
    out, why, statics = replay(tmp_path, HONEST, x, SCALE=1.0)
    assert why is None
    torch.testing.assert_close(out, 3 * x)
    specs = {spec for spec, *_ in statics.values}
    assert len(specs) >= 3  # the kernel and half() at K=1 and at K=2, told apart
    assert statics.unrolled  # the static_range loop


@pytest.mark.parametrize(
    "change, where",
    [
        # in a helper, at one of its two specialisations only
        ("if K == 1:", "if (K == 1) != (print is tl.device_print):"),
        # in one iteration of an unrolled loop
        (
            "if i * 2 < 4 and width:",
            "if (i * 2 < 4) != ((i == 1) and (min is tl.core.builtin_min)):",
        ),
        # in a combine function Triton's reduce calls
        ("return a + b", "return a + b * (max is tl.core.builtin_max)"),
    ],
    ids=["helper", "static_range", "combine"],
)
def test_a_disagreement_anywhere_is_caught(tmp_path, change, where):
    source = HONEST.replace(change, where)
    assert source != HONEST
    _, why, _ = replay(tmp_path, source, torch.randn(N), SCALE=1.0)
    assert why is not None and "folds" in why


def test_the_probes_keep_every_line(tmp_path):
    text = HEAD + HONEST
    out, sites, calls = static_values.probed(text, {"half": 4, "add": 11, "k": 16}, "P", "C")
    assert len(out.splitlines()) == len(text.splitlines())
    assert "P(" in out and "C(" in out
    compile(out, "kernels.py", "exec")
    for sid, site in sites.items():
        assert site.text in text.splitlines()[site.line - 1], sid
    assert {s.function for s in sites.values()} == {"half", "add", "k"}
    assert {s.function for s in calls.values()} == {"k"}  # half and add call nothing


# A kernel that stores x where `ok` holds, zeros elsewhere; SETUP computes `ok`.
GATED = """
@triton.jit
def k(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    SETUP
    tl.store(y_ptr + offs, tl.where(ok, x, 0.0), mask=mask)
"""


@pytest.mark.parametrize(
    "setup, compiled, interpreted",
    [
        # `and` returns its last operand in Python (7), the compiler keeps the tensor n
        ("ok = (n and 7) * 3 == 21", None, None),
        # a comprehension's variable leaks into the kernel's scope compiled, not in Python
        (
            "v = 0\n    [v for v in (1, 2)]\n    ok = (x * 0.0 + v) == 0.0",
            "the constant 2",
            "int32",
        ),
    ],
    ids=["and_returns_an_operand", "comprehension_scope"],
)
def test_the_same_text_typed_otherwise_is_caught(tmp_path, setup, compiled, interpreted):
    """Where the compiled value is a tensor, its type (constexpr or tensor, dtype, shape) is
    held against the interpreter's at every probed expression and local name."""
    source = GATED.replace("SETUP", setup)
    if compiled is None:  # `and` on a tensor: refused by the compile, before any comparison
        error = replay(tmp_path, source, torch.randn(N), compile_error=True)
        assert error is not None and "use & / | instead" in error.splitlines()[-1]
        return
    _, why, _ = replay(tmp_path, source, torch.randn(N))
    assert why is not None and f"makes `v` {compiled}" in why and interpreted in why


def test_not_of_a_scalar_condition_reads_alike(tmp_path):
    """Python's `not` gives a bool, the compiler's an i1 scalar of the same value: kept (where the
    bool goes next, an arithmetic or a helper's parameter, it is probed and typed there)."""
    x = torch.randn(N)
    setup = "ok = x == x\n    if not (n > 0):\n        ok = x < x"
    out, why, _ = replay(tmp_path, GATED.replace("SETUP", setup), x)
    assert why is None and torch.equal(out, x)
    setup = "ok = (x * 0.0 + (not (n < 0)) * 65536 * 32768) != 0.0"
    _, why, _ = replay(tmp_path, GATED.replace("SETUP", setup), x)
    assert why is not None and "different meanings" in why  # True * 2**31: Python's int


@pytest.mark.parametrize(
    "expression",
    ["(n > 0) or (tl.atomic_add(y_ptr + offs, 1.0, mask=mask) > 0)", "0 < n < 1000", "n and 1"],
)
def test_and_or_and_chained_comparisons_on_a_tensor_are_refused(tmp_path, expression):
    """Python short-circuits at run time and returns an operand; the compiler evaluates every
    operand (the atomic runs compiled only) and returns their logical and/or."""
    source = GATED.replace("SETUP", f"ok = {expression}")
    error = replay(tmp_path, source, torch.randn(N), compile_error=True)
    assert error is not None and "use & / | instead" in error.splitlines()[-1]


def test_a_range_loop_variable_is_the_compiled_loops_tensor(tmp_path):
    """`range` and `tl.range` give their variable as the compiled loop does: a scalar tensor of
    the promoted bounds' type (int32 wraps at 2**31: i * 2**32 is 0), int64 bounds an int64."""
    setup = (
        "ok = x < x\n"
        "    for i in range(1, 2):\n"
        "        ok = ok | ((x * 0.0 + i * 65536 * 65536) == 0.0)\n"
        "    for j in tl.range(0, n.to(tl.int64), n, num_stages=2):\n"
        "        ok = ok & ((j + 2**40) > 2**40 - 1)"
    )
    x = torch.randn(N)
    out, why, statics = replay(tmp_path, GATED.replace("SETUP", setup), x)
    assert why is None
    assert torch.equal(out, x)  # the int32 product wrapped to 0, as compiled
    types = {v for key, values in statics.values.items() for v in values if key[2][4] == "Name"}
    assert ("tensor", "int64") in types and ("tensor", "int32") in types


def test_a_loops_variable_is_typed_by_its_bounds_and_counts_up_only():
    """``interp_rewrite.typed_loop``: the code generator's type (the integer promotion of the
    bounds and step as tensors), and a step known only at run time must be positive (scf.for
    never counts down; the code generator negates a constexpr step only)."""
    import numpy as np
    import triton.language as tl
    from triton.runtime.interpreter import TensorHandle

    def scalar(v, ty):
        return tl.tensor(TensorHandle(np.array([v], dtype=np.dtype(ty.name)), ty), ty)

    loop = interp_rewrite.typed_loop(range)
    trips = list(loop(0, 3))
    assert [t.dtype for t in trips] == [tl.int32] * 3
    assert [t.handle.data.item() for t in trips] == [0, 1, 2]
    # (int64 bounds: test_a_range_loop_variable_is_the_compiled_loops_tensor, interpreted)
    assert [t.handle.data.item() for t in loop(3, 0, -1)] == [3, 2, 1]  # a constexpr step
    with pytest.raises(RuntimeError, match="only counts up"):
        list(loop(3, 0, scalar(-1, tl.int32)))


def test_a_loops_iterator_is_not_inside_its_own_trips(tmp_path):
    """Two `tl.static_range` loops over one name, then a `range` loop over it: the code generator
    evaluates each iterator's arguments while the name still holds the earlier loop's last trip;
    those are keyed outside the loop, as the probes key them (session 26: the second loop's own
    `K` was a trip of the second loop compiled, of no loop interpreted)."""
    source = """
    @triton.jit
    def k(x_ptr, y_ptr, n, BLOCK: tl.constexpr, K: tl.constexpr):
        offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        x = tl.load(x_ptr + offs, mask=offs < n)
        ok = x == x
        for s in tl.static_range(K):
            ok = ok & ((x * 0.0 + s) < K)
        for s in tl.static_range(K - 1, -1, -1):
            ok = ok & ((x * 0.0 + s) >= 0)
        for s in range(0, K + n, BLOCK):
            ok = ok & ((x * 0.0 + s) >= 0)
        tl.store(y_ptr + offs, tl.where(ok, x, 0.0), mask=offs < n)
    """
    x = torch.randn(N)
    out, why, statics = replay(tmp_path, source, x, K=3)
    assert why is None, why
    assert torch.equal(out, x)
    assert len(statics.unrolled) == 2  # the two static_range loops, not the range loop


@pytest.mark.parametrize(
    "setup",
    [
        # Triton's fused-attention tutorial: `lo, hi = 0, start_m * BLOCK_M`
        "lo, hi = 0, n\n    ok = ((x * 0.0 + lo) == 0.0) & (hi == n)",
        # every leaf converted, nested tuples too: 2 * 2**31 wraps to 0 in int32 on both sides
        "(a, b), c = (2, 1.5), n\n    ok = (x * 0.0 + a * 65536 * 32768 + b * 0 + c * 0) == 0.0",
    ],
    ids=["tutorial", "nested_and_wrapping"],
)
def test_a_tuple_assigned_to_names_is_typed_leaf_by_leaf(tmp_path, setup):
    """The compiler converts an assignment's tuple value leaf by leaf (each constant an int32 or
    float32 tensor), the interpreter's rewrite of a tuple target does too (``interp_rewrite``),
    where it had kept Python's constants (session 26: a false reject of tutorial 06)."""
    x = torch.randn(N)
    out, why, _ = replay(tmp_path, GATED.replace("SETUP", setup), x)
    assert why is None, why
    assert torch.equal(out, x)


def test_a_tuple_assigned_to_one_name_is_still_compared(tmp_path):
    """`t = (n, 2)` is a tuple of two int32 tensors compiled, of a tensor and the int 2 in
    Python: still a disagreement (only tuple targets are converted leaf by leaf)."""
    setup = "t = (n, 2)\n    ok = (x * 0.0 + t[1] * 65536 * 32768) != 0.0"
    _, why, _ = replay(tmp_path, GATED.replace("SETUP", setup), torch.randn(N))
    assert why is not None and "different meanings" in why, why


# A combine function of the candidate's that a library function calls (inductor's decoupled
# look-back scan, y's first 96 bytes its scratch): no call site of the candidate's enters it.
THROUGH_A_LIBRARY = """
from torch._inductor.runtime import triton_helpers


@triton.jit
def comb(a, b):
    return a + b


@triton.jit
def k(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    one = tl.full([], 1, tl.int64)
    scratch = y_ptr.to(tl.pointer_type(tl.uint64))
    ex = triton_helpers.exclusive_scan_decoupled_lookback_64(scratch, one, pid, comb)
    x = tl.load(x_ptr + offs, mask=offs < n)
    tl.store(y_ptr + offs, tl.where(ex == pid, x, 0.0), mask=(offs >= 32) & (offs < n))
"""


@pytest.mark.parametrize("lie", [False, True], ids=["honest", "lies"])
def test_a_function_a_library_calls_is_held_to_its_own_specialisation(tmp_path, lie):
    source = THROUGH_A_LIBRARY
    if lie:
        source = source.replace("return a + b", "return a + b + 1000 * (print is tl.device_print)")
    x = torch.randn(N)
    out, why, statics = replay(tmp_path, source, x)
    torch.testing.assert_close(out[32:], x[32:])  # the interpreter's prefix is the program id
    assert any(mine for edges in statics.library.values() for _, _, mine in edges)
    if lie:  # held against the specialisation the scan compiled comb as, not refused
        assert why is not None and "folds `print is tl.device_print` to True" in why, why
    else:
        assert why is None, why
