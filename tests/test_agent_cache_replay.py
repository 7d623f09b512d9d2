"""Reproducibility: the response cache (a re-run asks nothing and follows the same trajectory),
recorded transcripts, and replays of them."""

from __future__ import annotations

import asyncio
import json

import pytest
from agent_fakes import FakeEvaluator, kernel, session, write_problem
from fake_openai import FakeOpenAI, good

from kernelwright.agent.cache import CachedClient, CachedEvaluator, DiskCache
from kernelwright.agent.errors import ReplayError
from kernelwright.agent.models import ChatRequest, OpenAIClient, request_key
from kernelwright.agent.replay import RecordingClient, ReplayClient, transcript_path
from kernelwright.agent.strategies import run_strategy


@pytest.fixture(autouse=True)
def key(monkeypatch):
    monkeypatch.setenv("TEST_KEY", "sk-test")


@pytest.fixture
def server():
    with FakeOpenAI() as s:
        yield s


def trajectory(client, problem, **kw):
    s = session(problem, client, FakeEvaluator(), **kw)

    async def go():
        try:
            return await run_strategy(s, "refine")
        finally:
            await client.aclose()

    return s, asyncio.run(go())


def openai_client(server):
    return OpenAIClient("fake-model", base_url=server.base_url, api_key_env="TEST_KEY")


def test_rerun_hits_the_cache_asks_nothing_and_repeats_the_trajectory(server, tmp_path):
    problem = write_problem(tmp_path)
    cache = DiskCache(tmp_path / "cache")
    server.push(good(kernel("incorrect", message="off by one")), good(kernel()))
    _, first = trajectory(CachedClient(openai_client(server), cache), problem)
    assert len(server.chat_requests()) == 2
    s, again = trajectory(CachedClient(openai_client(server), cache), problem)
    assert len(server.chat_requests()) == 2  # no new request
    assert [r.response for r in again] == [r.response for r in first]
    assert [r.messages for r in again] == [r.messages for r in first]
    assert all(r.usage.cached for r in again) and not any(r.usage.cached for r in first)
    assert s.ledger.charged_usd == 0 and s.ledger.tokens == sum(
        r.usage.prompt_tokens + r.usage.completion_tokens for r in first
    )


def test_cache_key_covers_the_whole_request(server):
    c = openai_client(server)
    base = ChatRequest(messages=[{"role": "user", "content": "hi"}], temperature=0.5, seed=1)
    keys = {
        request_key(c, base),
        request_key(c, base.model_copy(update={"seed": 2})),
        request_key(c, base.model_copy(update={"n": 2})),
        request_key(c, base.model_copy(update={"temperature": 0.7})),
        request_key(c, base.model_copy(update={"max_tokens": 10})),
        request_key(c, base.model_copy(update={"messages": [{"role": "user", "content": "ho"}]})),
    }
    c.base_url = "http://elsewhere/v1"
    keys.add(request_key(c, base))
    assert len(keys) == 7
    asyncio.run(c.aclose())


def test_record_then_replay_without_any_server(server, tmp_path):
    problem = write_problem(tmp_path)
    transcript = tmp_path / "t.jsonl"
    server.push(good(kernel("compile_error", message="NameError: tl.arange2")), good(kernel()))
    _, recorded = trajectory(RecordingClient(openai_client(server), transcript, "a test"), problem)
    header, *exchanges = [json.loads(x) for x in transcript.read_text().splitlines()]
    assert header["kernelwright_transcript"] == 1 and header["model"] == "fake-model"
    assert len(exchanges) == 2 and exchanges[1]["request"]["messages"][-1]["role"] == "user"

    model = f"replay:{transcript}"
    s, replayed = trajectory(ReplayClient(model, transcript_path(model, "scale_shift")), problem)
    assert [r.response for r in replayed] == [r.response for r in recorded]
    assert [r.outcome.status for r in replayed] == [r.outcome.status for r in recorded]
    assert all(r.replay and r.model == model for r in replayed)
    assert s.ledger.charged_usd == 0


def test_replay_falls_back_to_order_when_prompts_changed(server, tmp_path):
    problem = write_problem(tmp_path)
    transcript = tmp_path / "t.jsonl"
    server.push(good(kernel("incorrect", message="no")), good(kernel()))
    trajectory(RecordingClient(openai_client(server), transcript), problem)
    # Another problem text: no message matches, the answers still come in their order.
    problem.write_text(problem.read_text().replace("x * 2.0 + 1.0", "x * 2.0 + 1.0  # v2"))
    client = ReplayClient("replay:t", transcript)
    _, replayed = trajectory(client, problem)
    assert [r.outcome.status.value for r in replayed] == ["incorrect", "correct"]


def test_exhausted_replay_ends_the_trajectory_with_a_note(server, tmp_path):
    problem = write_problem(tmp_path)
    transcript = tmp_path / "t.jsonl"
    server.push(good(kernel("incorrect", message="no")))
    trajectory(RecordingClient(openai_client(server), transcript), problem, turns=1)
    s, replayed = trajectory(ReplayClient("replay:t", transcript), problem, turns=3)
    assert len(replayed) == 1 and "no answer left" in s.notes[0]


def test_replay_errors_are_one_line(tmp_path):
    with pytest.raises(ReplayError, match="no demo transcript for problem 'nope'"):
        transcript_path("replay:demo", "nope")
    with pytest.raises(ReplayError, match="no such transcript file"):
        transcript_path(f"replay:{tmp_path}/missing.jsonl", "x")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"hello": 1}\n')
    with pytest.raises(ReplayError, match="not a kernelwright transcript"):
        ReplayClient("replay:bad", bad)


def test_verdicts_are_cached_per_code_and_conditions(tmp_path):
    problem = write_problem(tmp_path)
    inner = FakeEvaluator()
    cache = DiskCache(tmp_path / "outcomes")
    evaluate = CachedEvaluator(inner, cache, {"seed": 0}).evaluate
    first = asyncio.run(evaluate(problem, kernel("correct", 1.7)))
    again = asyncio.run(evaluate(problem, kernel("correct", 1.7)))
    assert len(inner.codes) == 1 and again.env["from_cache"] and "from_cache" not in first.env
    assert again.timing == first.timing
    asyncio.run(
        CachedEvaluator(inner, cache, {"seed": 1}).evaluate(problem, kernel("correct", 1.7))
    )
    asyncio.run(evaluate(problem, kernel("correct", 1.8)))
    assert len(inner.codes) == 3
    for _ in range(2):
        asyncio.run(evaluate(problem, kernel("crashed", message="illegal memory access")))
    assert len(inner.codes) == 5  # a crash is asked again
