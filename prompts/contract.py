"""The contract a candidate is held to: the rules the system prompt states and the feedback
quotes when a guard rejects a candidate. One table, so the two always say the same thing."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    key: str
    text: str  # as the prompt states it
    # Words in the checker's rule names and messages (sandbox.judge / sandbox.guards) that
    # point to this rule, so feedback can quote it.
    matches: tuple[str, ...]


# Torch calls that forward may use: allocation, views and layout.
ALLOWED_TORCH = (
    "torch.empty / empty_like / empty_strided / zeros / zeros_like / ones / full / arange",
    "view / reshape / permute / transpose / t / expand / squeeze / unsqueeze / flatten",
    "contiguous / clone / narrow / select / slicing / .to(device or dtype) / .shape / .stride()",
)

# How outputs are judged, as the prompt states it: the rule sandbox.verify and sandbox.judge
# apply, with its numbers taken from there so the two cannot drift apart.
JUDGED = (
    "Correctness: 3 or more fresh random seeds (weights and inputs you cannot predict), then "
    "the same inputs transformed into stress regimes (scaled by 1e-3 and by 100, shifted off "
    "zero so that some rows are all positive and others all negative, spread over 1e-3..1e2 per "
    "element; integer inputs, indices and masks untouched), for every shape set the problem "
    "declares and a held-out shape drawn for each check (sizes no declared set has, not "
    "multiples of your block sizes: one size stretched up to twice the largest declared one, "
    "the others near their smallest, so rows wider than your largest tile occur; and where "
    "a size such as a reduction's reaches no axis of the output, a second one with more than "
    "1024 rows and a few hundred columns of output together, that size near its smallest, "
    "so that many tiles both ways occur). Each output "
    "must stay within the "
    "problem's per-dtype tolerance, |out - ref| <= atol + rtol * |ref| (atol follows the "
    "reference's magnitude in a stress regime), and its rms error against a float64 reference "
    "may be at most {factor:g}x the error the reference itself makes at the problem's dtype "
    "(or what rounding alone costs, for tiny and 0-d outputs): compute a float32 "
    "problem in float32 (no fp16 intermediates, tl.dot with input_precision='ieee' or "
    "'tf32x3'); a different summation order is fine. NaN or Inf never match a number; inputs "
    "must come back unmodified."
)


def judged() -> str:
    from kernelwright.sandbox.verify import PRECISION_FACTOR

    return JUDGED.format(factor=PRECISION_FACTOR)


REJECTED = (
    Rule(
        "torch_compute",
        "PyTorch compute inside forward (arithmetic on tensors such as x + y or x * 2, "
        "torch.matmul, F.*, torch.sum, calling nn modules such as self.linear(x)), hiding it "
        "from the trace (dispatch modes, dispatch keys, redispatch), or computing on tensor "
        "memory read around it (DLPack, ctypes, /proc/self/mem): Triton kernels must compute "
        "every output value.",
        (
            "torch compute",
            "torch op",
            "pytorch op",
            "aten.",
            "trace of torch ops",
            "outside the dispatcher",
        ),
    ),
    Rule(
        "fallback",
        "Falling back to the reference: calling Model, the reference's modules, any "
        "library kernel or torch's compilers (torch.compile, dynamo, inductor) instead of "
        "writing your own.",
        ("fallback", "falls back", "falling back", "compilers write", "did not write"),
    ),
    Rule(
        "no_kernel",
        "A forward that launches no Triton kernel.",
        ("launched no", "no triton kernel", "launched a triton kernel"),
    ),
    Rule(
        "concurrency",
        "Threads, processes, subprocesses or side CUDA streams: launch on the current stream "
        "and finish before forward returns.",
        (
            "thread",
            "process",
            "subprocess",
            "stream",
            "fork",
            "signal",
            "after forward returned",
            "hidden from the timer",
        ),
    ),
    Rule(
        "patching",
        "Patching torch, triton, timers or anything you did not define; exec/eval of hidden "
        "code; writing into the checker's channels.",
        ("patch", "dynamic code", "forged", "verdict", "assigns"),
    ),
    Rule(
        "caching",
        "Caching outputs across calls: every call computes from its own inputs.",
        ("cach", "earlier trial", "timing runs"),
    ),
    Rule(
        "introspection",
        "Reading other objects through gc, inspect, sys._getframe, sys.modules, frames "
        "(tracebacks' included), tracing hooks or other modules' globals (to find the reference, "
        "its output or the inputs to come); importing kernelwright other than kwlib.",
        ("gc", "inspect", "frame", "globals", "reaching into", "tracing", "kernelwright"),
    ),
    Rule(
        "impossible_time",
        "A time below the physical bound (roofline): no honest kernel beats the hardware.",
        ("impossible", "below the hardware bound", "roofline"),
    ),
    Rule(
        "kernel_output",
        "Producing an output without a kernel: returning an input, a view of it, or a host "
        "copy (clone, contiguous, .to) of data no kernel wrote. Allocate each output in forward "
        "(torch.empty) and have a Triton kernel write every element.",
        (
            "not written by a kernel",
            "host op copied in",
            "never passed to a triton kernel",
            "(a view of)",
        ),
    ),
    Rule(
        "replayable",
        "Kernels the checker cannot replay from your source alone: every launched kernel must "
        "be a module-level @triton.jit function whose body is Triton only (no imports, NumPy or "
        "Python objects), and host code may pass kernels only tensors, numbers, strings and "
        "dtypes.",
        (
            "cannot be replayed",
            "launch log",
            "unreplayable",
            "only those are replayed",
            "read back",
        ),
    ),
    Rule(
        "plain_output",
        "Returning anything but plain torch.Tensor outputs (no subclasses or lazy objects).",
        ("plain tensor", "subclass"),
    ),
)

RULES = {r.key: r for r in REJECTED}


def rule_for(text: str) -> Rule | None:
    """The contract rule a checker's rule name or message refers to, if one is recognisable."""
    low = text.lower()
    for rule in REJECTED:
        for word in rule.matches:
            if re.search(rf"(?<![a-z]){re.escape(word)}", low):
                return rule
    return None
