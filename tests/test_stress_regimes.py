"""Stress regimes: inputs derived from get_inputs' own distribution, run by every check."""

from __future__ import annotations

import pytest
import torch

from conftest import CANDIDATES, TESTS
from kernelwright.problem import ProblemError, read_problem, resolve_problem
from kernelwright.regimes import BUILTIN, Regime, active, apply, regimes_for
from kernelwright.sandbox.pool import Job
from kernelwright.sandbox.trial_inputs import off_constant

ADD = TESTS / "problems" / "vector_add.py"
COVERAGE = CANDIDATES / "coverage"


def test_only_real_valued_floating_inputs_are_transformed():
    x = torch.randn(64)
    idx = torch.randint(0, 10, (64,))
    mask = torch.randint(0, 2, (64,)).float()  # a mask stored as float: integers
    flag = torch.rand(64) > 0.5
    out = apply(BUILTIN["scaled_up"], [x, idx, mask, flag, 3.0], seed=1)
    assert torch.equal(out[0], x * 100)
    assert out[1] is idx and out[2] is mask and out[3] is flag and out[4] == 3.0


def test_regimes_are_pure_functions_of_inputs_and_seed():
    x = torch.randn(1000)
    a = apply(BUILTIN["wide"], [x], seed=5)[0]
    assert torch.equal(a, apply(BUILTIN["wide"], [x.clone()], seed=5)[0])
    assert not torch.equal(a, apply(BUILTIN["wide"], [x], seed=6)[0])
    ratio = (a / x).abs()
    assert ratio.min() > 0.9e-3 and ratio.max() < 101  # spread over 1e-3..1e2
    shifted = apply(BUILTIN["shifted"], [x], seed=0)[0]
    assert torch.equal(shifted, apply(BUILTIN["shifted"], [x], seed=9)[0])
    assert torch.equal(apply(BUILTIN["scaled_down"], [x], seed=0)[0], (x.double() * 1e-3).float())
    assert torch.equal(x, x.clone())  # the input itself is untouched


def test_a_problem_declares_skips_and_regimes_of_its_own(tmp_path):
    path = tmp_path / "p.py"
    path.write_text(
        "import torch\n"
        "KERNELWRIGHT = {'regimes': {'scaled_up': {'skip': 'exp overflows'},"
        " 'positive': {'scale': 30, 'shift': 2}}}\n"
        "class Model(torch.nn.Module):\n"
        "    def forward(self, x):\n"
        "        return torch.exp(x)\n"
        "n = 100\n"
        "def get_inputs():\n"
        "    return [torch.randn(n)]\n"
        "def get_init_inputs():\n"
        "    return []\n"
    )
    meta = read_problem(path).meta
    assert active(meta.regimes) == ["scaled_down", "shifted", "wide", "positive"]
    assert regimes_for(meta.regimes)["scaled_up"].skip == "exp overflows"
    path.write_text(path.read_text().replace("'scale': 30, 'shift': 2", ""))
    with pytest.raises(ProblemError, match="regimes"):
        read_problem(path)


def test_regime_must_do_something():
    with pytest.raises(ValueError):
        Regime()


@pytest.mark.parametrize(
    "problem, name, regime",
    [
        (ADD, "clamped_add.py", "scaled_up"),
        (resolve_problem("rms_norm"), "eps_outside_sqrt_rms_norm.py", "scaled_down"),
    ],
    ids=["clamped", "eps_outside_sqrt"],
)
def test_a_kernel_wrong_outside_randns_range_is_caught_by_its_regime(pool, problem, name, regime):
    code = (COVERAGE / name).read_text()
    outcome = pool.evaluate(Job(problem=problem, code=code, shape="small"))
    assert outcome.status.value == "incorrect", outcome.message
    assert f"stress regime {regime}" in outcome.message
    # Right on get_inputs' own distribution: every plain seed judged before it passed.
    plain = [c for c in outcome.checks if c.name.startswith("output matches (seed")]
    plain = [c for c in plain if "regime" not in c.name]
    assert plain and all(c.passed for c in plain)


def test_every_check_runs_the_regimes_and_says_so(pool):
    code = (CANDIDATES / "broken" / "correct.py").read_text()
    outcome = pool.evaluate(Job(problem=ADD, code=code, shape="small"))
    assert outcome.correct, outcome.message
    assert "3 seeds and 4 stress regimes" in outcome.message
    for name in BUILTIN:
        assert any(f"stress regime {name}" in c.name and c.passed for c in outcome.checks)


