"""Input validation shared by the theory modules.

Every public function validates its arguments with these helpers so that bad input raises a
``ValueError`` that names the argument and the valid range, instead of returning NaN.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def as_finite_array(x: ArrayLike, name: str, dtype: type = float) -> NDArray:
    """Return ``x`` as an array, raising if it holds NaN or inf."""
    arr = np.asarray(x, dtype=dtype)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf); got {_preview(arr)}")
    return arr


def in_interval(
    x: ArrayLike,
    name: str,
    lo: float = -np.inf,
    hi: float = np.inf,
    lo_open: bool = False,
    hi_open: bool = False,
) -> NDArray:
    """Return ``x`` as a float array after checking every entry lies in the given interval."""
    arr = as_finite_array(x, name) if np.isfinite(lo) or np.isfinite(hi) else np.asarray(x, float)
    below = arr <= lo if lo_open else arr < lo
    above = arr >= hi if hi_open else arr > hi
    if np.any(below) or np.any(above):
        interval = f"{'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
        bad = arr[below | above]
        raise ValueError(f"{name} must lie in {interval}; got {_preview(bad)}")
    return arr


def positive(x: ArrayLike, name: str) -> NDArray:
    """Strictly positive and finite."""
    return in_interval(x, name, lo=0.0, lo_open=True)


def integer_at_least(x: int, name: str, minimum: int) -> int:
    """A Python/numpy integer >= ``minimum`` (bools are rejected)."""
    if isinstance(x, bool) or not isinstance(x, int | np.integer):
        raise ValueError(f"{name} must be an integer >= {minimum}; got {x!r}")
    if x < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {x}")
    return int(x)


def probability_vectors(p: ArrayLike, name: str, atol: float = 1e-9) -> NDArray:
    """Rows (last axis) must be non-negative and sum to 1 within ``atol``."""
    arr = as_finite_array(p, name)
    if arr.ndim == 0:
        raise ValueError(f"{name} must have at least one axis (a probability vector)")
    if np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative; got a minimum of {arr.min():g}")
    sums = arr.sum(axis=-1)
    if np.any(np.abs(sums - 1.0) > atol):
        worst = sums.flat[np.argmax(np.abs(sums - 1.0))]
        raise ValueError(f"{name} must sum to 1 along its last axis (within {atol:g}); got {worst!r}")
    return arr


def _preview(arr: NDArray, k: int = 3) -> str:
    flat = np.ravel(arr)
    shown = ", ".join(f"{v:g}" for v in flat[:k])
    return f"[{shown}{', ...' if flat.size > k else ''}]" if flat.size != 1 else f"{flat[0]:g}"
