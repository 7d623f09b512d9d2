"""Nsight Compute integration without a GPU: off by default, None without ncu, CSV parsing."""

from __future__ import annotations

import os
import stat
import textwrap

from kernelwright.problem import bundled_problems_dir, load_problem
from kernelwright.sandbox.ncu import (
    collect_metrics,
    model_and_inputs,
    ncu_enabled,
    parse_raw_csv,
)

RAW = textwrap.dedent("""\
    ==PROF== Connected to process 1234
    "ID","Process ID","Process Name","Host Name","Kernel Name","Context","Stream","Block Size","Grid Size","Device","CC","dram__throughput.avg.pct_of_peak_sustained_elapsed","gpu__time_duration.sum","launch__registers_per_thread","launch__shared_mem_per_block_dynamic","launch__shared_mem_per_block_static","sm__throughput.avg.pct_of_peak_sustained_elapsed","sm__warps_active.avg.pct_of_peak_sustained_active"
    "","","","","","","","","","","","%","ns","register/thread","byte/block","byte/block","%","%"
    "0","1234","python","host","softmax_kernel","1","7","(256, 1, 1)","(8192, 1, 1)","0","9.0","89.51","62,208","32","0","1024","21.3","78.02"
    "1","1234","python","host","matmul_kernel","1","7","(256, 1, 1)","(1024, 1, 1)","0","9.0","12.5","1,045,000","168","98304","0","88.1","18.5"
    """)


def test_parse_raw_csv():
    kernels = parse_raw_csv(RAW)
    assert [k["name"] for k in kernels] == ["softmax_kernel", "matmul_kernel"]
    soft, mm = kernels
    assert soft["dram_throughput_pct"] == 89.51 and soft["sm_throughput_pct"] == 21.3
    assert soft["achieved_occupancy_pct"] == 78.02 and soft["registers_per_thread"] == 32
    assert soft["shared_mem_per_block_bytes"] == 1024 and soft["duration_ns"] == 62208
    assert mm["shared_mem_per_block_bytes"] == 98304 and mm["duration_ns"] == 1045000
    assert parse_raw_csv("==PROF== nothing profiled\n") == []


def test_disabled_by_default(monkeypatch):
    monkeypatch.delenv("KERNELWRIGHT_NCU", raising=False)
    assert not ncu_enabled()
    monkeypatch.setenv("KERNELWRIGHT_NCU", "1")
    assert ncu_enabled()
    assert not ncu_enabled(False)


def test_none_when_disabled_or_absent(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty PATH: no ncu
    assert collect_metrics(tmp_path / "p.py", tmp_path / "s.py", enabled=True) is None
    monkeypatch.delenv("KERNELWRIGHT_NCU", raising=False)
    _fake_ncu(tmp_path, "exit 0")
    assert collect_metrics(tmp_path / "p.py", tmp_path / "s.py") is None


def _fake_ncu(folder, body):
    path = folder / "ncu"
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_failing_ncu_gives_a_one_line_error(tmp_path, monkeypatch):
    _fake_ncu(tmp_path, 'echo "==ERROR== Failed to initialize the profiler" >&2; exit 1')
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    result = collect_metrics(tmp_path / "p.py", tmp_path / "s.py", enabled=True)
    assert result == {
        "tool": "ncu",
        "error": "ncu exited with 1: ==ERROR== Failed to initialize the profiler",
    }


def test_report_is_read_back_and_parsed(tmp_path, monkeypatch):
    # A stand-in ncu: profiling succeeds silently, importing the report prints the raw page.
    (tmp_path / "raw.csv").write_text(RAW)
    _fake_ncu(tmp_path, f'case "$1" in --import) cat "{tmp_path}/raw.csv";; esac; exit 0')
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    result = collect_metrics(tmp_path / "p.py", tmp_path / "s.py", enabled=True)
    assert [k["name"] for k in result["kernels"]] == ["softmax_kernel", "matmul_kernel"]


def test_timeout_is_reported(tmp_path, monkeypatch):
    _fake_ncu(tmp_path, "exec sleep 5")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    result = collect_metrics(tmp_path / "p.py", tmp_path / "s.py", enabled=True, timeout_s=0.5)
    assert result == {"tool": "ncu", "error": "ncu did not finish within 0.5 s"}


def test_the_profiled_call_runs_in_the_problems_dtype():
    import torch

    level1 = bundled_problems_dir() / "level1"
    # float16 problems: rms_norm's module makes a float32 weight, rotary's get_inputs() makes
    # float32 cos/sin tables; the worker casts both, so the profiled call must too.
    pm = load_problem(level1 / "rms_norm.py", "small")
    model, _ = model_and_inputs(pm, pm.module.Model, 0, "cpu")
    assert {p.dtype for p in model.parameters()} == {torch.float16}
    pm = load_problem(level1.parent / "level3" / "rotary_embedding_qk.py", "small")
    _, args = model_and_inputs(pm, pm.module.Model, 0, "cpu")
    assert {a.dtype for a in args if torch.is_tensor(a)} == {torch.float16}
