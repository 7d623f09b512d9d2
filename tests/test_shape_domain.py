"""Held-out shapes drawn from the shape domain each check, and `small` drawn the same way."""

from __future__ import annotations

import random
import re

import pytest
import torch

from conftest import CANDIDATES, TESTS
from kernelwright.problem import (
    EVEN_TO,
    GROUP_ROWS,
    HELDOUT_NUMEL_BUDGET,
    TILE,
    TILES_BYTES_BUDGET,
    TILES_NUMEL_BUDGET,
    ProblemError,
    bundled_problems_dir,
    even_shape_missing,
    exec_problem,
    find_problems,
    has_tiles_shape,
    read_problem,
    resolve_problem,
    shape_domain,
)
from kernelwright.sandbox.pool import Job, default_shapes
from kernelwright.sandbox.verify import degenerate_warning

KB = TESTS / "problems" / "kernelbench_style"
FILES = find_problems(KB) + find_problems(bundled_problems_dir())
LEGIT = sorted((CANDIDATES / "legit").glob("*.py"))
COVERAGE = CANDIDATES / "coverage"


def _numel(pm) -> int:
    with torch.device("meta"):
        args = pm.inputs(0, "meta").args
    return max(a.numel() for a in args if isinstance(a, torch.Tensor))


def _sizes(pm, groups) -> dict:
    return {
        s: pm.module.__dict__[s[0]] if s[1] is None else pm.module.__dict__[s[0]][s[1]]
        for g in groups
        for s in g.slots
    }


def test_the_domain_keeps_powers_of_two_minimums_and_ties(tmp_path):
    attn = {
        g.slots[0][0]: g
        for g in shape_domain(
            read_problem(bundled_problems_dir() / "level3" / "attn_causal_prefill.py")
        )
    }
    assert attn["head_dim"].pow2 and attn["head_dim"].low == 32
    assert not attn["seq_len"].pow2 and attn["seq_len"].step == 2 and attn["seq_len"].low == 70
    path = tmp_path / "square.py"
    path.write_text(
        "import torch\n"
        "class Model(torch.nn.Module):\n"
        "    def forward(self, a, b):\n"
        "        return a @ b\n"
        "M = N = K = 1024\n"
        "def get_inputs():\n"
        "    return [torch.randn(M, K), torch.randn(K, N)]\n"
        "def get_init_inputs():\n"
        "    return []\n"
    )
    (square,) = shape_domain(read_problem(path))
    assert sorted(n for n, _ in square.slots) == ["K", "M", "N"]  # tied: equal in the file
    assert square.step == 16  # one sample: up to 16 of its factors of two are kept


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_a_held_out_shape_is_new_ragged_and_inside_the_cpu_budget(path):
    info = read_problem(path)
    small = exec_problem(info, "small")
    groups = shape_domain(info)
    declared = [{**info.constants, **o} for o in info.meta.shapes.values()] + [info.constants]
    for seed in (1, 2):
        pm = exec_problem(info, "heldout", draw_seed=seed)
        assert pm.over_budget is None, pm.over_budget
        assert _numel(pm) <= max(HELDOUT_NUMEL_BUDGET, 1.5 * _numel(small))
        values = pm.constants
        assert all(any(values[k] != d[k] for k in values) for d in declared), values
        assert values != small.constants
        raggable = [g for g in groups if not g.pow2 and g.step < 128]
        if raggable:
            drawn = _sizes(pm, raggable)
            assert any(v % 128 for v in drawn.values()), drawn
        assert "held out" in pm.sizes


def test_kernelbench_small_is_ragged_not_a_multiple_of_the_block():
    for name in ("19_ReLU", "2_Standard_matrix_multiplication_", "40_Gemm_Scaling_ResidualAdd"):
        pm = exec_problem(read_problem(KB / f"{name}.py"), "small")
        assert _numel(pm) % 1024, (name, pm.constants)
        assert "not declared: drawn" in pm.sizes


