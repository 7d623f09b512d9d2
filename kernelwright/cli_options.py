"""Values the command-line flags accept, checked when the command line is parsed: a bad value
is a usage error (one line, exit status 2) before any work starts, never a verdict on a
candidate or an internal error later. Light on purpose: ``--help`` imports this."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Literal

import typer

from kernelwright.problem import ProblemInfo

Sandbox = Literal["auto", "subprocess", "bwrap", "docker"]
ExecutorKind = Literal["local", "ray"]

_DEVICE = re.compile(r"auto|cpu|cuda(:\d+)?")


def device(value: str | None) -> str | None:
    if value is not None and not _DEVICE.fullmatch(value):
        raise typer.BadParameter(f"{value!r}: choose auto, cpu, cuda or cuda:N")
    return value


def positive_seconds(value: float | None) -> float | None:
    if value is not None and not (math.isfinite(value) and value > 0):
        raise typer.BadParameter(f"{value:g}: give a positive number of seconds")
    return value


def positive(value: float | None) -> float | None:
    if value is not None and not (math.isfinite(value) and value > 0):
        raise typer.BadParameter(f"{value:g}: give a positive number")
    return value


def percent(value: float | None) -> float | None:
    if value is not None and not (math.isfinite(value) and 0 < value <= 100):
        raise typer.BadParameter(f"{value:g}: give a percentage above 0, at most 100")
    return value


def non_negative(value: float | None) -> float | None:
    if value is not None and not (math.isfinite(value) and value >= 0):
        raise typer.BadParameter(f"{value:g}: give a number of at least 0")
    return value


def file_in_existing_folder(value: Path | None) -> Path | None:
    """A file to write: its folder must be there (a typo should not cost a whole run)."""
    if value is not None and not value.parent.is_dir():
        raise typer.BadParameter(f"{value}: no folder {value.parent} to write it in")
    return value


def shape_error(info: ProblemInfo, shape: str | None, drawn: bool = False) -> str | None:
    """Why ``--shape`` cannot be used with this problem, or None when it can. ``drawn``: a
    check, which also draws its own shapes (the held-out one; the many-tiles and divisible
    ones where the problem has them)."""
    if shape is None:
        return None
    known = [*info.shape_names, "default"]
    if drawn and shape in ("heldout", "tiles", "even"):
        from kernelwright.problem import even_shape_missing, has_tiles_shape

        known.append("heldout")
        if has_tiles_shape(info):
            known.append("tiles")
        if even_shape_missing(info) is None:
            known.append("even")
    if shape in known:
        return None
    return f"--shape {shape}: {info.name} has no such shape set (it has: {', '.join(known)})"
