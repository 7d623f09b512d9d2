# Starts children in new sessions, one of them double-forked, that would sleep forever,
# then answers correctly. MARKER is put in their argv so a test can look for them.
# Reached through importlib/getattr so the static guards do not stop it first: these
# candidates test the sandbox behind them.
import importlib
import sys

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _scale_shift(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(y_ptr + offs, 2.0 * x + 1.0, mask=mask)


def scale_shift(x):
    x = x.contiguous()
    y = torch.empty_like(x)
    _scale_shift[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
    return y


subprocess = importlib.import_module("subprocess")
MARKER = "__MARKER__"
SLEEP = "import time\nwhile True: time.sleep(1)"
DAEMON = (
    "import os, subprocess, sys\n"
    "subprocess.Popen([sys.executable, '-c', sys.argv[1], sys.argv[2] + '-grandchild'],"
    " start_new_session=True)\n"
    "getattr(os, '_exit')(0)"
)


class ModelNew(nn.Module):
    def forward(self, x):
        for _ in range(3):
            subprocess.Popen([sys.executable, "-c", SLEEP, MARKER], start_new_session=True)
        subprocess.run([sys.executable, "-c", DAEMON, SLEEP, MARKER], check=True)
        return scale_shift(x)
