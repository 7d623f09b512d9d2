"""Equivalent mutants, told by the compiler (Trivial Compiler Equivalence).

A mutant whose kernels compile to the original's very Triton IR, for every launch the
original's check recorded, is the same program on the GPU: no input can tell it apart, so it
says nothing about the checker and leaves the score's denominator. Only mutants of
``@triton.jit`` code qualify (a host-code mutant changes the launches themselves), and only
where each mutated statement is compiled at all: a statement whose removal would not change the
IR either (a branch dead at the launched constexprs, a kernel never launched) is one the check's
launches never reach, and a mutant there is a survivor to look at, not an equivalent.

IR that differs only in the ``other`` of masked loads whose masked-off lanes provably reach
no output (``dead_lanes.py``: the value is stored only under the load's mask, or replaced by a
``where`` on it, through lane-wise arithmetic alone), or only in where its side-effect-free
ops stand (``ir_order.py``: a cast moved from a load to the op that reads it), is the same
program too: both IRs are compared with those operands set aside, their lines in data-flow
order and their names renamed in order.

The compiles run in a sandboxed process of the pool's backend (``sandbox/ttir.py``) and are
cached on disk by Triton version, kernel source and launch record. Anything that keeps the
compiler from answering (no Triton API it knows, a compiler that crashes) makes the verdict
``unknown``: never ``equivalent``.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import json
import queue
import secrets
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from kernelwright.evals import dead_lanes as lanes
from kernelwright.evals.mutants import Mutant, insert_before, is_jit
from kernelwright.hardware import cache_root, write_json_atomic
from kernelwright.sandbox import kernel_source
from kernelwright.sandbox.backends import WorkerDied, WorkerSpec
from kernelwright.sandbox.launch_signature import MAX_RECORDS

START_TIMEOUT_S = 120.0
REQUEST_TIMEOUT_S = 120.0
CACHE_VERSION = 1


class Equivalence(BaseModel):
    """``equivalent``: the same IR for every recorded launch, each mutated statement compiled;
    ``different``: some launch compiles to other IR (or not at all); ``unknown``: not told."""

    verdict: Literal["equivalent", "different", "unknown"]
    why: str
    # False when a mutated statement compiles into none of the launched kernels: no input
    # of the original's check runs it (None: not asked).
    compiled: bool | None = None


@dataclass
class _Spec(WorkerSpec):
    @property
    def argv(self) -> list[str]:
        return [sys.executable, "-m", "kernelwright.sandbox.ttir", str(self.scratch)]


def _triton_version() -> str:
    from importlib.metadata import version

    return version("triton")


class IRCompiler:
    """The IR process of one ``mutate`` run, started at first use; cached answers never start
    it. A process that hangs, crashes or answers out of turn is killed and started again at
    the next request."""

    def __init__(self, backend, spec: WorkerSpec):
        self.backend = backend
        self.spec = _Spec(**spec.__dict__)
        self.handle = None
        self.ready = False
        self.unavailable: str | None = None
        self.compiled = 0  # requests that reached the compiler (cache misses)

    def close(self) -> None:
        """Kill the process for good: no request starts another."""
        self._kill()
        self.unavailable = "the IR compiler was closed"

    def _kill(self) -> None:
        if self.handle is not None:
            self.handle.kill()
            self.handle = None

    def ttir(self, source: str, records: list[dict]) -> list[tuple[str | None, str | None]]:
        """(IR, None) or (None, why) per record; compiles only what the cache lacks."""
        extracted = kernel_source.extract(source).text
        keys = [_key(extracted, r) for r in records]
        found = {k: hit for k in keys if (hit := _cached(k)) is not None}
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            answers = self._ask(source, [records[i] for i in missing])
            for i, answer in zip(missing, answers, strict=True):
                found[keys[i]] = answer
                # The source's own compile errors are cached; the machinery's failures are not.
                if answer[0] is not None or not (answer[1] or "").startswith("compiler:"):
                    write_json_atomic(_path(keys[i]), {"ir": answer[0], "error": answer[1]})
        return [found[k] for k in keys]

    def start(self) -> None:
        """Start the process now, so that its Triton loads while the caller works on."""
        if self.handle is None and not self.unavailable:
            try:
                self.spec.scratch.mkdir(parents=True, exist_ok=True)
                self.handle = self.backend.start(self.spec)
                self.ready = False
            except Exception as e:  # a backend that cannot start it
                self.unavailable = f"the IR compiler cannot start ({type(e).__name__}: {e})"

    def _ask(self, source: str, records: list[dict]) -> list[tuple[str | None, str | None]]:
        def failed(why: str) -> list[tuple[str | None, str | None]]:
            return [(None, f"compiler: {why}")] * len(records)

        self.start()
        if self.unavailable:
            return failed(self.unavailable)
        try:
            if not self.ready:
                ready = self.handle.recv(START_TIMEOUT_S)
                if not ready or ready.get("type") != "ready":
                    why = (ready or {}).get("why") or "did not start in time"
                    self.unavailable = f"the IR compiler is unavailable here ({why})"
                    self._kill()
                    return failed(self.unavailable)
                self.ready = True
            nonce = secrets.token_hex(16)
            self.handle.send({"type": "ttir", "nonce": nonce, "source": source, "records": records})
            msg = self.handle.recv(REQUEST_TIMEOUT_S)
        except WorkerDied as e:
            if not self.ready:  # it dies as it starts: it would again
                self.unavailable = f"the IR compiler died as it started ({e})"
            self._kill()
            return failed(f"the IR compiler died ({e})")
        if msg is None or msg.get("nonce") != nonce or "failed" in msg:
            self._kill()
            why = "no answer in time" if msg is None else msg.get("failed", "an answer out of turn")
            return failed(why)
        self.compiled += len(records)
        try:
            return list(zip(msg["ir"], msg["errors"], strict=True))
        except (KeyError, TypeError, ValueError):
            self._kill()
            return failed("an answer out of turn")


def _key(extracted: str, record: dict) -> str:
    blob = json.dumps(
        [CACHE_VERSION, _triton_version(), extracted, record], sort_keys=True, default=str
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def _path(key: str) -> Path:
    return cache_root() / "ttir" / key[:2] / f"{key}.json"


def _cached(key: str) -> tuple[str | None, str | None] | None:
    try:
        data = json.loads(_path(key).read_text())
        return data["ir"], data["error"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def changed_lines(original: str, mutated: str) -> list[int]:
    """The original's line numbers (1-based) that the mutant replaced or deleted."""
    a, b = original.splitlines(), mutated.splitlines()
    lines: list[int] = []
    for op, i1, i2, _, _ in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op != "equal":
            lines += range(i1 + 1, max(i2, i1 + 1) + 1)
    return sorted(set(lines))


