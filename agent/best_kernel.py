"""``best_kernel.py``: the run's best correct candidate as a standalone file. It imports only
torch and triton (kwlib helpers are inlined), and run as a script it checks itself against
the problem's PyTorch reference, which it carries as text."""

from __future__ import annotations

import ast
import textwrap

from kernelwright.agent.budget import speedup
from kernelwright.problem import ProblemInfo
from kernelwright.prompts.kwlib import InlineError, inline_helpers
from kernelwright.runlog import AttemptRecord

SELF_CHECK = '''

def _kernelwright_self_check():
    """Compare ModelNew with the reference on one set of random inputs."""
    import sys

    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    # On the CPU the interpreter is slow: the reference takes the sizes the run checked.
    Model, get_inputs, get_init_inputs = _kernelwright_reference(cpu=device == "cpu")
    torch.manual_seed(0)
    init = get_init_inputs()
    with torch.device(device):
        inputs = get_inputs()
    inputs = [x.to(device) if isinstance(x, torch.Tensor) else x for x in inputs]
    torch.manual_seed(0)
    model = Model(*init).to(device).train(_TRAIN)
    torch.manual_seed(0)
    candidate = ModelNew(*init).to(device).train(_TRAIN)
    with torch.no_grad():
        expected = model(*[x.clone() if isinstance(x, torch.Tensor) else x for x in inputs])
        actual = candidate(*inputs)
    pairs = list(zip(expected, actual)) if isinstance(expected, (tuple, list)) else [(expected, actual)]
    ok = True
    for i, (e, a) in enumerate(pairs):
        err = (a.float() - e.float()).abs().max().item() if a.shape == e.shape else float("inf")
        close = a.shape == e.shape and torch.allclose(a.float(), e.float(), atol=_ATOL, rtol=_RTOL)
        print(f"output {i}: shape {tuple(a.shape)}, max abs error {err:.3g}, "
              f"{'ok' if close else 'MISMATCH'} (atol {_ATOL}, rtol {_RTOL}) on {device}")
        ok = ok and close
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    _kernelwright_self_check()
'''


def reference_function(problem: ProblemInfo) -> str:
    """The problem's source as the body of a function returning its Model, get_inputs and
    get_init_inputs: carried as code, not as text to exec (which `check` rejects as dynamic
    code), and in a scope of its own, so its names never meet the kernel's. With ``cpu`` the
    function rebinds the sizes of the ``small`` shape set (and what derives from them)
    before returning; its functions read them when called."""
    tree = ast.parse(problem.source)
    # `from __future__` is only legal at the top of a module.
    future = {
        n.lineno for n in tree.body if isinstance(n, ast.ImportFrom) and n.module == "__future__"
    }
    lines = [line for i, line in enumerate(problem.source.splitlines(), 1) if i not in future]
    body = textwrap.indent("\n".join(lines).strip("\n"), "    ")
    small = problem.meta.shapes.get("small", {})
    rebind = [f"        {k} = {v!r}" for k, v in small.items()]
    rebind += [f"        {k} = {expr}" for k, expr in problem.derived.items() if small]
    return (
        "\n\n# The problem this kernel solves (the reference it was checked against).\n"
        "def _kernelwright_reference(cpu):\n"
        f"{body}\n\n"
        "    if cpu:\n"
        + ("\n".join(rebind) if rebind else "        pass")
        + "\n    return Model, get_inputs, get_init_inputs\n"
    )


def render_best_kernel(record: AttemptRecord, problem: ProblemInfo, shape: str) -> str:
    s = speedup(record)
    speed = f", {s:.2f}x eager PyTorch" if s is not None else ", not timed (CPU interpreter)"
    source = "a replay of recorded answers" if record.replay else "the model"
    dtype = problem.meta.dtype or "float32"
    tol = problem.tolerance(dtype)
    shapes = ", ".join(record.outcome.env.get("shapes") or [shape])
    header = (
        f'"""Best kernel of kernelwright run {record.run_id} for problem {problem.name!r}.\n\n'
        f"Attempt {record.attempt_id} (turn {record.turn + 1}, sample {record.sample + 1}) by "
        f"{record.model}, {source}:\n{record.outcome.status.value} at shape {shapes}{speed}.\n\n"
        "Standalone: imports only torch and triton. `python best_kernel.py` checks it against\n"
        "the PyTorch reference carried below; without a GPU run it with TRITON_INTERPRET=1.\n"
        "`kernelwright check` accepts it as it is.\n"
        '"""\n\n'
    )
    try:
        # Candidates may import the kwlib helpers; the file carries their source instead.
        code = inline_helpers(record.code or "")
    except InlineError as e:
        code = f"# kwlib helpers could not be inlined ({e}): this file needs kernelwright.\n"
        code += record.code or ""
    tail = f"\n_ATOL, _RTOL = {tol.atol!r}, {tol.rtol!r}\n_TRAIN = {problem.mode == 'train'!r}\n"
    return header + code.rstrip() + "\n" + reference_function(problem) + tail + SELF_CHECK
