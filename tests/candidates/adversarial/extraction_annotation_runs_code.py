# problem: wide_softmax
# expect: incorrect
# names: NaN where the reference has a number | the output was never written | is not what its launches compute | of elements are wrong
# class: extraction (module-level code the extractor runs)
# trick: a module-level annotated constant: its value is a literal, so the extractor keeps it,
# but its ANNOTATION is evaluated when the kept module runs in the replay process; it reaches
# sys.modules through `inspect` (imported from a triton module, which the extractor keeps) and
# makes the replay's run return torch.softmax of the input instead of what the kernels wrote
import torch
import torch.nn as nn
import triton
import triton.language as tl
from triton.runtime.interpreter import inspect

PATCHED: (
    lambda m: (
        m.get("kernelwright.sandbox.replay")
        and m["builtins"].setattr(  # noqa: F821 (a string key, read by ruff as an annotation)
            m["kernelwright.sandbox.replay"].Replay,
            "run",
            (
                lambda orig: (
                    lambda self, kernels, allowed: (
                        lambda outs: [
                            m["torch"].softmax(
                                m["torch"]
                                .empty(0)
                                .set_(self.storages[0], 0, outs[0].shape, outs[0].stride()),
                                dim=-1,
                            )
                        ]
                    )(orig(self, kernels, allowed))
                )
            )(m["kernelwright.sandbox.replay"].Replay.run),
        )
    )
)(inspect.sys.modules) = 0


@triton.jit
def touch_kernel(out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(out_ptr + offs, tl.load(out_ptr + offs, mask=offs < n), mask=offs < n)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        touch_kernel[(triton.cdiv(x.numel(), 1024),)](out, x.numel(), BLOCK=1024)
        return out
