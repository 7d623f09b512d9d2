"""Problems: PyTorch reference ops in the KernelBench convention, plus optional metadata.

A problem file defines ``class Model(nn.Module)``, ``get_inputs()``,
``get_init_inputs()`` and module-level size constants. An optional module-level
``KERNELWRIGHT = {...}`` dict adds metadata (see ``ProblemMeta``). A shape set
is a dict of overrides of the module constants; it is applied by rebinding the
module's globals, which the KernelBench functions read at call time.

Two halves: ``read_problem`` parses a file without running it (for listings and
hashes); ``ProblemModule`` executes it (only ever inside a sandbox worker or for
trusted reference runs).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import math
import random
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from kernelwright import pyast
from kernelwright.regimes import Regime

# Tolerances per dtype: fp32 leaves room for reordered reductions, fp16/bf16 for
# their 10/7-bit mantissas. A problem can override them in its metadata.
DEFAULT_TOLERANCES: dict[str, dict[str, float]] = {
    "float32": {"atol": 1e-3, "rtol": 1e-3},
    "float16": {"atol": 1e-2, "rtol": 1e-2},
    "bfloat16": {"atol": 3e-2, "rtol": 3e-2},
    "float64": {"atol": 1e-6, "rtol": 1e-6},
}

# A `small` shape set made by scaling must keep every input tensor at or below
# this many elements: the CPU interpreter runs a program at a time.
SMALL_NUMEL_BUDGET = 1 << 14
# ...and the model's parameters and buffers at or below this many: a KernelBench layer list of
# 16384-wide Linears is gigabytes at any batch size.
SMALL_STATE_BUDGET = 1 << 22
# Constants below this are left alone when scaling (kernel sizes, dim indices, heads); so are
# floats (eps, scales, dropout) and constants computed from others, which follow their sources.
SCALE_MIN = 16


class ProblemError(Exception):
    """A problem file that cannot be used; the message says why, for a person."""


class Tolerance(BaseModel):
    atol: float
    rtol: float


class SizeDomain(BaseModel):
    """What one size constant may be, declared where inferring it from the shape sets is not
    enough: ``{"head_dim": {"pow2": True, "min": 32}, "batch": {"fixed": True}}``."""

    model_config = ConfigDict(extra="forbid")

    multiple_of: int = Field(1, ge=1)
    min: int = Field(1, ge=1)
    # The largest value the problem could really have (a model's widest row, its longest
    # sequence): the held-out draw stretches up to it. Default: see SizeGroup.top.
    max: int | None = Field(None, ge=1)
    pow2: bool = False
    # Never drawn: it keeps the value of the shape set the draw starts from.
    fixed: bool = False
    # The size the held-out draw stretches, where the one inference picks (the last axis of the
    # largest tensor) is not the one the problem's kernels branch on.
    stretch: bool = False

    @model_validator(mode="after")
    def _max_above_min(self) -> SizeDomain:
        if self.max is not None and self.max < self.min:
            raise ValueError(f"max {self.max} is below min {self.min}")
        return self


class ProblemMeta(BaseModel):
    """The optional ``KERNELWRIGHT`` dict of a problem file."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    level: int | None = None
    tags: list[str] = Field(default_factory=list)
    dtype: str | None = None
    tolerances: dict[str, Tolerance] = Field(default_factory=dict)
    shapes: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # Arithmetic over the module constants, e.g. "2*M*N*K", or an int.
    flops: str | int | None = None
    bytes: str | int | None = None
    description: str | None = None
    # The nn.Module mode both models run in (see ProblemInfo.mode).
    mode: Literal["train", "eval"] | None = None
    # Stress regimes changed, added or skipped (with a reason); see kernelwright.regimes.
    regimes: dict[str, Regime] = Field(default_factory=dict)
    # The shape domain of some size constants, declared instead of inferred (shape_domain).
    domain: dict[str, SizeDomain] = Field(default_factory=dict)

    @field_validator("dtype")
    @classmethod
    def _known_dtype(cls, v: str | None) -> str | None:
        if v is not None and v not in DEFAULT_TOLERANCES:
            raise ValueError(f"dtype must be one of {sorted(DEFAULT_TOLERANCES)}, not {v!r}")
        return v


@dataclass
class ProblemInfo:
    """What can be known about a problem file without running it."""

    path: Path
    source: str
    name: str
    meta: ProblemMeta
    constants: dict[str, Any]
    sha256: str
    # Constants computed from earlier ones (``bias_shape = (out_channels, 1, 1)``), as source:
    # a shape set re-evaluates them from the overridden values instead of scaling them.
    derived: dict[str, str] = field(default_factory=dict)
    has_metadata: bool = False  # the file has a KERNELWRIGHT dict

    @property
    def mode(self) -> str:
        """ "train" or "eval": the convention of the file's origin unless its metadata names
        one. A file without a KERNELWRIGHT dict is a KernelBench file, whose harness never
        calls .eval(): its references run in training mode (BatchNorm on batch statistics,
        Dropout live); kernelwright's own problems are written for eval mode."""
        if self.meta.mode is not None:
            return self.meta.mode
        return "eval" if self.has_metadata else "train"

    @property
    def level(self) -> int | None:
        return self.meta.level

    @property
    def shape_names(self) -> list[str]:
        names = list(self.meta.shapes)
        if "small" not in names:
            names.insert(0, "small")  # made by scaling when not declared
        return names

    def tolerance(self, dtype: str) -> Tolerance:
        if dtype in self.meta.tolerances:
            return self.meta.tolerances[dtype]
        return Tolerance(**DEFAULT_TOLERANCES.get(dtype, DEFAULT_TOLERANCES["float32"]))


_SAFE_NODES = (
    ast.Expression,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.Dict,
    ast.List,
    ast.Tuple,
    ast.BinOp,
    ast.UnaryOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Pow,
    ast.Mod,
    ast.USub,
    ast.UAdd,
    ast.LShift,
    ast.RShift,
)


def _literal(node: ast.AST, names: dict[str, Any] | None = None) -> Any:
    """A literal, or arithmetic over literals and earlier constants (``1 << 20``, ``2 * M``)."""
    for sub in ast.walk(node):
        if not isinstance(sub, _SAFE_NODES):
            raise ValueError(f"not a literal: {type(sub).__name__}")
        if isinstance(sub, ast.Name) and sub.id not in (names or {}):
            raise ValueError(f"unknown name {sub.id}")
    expr = ast.Expression(body=node)
    return eval(
        pyast.compile_tree(expr, "<literal>", "eval"), {"__builtins__": {}}, dict(names or {})
    )


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_size(v: Any) -> bool:
    """A number, or a flat tuple/list of numbers (``input_shape = (32768,)``)."""
    if isinstance(v, (tuple, list)):
        return len(v) > 0 and all(map(_is_number, v))
    return _is_number(v)


def _assignments(node: ast.stmt) -> list[tuple[str, ast.expr]]:
    """Names a module-level statement binds to an expression: ``a = b = 1``, ``h, w = 32, 64``."""
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
        return [(node.target.id, node.value)]
    if not isinstance(node, ast.Assign):
        return []
    out: list[tuple[str, ast.expr]] = []
    for target in node.targets:
        if isinstance(target, ast.Name):
            out.append((target.id, node.value))
        elif (
            isinstance(target, (ast.Tuple, ast.List))
            and isinstance(node.value, (ast.Tuple, ast.List))
            and len(target.elts) == len(node.value.elts)
            and all(isinstance(t, ast.Name) for t in target.elts)
        ):
            out.extend((t.id, v) for t, v in zip(target.elts, node.value.elts, strict=True))
    return out


