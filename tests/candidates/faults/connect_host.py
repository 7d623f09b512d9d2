# Connects to a loopback port and to a unix socket on the host (where an engine's socket
# would be), both of which the test listens on, then answers correctly.
# The socket module is found in sys.modules by names built at run time, a route the guards
# do not close (an in-process check cannot close them all): these candidates test the
# sandbox behind them.
import sys

import torch
import torch.nn as nn
import triton
import triton.language as tl

socket = getattr(sys, "mod" + "ules")["so" + "cket"]
PORT = __PORT__
UNIX_SOCKET = "__UNIX_SOCKET__"


@triton.jit
def _scale_shift(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(y_ptr + offs, 2.0 * x + 1.0, mask=mask)


def reach(family, address) -> None:
    try:
        with socket.socket(family) as s:
            s.settimeout(2)
            s.connect(address)
            s.sendall(b"escaped")
    except OSError:
        pass


class ModelNew(nn.Module):
    def forward(self, x):
        reach(socket.AF_INET, ("127.0.0.1", PORT))
        reach(socket.AF_UNIX, UNIX_SOCKET)
        y = torch.empty_like(x)
        _scale_shift[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
        return y
