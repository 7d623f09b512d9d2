"""A scriptable OpenAI-compatible HTTP server on 127.0.0.1, run in a thread by tests.

It serves ``POST /v1/chat/completions`` and ``GET /v1/models``. Each chat request takes the
next scripted ``Reply`` (or, with none left, asks ``responder(body)`` if one is set); every
request is recorded in ``requests``. Replies: an answer (good, wrong, malformed, truncated),
429 with Retry-After, 500, a stalled response, or any error status and body.

    with FakeOpenAI() as server:
        server.push(wrong(code), good(code))
        ... OpenAI(base_url=server.base_url, api_key="x") ...
        server.requests[1]["messages"]
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    content: str | None = ""
    reasoning: str | None = None
    finish_reason: str = "stop"
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None  # the error body's message, for a non-200 status
    code: str | None = None  # the error body's code
    delay_s: float = 0.0  # wait this long before answering (a stalled server)
    choices: int | None = None  # answer with this many choices instead of the request's n
    contents: list[str] | None = None  # one content per choice, instead of `content` for all


def answer(text: str, **kw: Any) -> Reply:
    return Reply(content=text, **kw)


def fenced(code: str, prose: str = "Here is the kernel.") -> str:
    return f"{prose}\n\n```python\n{code.strip()}\n```\n"


def good(code: str, **kw: Any) -> Reply:
    return Reply(content=fenced(code), **kw)


def wrong(code: str, **kw: Any) -> Reply:
    return Reply(content=fenced(code, "This version should work."), **kw)


def malformed(**kw: Any) -> Reply:
    return Reply(content="I would tile the rows and use a reduction, then store the result.", **kw)


def truncated(code: str, **kw: Any) -> Reply:
    text = fenced(code)
    return Reply(content=text[: len(text) // 2], finish_reason="length", **kw)


def rate_limited(retry_after: float = 1.0) -> Reply:
    return Reply(
        status=429,
        headers={"Retry-After": f"{retry_after:g}"},
        error="Rate limit reached",
        code="rate_limit_exceeded",
    )


def server_error(status: int = 500) -> Reply:
    return Reply(status=status, error="The server had an error while processing your request.")


def stalled(seconds: float, then: Reply | None = None) -> Reply:
    reply = then or Reply(content="too late")
    reply.delay_s = seconds
    return reply


def context_overflow() -> Reply:
    return Reply(
        status=400,
        error="This model's maximum context length is 8192 tokens. However, your messages "
        "resulted in 9000 tokens.",
        code="context_length_exceeded",
    )


class FakeOpenAI:
    def __init__(self, models: tuple[str, ...] = ("fake-model",)):
        self.models = models
        self.script: deque[Reply] = deque()
        self.responder: Callable[[dict[str, Any]], Reply] | None = None
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def push(self, *replies: Reply) -> None:
        with self._lock:
            self.script.extend(replies)

    def chat_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r.get("_path") == "/v1/chat/completions"]

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _next(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            if self.script:
                return self.script.popleft()
        if self.responder is not None:
            return self.responder(body)
        return Reply(status=400, error="fake server: no scripted reply left")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str]) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a stalled reply): nothing to answer

            def do_GET(self) -> None:
                if self.path.rstrip("/") != "/v1/models":
                    self._send(404, {"error": {"message": f"no route {self.path}"}}, {})
                    return
                data = [
                    {"id": m, "object": "model", "created": 0, "owned_by": "fake"}
                    for m in fake.models
                ]
                self._send(200, {"object": "list", "data": data}, {})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                with fake._lock:
                    fake.requests.append({**body, "_path": self.path, "_time": time.monotonic()})
                    fake.headers.append(dict(self.headers))
                if self.path != "/v1/chat/completions":
                    self._send(404, {"error": {"message": f"no route {self.path}"}}, {})
                    return
                if body.get("model") not in fake.models:
                    message = f"The model `{body.get('model')}` does not exist"
                    error = {
                        "message": message,
                        "type": "invalid_request_error",
                        "code": "model_not_found",
                    }
                    self._send(404, {"error": error}, {})
                    return
                reply = fake._next(body)
                if reply.delay_s and fake._closing.wait(reply.delay_s):
                    return
                if reply.status != 200:
                    error = {"message": reply.error or "error", "type": "error", "code": reply.code}
                    self._send(reply.status, {"error": error}, reply.headers)
                    return
                self._send(200, self._completion(body, reply), reply.headers)

            def _completion(self, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
                n = reply.choices if reply.choices is not None else int(body.get("n") or 1)
                contents = reply.contents or [reply.content] * n
                prompt = sum(len(m.get("content") or "") for m in body.get("messages", [])) // 4
                completion = sum(len(c or "") // 4 for c in contents[:n])
                completion += n * (len(reply.reasoning or "") // 4)
                choices = []
                for i in range(n):
                    message: dict[str, Any] = {"role": "assistant", "content": contents[i]}
                    if reply.reasoning is not None:
                        message["reasoning_content"] = reply.reasoning
                    choices.append(
                        {"index": i, "message": message, "finish_reason": reply.finish_reason}
                    )
                return {
                    "id": f"chatcmpl-fake{len(fake.requests)}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body["model"],
                    "choices": choices,
                    "usage": {
                        "prompt_tokens": prompt,
                        "completion_tokens": completion,
                        "total_tokens": prompt + completion,
                    },
                }

        return Handler
