"""`kernelwright mutate`: the bug catalogue, the scoring, and a run through the real checker."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, TESTS
from kernelwright.evals import mutation
from kernelwright.evals.equivalence import Equivalence
from kernelwright.evals.mutants import CLASSES, PROBE, NoKernel, make_mutants, probe
from kernelwright.outcome import Outcome, Status

KERNEL = """
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _k(x_ptr, y_ptr, out_ptr, n, n_cols, stride_xm, stride_xn, scale, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    mask = (offs < n) & (offs >= 0)
    x = tl.load(x_ptr + offs * stride_xm + 0 * stride_xn, mask=mask, other=0.0).to(tl.float32)
    s = tl.sum(x, axis=0)
    y = (x - s) / n_cols * scale
    tl.store(y_ptr + offs, y, mask=mask)
    tl.atomic_add(out_ptr, s)


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        out = torch.zeros(1, device=x.device)
        n = x.numel()
        _k[(triton.cdiv(n, 64),)](x, y, out, n, x.shape[-1], x.stride(0), x.stride(1), 2.0, BLOCK=64)
        return y
"""


def _by_operator(mutants):
    found = {}
    for m in mutants:
        found.setdefault(m.operator, []).append(m)
    return found


def test_every_bug_class_has_a_mutant_of_a_kernel_that_offers_it():
    mutants = make_mutants(KERNEL, [(4, 100)])
    assert {m.bug_class for m in mutants} == set(CLASSES)
    ops = _by_operator(mutants)
    texts = {op: [m.code for m in ms] for op, ms in ops.items()}
    assert any("mask=mask" not in c.split("tl.load(")[1].split("\n")[0] for c in texts["drop_mask"])
    assert any("offs <= n" in c for c in texts["weaken_mask"])
    assert any("mask = (offs < n)\n" in c for c in texts["weaken_mask"])
    assert any("((n) // (64))" in c for c in texts["floor_cdiv"])
    assert any("tl.store(y_ptr + offs + 1" in c for c in texts["off_by_one"])
    assert any("x.stride(1), x.stride(0)" in c for c in texts["swap_strides"])
    assert any("offs * stride_xn + 0 * stride_xm" in c for c in texts["swap_strides"])
    assert any("other=1.0" in c for c in texts["wrong_other"])
    assert any("tl.float16" in c for c in texts["half_precision"])
    assert any("y = ((x - s) / n_cols)\n" in c for c in texts["skip_scale"])  # scale param
    assert any("y = ((x)) / n_cols" in c for c in texts["skip_scale"])  # the subtracted sum
    assert any("tl.sum(x, axis=1)" in c for c in texts["wrong_axis"])
    assert any("torch.empty(1" in c for c in texts["skip_zero_init"])
    assert any("n = 400" in c for c in texts["hard_code_size"])
    assert any("n, 100, x.stride(0)" in c for c in texts["hard_code_size"])


def test_mutants_are_distinct_parseable_and_differ_from_the_original():
    mutants = make_mutants(KERNEL, [(4, 100)])
    dumps = [ast.dump(ast.parse(m.code)) for m in mutants]
    assert len(set(dumps)) == len(dumps)
    assert ast.dump(ast.parse(KERNEL)) not in dumps
    assert len({m.id for m in mutants}) == len(mutants)


def test_a_mutant_diff_is_the_changed_line_only():
    m = next(m for m in make_mutants(KERNEL) if m.operator == "floor_cdiv")
    diff = m.diff(KERNEL)
    changed = [
        line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    assert changed == [
        "-        _k[(triton.cdiv(n, 64),)](x, y, out, n, x.shape[-1], x.stride(0), x.stride(1), 2.0, BLOCK=64)",
        "+        _k[(((n) // (64)),)](x, y, out, n, x.shape[-1], x.stride(0), x.stride(1), 2.0, BLOCK=64)",
    ]


def test_host_only_code_and_no_atomics():
    with pytest.raises(NoKernel):
        make_mutants("import torch\nclass ModelNew:\n    pass\n")
    no_atomics = KERNEL.replace("    tl.atomic_add(out_ptr, s)\n", "")
    assert not [m for m in make_mutants(no_atomics) if m.bug_class == "zero_init"]
    # Without the inputs' shapes there is nothing to hard-code.
    assert not [m for m in make_mutants(KERNEL) if m.bug_class == "size"]


def test_sample_is_reproducible_and_capped_per_class():
    mutants = make_mutants(KERNEL, [(4, 100)])
    a, b = mutation.sample(mutants, 1, seed=3), mutation.sample(mutants, 1, seed=3)
    assert [m.id for m in a] == [m.id for m in b]
    assert len(a) == len(CLASSES)
    assert mutation.sample(mutants, None) == mutants


def _result(bug_class: str, status: Status, pattern: str | None = None, message: str = ""):
    outcome = Outcome(
        status=status,
        message=message,
        details={"mismatch": {"pattern": pattern}} if pattern else {},
    )
    return mutation.MutantResult(
        id=f"{bug_class}-{status.value}-{pattern}",
        bug_class=bug_class,
        operator="x",
        line=1,
        description="",
        code="",
        diff="",
        outcome=outcome,
        named=[] if outcome.correct else mutation.classes_named(outcome),
    )


def test_score_counts_compiling_mutants_and_diagnosis_per_class():
    results = [
        _result("grid", Status.incorrect, "tail"),  # named
        _result("grid", Status.incorrect, "transposed"),  # names another class
        _result("grid", Status.incorrect, "scattered"),  # says nothing
        _result("grid", Status.correct),  # survived
        _result("mask", Status.compile_error),  # not counted
        _result("mask", Status.crashed, message="the heap was corrupted: ... without a mask"),
        _result("axis", Status.runtime_error, message="ValueError('axis 1 out of bounds')"),
        _result("axis", Status.runtime_error, message="ZeroDivisionError"),
    ]
    s = mutation.summarise("p", "s.py", results, 8, "small", {})
    assert (s.compiling, s.refused, s.score) == (7, 6, 6 / 7)
    g = s.per_class["grid"]
    assert (g.mutants, g.compiling, g.refused, g.named, g.wrong, g.silent) == (4, 4, 3, 1, 1, 1)
    assert s.per_class["mask"].named == 1 and s.per_class["mask"].compiling == 1
    assert [x["class"] for x in s.survivors] == ["grid"]
    a = s.per_class["axis"]
    assert (a.refused, a.named, a.silent) == (2, 1, 1)


def _mutate(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "kernelwright.cli", "mutate", *args],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=cwd,
    )


def test_usage_errors_exit_2_before_any_work(tmp_path):
    assert _mutate().returncode == 2
    proc = _mutate("no_such_problem")
    assert proc.returncode == 2 and "no such file" in proc.stderr
    hostonly = tmp_path / "s.py"
    hostonly.write_text("import torch\nclass ModelNew:\n    pass\n")
    proc = _mutate("silu", str(hostonly))
    assert proc.returncode == 2 and "no @triton.jit function" in proc.stderr
    proc = _mutate("silu", "--bundled")
    assert proc.returncode == 2


@pytest.fixture(scope="module")
def mutated(tmp_path_factory):
    """One real run: vector_add's correct solution, two mutants per class, JSON out."""
    out = tmp_path_factory.mktemp("mutants")
    proc = _mutate(
        str(TESTS / "problems" / "vector_add.py"),
        str(TESTS / "candidates" / "broken" / "correct.py"),
        "--out",
        str(out),
        "--json",
        "--sandbox",
        "subprocess",
        "--per-class",
        "2",
    )
    assert proc.returncode in (0, 1), proc.stderr
    return out, json.loads(proc.stdout.strip().splitlines()[-1])


def test_mutate_runs_every_mutant_through_the_checker(mutated):
    folder, summary = mutated
    results = mutation.read_results(folder)
    assert summary["complete"] and summary["checked"] == len(results) > 0
    refused = [r for r in results if r.compiles and not r.survived]
    assert summary["refused"] == len(refused) > 0
    assert summary["score"] == pytest.approx(summary["refused"] / summary["compiling"])
    # A floored grid leaves the tail unwritten, and the feedback names it.
    grid = [r for r in results if r.bug_class == "grid"]
    assert grid and all(not r.survived and "grid" in r.named for r in grid)
    assert (folder / "original.py").read_text() == (
        TESTS / "candidates" / "broken" / "correct.py"
    ).read_text()
    assert summary["versions"]["kernelwright"]
    # Every mutant was told equivalent or not at the original's recorded launches.
    assert summary["schema_version"] == 2
    assert all(r.equivalence is not None for r in results)
    original = Outcome.model_validate_json((folder / "original.json").read_text())
    assert original.details["launch_records"][0]["kernel"] == "add_kernel"
    assert {"original", "equivalence", "mutants", "probes"} <= set(summary["seconds"])


def test_refused_mutants_become_synthetic_repair_pairs_apart_from_model_data(mutated, tmp_path):
    import pyarrow.parquet as pq

    folder, summary = mutated
    out = tmp_path / "corpus"
    proc = subprocess.run(
        [sys.executable, "-m", "kernelwright.cli", "corpus", "build", "--mutants", str(folder),
         "--out", str(out), "--include-interpreter"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = [r for f in (out / "sft").rglob("*.parquet") for r in pq.read_table(f).to_pylist()]
    # Only the synthetic subset, one row per refused mutant, nothing among model-written data.
    assert {p.parent.name for p in (out / "sft").rglob("*.parquet")} == {
        "synthetic_repair_interpreter"
    }
    refused = [r for r in mutation.read_results(folder) if not r.survived]
    assert len(rows) == len(refused) > 0
    original = (folder / "original.py").read_text()
    for row in rows:
        assert row["origin"] == "synthetic-mutant" and row["kind"] == "repair"
        assert row["model"] == "synthetic-mutant/original"
        assert row["failed_attempt_id"].startswith("mutant:")
        roles = [m["role"] for m in row["messages"]]
        assert roles == ["system", "user", "assistant", "user", "assistant"]
        buggy, feedback, fix = (m["content"] for m in row["messages"][2:])
        assert original.strip() in fix and original.strip() not in buggy
        assert feedback.startswith("## Result")
    # An equivalent mutant (never checked, no feedback) makes no pair.
    eq_folder = tmp_path / "with_equivalent"
    shutil.copytree(folder, eq_folder)
    with open(eq_folder / "mutants.jsonl", "a") as f:
        f.write(
            refused[0]
            .model_copy(
                update={
                    "id": "eq-1",
                    "outcome": None,
                    "equivalence": Equivalence(verdict="equivalent", why="the same IR"),
                }
            )
            .model_dump_json()
            + "\n"
        )
    proc = subprocess.run(
        [sys.executable, "-m", "kernelwright.cli", "corpus", "build", "--mutants", str(eq_folder),
         "--out", str(tmp_path / "c3"), "--include-interpreter"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    again = [
        r
        for f in (tmp_path / "c3" / "sft").rglob("*.parquet")
        for r in pq.read_table(f).to_pylist()
    ]
    assert len(again) == len(rows)
    statuses = {r["failed_status"] for r in rows}
    assert statuses == {r.outcome.status.value for r in refused}
    # Without --include-interpreter a CPU-checked pair is not exported, as for model data.
    proc = subprocess.run(
        [sys.executable, "-m", "kernelwright.cli", "corpus", "build", "--mutants", str(folder),
         "--out", str(tmp_path / "c2")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 1 and not list((tmp_path / "c2").rglob("*.parquet"))
    assert f"{len(rows)} synthetic repair pair(s)" in proc.stderr
    assert "--include-interpreter" in proc.stderr


def test_corpus_build_refuses_a_folder_that_is_not_a_mutate_folder(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "kernelwright.cli", "corpus", "build", "--mutants", str(tmp_path),
         "--out", str(tmp_path / "c")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 2 and "no mutants.jsonl" in proc.stderr


def test_the_solution_itself_must_be_correct(tmp_path):
    proc = _mutate(
        str(TESTS / "problems" / "vector_add.py"),
        str(TESTS / "candidates" / "broken" / "wrong_values.py"),
        "--out",
        str(tmp_path),
        "--sandbox",
        "subprocess",
    )
    assert proc.returncode == 1
    assert "the solution itself is incorrect" in proc.stderr


def test_recorded_scores_name_their_measurement():
    scores = json.loads((ROOT / "reference_kernels" / "mutation_scores.json").read_text())
    assert scores["problems"], "no bundled problem has a recorded score"
    for name, entry in scores["problems"].items():
        assert entry["versions"]["kernelwright"] and entry["measured_at"], name
        assert entry["compiling"] >= entry["refused"] >= 0


BRANCHY = (
    (TESTS / "candidates" / "broken" / "correct.py")
    .read_text()
    .replace(
        "    mask = offs < n\n",
        "    mask = offs < n\n"
        "    if BLOCK > 4096:  # never taken at the sizes checked\n"
        "        mask = offs < n + 0\n",
    )
)


def test_probe_marks_the_statement_a_line_belongs_to():
    code = BRANCHY
    line = next(i for i, t in enumerate(code.splitlines(), 1) if "offs < n + 0" in t)
    probed = probe(code, line).splitlines()
    assert probed[line - 1].strip() == f'raise RuntimeError("{PROBE}")'
    assert probed[line - 1].startswith(" " * 8)  # inside the branch, at its indentation
    # The branch's header line probes before the whole `if`.
    assert probe(code, line - 1).splitlines()[line - 2].startswith("    raise")
    host = next(i for i, t in enumerate(code.splitlines(), 1) if "torch.empty_like" in t)
    assert probe(code, host) is None


def test_a_survivor_no_checked_input_reaches_is_marked_unreached(pool):
    problem = TESTS / "problems" / "vector_add.py"
    mutants = [m for m in make_mutants(BRANCHY, [(1000,), (1000,)]) if m.operator == "weaken_mask"]
    results = mutation.check_mutants(
        pool, problem, mutants, BRANCHY, timeout_s=60, shape="small", on_result=lambda r: None
    )
    mutation.probe_survivors(pool, problem, results, BRANCHY, timeout_s=60, shape="small")
    branch = next(i for i, t in enumerate(BRANCHY.splitlines(), 1) if "offs < n + 0" in t)
    (unreached,) = [r for r in results if r.line == branch]  # in the branch never taken
    assert unreached.survived and unreached.reached is False
    reached = [r for r in results if r.line != branch]
    assert reached and all(r.reached is not False for r in reached)


def test_problems_list_shows_the_recorded_score_of_the_problem_file_measured():
    proc = subprocess.run(
        [sys.executable, "-m", "kernelwright.cli", "problems", "list", "--json",
         "--no-degenerate"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = {r["name"]: r for r in map(json.loads, proc.stdout.splitlines())}
    scores = mutation.read_scores()
    assert scores
    for name, entry in scores.items():
        shown = rows[name]["mutation_score"]
        assert shown["score"] == entry["score"] and shown["refused"] == entry["refused"]
    # A problem file that is not the one measured shows no score.
    from kernelwright.cli import _mutation_score

    class Edited:
        name = next(iter(scores))
        sha256 = "0" * 64

    assert _mutation_score(Edited, scores) is None


def test_a_hard_coded_size_is_reached_only_where_a_checked_shape_changes_it():
    problem = TESTS / "problems" / "vector_add.py"
    code = (TESTS / "candidates" / "broken" / "correct.py").read_text()
    (m,) = [m for m in make_mutants(code, [(1000,), (1000,)]) if m.operator == "hard_code_size"]
    assert m.size_read == (0, None, False)  # x.numel()

    def checked(shapes):
        outcome = Outcome(status=Status.correct, message="", env={"shapes": shapes})
        return mutation.result(m, code, "s.py", outcome, seeds=[1, 2, 3])

    # At `small` alone, n is the 1000 it was hard-coded as; the held-out shape differs from
    # every declared set, so it changes n.
    assert mutation.size_changed(problem, checked(["small"]), None, "cpu") is False
    assert mutation.size_changed(problem, checked(["small", "heldout"]), None, "cpu") is True


def test_a_recorded_score_names_a_bundled_solution_relative_to_the_scores_file(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(mutation, "scores_file", lambda: tmp_path / "mutation_scores.json")
    (tmp_path / "solutions").mkdir()
    elsewhere = tmp_path.parent / "mine.py"
    for name, solution in (("a", tmp_path / "solutions" / "a.py"), ("b", elsewhere)):
        mutation.record_score(
            mutation.Summary(
                problem=name,
                solution=str(solution),
                mutants=1,
                checked=1,
                compiling=1,
                refused=1,
                score=1.0,
                survivors=[],
                per_class={},
                complete=True,
                measured_at="2026-12-07T00:00:00Z",
            )
        )
    recorded = mutation.read_scores()
    assert recorded["a"]["solution"] == "solutions/a.py"
    assert recorded["b"]["solution"] == str(elsewhere)
