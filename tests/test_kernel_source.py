"""The one kernel extraction, which the trusted replay and the ahead-of-time compiler both run:
only the module's @triton.jit functions, imports of Triton's language and constants are
defined, and nothing they name reaches outside Triton's language."""

from __future__ import annotations

import json
import os
import textwrap

import pytest

from kernelwright.sandbox import kernel_source
from kernelwright.sandbox.replay import ReplayError, load_kernels

HEAD = "import triton\nimport triton.language as tl\n"
KERNEL = """
@triton.jit
def k(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(out_ptr + offs, tl.load(x_ptr + offs, mask=offs < n), mask=offs < n)
"""


def _kernels(source: str, tmp_path) -> dict:
    """The kernels the replay defines, probed as on the CPU where TRITON_INTERPRET is set."""
    return load_kernels(source, tmp_path, os.environ.get("TRITON_INTERPRET") == "1")[0]


def _load(tmp_path, source: str) -> dict:
    return _kernels(textwrap.dedent(source), tmp_path)


def test_only_the_kernels_are_defined_on_their_own_lines(tmp_path):
    from triton.runtime.autotuner import Autotuner

    marker = tmp_path / "marker"
    code = textwrap.dedent(
        f"""
        import os
        import triton
        import triton.language as tl
        SCALE = tl.constexpr(2)
        open({str(marker)!r}, "w").write("module code ran")


        @triton.autotune(configs=[triton.Config({{"BLOCK": 128}})], key=["n"])
        @triton.jit
        def scale(x_ptr, n, BLOCK: tl.constexpr):
            offs = tl.arange(0, BLOCK)
            tl.store(x_ptr + offs, tl.load(x_ptr + offs) * SCALE, mask=offs < n)


        @triton.jit
        def sneaky(x_ptr, n=os.system("true")):
            pass
        """
    )
    ex = kernel_source.extract(code)
    lines, original = ex.text.splitlines(), code.splitlines()
    assert len(lines) == len(original)
    assert ex.kernels == {"scale": 11}
    assert lines[10] == original[10]  # the def, on the candidate's line
    assert lines[9] == f"@{kernel_source.JIT_DECORATOR}"
    assert "autotune" not in ex.text and "open(" not in ex.text and "import os" not in ex.text
    assert "SCALE = tl.constexpr(2)" in ex.text
    assert "not a constant" in str(ex.refused["sneaky"])
    with pytest.raises(ReplayError, match="not a constant"):
        _kernels(code, tmp_path)
    kernels = _kernels(code.replace('n=os.system("true")', "n=4"), tmp_path)
    assert set(kernels) == {"scale", "sneaky"}
    assert not isinstance(kernels["scale"], Autotuner)  # the log carries the config
    assert not marker.exists()


@pytest.mark.parametrize(
    "body, words",
    [
        ("    import os\n", "Import is not Triton"),
        ("    x = np.zeros(4)\n", "np is not a kernel parameter"),
        ("    x = out_ptr.__class__\n", ".__class__ is not part of Triton"),
        ("    x = tl.load(x_ptr).handle\n", ".handle is not part of Triton"),
        ("    x = triton.runtime.driver\n", ".runtime is not part of Triton"),
        ("    x = open('f')\n", "open is not a kernel parameter"),
        # Reached through Triton's own modules: functions and modules defined elsewhere.
        ("    x = tl.core.inspect.stack()\n", "tl.core.inspect reaches outside"),
        ("    x = tl.core.wraps(x_ptr)\n", "tl.core.wraps reaches outside"),
        ("    x = triton.compile(x_ptr)\n", "triton.compile reaches outside"),
        ("    x = '{0.handle.data}'.format(x_ptr)\n", ".format is not part of Triton"),
        # A module held in a local: what is read from it would go unchecked.
        ("    m = tl.core\n    x = m.inspect.stack()\n", "the module tl.core used as a value"),
        ("    m = triton\n    x = m.compile(x_ptr)\n", "the module triton used as a value"),
        # A comprehension's target is the comprehension's: read after it, the name is a global
        # (one Triton's interpreter adds to the module: its np, its inspect).
        ("    [0 for np in ()]\n    x = np.zeros(4)\n", "np is not a kernel parameter"),
        # After a `range` loop the compiled variable is poison (its value lives in the loop's
        # region), Python's the last trip's; a loop's `else` runs in every unrolled trip
        # compiled, once in Python.
        ("    i = 0\n    for i in range(3):\n        pass\n    x = i\n", "read outside its loop"),
        ("    for i in tl.static_range(3):\n        pass\n    else:\n        x = 1\n", "an `else`"),
        ("    while x_ptr is None:\n        pass\n    else:\n        x = 1\n", "an `else`"),
    ],
)
def test_a_kernel_body_that_leaves_triton_is_refused(tmp_path, body, words):
    source = HEAD + "\n\n@triton.jit\ndef k(x_ptr, out_ptr):\n" + body
    with pytest.raises(ReplayError, match=words.replace("(", r"\(").replace(".", r"\.")):
        _kernels(source, tmp_path)


