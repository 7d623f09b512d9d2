# Starts children in new sessions that would sleep forever, then hangs itself.
# Forked through ctypes, found in sys.modules by names built at run time: a route the static
# and dynamic guards do not close (an in-process check cannot close them all), which is why
# the sandbox behind them kills whatever a candidate leaves running. That is what this tests.
import os
import sys

import torch.nn as nn
import triton
import triton.language as tl

fork = getattr(getattr(sys, "mod" + "ules")["ct" + "ypes"].CDLL(None), "fork")
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
