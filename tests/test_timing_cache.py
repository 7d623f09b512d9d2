"""Baseline cache keys and round trips, and the measured-peaks cache, without a GPU."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kernelwright.hardware import cache_root, peaks_for, peaks_path, write_json_atomic
from kernelwright.problem import load_problem
from kernelwright.sandbox.timing import (
    TIMER_VERSION,
    BaselineCache,
    BaselineKey,
    TimingStats,
    TimingUnavailable,
    time_baselines,
)

KEY = dict(
    problem_sha256="ab" * 32,
    shape="bench",
    device="NVIDIA H100 80GB HBM3",
    torch="2.11.0+cu130",
    triton="3.6.0",
    variant="eager",
)


def _stats(median: float) -> TimingStats:
    return TimingStats(
        median_ms=median,
        iqr_ms=0.01,
        min_ms=median - 0.01,
        mean_ms=median,
        n=40,
        ci_low_ms=median - 0.004,
        ci_high_ms=median + 0.004,
        ci_rel=0.004 / median,
        converged=True,
        host_excess_ms=0.001,
        flush_bytes=256 << 20,
    )


def test_key_digest_is_stable_and_depends_on_every_field():
    base = BaselineKey(**KEY)
    assert base.digest() == BaselineKey(**KEY).digest()
    assert base.timer_version == TIMER_VERSION
    changes = {
        "problem_sha256": "cd" * 32,
        "shape": "small",
        "device": "NVIDIA H200",
        "torch": "2.13.0",
        "triton": "3.9.0",
        "variant": "compile:default",
        "timer_version": TIMER_VERSION + 1,
    }
    digests = {base.digest()}
    for field, value in changes.items():
        digests.add(BaselineKey(**{**KEY, field: value}).digest())
    assert len(digests) == 1 + len(changes)


def test_cache_round_trip(tmp_path):
    cache = BaselineCache(tmp_path)
    key = BaselineKey(**KEY)
    assert cache.load(key) is None
    cache.store(key, _stats(1.25))
    assert cache.path(key).parent == tmp_path / "baselines"
    assert cache.load(key) == _stats(1.25)
    other = BaselineKey(**{**KEY, "device": "NVIDIA H200"})
    assert cache.load(other) is None


def test_cache_ignores_corrupt_or_foreign_files(tmp_path):
    cache = BaselineCache(tmp_path)
    key = BaselineKey(**KEY)
    path = cache.path(key)
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert cache.load(key) is None
    # A file whose recorded key differs (a digest collision, or a hand-copied file) is not used.
    path.write_text(
        json.dumps({"key": {**KEY, "shape": "other"}, "stats": _stats(1.0).model_dump()})
    )
    assert cache.load(key) is None
    path.write_text(json.dumps({"key": key.model_dump(), "stats": {"median_ms": "fast"}}))
    assert cache.load(key) is None


def test_cache_root_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("KERNELWRIGHT_CACHE_DIR", str(tmp_path / "kw"))
    assert cache_root() == tmp_path / "kw"
    assert BaselineCache().root == tmp_path / "kw" / "baselines"
    monkeypatch.delenv("KERNELWRIGHT_CACHE_DIR")
    assert cache_root() == Path.home() / ".cache" / "kernelwright"


def test_baselines_refuse_without_a_gpu(tmp_path, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    problem = tmp_path / "relu.py"
    problem.write_text(
        "import torch\n"
        "N = 64\n"
        "class Model(torch.nn.Module):\n"
        "    def forward(self, x):\n"
        "        return torch.relu(x)\n"
        "def get_inputs():\n"
        "    return [torch.randn(N)]\n"
        "def get_init_inputs():\n"
        "    return []\n"
    )
    pm = load_problem(problem)
    model = pm.build(pm.module.Model, 0)
    with pytest.raises(TimingUnavailable):
        time_baselines(pm, model, pm.inputs(0).args, cache=BaselineCache(tmp_path))
    with pytest.raises(ValueError, match="compile mode"):
        time_baselines(pm, model, pm.inputs(0).args, compile_mode="fastest")
    assert not (tmp_path / "baselines").exists()


H100 = "NVIDIA H100 80GB HBM3"


def test_peaks_come_from_the_datasheet_until_measured(tmp_path, monkeypatch):
    monkeypatch.setenv("KERNELWRIGHT_CACHE_DIR", str(tmp_path))
    peaks = peaks_for(H100, "2.11.0")
    assert peaks.source == "datasheet"
    assert peaks.bandwidth == pytest.approx(3.35e12)
    assert peaks.flops["bf16"] == pytest.approx(989e12 / 2 * 2)
    assert peaks.l2_bytes == 50 * 1024 * 1024


def test_measured_peaks_are_preferred_when_sane(tmp_path, monkeypatch):
    monkeypatch.setenv("KERNELWRIGHT_CACHE_DIR", str(tmp_path))
    path = peaks_path(H100, "2.11.0+cu130")
    assert path.parent == tmp_path / "peaks"
    assert path.name == "NVIDIA_H100_80GB_HBM3-2.11.0_cu130.json"
    write_json_atomic(
        path,
        {
            "device": H100,
            "torch": "2.11.0+cu130",
            "bandwidth": 3.0e12,
            "flops": {"bf16": 798e12, "fp16": 5e15},
        },
    )
    peaks = peaks_for(H100, "2.11.0+cu130")
    assert peaks.bandwidth == pytest.approx(3.0e12)
    assert peaks.flops["bf16"] == pytest.approx(798e12)
    # 5 PFLOP/s of fp16 is five times the datasheet: a broken probe, so the datasheet stands.
    assert peaks.flops["fp16"] == pytest.approx(989e12)
    assert peaks.source == "measured+datasheet"
    # Another torch version has no measurement of its own.
    assert peaks_for(H100, "2.13.0").source == "datasheet"


def test_unknown_device_uses_measured_peaks_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("KERNELWRIGHT_CACHE_DIR", str(tmp_path))
    name = "NVIDIA Future GPU"
    assert peaks_for(name, "2.11.0") is None
    write_json_atomic(
        peaks_path(name, "2.11.0"), {"device": name, "bandwidth": 9e12, "flops": {"bf16": 2e15}}
    )
    peaks = peaks_for(name, "2.11.0")
    assert peaks.source == "measured"
    assert peaks.flops == {"bf16": 2e15} and peaks.l2_bytes is None
