"""Hardware facts for the roofline: a datasheet table, lookup by device name, measured peaks.

Rates are dense (no 2:4 sparsity), in flop/s; bandwidth is peak device-memory bandwidth in
bytes/s. Where a datasheet quotes a rate "with sparsity" only, the dense rate is half of it.
Sources (public datasheets and product pages, read 2026-11):

- H100 SXM / PCIe / NVL: NVIDIA H100 Tensor Core GPU datasheet and product page,
  https://www.nvidia.com/en-us/data-center/h100/ (SM counts: NVIDIA Hopper architecture
  whitepaper; L2 and shared memory: CUDA C++ Programming Guide, compute capability 9.0).
- H200 SXM / NVL: https://www.nvidia.com/en-us/data-center/h200/ (same GH100 chip as the H100;
  the 60 MiB L2 is what PyTorch reported on this workplace's H200, .library/device/KINDS.md).
- A100: NVIDIA A100 Tensor Core GPU datasheet, https://www.nvidia.com/en-us/data-center/a100/
  (no FP8 units).
- L40S: NVIDIA L40S datasheet, https://www.nvidia.com/en-us/data-center/l40s/ (SM count and
  96 MB L2: NVIDIA Ada Lovelace architecture whitepaper; 100 KB shared memory per SM: CUDA
  C++ Programming Guide, compute capability 8.9).
- MI300X: AMD Instinct MI300X data sheet, https://www.amd.com/en/products/accelerators/instinct/
  mi300/mi300x.html, and the ROCm MI300 microarchitecture page (304 CUs, 64 KB LDS per CU,
  256 MB Infinity Cache).

Measured peaks (a device-to-device copy and large matrix products, timed with the project's one
timer) are cached in ``<cache root>/peaks/<device>-<torch>.json`` and preferred when present:
they are what a kernel on this machine can actually reach.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import json
import math
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

TERA = 1e12
KIB = 1024
MIB = 1024 * 1024

# Keys of the throughput table, in the order reports print them.
DTYPES = ("fp64", "fp32", "tf32", "bf16", "fp16", "fp8")


def cache_root() -> Path:
    """Root of kernelwright's on-disk caches: $KERNELWRIGHT_CACHE_DIR or ~/.cache/kernelwright."""
    env = os.environ.get("KERNELWRIGHT_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "kernelwright"


def write_json_atomic(path: Path, data: dict) -> None:
    """Write through a temporary file and rename, so concurrent workers never read half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)


@dataclass(frozen=True)
class HardwareSpec:
    """One device model's datasheet figures."""

    key: str
    name: str
    vendor: str
    bandwidth: float  # bytes/s, peak device memory
    fp64: float | None  # flop/s, dense; the fastest unit for the type (tensor/matrix if any)
    fp32: float | None  # plain fp32 (CUDA cores on NVIDIA; matrix cores on MI300X)
    tf32: float | None
    bf16: float | None
    fp16: float | None
    fp8: float | None
    sm_count: int  # SMs (NVIDIA) or CUs (AMD)
    smem_per_sm: int  # bytes of shared memory (LDS) per SM/CU
    l2_bytes: int  # last-level cache in front of device memory (MI300X: its Infinity Cache)
    mma_shapes: str
    source: str

    def throughput(self, dtype: str) -> float | None:
        if dtype not in DTYPES:
            raise ValueError(f"unknown dtype key {dtype!r}; one of {', '.join(DTYPES)}")
        return getattr(self, dtype)


_HOPPER_MMA = (
    "wgmma.mma_async m64nNk16 (bf16/fp16, N up to 256), m64nNk8 (tf32), m64nNk32 (fp8), "
    "issued by a warpgroup; mma.sync m16n8k16 also available"
)
_AMPERE_MMA = "mma.sync m16n8k16 (bf16/fp16), m16n8k8 (tf32), m8n8k4 (fp64)"
_ADA_MMA = "mma.sync m16n8k16 (bf16/fp16), m16n8k8 (tf32), m16n8k32 (fp8, sm_89)"
_CDNA3_MMA = (
    "MFMA 32x32x8 / 16x16x16 (bf16/fp16), 32x32x4 / 16x16x8 (xf32), 32x32x16 / 16x16x32 "
    "(fp8), per wavefront of 64"
)


def _h100_family(
    key: str,
    name: str,
    bandwidth_tb: float,
    sms: int,
    fp64: float,
    fp32: float,
    tf32_sparse: float,
    source: str,
    l2_mib: int = 50,
) -> HardwareSpec:
    # Hopper: bf16 = fp16 = 2x tf32 and fp8 = 4x tf32, all halved from the sparse figures.
    return HardwareSpec(
        key=key,
        name=name,
        vendor="nvidia",
        bandwidth=bandwidth_tb * TERA,
        fp64=fp64 * TERA,
        fp32=fp32 * TERA,
        tf32=tf32_sparse / 2 * TERA,
        bf16=tf32_sparse * TERA,
        fp16=tf32_sparse * TERA,
        fp8=tf32_sparse * 2 * TERA,
        sm_count=sms,
        smem_per_sm=228 * KIB,
        l2_bytes=l2_mib * MIB,
        mma_shapes=_HOPPER_MMA,
        source=source,
    )


def _a100(key: str, name: str, bandwidth_gb: float) -> HardwareSpec:
    return HardwareSpec(
        key=key,
        name=name,
        vendor="nvidia",
        bandwidth=bandwidth_gb * 1e9,
        fp64=19.5 * TERA,
        fp32=19.5 * TERA,
        tf32=156 * TERA,
        bf16=312 * TERA,
        fp16=312 * TERA,
        fp8=None,
        sm_count=108,
        smem_per_sm=164 * KIB,
        l2_bytes=40 * MIB,
        mma_shapes=_AMPERE_MMA,
        source="NVIDIA A100 datasheet",
    )


# Datasheet sparse tensor figures for the H100 family (TF32 with sparsity, TFLOP/s): SXM 989,
# PCIe 756, NVL 835; bf16/fp16 are twice that, fp8 four times.
SPECS: dict[str, HardwareSpec] = {
    s.key: s
    for s in (
        _h100_family(
            "h100-sxm",
            "NVIDIA H100 SXM5 80GB",
            3.35,
            132,
            67,
            67,
            989,
            "NVIDIA H100 datasheet (SXM5)",
        ),
        _h100_family(
            "h100-pcie",
            "NVIDIA H100 PCIe 80GB",
            2.0,
            114,
            51,
            51,
            756,
            "NVIDIA H100 datasheet (PCIe)",
        ),
        _h100_family(
            "h100-nvl",
            "NVIDIA H100 NVL 94GB",
            3.9,
            132,
            60,
            60,
            835,
            "NVIDIA H100 product page (NVL)",
        ),
        _h100_family(
            "h200-sxm",
            "NVIDIA H200 SXM 141GB",
            4.8,
            132,
            67,
            67,
            989,
            "NVIDIA H200 product page (SXM)",
            l2_mib=60,
        ),
        _h100_family(
            "h200-nvl",
            "NVIDIA H200 NVL 141GB",
            4.8,
            132,
            60,
            60,
            835,
            "NVIDIA H200 product page (NVL)",
            l2_mib=60,
        ),
        _a100("a100-sxm-80gb", "NVIDIA A100 SXM4 80GB", 2039),
        _a100("a100-sxm-40gb", "NVIDIA A100 SXM4 40GB", 1555),
        _a100("a100-pcie-80gb", "NVIDIA A100 PCIe 80GB", 1935),
        _a100("a100-pcie-40gb", "NVIDIA A100 PCIe 40GB", 1555),
        HardwareSpec(
            key="l40s",
            name="NVIDIA L40S",
            vendor="nvidia",
            bandwidth=864e9,
            fp64=None,
            fp32=91.6 * TERA,
            tf32=183 * TERA,
            bf16=362.05 * TERA,
            fp16=362.05 * TERA,
            fp8=733 * TERA,
            sm_count=142,
            smem_per_sm=100 * KIB,
            l2_bytes=96 * MIB,
            mma_shapes=_ADA_MMA,
            source="NVIDIA L40S datasheet",
        ),
        HardwareSpec(
            key="mi300x",
            name="AMD Instinct MI300X",
            vendor="amd",
            bandwidth=5.3 * TERA,
            fp64=163.4 * TERA,
            fp32=163.4 * TERA,
            tf32=653.7 * TERA,
            bf16=1307.4 * TERA,
            fp16=1307.4 * TERA,
            fp8=2614.9 * TERA,
            sm_count=304,
            smem_per_sm=64 * KIB,
            l2_bytes=256 * MIB,
            mma_shapes=_CDNA3_MMA,
            source="AMD Instinct MI300X data sheet",
        ),
    )
}

# --- Compile targets -----------------------------------------------------------------------
#
# A target is a chip kernelwright compiles for ahead of time, with or without having it. Limits
# are per SM (NVIDIA) or per CU (AMD). Sources, read 2026-12:
#
# - NVIDIA: CUDA C++ Programming Guide, "Technical Specifications per Compute Capability"
#   (registers per SM and per thread, resident warps and blocks per SM, shared memory per SM and
#   per block, 1 KB of shared memory reserved per block from 8.0 on); NVIDIA Ampere / Hopper /
#   Blackwell Tuning Guides (164 KB, 228 KB, 228 KB shared memory per SM, 163 / 227 / 227 KB per
#   block). Compute capability 12.0 (GeForce RTX 50, GB20x): 48 resident warps (1536 threads),
#   100 KB shared memory per SM and 99 KB per block as on 8.9, confirmed by deviceQuery on a
#   12.0 part (102400 bytes per multiprocessor, 1536 threads per multiprocessor).
#   Register allocation: 256 registers per warp (8 per thread), CUDA Occupancy Calculator.
#   SM counts: A100 datasheet (108), Hopper whitepaper (132 on H100/H200 SXM), NVIDIA DGX B200
#   / Blackwell architecture technical brief (148 per B200), GeForce RTX 5090 specifications
#   (170 SMs).
# - AMD: ROCm "AMD GPU specifications" table, https://rocm.docs.amd.com/en/latest/reference/
#   gpu-specs.html (MI300X: gfx942, 304 CUs, wavefront 64, 64 KiB LDS, 512 KiB VGPR file per
#   CU; MI355X: gfx950, 256 CUs, wavefront 64, 160 KiB LDS, 512 KiB VGPR file per CU); AMD
#   CDNA3 ISA reference guide (4 SIMDs per CU, up to 512 VGPRs per lane per wave counting the
#   256 AccVGPRs, allocated in blocks of 8, at most 8 waves per SIMD); LLVM AMDGPUUsage
#   (workgroups of at most 1024 work-items).
#
# Instruction families are regular expressions over PTX opcodes (NVIDIA, the PTX ptxas
# assembles) or AMDGCN mnemonics (AMD, from the compiler's assembly): what marks tensor/matrix
# cores (mma.sync is HMMA in SASS, wgmma.mma_async HGMMA, tcgen05.mma UTC*MMA), and what marks
# asynchronous or bulk copies from global memory (cp.async is LDGSTS; TMA's cp.async.bulk is
# UTMALDG / UTMASTG / UBLKCP; tcgen05.cp into tensor memory is UTCCP; AMD copies straight to LDS
# are buffer/global loads with the lds modifier).


@dataclass(frozen=True)
class TargetSpec:
    """One compile target: Triton's name for it and the limits that bound a compiled kernel."""

    key: str
    name: str
    backend: str  # Triton's backend: "cuda" or "hip"
    arch: int | str  # 90 for sm_90, "gfx942"
    warp_size: int
    processors: int  # SMs or CUs
    regs_per_sm: int  # 32-bit registers per SM / CU
    partitions: int  # SM sub-partitions (NVIDIA) or SIMDs (AMD) the register file is split over
    reg_granule: int  # registers per thread are allocated in multiples of this
    max_regs_per_thread: int
    smem_per_sm: int  # bytes of shared memory (LDS) per SM / CU
    smem_per_block: int  # the most one block (workgroup) may use
    smem_reserved_per_block: int  # taken by the system for each resident block
    max_warps_per_sm: int  # resident warps (wavefronts) per SM / CU
    max_blocks_per_sm: int  # resident blocks (workgroups) per SM / CU
    max_threads_per_block: int
    tensor_core_ops: str  # regex over opcodes
    async_copy_ops: str  # regex over opcodes
    source: str

    @property
    def arch_name(self) -> str:
        return f"sm_{self.arch}" if self.backend == "cuda" else str(self.arch)

    @property
    def vendor(self) -> str:
        return "nvidia" if self.backend == "cuda" else "amd"


def _nvidia_target(key, name, arch, sms, smem_sm_kb, smem_block_kb, warps, tensor, copies, src):
    return TargetSpec(
        key=key,
        name=name,
        backend="cuda",
        arch=arch,
        warp_size=32,
        processors=sms,
        regs_per_sm=64 * 1024,
        partitions=4,
        reg_granule=8,
        max_regs_per_thread=255,
        smem_per_sm=smem_sm_kb * KIB,
        smem_per_block=smem_block_kb * KIB,
        smem_reserved_per_block=KIB,
        max_warps_per_sm=warps,
        max_blocks_per_sm=32,
        max_threads_per_block=1024,
        tensor_core_ops=tensor,
        async_copy_ops=copies,
        source=src,
    )


def _amd_target(key, name, arch, cus, lds_kb, src):
    return TargetSpec(
        key=key,
        name=name,
        backend="hip",
        arch=arch,
        warp_size=64,
        processors=cus,
        regs_per_sm=512 * KIB // 4,  # the 512 KiB VGPR file, in 32-bit registers
        partitions=4,
        reg_granule=8,
        max_regs_per_thread=512,
        smem_per_sm=lds_kb * KIB,
        smem_per_block=lds_kb * KIB,
        smem_reserved_per_block=0,
        max_warps_per_sm=32,  # 8 waves on each of 4 SIMDs
        max_blocks_per_sm=32,
        max_threads_per_block=1024,
        tensor_core_ops=r"^v_s?mfma",
        async_copy_ops=r"^(buffer|global)_load\S*\s.*\blds\b|^(buffer|global)_load_lds",
        source=src,
    )


_MMA_SYNC = r"mma\.sync|mma\.sp"  # HMMA, IMMA, DMMA in SASS
_CP_ASYNC = r"cp\.async\.c[ag]\."  # LDGSTS
_TMA = r"cp\.async\.bulk\.(?!commit_group|wait_group)"  # UTMALDG, UTMASTG, UBLKCP, UTMAPF
TARGETS: dict[str, TargetSpec] = {
    t.key: t
    for t in (
        _nvidia_target(
            "a100",
            "NVIDIA A100",
            80,
            108,
            164,
            163,
            64,
            rf"^({_MMA_SYNC})",
            rf"^({_CP_ASYNC})",
            "CUDA C++ Programming Guide (8.0)",
        ),
        _nvidia_target(
            "h100",
            "NVIDIA H100 SXM",
            90,
            132,
            228,
            227,
            64,
            rf"^(wgmma\.mma_async|{_MMA_SYNC})",
            rf"^({_CP_ASYNC}|{_TMA})",
            "CUDA C++ Programming Guide (9.0); Hopper Tuning Guide",
        ),
        _nvidia_target(
            "h200",
            "NVIDIA H200 SXM",
            90,
            132,
            228,
            227,
            64,
            rf"^(wgmma\.mma_async|{_MMA_SYNC})",
            rf"^({_CP_ASYNC}|{_TMA})",
            "CUDA C++ Programming Guide (9.0); same GH100 SM as the H100",
        ),
        _nvidia_target(
            "b200",
            "NVIDIA B200",
            100,
            148,
            228,
            227,
            64,
            rf"^(tcgen05\.mma|{_MMA_SYNC})",
            rf"^({_CP_ASYNC}|{_TMA}|tcgen05\.cp)",
            "CUDA C++ Programming Guide (10.0); Blackwell Tuning Guide",
        ),
        _nvidia_target(
            "rtx5090",
            "NVIDIA GeForce RTX 5090",
            120,
            170,
            100,
            99,
            48,
            rf"^({_MMA_SYNC})",
            rf"^({_CP_ASYNC}|{_TMA})",
            "CUDA C++ Programming Guide (12.0); deviceQuery of a 12.0 part",
        ),
        _amd_target(
            "mi300x",
            "AMD Instinct MI300X",
            "gfx942",
            304,
            64,
            "ROCm GPU specifications; AMD CDNA3 ISA",
        ),
        _amd_target(
            "mi355x",
            "AMD Instinct MI355X",
            "gfx950",
            256,
            160,
            "ROCm GPU specifications; AMD CDNA4 ISA",
        ),
    )
}

# The targets a check compiles for when none are named: the two most common data-centre chips
# of each vendor's current generation, plus the machine's own GPU (added by resolve_targets).
DEFAULT_TARGETS = ("h100", "mi300x")

# Datasheet keys (lookup()) to the target their chip compiles as.
_TARGET_OF_SPEC = {"mi300x": "mi300x", "l40s": None}


class TargetError(ValueError):
    """A --target(s) value that names no target; the message lists the known ones."""


def target_for_device(device_name: str | None) -> TargetSpec | None:
    """The compile target of a torch.cuda.get_device_name() string; None when unknown."""
    spec = lookup(device_name)
    if spec is None:
        name = (device_name or "").lower()
        for pattern, key in (
            (r"\bb200\b", "b200"),
            (r"\brtx 50\d0\b", "rtx5090"),
            (r"\bmi35\dx\b", "mi355x"),
        ):
            if re.search(pattern, name):
                return TARGETS[key]
        return None
    if spec.key in _TARGET_OF_SPEC:
        key = _TARGET_OF_SPEC[spec.key]
        return TARGETS[key] if key else None
    return TARGETS[spec.key.split("-")[0]]


# Target keys to their datasheet entry (SPECS), where the table has one.
_SPEC_OF_TARGET = {
    "a100": "a100-sxm-80gb",
    "h100": "h100-sxm",
    "h200": "h200-sxm",
    "mi300x": "mi300x",
}


def target_facts(key: str) -> dict:
    """A target's facts for the prompt (prompts.render.TargetFacts): the compile limits, and
    the datasheet's rates where the table has the chip. Raises TargetError."""
    if key not in TARGETS:
        raise TargetError(f"unknown target {key!r}: choose from {', '.join(TARGETS)}")
    t = TARGETS[key]
    facts: dict = {
        "name": t.name,
        "arch": t.arch_name,
        "sms": t.processors,
        "smem_per_sm_kb": t.smem_per_sm / KIB,
        "smem_per_block_kb": t.smem_per_block / KIB,
        "warp_size": t.warp_size,
        "max_regs_per_thread": t.max_regs_per_thread,
        "max_warps_per_sm": t.max_warps_per_sm,
        "compiled_ahead": True,
    }
    spec = SPECS.get(_SPEC_OF_TARGET.get(key, ""))
    if spec is not None:
        facts.update(
            bandwidth_gbs=spec.bandwidth / 1e9,
            tflops={d: spec.throughput(d) / TERA for d in DTYPES if spec.throughput(d)},
            l2_mb=spec.l2_bytes / MIB,
            tensor_core_shapes=spec.mma_shapes,
        )
    return facts


def resolve_targets(names: str | None, device_name: str | None = None) -> list[TargetSpec]:
    """``--targets``: a comma-separated list of keys, where ``default`` stands for the machine's
    GPU when it is a known target, then H100 and MI300X (also what None means); or ``all``, or
    ``none`` (no compile). Raises TargetError."""
    if names is None or not names.strip():
        names = "default"
    if names.strip() == "all":
        return list(TARGETS.values())
    if names.strip() == "none":
        return []
    own = target_for_device(device_name)
    default = ([own.key] if own else []) + list(DEFAULT_TARGETS)
    keys: list[str] = []
    for key in (k.strip().lower() for k in names.split(",")):
        if key != "default" and key not in TARGETS:
            raise TargetError(
                f"unknown target {key!r}: choose from {', '.join(TARGETS)}, default, all or none"
            )
        keys += default if key == "default" else [key]
    return [TARGETS[k] for k in dict.fromkeys(keys)]


# Patterns over the lower-cased device name, most specific first. torch.cuda.get_device_name()
# gives e.g. "NVIDIA H100 80GB HBM3" (SXM), "NVIDIA H100 PCIe", "NVIDIA H100 NVL",
# "NVIDIA H200", "NVIDIA A100-SXM4-80GB", "NVIDIA A100 80GB PCIe", "NVIDIA A100-PCIE-40GB",
# "NVIDIA L40S", "AMD Instinct MI300X" (and "... MI300X VF" under virtualisation).
_NAME_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"\bh200\b.*\bnvl\b", "h200-nvl"),
    (r"\bh200\b", "h200-sxm"),
    (r"\bh100\b.*\bnvl\b", "h100-nvl"),
    (r"\bh100\b.*\bpcie\b", "h100-pcie"),
    (r"\bh100\b.*\b(hbm3|sxm5?)\b", "h100-sxm"),
    (r"\ba100\b.*\bsxm4?\b.*\b80gb\b", "a100-sxm-80gb"),
    (r"\ba100\b.*\bsxm4?\b", "a100-sxm-40gb"),
    (r"\ba100\b.*\b80gb\b.*\bpcie\b", "a100-pcie-80gb"),
    (r"\ba100\b.*\bpcie\b", "a100-pcie-40gb"),
    (r"\bl40s\b", "l40s"),
    (r"\bmi300x\b", "mi300x"),
)


