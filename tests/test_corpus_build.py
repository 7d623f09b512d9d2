"""corpus build over hand-made run directories: filters, dedup, splits, contamination, exports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kernelwright.datasets.build import BuildError, build_corpus
from kernelwright.datasets.dedup import code_hash, minhash, normalise_code, similarity
from kernelwright.datasets.schema import ProblemEntry
from kernelwright.datasets.split import SPLITS, assign_split, group_problems
from kernelwright.outcome import Outcome, Roofline, Status, Timing
from kernelwright.problem import read_problem
from kernelwright.runlog import AttemptRecord, ProblemRef, RunDir, RunInfo

REPO = Path(__file__).resolve().parent.parent

RELU = """import torch
import torch.nn as nn

N = 4096


class Model(nn.Module):
    def forward(self, x):
        return torch.relu(x)


def get_inputs():
    return [torch.randn(N)]


def get_init_inputs():
    return []
"""
# The same problem with a different comment: another file hash, one problem for splitting.
RELU_TWIN = RELU.replace("N = 4096", "N = 4096  # elements")
SOFTMAX = RELU.replace("torch.relu(x)", "torch.softmax(x, dim=-1)")
MATMUL = """import torch
import torch.nn as nn

M = 256
K = 512
N = 128


class Model(nn.Module):
    def forward(self, a, b):
        return a @ b


def get_inputs():
    return [torch.randn(M, K), torch.randn(K, N)]


def get_init_inputs():
    return []
"""
# An eval-suite copy of MATMUL with other sizes: a near duplicate, not an exact one.
MATMUL_EVAL = MATMUL.replace("M = 256", "M = 1024").replace("N = 128", "N = 2048")

KERNEL = """import torch
import triton
import triton.language as tl


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(y_ptr + offs, tl.maximum(x, 0.0), mask=mask)


