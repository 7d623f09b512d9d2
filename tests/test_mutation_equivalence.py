"""Equivalent mutants told by the compiler: the original's Triton IR at every launch its check
recorded, each mutated statement compiled; never claimed where the compiler cannot answer."""

from __future__ import annotations

import json

import pytest

from conftest import TESTS
from kernelwright.evals import equivalence, mutation
from kernelwright.evals.equivalence import Equivalence, IRCompiler, Judge, changed_lines
from kernelwright.evals.mutants import Mutant
from kernelwright.outcome import Outcome, Status
from kernelwright.sandbox.launch_signature import int_spec
from kernelwright.sandbox.ttir import compile_ttir

ORIGINAL = (TESTS / "candidates" / "broken" / "correct.py").read_text()
TENSOR = {"kind": "tensor", "dtype": "fp32", "aligned": True}
RECORD = {
    "kernel": "add_kernel",
    "args": {
        "x_ptr": TENSOR,
        "y_ptr": TENSOR,
        "out_ptr": TENSOR,
        "n": int_spec(1000),
        "BLOCK": {"kind": "constexpr", "value": 256},
    },
    "options": {"num_warps": 4},
}


def _mutant(code: str, mid: str = "m-1") -> Mutant:
    return Mutant(id=mid, bug_class="scale", operator="x", line=1, description="", code=code)


@pytest.fixture
def compiler(pool, tmp_path, monkeypatch):
    monkeypatch.setenv("KERNELWRIGHT_CACHE_DIR", str(tmp_path / "cache"))
    c = IRCompiler(pool.backend, pool.helper_spec(f"ttir-{tmp_path.name}"))
    yield c
    c.close()


def test_the_same_ir_is_equivalent_other_ir_is_not(compiler):
    judge = Judge(compiler, ORIGINAL, [RECORD])
    # x * 1.0 is x in IEEE arithmetic: the compiler folds it, the program is the original's.
    same = judge.judge(_mutant(ORIGINAL.replace("x + y, mask", "(x + y) * 1.0, mask")))
    assert same.verdict == "equivalent" and same.compiled is True
    other = judge.judge(_mutant(ORIGINAL.replace("x + y, mask", "x - y, mask")))
    assert other.verdict == "different"
    broken = judge.judge(_mutant(ORIGINAL.replace("x + y, mask", "tl.sum(x, axis=1), mask")))
    assert broken.verdict == "different" and broken.why.startswith("does not compile")
    host = judge.judge(_mutant(ORIGINAL.replace("cdiv(n, 256)", "cdiv(n, 512)")))
    assert host.verdict == "unknown" and "host code" in host.why
    # Cached on disk: asking again compiles nothing.
    before = compiler.compiled
    judge2 = Judge(compiler, ORIGINAL, [RECORD])
    assert judge2.judge(_mutant(ORIGINAL.replace("x + y, mask", "x - y, mask"))).verdict == (
        "different"
    )
    assert compiler.compiled == before


def test_a_statement_the_launched_constexprs_never_compile_is_not_equivalent(compiler):
    branchy = ORIGINAL.replace(
        "    mask = offs < n\n",
        "    mask = offs < n\n    if BLOCK > 4096:\n        mask = offs < n + 0\n",
    )
    judge = Judge(compiler, branchy, [RECORD])
    dead = judge.judge(_mutant(branchy.replace("offs < n + 0", "offs <= n + 0")))
    # Same IR (the branch is gone at BLOCK=256), but the check never reaches the statement.
    assert dead.verdict == "unknown" and dead.compiled is False
    assert "compiles into none of the launched kernels" in dead.why


def test_an_integer_the_check_passed_as_1_is_not_folded():
    kernel = ORIGINAL.replace(
        "def add_kernel(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):",
        "def add_kernel(x_ptr, y_ptr, out_ptr, n, s, BLOCK: tl.constexpr):",
    ).replace("x = tl.load(x_ptr + offs, mask", "x = tl.load(x_ptr + offs * s, mask")
    mutated = kernel.replace("x_ptr + offs * s", "x_ptr + offs")
    record = {**RECORD, "args": {**RECORD["args"], "s": int_spec(1)}}
    a = compile_ttir(kernel, [record], _fresh())
    b = compile_ttir(mutated, [record], _fresh())
    # Triton would fold s == 1 into the kernel; a mutant that only a stride of 1 makes
    # harmless is not the same program.
    assert a["ir"][0] and b["ir"][0] and a["ir"][0] != b["ir"][0]


def _fresh():
    import tempfile
    from pathlib import Path

    # A folder of its own per compile: Python's line cache keys a kernel's source by path.
    return Path(tempfile.mkdtemp())


class _NoBackend:
    name = "none"

    def start(self, spec):
        raise RuntimeError("no sandbox here")


def test_a_compiler_that_cannot_run_never_says_equivalent(pool, tmp_path, monkeypatch):
    monkeypatch.setenv("KERNELWRIGHT_CACHE_DIR", str(tmp_path / "cache"))
    judge = Judge(IRCompiler(_NoBackend(), pool.helper_spec("ttir-none")), ORIGINAL, [RECORD])
    got = judge.judge(_mutant(ORIGINAL.replace("x + y, mask", "(x + y) * 1.0, mask")))
    assert got.verdict == "unknown" and "cannot start" in got.why
    # Nor does a check that recorded no launch.
    assert Judge(judge.compiler, ORIGINAL, []).judge(_mutant(ORIGINAL)).verdict == "unknown"


