"""Input validation shared by the theory modules: one layer, used by every public function and class.

Conventions (as scikit-learn's ``Interval``/``StrOptions``, kept small): every check takes the value and the
argument's ``name`` and returns the value in canonical form (a float, an int, a float array, a string) or raises

- ``TypeError`` when the value is of the wrong kind (a string where a number is expected, ``None``, an object of
  another class, a ragged list), and
- ``ValueError`` when it is of the right kind but out of range (NaN or inf where a finite value is assumed, a
  negative step, a probability above 1, a wrong shape),

with a message that names the argument, states the valid range and shows the value given. Nothing downstream
then has to produce a silent NaN, a hang or a wrong number from bad input.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "as_finite_array",
    "finite_result",
    "in_interval",
    "instance_of",
    "integer_at_least",
    "integer_in",
    "option",
    "positive",
    "probability_vectors",
    "rng_from",
    "scalar",
    "seed_sequence_from",
]


def _as_array(x: Any, name: str, dtype: type = float) -> NDArray:
    """``np.asarray(x, dtype)`` with the numpy errors (strings, ragged lists, objects) turned into ours."""
    if x is None:
        raise TypeError(f"{name} must be numeric (an array or a number); got None")
    if isinstance(x, str | bytes):
        raise TypeError(f"{name} must be numeric (an array or a number); got the string {x!r}")
    try:
        arr = np.asarray(x, dtype=dtype)
    except (TypeError, ValueError) as e:
        kind = "a ragged (inhomogeneous) sequence" if "inhomogeneous" in str(e) else f"{type(x).__name__} {x!r:.60}"
        raise TypeError(f"{name} must be numeric (an array or a number); got {kind}") from None
    return arr


def as_finite_array(
    x: ArrayLike,
    name: str,
    dtype: type = float,
    *,
    ndim: int | Sequence[int] | None = None,
    min_size: int = 0,
    allow_inf: bool = False,
) -> NDArray:
    """``x`` as an array; NaN is never allowed, inf only with ``allow_inf``; optionally of ``ndim`` dimensions and
    at least ``min_size`` entries."""
    arr = _as_array(x, name, dtype)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-d" for d in allowed)
            raise ValueError(f"{name} must be {want}; got shape {arr.shape}")
    if arr.size < min_size:
        raise ValueError(f"{name} must have at least {min_size} entries; got {arr.size} (shape {arr.shape})")
    if arr.dtype.kind in "fc":
        # the common case (all finite) costs one pass and no mask; the mask is built only for the message
        valid = not np.isnan(arr).any() if allow_inf else np.isfinite(arr).all()
        if not valid:
            bad = np.isnan(arr) if allow_inf else ~np.isfinite(arr)
            what = "must not be NaN" if allow_inf else "must be finite (no NaN or inf)"
            raise ValueError(f"{name} {what}; got {_preview(arr[bad])}")
    return arr


def in_interval(
    x: ArrayLike,
    name: str,
    lo: float = -np.inf,
    hi: float = np.inf,
    lo_open: bool = False,
    hi_open: bool = False,
    *,
    allow_inf: bool = False,
) -> NDArray:
    """``x`` as a float array after checking every entry is finite (unless ``allow_inf``) and in the interval."""
    arr = as_finite_array(x, name, allow_inf=allow_inf)
    if not arr.size:
        return arr
    # one reduction per finite (or open) bound, none for an infinite closed one; the masks only for the message
    out = (lo > -np.inf or lo_open) and (arr.min() <= lo if lo_open else arr.min() < lo)
    out = out or ((hi < np.inf or hi_open) and (arr.max() >= hi if hi_open else arr.max() > hi))
    if out:
        below = arr <= lo if lo_open else arr < lo
        above = arr >= hi if hi_open else arr > hi
        raise ValueError(
            f"{name} must lie in {_interval(lo, hi, lo_open, hi_open)}; got {_preview(arr[below | above])}"
        )
    return arr


def scalar(
    x: Any,
    name: str,
    lo: float = -np.inf,
    hi: float = np.inf,
    lo_open: bool = False,
    hi_open: bool = False,
    *,
    allow_inf: bool = False,
) -> float:
    """A single finite number (a 0-d or one-entry array is accepted) in the interval; returns a float."""
    if isinstance(x, bool):
        raise TypeError(f"{name} must be a number in {_interval(lo, hi, lo_open, hi_open)}; got the bool {x!r}")
    if type(x) is float or type(x) is np.float64:  # the common case without an array; anything else, and every
        v = float(x)  # value that fails, takes the general path below (which words the message)
        if (v > lo if lo_open else v >= lo) and (v < hi if hi_open else v <= hi) and (allow_inf or math.isfinite(v)):
            return v
    arr = _as_array(x, name)
    if arr.size != 1:
        raise ValueError(f"{name} must be a single number; got an array of shape {arr.shape}")
    return float(in_interval(arr.reshape(()), name, lo, hi, lo_open, hi_open, allow_inf=allow_inf))


def positive(x: ArrayLike, name: str) -> NDArray:
    """Strictly positive and finite."""
    return in_interval(x, name, lo=0.0, lo_open=True)


def integer_at_least(x: Any, name: str, minimum: int) -> int:
    """A Python/numpy integer >= ``minimum`` (bools and floats are rejected)."""
    return integer_in(x, name, minimum, None)


def integer_in(x: Any, name: str, lo: int, hi: int | None) -> int:
    """A Python/numpy integer in [lo, hi] (``hi=None``: no upper limit); bools and floats are rejected."""
    rng = f">= {lo}" if hi is None else f">= {lo} and <= {hi}"
    if isinstance(x, bool) or not isinstance(x, int | np.integer):
        raise TypeError(f"{name} must be an integer {rng}; got {type(x).__name__} {x!r:.60}")
    if x < lo or (hi is not None and x > hi):
        raise ValueError(f"{name} must be an integer {rng}; got {x}")
    return int(x)


def option(x: Any, name: str, choices: Sequence[str]) -> str:
    """One of the string ``choices``."""
    if not isinstance(x, str):
        raise TypeError(f"{name} must be one of {', '.join(map(repr, choices))}; got {type(x).__name__} {x!r:.60}")
    if x not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {x!r}")
    return x


def instance_of(x: Any, name: str, cls: type | tuple[type, ...]) -> Any:
    """An object of the expected class (e.g. a ``Policy``, a ``BernoulliBandit``)."""
    if not isinstance(x, cls):
        names = " or ".join(c.__name__ for c in (cls if isinstance(cls, tuple) else (cls,)))
        raise TypeError(f"{name} must be a {names}; got {type(x).__name__}")
    return x


def rng_from(seed: Any, name: str = "rng") -> np.random.Generator:
    """A Generator from what ``numpy.random.default_rng`` accepts (None, an int >= 0, a sequence of them, a
    SeedSequence, a BitGenerator or a Generator), and nothing else."""
    if isinstance(seed, bool) or isinstance(seed, float | str | bytes):
        raise TypeError(
            f"{name} must be None, an integer >= 0, a SeedSequence or a numpy Generator; got {type(seed).__name__} "
            f"{seed!r:.60}"
        )
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError) as e:
        raise (TypeError if isinstance(e, TypeError) else ValueError)(
            f"{name} must be None, an integer >= 0, a SeedSequence or a numpy Generator; got {type(seed).__name__} "
            f"{seed!r:.60}"
        ) from None


def seed_sequence_from(seed: Any, name: str = "seed") -> np.random.SeedSequence:
    """A SeedSequence from a SeedSequence, None or an integer >= 0 (what a simulation's ``seed`` accepts)."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
        raise TypeError(
            f"{name} must be None, an integer >= 0 or a SeedSequence; got {type(seed).__name__} {seed!r:.60}"
        )
    if seed is not None and seed < 0:
        raise ValueError(f"{name} must be None, an integer >= 0 or a SeedSequence; got {seed}")
    return np.random.SeedSequence(None if seed is None else int(seed))


def probability_vectors(p: ArrayLike, name: str, atol: float = 1e-9) -> NDArray:
    """Rows (last axis) must be non-negative and sum to 1 within ``atol``."""
    arr = as_finite_array(p, name)
    if arr.ndim == 0:
        raise ValueError(f"{name} must have at least one axis (a probability vector)")
    if arr.shape[-1] == 0:
        raise ValueError(f"{name} must have at least one entry along its last axis; got shape {arr.shape}")
    if np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative; got a minimum of {arr.min():g}")
    if np.any(arr > 1.0 + atol):  # before summing: entries of 1e308 would overflow the sum
        raise ValueError(f"{name} must hold probabilities in [0, 1] summing to 1; got an entry of {arr.max():g}")
    sums = arr.sum(axis=-1)
    if np.any(np.abs(sums - 1.0) > atol):
        worst = sums.flat[np.argmax(np.abs(sums - 1.0))]
        raise ValueError(f"{name} must sum to 1 along its last axis (within {atol:g}); got {worst!r}")
    return arr


def finite_result(value: ArrayLike, what: str, names: str) -> NDArray:
    """``value`` (a computed result) if finite; else a ValueError naming the arguments that made it overflow."""
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(
            f"{what} is not representable in float64 for these {names} (it overflows); got {_preview(arr)}"
        )
    return arr


def _interval(lo: float, hi: float, lo_open: bool, hi_open: bool) -> str:
    def f(v: float) -> str:
        return "inf" if v == math.inf else "-inf" if v == -math.inf else f"{v:g}"

    return f"{'(' if lo_open or lo == -math.inf else '['}{f(lo)}, {f(hi)}{')' if hi_open or hi == math.inf else ']'}"


def _preview(arr: NDArray, k: int = 3) -> str:
    flat = np.ravel(arr)
    if flat.size == 0:
        return "an empty array"
    shown = ", ".join(f"{v:g}" for v in flat[:k])
    return f"[{shown}{', ...' if flat.size > k else ''}]" if flat.size != 1 else f"{flat[0]:g}"