def read_problem(path: str | Path, source: str | None = None) -> ProblemInfo:
    """Parse a problem file: metadata, size constants and hash, without executing it.

    ``source`` is the file's text when it was read elsewhere (a sandbox worker cannot see
    the caller's files); ``path`` then only names it.
    """
    path = Path(path)
    if source is None:
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise ProblemError(f"{path}: cannot read problem file ({e})") from None
    try:
        tree = pyast.parse(source, filename=str(path))
    except SyntaxError as e:
        raise ProblemError(f"{path}:{e.lineno}: syntax error in problem file: {e.msg}") from None
    names = {n.name for n in tree.body if isinstance(n, (ast.ClassDef, ast.FunctionDef))}
    missing = [n for n in ("Model", "get_inputs", "get_init_inputs") if n not in names]
    if missing:
        raise ProblemError(
            f"{path}: not a problem file: it must define class Model, get_inputs() and "
            f"get_init_inputs(); missing {', '.join(missing)}"
        )
    constants: dict[str, Any] = {}
    derived: dict[str, str] = {}
    raw_meta: dict[str, Any] = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == "KERNELWRIGHT"
        ):
            try:
                raw_meta = _literal(node.value, constants)
            except (ValueError, SyntaxError, ArithmeticError, TypeError):
                raise ProblemError(
                    f"{path}:{node.lineno}: KERNELWRIGHT must be a literal dict "
                    "(strings, numbers, lists, dicts only)"
                ) from None
            continue
        for name, value_node in _assignments(node):
            derived.pop(name, None)
            try:
                value = _literal(value_node, constants)
            except (ValueError, SyntaxError, ArithmeticError, TypeError):
                constants.pop(name, None)  # rebound to something that is not a size
                continue
            if not _is_size(value):
                constants.pop(name, None)
                continue
            constants[name] = value
            if any(isinstance(n, ast.Name) for n in ast.walk(value_node)):
                derived[name] = ast.unparse(value_node)
    try:
        meta = ProblemMeta.model_validate(raw_meta)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ProblemError(
            f"{path}: bad KERNELWRIGHT metadata at {where}: {first['msg']}"
        ) from None
    for shape, overrides in meta.shapes.items():
        unknown = sorted(set(overrides) - set(constants))
        if unknown:
            raise ProblemError(
                f"{path}: shape set {shape!r} overrides {', '.join(unknown)}, which are not "
                "module-level constants of the problem"
            )
    unknown = sorted(set(meta.domain) - set(constants))
    if unknown:
        raise ProblemError(
            f"{path}: KERNELWRIGHT domain names {', '.join(unknown)}, which are not module-level "
            "size constants of the problem"
        )
    for key in ("flops", "bytes"):
        try:
            eval_formula(getattr(meta, key), constants)
        except ProblemError as e:
            raise ProblemError(f"{path}: KERNELWRIGHT {key}: {e}") from None
    return ProblemInfo(
        path=path,
        source=source,
        name=meta.name or path.stem,
        meta=meta,
        constants=constants,
        sha256=hashlib.sha256(source.encode()).hexdigest(),
        derived=derived,
        has_metadata=bool(raw_meta),
    )


def eval_formula(formula: str | int | None, constants: dict[str, Any]) -> int | None:
    """Evaluate a flops/bytes formula (arithmetic over module constants)."""
    if formula is None or isinstance(formula, int):
        return formula
    try:
        value = _literal(pyast.parse(formula, mode="eval").body, constants)
    except (ValueError, SyntaxError, ArithmeticError, TypeError) as e:
        raise ProblemError(f"formula {formula!r}: only arithmetic over constants ({e})") from None
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise ProblemError(f"formula {formula!r} is not a number")
    return int(value)


@dataclass
class Inputs:
    """One trial's inputs: positional arguments of forward, tensors or plain values."""

    args: list[Any]
    seed: int


@dataclass
class ProblemModule:
    """A problem file executed, with one shape set applied."""

    info: ProblemInfo
    module: types.ModuleType
    shape: str
    overrides: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # Why these sizes: declared by the problem, drawn for the CPU budget, held out...
    why: str = "the module's own constants"
    # Why these sizes exceed the CPU interpreter's budget, when they do.
    over_budget: str | None = None

    @property
    def constants(self) -> dict[str, Any]:
        return {k: self.module.__dict__[k] for k in self.info.constants}

    @property
    def sizes(self) -> str:
        """The sizes this shape set checks, and why: the Outcome's message names them."""
        values = ", ".join(
            f"{k}={v}" for k, v in self.constants.items() if k not in self.info.derived
        )
        return f"{values or 'no size constants'} ({self.why})"

    def rebind_copies(self, module: types.ModuleType) -> None:
        """Give a candidate module's copies of the problem's size constants (same name, the
        file's value) this shape set's values, as the problem module has: a ModelNew that
        reads ``dim`` at construction sees the size it is checked at."""
        for name, original in self.info.constants.items():
            current = self.module.__dict__[name]
            if current != original and module.__dict__.get(name, None) == original:
                setattr(module, name, current)

    def init_inputs(self) -> list[Any]:
        return list(_call(self.info.path, self.module, "get_init_inputs"))

    def inputs(self, seed: int, device: str = "cpu") -> Inputs:
        import torch

        _seed_all(seed, device)
        with on_device(device):
            args = _call(self.info.path, self.module, "get_inputs")
        if not any(isinstance(a, torch.Tensor) for a in args):
            raise ProblemError(
                f"{self.info.path}: get_inputs() returned no tensors "
                f"({', '.join(type(a).__name__ for a in args) or 'nothing'})"
            )
        out = []
        for a in args:
            if isinstance(a, torch.Tensor):
                a = a.to(device)
            out.append(a)
        return Inputs(out, seed)

    def build(self, cls: type, seed: int, device: str = "cpu"):
        """Instantiate Model or ModelNew: same seed, same init inputs (the KernelBench rule),
        in the problem's mode."""
        import torch

        _seed_all(seed, device)
        if torch.device(device).type == "cuda":
            model = cls(*self.init_inputs())
        else:
            with _device_remap(device):  # a Model that names device='cuda' itself
                model = cls(*self.init_inputs())
        return model.to(device).train(self.info.mode == "train")

    def flops(self) -> int | None:
        return eval_formula(self.info.meta.flops, self.constants)

    def bytes(self) -> int | None:
        return eval_formula(self.info.meta.bytes, self.constants)


def _call(path: Path, module: types.ModuleType, fn: str) -> list[Any]:
    try:
        result = getattr(module, fn)()
    except Exception as e:
        raise ProblemError(f"{path}: {fn}() raised {type(e).__name__}: {e}") from None
    if not isinstance(result, (list, tuple)):
        raise ProblemError(f"{path}: {fn}() must return a list, got {type(result).__name__}")
    return list(result)


def _seed_all(seed: int, device: str = "cpu") -> None:
    """Every generator a problem file may draw from: inputs must follow from the seed alone
    (the worker remakes each trial's inputs from it, and checks that they come out the same)."""
    import random

    import torch

    if torch.device(device).type == "cpu" and not torch.cuda.is_initialized():
        # The CPU's generator alone: torch.manual_seed also queues CUDA's seeding, recording
        # a stack trace each time (milliseconds per trial), for a context never made here.
        torch.default_generator.manual_seed(seed)
    else:
        torch.manual_seed(seed)
    random.seed(seed)
    try:
        import numpy
    except ImportError:
        return
    numpy.random.seed(seed % 2**32)


