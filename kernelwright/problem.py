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
import hashlib
import math
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
# Constants below this are left alone when scaling (kernel sizes, dim indices, heads).
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
    raw_meta: dict[str, Any] = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            continue
        target = node.targets[0]
        if not isinstance(target, ast.Name):
            continue
        if target.id == "KERNELWRIGHT":
            try:
                raw_meta = _literal(node.value, constants)
            except (ValueError, SyntaxError, ArithmeticError, TypeError):
                raise ProblemError(
                    f"{path}:{node.lineno}: KERNELWRIGHT must be a literal dict "
                    "(strings, numbers, lists, dicts only)"
                ) from None
            continue
        try:
            value = _literal(node.value, constants)
        except (ValueError, SyntaxError, ArithmeticError, TypeError):
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            constants[target.id] = value
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

        torch.manual_seed(seed)
        with torch.device(device):
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
        """Instantiate Model or ModelNew: same seed, same init inputs (the KernelBench rule)."""
        import torch

        torch.manual_seed(seed)
        model = cls(*self.init_inputs())
        return model.to(device).eval()

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


def exec_problem(info: ProblemInfo, shape: str | None = None) -> ProblemModule:
    """Execute a problem file and apply a shape set (declared, or `small` by scaling)."""
    module = types.ModuleType(f"kw_problem_{info.sha256[:12]}")
    module.__file__ = str(info.path)
    try:
        exec(compile(info.source, str(info.path), "exec"), module.__dict__)
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
        pm.overrides = _scale_down(info, module)
        pm.notes.append(
            "shape 'small' made by scaling the module constants: "
            + (", ".join(f"{k}={v}" for k, v in pm.overrides.items()) or "already small")
        )
    else:
        raise ProblemError(
            f"{info.path}: no shape set {shape!r}; declared: "
            f"{', '.join(info.meta.shapes) or 'none'} (and 'small' by scaling)"
        )
    module.__dict__.update(pm.overrides)
    return pm


def _input_numels(path: Path, module: types.ModuleType) -> list[int]:
    import torch

    with torch.device("meta"):
        args = _call(path, module, "get_inputs")
    return [a.numel() for a in args if isinstance(a, torch.Tensor)]


def _scale_down(info: ProblemInfo, module: types.ModuleType) -> dict[str, Any]:
    """Halve the largest size constants until every input fits the interpreter's budget."""
    scalable = {k: v for k, v in info.constants.items() if isinstance(v, int) and v >= SCALE_MIN}
    overrides: dict[str, Any] = {}
    for _ in range(64):
        numels = _input_numels(info.path, module)
        if not numels or max(numels) <= SMALL_NUMEL_BUDGET:
            break
        candidates = {k: module.__dict__[k] for k in scalable if module.__dict__[k] >= SCALE_MIN}
        if not candidates:
            break
        name = max(candidates, key=candidates.get)
        value = candidates[name]
        # Halving keeps powers of two and the ratios between sizes.
        new = max(SCALE_MIN // 2, value // 2 if value % 2 == 0 else math.ceil(value / 2))
        module.__dict__[name] = new
        overrides[name] = new
    return overrides


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