@pytest.mark.parametrize(
    "kernel",
    [
        # A docstring line that starts with "def ": the interpreter starts there.
        "def k(x_ptr, out_ptr):\n    '''\ndef k(x_ptr, out_ptr):\n    np.zeros(4)\n    '''\n",
        # No line starts with "def " (a tab): the interpreter runs the last line alone, at
        # module level, where a name only stored in a dead branch is a global.
        "def\tk(x_ptr, out_ptr):\n    if x_ptr is None:\n        np = 0\n    x = np.zeros(4)\n",
    ],
    ids=["def-in-docstring", "tab-after-def"],
)
def test_a_kernel_the_interpreter_would_read_otherwise_is_refused(tmp_path, monkeypatch, kernel):
    """Triton's interpreter re-reads a kernel's lines and picks where to start by its own rule;
    asked that rule without running it, it must name the very function checked and compiled."""
    monkeypatch.setenv("TRITON_INTERPRET", "1")  # as in a replay on the CPU
    with pytest.raises(ReplayError, match="Triton's interpreter would run its text from line"):
        _kernels(HEAD + "\n\n@triton.jit\n" + kernel, tmp_path)


def test_a_kernel_followed_by_a_comment_and_module_code_is_kept(tmp_path, monkeypatch):
    """The interpreter's text of the kernel ends where the function does (not at the comment
    after it or the module code after that): the very text checked, so it is kept."""
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    kernel = "@triton.jit\ndef k(x_ptr, out_ptr):\n    x = 1\n    # done\n\n\nN = 2\n"
    assert set(_kernels(HEAD + "\n\n" + kernel, tmp_path)) == {"k"}


def test_a_loop_variable_reused_by_loops_of_its_own_is_kept(tmp_path):
    loops = "    for i in range(3):\n        x = i\n    for i in tl.range(2):\n        x = i + 1\n"
    kernel = "@triton.jit\ndef k(x_ptr, out_ptr):\n" + loops
    assert set(_kernels(HEAD + kernel, tmp_path)) == {"k"}


def test_a_comprehension_reads_its_own_target(tmp_path):
    kernel = "@triton.jit\ndef k(x_ptr, out_ptr):\n    ptrs = [p for p in (x_ptr, out_ptr)]\n"
    assert set(_kernels(HEAD + kernel, tmp_path)) == {"k"}


def test_a_def_split_over_lines_is_read_as_checked(tmp_path, monkeypatch):
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    kernel = "@triton.jit\ndef \\\n  k(x_ptr, out_ptr):\n    tl.store(out_ptr, tl.load(x_ptr))\n"
    assert set(_kernels(HEAD + kernel, tmp_path)) == {"k"}