def test_changed_lines_are_the_originals():
    assert changed_lines("a\nb\nc\n", "a\nB\nc\n") == [2]
    assert changed_lines("a\nb\nc\n", "a\nc\n") == [2]


def _result(mid: str, status: Status | None, eq: str | None = None):
    outcome = None if status is None else Outcome(status=status, message="")
    return mutation.MutantResult(
        id=mid,
        bug_class="mask",
        operator="x",
        line=1,
        description="d",
        code="",
        diff="",
        outcome=outcome,
        equivalence=Equivalence(verdict=eq, why="w") if eq else None,
    )


def test_equivalents_leave_the_denominator_and_are_listed_apart():
    results = [
        _result("a", Status.incorrect),
        _result("b", Status.correct, "unknown"),
        _result("c", None, "equivalent"),
        _result("d", Status.compile_error),
    ]
    s = mutation.summarise("p", "s.py", results, 4, "small", {})
    assert (s.compiling, s.equivalent, s.refused, s.score) == (3, 1, 1, 0.5)
    assert [e["id"] for e in s.equivalents] == ["c"] and [x["id"] for x in s.survivors] == ["b"]
    assert s.per_class["mask"].equivalent == 1 and s.schema_version == 2
    entry = {"score": 0.5, "refused": 1, "compiling": 3, "equivalent": 1}
    assert mutation.score_label(entry) == "50% (1/2)"
    # A file of schema 1 has no equivalents: read as none.
    old = {k: v for k, v in json.loads(s.model_dump_json()).items() if k not in ("equivalent",)}
    old.pop("equivalents")
    assert mutation.Summary.model_validate(old).equivalent == 0
    assert mutation.score_label({"score": 0.5, "refused": 1, "compiling": 2}) == "50% (1/2)"


def test_marker_spells_triton_language_as_the_source_does():
    import ast

    assert equivalence._marker(ast.parse("import triton.language as tl\n")) == (
        "tl.debug_barrier()"
    )
    assert equivalence._marker(ast.parse("from triton import language as L\n")) == (
        "L.debug_barrier()"
    )
    assert equivalence._marker(ast.parse("import triton\n")) == "triton.language.debug_barrier()"
    assert equivalence._marker(ast.parse("import torch\n")) is None


def test_a_mutated_elif_line_is_judged_unknown_not_equivalent(compiler):
    code = ORIGINAL.replace(
        "    mask = offs < n\n",
        "    if BLOCK > 4096:\n        mask = offs < n\n    elif BLOCK > 8:\n"
        "        mask = offs < n\n    else:\n        mask = offs < n + 1\n",
    )
    judge = Judge(compiler, code, [RECORD])
    # `> 9` takes the same branch at BLOCK=256 (the same IR), but no barrier fits before an
    # `elif` to show the line compiled: not claimed equivalent.
    got = judge.judge(_mutant(code.replace("elif BLOCK > 8:", "elif BLOCK > 9:")))
    assert got.verdict == "unknown"


def test_too_many_launch_records_to_compare_is_unknown():
    from pathlib import Path

    from kernelwright.sandbox.backends import WorkerSpec
    from kernelwright.sandbox.launch_signature import MAX_RECORDS

    spec = WorkerSpec(device="cpu", scratch=Path("/nonexistent"), env={})
    judge = Judge(IRCompiler(_NoBackend(), spec), ORIGINAL, [RECORD] * MAX_RECORDS)
    assert judge.judge(_mutant(ORIGINAL)).verdict == "unknown"


def test_verdicts_come_in_order_from_a_thread_and_a_failing_judge_means_unknown():
    class Flaky:
        def judge(self, m):
            if m.id == "m-2":
                raise RuntimeError("boom")
            return Equivalence(verdict="different", why="other Triton IR")

    mutants = [_mutant(ORIGINAL, f"m-{i}") for i in range(1, 4)]
    got = list(equivalence.judged(Flaky(), mutants))
    assert [m.id for m, _, _ in got] == ["m-1", "m-2", "m-3"]
    assert [v.verdict for _, v, _ in got] == ["different", "unknown", "different"]
    assert "boom" in got[1][1].why


def test_an_other_whose_masked_lanes_reach_no_output_is_equivalent(compiler):
    loaded = "x = tl.load(x_ptr + offs, mask=mask)"
    code = ORIGINAL.replace(loaded, loaded.replace("mask)", "mask, other=0.0)"))
    judge = Judge(compiler, code, [RECORD])
    line = code.splitlines().index("    " + loaded.replace("mask)", "mask, other=0.0)")) + 1
    got = judge.judge(_mutant(code.replace("other=0.0", "other=1.0")))
    assert got.verdict == "equivalent" and got.compiled is True
    assert f"the load at line {line}, whose masked lanes reach no output" in got.why
    # Summed, the masked lanes reach the output: the same mutant there is another program.
    summed = code.replace("x + y, mask=mask)", "x + tl.sum(x, axis=0), mask=mask)")
    judge = Judge(compiler, summed, [RECORD])
    got = judge.judge(_mutant(summed.replace("other=0.0", "other=1.0")))
    assert got.verdict == "different"
