"""Code normalisation, exact hashes and MinHash near-duplicate detection, for kernels and
problems.

Two kernels are exact duplicates when their normalised code is equal: comments, docstrings
and formatting removed (``ast.unparse`` of the tree without docstrings). They are near
duplicates when the Jaccard similarity of their 5-token shingles, estimated by MinHash,
reaches a threshold: renamed variables or a changed block size leave most shingles intact.
"""

from __future__ import annotations

import ast
import hashlib
import io
import tokenize
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np

from kernelwright import pyast

SHINGLE = 5
NUM_PERM = 128
# Universal hashing (a*x + b) mod P with P the Mersenne prime 2^31 - 1 and x, a, b < P: the
# product stays below 2^62, so uint64 arithmetic is exact and each permutation is a true one.
_P = np.uint64((1 << 31) - 1)
_SEED = 20240611

T = TypeVar("T")


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                node.body = body[1:] or [ast.Pass()]
    return tree


def normalise_code(code: str) -> str:
    """Code without comments, docstrings or formatting; whitespace-collapsed text when the
    code does not parse (a failed answer can be any text)."""
    try:
        tree = pyast.parse(code)
    except (SyntaxError, ValueError):
        return " ".join(code.split())
    return ast.unparse(_strip_docstrings(tree))


def problem_text(source: str) -> str:
    """What a problem computes, for comparing problems: its normalised classes and functions
    other than the input factories. Sizes, imports and comments are left out, so a copy with
    other sizes matches, while two ops written from the same template do not."""
    try:
        tree = pyast.parse(source)
    except (SyntaxError, ValueError):
        return normalise_code(source)
    body = [
        node
        for node in tree.body
        if isinstance(node, (ast.ClassDef, ast.FunctionDef))
        and node.name not in ("get_inputs", "get_init_inputs")
    ]
    return ast.unparse(_strip_docstrings(ast.Module(body=body, type_ignores=[])))


def code_hash(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def tokens(text: str) -> list[str]:
    """Python tokens of normalised code (no comments, no layout); words when it won't tokenize."""
    skip = {
        tokenize.COMMENT,
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENDMARKER,
        tokenize.ENCODING,
    }
    try:
        return [
            t.string
            for t in tokenize.generate_tokens(io.StringIO(text).readline)
            if t.type not in skip
        ]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return text.split()


def _permutations() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(_SEED)
    a = rng.integers(1, int(_P), size=NUM_PERM, dtype=np.uint64)
    b = rng.integers(0, int(_P), size=NUM_PERM, dtype=np.uint64)
    return a, b


_A, _B = _permutations()


def minhash(text: str) -> np.ndarray:
    """MinHash signature (NUM_PERM uint64) of the token shingles of ``text``."""
    toks = tokens(text)
    if len(toks) < SHINGLE:
        toks = toks + [""] * (SHINGLE - len(toks))
    shingles = {" ".join(toks[i : i + SHINGLE]) for i in range(len(toks) - SHINGLE + 1)}
    hashes = np.array(
        [
            int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "little") % int(_P)
            for s in sorted(shingles)
        ],
        dtype=np.uint64,
    )
    return ((_A[None, :] * hashes[:, None] + _B[None, :]) % _P).min(axis=0)


def similarity(sig: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of one signature to each row of ``others``."""
    if len(others) == 0:
        return np.zeros(0)
    return (others == sig[None, :]).mean(axis=1)


def select_unique(
    items: Sequence[T],
    code: Callable[[T], str],
    threshold: float,
) -> tuple[list[T], dict[int, tuple[int, str]]]:
    """Keep the first of every group of duplicates, in the order given (best first).

    Returns the kept items and, for each dropped index, (index of the item it duplicates,
    "exact" or "near").
    """
    kept: list[int] = []
    kept_sigs: list[np.ndarray] = []
    by_hash: dict[str, int] = {}
    dropped: dict[int, tuple[int, str]] = {}
    for i, item in enumerate(items):
        norm = normalise_code(code(item))
        h = hashlib.sha256(norm.encode()).hexdigest()
        if h in by_hash:
            dropped[i] = (by_hash[h], "exact")
            continue
        sig = minhash(norm)
        sims = similarity(sig, np.array(kept_sigs))
        if len(sims) and sims.max() >= threshold:
            dropped[i] = (kept[int(sims.argmax())], "near")
            continue
        by_hash[h] = i
        kept.append(i)
        kept_sigs.append(sig)
    return [items[i] for i in kept], dropped
