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
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kernelwright import pyast

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

    @property
    def constants(self) -> dict[str, Any]:
        return {k: self.module.__dict__[k] for k in self.info.constants}

    def init_inputs(self) -> list[Any]:
        return list(_call(self.info.path, self.module, "get_init_inputs"))

    def inputs(self, seed: int, device: str = "cpu") -> Inputs:
        import torch

        _seed_all(seed)
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

        _seed_all(seed)
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


def _seed_all(seed: int) -> None:
    """Every generator a problem file may draw from: inputs must follow from the seed alone
    (the worker remakes each trial's inputs from it, and checks that they come out the same)."""
    import random

    import torch

    torch.manual_seed(seed)
    random.seed(seed)
    try:
        import numpy
    except ImportError:
        return
    numpy.random.seed(seed % 2**32)


def exec_problem(info: ProblemInfo, shape: str | None = None) -> ProblemModule:
    """Execute a problem file and apply a shape set (declared, or `small` by scaling)."""
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
    elif shape == "small":
        if info.sha256 not in _SCALED:
            _SCALED[info.sha256] = _scale_down(info, module)
        pm.overrides = dict(_SCALED[info.sha256])
        pm.notes.append(
            "shape 'small' made by scaling the module constants: "
            + (", ".join(f"{k}={v}" for k, v in pm.overrides.items()) or "already small")
        )
    else:
        raise ProblemError(
            f"{info.path}: no shape set {shape!r}; declared: "
            f"{', '.join(info.meta.shapes) or 'none'} (and 'small' by scaling)"
        )
    _bind(info, module, pm.overrides)
    return pm


# Scaled `small` overrides per problem hash: the search runs meta-device trials, and a
# long-lived worker loads the same problem for every candidate.
_SCALED: dict[str, dict[str, Any]] = {}


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
    state_numel: int | None = None
    error: str | None = None

    @property
    def fits(self) -> bool:
        return max(self.input_numels, default=0) <= SMALL_NUMEL_BUDGET and (
            self.state_numel is None or self.state_numel <= SMALL_STATE_BUDGET
        )


def _meta_trial(module: types.ModuleType, forward: bool) -> _Trial | None:
    """Make the inputs and Model on the meta device (and run forward); None if inputs fail."""
    import warnings

    import torch

    with warnings.catch_warnings(), torch.no_grad(), on_device("meta"):
        warnings.simplefilter("ignore")
        try:
            args = list(module.get_inputs())
        except Exception:
            return None
        trial = _Trial([a.numel() for a in args if isinstance(a, torch.Tensor)])
        try:
            model = module.Model(*module.get_init_inputs())
            trial.state_numel = sum(t.numel() for t in [*model.parameters(), *model.buffers()])
            if forward:
                model(*args)
        except Exception as e:
            trial.error = f"{type(e).__name__}: {e}"
        return trial


Slot = tuple[str, int | None]


def _scale_down(info: ProblemInfo, module: types.ModuleType) -> dict[str, Any]:
    """Halve the largest size constants until the inputs and the model fit the CPU budgets.

    Sizes are halved one at a time, largest first, each step tried on the meta device: a
    step after which the Model no longer builds (channels that must divide groups, sizes
    tied by an assert) is retried as a halving of every size at once, which keeps their
    ratios, and otherwise that size stays where it is. The result is run forward once on
    the meta device; if that fails where the full size did not (a kernel larger than the
    input, one size tied to another inside forward), the search is redone with a forward
    run at every step. A Model the meta device cannot build is scaled by its inputs alone.
    """
    slots: list[Slot] = []
    for name, value in info.constants.items():
        if name in info.derived:
            continue
        if isinstance(value, int) and not isinstance(value, bool):
            slots.append((name, None))
        elif isinstance(value, (tuple, list)):
            slots.extend((name, i) for i, v in enumerate(value) if isinstance(v, int))

    def get(vals: dict[str, Any], slot: Slot) -> int:
        name, i = slot
        return vals[name] if i is None else vals[name][i]

    def halve(vals: dict[str, Any], group: list[Slot]) -> dict[str, Any]:
        out = dict(vals)
        for name, i in group:
            v = get(out, (name, i))
            # Halving keeps powers of two and the ratios between sizes.
            new = max(SCALE_MIN // 2, v // 2 if v % 2 == 0 else math.ceil(v / 2))
            if i is None:
                out[name] = new
            else:
                seq = list(out[name])
                seq[i] = new
                out[name] = type(info.constants[name])(seq)
        return out

    def trial(vals: dict[str, Any], forward: bool) -> _Trial | None:
        _bind(info, module, {k: v for k, v in vals.items() if k not in info.derived})
        return _meta_trial(module, forward)

    def search(start: _Trial, forward: bool, strict: bool) -> dict[str, Any]:
        values, current, frozen = dict(info.constants), start, set()
        for _ in range(256):
            if current.fits:
                break
            live = [s for s in slots if s not in frozen and get(values, s) >= SCALE_MIN]
            if not live:
                break
            slot = max(live, key=lambda s: get(values, s))
            for group in ([slot], live):
                attempt = halve(values, group)
                result = trial(attempt, forward)
                if result is not None and (not strict or result.error is None):
                    values, current = attempt, result
                    break
            else:
                frozen.add(slot)
        return values

    built = trial(info.constants, forward=False)
    values = dict(info.constants)
    if built is not None:  # else get_inputs fails on meta, and the real run will say why
        strict = built.error is None
        values = search(built, forward=False, strict=strict)
        if strict and trial(values, forward=True).error is not None:
            full = trial(info.constants, forward=True)
            if full is not None and full.error is None:
                values = search(full, forward=True, strict=True)
    _bind(info, module, {})
    return {k: v for k, v in values.items() if k not in info.derived and v != info.constants[k]}


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
