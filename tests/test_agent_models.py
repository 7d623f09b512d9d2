"""The OpenAI client (the real openai SDK) against the local fake server: answers, reasoning,
retries (429 with Retry-After, 500, a stalled response), and one-line errors."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
from fake_openai import (
    FakeOpenAI,
    Reply,
    answer,
    context_overflow,
    rate_limited,
    server_error,
    stalled,
)

from kernelwright.agent.errors import (
    ContextLengthError,
    MissingKeyError,
    RetriesExhaustedError,
    UnknownModelError,
    UnreachableError,
)
from kernelwright.agent.models import ChatRequest, OpenAIClient, RetryPolicy
from kernelwright.agent.pricing import Price, PriceTable

FAST = RetryPolicy(retries=3, connect_retries=1, base_s=0.01, max_backoff_s=0.05)
ASK = ChatRequest(messages=[{"role": "user", "content": "write a kernel"}], max_tokens=100)


@pytest.fixture
def server():
    with FakeOpenAI(models=("fake-model", "other-model")) as s:
        yield s


@pytest.fixture(autouse=True)
def key(monkeypatch):
    monkeypatch.setenv("TEST_KEY", "sk-test")


def client(server: FakeOpenAI, model: str = "fake-model", **kw) -> OpenAIClient:
    kw.setdefault("retry", FAST)
    return OpenAIClient(model, base_url=server.base_url, api_key_env="TEST_KEY", **kw)


def ask(c: OpenAIClient, request: ChatRequest = ASK):
    async def go():
        try:
            return await c.complete(request)
        finally:
            await c.aclose()

    return asyncio.run(go())


def test_answer_usage_cost_and_reasoning_kept_apart(server):
    server.push(answer("```python\nx = 1\n```", reasoning="first I think"))
    prices = PriceTable({"fake-model": Price(input=1.0, output=2.0)})
    r = ask(client(server, prices=prices))
    assert r.choices[0].content == "```python\nx = 1\n```"
    assert r.choices[0].reasoning == "first I think"
    assert r.prompt_tokens > 0 and r.completion_tokens > 0
    assert r.cost_usd == pytest.approx((r.prompt_tokens * 1.0 + r.completion_tokens * 2.0) / 1e6)
    sent = server.chat_requests()[0]
    assert sent["model"] == "fake-model" and sent["max_tokens"] == 100
    assert "temperature" not in sent  # None: left to the server
    assert server.headers[0]["Authorization"] == "Bearer sk-test"


def test_inline_think_tags_become_reasoning(server):
    server.push(answer("<think>plan the tiles</think>\nhere it is"))
    r = ask(client(server))
    assert r.choices[0].reasoning == "plan the tiles"
    assert r.choices[0].content == "here it is"


def test_429_waits_as_long_as_retry_after_says(server):
    server.push(rate_limited(retry_after=1), answer("ok"))
    retries = []
    start = time.monotonic()
    r = ask(client(server, on_retry=lambda reason, wait: retries.append((reason, wait))))
    assert r.choices[0].content == "ok"
    assert time.monotonic() - start >= 1.0
    assert len(server.chat_requests()) == 2
    assert retries[0][0] == "rate limited (429)" and 1.0 <= retries[0][1] <= 1.1


def test_500_is_retried(server):
    server.push(server_error(500), server_error(503), answer("ok"))
    assert ask(client(server)).choices[0].content == "ok"
    assert len(server.chat_requests()) == 3


def test_persistent_500_gives_up_with_one_line(server):
    server.push(*[server_error(500)] * 5)
    with pytest.raises(
        RetriesExhaustedError, match=r"gave up after 4 tries .*server error \(500\) x4"
    ):
        ask(client(server))


def test_stalled_response_times_out_and_is_retried(server):
    server.push(stalled(30), answer("ok"))
    start = time.monotonic()
    r = ask(client(server, request_timeout_s=0.5))
    assert r.choices[0].content == "ok"
    assert len(server.chat_requests()) == 2
    assert time.monotonic() - start < 10


def test_missing_key_is_one_clear_line(monkeypatch, server):
    monkeypatch.delenv("NO_SUCH_KEY", raising=False)
    with pytest.raises(MissingKeyError, match=r"\$NO_SUCH_KEY is not set"):
        OpenAIClient("fake-model", base_url=server.base_url, api_key_env="NO_SUCH_KEY")


def test_unreachable_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    c = OpenAIClient(
        "m", base_url=f"http://127.0.0.1:{port}/v1", api_key_env="TEST_KEY", retry=FAST
    )
    with pytest.raises(UnreachableError, match=rf"cannot reach http://127.0.0.1:{port}/v1"):
        ask(c)


def test_unknown_model_names_the_ones_served(server):
    with pytest.raises(UnknownModelError) as e:
        ask(client(server, model="gpt-9"))
    message = str(e.value)
    assert "'gpt-9' not found" in message and "fake-model, other-model" in message
    assert "\n" not in message


def test_context_overflow(server):
    server.push(context_overflow())
    with pytest.raises(ContextLengthError, match="maximum context length is 8192"):
        ask(client(server))


def test_n_is_topped_up_when_the_server_ignores_it(server):
    server.push(Reply(content="a", choices=1), Reply(content="b", choices=1))
    r = ask(client(server), ASK.model_copy(update={"n": 2, "seed": 7}))
    assert [c.content for c in r.choices] == ["a", "b"]
    first, second = server.chat_requests()
    assert (first["n"], first["seed"]) == (2, 7)
    assert "n" not in second and second["seed"] == 8


def test_switches_to_max_completion_tokens_when_asked(server):
    server.push(
        Reply(
            status=400,
            error="Unsupported parameter: 'max_tokens' is not supported with "
            "this model. Use 'max_completion_tokens' instead.",
        ),
        answer("ok"),
    )
    assert ask(client(server)).choices[0].content == "ok"
    first, second = server.chat_requests()
    assert "max_tokens" in first and second["max_completion_tokens"] == 100


def test_price_table_matches_the_longest_prefix(tmp_path):
    table = PriceTable()
    assert table.lookup("gpt-4o-mini-2024-07-18") == table.prices["gpt-4o-mini"]
    assert table.lookup("openai/gpt-4o") == table.prices["gpt-4o"]
    assert table.cost("unknown-model", 1000, 1000) == 0.0
    f = tmp_path / "prices.json"
    f.write_text('{"my-model": {"input": 3, "output": 4}}')
    assert PriceTable.load(f).cost("my-model", 10**6, 10**6) == 7.0