class ModelNew(torch.nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        relu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
"""
# The same kernel with comments and other formatting: an exact duplicate after normalisation.
KERNEL_REFORMATTED = "# relu, written again\n" + KERNEL.replace(
    "    pid = tl.program_id(0)", "    pid = tl.program_id(0)  # one block per program"
).replace("tl.maximum(x, 0.0)", "tl.maximum(x,   0.0)")
# One constant changed: a near duplicate.
KERNEL_NEAR = KERNEL.replace("BLOCK=1024", "BLOCK=512")
KERNEL_OTHER = """import torch
import triton
import triton.language as tl


@triton.jit
def _relu_rows(src, dst, rows, cols, stride, BLOCK_COLS: tl.constexpr):
    row = tl.program_id(0)
    c = tl.arange(0, BLOCK_COLS)
    ok = c < cols
    v = tl.load(src + row * stride + c, mask=ok, other=0.0)
    tl.store(dst + row * stride + c, tl.where(v > 0, v, 0.0), mask=ok)


class ModelNew(torch.nn.Module):
    def forward(self, x):
        x2 = x.view(64, -1)
        out = torch.empty_like(x2)
        _relu_rows[(64,)](x2, out, 64, x2.shape[1], x2.stride(0), BLOCK_COLS=64)
        return out.view_as(x)
"""
SOFTMAX_KERNEL = KERNEL.replace("relu_kernel", "softmax_kernel").replace(
    "tl.maximum(x, 0.0)", "tl.exp(x - tl.max(x, 0)) / tl.sum(tl.exp(x - tl.max(x, 0)), 0)"
)

GPU_ENV = {
    "device": "cuda:0",
    "interpreter": False,
    "device_name": "NVIDIA H100 80GB HBM3",
    "torch": "2.11.0",
    "triton": "3.6.0",
    "sandbox": "subprocess",
}
CPU_ENV = {
    "device": "cpu",
    "interpreter": True,
    "device_name": "cpu (Triton interpreter)",
    "torch": "2.13.0",
    "triton": "3.9.0",
    "sandbox": "subprocess",
}


def hf_datasets():
    """Hugging Face ``datasets``. Under ``python -m pytest`` the working directory comes first
    on sys.path and the repository's ``datasets/`` folder would answer instead: run ``pytest``."""
    import datasets

    assert Path(datasets.__file__).resolve().parent != REPO / "datasets", (
        "kernelwright's datasets/ folder shadows Hugging Face's: run `pytest`, not `python -m pytest`"
    )
    return datasets


def outcome(status: str, env: dict, speedup: float | None = None) -> Outcome:
    timing = None
    roofline = None
    if speedup is not None:
        timing = Timing(candidate_ms=1.0 / speedup, eager_ms=1.0, speedup_eager=speedup)
        roofline = Roofline(bytes=1 << 20, bound_ms=0.2 / speedup, pct_of_bound=40.0)
    return Outcome(
        status=Status(status),
        message=f"verdict: {status}",
        timing=timing,
        roofline=roofline,
        env=env if status != "format_error" else {},
    )


class Runs:
    """Writes problem files and run directories under one folder."""

    def __init__(self, root: Path):
        self.root = root
        self.refs: dict[str, ProblemRef] = {}

    def problem(self, name: str, source: str, tags: list[str] | None = None) -> ProblemRef:
        path = self.root / "problems" / f"{name}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
        info = read_problem(path)
        ref = ProblemRef(name=name, path=str(path), sha256=info.sha256, level=1, tags=tags or [])
        self.refs[name] = ref
        return ref

    def run(self, name: str, records: list[AttemptRecord], kind: str = "eval") -> Path:
        run = RunDir(self.root / "runs" / name)
        run.write_info(RunInfo(run_id=name, kind=kind, versions={"torch": "2.11.0"}))
        for r in records:
            run.append(r)
        return run.path


def attempt(
    runs: Runs,
    run_id: str,
    problem: str,
    traj: str,
    turn: int,
    status: str,
    code: str | None,
    env: dict,
    speedup: float | None = None,
    parent: AttemptRecord | None = None,
    attempt_id: str | None = None,
    replay: bool = False,
) -> AttemptRecord:
    response = "Here is the kernel.\n```python\n" + (code or "") + "```" if code else "no code"
    extra = {"attempt_id": attempt_id} if attempt_id else {}
    return AttemptRecord(
        run_id=run_id,
        trajectory_id=f"{run_id}-{traj}",
        parent_id=parent.attempt_id if parent else None,
        problem=runs.refs[problem],
        turn=turn,
        model="model-a",
        replay=replay,
        sampling={"temperature": 0.7},
        prompt_version="p1",
        messages=[
            {"role": "system", "content": "You write Triton kernels."},
            {"role": "user", "content": f"Write ModelNew for {problem}."},
        ],
        response=response,
        code=code,
        outcome=outcome(status, env, speedup),
        feedback=f"feedback on {status}" if status != "correct" else None,
        **extra,
    )


@pytest.fixture
def corpus_inputs(tmp_path: Path):
    runs = Runs(tmp_path)
    for name, src in (
        ("relu", RELU),
        ("relu_twin", RELU_TWIN),
        ("softmax", SOFTMAX),
        ("matmul", MATMUL),
    ):
        runs.problem(name, src)
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "softmax.py").write_text(SOFTMAX)
    (suite / "matmul_big.py").write_text(MATMUL_EVAL)

    a0 = attempt(
        runs, "gen1", "relu", "t1", 0, "incorrect", KERNEL.replace("0.0)", "1.0)"), GPU_ENV
    )
    a1 = attempt(runs, "gen1", "relu", "t1", 1, "correct", KERNEL, GPU_ENV, 1.5, parent=a0)
    b0 = attempt(runs, "gen1", "relu", "t2", 0, "correct", KERNEL_REFORMATTED, GPU_ENV, 1.2)
    c0 = attempt(runs, "gen1", "relu", "t3", 0, "correct", KERNEL_NEAR, CPU_ENV)
    d0 = attempt(runs, "gen1", "relu_twin", "t4", 0, "correct", KERNEL_OTHER, GPU_ENV, 0.8)
    m0 = attempt(runs, "gen1", "matmul", "t5", 0, "format_error", None, GPU_ENV)
    m1 = attempt(runs, "gen1", "matmul", "t5", 1, "rejected", KERNEL, GPU_ENV, parent=m0)
    gen = runs.run("gen1", [a0, a1, b0, c0, d0, m0, m1], kind="generate")

    # A replayed eval run on a machine without a GPU: every verdict from the interpreter.
    s0 = attempt(
        runs, "cpu1", "softmax", "t1", 0, "compile_error", "def broken(:", CPU_ENV, replay=True
    )
    s1 = attempt(
        runs, "cpu1", "softmax", "t1", 1, "correct", SOFTMAX_KERNEL, CPU_ENV, parent=s0, replay=True
    )
    s2 = attempt(runs, "cpu1", "softmax", "t2", 0, "correct", SOFTMAX_KERNEL, CPU_ENV, replay=True)
    cpu = runs.run("cpu1", [s0, s1, s2])
    # A rescore re-verifies s2 on a GPU: same attempt id, the GPU verdict wins.
    s2_gpu = s2.model_copy(
        update={"run_id": "rescore1", "outcome": outcome("correct", GPU_ENV, 2.0)}
    )
    rescore = runs.run("rescore1", [s2_gpu], kind="rescore")
    return (
        [gen, cpu, rescore],
        suite,
        {"a1": a1, "b0": b0, "c0": c0, "d0": d0, "s0": s0, "s1": s1, "s2": s2},
    )


