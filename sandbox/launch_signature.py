"""What a kernel was launched with, as the ahead-of-time compiler needs it, read off the launch
log (``launchlog.py``) the worker records for every trial.

One record per distinct binary: the kernel (its module-level name), each argument's type as
Triton specialises it, the constexpr values as launched (autotune and heuristics configs
included) and the launch options. Plain (non-constexpr) arguments are reduced to what Triton
specialises on (i32 or i64, equal to 1, divisible by 16, a pointer's 16-byte alignment), so
one record stands for every launch that compiles to the same binary.
"""

from __future__ import annotations

import json
from typing import Any

from kernelwright.sandbox.launchlog import (
    Const,
    Desc,
    Launch,
    LaunchLog,
    Seq,
    TensorRef,
    with_later,
)

# Distinct signatures compiled per candidate: each is a compile per target.
MAX_RECORDS = 32

# torch dtype -> Triton's type name for a pointer to it, and its size in bytes.
_DTYPES = {
    "float32": ("fp32", 4),
    "float16": ("fp16", 2),
    "bfloat16": ("bf16", 2),
    "float64": ("fp64", 8),
    "int64": ("i64", 8),
    "int32": ("i32", 4),
    "int16": ("i16", 2),
    "int8": ("i8", 1),
    "uint8": ("u8", 1),
    "uint16": ("u16", 2),
    "uint32": ("u32", 4),
    "uint64": ("u64", 8),
    "bool": ("i1", 1),
    "float8_e4m3fn": ("fp8e4nv", 1),
    "float8_e5m2": ("fp8e5", 1),
    "float8_e4m3fnuz": ("fp8e4b8", 1),
    "float8_e5m2fnuz": ("fp8e5b16", 1),
}


# What a compiled kernel takes besides pointers: scalars and constexpr literals.
SCALARS = frozenset(["int", "float", "bool", "none", "str", "tl_dtype"])


def foreign_argument(launch: Launch, pointer_params: set[str]) -> str | None:
    """Why no compiled kernel could be launched as ``launch`` was, or None. A tensor may only
    go to one of ``pointer_params`` (the kernel's own parameters that are not constexpr, read
    from its signature, never from the log), alone or inside a tuple (Triton compiles a tuple
    argument leaf by leaf); every other argument and option must be a scalar or a constexpr
    literal, or a tuple of them. Triton's interpreter hands a constexpr argument, and any
    object it does not convert (a list), to the body as it is: a tensor there is torch's
    data inside a "kernel", whose body can then compute with torch."""
    for name, arg in {**launch.params, **launch.options}.items():
        what = _foreign(arg, name in pointer_params)
        if what:
            return (
                f"{name} was passed {what}, which no compiled kernel takes: pass tensors to "
                "non-constexpr parameters (they become pointers), and scalars or literals "
                "otherwise, alone or in tuples"
            )
    return None


def _foreign(arg, pointer: bool) -> str | None:
    if isinstance(arg, TensorRef | Desc):
        return None if pointer else "a tensor for a constexpr parameter"
    if isinstance(arg, Const):
        return None if arg.type in SCALARS else f"a {arg.type}"
    if not arg.tuple:
        return "a list"
    return next((f"a tuple holding {w}" for a in arg.items if (w := _foreign(a, pointer))), None)


def int_spec(value: int) -> dict[str, Any]:
    if -(2**31) <= value < 2**31:
        ty = "i32"
    elif 2**63 <= value < 2**64:
        ty = "u64"
    else:
        ty = "i64"
    return {"kind": "int", "type": ty, "one": value == 1, "div16": value % 16 == 0}


def _constexpr(arg) -> dict[str, Any]:
    if isinstance(arg, Const) and arg.type == "tl_dtype":
        return {"kind": "dtype", "value": arg.value}
    if isinstance(arg, Const) and arg.type in ("int", "float", "bool", "none", "str"):
        return {"kind": "constexpr", "value": arg.value}
    if isinstance(arg, Seq) and arg.tuple:
        items = [_constexpr(a) for a in arg.items]
        if all(d["kind"] == "constexpr" for d in items):
            # A list in JSON: the compile reads a constexpr's lists back as the tuples they were.
            return {"kind": "constexpr", "value": [d["value"] for d in items]}
    return {"kind": "unsupported", "type": getattr(arg, "type", arg.k)}


def _arg(arg) -> dict[str, Any]:
    if isinstance(arg, TensorRef):
        name, size = _DTYPES.get(arg.dtype, (arg.dtype, 1))
        # Buffers start 16-byte aligned (every allocator kernelwright runs under aligns more).
        return {"kind": "tensor", "dtype": name, "aligned": arg.offset * size % 16 == 0}
    if isinstance(arg, Desc):
        name = _DTYPES.get(arg.base.dtype, (arg.base.dtype, 1))[0]
        # Triton's own spelling of a host descriptor's type (its launcher's specialisation).
        return {"kind": "tensordesc", "type": f"tensordesc<{name}{arg.block_shape}>"}
    if isinstance(arg, Seq):
        if arg.tuple:
            return {"kind": "tuple", "items": [_arg(a) for a in arg.items]}
        return {"kind": "unsupported", "type": "list"}
    if arg.type == "int":
        return int_spec(int(arg.value))
    if arg.type == "float":
        return {"kind": "float"}
    if arg.type == "bool":
        return {"kind": "bool"}
    return _constexpr(arg)


def record(launch: Launch) -> dict[str, Any]:
    """The compile record of one logged launch."""
    return {
        "kernel": launch.kernel,
        "args": {
            name: _constexpr(arg) if name in launch.constexprs else _arg(arg)
            for name, arg in launch.params.items()
        },
        "options": {k: c.value for k, c in launch.options.items() if c.value is not None},
    }


def records(logs: list[LaunchLog], limit: int = MAX_RECORDS) -> list[dict[str, Any]]:
    """The distinct records of every launch in these logs, in order, at most ``limit``."""
    seen: dict[str, dict[str, Any]] = {}
    for log in with_later(logs):
        for launch in log.launches:
            r = record(launch)
            seen.setdefault(json.dumps(r, sort_keys=True, default=str), r)
            if len(seen) >= limit:
                return list(seen.values())
    return list(seen.values())