def test_a_regime_where_the_reference_overflows_is_not_run(pool, tmp_path):
    path = tmp_path / "cube.py"
    path.write_text(
        "import torch\n"
        "KERNELWRIGHT = {'dtype': 'float16', 'shapes': {'small': {'n': 999}}}\n"
        "class Model(torch.nn.Module):\n"
        "    def forward(self, x):\n"
        "        return x * x * x\n"
        "n = 999\n"
        "def get_inputs():\n"
        "    return [torch.randn(n)]\n"
        "def get_init_inputs():\n"
        "    return []\n"
    )
    code = (
        "import torch, torch.nn as nn, triton, triton.language as tl\n"
        "@triton.jit\n"
        "def k(x_ptr, o_ptr, n, BLOCK: tl.constexpr):\n"
        "    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)\n"
        "    x = tl.load(x_ptr + offs, mask=offs < n).to(tl.float32)\n"
        "    tl.store(o_ptr + offs, (x * x * x).to(tl.float16), mask=offs < n)\n"
        "class ModelNew(nn.Module):\n"
        "    def forward(self, x):\n"
        "        out = torch.empty_like(x)\n"
        "        k[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)\n"
        "        return out\n"
    )
    outcome = pool.evaluate(Job(problem=path, code=code, shape="small"))
    assert outcome.correct, outcome.message
    assert any(
        "stress regime scaled_up not run: the reference overflows float16" in n
        for n in outcome.env["notes"]
    )
    assert "4 stress regimes" not in outcome.message


def test_shifted_puts_whole_rows_on_each_side_of_zero():
    x = torch.randn(6, 5000)
    y = apply(BUILTIN["shifted"], [x], seed=0)[0]
    rms = x.pow(2).mean().sqrt()
    # Rows of the first half wholly positive, of the second wholly negative, >= 1 rms off zero:
    # a max whose masked lanes read 0 is wrong on the negative rows, a min on the positive ones.
    assert y[:3].min() >= 0.999 * rms and y[3:].max() <= -0.999 * rms
    # The split is along the first axis longer than 1: every row of a batch of one is split too.
    z = apply(BUILTIN["shifted"], [torch.randn(1, 4, 300)], seed=0)[0]
    assert (z[0, :2] > 0).all() and (z[0, 2:] < 0).all()
    # An input of one sign (probabilities, lengths) keeps it, moved away from zero.
    probs = torch.rand(4, 100)
    assert apply(BUILTIN["shifted"], [probs], seed=0)[0].min() > 0.5
    assert apply(BUILTIN["shifted"], [-probs], seed=0)[0].max() < -0.5
    assert "half moved above" in BUILTIN["shifted"].describe()
    with pytest.raises(ValueError, match="both_signs"):
        Regime(scale=2.0, both_signs=True)


@pytest.mark.parametrize(
    "problem, name",
    [
        (resolve_problem("row_max"), "max_other_zero_row_max.py"),
        (TESTS / "problems" / "row_min.py", "min_other_zero_row_min.py"),
    ],
    ids=["max", "min"],
)
def test_a_wrong_other_for_a_max_or_a_min_is_caught_by_the_shifted_regime(pool, problem, name):
    code = (COVERAGE / name).read_text()
    outcome = pool.evaluate(Job(problem=problem, code=code, shape="small"))
    assert outcome.status.value == "incorrect", outcome.message
    assert "stress regime shifted" in outcome.message
    # The same kernel with the reduction's identity for masked lanes passes.
    fixed = code.replace(
        "other=0.0", 'other=float("inf")' if "min" in name else 'other=-float("inf")'
    )
    assert pool.evaluate(Job(problem=problem, code=fixed, shape="small")).correct


def test_constant_weights_are_moved_off_their_constant_alike_in_both_models():
    def built():
        torch.manual_seed(0)
        return torch.nn.Sequential(
            torch.nn.LayerNorm(64), torch.nn.BatchNorm1d(8), torch.nn.Linear(4, 4)
        )

    a, b = built(), built()
    linear = a[2].weight.detach().clone()
    off_constant(a, seed=3)
    off_constant(b, seed=3)
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(x, y), name  # Model and a ModelNew with its state agree
    ln, bn = a[0], a[1]
    assert ln.weight.min() >= 0.9 and ln.weight.max() <= 1.1 and ln.weight.std() > 0.01
    assert ln.bias.abs().max() <= 0.1 and ln.bias.std() > 0.01
    assert bn.running_var.min() > 0  # ones stay positive
    assert bn.num_batches_tracked.item() == 0  # integers are left alone
    assert torch.equal(a[2].weight, linear)  # weights already drawn at random are kept


def test_a_kernel_that_reads_the_bias_one_element_late_is_caught(pool):
    code = (COVERAGE / "bias_off_by_one_layer_norm.py").read_text()
    outcome = pool.evaluate(Job(problem=resolve_problem("layer_norm"), code=code, shape="small"))
    assert outcome.status.value == "incorrect", outcome.message


def test_the_held_out_shape_runs_the_regimes_on_the_host_runs_seeds():
    info = read_problem(resolve_problem("log_softmax"))
    plan = Job(problem=info.path, code="", shape="heldout", seeds=[1, 2, 3]).trials(info)
    assert [s for s, r in plan if r is None] == [1, 2]
    assert sorted(r for _, r in plan if r is not None) == sorted(active(info.meta.regimes))
    small = Job(problem=info.path, code="", shape="small", seeds=[1, 2, 3]).trials(info)
    assert [s for s, r in small if r is None] == [1, 2, 3]
    # The regimes' seeds follow from the check's: the same at both shapes.
    assert sorted(t for t in plan if t[1]) == sorted(t for t in small if t[1])
    # The host's second trial is a large stress regime's, another at each shape.
    assert plan[0][1] is None and small[0][1] is None
    assert (small[1][1], plan[1][1]) == ("scaled_up", "wide")