def test_draws_depend_on_the_seed():
    info = read_problem(bundled_problems_dir() / "level1" / "softmax.py")
    drawn = {tuple(exec_problem(info, "heldout", draw_seed=s).constants.values()) for s in range(6)}
    assert len(drawn) > 2


def test_a_kernel_that_drops_the_tail_block_fails_kernelbench_relu(pool):
    code = (COVERAGE / "tail_dropped_relu.py").read_text()
    outcome = pool.evaluate(Job(problem=KB / "19_ReLU.py", code=code, shape="small"))
    assert outcome.status.value == "incorrect", outcome.message
    # The message names the sizes and why they are these.
    assert "not declared: drawn from the sizes the file implies" in outcome.message


def test_a_candidate_that_copies_the_files_constants_sees_the_checked_sizes(pool):
    code = (COVERAGE / "copied_constants_relu.py").read_text()
    outcome = pool.evaluate(Job(problem=KB / "19_ReLU.py", code=code))
    assert outcome.correct, outcome.message
    assert outcome.env["shapes"] == ["small", "heldout", "even"]


def test_a_kernel_right_only_at_the_declared_small_size_fails_the_held_out_one(pool):
    code = (CANDIDATES / "broken" / "correct.py").read_text().replace("n = x.numel()", "n = 1000")
    outcome = pool.evaluate(Job(problem=TESTS / "problems" / "vector_add.py", code=code))
    assert outcome.status.value == "incorrect", outcome.message
    assert outcome.message.startswith("[shape heldout: n=")
    assert "held out: drawn for this check" in outcome.message


@pytest.mark.parametrize("path", LEGIT, ids=lambda p: p.stem)
def test_legitimate_kernels_pass_at_a_held_out_shape(pool, path):
    from conftest import header
    from kernelwright.problem import resolve_problem

    name = header(path, "problem")
    local = TESTS / "problems" / f"{name}.py"
    problem = local if local.exists() else resolve_problem(name)
    outcome = pool.evaluate(Job(problem=problem, code=path.read_text(), shape="heldout"))
    assert outcome.correct, outcome.message


def test_a_file_that_cannot_fit_the_cpu_budget_says_so(tmp_path):
    path = tmp_path / "literal_image.py"
    path.write_text(
        "import torch\n"
        "class Model(torch.nn.Module):\n"
        "    def forward(self, x):\n"
        "        return torch.relu(x)\n"
        "batch_size = 16\n"
        "def get_inputs():\n"
        "    return [torch.randn(batch_size, 3, 224, 224)]\n"
        "def get_init_inputs():\n"
        "    return []\n"
    )
    info = read_problem(path)
    pm = exec_problem(info, "small")
    assert pm.over_budget and "literals in get_inputs" in pm.over_budget
    assert any("does not fit the CPU interpreter's budget" in n for n in pm.notes)
    assert "does not fit the CPU interpreter's budget" in (degenerate_warning(info) or "")


def test_the_draw_is_reproducible_for_small():
    info = read_problem(KB / "19_ReLU.py")
    assert exec_problem(info, "small").constants == exec_problem(info, "small").constants
    random.seed(0)  # the global generator plays no part
    assert exec_problem(info, "small").constants == exec_problem(info, "small").constants


def test_a_declared_domain_overrides_the_inferred_one(tmp_path):
    path = tmp_path / "declared_domain.py"
    source = (
        "import torch\n"
        "KERNELWRIGHT = {'shapes': {'small': {'batch': 4, 'dim': 640}},\n"
        "                'domain': {'dim': {'multiple_of': 64, 'min': 128},"
        " 'batch': {'fixed': True}}}\n"
        "class Model(torch.nn.Module):\n"
        "    def forward(self, x):\n"
        "        return x * 2\n"
        "batch = 32\n"
        "dim = 4096\n"
        "def get_inputs():\n"
        "    return [torch.randn(batch, dim)]\n"
        "def get_init_inputs():\n"
        "    return []\n"
    )
    path.write_text(source)
    info = read_problem(path)
    (dim,) = shape_domain(info)
    assert dim.slots == [("dim", None)] and (dim.step, dim.low, dim.pow2) == (64, 128, False)
    assert (
        "dim: a multiple of 64 from 128 to 8192" in exec_problem(info, "heldout", draw_seed=0).sizes
    )
    for seed in range(4):
        pm = exec_problem(info, "heldout", draw_seed=seed)
        assert pm.module.batch == 4  # fixed: the value of the set the draw starts from
        assert pm.module.dim % 64 == 0 and pm.module.dim >= 128 and pm.module.dim != 640
    path.write_text(source.replace("'batch': {'fixed': True}", "'width': {'fixed': True}"))
    with pytest.raises(ProblemError, match="domain names width"):
        read_problem(path)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "layer_norm", "rms_norm", "row_sum"])