@pytest.mark.parametrize(
    "constant",
    [
        "INSPECT = tl.core.inspect",
        "INSPECT = tl.core.builtins",
        "INSPECT = tl.core.wraps",
        # A module wrapped in a constexpr: read through .value, nothing checked the chain.
        "INSPECT = tl.constexpr(tl)",
    ],
)
def test_a_module_constant_bound_outside_the_language_is_refused(tmp_path, constant):
    # The body names only INSPECT, a kept constant: only what the constant holds can say
    # the body reaches the interpreter's frames (the replay's, where the launch's tensors are).
    source = (
        HEAD
        + constant
        + "\n\n\n@triton.jit\ndef k(x_ptr, out_ptr):\n"
        + "    for info in INSPECT.stack():\n"
        + "        f = INSPECT.getargvalues(info.frame).locals\n"
    )
    with pytest.raises(ReplayError, match="module constant INSPECT is not a value of Triton"):
        _kernels(source, tmp_path)


@pytest.mark.parametrize(
    "imported",
    ["from triton.language.core import inspect", "from triton.language.core import builtins"],
)
def test_an_import_from_a_language_module_of_something_else_is_refused(tmp_path, imported):
    source = HEAD + imported + "\n\n\n@triton.jit\ndef k(x_ptr):\n    pass\n"
    with pytest.raises(ReplayError, match="is not a value of Triton's language"):
        _kernels(source, tmp_path)


def test_language_constants_and_helper_modules_are_kept(tmp_path):
    source = HEAD + textwrap.dedent(
        """
        from triton.language.extra import libdevice
        from torch._inductor.runtime import triton_helpers
        import math
        BLOCK = tl.constexpr(triton.next_power_of_2(100))
        LOG2E = tl.constexpr(1 / math.log(2))
        HALF: tl.constexpr = tl.float16
        exp = tl.exp


        @triton.jit
        def k(x_ptr, out_ptr, n):
            offs = tl.arange(0, BLOCK)
            x = tl.load(x_ptr + offs, mask=offs < n, other=0.0)
            y = triton_helpers.maximum(exp(x * LOG2E), libdevice.exp(x)).to(HALF)
            tl.store(out_ptr + offs, tl.maximum(y, y, propagate_nan=tl.PropagateNan.ALL))
        """
    )
    assert set(_load(tmp_path, source)) == {"k"}


def test_an_annotation_of_a_module_constant_never_runs(tmp_path, capsys):
    # Evaluated, the annotation would run in the replay process; the extraction keeps the
    # constant without it, whatever __future__ flags the extracting code compiles under.
    source = HEAD + 'N: print("annotation ran") = 4\n' + KERNEL
    ex = kernel_source.extract(source)
    assert "N = 4" in ex.text and "annotation" not in ex.text
    assert set(_load(tmp_path, source)) == {"k"}
    assert "annotation ran" not in capsys.readouterr().out


@pytest.mark.parametrize(
    "decorator",
    [
        '@triton.jit(do_not_specialize=[print("decorator ran") or "n"])',
        "@triton.jit(k)",
    ],
)
def test_jit_options_must_be_literal_data(tmp_path, capsys, decorator):
    source = HEAD + KERNEL.replace("@triton.jit", decorator)
    with pytest.raises(ReplayError, match="options are not literal values"):
        _load(tmp_path, source)
    assert "decorator ran" not in capsys.readouterr().out


def test_jit_hooks_are_dropped_unrun(tmp_path, capsys):
    # A profiler's launch_metadata (Triton's tutorial 09) runs in the candidate's process only.
    hook = '@triton.jit(launch_metadata=print("decorator ran"), debug=False)'
    source = HEAD + KERNEL.replace("@triton.jit", hook)
    ex = kernel_source.extract(source)
    assert f"@{kernel_source.JIT_DECORATOR}(debug=False)" in ex.text
    assert set(_load(tmp_path, source)) == {"k"}
    assert "decorator ran" not in capsys.readouterr().out


