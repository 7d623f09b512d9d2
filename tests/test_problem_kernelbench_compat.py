"""KernelBench-convention files as written elsewhere: every way they bind sizes scales to small.

Each file under problems/kernelbench_style/ stands for a class of real KernelBench files
(levels 1-4) that loaded, scaled or ran wrongly before; test_problems.py already checks
that every file there loads, fits the input budget at `small` and gives finite outputs.
"""

from __future__ import annotations

import torch

from conftest import TESTS
from kernelwright.problem import (
    SMALL_NUMEL_BUDGET,
    SMALL_STATE_BUDGET,
    ProblemError,
    load_problem,
    read_problem,
)
from kernelwright.sandbox.verify import degenerate_warning

KB = TESTS / "problems" / "kernelbench_style"


def small(name: str):
    pm = load_problem(KB / f"{name}.py", "small")
    args = pm.inputs(0).args
    model = pm.build(pm.module.Model, 0)
    with torch.no_grad():
        out = model(*args)
    return pm, args, model, out


def test_chained_and_unpacked_assignments_are_sizes():
    info = read_problem(KB / "chained_and_unpacked_sizes.py")
    assert {k: info.constants[k] for k in ("height", "width", "in_channels", "out_channels")} == {
        "height": 96,
        "width": 96,
        "in_channels": 24,
        "out_channels": 48,
    }
    pm, (x,), model, out = small("chained_and_unpacked_sizes")
    assert pm.module.height == pm.module.width < 96
    assert x.numel() <= SMALL_NUMEL_BUDGET
    assert model.conv.in_channels == pm.module.in_channels == x.shape[1]
    assert out.shape == (x.shape[0], pm.module.out_channels, *x.shape[2:])


def test_size_tuples_and_lists_scale_and_keep_their_type():
    pm, (x,), model, out = small("size_tuples_and_lists")
    shape, hidden = pm.module.input_shape, pm.module.hidden_sizes
    assert isinstance(shape, tuple) and shape[0] < 1024
    assert isinstance(hidden, list) and len(hidden) == 2 and max(hidden) < 4096
    assert x.shape == (pm.module.batch_size, *shape)
    # The layer widths are not inputs: they shrink because the weights must fit too.
    state = sum(p.numel() for p in model.parameters())
    assert state <= SMALL_STATE_BUDGET
    assert out.shape == (pm.module.batch_size, pm.module.output_size)


def test_derived_constants_follow_their_sources_and_floats_stay():
    info = read_problem(KB / "derived_constants.py")
    assert set(info.derived) == {"num_channels", "bias_shape"}
    pm, (x,), model, out = small("derived_constants")
    channels = pm.module.channels
    assert channels < 128 and "channels" in pm.overrides
    assert pm.module.num_channels == channels and pm.module.bias_shape == (channels, 1, 1)
    assert not {"num_channels", "bias_shape", "eps", "scale"} & set(pm.overrides)
    assert pm.module.eps == 1e-5 and pm.module.scale == 0.5
    assert model.norm.eps == 1e-5 and model.bias.shape == (channels, 1, 1)
    assert out.shape == x.shape


def test_scaling_keeps_channel_counts_the_model_can_divide():
    pm, (x,), model, out = small("divisible_channels")
    channels = pm.module.channels
    # Halving 240 blindly reaches 30, which the model's assert rejects.
    assert channels < 240 and channels % 4 == 0 and (channels // 4) % pm.module.groups == 0
    assert pm.module.groups == 3
    assert out.shape == x.shape


def test_sizes_tied_by_the_model_shrink_together():
    pm, (x,), model, out = small("tied_sizes")
    assert pm.module.features == 3 * pm.module.width < 3072
    assert x.numel() <= SMALL_NUMEL_BUDGET
    assert out.shape == (pm.module.batch_size, pm.module.features)


def test_signal_stays_longer_than_the_dilated_kernel():
    pm, (x,), model, out = small("dilated_kernel_span")
    span = pm.module.dilation * (pm.module.kernel_size - 1) + 1
    assert span == 65 and span <= pm.module.length < 4096
    assert pm.module.kernel_size == 9 and pm.module.dilation == 8
    assert out.shape[-1] == pm.module.length - span + 1 > 0


def test_cuda_named_in_get_inputs_runs_on_the_cpu():
    pm, args, model, out = small("cuda_literal_inputs")
    assert all(a.device.type == "cpu" for a in args)
    assert pm.module.seq_len < 256 and pm.module.heads == 4
    assert out.shape == args[0].shape


def test_declared_shape_set_recomputes_derived_constants(tmp_path):
    path = tmp_path / "declared.py"
    path.write_text(
        "import torch\n"
        "KERNELWRIGHT = {'shapes': {'small': {'channels': 16}}}\n"
        "class Model(torch.nn.Module):\n"
        "    def __init__(self, bias_shape):\n"
        "        super().__init__()\n"
        "        self.bias = torch.nn.Parameter(torch.zeros(bias_shape))\n"
        "    def forward(self, x):\n"
        "        return x + self.bias\n"
        "channels = 256\n"
        "bias_shape = (channels, 1, 1)\n"
        "def get_inputs():\n"
        "    return [torch.rand(2, channels, 4, 4)]\n"
        "def get_init_inputs():\n"
        "    return [bias_shape]\n"
    )
    pm = load_problem(path, "small")
    assert pm.overrides == {"channels": 16} and pm.module.bias_shape == (16, 1, 1)
    model = pm.build(pm.module.Model, 0)
    assert model(*pm.inputs(0).args).shape == (2, 16, 4, 4)


def test_missing_third_party_package_is_one_clear_line(tmp_path):
    path = tmp_path / "needs_package.py"
    path.write_text(
        "import torch\n"
        "from kw_no_such_package import AutoModel\n"
        "class Model(torch.nn.Module):\n"
        "    def forward(self, x):\n"
        "        return x\n"
        "batch_size = 4096\n"
        "def get_inputs():\n"
        "    return [torch.rand(batch_size, 8)]\n"
        "def get_init_inputs():\n"
        "    return []\n"
    )
    try:
        load_problem(path, "small")
    except ProblemError as e:
        message = str(e)
    else:
        raise AssertionError("a problem importing a missing package loaded")
    assert "imports 'kw_no_such_package', which is not installed here" in message
    assert "\n" not in message and "Traceback" not in message
    # `problems list` shows the same line in its warning column.
    assert degenerate_warning(read_problem(path)) == message


def test_a_problem_the_meta_device_cannot_run_still_scales_its_inputs(tmp_path):
    path = tmp_path / "item_in_init.py"
    path.write_text(
        "import torch\n"
        "class Model(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.rate = torch.linspace(0, 1, 3)[1].item()\n"
        "    def forward(self, x):\n"
        "        return x * self.rate\n"
        "batch_size = 512\n"
        "dim = 4096\n"
        "def get_inputs():\n"
        "    return [torch.rand(batch_size, dim)]\n"
        "def get_init_inputs():\n"
        "    return []\n"
    )
    pm = load_problem(path, "small")
    (x,) = pm.inputs(0).args
    assert x.numel() <= SMALL_NUMEL_BUDGET
    model = pm.build(pm.module.Model, 0)
    assert torch.allclose(model(x), x * 0.5)
