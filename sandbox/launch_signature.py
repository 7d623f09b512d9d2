"""What a kernel was launched with, as the ahead-of-time compiler needs it.

Recorded in the worker at the launch hook (``guards._wrap_launch``), for the interpreter and a
real GPU alike: the kernel (its module-level name), each argument's type as Triton
would specialise it, the constexpr values (autotune and heuristics configs included) and the
launch options. Values of plain (non-constexpr) arguments are reduced to what Triton
specialises on (i32 or i64, equal to 1, divisible by 16, a pointer's 16-byte alignment), so one
record stands for every launch that compiles to the same binary.
"""

from __future__ import annotations

import inspect
import json
from typing import Any

# Launch options the compile repeats; the rest (grid, warmup, stream) do not change the binary.
OPTIONS = (
    "num_warps",
    "num_stages",
    "num_ctas",
    "maxnreg",
    "waves_per_eu",
    "matrix_instr_nonkdim",
    "kpack",
)
_NOT_ARGS = {"grid", "warmup", *OPTIONS}
# Distinct signatures kept per candidate: each is a compile per target.
MAX_RECORDS = 32

# torch dtype -> Triton's type name for a pointer to it.
_DTYPES = {
    "float32": "fp32",
    "float16": "fp16",
    "bfloat16": "bf16",
    "float64": "fp64",
    "int64": "i64",
    "int32": "i32",
    "int16": "i16",
    "int8": "i8",
    "uint8": "u8",
    "uint16": "u16",
    "uint32": "u32",
    "uint64": "u64",
    "bool": "i1",
    "float8_e4m3fn": "fp8e4nv",
    "float8_e5m2": "fp8e5",
    "float8_e4m3fnuz": "fp8e4b8",
    "float8_e5m2fnuz": "fp8e5b16",
}


def _is_constexpr(annotation: Any) -> bool:
    if annotation is inspect.Parameter.empty:
        return False
    name = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    return "constexpr" in str(name)


def _constexpr_value(value: Any) -> dict[str, Any]:
    import triton.language as tl

    value = getattr(value, "value", value) if isinstance(value, tl.constexpr) else value
    if isinstance(value, tl.dtype):
        return {"kind": "dtype", "value": value.name}
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"kind": "constexpr", "value": value}
    return {"kind": "unsupported", "type": type(value).__name__}


def _int_spec(value: int) -> dict[str, Any]:
    if -(2**31) <= value < 2**31:
        ty = "i32"
    elif 2**63 <= value < 2**64:
        ty = "u64"
    else:
        ty = "i64"
    return {"kind": "int", "type": ty, "one": value == 1, "div16": value % 16 == 0}


def _arg(value: Any) -> dict[str, Any]:
    import torch

    if isinstance(value, torch.Tensor):
        dtype = str(value.dtype).removeprefix("torch.")
        return {
            "kind": "tensor",
            "dtype": _DTYPES.get(dtype, dtype),
            "aligned": value.data_ptr() % 16 == 0,
        }
    if value is None:
        return {"kind": "constexpr", "value": None}
    if isinstance(value, bool):
        return {"kind": "bool"}
    if isinstance(value, int):
        return _int_spec(value)
    if isinstance(value, float):
        return {"kind": "float"}
    return _constexpr_value(value)


def describe(kernel: Any, args: tuple, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The record of one launch of ``kernel`` (a JITFunction or InterpretedFunction)."""
    fn = kernel.fn
    params = inspect.signature(fn).parameters
    bound = dict(zip(kernel.arg_names, args, strict=False))
    bound.update({k: v for k, v in kwargs.items() if k not in _NOT_ARGS})
    described = {}
    for name, param in params.items():
        if name not in bound:
            continue  # the default value, which the compile finds in the source
        value = bound[name]
        described[name] = (
            _constexpr_value(value) if _is_constexpr(param.annotation) else _arg(value)
        )
    return {
        "kernel": fn.__name__,
        "args": described,
        "options": {k: kwargs[k] for k in OPTIONS if kwargs.get(k) is not None},
    }


def key(record: dict[str, Any]) -> str:
    """Launches with equal keys compile to the same binary."""
    return json.dumps(record, sort_keys=True, default=str)
