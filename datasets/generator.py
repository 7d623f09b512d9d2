"""A generator of fusion problems: random valid chains of ops, deterministic by seed.

Each problem is a KernelBench-convention file (``Model``, ``get_inputs``,
``get_init_inputs``, module-level sizes) with ``KERNELWRIGHT`` metadata: level 2, tags,
dtype, a ``small`` shape set for the CPU interpreter and a ``bench`` one for GPU timing, and
flops/bytes formulas over the size constants. A chain starts from a 2-D or 3-D input and
applies 3 to 6 ops (elementwise, activations, reductions, norms, matmuls), tracking the shape
symbolically so every op is valid where it is applied. Every problem is then loaded with
``kernelwright.problem`` and run at its small shape: its output must be finite, neither
all zeros nor a constant may pass the checker's comparison with it (``sandbox.verify``), it
must change with the inputs, and its bench shapes must be consistent (a run on the meta
device). A chain that fails is replaced by the next draw.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from kernelwright.problem import ProblemError, load_problem
from kernelwright.sandbox.verify import degenerate_reason

# Flops per output element of the elementwise ops (a rough cost model for the roofline).
ACTIVATIONS = {
    "relu": ("torch.relu(x)", 1),
    "gelu": ("F.gelu(x)", 8),
    "gelu_tanh": ('F.gelu(x, approximate="tanh")', 8),
    "silu": ("F.silu(x)", 4),
    "sigmoid": ("torch.sigmoid(x)", 4),
    "tanh": ("torch.tanh(x)", 4),
    "elu": ("F.elu(x)", 4),
    "selu": ("F.selu(x)", 4),
    "softplus": ("F.softplus(x)", 4),
    "mish": ("F.mish(x)", 8),
    "hardswish": ("F.hardswish(x)", 4),
    "hardtanh": ("F.hardtanh(x)", 2),
}
REDUCTIONS = {"sum": 1, "mean": 1, "amax": 1, "amin": 1, "logsumexp": 3}
NORMS = ("layer_norm", "rms_norm", "softmax", "log_softmax", "l2_normalize", "center")
NORM_FLOPS = {
    "layer_norm": 8,
    "rms_norm": 5,
    "softmax": 5,
    "log_softmax": 5,
    "l2_normalize": 4,
    "center": 2,
}
DTYPE_BYTES = 4  # float32

# Feature sizes: bench (GPU timing) and small (CPU interpreter, odd sizes exercise masks).
BENCH_FEATURES = (1024, 2048, 3072, 4096)
SMALL_FEATURES = (24, 32, 40, 48, 64)


class GenerateError(Exception):
    """Bad generator arguments; the message says which."""


@dataclass
class Const:
    name: str
    bench: int
    small: int


@dataclass
class Chain:
    """A problem being built: its sizes, parameters, inputs and forward, as source lines."""

    consts: list[Const]
    shape: list[str]  # dims as constant names; "1" for a kept reduced dim
    inputs: list[tuple[str, list[str], str]] = field(default_factory=list)  # name, shape, init
    init_args: list[str] = field(default_factory=list)
    init_lines: list[str] = field(default_factory=list)
    forward: list[str] = field(default_factory=list)
    flops: list[str] = field(default_factory=list)
    param_numels: list[str] = field(default_factory=list)
    tags: set[str] = field(default_factory=set)
    steps: list[str] = field(default_factory=list)
    has_matmul: bool = False

    def const(self, prefix: str, rng: random.Random) -> str:
        n = sum(c.name.startswith(prefix) for c in self.consts) + 1
        c = Const(f"{prefix}{n}", rng.choice(BENCH_FEATURES), rng.choice(SMALL_FEATURES))
        self.consts.append(c)
        return c.name

    def numel(self, shape: list[str] | None = None) -> str:
        dims = [d for d in (self.shape if shape is None else shape) if d != "1"]
        return "*".join(dims) or "1"

    @property
    def last(self) -> str:
        return self.shape[-1]

    def arg(self, const: str) -> str:
        name = const.lower()
        if name not in self.init_args:
            self.init_args.append(name)
        return name


def _new_input(chain: Chain, shape: list[str], init: str = "torch.randn({dims})") -> str:
    name = f"y{len(chain.inputs)}"
    chain.inputs.append((name, shape, init.format(dims=", ".join(shape))))
    return name


def _activation(chain: Chain, rng: random.Random, i: int) -> None:
    name = rng.choice(sorted(ACTIVATIONS))
    expr, cost = ACTIVATIONS[name]
    if name == "hardtanh":
        lo = rng.choice((0.5, 1.0, 2.0))
        expr = f"F.hardtanh(x, min_val={-lo}, max_val={lo})"
    chain.forward.append(f"x = {expr}")
    chain.flops.append(f"{cost}*{chain.numel()}")
    chain.tags.add("activation")
    chain.steps.append(name)


def _scalar(chain: Chain, rng: random.Random, i: int) -> None:
    kind = rng.choice(("scale", "shift", "clamp", "square"))
    if kind == "scale":
        c = rng.choice((0.5, 1.5, 2.0, -1.25, 3.0))
        chain.forward.append(f"x = x * {c}")
    elif kind == "shift":
        c = rng.choice((0.1, -0.5, 1.0, 0.25))
        chain.forward.append(f"x = x + {c}")
    elif kind == "clamp":
        lo, hi = rng.choice(((-1.0, 1.0), (-0.5, 2.0), (-2.0, 0.5)))
        chain.forward.append(f"x = torch.clamp(x, min={lo}, max={hi})")
    else:
        chain.forward.append("x = x * x")
    chain.flops.append(chain.numel())
    chain.tags.add("elementwise")
    chain.steps.append(kind)


def _binary(chain: Chain, rng: random.Random, i: int) -> None:
    op = rng.choice(("add", "mul", "sub", "maximum"))
    source = rng.choice(("vector", "full", "param"))
    if source == "param":
        pname = f"weight{i}"
        chain.init_lines.append(
            f"self.{pname} = nn.Parameter(torch.randn({chain.arg(chain.last)}) * 0.5 + 1.0)"
        )
        chain.param_numels.append(chain.last)
        other = f"self.{pname}"
    else:
        shape = [chain.last] if source == "vector" else list(chain.shape)
        other = _new_input(chain, shape)
    expr = {
        "add": f"x + {other}",
        "mul": f"x * {other}",
        "sub": f"x - {other}",
        "maximum": f"torch.maximum(x, {other})",
    }[op]
    chain.forward.append(f"x = {expr}")
    chain.flops.append(chain.numel())
    chain.tags.add("elementwise")
    chain.tags.add("broadcast" if source != "full" else "binary")
    chain.steps.append(f"{op}_{source}")


def _reduction(chain: Chain, rng: random.Random, i: int) -> None:
    dims = [d for d, s in enumerate(chain.shape) if s != "1"]
    # Reduce the last dim, or the middle one of a 3-D tensor; never the batch dim.
    choices = [d for d in dims if d > 0]
    dim = rng.choice(choices)
    keep = rng.random() < 0.5 or len(chain.shape) == 1
    name = rng.choice(sorted(REDUCTIONS))
    before = chain.numel()
    kwargs = f"dim={dim}, keepdim={keep}"
    call = f"torch.logsumexp(x, {kwargs})" if name == "logsumexp" else f"x.{name}({kwargs})"
    chain.forward.append(f"x = {call}")
    chain.flops.append(f"{REDUCTIONS[name]}*{before}")
    if keep:
        chain.shape[dim] = "1"
    else:
        del chain.shape[dim]
    chain.tags.add("reduction")
    chain.steps.append(f"{name}{dim}")


def _norm(chain: Chain, rng: random.Random, i: int) -> None:
    name = rng.choice(NORMS)
    last = chain.last
    if name == "layer_norm":
        chain.init_lines.append(f"self.norm{i} = nn.LayerNorm({chain.arg(last)})")
        chain.forward.append(f"x = self.norm{i}(x)")
        chain.param_numels.append(f"2*{last}")
    elif name == "rms_norm":
        chain.init_lines.append(
            f"self.rms_weight{i} = nn.Parameter(torch.randn({chain.arg(last)}) * 0.1 + 1.0)"
        )
        chain.forward.append(
            f"x = x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + 1e-6) * self.rms_weight{i}"
        )
        chain.param_numels.append(last)
    elif name == "softmax":
        chain.forward.append("x = torch.softmax(x, dim=-1)")
    elif name == "log_softmax":
        chain.forward.append("x = torch.log_softmax(x, dim=-1)")
    elif name == "l2_normalize":
        chain.forward.append("x = F.normalize(x, p=2.0, dim=-1)")
    else:
        chain.forward.append("x = x - x.mean(dim=-1, keepdim=True)")
    chain.flops.append(f"{NORM_FLOPS[name]}*{chain.numel()}")
    chain.tags.add("norm")
    chain.steps.append(name)


def _matmul(chain: Chain, rng: random.Random, i: int) -> None:
    k = chain.last
    n = chain.const("H", rng)
    rows = chain.numel(chain.shape[:-1])
    if rng.random() < 0.6:
        bias = rng.random() < 0.7
        chain.init_lines.append(
            f"self.linear{i} = nn.Linear({chain.arg(k)}, {chain.arg(n)}, bias={bias})"
        )
        chain.forward.append(f"x = self.linear{i}(x)")
        chain.param_numels.append(f"{k}*{n}" + (f" + {n}" if bias else ""))
        chain.steps.append("linear")
    else:
        # Scaled so activations keep unit variance through the product.
        w = _new_input(chain, [k, n], "torch.randn({dims}) / " + k + " ** 0.5")
        chain.forward.append(f"x = torch.matmul(x, {w})")
        chain.steps.append("matmul")
    chain.flops.append(f"2*{rows}*{k}*{n}")
    chain.shape[-1] = n
    chain.tags.add("matmul")
    chain.has_matmul = True


OPS = {
    "activation": _activation,
    "scalar": _scalar,
    "binary": _binary,
    "reduction": _reduction,
    "norm": _norm,
    "matmul": _matmul,
}
WEIGHTS = {"activation": 4, "scalar": 2, "binary": 2, "reduction": 1, "norm": 2, "matmul": 2}


def _valid(kind: str, chain: Chain, step: int) -> bool:
    if chain.last == "1":
        return kind in ("activation", "scalar", "binary") and len(chain.steps) > 0
    if kind == "matmul":
        return sum(s in ("linear", "matmul") for s in chain.steps) < 2
    if kind == "reduction":
        # Reduce late, and keep something to fuse: not two reductions in a row.
        return step > 0 and not (chain.steps and chain.steps[-1][:-1] in REDUCTIONS)
    return True


def draw_chain(rng: random.Random) -> Chain:
    rank = rng.choice((2, 3))
    if rank == 2:
        consts = [Const("BATCH", rng.choice((512, 1024, 2048)), rng.choice((4, 8, 12)))]
    else:
        consts = [
            Const("BATCH", rng.choice((8, 16, 32)), rng.choice((2, 3))),
            Const("SEQ", rng.choice((256, 512)), rng.choice((8, 12))),
        ]
    consts.append(Const("DIM", rng.choice(BENCH_FEATURES), rng.choice(SMALL_FEATURES)))
    chain = Chain(consts=consts, shape=[c.name for c in consts])
    length = rng.randint(3, 6)
    kinds = list(WEIGHTS)
    for step in range(length):
        options = [k for k in kinds if _valid(k, chain, step)]
        kind = rng.choices(options, weights=[WEIGHTS[k] for k in options])[0]
        OPS[kind](chain, rng, step)
    return chain


def _signature(chain: Chain) -> str:
    return f"{len(chain.consts)}:" + "/".join(chain.forward)


def render(chain: Chain, name: str, seed: int, index: int) -> str:
    dims = [c.name for c in chain.consts]
    inputs = [("x", [d for d in dims if not d.startswith("H")], None), *chain.inputs]
    input_numels = [chain.numel(shape) for _, shape, _ in inputs]
    bytes_terms = [*input_numels, *chain.param_numels, chain.numel()]
    tags = sorted(chain.tags | {"generated", "fusion"})
    description = " -> ".join(chain.steps)
    meta_lines = [
        "KERNELWRIGHT = {",
        f'    "name": "{name}",',
        '    "level": 2,',
        f'    "tags": [{", ".join(repr(t) for t in tags)}],'.replace("'", '"'),
        '    "dtype": "float32",',
    ]
    if chain.has_matmul:
        # tl.dot and cuBLAS may use TF32 for fp32 products: compare matmul chains loosely.
        meta_lines.append('    "tolerances": {"float32": {"atol": 1e-2, "rtol": 1e-2}},')
    meta_lines += [
        '    "shapes": {',
        '        "small": {' + ", ".join(f'"{c.name}": {c.small}' for c in chain.consts) + "},",
        '        "bench": {' + ", ".join(f'"{c.name}": {c.bench}' for c in chain.consts) + "},",
        "    },",
        f'    "flops": "{" + ".join(chain.flops)}",',
        f'    "bytes": "{DTYPE_BYTES}*({" + ".join(bytes_terms)})",',
        f'    "description": "{description}",',
        "}",
    ]
    init_sig = ", ".join(["self", *chain.init_args])
    init_body = ["super().__init__()", *chain.init_lines]
    fwd_sig = ", ".join(["self", *(n for n, _, _ in inputs)])
    lines = [
        f'"""Generated fusion problem (seed {seed}, #{index}): {description}."""',
        "",
        "import torch",
        "import torch.nn as nn",
        "import torch.nn.functional as F",
        "",
        *(f"{c.name} = {c.bench}" for c in chain.consts),
        "",
        *meta_lines,
        "",
        "",
        "class Model(nn.Module):",
        f"    def __init__({init_sig}):",
        *(f"        {line}" for line in init_body),
        "",
        f"    def forward({fwd_sig}):",
        *(f"        {line}" for line in chain.forward),
        "        return x",
        "",
        "",
        "def get_inputs():",
        "    return ["
        + ", ".join(
            [f"torch.randn({', '.join(inputs[0][1])})", *(init for _, _, init in chain.inputs)]
        )
        + "]",
        "",
        "",
        "def get_init_inputs():",
        f"    return [{', '.join(a.upper() for a in chain.init_args)}]",
        "",
    ]
    return "\n".join(lines)


