"""The source check names tricks early; what it lets through must be ordinary kernel code."""

from __future__ import annotations

import ast

import pytest

from kernelwright.sandbox.guards import static_violations

TRICKS = {
    "import sys\nf = sys.exc_info()[2].tb_frame": "traceback",
    "g = (x for x in []).gi_frame": "generator",
    "import sys\nsys.settrace(None)": "tracing the interpreter",
    "import sys\nm = sys.modules['kernelwright.sandbox.guards']": "sys.modules",
    "from sys import modules": "sys.modules",
    "import torch\nfast = torch.compile(lambda x: x)": "compilers",
    "from torch import compile": "compilers",
    "import torch._dynamo": "compilers",
    "from torch._inductor import config": "compilers",
    "def f(): pass\nc = f.__closure__": "other functions' state",
    "s = object.__subclasses__()": "__subclasses__",
    "from kernelwright.sandbox import guards": "kernelwright",
    "import torch\nwith torch._C._DisableTorchDispatch(): pass": "trace of torch ops",
    "from torch.utils._python_dispatch import _disable_current_modes": "trace of torch ops",
    "import torch\nop = torch.ops.aten.relu.default\nop.redispatch": "trace of torch ops",
    "import numpy as np\na = np.from_dlpack(x)": "outside the dispatcher",
    "a = x.__dlpack__()": "outside the dispatcher",
}

ORDINARY = [
    "from kernelwright.prompts.kwlib import load_tile",
    "from kernelwright.prompts import kwlib",
    "from torch._inductor.runtime import triton_helpers",
    "from torch._inductor.runtime.triton_helpers import libdevice, math as tl_math",
    "import torch.nn as nn\nn = len(list(nn.Linear(2, 2).modules()))",
    "'''Walks f_back? No: a docstring that mentions f_back is prose.'''",
    "import torch\nx = torch.compiler if False else None",
    '"""Dispatch each row to one program."""',
    # Strings are data: names built at run time are the replay's to refuse, not the source's.
    'mode = "dispatch"',
    "attr = 'f_back'",
    "class M:\n    def f(self):\n        return self.dispatch_table",
]


@pytest.mark.parametrize("code,words", TRICKS.items(), ids=list(TRICKS.values()))
def test_trick_is_named_by_the_source_check(code, words):
    violations = static_violations(ast.parse(code))
    assert violations, code
    assert any(words in str(v) for v in violations), [str(v) for v in violations]


@pytest.mark.parametrize("code", ORDINARY)
def test_ordinary_code_passes_the_source_check(code):
    assert static_violations(ast.parse(code)) == []
