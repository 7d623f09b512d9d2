"""Both models run in the mode of the problem file's origin: KernelBench files (no KERNELWRIGHT
dict) in training mode, as KernelBench's own harness runs them, kernelwright's problems in eval
mode, either overridden by ``KERNELWRIGHT = {"mode": ...}``; the Outcome's env says which."""

from __future__ import annotations

import pytest

from conftest import CANDIDATES, TESTS
from kernelwright.problem import ProblemError, read_problem, resolve_problem
from kernelwright.sandbox.pool import Job

BATCHNORM = TESTS / "problems" / "kernelbench_modes" / "33_BatchNorm.py"
BATCH_STATS = CANDIDATES / "kernelbench_modes" / "batchnorm_batch_stats.py"
RUNNING_STATS = CANDIDATES / "kernelbench_modes" / "batchnorm_running_stats.py"


def test_the_mode_follows_the_origin_unless_the_metadata_names_one(tmp_path):
    assert read_problem(BATCHNORM).mode == "train"
    assert read_problem(resolve_problem("softmax")).mode == "eval"
    source = BATCHNORM.read_text()
    for meta, mode in (('{"mode": "eval"}', "eval"), ('{"tags": ["norm"]}', "eval")):
        path = tmp_path / f"bn_{mode}.py"
        path.write_text(f"KERNELWRIGHT = {meta}\n{source}")
        assert read_problem(path).mode == mode
    path = tmp_path / "bn_bad.py"
    path.write_text(f'KERNELWRIGHT = {{"mode": "inference"}}\n{source}')
    with pytest.raises(ProblemError, match="mode"):
        read_problem(path)


def verdict(pool, problem, candidate):
    outcome = pool.evaluate(Job(problem=problem, code=candidate.read_text(), shape="small"))
    return outcome.status.value, outcome.env.get("module_mode")


def test_a_kernelbench_batchnorm_means_batch_statistics(pool):
    assert verdict(pool, BATCHNORM, BATCH_STATS) == ("correct", "train")
    assert verdict(pool, BATCHNORM, RUNNING_STATS) == ("incorrect", "train")


def test_eval_mode_named_in_the_metadata_means_running_statistics(pool, tmp_path):
    problem = tmp_path / "33_BatchNorm_eval.py"
    problem.write_text('KERNELWRIGHT = {"mode": "eval"}\n' + BATCHNORM.read_text())
    assert verdict(pool, problem, RUNNING_STATS) == ("correct", "eval")
    assert verdict(pool, problem, BATCH_STATS) == ("incorrect", "eval")
