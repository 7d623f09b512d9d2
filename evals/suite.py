"""Which problems an eval runs: resolving a SUITE argument to problem files.

A SUITE is, in this order of precedence:

- an existing path: a problem file, a folder of problem files (an unmodified KernelBench
  ``level1/`` works), or a YAML suite file (``.yaml``/``.yml``);
- ``all``: every bundled problem;
- ``levelN``: the bundled problems of level N;
- ``tag:NAME``: the bundled problems tagged NAME;
- the name of one bundled problem (``softmax`` or ``level1/softmax``).

A YAML suite file::

    name: softmax-and-matmul        # optional; defaults to the file's stem
    shape: small                    # optional shape set for every problem
    problems:                       # optional; defaults to every bundled problem
      - level1                      # any SUITE spec above, except another YAML file
      - ../KernelBench/level2       # paths are relative to the YAML file
    filters:                        # optional; a problem must pass every filter given
      levels: [1, 2]
      tags: [softmax, matmul]       # any of these tags
      names: ["*softmax*", "23_*"]  # any of these glob patterns, on the problem name
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kernelwright.problem import (
    ProblemError,
    ProblemInfo,
    bundled_problems_dir,
    find_problems,
    read_problem,
    resolve_problem,
)

_LEVEL_DIR = re.compile(r"^level(\d+)$")


class SuiteError(Exception):
    """A SUITE that cannot be resolved; the message says why, for a person."""


def problem_level(info: ProblemInfo) -> int | None:
    """The declared level, else the number of a ``levelN`` folder holding the file."""
    if info.level is not None:
        return info.level
    for part in reversed(info.path.resolve().parent.parts):
        if m := _LEVEL_DIR.match(part):
            return int(m.group(1))
    return None


@dataclass(frozen=True)
class SuiteProblem:
    """A problem of a suite; its metadata carries the level inferred from its folder."""

    info: ProblemInfo

    @property
    def path(self) -> Path:
        return self.info.path

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def level(self) -> int | None:
        return self.info.level

    @property
    def tags(self) -> list[str]:
        return list(self.info.meta.tags)


@dataclass(frozen=True)
class Suite:
    name: str
    problems: list[SuiteProblem]
    # The YAML file's shape set, if it names one; the command line's --shape wins.
    shape: str | None = None


class SuiteFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    levels: list[int] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    names: list[str] = Field(default_factory=list)

    def accepts(self, p: SuiteProblem) -> bool:
        if self.levels and p.level not in self.levels:
            return False
        if self.tags and not set(self.tags) & set(p.tags):
            return False
        return not self.names or any(fnmatch.fnmatchcase(p.name, pat) for pat in self.names)


class SuiteFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    shape: str | None = None
    problems: list[str] = Field(default_factory=lambda: ["all"])
    filters: SuiteFilters = Field(default_factory=SuiteFilters)


def _read(paths: list[Path]) -> list[SuiteProblem]:
    out = []
    for path in paths:
        try:
            info = read_problem(path)
        except ProblemError as e:
            raise SuiteError(str(e)) from None
        if info.meta.level is None:
            info.meta = info.meta.model_copy(update={"level": problem_level(info)})
        out.append(SuiteProblem(info=info))
    return out


def _bundled() -> list[SuiteProblem]:
    return _read(find_problems(bundled_problems_dir()))


def _from_folder(folder: Path) -> list[SuiteProblem]:
    paths = find_problems(folder)
    if not paths:
        raise SuiteError(f"{folder}: no problem files (*.py) in this folder")
    return _read(paths)


def _resolve_spec(
    spec: str, base: Path | None, allow_yaml: bool
) -> tuple[list[SuiteProblem], Suite | None]:
    path = Path(spec)
    if base is not None and not path.is_absolute() and (base / path).exists():
        path = base / path
    if path.exists():
        if path.suffix in (".yaml", ".yml"):
            if not allow_yaml:
                raise SuiteError(f"{spec}: a YAML suite cannot include another YAML suite")
            suite = _from_yaml(path)
            return suite.problems, suite
        if path.is_dir():
            return _from_folder(path), None
        return _read([path]), None
    if spec == "all":
        return _bundled(), None
    if _LEVEL_DIR.match(spec):
        folder = bundled_problems_dir() / spec
        if not folder.is_dir():
            raise SuiteError(f"{spec}: no bundled level of that name")
        return _from_folder(folder), None
    if spec.startswith("tag:"):
        tag = spec.removeprefix("tag:")
        everything = _bundled()
        tagged = [p for p in everything if tag in p.tags]
        if not tagged:
            known = sorted({t for p in everything for t in p.tags})
            raise SuiteError(
                f"{spec}: no bundled problem has tag {tag!r}; known tags: {', '.join(known)}"
            )
        return tagged, None
    try:
        return _read([resolve_problem(spec)]), None
    except ProblemError:
        raise SuiteError(
            f"{spec}: not a file or folder, and not a suite name (all, levelN, tag:NAME or "
            "a bundled problem's name)"
        ) from None


def _from_yaml(path: Path) -> Suite:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise SuiteError(f"{path}: cannot read suite file ({str(e).splitlines()[0]})") from None
    try:
        spec = SuiteFile.model_validate(raw or {})
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "top level"
        raise SuiteError(f"{path}: bad suite file at {where}: {first['msg']}") from None
    problems: list[SuiteProblem] = []
    for entry in spec.problems:
        problems.extend(_resolve_spec(entry, path.parent, allow_yaml=False)[0])
    return Suite(
        name=spec.name or path.stem,
        problems=[p for p in _dedupe(problems) if spec.filters.accepts(p)],
        shape=spec.shape,
    )


def _dedupe(problems: list[SuiteProblem]) -> list[SuiteProblem]:
    seen: set[Path] = set()
    out = []
    for p in problems:
        key = p.path.resolve()
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def resolve_suite(spec: str) -> Suite:
    """The problems of a SUITE argument, in a stable order, each once."""
    problems, suite = _resolve_spec(spec, None, allow_yaml=True)
    problems = _dedupe(problems)
    if not problems:
        raise SuiteError(f"{spec}: the suite has no problems")
    names = [p.name for p in problems]
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes and len({(p.level, p.name) for p in problems}) < len(problems):
        raise SuiteError(
            f"{spec}: several problems share a name and level ({', '.join(clashes)}); "
            "rename them or set distinct KERNELWRIGHT names"
        )
    return Suite(
        name=suite.name if suite else spec,
        problems=problems,
        shape=suite.shape if suite else None,
    )