def exec_problem(
    info: ProblemInfo, shape: str | None = None, draw_seed: int = 0, device: str = "cpu"
) -> ProblemModule:
    """Execute a problem file and apply a shape set: declared, `small` drawn within the CPU
    budget when not declared, or `heldout`, drawn from ``draw_seed`` for one check."""
    module = types.ModuleType(f"kw_problem_{info.sha256[:12]}")
    module.__file__ = str(info.path)
    try:
        exec(compile(info.source, str(info.path), "exec"), module.__dict__)
    except ModuleNotFoundError as e:
        raise ProblemError(
            f"{info.path}: the problem imports {e.name!r}, which is not installed here"
        ) from None
    except Exception as e:
        raise ProblemError(
            f"{info.path}: importing the problem raised {type(e).__name__}: {e}"
        ) from None
    if not isinstance(module.__dict__.get("Model"), type):
        raise ProblemError(f"{info.path}: Model is not a class")
    pm = ProblemModule(info=info, module=module, shape=shape or "default")
    if shape is None or shape == "default":
        return pm
    if shape in info.meta.shapes:
        pm.overrides = dict(info.meta.shapes[shape])
        pm.why = f"declared shape set {shape!r}"
    elif shape == "small":
        draw = small_draw(info, module)
        pm.overrides = dict(draw.overrides)
        pm.why = (
            "not declared: drawn from the sizes the file implies to fit the CPU interpreter "
            f"(inputs <= {SMALL_NUMEL_BUDGET:,} elements), ragged"
        )
        pm.over_budget = draw.over_budget
    elif shape == "heldout":
        draw = _heldout(info, module, random.Random(draw_seed), device)
        pm.overrides = dict(draw.overrides)
        pm.why = (
            "held out: drawn for this check from the sizes the declared ones imply ("
            + describe_domain(info)
            + "), unlike every declared set, ragged"
            + (f"; {draw.stretched}" if draw.stretched else "")
        )
        pm.over_budget = draw.over_budget
    elif shape == "tiles":
        draw = _tiles_heldout(info, module, random.Random(draw_seed))
        if draw is None:
            raise ProblemError(
                f"{info.path}: no many-tiles shape: its output has no rows and columns that "
                "two sizes set apart from a third it does not reach, within the CPU budget"
            )
        pm.overrides = dict(draw.overrides)
        pm.why = (
            "held out, many tiles: drawn for this check from the sizes the declared ones "
            f"imply ({describe_domain(info)}), unlike every declared set; {draw.stretched}"
        )
    elif shape == "even":
        draw = _even_heldout(info, module, random.Random(draw_seed))
        if isinstance(draw, str):
            raise ProblemError(f"{info.path}: no divisible shape: {draw}")
        pm.overrides = dict(draw.overrides)
        pm.why = (
            "held out, divisible: drawn for this check from the sizes the declared ones imply "
            f"({describe_domain(info)}), every size a multiple of a power of two; "
            f"{draw.stretched}"
        )
    else:
        raise ProblemError(
            f"{info.path}: no shape set {shape!r}; declared: "
            f"{', '.join(info.meta.shapes) or 'none'} (and 'small', 'heldout', 'tiles' and "
            "'even' by drawing)"
        )
    if pm.over_budget:
        pm.notes.append(
            f"shape {shape} does not fit the CPU interpreter's budget: {pm.over_budget}"
        )
    _bind(info, module, pm.overrides)
    return pm


def small_draw(info: ProblemInfo, module: types.ModuleType) -> Draw:
    """The `small` sizes of a problem that declares none: one draw, the same every time (its
    seed is the file's hash), so a run's small is every run's small."""
    if info.sha256 not in _SMALL:
        rng = random.Random(int(info.sha256[:16], 16))
        _SMALL[info.sha256] = draw_shape(info, module, rng, SMALL_NUMEL_BUDGET)
    return _SMALL[info.sha256]


def _heldout(info: ProblemInfo, module: types.ModuleType, rng: random.Random, device: str) -> Draw:
    """A held-out shape, different from every declared set and `small`: stretched
    (``stretched_draw``) within HELDOUT_NUMEL_BUDGET input elements on the CPU, within the
    module's own on a GPU; where no stretched shape fits, a ragged draw near `small` (up to
    HELDOUT_GROWTH times its inputs) on the CPU, at or under the module's sizes on a GPU."""
    small, avoid = _small_and_avoid(info, module)
    if device.startswith("cuda"):
        budget = _input_numel(info, module, {}) or SMALL_NUMEL_BUDGET
        return stretched_draw(info, module, rng, budget, avoid=avoid) or draw_shape(
            info, module, rng, budget, avoid=avoid
        )
    stretched = stretched_draw(info, module, rng, HELDOUT_NUMEL_BUDGET, start=small, avoid=avoid)
    if stretched is not None:
        return stretched
    at_small = _input_numel(info, module, small) or SMALL_NUMEL_BUDGET
    budget = max(SMALL_NUMEL_BUDGET, int(HELDOUT_GROWTH * at_small))
    return draw_shape(info, module, rng, budget, start=small, avoid=avoid)


def _small_and_avoid(info: ProblemInfo, module: types.ModuleType):
    if "small" in info.meta.shapes:
        small = dict(info.meta.shapes["small"])
    else:
        small = small_draw(info, module).overrides
    return small, [*_declared_sets(info), {**info.constants, **small}]


def _tiles_heldout(info: ProblemInfo, module: types.ModuleType, rng: random.Random) -> Draw | None:
    small, avoid = _small_and_avoid(info, module)
    return tiles_draw(info, module, rng, start=small, avoid=avoid)


def has_tiles_shape(info: ProblemInfo) -> bool:
    """Whether the problem has a many-tiles shape (``tiles_draw``), which the CPU check then
    runs: decided on the meta device, once per problem file."""
    if info.sha256 not in _TILES:
        try:
            module = exec_problem(info).module
            _TILES[info.sha256] = _tiles_heldout(info, module, random.Random(0)) is not None
        except Exception:  # the worker says what is wrong with the file, at `small`
            _TILES[info.sha256] = False
    return _TILES[info.sha256]


_TILES: dict[str, bool] = {}


def _even_heldout(info: ProblemInfo, module: types.ModuleType, rng: random.Random) -> Draw | str:
    small, _ = _small_and_avoid(info, module)
    return even_draw(info, module, rng, start=small)


def even_shape_missing(info: ProblemInfo) -> str | None:
    """Why the problem has no divisible shape (``even_draw``), which the CPU check then skips
    with this as a note; None where it has one. Decided on the meta device, once per file."""
    if info.sha256 not in _EVEN:
        try:
            module = exec_problem(info).module
            draw = _even_heldout(info, module, random.Random(0))
            _EVEN[info.sha256] = draw if isinstance(draw, str) else None
        except Exception as e:  # the worker says what is wrong with the file, at `small`
            _EVEN[info.sha256] = f"its sizes cannot be drawn ({type(e).__name__})"
    return _EVEN[info.sha256]


_EVEN: dict[str, str | None] = {}


def _input_numel(info: ProblemInfo, module: types.ModuleType, overrides: dict) -> int | None:
    _bind(info, module, overrides)
    trial = _meta_trial(module, forward=False)
    _bind(info, module, {})
    return max(trial.input_numels, default=0) if trial else None


def describe_domain(info: ProblemInfo) -> str:
    """The shape domain in words: what a held-out draw keeps."""
    parts = []
    for g in shape_domain(info):
        names = _group_name(g)
        kind = "a power of two" if g.pow2 else f"a multiple of {g.step}"
        parts.append(f"{names}: {kind} from {g.low} to {g.top}")
    return "; ".join(parts) or "no size varies"


# Drawn `small` sizes per problem hash: the search runs meta-device trials, and a
# long-lived worker loads the same problem for every candidate.
_SMALL: dict[str, Draw] = {}


def _bind(info: ProblemInfo, module: types.ModuleType, overrides: dict[str, Any]) -> None:
    """Rebind the module's constants: the overrides, and the derived constants re-evaluated."""
    values = {**info.constants, **overrides}
    for name, expr in info.derived.items():
        if name in overrides:
            continue
        try:
            values[name] = _literal(pyast.parse(expr, mode="eval").body, values)
        except (ValueError, SyntaxError, ArithmeticError, TypeError) as e:
            raise ProblemError(
                f"{info.path}: {name} = {expr} cannot be re-evaluated for this shape set ({e})"
            ) from None
    module.__dict__.update(values)


