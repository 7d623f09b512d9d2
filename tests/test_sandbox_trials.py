"""Each trial's inputs are remade from a seed the parent hands out when the trial starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CANDIDATES, TESTS
from kernelwright.problem import ProblemError
from kernelwright.sandbox.pool import Job
from kernelwright.sandbox.worker import DRY_CALLS, HOST_TRIALS

SOLUTION = (CANDIDATES / "broken" / "correct.py").read_text()
VECTOR_ADD = (TESTS / "problems" / "vector_add.py").read_text()


def _variant(tmp_path: Path, name: str, imports: str, inputs: str) -> Path:
    source = VECTOR_ADD.replace("import torch\n", f"import torch\n{imports}\n", 1).replace(
        "    return [torch.randn(n), torch.randn(n)]", f"    return {inputs}"
    )
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    return path


def test_inputs_drawn_from_python_and_numpy_generators_follow_the_seed(pool, tmp_path):
    problem = _variant(
        tmp_path,
        "seeded_generators",
        "import random\nimport numpy",
        "[torch.randn(n) * random.uniform(1, 2), torch.from_numpy(numpy.random.rand(n)).float()]",
    )
    outcome = pool.evaluate(Job(problem=problem, code=SOLUTION, shape="small"))
    assert outcome.correct, outcome.message


def test_inputs_that_do_not_follow_the_seed_are_a_problem_error(pool, tmp_path):
    problem = _variant(
        tmp_path,
        "unseeded",
        "import os",
        "[torch.randn(n) + int.from_bytes(os.urandom(2), 'little'), torch.randn(n)]",
    )
    with pytest.raises(ProblemError, match="different inputs for the same seed"):
        pool.evaluate(Job(problem=problem, code=SOLUTION, shape="small"))


SOFTMAX = TESTS / "problems" / "wide_softmax.py"
TWO_KERNELS = (CANDIDATES / "legit" / "two_kernels_softmax.py").read_text()

# The calls before the timed ones: the two trials the candidate's host code runs (the replay
# covers the other seeds) and the dry calls after them (worker._dry_forwards). The first timed
# call changes behaviour: a test of the timed calls, which see every call a GPU's run makes.
_UNTIMED = HOST_TRIALS + DRY_CALLS
REPLAY_FIRST = TWO_KERNELS.replace(
    "class ModelNew(nn.Module):",
    "class ModelNew(nn.Module):\n    calls = []\n",
).replace(
    "    def forward(self, x):\n",
    "    def forward(self, x):\n"
    f"        if len(ModelNew.calls) >= {_UNTIMED}:\n"
    "            self._forward(x)  # a launch, for the launch count; its result is dropped\n"
    "            return ModelNew.calls[0].clone()\n"
    "        ModelNew.calls.append(self._forward(x))\n"
    "        return ModelNew.calls[-1]\n\n"
    "    def _forward(self, x):\n",
)
TORCH_WHEN_TIMED = TWO_KERNELS.replace(
    "class ModelNew(nn.Module):",
    "class ModelNew(nn.Module):\n    calls = 0\n",
).replace(
    "    def forward(self, x):\n",
    "    def forward(self, x):\n"
    "        ModelNew.calls += 1\n"
    f"        if ModelNew.calls > {_UNTIMED}:\n"
    "            self._forward(x)  # a launch, for the launch count; its result is dropped\n"
    "            return torch.softmax(x, dim=-1)\n"
    "        return self._forward(x)\n\n"
    "    def _forward(self, x):\n",
)


def _timed_on_cpu(pool, code: str):
    """A timed job through the pool's own path, on the CPU: the timed calls are made once,
    untimed, and checked like on a GPU (evaluate() times only where there is one)."""
    from kernelwright.problem import read_problem

    slot = pool._idle.get()
    try:
        job = Job(problem=SOFTMAX, code=code, shape="small", timing=True)
        outcome, finish = pool._run(slot, job, read_problem(SOFTMAX))
        return job, finish()
    finally:
        pool._idle.put(slot)


def test_timed_calls_run_on_a_seed_of_their_own_and_are_checked(pool):
    job, outcome = _timed_on_cpu(pool, TWO_KERNELS)
    assert outcome.correct, outcome.message
    assert "timed calls on 3 input sets of their own" in outcome.message
    assert job.timing_seed not in job.seeds
    timing_check = [c for c in outcome.checks if c.name.startswith("outputs of the timing runs")]
    assert timing_check and timing_check[0].passed
    assert outcome.env["timing_seed"] == job.timing_seed


def test_replaying_the_first_answer_once_the_trials_are_over_is_caught(pool):
    _, outcome = _timed_on_cpu(pool, REPLAY_FIRST)
    assert outcome.status.value == "incorrect", outcome.message
    assert "an earlier answer replayed" in outcome.message


def test_torch_compute_in_the_timed_calls_only_is_caught(pool):
    _, outcome = _timed_on_cpu(pool, TORCH_WHEN_TIMED)
    assert outcome.status.value == "rejected", outcome.message
    assert "the timed calls computed with PyTorch ops: aten._softmax" in outcome.message


def test_a_timed_call_without_a_launch_is_caught(pool):
    code = REPLAY_FIRST.replace(
        "            self._forward(x)  # a launch, for the launch count; its result is dropped\n",
        "",
    )
    _, outcome = _timed_on_cpu(pool, code)
    assert outcome.status.value == "rejected", outcome.message
    assert "a timed call launched no Triton kernel" in outcome.message


def test_fixed_trial_seeds_fix_the_timing_seed_too():
    from kernelwright.sandbox.executor import EvalRequest

    first = EvalRequest(problem=SOFTMAX, code="", seeds=[1, 2, 3]).job()
    again = EvalRequest(problem=SOFTMAX, code="", seeds=[1, 2, 3]).job()
    other = EvalRequest(problem=SOFTMAX, code="", seeds=[1, 2, 4]).job()
    assert first.timing_seed == again.timing_seed != other.timing_seed
    assert first.timing_seed not in first.seeds
    # Unfixed, each job draws its own.
    assert len({Job(problem=SOFTMAX, code="").timing_seed for _ in range(8)}) > 1