def test_the_held_out_shape_stretches_rows_past_the_tile_cap(name):
    """The bundled solutions hold a row in one tile up to 4096 or 8192 columns and stream wider
    rows through tiles; `small` never reaches that path, the held-out shape does."""
    info = read_problem(bundled_problems_dir() / "level1" / f"{name}.py")
    for seed in range(3):
        pm = exec_problem(info, "heldout", draw_seed=seed)
        assert 8192 < pm.module.dim <= shape_domain(info)[1].top, pm.sizes
        # The others next to their minimum, at no declared value (hard-coding `small`'s fails).
        batch = next(g for g in shape_domain(info) if g.slots == [("batch_size", None)])
        assert batch.low <= pm.module.batch_size <= batch.low + 2 * batch.step
        assert pm.module.batch_size not in batch.declared
        assert f"dim stretched to {pm.module.dim}" in pm.sizes
        assert _numel(pm) <= HELDOUT_NUMEL_BUDGET
    # The same check seed draws the same shape (a mutation score is reproducible).
    again = [exec_problem(info, "heldout", draw_seed=7).constants for _ in range(2)]
    assert again[0] == again[1]


def test_the_stretched_size_is_the_last_axis_of_the_largest_tensor():
    def stretched(name: str) -> str:
        pm = exec_problem(read_problem(resolve_problem(name)), "heldout", draw_seed=0)
        return re.search(r"; (\S+) stretched to", pm.sizes).group(1)

    assert stretched("matmul_transposed_b") == "K"  # a [M, K] @ [N, K]^T: the loop over K
    assert stretched("embedding") == "embedding_dim"  # the table (a parameter) is the largest
    assert stretched("cumsum") == "dim"


def test_a_problem_declares_the_size_to_stretch_and_its_maximum(tmp_path):
    path = tmp_path / "attention_like.py"
    source = (
        "import torch\n"
        "KERNELWRIGHT = {'shapes': {'small': {'seq': 80, 'dim': 32}, 'bench': {'seq': 2048,"
        " 'dim': 128}}, 'domain': {'seq': {'stretch': True, 'max': 300}}}\n"
        "class Model(torch.nn.Module):\n"
        "    def forward(self, q):\n"
        "        return torch.softmax(q @ q.transpose(-1, -2), dim=-1)\n"
        "seq = 512\n"
        "dim = 64\n"
        "def get_inputs():\n"
        "    return [torch.randn(seq, dim)]\n"
        "def get_init_inputs():\n"
        "    return []\n"
    )
    path.write_text(source)
    info = read_problem(path)
    seq = next(g for g in shape_domain(info) if g.slots == [("seq", None)])
    assert (seq.step, seq.low, seq.top) == (16, 80, 300)  # declared max; step and min inferred
    for draw in range(3):
        pm = exec_problem(info, "heldout", draw_seed=draw)
        assert 0.75 * 300 <= pm.module.seq <= 300 and pm.module.dim == 32, pm.sizes
        assert "seq stretched to" in pm.sizes
    path.write_text(source.replace("'max': 300", "'min': 64, 'max': 32"))
    with pytest.raises(ProblemError, match="below min"):
        read_problem(path)


def test_a_file_without_shape_sets_is_never_stretched_past_its_own_sizes():
    for path in find_problems(KB):
        info = read_problem(path)
        assert all(g.top <= max(g.declared) for g in shape_domain(info)), path.name


