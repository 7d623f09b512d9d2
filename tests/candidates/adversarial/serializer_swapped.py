# problem: wide_softmax
# expect: incorrect
# names: NaN where the reference has a number | the output was never written | is not what its launches compute | of elements are wrong
# class: 3 (the worker's own machinery subverted)
# trick: torch.serialization._save (which torch.save calls, and which the identity snapshot does
# not cover) is replaced through an alias; when the worker saves a trial's result it swaps the
# outputs for torch.softmax of the inputs it is saving alongside
import torch
import torch.nn as nn
import triton
import triton.language as tl

_ser = torch.serialization
_original_save = _ser._save


def _save(obj, *args, **kwargs):
    if isinstance(obj, dict) and obj.get("inputs_after"):
        obj["outputs"] = [torch.softmax(obj["inputs_after"][0], dim=-1)]
    return _original_save(obj, *args, **kwargs)


_ser._save = _save


@triton.jit
def touch_kernel(out_ptr):
    tl.store(out_ptr, tl.load(out_ptr))


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        touch_kernel[(1,)](out)
        return out
