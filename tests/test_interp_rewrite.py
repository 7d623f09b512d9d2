"""The interpreter's rewrite of a kernel's text, made to read two kinds of text as Triton's
compiler does (sandbox/interp_rewrite.py), in the candidate's own trials: a kernel of the
candidate's module, run by Triton's interpreter after the zygote's installs
(``interp_memory.install``), with no probe and no replay of kernelwright's around it. What the
replay makes of the same text is in test_static_values.py, against the compiler's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

KERNEL = """
import triton
import triton.language as tl


@triton.jit
def k(x_ptr, y_ptr, n, BLOCK: tl.constexpr, STEP: tl.constexpr):
    pid = tl.program_id(0)
    nprog = tl.num_programs(0)
    # a persistent loop whose variable is widened, as a compiled loop's i32 allows
    for block in range(pid, tl.cdiv(n, BLOCK), nprog):
        offs = block.to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
        tl.store(y_ptr + offs, tl.load(x_ptr + offs, mask=offs < n), mask=offs < n)
    if pid == 0:
        lo, hi = 0, n  # Triton's fused-attention tutorial
        (a, b), c = (2, 1.5), pid
        t = (n, 2)
        for j in tl.range(0, n.to(tl.int64), n, num_stages=2):
            wide = j
        for i in range(3, 0, STEP):  # a constexpr step counting down, used as Python would
            inner = range(i)
            last = i
        for s in tl.static_range(2):
            static = type(s).__name__  # (an assignment makes a tensor of the int itself)
        INFO.append({
            "lo": str(lo.dtype), "hi": str(hi.dtype), "a": str(a.dtype), "b": str(b.dtype),
            "c": str(c.dtype), "t1": type(t[1]).__name__, "wide": str(wide.dtype),
            "last": [str(last.dtype), last.handle.data.item(), len(inner)], "static": static,
        })


INFO = []
"""

RUN = """
import json, sys
import torch
from kernelwright.sandbox import interp_memory
interp_memory.install()  # what the zygote does before any trial (worker.prepare)
sys.path.insert(0, sys.argv[1])
import candidate
x = torch.randn(1000)
y = torch.zeros(1000)
candidate.k[(3,)](x, y, 1000, BLOCK=64, STEP=-1)
print(json.dumps({"equal": torch.equal(x, y), "info": candidate.INFO}))
"""


def test_the_trials_interpreter_types_tuples_and_range_loops_as_compiled(tmp_path):
    (tmp_path / "candidate.py").write_text(textwrap.dedent(KERNEL))
    env = {**os.environ, "TRITON_INTERPRET": "1"}
    run = subprocess.run(
        [sys.executable, "-c", RUN, str(tmp_path)], env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr[-3000:]
    got = json.loads(run.stdout.splitlines()[-1])
    assert got["equal"]
    (info,) = got["info"]
    assert info == {
        "lo": "int32",
        "hi": "int32",
        "a": "int32",
        "b": "fp32",
        "c": "int32",
        "t1": "int",  # a tuple assigned to one name keeps Python's items (static_values compares)
        "wide": "int64",  # int64 bounds: an int64 variable
        "last": ["int32", 1, 1],
        "static": "int",  # a tl.static_range variable stays a constant
    }
