"""Model clients: the request and response types, the client protocol, and the client for any
OpenAI-compatible endpoint (OpenAI, vLLM, SGLang, Ollama, Together ...).

The OpenAI client retries 429, 5xx, timeouts and dropped connections with exponential backoff
and full jitter, honours Retry-After, bounds the calls in flight, prices each call, keeps a
reasoning model's reasoning apart from its answer, and turns every other failure into one
ModelError line. A silent server is tried twice (``request_timeout_s`` each) and every call has
a deadline over all its tries and waits (``call_deadline_s``): a hung endpoint fails in
minutes, and the message lists what each try met.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import json
import os
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import openai
from pydantic import BaseModel, ConfigDict, Field

from kernelwright.agent.errors import (
    AuthError,
    ContextLengthError,
    MissingKeyError,
    ModelError,
    RequestRejectedError,
    RetriesExhaustedError,
    UnknownModelError,
    UnreachableError,
)
from kernelwright.agent.pricing import PriceTable

Message = dict[str, str]


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_json(data: Any) -> str:
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


class ChatRequest(BaseModel):
    """What the loop asks; the client adds the endpoint and the model name."""

    model_config = ConfigDict(frozen=True)

    messages: list[Message]
    temperature: float | None = None  # None: the server's default
    max_tokens: int = 8192
    n: int = 1
    seed: int | None = None

    def messages_key(self) -> str:
        return sha256_json(self.messages)


class Choice(BaseModel):
    content: str
    reasoning: str | None = None
    finish_reason: str | None = None


class ChatResponse(BaseModel):
    choices: list[Choice]
    model: str = ""  # the name the server answered with
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # What the tokens cost at list price; a cache hit keeps it and sets `cached`, so budgets
    # (and therefore trajectories) are the same on a re-run, which itself pays nothing.
    cost_usd: float = 0.0
    latency_s: float = 0.0
    cached: bool = False
    created_at: float = Field(default_factory=time.time)


class ModelClient(Protocol):
    name: str  # as recorded in attempts: the model, or "replay:..."
    base_url: str | None
    replay: bool

    async def complete(self, request: ChatRequest) -> ChatResponse: ...

    def answered(self, request: ChatRequest) -> None:
        """A resumed run has the answer to ``request`` on disk and does not ask it: a client
        that serves answers in order (a transcript) must move past it, so the next request
        gets the answer an uninterrupted run would have got."""

    async def aclose(self) -> None: ...


def request_key(client: ModelClient, request: ChatRequest) -> str:
    """The identity of a request: endpoint, model, messages and every sampling parameter."""
    return sha256_json({"base_url": client.base_url, "model": client.name, **request.model_dump()})


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 6
    # A refused connection is a wrong URL far more often than a blip: fail fast.
    connect_retries: int = 2
    # A server that sent nothing for a whole request timeout, twice, is hung, not busy.
    timeout_retries: int = 1
    base_s: float = 1.0
    max_backoff_s: float = 60.0
    # A Retry-After beyond this is a quota, not congestion: say so instead of sleeping.
    max_retry_after_s: float = 600.0

    def backoff(self, attempt: int) -> float:
        return random.uniform(0, min(self.max_backoff_s, self.base_s * 2**attempt))


OnRetry = Callable[[str, float], None]

# A hung endpoint fails within minutes: two silent tries of REQUEST_TIMEOUT_S each. A reasoning
# model's long non-streamed answer (8k tokens at 30 tok/s) still fits in one try.
REQUEST_TIMEOUT_S = 300.0
# Every try, wait and retry of one model call together, 429 storms included.
CALL_DEADLINE_S = 900.0
CONNECT_TIMEOUT_S = 10.0
MIN_TRY_S = 1.0

_CONTEXT_PATTERNS = re.compile(
    r"context[ _]length|maximum context|context window|too many tokens|prompt is too long"
    r"|exceeds? the (model's )?max",
    re.I,
)


def _retry_after(response: Any) -> float | None:
    headers = getattr(response, "headers", None) or {}
    if ms := headers.get("retry-after-ms"):
        try:
            return float(ms) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time()) if when else None


def _tally(reasons: list[str]) -> str:
    """What each try met, in order, repeats counted: 'no answer within 300 s x2'."""
    counted: list[tuple[str, int]] = []
    for r in reasons:
        if counted and counted[-1][0] == r:
            counted[-1] = (r, counted[-1][1] + 1)
        else:
            counted.append((r, 1))
    return ", ".join(r if k == 1 else f"{r} x{k}" for r, k in counted)


def _error_text(e: openai.APIStatusError, limit: int = 400) -> str:
    """The server's error message, on one line."""
    text = e.message
    body = e.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            text = str(inner["message"])
        elif isinstance(inner, str):
            text = inner
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _split_think(content: str) -> tuple[str, str | None]:
    """Servers that inline reasoning put it first, in <think> tags; keep it apart."""
    m = re.match(r"\s*<think>(.*?)</think>\s*", content, re.S)
    if not m:
        return content, None
    return content[m.end() :], m.group(1).strip()


