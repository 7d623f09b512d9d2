"""What a compiled kernel says about itself: resources, occupancy, instructions.

NVIDIA: registers and the stack frame (spills: Triton kernels keep no local arrays, so every
byte of it is a spill) come from ``cuobjdump --dump-resource-usage`` on the cubin (the cuobjdump
bundled in Triton's wheel), instructions from the PTX that ptxas assembled: the families asked
about (tensor-core MMAs, asynchronous and bulk copies, vector width of global loads and stores)
are the SASS's one for one, and disassembling the cubin costs about 0.5 s per kernel while the
PTX is already in hand (over the bundled solutions' 188 kernel and target pairs the two
readings agree on every field). AMD:
registers, spills and scratch from the metadata the compiler writes into the AMDGCN assembly,
instructions from the assembly itself. Shared memory is what Triton launches the kernel with
(its metadata), for both.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from kernelwright.hardware import TargetSpec

# A PTX instruction: an optional predicate guard, then the opcode with its modifiers.
_PTX_OP = re.compile(r"^\s*(?:@!?%\w+\s+)?([a-z][a-z0-9_]*(?:\.[A-Za-z0-9_:]+)*)", re.M)
_PTX_BITS = re.compile(r"^[bfsu](8|16|32|64|128)$")
_CP_ASYNC_BYTES = re.compile(
    r"\bcp\.async\.c[ag]\.shared\S*\.global\S*\s+[^,]+,[^,]+,\s*(0x[0-9a-fA-F]+|\d+)"
)
_AMD_OP = re.compile(r"^\s+([a-z][a-z0-9_]*)(?:\s+(.*))?$", re.M)
_AMD_WIDTH = {
    "ubyte": 8,
    "sbyte": 8,
    "ushort": 16,
    "sshort": 16,
    "short": 16,
    "dword": 32,
    "dwordx2": 64,
    "dwordx3": 96,
    "dwordx4": 128,
    "b8": 8,
    "b16": 16,
    "b32": 32,
    "b64": 64,
    "b96": 96,
    "b128": 128,
}


@dataclass
class Resources:
    registers: int
    spill_bytes: int
    shared_bytes: int


@dataclass
class Instructions:
    tensor_core: list[str]
    async_copy: list[str]
    global_load_bits: int | None
    global_store_bits: int | None


@dataclass
class Occupancy:
    warps_per_sm: int  # 0: the block does not fit at all
    limit: str  # the resource that bounds it
    fits: bool
    why_not: str | None = None


def cuobjdump(cubin: bytes, *flags: str) -> str:
    import triton

    tool = Path(triton.__file__).parent / "backends" / "nvidia" / "bin" / "cuobjdump"
    with tempfile.NamedTemporaryFile(suffix=".cubin") as f:
        f.write(cubin)
        f.flush()
        done = subprocess.run(
            [str(tool), *flags, f.name], capture_output=True, text=True, timeout=60
        )
    if done.returncode != 0:
        raise RuntimeError(f"cuobjdump {' '.join(flags)}: {done.stderr.strip()[:300]}")
    return done.stdout


def nvidia_resources(usage: str, shared: int) -> Resources:
    m = re.search(r"REG:(\d+) STACK:(\d+) SHARED:(\d+) LOCAL:(\d+)", usage)
    if not m:
        raise RuntimeError(f"no resource usage in cuobjdump's output: {usage.strip()[:200]}")
    reg, stack, static_shared, local = map(int, m.groups())
    return Resources(registers=reg, spill_bytes=stack + local, shared_bytes=shared + static_shared)


def amd_resources(asm: str, shared: int) -> Resources:
    def field(name: str) -> int:
        m = re.search(rf"^\s*\.{name}:\s+(\d+)", asm, re.M)
        return int(m.group(1)) if m else 0

    scratch = re.search(r"; ScratchSize: (\d+)", asm)
    spill = int(scratch.group(1)) if scratch else field("private_segment_fixed_size")
    # .vgpr_count on CDNA counts the unified file: AccVGPRs are allocated after the VGPRs.
    registers = max(field("vgpr_count"), field("agpr_count"))
    return Resources(registers=registers, spill_bytes=spill, shared_bytes=shared)


def _ptx_width(op: str) -> int:
    """Bits per thread of a PTX global load/store: vector count x element type
    (ld.global.v4.b32 is 128, st.global.b16 is 16)."""
    parts = op.split(".")
    lanes = next((int(p[1:]) for p in parts if re.fullmatch(r"v[248]", p)), 1)
    bits = next((int(m.group(1)) for p in reversed(parts) if (m := _PTX_BITS.match(p))), 32)
    return lanes * bits


def nvidia_instructions(ptx: str, target: TargetSpec) -> Instructions:
    ops = _PTX_OP.findall(ptx)
    loads = [_ptx_width(o) for o in ops if o.startswith("ld.global.")]
    # cp.async reads global memory too, as wide as its byte count (16: LDGSTS.128 in SASS).
    loads += [8 * int(n, 0) for n in _CP_ASYNC_BYTES.findall(ptx)]
    stores = [_ptx_width(o) for o in ops if o.startswith("st.global.")]
    return Instructions(
        tensor_core=sorted({o for o in ops if re.match(target.tensor_core_ops, o)}),
        async_copy=sorted({o for o in ops if re.match(target.async_copy_ops, o)}),
        global_load_bits=max(loads, default=None),
        global_store_bits=max(stores, default=None),
    )


def _amd_width(op: str) -> int:
    return _AMD_WIDTH.get(op.rsplit("_", 1)[-1].removesuffix("_d16"), 32)


def amd_instructions(asm: str, target: TargetSpec) -> Instructions:
    code = asm.split(".end_amdgpu_metadata")[0]
    lines = [(m.group(1), f"{m.group(1)} {m.group(2) or ''}") for m in _AMD_OP.finditer(code)]
    ops = [op for op, _ in lines if not op.startswith(".")]
    loads = [op for op in ops if re.match(r"(global|buffer)_load_", op) and "lds" not in op]
    stores = [op for op in ops if re.match(r"(global|buffer)_store_", op)]
    return Instructions(
        tensor_core=sorted({o for o in ops if re.match(target.tensor_core_ops, o)}),
        async_copy=sorted({op for op, text in lines if re.match(target.async_copy_ops, text)}),
        global_load_bits=max(map(_amd_width, loads), default=None),
        global_store_bits=max(map(_amd_width, stores), default=None),
    )


def occupancy(target: TargetSpec, num_warps: int, res: Resources) -> Occupancy:
    """Resident warps (wavefronts) per SM (CU) and what bounds them, from the target's limits:
    registers (allocated per warp, in the target's granule, on each sub-partition / SIMD),
    shared memory (plus what the system reserves per block), resident warps, resident blocks."""
    threads = num_warps * target.warp_size
    if threads > target.max_threads_per_block:
        return Occupancy(
            0,
            "threads",
            False,
            f"{threads} threads per block; {target.arch_name} allows "
            f"{target.max_threads_per_block}",
        )
    if res.shared_bytes > target.smem_per_block:
        return Occupancy(
            0,
            "shared memory",
            False,
            f"needs {res.shared_bytes // 1024} KB of shared memory per block; "
            f"{target.arch_name} allows {target.smem_per_block // 1024} KB",
        )
    granule = target.reg_granule
    regs = max(granule, -(-res.registers // granule) * granule)
    per_partition = target.regs_per_sm // target.partitions
    warps_by_regs = target.partitions * (per_partition // (regs * target.warp_size))
    # Ties go to the chip's own ceilings (warps, blocks): a kernel at the hardware maximum is
    # not limited by its registers or shared memory.
    limits = {
        "warps": target.max_warps_per_sm // num_warps,
        "blocks": target.max_blocks_per_sm,
        "registers": warps_by_regs // num_warps,
        "shared memory": (
            target.smem_per_sm // (res.shared_bytes + target.smem_reserved_per_block)
            if res.shared_bytes
            else target.max_blocks_per_sm
        ),
    }
    limit = min(limits, key=lambda k: limits[k])
    blocks = limits[limit]
    if blocks == 0:
        return Occupancy(
            0,
            limit,
            False,
            f"{res.registers} registers x {threads} threads do not fit in one "
            f"{target.arch_name} SM",
        )
    return Occupancy(blocks * num_warps, limit, True)
