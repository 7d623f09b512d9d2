"""The datasheet table and lookup by torch.cuda.get_device_name() strings."""

from __future__ import annotations

import pytest

from kernelwright.hardware import DTYPES, SPECS, lookup, main


@pytest.mark.parametrize(
    "device_name, key",
    [
        ("NVIDIA H100 80GB HBM3", "h100-sxm"),
        ("NVIDIA H100 PCIe", "h100-pcie"),
        ("NVIDIA H100 NVL", "h100-nvl"),
        ("NVIDIA H200", "h200-sxm"),
        ("NVIDIA H200 NVL", "h200-nvl"),
        ("NVIDIA A100-SXM4-80GB", "a100-sxm-80gb"),
        ("NVIDIA A100-SXM4-40GB", "a100-sxm-40gb"),
        ("NVIDIA A100 80GB PCIe", "a100-pcie-80gb"),
        ("NVIDIA A100-PCIE-40GB", "a100-pcie-40gb"),
        ("NVIDIA L40S", "l40s"),
        ("AMD Instinct MI300X", "mi300x"),
        ("AMD Instinct MI300X VF", "mi300x"),
    ],
)
def test_lookup_by_device_name(device_name, key):
    assert lookup(device_name).key == key


@pytest.mark.parametrize(
    "device_name", ["NVIDIA GeForce RTX 4090", "NVIDIA GH200 480GB", "NVIDIA L40", "", None]
)
def test_unknown_devices_are_none(device_name):
    assert lookup(device_name) is None


def test_datasheet_figures_are_dense_and_consistent():
    h100 = SPECS["h100-sxm"]
    assert h100.bandwidth == pytest.approx(3.35e12)
    # Dense rates: half the datasheet's "with sparsity" 1,979 TFLOP/s for bf16.
    assert h100.bf16 == pytest.approx(989e12) and h100.fp8 == pytest.approx(1978e12)
    assert h100.tf32 == pytest.approx(494.5e12) and h100.fp32 == pytest.approx(67e12)
    assert (h100.sm_count, h100.smem_per_sm, h100.l2_bytes) == (132, 228 * 1024, 50 << 20)
    assert SPECS["h200-sxm"].bf16 == h100.bf16 and SPECS["h200-sxm"].bandwidth == 4.8e12
    assert SPECS["h100-pcie"].sm_count == 114 and SPECS["h100-pcie"].bf16 == pytest.approx(756e12)
    assert SPECS["a100-sxm-80gb"].fp8 is None and SPECS["a100-sxm-80gb"].bf16 == 312e12
    assert SPECS["l40s"].fp8 == pytest.approx(733e12)
    assert SPECS["mi300x"].bf16 == pytest.approx(1307.4e12)
    for spec in SPECS.values():
        # No datasheet rate here exceeds the next lower precision's (fp8 >= bf16 >= tf32 >= fp32).
        rates = [spec.throughput(d) for d in ("fp32", "tf32", "bf16", "fp8")]
        known = [r for r in rates if r is not None]
        assert known == sorted(known), spec.key
        assert spec.mma_shapes and spec.source
    with pytest.raises(ValueError):
        h100.throughput("int4")
    assert DTYPES == ("fp64", "fp32", "tf32", "bf16", "fp16", "fp8")


def test_cli_prints_the_table_without_a_gpu(capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "h100-sxm" in out and "mi300x" in out
    assert main(["--measure"]) == 2