def lookup(device_name: str | None) -> HardwareSpec | None:
    """The datasheet entry for a torch.cuda.get_device_name() string; None when unknown."""
    if not device_name:
        return None
    name = re.sub(r"[-_]", " ", device_name.lower())
    for pattern, key in _NAME_PATTERNS:
        if re.search(pattern, name):
            return SPECS[key]
    return None


@dataclass(frozen=True)
class Peaks:
    """The ceilings the roofline uses for one device."""

    device: str
    bandwidth: float  # bytes/s
    flops: dict[str, float]  # dtype key -> flop/s; a missing key means no such unit is known
    l2_bytes: int | None
    source: str  # "datasheet", "measured", or "measured+datasheet" (measured where probed)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "_", text).strip("_")


def peaks_path(device_name: str, torch_version: str) -> Path:
    return cache_root() / "peaks" / f"{_slug(device_name)}-{_slug(torch_version)}.json"


# A measured ceiling far from the datasheet means the probe ran on a busy or throttled device
# (too low) or the timer is broken (too high); either way the datasheet is the better guess.
_SANE_MEASURED = (0.25, 1.15)


def _sane(measured: float, datasheet: float | None) -> bool:
    if datasheet is None:
        return measured > 0
    lo, hi = _SANE_MEASURED
    return lo * datasheet <= measured <= hi * datasheet


