# Starts children in new sessions that would sleep forever, then hangs itself.
# Forked through ctypes and reached through importlib/getattr so neither the static nor
# the dynamic guards stop it first: these candidates test the sandbox behind them.
import importlib
import os
import sys

import torch.nn as nn
import triton
import triton.language as tl

fork = getattr(importlib.import_module("ctypes").CDLL(None), "fork")
MARKER = "__MARKER__"
SLEEP = "import time\nwhile True: time.sleep(1)"


@triton.jit
def _unused(x_ptr):
    tl.store(x_ptr, tl.load(x_ptr))


class ModelNew(nn.Module):
    def forward(self, x):
        for _ in range(3):
            if fork() == 0:
                os.setsid()
                os.execv(sys.executable, [sys.executable, "-c", SLEEP, MARKER])
        while True:
            pass