def on_device(device: str):
    """Tensors made inside land on ``device``, even where the problem names device='cuda'."""
    import contextlib

    import torch

    stack = contextlib.ExitStack()
    stack.enter_context(torch.device(device))
    if torch.device(device).type != "cuda":
        stack.enter_context(_device_remap(device))
    return stack


def _is_cuda(d: Any) -> bool:
    import torch

    if isinstance(d, str):
        return d.startswith("cuda")
    return isinstance(d, torch.device) and d.type == "cuda"


@functools.cache
def _device_remap_class() -> type:
    import torch
    from torch.overrides import TorchFunctionMode

    class DeviceRemap(TorchFunctionMode):
        """Rewrites device='cuda' (and .cuda(), .to('cuda')) to the device the run is on.

        KernelBench files made for a GPU hard-code it in get_inputs; the CPU checks and
        the meta-device scaling trials must still be able to make those inputs.
        """

        def __init__(self, device: str):
            super().__init__()
            self.device = torch.device(device)

        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = dict(kwargs or {})
            if _is_cuda(kwargs.get("device")):
                kwargs["device"] = self.device
            if func is torch.Tensor.cuda:
                return args[0].to(self.device)
            if func is torch.Tensor.to:
                args = tuple(self.device if _is_cuda(a) else a for a in args)
            return func(*args, **kwargs)

    return DeviceRemap


def _device_remap(device: str):
    return _device_remap_class()(device)


@dataclass
class _Trial:
    """One meta-device run of the problem at its current constants: no memory, no time."""

    input_numels: list[int]
    budget: int = SMALL_NUMEL_BUDGET
    state_numel: int | None = None
    error: str | None = None
    # The shapes of the input tensors, then of the Model's parameters and buffers.
    shapes: list[tuple[int, ...]] = field(default_factory=list)
    state_budget: int = SMALL_STATE_BUDGET
    # The shapes of the tensors forward returned (when it ran).
    outputs: list[tuple[int, ...]] = field(default_factory=list)

    @property
    def fits(self) -> bool:
        return max(self.input_numels, default=0) <= self.budget and (
            self.state_numel is None or self.state_numel <= self.state_budget
        )


def _meta_trial(
    module: types.ModuleType, forward: bool, budget: int = SMALL_NUMEL_BUDGET
) -> _Trial | None:
    """Make the inputs and Model on the meta device (and run forward); None if inputs fail."""
    import warnings

    import torch

    with warnings.catch_warnings(), torch.no_grad(), on_device("meta"):
        warnings.simplefilter("ignore")
        try:
            args = list(module.get_inputs())
        except Exception:
            return None
        tensors = [a for a in args if isinstance(a, torch.Tensor)]
        trial = _Trial(
            [a.numel() for a in tensors], budget, shapes=[tuple(a.shape) for a in tensors]
        )
        try:
            model = module.Model(*module.get_init_inputs())
            state = [*model.parameters(), *model.buffers()]
            trial.state_numel = sum(t.numel() for t in state)
            trial.shapes += [tuple(t.shape) for t in state]
            if forward:
                out = model(*args)
                outs = out if isinstance(out, (tuple, list)) else [out]
                trial.outputs = [tuple(o.shape) for o in outs if isinstance(o, torch.Tensor)]
        except Exception as e:
            trial.error = f"{type(e).__name__}: {e}"
        return trial


Slot = tuple[str, int | None]

# Block sizes kernels commonly tile by: a drawn size is a multiple of none of them where the
# domain allows, so a kernel that drops or mishandles the last partial block is caught.
RAGGED_TO = 128
# One declared value says little about the factors of two a size needs: KernelBench writes
# every size as a power of two by habit. Up to 16 (tl.dot's smallest tile) is kept as a need.
SINGLE_SAMPLE_STEP = 16
# The CPU held-out shape may grow past the `small` set, up to this factor in input elements
# (where the stretched draw finds nothing: see _heldout).
HELDOUT_GROWTH = 1.5
# The stretched held-out shape's largest input may hold this many elements on the CPU: room
# for one size of 16k with the others at 8, past the 8192-wide single tile that row kernels
# commonly cap at and the 1024-long blocks elementwise ones take.
HELDOUT_NUMEL_BUDGET = 1 << 17
# The many-tiles shape (``tiles_draw``): kernels that tile a 2-D output cut its rows and
# columns into tiles of up to TILE, and order the tiles in groups of GROUP_ROWS row tiles
# (Triton's matmul tutorial's GROUP_M = 8, which grouped orders copy): a tile index computed
# from a wrong tile count in that order lands on the wrong tile only with more than
# GROUP_ROWS row tiles and more than one column tile at once.
TILE = 128
GROUP_ROWS = 8
# Its inputs and weights may hold this many elements each (4x the stretched shape's): 1,100
# rows over a reduction of up to ~470. What it costs is the interpreter's tl.dot, a float16
# numpy matmul without BLAS: every size stays as close to its edge or its minimum as the
# domain lets it, so the shape is ~1,100 x ~160 outputs over the shortest reduction.
TILES_NUMEL_BUDGET = 1 << 19
# ...and it moves at most this many bytes (the problem's bytes formula, where it has one): a
# contraction's traffic grows with its output alone, ~1 MB here; a problem that spends a
# program on each output row, such as a gather (3,195 rows, 5 MB), grows with the rows.
TILES_BYTES_BUDGET = 1 << 21
# The divisible shape (``even_draw``): kernels take an unmasked fast path where a size divides
# their block (EVEN = n % BLOCK == 0, the tutorials' EVEN_K), the only path at a problem's own
# sizes (multiples of large powers of two) and one the ragged draws never take. Every size a
# multiple of the largest power of two up to EVEN_TO that its domain and the budget allow:
# 1024, the block elementwise kernels take, and past every BLOCK_K and row tile of 128.
EVEN_TO = 1024
# Without a declared maximum, a stretched size goes up to this many times its largest declared
# value: a problem's `bench` set is a typical size, not the largest it meets.
BEYOND_DECLARED = 2
# ...and the stretched shape does at most this many times the work of the shape it starts from
# (the problem's flops formula, else its bytes formula, else the product of its sizes), which is
# what the interpreter's time follows: a square matmul's N grows by 4**(1/3), a row op's width
# by 4 at the same row count, or to 16k on one row where the problem lets rows go down to one.
HELDOUT_WORK_GROWTH = 4