def load_measured(device_name: str, torch_version: str) -> dict | None:
    path = peaks_path(device_name, torch_version)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if data.get("device") != device_name or not isinstance(data.get("flops"), dict):
        return None
    return data


def peaks_for(device_name: str | None, torch_version: str | None = None) -> Peaks | None:
    """Measured peaks where cached and sane, else the datasheet; None for an unknown device."""
    if not device_name:
        return None
    if torch_version is None:
        import torch

        torch_version = torch.__version__
    spec = lookup(device_name)
    measured = load_measured(device_name, torch_version)
    datasheet_flops = {d: spec.throughput(d) for d in DTYPES} if spec else {}
    flops = {d: v for d, v in datasheet_flops.items() if v}
    bandwidth = spec.bandwidth if spec else None
    measured_keys: set[str] = set()
    if measured:
        bw = measured.get("bandwidth")
        if isinstance(bw, (int, float)) and _sane(bw, bandwidth):
            bandwidth = float(bw)
            measured_keys.add("bandwidth")
        for dtype, rate in measured["flops"].items():
            known = dtype in DTYPES and isinstance(rate, (int, float))
            if known and _sane(rate, datasheet_flops.get(dtype)):
                flops[dtype] = float(rate)
                measured_keys.add(dtype)
    if bandwidth is None:
        return None
    if not measured_keys:
        source = "datasheet"
    elif measured_keys >= {"bandwidth", *flops}:
        source = "measured"
    else:
        source = "measured+datasheet"
    return Peaks(
        device=device_name,
        bandwidth=bandwidth,
        flops=flops,
        l2_bytes=spec.l2_bytes if spec else None,
        source=source,
    )


