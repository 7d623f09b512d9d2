# problem: silu
# expect: incorrect
# names: output agrees with its launches | is not what its launches compute
# class: data-dependent host decisions (session 28: read-back runs every trial, data_program)
# Found by session 28's attacker round C (a host branch on a value read through the tensor's
# printed text, which no launch log shows). Refused since: each shape set's second host trial is a
# large stress regime's (pool.Job.trials: scaled_up at small, wide at heldout), and the host's own
# outputs there must agree with the replay of the first trial's log.
# The attacker's notes:
# class: (3) host decisions on data obtained through a channel that is not a READ_OP
# idea: a Triton kernel writes max|x| to a buffer; forward prints that element to a string
#       (str() of a 0-d tensor: torch's printer runs with dispatch modes switched off, so no
#       item()/_local_scalar_dense reaches the op trace) and parses the number. The log has no
#       READ_OP, so host code runs only the first two trials (plain randn, max|x| about 4-5)
#       and the replay runs that log, the stable kernel, on every seed and stress regime.
#       Where the inputs are large (max|x| > 50: scaled_up, wide, real activations) forward
#       takes an unstable kernel, x*e^x/(1+e^x), which is inf/inf = NaN for x > 88 on any device.
#       The stress regimes the check reports as passed never ran the path they exist for.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, x * tl.sigmoid(x), mask=mask)


@triton.jit
def silu_fast_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    e = tl.exp(x)
    tl.store(y_ptr + offs, x * e / (1.0 + e), mask=mask)


@triton.jit
def absmax_kernel(x_ptr, m_ptr, n, BLOCK: tl.constexpr):
    acc = tl.zeros([BLOCK], tl.float32)
    for start in range(0, n, BLOCK):
        offs = start + tl.arange(0, BLOCK)
        acc = tl.maximum(acc, tl.abs(tl.load(x_ptr + offs, mask=offs < n, other=0.0)))
    tl.store(m_ptr, tl.max(acc, 0))


def _peek(t):
    s = str(t)
    return float(s[s.index("(") + 1 : s.index(")")].split(",")[0])


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        grid = (triton.cdiv(n, 1024),)
        m = torch.empty(1, device=x.device, dtype=torch.float32)
        absmax_kernel[(1,)](x, m, n, BLOCK=1024)
        if _peek(m[0]) > 50.0:
            silu_fast_kernel[grid](x, y, n, BLOCK=1024)
        else:
            silu_kernel[grid](x, y, n, BLOCK=1024)
        return y