def test_build_filters_dedups_and_exports(corpus_inputs, tmp_path: Path):
    run_dirs, suite, ids = corpus_inputs
    out = tmp_path / "corpus"
    report = build_corpus(run_dirs, out, include_interpreter=True, eval_suites=[suite])

    attempts = pd.concat(pd.read_parquet(p) for p in sorted((out / "attempts").glob("*.parquet")))
    assert len(attempts) == 10  # 11 records, s2 twice
    s2 = attempts.set_index("attempt_id").loc[ids["s2"].attempt_id]
    assert s2["verification_backend"] == "gpu" and s2["run_id"] == "rescore1"

    sft = pd.concat(
        pd.read_parquet(p) for p in sorted((out / "sft" / "verified").glob("*.parquet"))
    )
    solve = sft[sft.kind == "solve"]
    # relu: a1 kept (fastest); b0 an exact duplicate of it, c0 a near one; d0 (twin problem,
    # other code) kept; s2 verified on a GPU by the rescore.
    assert set(solve.attempt_id) == {
        ids["a1"].attempt_id,
        ids["d0"].attempt_id,
        ids["s2"].attempt_id,
    }
    assert (sft.verification_backend == "gpu").all()
    dups = attempts.set_index("attempt_id")
    assert dups.loc[ids["b0"].attempt_id, "duplicate_kind"] == "exact"
    assert dups.loc[ids["b0"].attempt_id, "duplicate_of"] == ids["a1"].attempt_id
    assert dups.loc[ids["c0"].attempt_id, "duplicate_kind"] == "near"
    for _, group in solve.groupby("problem_group"):
        hashes = [code_hash(c) for c in group.code]
        assert len(hashes) == len(set(hashes))
        sigs = [minhash(normalise_code(c)) for c in group.code]
        for i in range(len(sigs)):
            assert (similarity(sigs[i], np.array(sigs[:i])) < report.near_dup_threshold).all()

    repair = sft[sft.kind == "repair"]
    assert list(repair.attempt_id) == [ids["a1"].attempt_id]
    roles = [m["role"] for m in repair.iloc[0].messages]
    assert roles == ["system", "user", "assistant", "user", "assistant"]
    assert repair.iloc[0].messages[3]["content"] == "feedback on incorrect"
    assert "relu_kernel" in repair.iloc[0].messages[-1]["content"]

    interp = pd.concat(
        pd.read_parquet(p) for p in sorted((out / "sft" / "interpreter_verified").glob("*.parquet"))
    )
    assert set(interp.verification_backend) == {"interpreter"}
    # s1 is the code s2 has, and s2 is GPU-verified: the GPU copy is the one kept. The repair
    # s0 -> s1 stays: it teaches fixing, not the kernel alone.
    assert list(interp.kind) == ["repair"] and list(interp.attempt_id) == [ids["s1"].attempt_id]
    assert dups.loc[ids["s1"].attempt_id, "duplicate_of"] == ids["s2"].attempt_id

    rl = pd.concat(pd.read_parquet(p) for p in sorted((out / "rl").rglob("*.parquet")))
    ep = rl.set_index("trajectory_id").loc["gen1-t1"]
    assert [t["status"] for t in ep.turns] == ["incorrect", "correct"]
    assert list(ep.rewards) == pytest.approx([0.2, 1.2 + 0.5 * np.log(1.5) / np.log(4) + 0.3 * 0.4])
    rejected = rl.set_index("trajectory_id").loc["gen1-t5"]
    assert list(rejected.rewards) == [0.0, -1.0] and not rejected.solved

    # Splits by problem: the twins share a group; no group is in two splits in any table.
    groups = attempts.groupby("problem_sha256").problem_group.first()
    assert groups[ids["a1"].problem.sha256] == groups[ids["d0"].problem.sha256]
    for table in (attempts, sft, interp, rl):
        assert (table.groupby("problem_group").split.nunique() == 1).all()
        for g, split in table.groupby("problem_group").split.first().items():
            assert split == assign_split(g)

    # Contamination: softmax is in the suite verbatim, matmul as a near duplicate.
    flagged = attempts.groupby("problem_name").contaminated.first()
    assert flagged["softmax"] and flagged["matmul"] and not flagged["relu"]
    assert report.counts["contaminated_problems"] == 2

    card = (out / "README.md").read_text()
    assert "config_name: sft_verified" in card and "## Contamination" in card
    for name in ("status", "reward", "speedup", "turns_to_solve"):
        assert f"(plots/{name}.png)" in card and (out / "plots" / f"{name}.png").stat().st_size > 0