# Probe sizes: the copy moves 2 GiB (1 GiB read, 1 GiB written), far beyond any L2; the matrix
# products are large enough to run at the library's best rate on every device in the table.
COPY_PROBE_BYTES = 1 << 30
MATMUL_PROBE = {"bf16": 8192, "fp16": 8192, "tf32": 8192, "fp32": 4096}


def _copy_probe():
    """The copy's timing; its 2 GiB of buffers are freed on return."""
    import torch

    from kernelwright.sandbox.timing import time_fn

    src = torch.empty(COPY_PROBE_BYTES // 4, dtype=torch.float32, device="cuda").normal_()
    dst = torch.empty_like(src)
    return time_fn(lambda: dst.copy_(src), warmup_ms=50, budget_ms=500)


def measure_peaks() -> dict:
    """Probe the current CUDA device (copy bandwidth, matmul rates), cache and return the record."""
    import torch

    from kernelwright.sandbox.timing import time_fn, timing_unavailable_reason

    reason = timing_unavailable_reason()
    if reason:
        raise RuntimeError(f"cannot measure peaks: {reason}")
    device_name = torch.cuda.get_device_name()
    copy = _copy_probe()
    record: dict = {
        "device": device_name,
        "torch": torch.__version__,
        "bandwidth": 2 * COPY_PROBE_BYTES / (copy.median_ms * 1e-3),
        "flops": {},
        "probes": {"copy_bytes": 2 * COPY_PROBE_BYTES, "copy_ms": copy.median_ms},
        "measured_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    dtypes = {
        "bf16": torch.bfloat16,
        "fp16": torch.float16,
        "tf32": torch.float32,
        "fp32": torch.float32,
    }
    old_precision = torch.get_float32_matmul_precision()
    try:
        for key, n in MATMUL_PROBE.items():
            # "high" lets fp32 products use TF32 tensor cores, "highest" forbids it.
            torch.set_float32_matmul_precision("high" if key == "tf32" else "highest")
            # Random operands: a product of zeros runs measurably faster than real data.
            a = torch.randn(n, n, device="cuda", dtype=dtypes[key])
            b = torch.randn(n, n, device="cuda", dtype=dtypes[key])
            stats = time_fn(lambda a=a, b=b: torch.matmul(a, b), warmup_ms=50, budget_ms=500)
            record["flops"][key] = 2 * n**3 / (stats.median_ms * 1e-3)
            record["probes"][f"matmul_{key}_ms"] = stats.median_ms
            del a, b
    finally:
        torch.set_float32_matmul_precision(old_precision)
    write_json_atomic(peaks_path(device_name, torch.__version__), record)
    return record


def _fmt_rate(value: float | None, unit: float, suffix: str) -> str:
    return "-" if value is None or math.isnan(value) else f"{value / unit:,.1f} {suffix}"


def describe(peaks: Peaks, spec: HardwareSpec | None) -> str:
    lines = [
        f"device: {peaks.device} ({spec.name if spec else 'not in the datasheet table'})",
        f"peaks source: {peaks.source}",
        f"bandwidth: {_fmt_rate(peaks.bandwidth, 1e12, 'TB/s')}"
        + (f" (datasheet {_fmt_rate(spec.bandwidth, 1e12, 'TB/s')})" if spec else ""),
    ]
    for d in DTYPES:
        sheet = f" (datasheet {_fmt_rate(spec.throughput(d), TERA, 'TFLOP/s')})" if spec else ""
        lines.append(f"{d}: {_fmt_rate(peaks.flops.get(d), TERA, 'TFLOP/s')}{sheet}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kernelwright.hardware",
        description="Print the roofline ceilings of this machine's GPU (or the whole table).",
    )
    parser.add_argument(
        "--measure",
        action="store_true",
        help="probe copy bandwidth and matmul rates on the GPU and cache them",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    import torch

    if not torch.cuda.is_available():
        if args.measure:
            print("--measure needs a CUDA device; none is available", file=sys.stderr)
            return 2
        rows = [dataclasses.asdict(s) for s in SPECS.values()]
        print(
            json.dumps(rows, indent=1)
            if args.json
            else "\n".join(
                f"{s.key:16} {s.name:26} {s.bandwidth / 1e12:5.2f} TB/s  bf16 "
                f"{_fmt_rate(s.bf16, TERA, 'TFLOP/s')}"
                for s in SPECS.values()
            )
        )
        return 0
    if args.measure:
        measure_peaks()
    name = torch.cuda.get_device_name()
    peaks = peaks_for(name, torch.__version__)
    if peaks is None:
        print(f"{name}: not in the datasheet table and no measured peaks; run with --measure")
        return 1
    print(
        json.dumps(dataclasses.asdict(peaks), indent=1)
        if args.json
        else describe(peaks, lookup(name))
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