@dataclass
class SizeGroup:
    """Size slots that take one value (tied: equal in every declared set), and the domain that
    value lives in, inferred from the declared sets."""

    slots: list[Slot]
    declared: list[int]  # its value in each declared set (the module's own first)
    step: int  # values are multiples of this...
    pow2: bool  # ...or powers of two, when every declared value is one (and they differ)
    low: int  # and never below this
    # The largest value the problem could really have: declared (SizeDomain.max), else
    # BEYOND_DECLARED times the largest declared value; a power of two (a head size, a format's
    # block) and a size of a file without shape sets (its value is the real one) stay at
    # their largest declared value.
    top: int = 0
    stretch: bool = False  # declared as the size the held-out draw stretches

    def off_declared(self) -> int:
        """The smallest value of the domain that no declared set has: next to the minimum, yet
        unlike `small` (a size hard-coded to `small`'s fails there); the minimum where every
        value up to the top is declared."""
        if self.pow2:
            v = 2 ** math.ceil(math.log2(self.low))
            while v in self.declared:
                v *= 2
        else:
            v = max(1, math.ceil(self.low / self.step)) * self.step
            while v in self.declared:
                v += self.step
        return v if v <= self.top else self.low

    def below(self, limit: float, rng: random.Random) -> int | None:
        """The largest ragged value of the domain at or below ``limit`` (None if under low)."""
        if self.pow2:
            if limit < self.low:
                return None
            return 2 ** int(math.floor(math.log2(limit)))
        m = int(limit // self.step)
        if m % 2 == 0 and self.step < RAGGED_TO and m * self.step - self.step >= self.low:
            m -= 1
        return m * self.step if m >= 1 and m * self.step >= self.low else None

    def ragged(self, target: float, rng: random.Random) -> int:
        """A value of the domain near ``target``: an odd multiple of the step when it can be
        (not a multiple of the block sizes kernels tile by), never below ``low``."""
        if self.pow2:
            exp = max(math.log2(self.low), round(math.log2(max(target, 1))))
            return 2 ** int(exp)
        m = max(1, round(target / self.step))
        if m % 2 == 0 and self.step < RAGGED_TO:
            m += rng.choice((-1, 1))
        value = max(m, 1) * self.step
        while value < self.low:
            value += self.step * (2 if self.step < RAGGED_TO else 1)
        return value


def _slots(info: ProblemInfo) -> list[Slot]:
    slots: list[Slot] = []
    for name, value in info.constants.items():
        if name in info.derived:
            continue
        if isinstance(value, int) and not isinstance(value, bool):
            slots.append((name, None))
        elif isinstance(value, (tuple, list)):
            slots.extend((name, i) for i, v in enumerate(value) if isinstance(v, int))
    return slots


def _get(vals: dict[str, Any], slot: Slot) -> int:
    name, i = slot
    return vals[name] if i is None else vals[name][i]


def _set(info: ProblemInfo, vals: dict[str, Any], slot: Slot, value: int) -> None:
    name, i = slot
    if i is None:
        vals[name] = value
    else:
        seq = list(vals[name])
        seq[i] = value
        vals[name] = type(info.constants[name])(seq)


def _declared_sets(info: ProblemInfo) -> list[dict[str, Any]]:
    return [dict(info.constants)] + [{**info.constants, **o} for o in info.meta.shapes.values()]


def shape_domain(info: ProblemInfo) -> list[SizeGroup]:
    """The sizes a check may draw, inferred from the declared ones.

    With shape sets declared, the sizes that differ between them vary; a size keeps the
    power-of-two factor every declared value shares (or stays a power of two, when every
    declared value is one) and the smallest declared value as its minimum. Without shape sets
    (a KernelBench file), every size of 16 or more varies, keeps up to 16 as its factor, and
    goes down to 8. Sizes equal in every declared set stay tied. Derived constants follow
    their sources (``_bind``); floats and small constants (kernel sizes, heads) stay. A size
    the metadata's ``domain`` names takes its declared domain instead.
    """
    sets = _declared_sets(info)
    declared = info.meta.domain
    by_vector: dict[tuple[int, ...], list[Slot]] = {}
    for slot in _slots(info):
        vector = tuple(_get(s, slot) for s in sets)
        varies = len(set(vector)) > 1 if info.meta.shapes else vector[0] >= SCALE_MIN
        if slot[0] in declared:
            varies = not declared[slot[0]].fixed
        if varies and min(vector) > 0:
            by_vector.setdefault(vector, []).append(slot)
    groups = []
    for vector, slots in by_vector.items():
        distinct = sorted(set(vector))
        twos = min((v & -v) for v in distinct)
        if len(distinct) == 1:
            groups.append(
                SizeGroup(slots, list(vector), min(twos, SINGLE_SAMPLE_STEP), False, SCALE_MIN // 2)
            )
        else:
            pow2 = all(v & (v - 1) == 0 for v in distinct)
            groups.append(SizeGroup(slots, list(vector), twos, pow2, distinct[0]))
        group = groups[-1]
        beyond = 1 if group.pow2 or not info.meta.shapes else BEYOND_DECLARED
        group.top = beyond * distinct[-1]
        named = [declared[n] for n, _ in slots if n in declared]
        if named:  # what it declares replaces what was inferred; the rest stays inferred
            d, given = named[0], named[0].model_fields_set
            group.step = d.multiple_of if "multiple_of" in given else group.step
            group.low = d.min if "min" in given else group.low
            group.pow2 = d.pow2 if "pow2" in given else group.pow2
            group.stretch = d.stretch
            if d.max is not None:
                group.top = d.max
        if group.pow2 and group.top & (group.top - 1):
            group.top = 2 ** int(math.log2(group.top))
        group.top = max(group.top, group.low)
    return groups


@dataclass
class Draw:
    """Sizes drawn from the shape domain: the overrides, what kept them from the budget, and
    (for a stretched draw) which size was stretched to what, in words."""

    overrides: dict[str, Any]
    over_budget: str | None = None
    stretched: str | None = None


def _with_value(info: ProblemInfo, vals: dict[str, Any], group: SizeGroup, value: int) -> dict:
    out = dict(vals)
    for slot in group.slots:
        _set(info, out, slot, value)
    return out


def _group_name(group: SizeGroup) -> str:
    return " = ".join(n if i is None else f"{n}[{i}]" for n, i in group.slots)


def _stretched_group(
    info: ProblemInfo, module: types.ModuleType, groups: list[SizeGroup], base: dict[str, Any]
) -> int | None:
    """The group the held-out draw stretches: the declared one, else the one that sets the last
    axis of the largest tensor (input, parameter or buffer) -- the contiguous axis, along which
    kernels tile rows and loop over K, and where they switch paths at a tile cap. Found by
    moving each group by one step on the meta device and seeing which last axes follow."""
    declared = [i for i, g in enumerate(groups) if g.stretch]
    if declared:
        return declared[0]

    def shapes(vals: dict[str, Any]) -> list[tuple[int, ...]] | None:
        _bind(info, module, {k: v for k, v in vals.items() if k not in info.derived})
        trial = _meta_trial(module, forward=False)
        return trial.shapes if trial is not None else None

    ref = shapes(base)
    if not ref:
        return None
    best, best_numel = None, 0
    for i, g in enumerate(groups):
        v = _get(base, g.slots[0])
        moved = shapes(_with_value(info, base, g, v * 2 if g.pow2 else v + g.step))
        for before, after in zip(ref, moved or [], strict=False):
            numel = math.prod(before)
            if before and after and before[-1] != after[-1] and numel > best_numel:
                best, best_numel = i, numel
    return best


def _work(
    info: ProblemInfo, module: types.ModuleType, formula: str | int | None, vals: dict[str, Any]
) -> int:
    """A flops or bytes formula at these sizes (0 where it is missing or cannot be evaluated)."""
    _bind(info, module, {k: v for k, v in vals.items() if k not in info.derived})
    try:
        return eval_formula(formula, {k: module.__dict__[k] for k in info.constants}) or 0
    except ProblemError:
        return 0


@dataclass
class _Budget:
    """What a draw may take around ``base``, the sizes it starts from: inputs and weights
    within ``numel_budget`` elements (the weights also to what they hold at ``base``: a
    stretched Linear costs the interpreter a matmul of its size), at most HELDOUT_WORK_GROWTH
    times the work of ``base`` (the problem's flops or bytes formula, else the product of its
    sizes), the Model built on the meta device, and forward run there where it runs at ``base``
    (``forwards``: a data-dependent forward, such as an MoE's routing, cannot). Made by
    ``around``, which reads the rest off ``base``."""

    info: ProblemInfo
    module: types.ModuleType
    numel_budget: int
    strict: bool = False  # the Model builds at `base`: every draw must build it too
    forwards: bool = False
    state_budget: int = 0
    formula: str | None = None  # what `work` evaluates, where the problem has one
    most_work: float = 0.0

    @classmethod
    def around(
        cls, info: ProblemInfo, module: types.ModuleType, base: dict[str, Any], numel_budget: int
    ) -> _Budget | None:
        """None where ``base``'s inputs cannot be made on the meta device."""
        budget = cls(info, module, numel_budget)
        built = budget.trial(base, forward=False)
        if built is None:
            return None
        budget.strict = built.error is None
        budget.state_budget = max(numel_budget, built.state_numel or 0)
        budget.forwards = budget.strict and (budget.trial(base, True) or built).error is None
        budget.formula = next(
            (f for f in (info.meta.flops, info.meta.bytes) if _work(info, module, f, base)), None
        )
        budget.most_work = HELDOUT_WORK_GROWTH * budget.work(base)
        return budget

    def trial(self, vals: dict[str, Any], forward: bool) -> _Trial | None:
        _bind(self.info, self.module, {k: v for k, v in vals.items() if k not in self.info.derived})
        return _meta_trial(self.module, forward, self.numel_budget)

    def work(self, vals: dict[str, Any]) -> float:
        if self.formula is not None:
            return _work(self.info, self.module, self.formula, vals)
        return math.prod(max(1, _get(vals, slot)) for slot in _slots(self.info))

    def fits(self, vals: dict[str, Any], forward: bool = False) -> bool:
        if self.work(vals) > self.most_work:
            return False
        t = self.trial(vals, forward)
        if t is None:
            return False
        t.state_budget = self.state_budget
        return t.fits and (not self.strict or t.error is None)


def stretched_draw(
    info: ProblemInfo,
    module: types.ModuleType,
    rng: random.Random,
    numel_budget: int,
    start: dict[str, Any] | None = None,
    avoid: list[dict[str, Any]] | None = None,
) -> Draw | None:
    """An extreme aspect ratio: one size group (``_stretched_group``) near the largest value
    its domain allows (``SizeGroup.top``) or the budget leaves, every other group at a ragged
    value next to its minimum, so that a wide row or a long loop fits the CPU interpreter's
    budget and HELDOUT_WORK_GROWTH. Each value is tried on the meta device; the largest that
    fits is found by bisection, then the value is drawn (ragged) from its top 8%. None where
    nothing new fits (the caller draws near ``start`` instead): a Model whose sizes are tied by
    asserts, a domain with no room."""
    try:
        return _stretch(info, module, rng, numel_budget, {**info.constants, **(start or {})}, avoid)
    finally:
        _bind(info, module, {})


def _stretch(
    info: ProblemInfo,
    module: types.ModuleType,
    rng: random.Random,
    numel_budget: int,
    base: dict[str, Any],
    avoid: list[dict[str, Any]] | None,
) -> Draw | None:
    groups = shape_domain(info)
    long = _stretched_group(info, module, groups, base) if groups else None
    if long is None:
        return None
    group = groups[long]

    budget = _Budget.around(info, module, base, numel_budget)
    if budget is None:
        return None
    work, most_work, fits, forwards = budget.work, budget.most_work, budget.fits, budget.forwards

    def others_at(value_of) -> dict[str, Any]:
        vals = dict(base)
        for i, g in enumerate(groups):
            if i != long:
                vals = _with_value(info, vals, g, value_of(g))
        return vals

    def bisect(values: list[int], ok) -> int:
        """The last index whose value is ok, given values[0] is and ok is monotone."""
        lo, hi = 0, len(values) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if ok(values[mid]) else (lo, mid - 1)
        return lo

    def largest(others: dict[str, Any]) -> int | None:
        """The largest value of the stretched group's domain that fits: bounded by the work
        formula first (no meta-device run), then by bisection on the meta device."""
        low = group.below(group.low, rng) or group.ragged(group.low, rng)
        if not fits(_with_value(info, others, group, low)):
            return None
        if group.pow2:
            values = [2**e for e in range(int(math.log2(low)), int(math.log2(group.top)) + 1)]
        else:
            values = list(range(low, group.top + 1, group.step)) or [low]
        values = values[
            : bisect(values, lambda v: work(_with_value(info, others, group, v)) <= most_work) + 1
        ]
        if fits(_with_value(info, others, group, values[-1])):
            return values[-1]
        return values[bisect(values, lambda v: fits(_with_value(info, others, group, v)))]

    # The other sizes next to their minimum at a value no declared set has (a size hard-coded
    # to `small`'s fails), else at their minimum, else where `start` has them: the first that
    # leaves the stretched size room to grow past `start`.
    start_value = _get(base, group.slots[0])
    tries = (
        lambda: others_at(SizeGroup.off_declared),
        lambda: others_at(lambda g: g.ragged(g.low, rng)),
        lambda: base,
    )
    found = []
    for make in tries:
        o = make()
        m = largest(o)
        if m is not None:
            found.append((o, m))
            if m > start_value:
                break
    if not found:
        return None
    others, most = next(((o, m) for o, m in found if m > start_value), found[0])
    value = most if group.pow2 else group.below(most * rng.uniform(0.92, 1.0), rng) or most
    if value <= start_value < most:  # a step of a coarse domain: not below where it started
        value = most
    vals = _with_value(info, others, group, value)
    if forwards and not fits(vals, forward=True):
        vals = _with_value(info, others, group, most)
        if not fits(vals, forward=True):
            return None
    keys = {s[0] for g in groups for s in g.slots}
    new = all(any(vals[k] != a.get(k, info.constants[k]) for k in keys) for a in avoid or [])
    if not new:
        return None
    final = _get(vals, group.slots[0])
    others_said = (
        ", the other sizes next to their minimum" if len(groups) > 1 and others is not base else ""
    )
    return Draw(
        {k: v for k, v in vals.items() if k not in info.derived and v != info.constants[k]},
        stretched=(
            f"{_group_name(group)} stretched to {final} (its domain reaches {group.top}; "
            f"inputs <= {numel_budget:,} elements){others_said}: a long row or loop runs code "
            "that smaller shapes skip"
        ),
    )


def tiles_draw(
    info: ProblemInfo,
    module: types.ModuleType,
    rng: random.Random,
    start: dict[str, Any] | None = None,
    avoid: list[dict[str, Any]] | None = None,
) -> Draw | None:
    """Many tiles in two dimensions at once, where the stretched draw's extreme aspect ratio
    gives many in one: the size that sets the output's rows just past GROUP_ROWS * TILE, the
    one that sets its columns just past TILE (both ragged where the domain allows, so the
    last tile of each is partial; where the domain stops short, its largest value), every
    other size at its minimum (the reduction's length is the cost), else at the smallest
    value no declared set has. Only for an output some size does not reach (it sets an input
    or a weight but no axis of the output: a contraction's reduction, a vocabulary): there the
    inputs stay small while the output's tile grid grows, where an elementwise or row-wise
    problem's inputs would grow with it. None where the output has no such two axes (a square
    product ties them), the domain stops short of them, forward cannot run on the meta device
    (it does not at `start` either), or an input exceeds TILES_NUMEL_BUDGET or the traffic
    TILES_BYTES_BUDGET."""
    try:
        return _tiles(info, module, rng, {**info.constants, **(start or {})}, avoid or [])
    finally:
        _bind(info, module, {})


def _past(group: SizeGroup, edge: int, spread: float, rng: random.Random) -> int | None:
    """A value of the group's domain within ``spread`` past ``edge``, ragged where the domain
    allows; where the domain stops before that, its largest ragged value, if that is past
    half of ``edge`` (a 64-wide tile then still counts ``edge / 64`` tiles); else None."""
    value = group.ragged(max(edge + rng.uniform(1, spread), group.low), rng)
    while value <= edge:
        value = value * 2 if group.pow2 else value + group.step
    if value <= group.top:
        return value
    value = group.below(group.top, rng)
    return value if value is not None and value > edge // 2 else None


def _tiles(
    info: ProblemInfo,
    module: types.ModuleType,
    rng: random.Random,
    base: dict[str, Any],
    avoid: list[dict[str, Any]],
) -> Draw | None:
    groups = shape_domain(info)

    def trial(vals: dict[str, Any]) -> _Trial | None:
        _bind(info, module, {k: v for k, v in vals.items() if k not in info.derived})
        t = _meta_trial(module, forward=True, budget=TILES_NUMEL_BUDGET)
        return t if t is not None and t.error is None else None

    ref = trial(base)
    if ref is None or not ref.outputs:
        return None
    out = max(range(len(ref.outputs)), key=lambda i: math.prod(ref.outputs[i]))
    ndim = len(ref.outputs[out])
    if ndim < 2:
        return None
    # Which size sets which axis: each moved by one step on the meta device.
    rows = cols = None
    reduces = False
    for i, g in enumerate(groups):
        v = _get(base, g.slots[0])
        moved = trial(_with_value(info, base, g, v * 2 if g.pow2 else v + g.step))
        if moved is None or len(moved.outputs) != len(ref.outputs):
            continue
        after = moved.outputs[out]
        changed = [a for a in range(ndim) if len(after) == ndim and after[a] != ref.outputs[out][a]]
        if changed == [ndim - 2] and rows is None:
            rows = i
        elif changed == [ndim - 1] and cols is None:
            cols = i
        elif len(after) == ndim and not changed and moved.shapes != ref.shapes:
            reduces = True
    if rows is None or cols is None or not reduces:
        return None
    state_budget = max(TILES_NUMEL_BUDGET, ref.state_numel or 0)
    keys = {s[0] for g in groups for s in g.slots}
    # Drawn within half a tile past each edge; then the smallest values past them, so that
    # whether a problem has the shape does not hang on the draw (the pool decides with seed 0).
    for spread in (TILE / 2, 1):
        row = _past(groups[rows], GROUP_ROWS * TILE, spread, rng)
        col = _past(groups[cols], TILE, spread, rng)
        if row is None or col is None:
            return None
        for value_of in (lambda g: g.ragged(g.low, rng), SizeGroup.off_declared):
            vals = dict(base)
            for i, g in enumerate(groups):
                vals = _with_value(
                    info, vals, g, row if i == rows else col if i == cols else value_of(g)
                )
            if _work(info, module, info.meta.bytes, vals) > TILES_BYTES_BUDGET:
                continue
            t = trial(vals)
            if t is None:
                continue
            t.state_budget = state_budget
            new = all(any(vals[k] != a.get(k, info.constants[k]) for k in keys) for a in avoid)
            if t.fits and new:
                return Draw(
                    {
                        k: v
                        for k, v in vals.items()
                        if k not in info.derived and v != info.constants[k]
                    },
                    stretched=(
                        f"{_group_name(groups[rows])} = {row} rows and {_group_name(groups[cols])} "
                        f"= {col} columns together ({-(-row // TILE)} x {-(-col // TILE)} "
                        f"tiles of {TILE}, the last of each partial where the size is ragged), "
                        "the other sizes at or next to their minimum (inputs <= "
                        f"{TILES_NUMEL_BUDGET:,} elements): a grid of many tiles both ways runs "
                        f"the tile order (groups of {GROUP_ROWS} row tiles) and the index "
                        "arithmetic that one long size skips"
                    ),
                )
    return None


def even_draw(
    info: ProblemInfo,
    module: types.ModuleType,
    rng: random.Random,
    start: dict[str, Any] | None = None,
) -> Draw | str:
    """Every size a multiple of a power of two, up to EVEN_TO, so that a kernel's test of
    whether a size divides its block comes out true. Each size group starts at the smallest
    value of its domain that is a multiple of EVEN_TO (a power of two at least that, in a
    domain of powers of two); while the shape does not fit (inputs and weights within
    HELDOUT_NUMEL_BUDGET elements, or what they hold at ``start``; at most HELDOUT_WORK_GROWTH
    times the work of ``start``; the Model builds, and runs forward on the meta device where it
    does at ``start``), one group takes the next smaller power of two that lowers its value:
    the one whose value shrinks most for the factors of two it gives up (rows of 1024 halve
    before columns of 2048 go to 1536, which keep 512 of their 1024), on a tie not the
    stretched one (the contiguous axis, ``_stretched_group``, where an elementwise or row
    kernel's block lies), then the largest. Then each group in turn, in a drawn order, is
    tried at a drawn odd multiple of its value (3, 5 or 7), kept where it fits: the power it
    divides by stays, and where the budget leaves room the sizes are not fixed ahead of the
    check.

    Why there is none, in words, where no fitting shape has a size divisible by more than its
    domain's step (which every draw's sizes already are), or where that shape is ``start``."""
    try:
        return _even(info, module, rng, {**info.constants, **(start or {})})
    finally:
        _bind(info, module, {})


def _even(
    info: ProblemInfo, module: types.ModuleType, rng: random.Random, base: dict[str, Any]
) -> Draw | str:
    groups = shape_domain(info)
    if not groups:
        return "no size varies: the sizes checked are the problem's own"

    budget = _Budget.around(info, module, base, HELDOUT_NUMEL_BUDGET)
    if budget is None:
        return "its inputs cannot be made on the meta device"

    def fits(vals: dict[str, Any]) -> bool:
        return budget.fits(vals, budget.forwards)

    def value(g: SizeGroup, power: int) -> int:
        """The smallest value of the group's domain that ``power`` divides."""
        if g.pow2:
            return max(power, 2 ** math.ceil(math.log2(g.low)))
        q = math.lcm(power, g.step)
        return math.ceil(g.low / q) * q

    powers = []
    for g in groups:
        power = EVEN_TO
        while power > 1 and value(g, power) > g.top:
            power //= 2
        powers.append(power)
    long = _stretched_group(info, module, groups, base)

    def at(powers: list[int]) -> dict[str, Any]:
        vals = dict(base)
        for g, power in zip(groups, powers, strict=True):
            vals = _with_value(info, vals, g, value(g, power))
        return vals

    def lower(g: SizeGroup, power: int) -> int | None:
        """The largest power below ``power`` whose value is smaller (300 rounds up to 512 for
        both 512 and 256)."""
        while power > 1:
            power //= 2
            if value(g, power) < value(g, power * 2):
                return power
        return None

    def value_at(j: int) -> int:
        return value(groups[j], powers[j])

    def shrink(j: int, to: int) -> float:
        """How much the size shrinks per factor of two it gives up, both in bits."""
        return math.log2(value_at(j) / value(groups[j], to)) / math.log2(powers[j] / to)

    vals = at(powers)
    while not fits(vals):
        smaller = {i: p for i, g in enumerate(groups) if (p := lower(g, powers[i])) is not None}
        if not smaller:
            return (
                "no shape with divisible sizes fits the CPU budget: a fast path for sizes "
                "that divide a block is not checked on the CPU"
            )
        i = max(smaller, key=lambda j: (shrink(j, smaller[j]), j != long, value_at(j)))
        powers[i] = smaller[i]
        vals = at(powers)
    # A domain of powers of two is divisible in every draw, and a multiple of the step in
    # every draw is one: only a power past a step is new.
    twos = [min(value_at(j) & -value_at(j), EVEN_TO) for j in range(len(groups))]
    if all(g.pow2 or t <= g.step for g, t in zip(groups, twos, strict=True)):
        return (
            "the CPU budget leaves no size divisible by more than its domain's step, as "
            "every draw's already are: a fast path for sizes that divide a larger block is "
            "not checked on the CPU"
        )
    keys = {s[0] for g in groups for s in g.slots}
    if all(vals[k] == base[k] for k in keys):
        return "the sizes `small` checks divide the same blocks already, and run the same path"
    for i in rng.sample(range(len(groups)), len(groups)):
        g, v = groups[i], _get(vals, groups[i].slots[0])
        bigger = v * rng.choice((3, 5, 7))
        if not g.pow2 and bigger <= g.top and fits(_with_value(info, vals, g, bigger)):
            vals = _with_value(info, vals, g, bigger)
    said = ", ".join(
        f"{_group_name(g)} = {_get(vals, g.slots[0])} (a multiple of {t})"
        for g, t in zip(groups, twos, strict=True)
    )
    return Draw(
        {k: v for k, v in vals.items() if k not in info.derived and v != info.constants[k]},
        stretched=(
            f"{said} (the largest powers up to {EVEN_TO} that fit: inputs <= "
            f"{HELDOUT_NUMEL_BUDGET:,} elements, at most {HELDOUT_WORK_GROWTH}x the work of "
            "`small`): n % BLOCK == 0 for the blocks kernels take, so an unmasked fast path "
            "that only divisible sizes run (EVEN_K), the only path at the problem's own sizes, "
            "runs here, where the ragged shapes never take it"
        ),
    )


def draw_shape(
    info: ProblemInfo,
    module: types.ModuleType,
    rng: random.Random,
    numel_budget: int,
    start: dict[str, Any] | None = None,
    avoid: list[dict[str, Any]] | None = None,
) -> Draw:
    """Sizes from the problem's shape domain whose inputs fit ``numel_budget`` elements (and
    whose Model fits SMALL_STATE_BUDGET), different from every set in ``avoid``.

    From ``start`` (default: the module's own constants) each size group is first moved to a
    ragged value of its domain near where it was, then the largest group is shrunk step by step,
    each step tried on the meta device, until everything fits. A step after which the Model no
    longer builds (channels that must divide groups, sizes tied by an assert) is tried again
    with other draws, then as an exact halving of every group at once (which keeps the ratios
    between them), and otherwise that group stays where it is. The result is run forward once
    on the meta device; if that fails where the start did not (a kernel larger than the input,
    sizes tied inside forward), the search is redone with a forward run at every step. A Model
    the meta device cannot build is scaled by its inputs alone.
    """
    groups = shape_domain(info)
    base = {**info.constants, **(start or {})}
    avoid = avoid or []

    def trial(vals: dict[str, Any], forward: bool) -> _Trial | None:
        _bind(info, module, {k: v for k, v in vals.items() if k not in info.derived})
        return _meta_trial(module, forward, numel_budget)

    def with_value(vals: dict[str, Any], group: SizeGroup, value: int) -> dict[str, Any]:
        out = dict(vals)
        for slot in group.slots:
            _set(info, out, slot, value)
        return out

    def shrunk(vals: dict[str, Any], group: SizeGroup) -> int | None:
        v = _get(vals, group.slots[0])
        new = group.ragged(v * rng.uniform(0.4, 0.7), rng)
        if new >= v:
            new = group.ragged(v / 2, rng)
        return new if new < v else None

    def halved(vals: dict[str, Any], live: list[SizeGroup]) -> dict[str, Any]:
        out = dict(vals)
        for g in live:
            v = _get(out, g.slots[0])
            new = max(g.low, v // 2 if v % 2 == 0 else math.ceil(v / 2))
            out = with_value(out, g, new)
        return out

    def jittered(vals: dict[str, Any]) -> dict[str, Any]:
        out = dict(vals)
        for g in groups:
            v = _get(out, g.slots[0])
            new = g.ragged(v * 2 ** rng.uniform(-0.6, 0.5), rng)
            if new in g.declared and not g.pow2:
                new = g.ragged(new + g.step * rng.choice((-2, 2)), rng)
            out = with_value(out, g, new)
        return out

    def search(values: dict[str, Any], current: _Trial, forward: bool, strict: bool):
        frozen: set[int] = set()
        for _ in range(256):
            if current.fits:
                break
            live = [
                i
                for i, g in enumerate(groups)
                if i not in frozen and _get(values, g.slots[0]) > g.low
            ]
            if not live:
                break
            i = max(live, key=lambda j: _get(values, groups[j].slots[0]))
            moves = [
                with_value(values, groups[i], new)
                for new in {shrunk(values, groups[i]) for _ in range(6)}
                if new is not None
            ]
            moves.append(halved(values, [groups[j] for j in live]))
            for attempt in moves:
                result = trial(attempt, forward)
                if result is not None and (not strict or result.error is None):
                    values, current = attempt, result
                    break
            else:
                frozen.add(i)
        return values, current

    def nudged(vals: dict[str, Any], current: _Trial, strict: bool):
        """One group moved by a step or a factor of two, when the search ended on a set to
        avoid (where the budget and the model leave little room, they meet there)."""
        for g in rng.sample(groups, len(groups)):
            v = _get(vals, g.slots[0])
            for new in (v + g.step, v - g.step, v // 2, v * 2):
                if new < g.low or new == v or (g.pow2 and new & (new - 1)):
                    continue
                attempt = with_value(vals, g, new)
                result = trial(attempt, forward=strict)
                if result is not None and result.fits and (not strict or result.error is None):
                    return attempt, result
        return vals, current

    def differs(vals: dict[str, Any]) -> bool:
        keys = {s[0] for g in groups for s in g.slots}
        return all(any(vals[k] != a.get(k, info.constants[k]) for k in keys) for a in avoid)

    built = trial(base, forward=False)
    values, result = dict(base), built
    if built is not None:  # else get_inputs fails on meta, and the real run will say why
        strict = built.error is None
        # Every other attempt starts from the file's own sizes: near `start` the model's
        # constraints may leave nothing new within the budget.
        for attempt in range(8):
            origin = base if attempt % 2 == 0 else dict(info.constants)
            start_vals = jittered(origin)
            first = trial(start_vals, forward=False)
            if first is None or (strict and first.error is not None):
                start_vals, first = dict(origin), trial(origin, forward=False) or built
            values, result = search(start_vals, first, forward=False, strict=strict)
            if strict and trial(values, forward=True).error is not None:
                full = trial(origin, forward=True)
                if full is not None and full.error is None:
                    values, result = search(dict(origin), full, forward=True, strict=True)
            if differs(values) or not groups:
                break
            values, result = nudged(values, result, strict)
            if differs(values):
                break
    _bind(info, module, {})
    over = None
    if result is not None and max(result.input_numels, default=0) > numel_budget:
        over = (
            f"its largest input stays at {max(result.input_numels):,} elements (budget "
            f"{numel_budget:,}): sizes written as literals in get_inputs, or a Model that "
            "refuses smaller ones" + (f" ({result.error})" if result.error else "")
        )
    elif result is not None and result.state_numel and result.state_numel > SMALL_STATE_BUDGET:
        over = f"the Model keeps {result.state_numel:,} parameter elements at any size it builds"
    return Draw(
        {k: v for k, v in values.items() if k not in info.derived and v != info.constants[k]},
        over,
    )


def load_problem(path: str | Path, shape: str | None = None) -> ProblemModule:
    return exec_problem(read_problem(path), shape)


def bundled_problems_dir() -> Path:
    from kernelwright import reference_kernels

    return Path(reference_kernels.__file__).parent / "problems"


def find_problems(root: str | Path) -> list[Path]:
    """Problem files under a folder (or the file itself), in a stable order."""
    root = Path(root)
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise ProblemError(f"{root}: no such file or folder")
    return sorted(
        p for p in root.rglob("*.py") if p.name != "__init__.py" and "solutions" not in p.parts
    )


def resolve_problem(spec: str) -> Path:
    """A path, or the name of a bundled problem (``softmax`` or ``level1/softmax``)."""
    p = Path(spec)
    if p.exists():
        return p
    root = bundled_problems_dir()
    stem = p.stem if p.suffix == ".py" else p.name
    matches = [
        q
        for q in find_problems(root)
        if q.stem == stem or str(q.relative_to(root)).removesuffix(".py") == spec
    ]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise ProblemError(f"{spec}: no such file, and no bundled problem of that name")
    raise ProblemError(f"{spec}: ambiguous, matches {', '.join(map(str, matches))}")
