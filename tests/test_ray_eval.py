"""``kernelwright eval --model replay:demo`` through RayExecutor on a real local Ray cluster
(2 CPUs, Triton's interpreter) matches the same eval through the local pool attempt for
attempt, also when an actor is killed in the middle of it; the driver writes every attempt
once."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest
import ray

from kernelwright.agent.run import GenerateConfig
from kernelwright.evals.runner import EvalConfig, EvalResult, run_eval
from kernelwright.evals.suite import resolve_suite
from kernelwright.runlog import AttemptRecord
from kernelwright.sandbox.executor import LocalExecutor
from kernelwright.sandbox.ray_executor import RayExecutor

pytestmark = pytest.mark.ray

# Bundled problems with bundled demo transcripts (replay:demo): wrong answers, then right ones.
PROBLEMS = ["softmax", "gelu", "rms_norm"]


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    yield
    ray.shutdown()


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text("shape: small\nproblems:\n" + "".join(f"  - {p}\n" for p in PROBLEMS))
    return path


def evaluate(suite: Path, out: Path, executor) -> EvalResult:
    agent = GenerateConfig(problem=str(suite), model="replay:demo", turns=3, shape="small")
    return run_eval(
        EvalConfig(suite=str(suite), agent=agent),
        resolve_suite(str(suite)),
        out,
        argv=["kernelwright", "eval"],
        executor=executor,
    )


def attempts(result: EvalResult) -> dict[tuple[str, int], AttemptRecord]:
    records = result.run.attempts()
    keyed = {(r.problem.name, r.turn): r for r in records}
    assert len(keyed) == len(records), "an attempt was written twice"
    return keyed


def same_attempts(local: EvalResult, remote: EvalResult) -> None:
    here, there = attempts(local), attempts(remote)
    statuses = {k: r.outcome.status.value for k, r in here.items()}
    assert {k: r.outcome.status.value for k, r in there.items()} == statuses
    # The demo walks through failures to a correct kernel: a comparison with something in it.
    assert {"correct", "incorrect"} <= set(statuses.values())
    assert {name for name, _ in statuses} == set(PROBLEMS)
    for key, record in here.items():
        assert there[key].code == record.code
        assert there[key].outcome.env["executor"] == "ray"
    timeless = {"time_s_per_problem"}
    assert remote.metrics.overall.model_dump(exclude=timeless) == local.metrics.overall.model_dump(
        exclude=timeless
    )
    assert remote.metrics.by_turn == local.metrics.by_turn
    assert not local.errors and not remote.errors


def test_an_eval_on_ray_matches_the_local_one_attempt_for_attempt(cluster, pool, suite, tmp_path):
    local = evaluate(suite, tmp_path / "local", LocalExecutor(pool=pool))
    executor = RayExecutor(sandbox="subprocess")
    try:
        remote = evaluate(suite, tmp_path / "ray", executor)
    finally:
        asyncio.run(executor.close())
    same_attempts(local, remote)
    assert executor.requeued == 0
    nodes = {r.outcome.env["node"] for r in remote.run.attempts()}
    assert nodes == {ray.get_runtime_context().get_node_id()}


def test_an_actor_killed_mid_eval_loses_no_attempt_and_writes_none_twice(
    cluster, pool, suite, tmp_path
):
    local = evaluate(suite, tmp_path / "local", LocalExecutor(pool=pool))
    executor = RayExecutor(sandbox="subprocess")
    killed: list[str] = []

    def kill_the_first_busy_actor() -> None:
        deadline = time.monotonic() + 120
        while not killed and time.monotonic() < deadline:
            busy = list(executor.busy.values())
            if busy:
                member, _ = busy[0]
                ray.kill(member.handle)
                killed.append(member.where["actor"])
            time.sleep(0.005)

    killer = threading.Thread(target=kill_the_first_busy_actor, daemon=True)
    killer.start()
    try:
        remote = evaluate(suite, tmp_path / "ray", executor)
    finally:
        killer.join()
        asyncio.run(executor.close())
    assert killed, "no candidate was ever in flight"
    same_attempts(local, remote)
    assert executor.requeued == 1 and executor.replaced == 1
    again = [r for r in remote.run.attempts() if r.outcome.env["requeues"]]
    assert len(again) == 1 and again[0].outcome.env["actor"] != killed[0]
