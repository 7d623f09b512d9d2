# Starts children in new sessions, one of them double-forked, that would sleep forever,
# then answers correctly. MARKER is put in their argv so a test can look for them.
# Forked through ctypes, found in sys.modules by names built at run time: a route the static
# and dynamic guards do not close (an in-process check cannot close them all), which is why
# the sandbox behind them kills whatever a candidate leaves running. That is what this tests.
import os
import sys
import time

import torch
import torch.nn as nn
import triton
import triton.language as tl

fork = getattr(getattr(sys, "mod" + "ules")["ct" + "ypes"].CDLL(None), "fork")
MARKER = "__MARKER__"
SLEEP = "import time\nwhile True: time.sleep(1)"
started = []


def spawn_sleeper(daemon: bool) -> None:
    pid = fork()
    if pid == 0:
        os.setsid()
        if not daemon or fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c", SLEEP, MARKER])
        getattr(os, "_exit")(0)
    if daemon:
        os.waitpid(pid, 0)


@triton.jit
def _scale_shift(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(y_ptr + offs, 2.0 * x + 1.0, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        if not started:
            for daemon in (False, False, False, True):
                spawn_sleeper(daemon)
            started.append(True)
            time.sleep(1.0)  # long enough for the test to see them alive
        y = torch.empty_like(x)
        _scale_shift[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
        return y