def check_problem(path: Path) -> str | None:
    """Why a generated problem is unusable, or None: it must load, run at its small shape with
    a finite, non-trivial, input-dependent output, and run at its bench shape on meta."""
    import torch

    try:
        pm = load_problem(path, "small")
        model = pm.build(pm.module.Model, seed=0)
        with torch.no_grad():
            out = model(*pm.inputs(seed=0).args)
            other = model(*pm.inputs(seed=1).args)
        bench = load_problem(path, "bench")
        with torch.device("meta"):
            meta_model = bench.module.Model(*bench.init_inputs())
        with torch.no_grad():
            meta_model(*bench.inputs(seed=0, device="meta").args)
    except (ProblemError, RuntimeError, ValueError, TypeError) as e:
        return f"does not run: {str(e).splitlines()[0]}"
    if not isinstance(out, torch.Tensor):
        return "output is not a tensor"
    if not torch.isfinite(out).all():
        return "output has NaN or Inf"
    tol = pm.info.tolerance("float32")
    # The checker's own test: would all zeros, or a constant, pass its comparison?
    reason = degenerate_reason(out, tol.atol, tol.rtol)
    if reason:
        return reason
    if torch.allclose(out, other, atol=tol.atol, rtol=tol.rtol):
        return "output does not depend on the inputs"
    return None


def _slug(steps: list[str]) -> str:
    return re.sub(r"[^a-z0-9_]", "", "_".join(steps).lower())[:48].rstrip("_")


def generate(count: int, seed: int, out: Path, max_draws_per_problem: int = 50) -> list[Path]:
    """Write ``count`` distinct, checked problems to ``out``; the same seed, the same files."""
    if count < 1:
        raise GenerateError(f"--count must be at least 1, not {count}")
    if out.exists() and not out.is_dir():
        raise GenerateError(f"{out}: exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    paths: list[Path] = []
    for index in range(count):
        for draw in range(max_draws_per_problem):
            rng = random.Random(f"kw-gen/{seed}/{index}/{draw}")
            chain = draw_chain(rng)
            sig = _signature(chain)
            if sig in seen:
                continue
            name = f"gen{seed}_{index:04d}_{_slug(chain.steps)}"
            path = out / f"{name}.py"
            path.write_text(render(chain, name, seed, index), encoding="utf-8")
            if check_problem(path) is None:
                seen.add(sig)
                paths.append(path)
                break
            path.unlink()
        else:
            raise GenerateError(
                f"no valid problem for #{index} after {max_draws_per_problem} draws (seed {seed})"
            )
    return paths
