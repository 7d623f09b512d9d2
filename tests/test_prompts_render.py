"""Rendering: every template for every bundled problem, variants switching their parts, the
target facts, pattern choice, and the README's sample prompt."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from kernelwright.problem import bundled_problems_dir, exec_problem, find_problems, read_problem
from kernelwright.prompts import render
from kernelwright.prompts.render import (
    PARTS,
    PROMPT_VERSION,
    VARIANTS,
    PromptConfig,
    render_problem,
    render_system,
)

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = find_problems(bundled_problems_dir())
KERNELBENCH_STYLE = find_problems(ROOT / "tests" / "problems" / "kernelbench_style")

H100 = {
    "name": "NVIDIA H100 80GB HBM3",
    "arch": "sm_90",
    "bandwidth_gbs": 3350,
    "tflops": {"fp32": 67, "tf32": 494.7, "bf16": 989.4, "fp16": 989.4, "fp8": 1978.9},
    "sms": 132,
    "smem_per_sm_kb": 228,
    "l2_mb": 50,
    "tensor_core_shapes": "wgmma m64nNk16 (bf16/fp16)",
    "shape": "bench",
    "roofline": {"bytes": 268435456, "flops": 335544320, "bound_ms": 0.0801, "bound_by": "memory"},
    "baseline": {"eager_ms": 0.31, "compiled_ms": 0.2},
}

# What each part adds to the prompt: (system text, problem text) markers.
MARKERS = {
    "contract": ("## The contract", "### Sizes and checks"),
    "guide": ("## Triton rules (guide v", None),
    "helpers": ("## Helpers you may import", None),
    "target_facts": ("## Target", "### Goal"),
    "patterns": (None, "### Worked patterns"),
}


def test_the_bundled_suite_is_there():
    assert len(BUNDLED) >= 24 and KERNELBENCH_STYLE


@pytest.mark.parametrize("path", BUNDLED + KERNELBENCH_STYLE, ids=lambda p: p.stem)
def test_every_template_renders_for_every_problem(path):
    info = read_problem(path)
    pm = exec_problem(info, "small")
    system = render_system("full", None)
    assert f"kernelwright prompt {PROMPT_VERSION}, variant full" in system
    for variant, target, module in itertools.product(VARIANTS, (None, H100), (None, pm)):
        text = render_problem(info, module, variant, target)
        assert text.startswith(f"## Problem: {info.name}")
        assert "class Model(" in text and "KERNELWRIGHT" not in text
        assert text.rstrip().endswith("Write the module now.")
        assert "{{" not in text and "{%" not in text
        if variant == "full":
            assert "### Worked patterns" in text
            for name in render.select_patterns(info):
                assert f"#### {name}" in text
    full = render_problem(info, pm, "full", None)
    assert "shape set `small`" in full  # the executed module's inputs
    assert "(kernelwright prompt" not in full  # the version is stated once, in the system prompt


def test_problem_states_inputs_tolerance_and_shape_sets():
    info = read_problem(ROOT / "tests" / "problems" / "kernelbench_style" / "19_ReLU.py")
    text = render_problem(info, exec_problem(info, "small"), "contract", None)
    assert re.search(r"`forward` inputs at shape set `small`: float32\[\d+, \d+\]", text)
    assert "- Constructor arguments: none" in text
    assert "`small`: the constants scaled down for the CPU interpreter" in text
    assert "dtype float32: atol 0.001, rtol 0.001" in text
    text = render_problem(info, None, "contract", None)
    assert "Module constants (defaults): batch_size=4096, dim=393216" in text


@pytest.mark.parametrize("parts", list(itertools.product([False, True], repeat=len(PARTS))))
def test_each_part_switches_on_and_off(parts):
    config = PromptConfig(**dict(zip(PARTS, parts, strict=True)))
    info = read_problem(BUNDLED[0])
    system = render_system(config, H100)
    problem = render_problem(info, None, config, H100)
    for part, (in_system, in_problem) in MARKERS.items():
        on = getattr(config, part)
        if in_system:
            assert (in_system in system) == on, (part, config.label)
        if in_problem:
            assert (in_problem in problem) == on, (part, config.label)
    assert "```python" in system  # the answer format is always stated
    assert f"variant {config.label}" in system
    assert PromptConfig.from_variant(config.label) == config


def test_variants():
    assert PromptConfig.from_variant("full") == PromptConfig()
    assert not any(PromptConfig.from_variant("bare").model_dump().values())
    contract = PromptConfig.from_variant("contract")
    assert contract.parts_on() == ["contract"]
    assert PromptConfig.from_variant("full-patterns-guide").parts_on() == [
        "contract", "target_facts", "helpers", "feedback_diagnosis",
    ]  # fmt: skip
    assert PromptConfig.from_variant("bare+guide").label == "bare+guide"
    assert PromptConfig.from_variant("contract+guide+patterns").label == "contract+guide+patterns"
    assert PromptConfig.from_variant("full-feedback_diagnosis").label == "full-feedback_diagnosis"
    for bad, words in [("fancy", "unknown prompt variant"), ("full-colour", "unknown prompt part")]:
        with pytest.raises(ValueError, match=words):
            PromptConfig.from_variant(bad)
    # The bare prompt is a short instruction; each added part makes it longer.
    lengths = [len(render_system(v, None)) for v in VARIANTS]
    assert lengths == sorted(lengths) and lengths[0] < 500


def test_target_facts_are_rendered():
    system = render_system("full", H100)
    assert "NVIDIA H100 80GB HBM3 (sm_90):" in system
    assert "memory bandwidth 3350 GB/s" in system
    assert "fp32 67, tf32 494.7, bf16 989.4, fp16 989.4, fp8 1979" in system
    assert "132 SMs, 228 KiB shared memory per SM, 50 MiB L2" in system
    info = read_problem(bundled_problems_dir() / "level1" / "softmax.py")
    problem = render_problem(info, None, "full", H100)
    assert "moves at least 268 MB and does 336 MFLOP" in problem
    assert "takes 0.0801 ms (memory-bound)" in problem
    assert "Eager PyTorch takes 0.31 ms (26% of the bound); torch.compile 0.2 ms (40%)" in problem
    assert "as close to the 0.0801 ms bound" in problem
    minimal = render_system("full", {"name": "Some GPU"})
    assert "Some GPU:" in minimal and "GB/s" not in minimal
    with pytest.raises(ValueError, match="bad target facts at sms"):
        render_system("full", {"name": "x", "sms": "many"})


def test_without_a_target_the_prompt_says_cpu_interpreter():
    assert "checked in Triton's CPU interpreter" in render_system("full", None)
    info = read_problem(bundled_problems_dir() / "level1" / "softmax.py")
    problem = render_problem(info, None, "full", None)
    assert "Correct on every check in the CPU interpreter. It is not timed here" in problem
    assert "moves at least" in problem  # bytes and flops come from the problem's metadata


def test_pattern_selection_by_tags_and_source(tmp_path):
    def problem(tags: list[str] | None, body: str) -> Path:
        meta = f"KERNELWRIGHT = {{'tags': {tags!r}}}\n" if tags is not None else ""
        path = tmp_path / f"p{len(list(tmp_path.iterdir()))}.py"
        path.write_text(
            f"import torch\nimport torch.nn as nn\n{meta}\nclass Model(nn.Module):\n"
            f"    def forward(self, x):\n        return {body}\n\n"
            "def get_inputs():\n    return [torch.randn(4, 4)]\n\n"
            "def get_init_inputs():\n    return []\n"
        )
        return path

    def chosen(tags, body="x"):
        return render.select_patterns(read_problem(problem(tags, body)))

    assert chosen(["attention", "softmax"]) == ["flash_attention", "row_softmax"]
    assert chosen(["moe", "matmul", "gather", "fusion"]) == ["matmul_epilogue", "gather_scatter"]
    assert chosen(["elementwise"]) == ["elementwise_epilogue"]
    assert chosen(None, "torch.matmul(x, x)") == ["matmul_epilogue"]
    assert chosen(None, "torch.softmax(x, dim=-1)") == ["row_softmax"]
    assert chosen(["exotic"], "x.clamp(0)") == ["elementwise_epilogue"]


def test_patterns_are_shown_without_lint_pragmas():
    for name in render.pattern_names():
        source = render.pattern_source(name)
        assert "class ModelNew(nn.Module)" in source and "@triton.jit" in source
        assert "fmt: skip" not in source and "noqa" not in source


def test_feedback_and_version_strings_are_stable():
    assert re.fullmatch(r"\d+\.\d+", PROMPT_VERSION)
    assert set(VARIANTS) == {"bare", "contract", "full"}


def test_prompt_command_prints_a_whole_prompt():
    """The README's sample prompt is `kernelwright prompt softmax`."""
    from typer.testing import CliRunner

    from kernelwright.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["prompt", "softmax"])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("# A rendered prompt: softmax, variant full")
    assert "## The contract" in text and "#### row_softmax" in text
    assert f"kernelwright prompt {PROMPT_VERSION}" in text
    assert runner.invoke(app, ["prompt", "no_such_problem"]).exit_code == 2
    bad = runner.invoke(app, ["prompt", "softmax", "--variant", "nope"])
    assert bad.exit_code == 2 and "unknown prompt variant" in bad.output
