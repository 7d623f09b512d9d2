# problem: row_sum
# expect: incorrect
# names: is volatile or relaxed
# class: interpreter vs GPU execution (issue 14)
# Closed: a volatile load acquires nothing (interp_memory: only an atomic's sem orders; PTX
# ld.volatile is ld.relaxed.sys), so the partials read after the wait are unordered and the race
# names the volatile load. Correct on e8a3345 (a volatile load was taken as an acquire).
# On a GPU the compiled kernel is what runs. The attacker's notes:
# attack: every column block stores its partial and raises its flag with a release atomic; the
# last block of the row waits with a volatile load of the flags (a real wait) and then reads the partials
# with plain loads. A volatile load is not an acquire on a GPU (PTX ld.volatile is a relaxed
# access: no fence, later loads may be satisfied first or from a stale L1 line). races.py counts a
# volatile load as acquiring, so the release -> volatile-load pair is taken as ordering the
# partials' store before their load. (v1 had block 0 wait: the candidate's own sequential trial
# spun forever, `timeout`; the last block waits for nothing there, really waits interleaved.)
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def row_sum_kernel(
    x_ptr, part_ptr, flag_ptr, out_ptr, cols, BLOCKS: tl.constexpr, BLOCK: tl.constexpr
):
    row = tl.program_id(0)
    blk = tl.program_id(1)
    offs = blk * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + row * cols + offs, mask=offs < cols, other=0.0)
    tl.store(part_ptr + row * BLOCKS + blk, tl.sum(x, axis=0))
    tl.atomic_xchg(flag_ptr + row * BLOCKS + blk, 1, sem="release")
    if blk == BLOCKS - 1:
        idx = tl.arange(0, BLOCKS)
        ready = tl.sum(tl.load(flag_ptr + row * BLOCKS + idx, volatile=True), axis=0)
        while ready < BLOCKS:
            ready = tl.sum(tl.load(flag_ptr + row * BLOCKS + idx, volatile=True), axis=0)
        parts = tl.load(part_ptr + row * BLOCKS + idx)
        tl.store(out_ptr + row, tl.sum(parts, axis=0))


class ModelNew(nn.Module):
    def forward(self, x):
        rows, cols = x.shape
        blocks = triton.next_power_of_2(triton.cdiv(cols, 1024))
        part = torch.zeros(rows * blocks, device=x.device, dtype=torch.float32)
        flag = torch.zeros(rows * blocks, device=x.device, dtype=torch.int32)
        out = torch.empty(rows, device=x.device, dtype=torch.float32)
        row_sum_kernel[(rows, blocks)](x, part, flag, out, cols, BLOCKS=blocks, BLOCK=1024)
        return out
