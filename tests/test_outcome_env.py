"""A verdict made before any worker ran (format, syntax, static guards) carries the same env as
one a worker made: device name and versions, never an "unknown device" in the report."""

from __future__ import annotations

from pathlib import Path

from conftest import CANDIDATES
from kernelwright.sandbox.backends import SubprocessBackend
from kernelwright.sandbox.pool import Job, Pool

PROBLEM = CANDIDATES / "faults" / "problem.py"
FIELDS = {"device", "device_name", "interpreter", "sandbox", "torch", "triton", "python"}


def test_format_error_env_without_a_started_worker(tmp_path: Path):
    with Pool(SubprocessBackend(), ["cpu"], scratch=tmp_path) as pool:
        outcome = pool.evaluate(Job(problem=PROBLEM, code="Sure! Here is my plan, no code."))
    assert outcome.status.value == "format_error"
    assert set(outcome.env) >= FIELDS, outcome.env
    assert outcome.env["device_name"] == "cpu (Triton interpreter)"


def test_format_error_env_matches_a_worker_verdict(pool):
    good = pool.evaluate(Job(problem=PROBLEM, code=(CANDIDATES / "faults" / "good.py").read_text()))
    early = pool.evaluate(Job(problem=PROBLEM, code="def broken(:\n    pass\n"))
    assert early.status.value == "compile_error"
    assert {k: early.env[k] for k in FIELDS} == {k: good.env[k] for k in FIELDS}


def test_an_answer_without_code_gets_the_runs_env(tmp_path: Path):
    from kernelwright.agent.run import GenerateConfig, run_env

    env = run_env(GenerateConfig(problem="p", model="m", sandbox="subprocess"))
    assert set(env) >= FIELDS and env["device_name"] == "cpu (Triton interpreter)"
    assert env["sandbox"] == "subprocess"


def test_the_loop_gives_a_no_code_answer_the_sessions_env(tmp_path: Path, monkeypatch):
    import asyncio

    from agent_fakes import FakeEvaluator, kernel, session, write_problem
    from fake_openai import FakeOpenAI, good, malformed

    from kernelwright.agent.models import OpenAIClient, RetryPolicy
    from kernelwright.agent.strategies import run_strategy

    monkeypatch.setenv("TEST_KEY", "sk-test")
    with FakeOpenAI() as server:
        server.push(malformed(), good(kernel()))
        client = OpenAIClient(
            "fake-model", base_url=server.base_url, api_key_env="TEST_KEY", retry=RetryPolicy()
        )
        s = session(write_problem(tmp_path), client, FakeEvaluator())
        s.env = {"device": "cpu", "device_name": "cpu (Triton interpreter)", "sandbox": "bwrap"}

        async def go():
            try:
                return await run_strategy(s, "refine", samples=1, beam_width=2)
            finally:
                await client.aclose()

        records = asyncio.run(go())
    assert records[0].outcome.status.value == "format_error"
    assert records[0].outcome.env == s.env
