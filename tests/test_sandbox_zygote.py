"""The zygote on its own: what it must never do, whatever the backend."""

from __future__ import annotations

import os
import subprocess
import sys

# The zygote's own preparation, then whatever asks torch for CUDA.
FORBIDDEN = """
import torch
from kernelwright.sandbox import worker, zygote
worker.prepare()
allow = zygote.forbid_cuda()
for ask in (lambda: torch.zeros(1, device="cuda"), torch.cuda.init, torch.cuda.current_device):
    try:
        ask()
    except zygote.CudaInZygote:
        print("refused")
    except Exception as e:
        print("not refused:", type(e).__name__)
allow()
try:
    torch.cuda.init()
except zygote.CudaInZygote:
    print("still refused")
except Exception:
    print("allowed again")
print("initialised:", torch.cuda.is_initialized())
"""


def test_the_zygote_never_initialises_cuda():
    # A CUDA context does not survive a fork: only the children may create one. On this
    # CPU-only torch, CUDA would fail anyway, but with torch's own error, not this one.
    env = {**os.environ, "TRITON_INTERPRET": "1"}
    done = subprocess.run(
        [sys.executable, "-c", FORBIDDEN], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines == ["refused"] * 3 + ["allowed again", "initialised: False"], done.stdout