def test_a_bug_only_in_the_wide_row_path_fails_the_held_out_shape(pool):
    code = (COVERAGE / "wide_row_unrescaled_softmax.py").read_text()
    problem = resolve_problem("softmax")
    assert pool.evaluate(Job(problem=problem, code=code, shape="small")).correct
    outcome = pool.evaluate(Job(problem=problem, code=code))
    assert outcome.status.value == "incorrect", outcome.message
    # The message says which sizes failed and why they were checked.
    assert re.match(r"\[shape heldout: batch_size=\d+, dim=\d+ \(held out", outcome.message)
    assert "dim stretched to" in outcome.message


# Rectangular products: rows and columns set by two sizes, a third (the reduction) reaching no
# axis of the output. A square product ties rows to columns; row-wise and elementwise problems
# reduce nothing their output lacks; a gather (embedding) would move 5 MB, past the budget.
WITH_TILES = {
    "matmul_transposed_b",
    "matmul_batched",
    "fused_linear_bias_gelu",
    "fused_swiglu_mlp",
    "fused_matmul_softmax",
    "fused_int8_dequant_matmul",
}
WITHOUT_TILES = {
    "matmul_square",
    "softmax",
    "layer_norm",
    "transpose_copy",
    "gelu",
    "cumsum",
    "embedding",
}


def _output(pm):
    """The reference's output at this shape set, in float32 (the sizes are what is tested)."""
    args = [a.float() if a.is_floating_point() else a for a in pm.inputs(0).args]
    with torch.no_grad():
        return pm.build(pm.module.Model, 0).float()(*args)


def test_the_tiles_shape_spans_many_row_tiles_and_several_column_tiles_within_the_budget():
    infos = {p.stem: read_problem(p) for p in find_problems(bundled_problems_dir())}
    with_tiles = {name for name, info in infos.items() if has_tiles_shape(info)}
    assert with_tiles >= WITH_TILES
    assert not WITHOUT_TILES & with_tiles
    for name in sorted(with_tiles):
        info = infos[name]
        for seed in range(2):
            pm = exec_problem(info, "tiles", draw_seed=seed)
            tensors = [a for a in pm.inputs(0).args if isinstance(a, torch.Tensor)]
            assert max(t.numel() for t in tensors) <= TILES_NUMEL_BUDGET, name
            assert pm.bytes() <= TILES_BYTES_BUDGET, name
            rows, cols = _output(pm).shape[-2:]
            # More than GROUP_ROWS row tiles of 128 where the rows' domain reaches that far
            # (matmul_batched's m stops at 1024, twice its largest declared value: 16 of 64
            # there), several column tiles, the last tile of each partial.
            assert rows > GROUP_ROWS * TILE or (name == "matmul_batched" and rows > 512), name
            assert cols > TILE, name
            assert rows % 64 and cols % 64, name
            assert "rows and" in pm.sizes and "columns together" in pm.sizes
            declared = [{**info.constants, **s} for s in info.meta.shapes.values()]
            assert pm.constants not in declared


def test_the_tiles_shape_is_drawn_from_the_check_seeds():
    info = read_problem(resolve_problem("matmul_transposed_b"))
    again = [exec_problem(info, "tiles", draw_seed=7).constants for _ in range(2)]
    assert again[0] == again[1]
    drawn = {tuple(exec_problem(info, "tiles", draw_seed=s).constants.values()) for s in range(6)}
    assert len(drawn) > 2


def test_the_tiles_shape_runs_one_plain_seed():
    info = read_problem(resolve_problem("matmul_transposed_b"))
    job = Job(problem=info.path, code="", shape="tiles", seeds=[4, 5, 6])
    assert job.trials(info) == [(4, None)]


def test_a_problem_without_the_tiles_shape_refuses_it_by_name():
    with pytest.raises(ProblemError, match="no many-tiles shape"):
        exec_problem(read_problem(resolve_problem("matmul_square")), "tiles")


