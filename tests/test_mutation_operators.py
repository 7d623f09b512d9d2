"""Each mutation operator breaks what its description says, and nothing else."""

from __future__ import annotations

from kernelwright.evals.mutants import make_mutants

HEADER = "import torch\nimport torch.nn as nn\nimport triton\nimport triton.language as tl\n"


def _of(code: str, operator: str, shapes=None):
    return [m for m in make_mutants(code, shapes) if m.operator == operator]


def test_swap_strides_swaps_two_strides_of_one_tensor_never_of_two_tensors():
    code = HEADER + (
        "@triton.jit\n"
        "def _k(x_ptr, r_ptr, y_ptr, stride_x, stride_r, stride_ym, stride_yn, BLOCK: tl.constexpr):\n"
        "    row = tl.program_id(0)\n"
        "    x = tl.load(x_ptr + row * stride_x)\n"
        "    r = tl.load(r_ptr + row * stride_r)\n"
        "    tl.store(y_ptr + row * stride_ym + 0 * stride_yn, x + r)\n"
        "class ModelNew(nn.Module):\n"
        "    def forward(self, x, r):\n"
        "        y = torch.empty_like(x)\n"
        "        _k[(x.shape[0],)](x, r, y, x.stride(0), r.stride(0), y.stride(0), y.stride(1), BLOCK=64)\n"
        "        return y\n"
    )
    swaps = {m.description.split(": ")[1] for m in _of(code, "swap_strides")}
    # x's row stride and r's row stride are strides of two tensors: equal whenever the two
    # have one layout, so swapping them is no bug of this class.
    assert swaps == {
        "swap stride_ym and stride_yn in _k",
        "swap y.stride(0) and y.stride(1) at launch",
    }


def test_swap_strides_reads_which_tensor_from_the_launch_before_the_names():
    kernel = (
        "@triton.jit\n"
        "def _k(x_ptr, y_ptr, stride_in, stride_out, stride_xm, stride_xn):\n"
        "    i = tl.program_id(0)\n"
        "    v = tl.load(x_ptr + i * stride_in + i * stride_xm)\n"
        "    tl.store(y_ptr + i * stride_out + i * stride_xn, v)\n"
        "class ModelNew(nn.Module):\n"
        "    def forward(self, x):\n"
        "        y = torch.empty_like(x)\n"
        "        _k[(4,)](x, y, x.stride(0), x.stride(1), x.stride(0), y.stride(0))\n"
        "        return y\n"
    )
    swaps = {m.description.split(": ")[1] for m in _of(HEADER + kernel, "swap_strides")}
    # stride_in/stride_out are both x's (the launch says so); stride_xm/stride_xn are not,
    # whatever their names suggest (the second is y's).
    assert "swap stride_in and stride_out in _k" in swaps
    assert "swap stride_xm and stride_xn in _k" not in swaps


def test_skip_zero_init_drops_only_the_zeroing_of_a_buffer_atomics_accumulate_into():
    code = HEADER + (
        "@triton.jit\n"
        "def _k(x_ptr, acc_ptr, n, BLOCK: tl.constexpr):\n"
        "    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)\n"
        "    x = tl.load(x_ptr + offs, mask=offs < n, other=0.0)\n"
        "    tl.atomic_add(acc_ptr, tl.sum(x, axis=0))\n"
        "class ModelNew(nn.Module):\n"
        "    def forward(self, x):\n"
        "        total = torch.zeros(1, device=x.device)\n"
        "        other = torch.zeros(3, device=x.device)\n"
        "        other.zero_()\n"
        "        total.zero_()\n"
        "        _k[(4,)](x, total, x.numel(), BLOCK=64)\n"
        "        return total + other\n"
    )
    mutants = _of(code, "skip_zero_init")
    changed = sorted(m.description.split(": ", 1)[1] for m in mutants)
    assert changed == [
        "drop total.zero_() before the atomics",
        "zeros -> empty for the buffer atomics accumulate into",
    ]
    (empty,) = [m for m in mutants if "empty" in m.description]
    assert "total = torch.empty(1" in empty.code and "other = torch.zeros(3" in empty.code


def test_hard_code_size_puts_a_value_of_the_same_kind():
    code = HEADER + (
        "@triton.jit\n"
        "def _k(x_ptr, n):\n"
        "    tl.store(x_ptr, n)\n"
        "class ModelNew(nn.Module):\n"
        "    def forward(self, x):\n"
        "        rows, cols = x.shape\n"
        "        lead = x.shape[:-1]\n"
        "        total = x.numel()\n"
        "        sizes = x.size()\n"
        "        _k[(1,)](x, x.size(1))\n"
        "        return x.view(sizes)\n"
    )
    texts = {m.description.split(": ", 1)[1] for m in _of(code, "hard_code_size", [(3, 7)])}
    assert texts == {
        "hard-code x.shape as (3, 7)",  # the sizes, not a count
        "hard-code x.numel() as 21",
        "hard-code x.size() as (3, 7)",
        "hard-code x.size(1) as 7",
    }  # a slice of the shape is no single size


