"""The loop and the strategies, driven by the real openai SDK against the local fake server and
a fake evaluator: feedback reaches the model, strategies pick the best, budgets stop runs."""

from __future__ import annotations

import asyncio
import json

import pytest
from agent_fakes import FakeEvaluator, kernel, session, write_problem
from fake_openai import FakeOpenAI, Reply, context_overflow, fenced, good, malformed, truncated

from kernelwright.agent.errors import ContextLengthError
from kernelwright.agent.models import OpenAIClient, RetryPolicy
from kernelwright.agent.strategies import run_strategy
from kernelwright.outcome import Status

MISMATCH = "output 0 mismatch at index (3,): got 3.0, expected 2.0 (max abs error 1.0)"


@pytest.fixture
def server():
    with FakeOpenAI() as s:
        yield s


@pytest.fixture
def problem(tmp_path):
    return write_problem(tmp_path)


@pytest.fixture(autouse=True)
def key(monkeypatch):
    monkeypatch.setenv("TEST_KEY", "sk-test")


def run(server, problem, strategy="refine", evaluator=None, samples=1, beam_width=2, **limits):
    client = OpenAIClient(
        "fake-model",
        base_url=server.base_url,
        api_key_env="TEST_KEY",
        retry=RetryPolicy(base_s=0.01),
    )
    evaluator = evaluator or FakeEvaluator()
    s = session(problem, client, evaluator, **limits)
    written = []
    s.on_attempt = written.append

    async def go():
        try:
            return await run_strategy(s, strategy, samples=samples, beam_width=beam_width)
        finally:
            await client.aclose()

    records = asyncio.run(go())
    assert sorted(r.attempt_id for r in written) == sorted(r.attempt_id for r in records)
    return s, records, evaluator


def test_failure_feedback_reaches_the_model_then_correct(server, problem):
    server.push(good(kernel("incorrect", message=MISMATCH)), good(kernel("correct")))
    s, records, evaluator = run(server, problem)
    assert [r.outcome.status for r in records] == [Status.incorrect, Status.correct]
    first, second = server.chat_requests()
    assert second["messages"][:2] == first["messages"]
    assert second["messages"][2] == {"role": "assistant", "content": records[0].response}
    assert second["messages"][3]["role"] == "user" and MISMATCH in second["messages"][3]["content"]
    assert records[1].parent_id == records[0].attempt_id
    assert records[0].trajectory_id == records[1].trajectory_id
    assert [r.turn for r in records] == [0, 1]
    assert records[1].usage.prompt_tokens > records[0].usage.prompt_tokens > 0
    assert s.ledger.best is records[1] and s.ledger.stop_reason is None
    assert len(evaluator.codes) == 2


def test_malformed_and_truncated_answers_are_format_errors_never_evaluated(server, problem):
    server.push(malformed(), truncated(kernel()), good(kernel()))
    s, records, evaluator = run(server, problem)
    assert [r.outcome.status for r in records] == [
        Status.format_error,
        Status.format_error,
        Status.correct,
    ]
    assert records[0].code is None and len(evaluator.codes) == 1
    requests = server.chat_requests()
    assert "No ```python code block" in requests[1]["messages"][-1]["content"]
    assert "cut off at the token limit" in requests[2]["messages"][-1]["content"]


def test_refine_stops_at_the_turn_limit(server, problem):
    server.push(*[good(kernel("compile_error", message="bad"))] * 3)
    _, records, _ = run(server, problem, turns=3)
    assert len(records) == 3 and len(server.chat_requests()) == 3


def test_refine_improves_until_the_target_speedup(server, problem):
    server.push(good(kernel("correct", 1.5)), good(kernel("correct", 2.5)), good(kernel()))
    s, records, _ = run(server, problem, turns=5, target_speedup=2.0)
    assert [r.outcome.timing.speedup_eager for r in records] == [1.5, 2.5]
    assert s.ledger.stop_reason == "target"


def test_token_budget_stops_the_run(server, problem):
    server.push(good(kernel("incorrect", message="no")), good(kernel()))
    s, records, _ = run(server, problem, turns=5, max_tokens_total=10)
    assert len(records) == 1 and s.ledger.stop_reason == "max_tokens_total"