def test_interpreter_kernels_stay_out_by_default(corpus_inputs, tmp_path: Path):
    run_dirs, suite, _ = corpus_inputs
    out = tmp_path / "corpus"
    report = build_corpus(run_dirs, out, eval_suites=[suite])
    assert not (out / "sft" / "interpreter_verified").exists()
    assert not (out / "rl" / "interpreter").exists()
    assert report.rows("sft", "verified") > 0
    assert "left them out" in (out / "README.md").read_text()


def test_parquet_round_trip_through_hf_datasets(corpus_inputs, tmp_path: Path):
    run_dirs, suite, _ = corpus_inputs
    out = tmp_path / "corpus"
    report = build_corpus(run_dirs, out, include_interpreter=True, eval_suites=[suite])
    hf = hf_datasets()
    files = {
        f.split: str(out / f.path)
        for f in report.files
        if (f.table, f.subset) == ("sft", "verified")
    }
    sft = hf.load_dataset("parquet", data_files=files, cache_dir=str(tmp_path / "hf"))
    for split, path in files.items():
        ds = sft[split]
        df = pd.read_parquet(path)
        assert ds.num_rows == len(df)
        assert ds["id"] == list(df["id"])
        assert ds[0]["messages"][-1]["role"] == "assistant"
    rl_files = {
        f.split: str(out / f.path) for f in report.files if f.table == "rl" and f.subset == "gpu"
    }
    rl = hf.load_dataset("parquet", data_files=rl_files, cache_dir=str(tmp_path / "hf"))
    row = next(iter(rl.values()))[0]
    assert len(row["turns"]) == row["num_turns"] == len(row["rewards"])
    # The card's YAML configs make the folder itself loadable.
    by_config = hf.load_dataset(str(out), "sft_verified", cache_dir=str(tmp_path / "hf"))
    assert sum(d.num_rows for d in by_config.values()) == report.rows("sft", "verified")