def test_a_grouped_tile_order_with_a_floored_column_count_fails_the_tiles_shape(pool):
    floored = (COVERAGE / "grouped_order_floored_matmul.py").read_text()
    fixed = floored.replace("num_pid_n = N // BN", "num_pid_n = tl.cdiv(N, BN)")
    assert fixed != floored
    problem = TESTS / "problems" / "linear_relu.py"
    # One row tile at `small`, and at the held-out shape that stretches the reduction.
    for shape in ("small", "heldout"):
        outcome = pool.evaluate(Job(problem=problem, code=floored, shape=shape))
        assert outcome.correct, outcome.message
    outcome = pool.evaluate(Job(problem=problem, code=floored))
    assert outcome.status.value == "incorrect", outcome.message
    assert outcome.message.startswith("[shape tiles: batch=")
    assert "rows and fout = " in outcome.message
    outcome = pool.evaluate(Job(problem=problem, code=fixed))
    assert outcome.correct, outcome.message
    assert outcome.env["shapes"] == ["small", "heldout", "tiles", "even"]


def _problem_of(path):
    from conftest import header

    name = header(path, "problem")
    local = TESTS / "problems" / f"{name}.py"
    return local if local.exists() else resolve_problem(name)


@pytest.mark.parametrize(
    "path",
    [p for p in LEGIT if has_tiles_shape(read_problem(_problem_of(p)))],
    ids=lambda p: p.stem,
)
def test_legitimate_kernels_pass_at_the_tiles_shape(pool, path):
    problem = _problem_of(path)
    outcome = pool.evaluate(Job(problem=problem, code=path.read_text(), shape="tiles"))
    assert outcome.correct, outcome.message


def _twos(v: int) -> int:
    return min(v & -v, EVEN_TO)


# Where the budget leaves room, the sizes kernels block by divide 1024 (an elementwise
# kernel's block), a row's width its power of two, a product's M, N and K a 128-wide tile.
EVEN_AT_LEAST = {
    "silu": {"dim": 1024},
    "gelu": {"dim": 1024},
    "softmax": {"dim": 1024},
    "row_max": {"dim": 1024},
    "matmul_square": {"N": 128},
    "matmul_transposed_b": {"M": 128, "N": 128, "K": 128},
    "matmul_batched": {"m": 128, "k": 128, "n": 128},
    "attn_causal_prefill": {"seq_len": 128},
}


@pytest.mark.parametrize("path", find_problems(bundled_problems_dir()), ids=lambda p: p.stem)
def test_the_even_shape_divides_the_blocks_within_the_cpu_budget(path):
    info = read_problem(path)
    assert even_shape_missing(info) is None  # every bundled problem has one
    small = exec_problem(info, "small")
    groups = shape_domain(info)
    for seed in (1, 2):
        pm = exec_problem(info, "even", draw_seed=seed)
        assert _numel(pm) <= HELDOUT_NUMEL_BUDGET
        assert pm.constants != small.constants
        sizes = _sizes(pm, groups)
        for g in groups:
            values = {sizes[s] for s in g.slots}
            assert len(values) == 1, g.slots  # tied sizes stay tied
            (v,) = values
            assert g.low <= v <= g.top and (g.pow2 and v & (v - 1) == 0 or v % g.step == 0)
        assert any(_twos(v) > g.step for g in groups for v in [sizes[g.slots[0]]])
        for name, block in EVEN_AT_LEAST.get(path.stem, {}).items():
            assert pm.module.__dict__[name] % block == 0, (name, pm.constants)
        assert "held out, divisible" in pm.sizes and "a multiple of" in pm.sizes
    again = [exec_problem(info, "even", draw_seed=3).constants for _ in range(2)]
    assert again[0] == again[1]