def test_context_overflow_ends_a_later_turn_but_not_silently(server, problem):
    server.push(good(kernel("incorrect", message="no")), context_overflow())
    s, records, _ = run(server, problem)
    assert len(records) == 1 and "context" in s.notes[0]
    server.push(context_overflow())
    with pytest.raises(ContextLengthError):
        run(server, problem)


def by_seed(table):
    """A responder answering each request by its seed; the seed is the sample's number."""

    def respond(body):
        return Reply(content=fenced(table[body["seed"]]), delay_s=0.3)

    return respond


def test_best_of_k_runs_trajectories_at_once_and_picks_the_fastest(server, problem):
    server.responder = by_seed(
        {0: kernel("correct", 1.2), 1: kernel("correct", 3.0), 2: kernel("incorrect", message="no")}
    )
    evaluator = FakeEvaluator(delay_s=0.2)
    s, records, _ = run(server, problem, "best-of-k", evaluator, samples=3, turns=1)
    assert sorted(r.sample for r in records) == [0, 1, 2]
    assert s.ledger.best.sample == 1 and s.ledger.best.outcome.timing.speedup_eager == 3.0
    times = [r["_time"] for r in server.chat_requests()]
    assert max(times) - min(times) < 0.3  # all three asked before the first answer came
    assert evaluator.max_in_flight == 3


def test_beam_keeps_the_best_and_improves_them(server, problem):
    fast, slow = kernel("correct", 1.5), kernel("correct", 1.1)
    round0 = [kernel("incorrect", message="no"), fast, slow, kernel("compile_error", message="x")]
    improvements = {
        fast: [kernel("correct", 2.5), kernel("incorrect", message="no")],
        slow: [kernel("correct", 1.2), kernel("correct", 1.0)],
    }

    def respond(body):
        if len(body["messages"]) == 2:
            return Reply(contents=[fenced(c) for c in round0])
        parent = body["messages"][-2]["content"]
        return Reply(
            contents=[
                fenced(c)
                for c in improvements[next(k for k in improvements if k.strip() in parent)]
            ]
        )

    server.responder = respond
    s, records, _ = run(server, problem, "beam", samples=4, beam_width=2, turns=2)
    requests = server.chat_requests()
    assert [r["n"] for r in requests] == [4, 2, 2]
    assert len(records) == 8 and sorted(r.sample for r in records) == list(range(8))
    best = s.ledger.best
    assert best.turn == 1 and best.outcome.timing.speedup_eager == 2.5
    parent = next(r for r in records if r.attempt_id == best.parent_id)
    assert parent.outcome.timing.speedup_eager == 1.5 and parent.turn == 0
    assert best.trajectory_id == parent.trajectory_id
    # Each improvement request shows the model its parent and the parent's feedback.
    assert all(r["messages"][-1]["role"] == "user" for r in requests[1:])


def test_beam_stops_once_correct_on_the_interpreter(server, problem):
    server.responder = lambda body: Reply(contents=[fenced(kernel()), fenced(kernel("incorrect"))])
    s, records, _ = run(server, problem, "beam", samples=2, beam_width=1, turns=3)
    assert len(server.chat_requests()) == 1 and s.ledger.best.outcome.correct


def test_records_serialise(server, problem):
    server.push(good(kernel()))
    _, records, _ = run(server, problem)
    data = json.loads(records[0].model_dump_json())
    assert data["model"] == "fake-model" and data["replay"] is False
    assert data["sampling"] == {"temperature": 0.0, "max_tokens": 512, "n": 1, "seed": 0}
    assert data["problem"]["name"] == "scale_shift" and data["prompt_version"]


def test_dollar_and_wall_budgets_stop_the_run(server, problem, monkeypatch):
    server.push(good(kernel("incorrect", message="no")), good(kernel()))
    monkeypatch.setattr("kernelwright.agent.models.PriceTable.cost", lambda self, model, p, c: 0.5)
    s, records, _ = run(server, problem, turns=5, max_cost=0.4)
    assert len(records) == 1 and s.ledger.stop_reason == "max_cost"
    assert s.ledger.cost_usd == 0.5
    s, records, _ = run(server, problem, turns=5, max_wall_s=0.0)
    assert records == [] and s.ledger.stop_reason == "max_wall"
