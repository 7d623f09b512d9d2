"""RayExecutor on a real local Ray cluster (2 CPUs, Triton's interpreter): the same verdicts
as the local pool, and no candidate lost or evaluated twice when an actor dies under it."""

from __future__ import annotations

import asyncio

import pytest
import ray

from conftest import CANDIDATES, ROOT, TESTS
from kernelwright.outcome import Outcome
from kernelwright.sandbox.executor import EvalRequest, LocalExecutor
from kernelwright.sandbox.executors import ExecutorError, make_executor
from kernelwright.sandbox.ray_executor import RayExecutor, gpu_mode

pytestmark = pytest.mark.ray

LEVEL1 = ROOT / "reference_kernels" / "problems" / "level1"
SOLUTIONS = ROOT / "reference_kernels" / "solutions"
VECTOR_ADD = TESTS / "problems" / "vector_add.py"
BROKEN = CANDIDATES / "broken"

# (problem, candidate, the verdict it must get)
CASES = [
    (LEVEL1 / "softmax.py", SOLUTIONS / "softmax.py", "correct"),
    (LEVEL1 / "gelu.py", SOLUTIONS / "gelu.py", "correct"),
    (VECTOR_ADD, BROKEN / "wrong_values.py", "incorrect"),
    (VECTOR_ADD, BROKEN / "exception_in_forward.py", "runtime_error"),
    (VECTOR_ADD, BROKEN / "not_python.txt", "format_error"),
    (VECTOR_ADD, BROKEN / "correct.py", "correct"),
]


def requests() -> list[EvalRequest]:
    # Fixed seeds: both executors check on the same inputs, so their messages can be compared.
    return [
        EvalRequest(problem=p, code=c.read_text(), shape="small", timeout_s=60, seeds=[7, 8, 9])
        for p, c, _ in CASES
    ]


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    yield
    ray.shutdown()


async def evaluate_all(executor, reqs: list[EvalRequest]) -> list[Outcome]:
    return list(await asyncio.gather(*(executor.evaluate(r) for r in reqs)))


def test_same_verdicts_as_the_local_pool_attempt_for_attempt(cluster, pool):
    reqs = requests()

    async def both() -> tuple[list[Outcome], list[Outcome], int]:
        # The session's warm pool; not closed here, other tests share it.
        local = await evaluate_all(LocalExecutor(pool=pool), reqs)
        async with RayExecutor(sandbox="subprocess") as ex:
            remote = await evaluate_all(ex, reqs)
            return local, remote, ex.size

    local, remote, size = asyncio.run(both())
    expected = [status for _, _, status in CASES]
    assert [o.status.value for o in local] == expected, [o.message for o in local]
    assert [o.status.value for o in remote] == expected, [o.message for o in remote]
    for here, there in zip(local, remote, strict=True):
        assert there.message == here.message
        assert [c.model_dump() for c in there.checks] == [c.model_dump() for c in here.checks]
    assert size == 2  # one actor per CPU of the cluster
    node = ray.get_runtime_context().get_node_id()
    for o in remote:
        assert o.env["executor"] == "ray"
        assert o.env["node"] == node
        assert o.env["node_ip"] == ray.util.get_node_ip_address()
        assert o.env["gpu_index"] is None
        assert o.env["device"] == "cpu" and o.env["interpreter"] is True
        assert o.env["sandbox"] == "subprocess"
        assert o.env["requeues"] == 0
    assert len({o.env["actor"] for o in remote}) <= size


def test_an_actor_killed_mid_run_loses_no_candidate_and_runs_none_twice(cluster):
    reqs = requests() * 2
    expected = [status for _, _, status in CASES] * 2

    async def run() -> tuple[list[Outcome], str, int, int]:
        async with RayExecutor(sandbox="subprocess") as ex:
            tasks = [asyncio.ensure_future(ex.evaluate(r)) for r in reqs]
            while not ex.busy:
                await asyncio.sleep(0.01)
            victim, request = next(iter(ex.busy.values()))
            ray.kill(victim.handle)
            outcomes = list(await asyncio.gather(*tasks))
            return outcomes, victim.where["actor"], ex.requeued, ex.replaced

    outcomes, victim, requeued, replaced = asyncio.run(run())
    assert len(outcomes) == len(reqs)
    assert [o.status.value for o in outcomes] == expected, [o.message for o in outcomes]
    assert requeued == 1 and replaced == 1
    # Exactly the killed actor's candidate went round again, and was answered elsewhere.
    again = [o for o in outcomes if o.env["requeues"]]
    assert len(again) == 1 and again[0].env["requeues"] == 1
    assert again[0].env["actor"] != victim
    assert victim not in {o.env["actor"] for o in outcomes}


def test_a_candidate_whose_actor_dies_on_every_try_is_reported_crashed(cluster):
    first, second = requests()[:2]

    async def run() -> tuple[Outcome, Outcome, int]:
        async with RayExecutor(sandbox="subprocess", workers=1, max_tries=1) as ex:
            doomed = asyncio.ensure_future(ex.evaluate(first))
            waiting = asyncio.ensure_future(ex.evaluate(second))
            while not ex.busy:
                await asyncio.sleep(0.01)
            victim, request = next(iter(ex.busy.values()))
            assert request is first
            ray.kill(victim.handle)
            return await doomed, await waiting, ex.replaced

    doomed, waiting, replaced = asyncio.run(run())
    assert doomed.status.value == "crashed"
    assert "the Ray actor running it died on each of 1 tries" in doomed.message
    assert "\n" not in doomed.message
    assert doomed.env["requeues"] == 1
    # The one actor was replaced, and its replacement served the candidate that waited.
    assert replaced == 1
    assert waiting.status.value == "correct" and waiting.env["requeues"] == 0


def test_a_sandbox_that_cannot_start_is_one_clear_error(cluster):
    async def run() -> Outcome:
        # Not a backend name: every actor fails to make its pool, as on a node without one.
        async with RayExecutor(sandbox="jail") as ex:
            return await ex.evaluate(requests()[0])

    with pytest.raises(ExecutorError) as caught:
        asyncio.run(run())
    message = str(caught.value)
    assert "failed to start: BackendUnavailable: unknown sandbox 'jail'" in message
    assert "\n" not in message and "Traceback" not in message


def test_gpu_mode_follows_the_cluster_and_the_device_asked_for():
    assert gpu_mode(None, {"CPU": 16.0, "GPU": 8.0}) is True
    assert gpu_mode("auto", {"CPU": 16.0}) is False
    assert gpu_mode("cpu", {"CPU": 16.0, "GPU": 8.0}) is False
    assert gpu_mode("cuda", {"GPU": 1.0}) is True
    with pytest.raises(ExecutorError, match="has no GPUs"):
        gpu_mode("cuda", {"CPU": 2.0})
    with pytest.raises(ExecutorError, match="choose auto, cpu or cuda"):
        gpu_mode("tpu", {"CPU": 2.0})


def test_make_executor_choices_and_usage_errors():
    ex = make_executor("local", workers=1, sandbox="subprocess")
    assert isinstance(ex, LocalExecutor)
    asyncio.run(ex.close())
    with pytest.raises(ExecutorError, match="choose one of local, ray"):
        make_executor("dask")
    with pytest.raises(ExecutorError, match="--ray-address needs --executor ray"):
        make_executor("local", ray_address="auto")
    with pytest.raises(ExecutorError, match="unknown sandbox 'jail'"):
        make_executor("ray", sandbox="jail")