def _marker(tree: ast.Module) -> str | None:
    """A statement that always changes a kernel's IR where it is compiled (a barrier), spelt
    with the name the source gave triton.language."""
    spelt = None
    for node in tree.body:
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "triton.language" and a.asname:
                    spelt = a.asname
                elif a.name == "triton" and not a.asname and spelt is None:
                    spelt = "triton.language"
        elif isinstance(node, ast.ImportFrom) and node.module == "triton" and not node.level:
            for a in node.names:
                if a.name == "language":
                    spelt = a.asname or "language"
    return f"{spelt}.debug_barrier()" if spelt else None


def _jit_spans(tree: ast.Module) -> list[tuple[int, int]]:
    return [(n.lineno, n.end_lineno) for n in ast.walk(tree) if is_jit(n)]


class Judge:
    """Tells each mutant of one original equivalent or not, at the original's launch records."""

    def __init__(self, compiler: IRCompiler, original: str, records: list[dict[str, Any]]):
        self.compiler = compiler
        self.original = original
        self.records = records
        self.tree = ast.parse(original)
        self.spans = _jit_spans(self.tree)
        self.marker = _marker(self.tree)
        self._base: list[tuple[str | None, str | None]] | None = None
        self._live: dict[int, bool | None] = {}
        self._canonical: dict[int, str] = {}
        self._variants: dict[int, dict[str, int]] = {}

    def base(self) -> list[tuple[str | None, str | None]]:
        if self._base is None:
            self._base = self.compiler.ttir(self.original, self.records)
        return self._base

    def judge(self, mutant: Mutant) -> Equivalence:
        if not self.records:
            return Equivalence(verdict="unknown", why="the original's check recorded no launch")
        if len(self.records) >= MAX_RECORDS:
            # The record list stops there: launches past it were never compared.
            return Equivalence(
                verdict="unknown", why=f"{MAX_RECORDS} or more distinct launches to compare"
            )
        lines = changed_lines(self.original, mutant.code)
        host = [n for n in lines if not any(a <= n <= b for a, b in self.spans)]
        if host:
            return Equivalence(
                verdict="unknown",
                why=f"host code changed (line {host[0]}): the launches themselves may differ",
            )
        base = self.base()
        errors = [why for ir, why in base if ir is None]
        if errors:
            return Equivalence(verdict="unknown", why=f"the original: {errors[0]}")
        # One record at a time: most mutants differ at the first, and need no more compiles.
        # What set the IR texts apart where they are not equal (None: nothing).
        apart: str | None = None
        for i, (record, (ir, _)) in enumerate(zip(self.records, base, strict=True)):
            ((mir, why),) = self.compiler.ttir(mutant.code, [record])
            if mir is None:
                if why and why.startswith("compiler:"):
                    return Equivalence(verdict="unknown", why=why)
                return Equivalence(verdict="different", why=f"does not compile: {why}")
            if mir != ir:
                if lanes.canonical(mir)[0] != self.canonical(i):
                    shared = lanes.small_other_variants(mir).keys() & self.variants(i).keys()
                    if not shared:
                        return Equivalence(verdict="different", why="other Triton IR")
                    apart = (
                        f"but for the `other` of the load at line {lines[0]}, whose masked "
                        "lanes meet only factors that are zero (or NaN) there: any `other` "
                        "from 0 to 1, this one and the original's, gives the same products"
                    )
                elif lanes.canonical(mir, prove=False)[0] != lanes.canonical(ir, prove=False)[0]:
                    apart = (
                        f"but for the `other` of the load at line {lines[0]}, whose masked "
                        "lanes reach no output (its value is stored only under its mask, or "
                        "replaced by a where on it, lane by lane or row and column; in a tile "
                        "loop, lanes only its last trip masks off may also pass a forward scan "
                        "or a total the loop never hands on)"
                    )
                elif apart is None:
                    apart = (
                        "up to where its side-effect-free ops stand (each placed by its uses) "
                        "and the names of its values"
                    )
        live = {n: self.live(n) for n in lines}
        if dead := [n for n, v in live.items() if v is False]:
            return Equivalence(
                verdict="unknown",
                compiled=False,
                why=f"line {dead[0]} compiles into none of the launched kernels (dead at the "
                "launched constexprs, or never launched): the check does not reach it",
            )
        if untold := [n for n, v in live.items() if v is None]:
            return Equivalence(
                verdict="unknown",
                why=f"whether line {untold[0]} compiles into a launched kernel cannot be told "
                "(no statement fits before it, or the compiler did not answer)",
            )
        why = (
            f"the same Triton IR as the original for each of the {len(self.records)} "
            "launch record(s) of its check"
        )
        return Equivalence(
            verdict="equivalent", compiled=True, why=f"{why}, {apart}" if apart else why
        )

    def canonical(self, i: int) -> str:
        """The original's IR at record ``i`` with the ``other`` of its dead-lane loads set
        aside (``dead_lanes.canonical``)."""
        if i not in self._canonical:
            self._canonical[i] = lanes.canonical(self.base()[i][0])[0]
        return self._canonical[i]

    def variants(self, i: int) -> dict[str, int]:
        """The original's IR at record ``i`` with one more small ``other`` set aside, each
        way it can be (``dead_lanes.small_other_variants``)."""
        if i not in self._variants:
            self._variants[i] = lanes.small_other_variants(self.base()[i][0])
        return self._variants[i]

    def live(self, line: int) -> bool | None:
        """Does the statement at ``line`` compile into some launched kernel? A barrier put
        before it changes the IR of some record exactly when it does."""
        if line not in self._live:
            marked = insert_before(self.original, line, self.marker) if self.marker else None
            try:
                ast.parse(marked or "")
            except SyntaxError:  # no statement fits there (an `elif` line)
                marked = None
            if marked is None:
                self._live[line] = None
            else:
                self._live[line] = False
                for record, (base, _) in zip(self.records, self.base(), strict=True):
                    ((ir, _),) = self.compiler.ttir(marked, [record])
                    if ir is None:
                        self._live[line] = None
                        break
                    if ir != base:
                        self._live[line] = True
                        break
        return self._live[line]


def judged(judge: Judge, mutants: list[Mutant]) -> Iterator[tuple[Mutant, Equivalence, float]]:
    """Each mutant with its verdict and the seconds it took, in order, judged by a thread of
    its own ahead of the reader: a worker that frees up finds the next verdict ready. The
    thread stops when the iterator is closed (after the mutant it is judging)."""
    ready: queue.Queue = queue.Queue()
    stop = threading.Event()

    def work() -> None:
        for m in mutants:
            if stop.is_set():
                break
            began = time.monotonic()
            try:
                verdict = judge.judge(m)
            except Exception as e:  # never equivalent on a judge's failure: it is checked
                why = f"the equivalence test failed ({type(e).__name__}: {e})"
                verdict = Equivalence(verdict="unknown", why=why)
            ready.put((m, verdict, time.monotonic() - began))
        ready.put(None)

    threading.Thread(target=work, name="equivalence", daemon=True).start()
    try:
        while (item := ready.get()) is not None:
            yield item
    finally:
        stop.set()