def test_build_is_deterministic(corpus_inputs, tmp_path: Path):
    run_dirs, suite, _ = corpus_inputs
    first = build_corpus(run_dirs, tmp_path / "a", eval_suites=[suite])
    second = build_corpus(run_dirs, tmp_path / "b", eval_suites=[suite])
    assert [f.model_dump() for f in first.files] == [f.model_dump() for f in second.files]
    for f in first.files:
        left = pd.read_parquet(tmp_path / "a" / f.path).drop(columns=["run_dir"], errors="ignore")
        right = pd.read_parquet(tmp_path / "b" / f.path).drop(columns=["run_dir"], errors="ignore")
        pd.testing.assert_frame_equal(left, right)


def test_split_invariants_over_many_problems():
    sources = [
        RELU.replace("N = 4096", f"N = {4096 + i}").replace("relu", f"op{i}") for i in range(300)
    ]
    # Every third problem also exists as a commented copy: its twin must share its split.
    sources += [s + "\n# copy\n" for s in sources[::3]]
    problems = [
        ProblemEntry(name=f"p{i}", sha256=f"{i:064x}", path=f"p{i}.py", source=s)
        for i, s in enumerate(sources)
    ]
    groups = group_problems(problems)
    for i in range(100):
        assert groups[f"{i * 3:064x}"] == groups[f"{300 + i:064x}"]
    counts = {s: 0 for s in SPLITS}
    for g in set(groups.values()):
        counts[assign_split(g)] += 1
    n = sum(counts.values())
    assert n == 300
    assert 0.7 < counts["train"] / n < 0.9 and counts["validation"] > 10 and counts["test"] > 10


def test_bad_inputs_get_one_line_errors(tmp_path: Path):
    with pytest.raises(BuildError, match="not a run directory"):
        build_corpus([tmp_path], tmp_path / "out")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("keep me")
    runs = Runs(tmp_path)
    runs.problem("relu", RELU)
    run = runs.run("r", [])
    with pytest.raises(BuildError, match="not empty and not a corpus folder"):
        build_corpus([run], tmp_path / "full")
    with pytest.raises(BuildError, match="eval suite"):
        build_corpus([run], tmp_path / "out", eval_suites=[tmp_path / "missing"])


def test_replayed_cpu_run_alone_gives_sft_rl_and_a_card(corpus_inputs, tmp_path: Path):
    run_dirs, suite, _ = corpus_inputs
    out = tmp_path / "corpus"
    report = build_corpus([run_dirs[1]], out, include_interpreter=True, eval_suites=[suite])
    assert report.origins == {"replay": 3}
    assert report.rows("sft", "interpreter_verified") == 2  # the kernel, and its repair
    assert report.rows("rl", "interpreter") == 2 and report.rows("sft", "verified") == 0
    card = (out / "README.md").read_text()
    assert "No GPU timings" in card and "config_name: rl_interpreter" in card


def test_cli_build(corpus_inputs, tmp_path: Path):
    import typer
    from typer.testing import CliRunner

    from kernelwright.datasets import commands

    app = typer.Typer()
    app.command("build")(commands.build)
    app.command("generate")(commands.generate)
    run_dirs, suite, _ = corpus_inputs
    out = tmp_path / "corpus"
    args = ["build", *map(str, run_dirs), "--out", str(out), "--eval-suite", str(suite)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "sft/verified: 4 rows" in result.output and "dataset card" in result.output
    bad = CliRunner().invoke(app, ["build", str(tmp_path / "nope"), "--out", str(out)])
    assert bad.exit_code == 2
    assert bad.output.strip().splitlines() == [
        f"error: {tmp_path / 'nope'}: not a run directory (no run.json)"
    ]