def test_literal_jit_options_are_kept(tmp_path):
    source = HEAD + KERNEL.replace("@triton.jit", '@triton.jit(do_not_specialize=["n"])')
    ex = kernel_source.extract(source)
    assert f"@{kernel_source.JIT_DECORATOR}(do_not_specialize=['n'])" in ex.text
    assert set(_load(tmp_path, source)) == {"k"}


def test_a_statement_sharing_a_line_with_a_constant_stays_behind(tmp_path):
    source = HEAD + "N = 4; import os; os.system('true')\n" + KERNEL
    ex = kernel_source.extract(source)
    assert ex.text.splitlines()[2] == "N = 4"


GATED = """
GATE = 1.0
{rebinding}


@triton.jit
def k(x_ptr, out_ptr):
    tl.store(out_ptr, tl.load(x_ptr) * GATE)
"""


@pytest.mark.parametrize(
    "rebinding",
    [
        "if torch.cuda.is_available():\n    GATE = 0.0",
        "try:\n    import cupy\nexcept ImportError:\n    GATE = 0.0",
        "def on_gpu():\n    global GATE\n    GATE = 0.0",
        "for GATE in (2.0,):\n    pass",
        "from math import pi as GATE",
        "GATE = 2.0",
        "match 2.0:\n    case GATE:\n        pass",
        "match [2.0]:\n    case [*GATE]:\n        pass",
    ],
)
def test_a_name_a_kernel_reads_is_bound_once(rebinding):
    # The replay and the compile take the top-level binding; the module a GPU runs may take
    # another, under a condition this machine never meets.
    extracted = kernel_source.extract(HEAD + GATED.format(rebinding=rebinding))
    assert "k" not in extracted.kernels
    assert "GATE, which it reads, is bound or changed more than once" in str(extracted.refused["k"])
    # A name the kernel does not read may be rebound freely.
    other = GATED.format(rebinding=rebinding.replace("GATE", "OTHER"))
    assert "k" in kernel_source.extract(HEAD + other).kernels


def test_a_star_import_may_bind_any_name_a_kernel_reads():
    extracted = kernel_source.extract(HEAD + GATED.format(rebinding="from os.path import *"))
    assert "is bound or changed more than once" in str(extracted.refused["k"])


def test_an_extraction_travels_as_json_unchanged():
    """The pool extracts once and sends the extraction to the replay and the compile: what
    arrives is what was extracted, refusals and their lines included."""
    source = HEAD + "\n\n@triton.jit\ndef ok(x_ptr):\n    pass\n\n\n@triton.jit\ndef bad(x_ptr):\n"
    source += "    np.zeros(4)\n"
    extracted = kernel_source.extract(source)
    assert extracted.refused and extracted.kernels  # both kinds travel
    travelled = kernel_source.Extracted.load(json.loads(json.dumps(extracted.dump())))
    assert travelled == extracted
    assert kernel_source.extracted(source) == extracted


def test_a_constant_changed_through_what_it_holds_counts_as_a_second_binding():
    # A store into what the name holds, anywhere the name is the module's: at import, in a
    # method (no local of that name), through setattr; a local of the same name is not it.
    for change in (
        "LIMIT.value = 6.0",
        "def f():\n    LIMIT.value = 6.0",
        "def f(s):\n    setattr(LIMIT, 'value', s)",
        "SCALE.value[0] = 0.0",
    ):
        code = KERNEL_READING_CONSTANTS + change + "\n"
        refused = kernel_source.extract(code).refused
        assert "changed more than once" in str(refused.get("k")), change
    local = "def f():\n    LIMIT = object()\n    LIMIT.value = 6.0\n"
    assert not kernel_source.extract(KERNEL_READING_CONSTANTS + local).refused


KERNEL_READING_CONSTANTS = """import triton
import triton.language as tl

LIMIT = tl.constexpr(1e30)
SCALE = tl.constexpr([1.0])


@triton.jit
def k(x_ptr):
    x = tl.load(x_ptr)
    tl.store(x_ptr, tl.minimum(x, LIMIT) * SCALE[0])


"""