def test_the_even_shape_keeps_minimums_and_derived_sizes(tmp_path):
    path = tmp_path / "derived.py"
    path.write_text(
        "import torch\n"
        "KERNELWRIGHT = {'shapes': {'small': {'batch': 5, 'dim': 3000},"
        " 'bench': {'batch': 4096, 'dim': 8192}}}\n"
        "class Model(torch.nn.Module):\n"
        "    def forward(self, x):\n"
        "        return x.reshape(batch, hidden // 2, 2).sum(-1)\n"
        "batch = 1024\n"
        "dim = 4096\n"
        "hidden = 2 * dim\n"
        "def get_inputs():\n"
        "    return [torch.randn(batch, hidden)]\n"
        "def get_init_inputs():\n"
        "    return []\n"
    )
    pm = exec_problem(read_problem(path), "even", draw_seed=0)
    m = pm.module
    assert m.dim >= 3000 and m.dim % 1024 == 0  # 3072, not 1024: below the minimum
    assert m.hidden == 2 * m.dim and m.batch >= 5
    assert _numel(pm) <= HELDOUT_NUMEL_BUDGET


def test_the_even_shape_runs_one_plain_seed_after_the_others_on_the_cpu():
    info = read_problem(resolve_problem("silu"))
    job = Job(problem=info.path, code="", shape="even", seeds=[4, 5, 6])
    assert job.trials(info) == [(4, None)]
    assert default_shapes(info, "cpu") == ["small", "heldout", "even"]
    assert "even" not in default_shapes(info, "cuda:0")  # the declared sets are divisible


def test_a_problem_without_a_divisible_shape_is_skipped_with_a_note(tmp_path, pool):
    path = tmp_path / "fixed.py"
    path.write_text(
        "import torch\n"
        "class Model(torch.nn.Module):\n"
        "    def forward(self, x):\n"
        "        return torch.relu(x)\n"
        "def get_inputs():\n"
        "    return [torch.randn(3, 5)]\n"
        "def get_init_inputs():\n"
        "    return []\n"
    )
    info = read_problem(path)
    assert "no size varies" in even_shape_missing(info)
    assert default_shapes(info, "cpu") == ["small", "heldout"]
    with pytest.raises(ProblemError, match="no divisible shape: no size varies"):
        exec_problem(info, "even")
    relu = (
        "import torch, triton, triton.language as tl\n"
        "@triton.jit\n"
        "def k(x, y, n, B: tl.constexpr):\n"
        "    o = tl.program_id(0) * B + tl.arange(0, B)\n"
        "    tl.store(y + o, tl.maximum(tl.load(x + o, mask=o < n), 0.0), mask=o < n)\n"
        "class ModelNew(torch.nn.Module):\n"
        "    def forward(self, x):\n"
        "        y = torch.empty_like(x)\n"
        "        k[(1,)](x, y, x.numel(), B=16)\n"
        "        return y\n"
    )
    outcome = pool.evaluate(Job(problem=path, code=relu))
    assert outcome.correct, outcome.message
    assert any(n.startswith("shape even (sizes that divide") for n in outcome.env["notes"])


def test_a_fast_path_for_divisible_sizes_fails_the_even_shape(pool):
    legit = CANDIDATES / "legit" / "even_fast_path.py"
    wrong = CANDIDATES / "adversarial" / "even_fast_path_never_checked.py"
    problem = resolve_problem("silu")
    for shape in ("small", "heldout"):
        outcome = pool.evaluate(Job(problem=problem, code=wrong.read_text(), shape=shape))
        assert outcome.correct, outcome.message
    outcome = pool.evaluate(Job(problem=problem, code=wrong.read_text()))
    assert outcome.status.value == "incorrect", outcome.message
    assert outcome.message.startswith("[shape even: batch_size=")
    assert "held out, divisible" in outcome.message and "(a multiple of 1024)" in outcome.message
    outcome = pool.evaluate(Job(problem=problem, code=legit.read_text()))
    assert outcome.correct, outcome.message
    assert outcome.env["shapes"] == ["small", "heldout", "even"]


def test_check_takes_the_shapes_it_draws_by_name():
    from kernelwright.cli_options import shape_error

    silu = read_problem(resolve_problem("silu"))
    assert shape_error(silu, "even", drawn=True) is None
    assert shape_error(silu, "heldout", drawn=True) is None
    assert "has no such shape set" in shape_error(silu, "even")  # prompt: declared sets only
    why = shape_error(silu, "tiles", drawn=True)
    assert why and "heldout, even)" in why  # silu's output has no many-tiles shape