def test_floor_cdiv_says_whether_it_floors_the_grid_and_knows_cdiv_written_out():
    code = HEADER + (
        "@triton.jit\n"
        "def _k(x_ptr, n, BLOCK: tl.constexpr):\n"
        "    tiles = (n + BLOCK - 1) // BLOCK\n"
        "    for t in range(0, tiles):\n"
        "        tl.store(x_ptr + t, 1.0)\n"
        "class ModelNew(nn.Module):\n"
        "    def forward(self, x):\n"
        "        splits = triton.cdiv(264, x.shape[0])\n"
        "        _k[(triton.cdiv(x.numel(), 64),)](x, splits, BLOCK=64)\n"
        "        return x\n"
    )
    texts = {m.description.split(": ", 1)[1] for m in _of(code, "floor_cdiv")}
    assert texts == {
        "floor a tile count in the kernel ((n + BLOCK - 1) // BLOCK -> n // BLOCK)",
        "floor a tile count in host code (triton.cdiv(264, x.shape[0]) -> 264 // x.shape[0])",
        "floor the grid (triton.cdiv(x.numel(), 64) -> x.numel() // 64)",
    }


def test_drop_mask_finds_a_mask_passed_by_position():
    code = HEADER + (
        "@triton.jit\n"
        "def _k(x_ptr, y_ptr, n, BLOCK: tl.constexpr):\n"
        "    offs = tl.arange(0, BLOCK)\n"
        "    x = tl.load(x_ptr + offs, offs < n, 0.0)\n"
        "    tl.store(y_ptr + offs, x, offs < n)\n"
        "class ModelNew(nn.Module):\n"
        "    def forward(self, x):\n"
        "        return x\n"
    )
    codes = [m.code for m in _of(code, "drop_mask")]
    assert any("x = tl.load(x_ptr + offs)\n" in c for c in codes)
    assert any("tl.store(y_ptr + offs, x)\n" in c for c in codes)
    weakened = [m.code for m in _of(code, "weaken_mask")]
    assert any("tl.load(x_ptr + offs, offs <= n, 0.0)" in c for c in weakened)


def test_skip_scale_skips_a_scale_never_an_index_nor_the_running_value():
    code = HEADER + (
        "@triton.jit\n"
        "def _k(x_ptr, y_ptr, cols_per_split, n, BLOCK: tl.constexpr):\n"
        "    split = tl.program_id(0)\n"
        "    start = split * cols_per_split\n"
        "    cols = start + tl.arange(0, BLOCK)\n"
        "    x = tl.load(x_ptr + cols, mask=cols < n, other=0.0)\n"
        "    m = tl.max(x, axis=0)\n"
        "    l = tl.sum(tl.exp(x - m), axis=0)\n"
        "    alpha = tl.exp(m - 1.0)\n"
        "    l = l * alpha + 1.0\n"
        "    tl.store(y_ptr + split, l)\n"
        "class ModelNew(nn.Module):\n"
        "    def forward(self, x):\n"
        "        return x\n"
    )
    texts = {m.description.split(": ", 1)[1] for m in _of(code, "skip_scale")}
    # split * cols_per_split is where a tile starts; l * alpha rescales the running sum l.
    assert "skip a scale: split * cols_per_split -> split" not in texts
    assert "skip a scale: l * alpha -> l" in texts
    assert "skip a scale: l * alpha -> alpha" not in texts
    assert "skip a shift or normalisation: x - m -> x" in texts


MATMUL = HEADER + (
    "@triton.jit\n"
    "def _mm(a_ptrs, b_ptrs, c_ptr, K, valid, BLOCK_K: tl.constexpr):\n"
    "    offs_k = tl.arange(0, BLOCK_K)\n"
    "    acc = tl.zeros((16, 16), dtype=tl.float32)\n"
    "    for k in range(0, tl.cdiv(K, BLOCK_K)):\n"
    "        k_left = K - k * BLOCK_K\n"
    "        a = tl.load(a_ptrs, mask=offs_k[None, :] < k_left, other=0.0)\n"
    "        b = tl.load(b_ptrs, mask=offs_k[:, None] < k_left, other=B_OTHER)\n"
    "        acc = tl.dot(a, b, acc)\n"
    "    tl.store(c_ptr, acc)\n"
    "class ModelNew(nn.Module):\n"
    "    def forward(self, x):\n"
    "        return x\n"
)


def test_wrong_other_leaves_a_dot_operand_whose_partner_is_zero_under_the_same_k_mask():
    # Where a is masked so is b, and b is 0 there: a's `other` times 0 adds nothing.
    assert not _of(MATMUL.replace("B_OTHER", "0.0"), "wrong_other")
    # b is 1.0 where masked: a's `other` reaches the product (b's still does not, a being 0).
    assert [m.line for m in _of(MATMUL.replace("B_OTHER", "1.0"), "wrong_other")] == [11]
    # A mask that also drops rows: a's masked rows meet b's real values.
    rows = MATMUL.replace("B_OTHER", "0.0").replace(
        "mask=offs_k[None, :] < k_left", "mask=valid & (offs_k[None, :] < k_left)"
    )
    assert len(_of(rows, "wrong_other")) == 2
    # a also used outside the dot: its `other` may reach an output.
    leak = MATMUL.replace("B_OTHER", "0.0").replace(
        "    tl.store(c_ptr, acc)\n", "    tl.store(c_ptr, acc + tl.sum(a, axis=1)[:, None])\n"
    )
    assert [m.line for m in _of(leak, "wrong_other")] == [11]