def _choice(raw: Any) -> Choice:
    message = raw.message
    content = message.content or ""
    reasoning = getattr(message, "reasoning_content", None) or getattr(message, "reasoning", None)
    if reasoning is None:
        content, reasoning = _split_think(content)
    return Choice(
        content=content,
        reasoning=reasoning if isinstance(reasoning, str) else None,
        finish_reason=raw.finish_reason,
    )


class OpenAIClient:
    """Chat completions against an OpenAI-compatible endpoint."""

    replay = False

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        prices: PriceTable | None = None,
        concurrency: int = 4,
        request_timeout_s: float = REQUEST_TIMEOUT_S,
        call_deadline_s: float = CALL_DEADLINE_S,
        retry: RetryPolicy | None = None,
        on_retry: OnRetry | None = None,
    ):
        key = os.environ.get(api_key_env) if api_key_env else None
        if not key:
            raise MissingKeyError(
                f"${api_key_env} is not set: export it, or name another variable with "
                "--api-key-env (a server without authentication accepts any value, e.g. EMPTY)"
            )
        self.name = model
        self.base_url = base_url or "https://api.openai.com/v1"
        self.prices = prices or PriceTable()
        self.retry = retry or RetryPolicy()
        self.on_retry = on_retry
        self._limit = asyncio.Semaphore(concurrency)
        # OpenAI's reasoning models refuse max_tokens; switched on their first refusal.
        self._token_param = "max_tokens"
        self.request_timeout_s = request_timeout_s
        self.call_deadline_s = call_deadline_s
        # The SDK's own retries are off: ours honour Retry-After with jitter and say what happened.
        self._sdk = openai.AsyncOpenAI(api_key=key, base_url=self.base_url, max_retries=0)

    def answered(self, request: ChatRequest) -> None:
        return None  # an endpoint keeps no position

    async def aclose(self) -> None:
        await self._sdk.close()

    async def complete(self, request: ChatRequest) -> ChatResponse:
        start = time.monotonic()
        choices: list[Choice] = []
        prompt_tokens = completion_tokens = 0
        served = self.name
        async with self._limit:
            # The deadline starts once the call may go out: waiting for a slot is not its fault.
            deadline = time.monotonic() + self.call_deadline_s
            # Some servers ignore n; ask again for the rest, with a shifted seed.
            while len(choices) < request.n:
                seed = None if request.seed is None else request.seed + len(choices)
                raw = await self._create(request, request.n - len(choices), seed, deadline)
                if not raw.choices:
                    raise RequestRejectedError(f"{self.base_url} answered with no choices")
                choices.extend(_choice(c) for c in raw.choices)
                served = raw.model or served
                if raw.usage is not None:
                    prompt_tokens += raw.usage.prompt_tokens or 0
                    completion_tokens += raw.usage.completion_tokens or 0
        return ChatResponse(
            choices=choices[: request.n],
            model=served,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost_usd=self.prices.cost(self.name, prompt_tokens, completion_tokens),
            latency_s=time.monotonic() - start,
        )

    async def _create(self, request: ChatRequest, n: int, seed: int | None, deadline: float) -> Any:
        kwargs: dict[str, Any] = {"model": self.name, "messages": request.messages}
        if request.temperature is not None:
            kwargs["temperature"] = request.temperature
        if n != 1:
            kwargs["n"] = n
        if seed is not None:
            kwargs["seed"] = seed
        tried: list[str] = []
        connect_failures = timeouts = 0
        start = time.monotonic()
        while True:
            left = deadline - time.monotonic()
            # Non-streamed, the answer's first byte is the whole answer: the read timeout is
            # how long the server may stay silent, and a try never outlives the call's deadline.
            wait_s = min(self.request_timeout_s, left)
            timeout = httpx.Timeout(wait_s, connect=min(CONNECT_TIMEOUT_S, wait_s))
            try:
                return await asyncio.wait_for(
                    self._sdk.chat.completions.create(
                        **kwargs, **{self._token_param: request.max_tokens}, timeout=timeout
                    ),
                    wait_s,
                )
            except openai.BadRequestError as e:
                if self._token_param == "max_tokens" and "max_completion_tokens" in _error_text(e):
                    self._token_param = "max_completion_tokens"
                    continue
                raise await self._classify(e) from None
            except (openai.APITimeoutError, asyncio.TimeoutError):
                timeouts += 1
                reason, wait = f"no answer within {wait_s:.0f} s", None
            except openai.APIConnectionError as e:
                connect_failures += 1
                if connect_failures > self.retry.connect_retries:
                    cause = e.__cause__ or e
                    raise UnreachableError(
                        f"cannot reach {self.base_url} ({type(cause).__name__}: {cause}); "
                        "check --base-url and that the server is running"
                    ) from None
                reason, wait = "connection failed", None
            except openai.RateLimitError as e:
                if (e.code or "") == "insufficient_quota":
                    raise ModelError(f"{self.base_url}: {_error_text(e)}") from None
                reason, wait = "rate limited (429)", _retry_after(e.response)
            except openai.APIStatusError as e:
                # 5xx, and the two 4xx that mean "try again": request timeout and conflict.
                if e.status_code < 500 and e.status_code not in (408, 409):
                    raise await self._classify(e) from None
                reason, wait = f"server error ({e.status_code})", _retry_after(e.response)
            tried.append(reason)
            if len(tried) > self.retry.retries:
                raise self._gave_up(tried, start, "retries spent")
            if timeouts > self.retry.timeout_retries:
                raise self._gave_up(tried, start, "the server answers nothing")
            if wait is None:
                wait = self.retry.backoff(len(tried) - 1)
            elif wait > self.retry.max_retry_after_s:
                raise RetriesExhaustedError(
                    f"{self.base_url}: {reason}, and the server asks to wait {wait:.0f} s"
                )
            else:
                # At least what the server asked; a little more so waiting clients spread out.
                wait *= 1 + random.uniform(0, 0.1)
            # A retry needs time to answer as well as to wait for its turn.
            if time.monotonic() + wait + MIN_TRY_S > deadline:
                raise self._gave_up(
                    tried, start, f"the call's deadline is {self.call_deadline_s:.0f} s"
                )
            if self.on_retry:
                self.on_retry(reason, wait)
            await asyncio.sleep(wait)

    def _gave_up(self, tried: list[str], start: float, why: str) -> RetriesExhaustedError:
        return RetriesExhaustedError(
            f"{self.base_url}: gave up after {len(tried)} tries in "
            f"{time.monotonic() - start:.0f} s ({why}): {_tally(tried)}; see "
            "--request-timeout (per try) and --call-deadline (per call)"
        )

    async def _classify(self, e: openai.APIStatusError) -> ModelError:
        text = _error_text(e)
        if isinstance(e, (openai.AuthenticationError, openai.PermissionDeniedError)):
            return AuthError(f"{self.base_url} refused the key ({e.status_code}): {text}")
        if isinstance(e, openai.NotFoundError):
            known = await self._model_names()
            hint = f"; it serves: {', '.join(known[:8])}" if known else ""
            return UnknownModelError(
                f"model {self.name!r} not found at {self.base_url} (404: {text}){hint}"
            )
        if _CONTEXT_PATTERNS.search(text) or (e.code or "") == "context_length_exceeded":
            return ContextLengthError(
                f"the conversation exceeds {self.name}'s context window: {text}"
            )
        return RequestRejectedError(
            f"{self.base_url} rejected the request ({e.status_code}): {text}"
        )

    async def _model_names(self) -> list[str]:
        try:
            page = await self._sdk.models.list()
        except openai.OpenAIError:
            return []
        return sorted(m.id for m in page.data)
