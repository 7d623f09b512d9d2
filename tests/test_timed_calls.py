"""The timed calls rotate input sets through the same tensors, and every call's output is
checked: on the CPU the worker makes one call per set (nothing is timed there), on a GPU every
timed call is sampled as well (tests/test_profiler_gpu.py)."""

from __future__ import annotations

import torch

from conftest import CANDIDATES, TESTS
from kernelwright.sandbox.pool import Job
from kernelwright.sandbox.timed_calls import SAMPLES, RotatingCalls, check_samples
from kernelwright.sandbox.verify import compare
from kernelwright.sandbox.worker import DRY_CALLS, HOST_TRIALS

SOFTMAX = TESTS / "problems" / "wide_softmax.py"
TWO_KERNELS = (CANDIDATES / "legit" / "two_kernels_softmax.py").read_text()


def _sets(n: int = 3) -> list[list]:
    g = torch.Generator().manual_seed(0)
    return [[torch.randn(4, 32, generator=g), 7] for _ in range(n)]


def _run(calls: RotatingCalls, n: int, forward) -> None:
    for _ in range(n):
        calls.before()
        calls.returned(forward(*calls.args))
        calls.after()


def test_sets_rotate_through_the_same_tensor_without_moving_its_version():
    sets = _sets()
    calls = RotatingCalls(sets)
    x = calls.args[0]
    ptr, version = x.data_ptr(), x._version
    seen = set()
    for _ in range(60):
        calls.before()
        assert calls.args[0] is x and x.data_ptr() == ptr and x._version == version
        seen.add(next(i for i, s in enumerate(sets) if torch.equal(s[0], x)))
        calls.returned(x * 2)
        calls.after()
    # Picked at random per call, not in a fixed order a call count could follow.
    assert seen == {0, 1, 2}
    assert calls.chosen != [i % 3 for i in range(60)]


def test_the_final_round_calls_each_set_once_and_keeps_whole_outputs():
    sets = _sets()
    calls = RotatingCalls(sets)
    out = torch.empty(4, 32)

    def forward(x, k):
        out.copy_(x * k)  # one output buffer reused by every call, as a candidate may
        return out

    _run(calls, 5, forward)
    calls.finish(lambda n: _run(calls, n, forward))
    payload = calls.payload()
    assert sorted(e["set"] for e in payload["final"]) == [0, 1, 2]
    for entry in payload["final"]:
        assert torch.equal(entry["outputs"][0], sets[entry["set"]][0] * 7)
    assert len(payload["sets"]) == 8 and payload["samples"][0]["idx"].shape == (8, SAMPLES)


def _tolerance(ref):
    return 1e-5, 1e-5


def test_every_call_is_checked_against_its_own_sets_reference():
    sets = _sets()
    references = [[s[0] * 7] for s in sets]
    calls = RotatingCalls(sets)
    _run(calls, 20, lambda x, k: x * k)
    assert check_samples(calls.payload(), references, _tolerance, compare) is None

    # The same calls, but one of them answers with another set's result.
    calls = RotatingCalls(sets)
    n = 0

    def forward(x, k):
        nonlocal n
        n += 1
        if n == 13:
            other = next(s[0] for s in sets if not torch.equal(s[0], x))
            return other * k
        return x * k

    _run(calls, 20, forward)
    wrong = check_samples(calls.payload(), references, _tolerance, compare)
    assert wrong is not None and wrong.startswith("timed call 13 of 20"), wrong


def test_a_call_that_returns_another_shape_is_named():
    sets = _sets()
    calls = RotatingCalls(sets)
    n = 0

    def forward(x, k):
        nonlocal n
        n += 1
        return x[:2] * k if n == 4 else x * k

    _run(calls, 6, forward)
    wrong = check_samples(calls.payload(), [[s[0] * 7] for s in sets], _tolerance, compare)
    assert wrong is not None and "timed call 4 of 6" in wrong and "[2, 32]" in wrong


# After the two trials the candidate's host code runs and the dry calls after them
# (worker._dry_forwards), the first timed call computes honestly and every later call serves its
# answer: checked only on the timing seed (the old single input set), the answer was right,
# since every timed call ran on that same input.
_FIRST_TIMED = HOST_TRIALS + DRY_CALLS + 1
SERVE_FIRST_TIMED = TWO_KERNELS.replace(
    "class ModelNew(nn.Module):",
    "class ModelNew(nn.Module):\n    calls = []\n",
).replace(
    "    def forward(self, x):\n",
    "    def forward(self, x):\n"
    "        ModelNew.calls.append(None)\n"
    f"        if len(ModelNew.calls) == {_FIRST_TIMED}:\n"
    "            ModelNew.first_timed = self._forward(x)\n"
    f"        if len(ModelNew.calls) >= {_FIRST_TIMED}:\n"
    "            self._forward(x)  # a launch, for the launch count; its result is dropped\n"
    "            return ModelNew.first_timed.clone()\n"
    "        return self._forward(x)\n\n"
    "    def _forward(self, x):\n",
)


def test_serving_the_first_timed_answer_to_later_timed_calls_is_caught(pool):
    from kernelwright.problem import read_problem

    slot = pool._idle.get()
    try:
        job = Job(problem=SOFTMAX, code=SERVE_FIRST_TIMED, shape="small", timing=True)
        outcome = pool._run(slot, job, read_problem(SOFTMAX))[1]()
    finally:
        pool._idle.put(slot)
    assert outcome.status.value == "incorrect", outcome.message
    assert "returned a different result" in outcome.message
    assert len(job.timing_seeds) == 3 and not set(job.timing_seeds) & set(job.seeds)
