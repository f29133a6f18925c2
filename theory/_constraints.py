"""Argument constraints as data: each public function declares what it accepts, next to its signature.

Conventions (in the spirit of scikit-learn's ``sklearn.utils._param_validation``: ``Interval``, ``StrOptions``,
``validate_params``). A constraint is a small frozen object with

- ``check(value, name, checked)``: the value in canonical form (a float, an int, a float or int array, a string),
  or a ``TypeError`` (wrong kind) / ``ValueError`` (right kind, out of range) whose message names the argument,
  states the valid range and shows the value given (the messages of ``theory._checks``, which does the work);
  ``checked`` holds the canonical values of the arguments declared before it, for relations between arguments
  (labels in [0, K) for the K of ``scores``);
- ``invalid(valid, name)``: values of the argument ``name`` that must be rejected, given one valid call ``valid``
  (a dict of arguments), for the generated test (outside the interval, NaN and inf, the wrong type, a container
  for a scalar, a string, an empty or ragged array, a shape that does not fit a partner argument);
- ``extremes(valid, name)``: valid values at the edges of the range (of the valid value's shape where shape
  matters), which must give a finite answer without a warning.

``constrained(**constraints)`` applies them at the top of a function, in the order they are declared (so that a
relation can name an argument declared before it), and passes the canonical values on; the declared constraints
stay readable as ``function.__constraints__``. ``record(**constraints)``, below ``@dataclass``, does the same for a
class's fields in ``__post_init__`` (input objects such as distributions and environments, and every result
record), keeping them as ``cls.__constraints__``; ``Bools``, ``Integers``, ``Each``, ``MappingOf`` and ``Function``
are the constraints of record fields, and ``allow_inf=True`` on ``Real``/``Reals`` marks a field or argument where
inf is a documented value (NaN never is).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from theory._checks import (
    as_finite_array,
    in_interval,
    instance_of,
    integer_in,
    option,
    probability_vectors,
    rng_from,
    scalar,
)

__all__ = [
    "Bools",
    "ClassLabels",
    "Constraint",
    "DataBatch",
    "Distributions",
    "Each",
    "Flag",
    "Function",
    "InstanceOf",
    "Integer",
    "Integers",
    "Labels",
    "MappingOf",
    "Matrix",
    "OnlyFor",
    "Optional",
    "Options",
    "ProbabilityRows",
    "Real",
    "Reals",
    "SPDMatrix",
    "SampleWeights",
    "Scores",
    "Seed",
    "SignLabels",
    "Tensor",
    "Weights",
    "checked_fields",
    "constrain_fields",
    "constrained",
    "record",
]

# Values no numeric argument accepts: each must raise a TypeError or a ValueError naming the argument.
NOT_A_NUMBER: tuple[Any, ...] = (None, "1", b"1", object(), True)


class Constraint:
    """What one argument accepts (see the module's conventions)."""

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> Any:
        raise NotImplementedError

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        raise NotImplementedError

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return []


@dataclass(frozen=True)
class _Interval(Constraint):
    """Shared by ``Real`` and ``Reals``: the interval, the values just outside it and the valid values at its edges."""

    lo: float = -math.inf
    hi: float = math.inf
    lo_open: bool = False
    hi_open: bool = False
    # ``allow_inf``: +-inf is a value (a diverged training loss, the limit of f' at infinity); NaN never is
    allow_inf: bool = False

    def _outside(self) -> list[float]:
        out: list[float] = []
        if math.isfinite(self.lo):
            out += ([self.lo] if self.lo_open else []) + [self.lo - max(1.0, abs(self.lo))]
        if math.isfinite(self.hi):
            out += ([self.hi] if self.hi_open else []) + [self.hi + max(1.0, abs(self.hi))]
        return out

    def _finite_only(self, values: list[Any]) -> list[Any]:
        """Where inf is allowed, drop the generated infinities that lie in the interval (they are valid then)."""
        if not self.allow_inf:
            return values
        return [v for v in values if not (_holds_inf(v) and _accepts(self, v))]

    def _edges(self) -> tuple[float, float]:
        lo = self.lo if math.isfinite(self.lo) else -1e300
        hi = self.hi if math.isfinite(self.hi) else 1e300
        return (np.nextafter(lo, math.inf) if self.lo_open else lo, np.nextafter(hi, -math.inf) if self.hi_open else hi)

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return list(self._edges())


@dataclass(frozen=True)
class Real(_Interval):
    """A single finite number in an interval (a 0-d or one-entry array is accepted); canonical form: a float."""

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> float:
        return scalar(value, name, self.lo, self.hi, self.lo_open, self.hi_open, allow_inf=self.allow_inf)

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        out = [*NOT_A_NUMBER, math.nan, math.inf, -math.inf, [1.0, 2.0], np.ones(3), *self._outside()]
        return self._finite_only(out)


def _holds_inf(v: Any) -> bool:
    """Whether a generated value is (or holds) an infinity; False for what is not numeric."""
    try:
        return bool(np.any(np.isinf(np.asarray(v, dtype=float))))
    except (TypeError, ValueError):
        return False


def _accepts(c: Constraint, v: Any) -> bool:
    """Whether the interval ``c`` accepts ``v`` on its own (its relations to other arguments left out)."""
    plain = dataclasses.replace(c, **{k: None for k in ("like", "rows_of") if hasattr(c, k)})
    try:
        plain.check(v, "x", {})
    except (TypeError, ValueError):
        return False
    return True


def _broadcast_with(arr: np.ndarray, name: str, like: str | None, checked: dict[str, Any]) -> None:
    """The shape relation ``like``: ``arr`` must broadcast against the earlier argument ``like``; the message names
    both arguments and both shapes (numpy's own message names neither)."""
    if like is None:
        return
    other = np.shape(checked[like])
    try:
        np.broadcast_shapes(arr.shape, other)
    except ValueError:
        raise ValueError(f"{name} (shape {arr.shape}) must broadcast against {like} (shape {other})") from None


def _mismatched(valid: dict[str, Any], like: str | None) -> list[Any]:
    """An array whose shape cannot broadcast against ``valid[like]`` (nothing when ``like`` is a scalar)."""
    shape = np.shape(valid[like]) if like in valid else ()
    if all(n == 1 for n in shape):  # a scalar or all-ones shape broadcasts against every shape
        return []
    n = shape[-1] if shape[-1] > 1 else max(shape)
    return [np.full(n + 1, 0.5 / (n + 1))]


@dataclass(frozen=True)
class Reals(_Interval):
    """A number or an array of numbers, every entry finite and in an interval (bools rejected: a flag is not a
    horizon); canonical form: a float array of the input's shape.

    ``min_len``: at least that many entries along the last axis (so at least one axis), for a vector per row;
    ``like``: the name of an earlier argument the array must broadcast against; ``rows_of``: the name of an earlier
    (m, K) batch, one value per row: a number or an array of shape (m,) (a per-example temperature, say)."""

    min_len: int = 0
    like: str | None = None
    rows_of: str | None = None

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> np.ndarray:
        if isinstance(value, bool | np.bool_) or (isinstance(value, np.ndarray) and value.dtype == bool):
            raise TypeError(f"{name} must be numeric (an array or a number); got booleans {value!r:.40}")
        arr = in_interval(value, name, self.lo, self.hi, self.lo_open, self.hi_open, allow_inf=self.allow_inf)
        if self.min_len and (arr.ndim == 0 or arr.shape[-1] < self.min_len):
            raise ValueError(f"{name} must have at least {self.min_len} entries along its last axis; got {arr.shape}")
        _broadcast_with(arr, name, self.like, checked)
        if self.rows_of is not None and arr.ndim and arr.shape != (len(checked[self.rows_of]),):
            m = len(checked[self.rows_of])
            raise ValueError(
                f"{name} must be a number or hold one value per row of {self.rows_of} (shape ({m},)); "
                f"got shape {arr.shape}"
            )
        return arr

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        # each value outside the interval also inside an array whose other entry is valid (checked entry by entry)
        lo, _ = self._edges()
        out: list[Any] = [*NOT_A_NUMBER, math.nan, [1.0, math.inf], -math.inf, [[1.0, 2.0], [3.0]], np.array([True])]
        out += [v for x in self._outside() for v in ([x] * max(1, self.min_len), [lo, x] * max(1, self.min_len))]
        # an empty array is invalid only where entries are required (min_len); elsewhere a vectorised function
        # returns an empty result, which the generated extremes check (so that results compose: f(x[mask]))
        out += ([np.array([])] if self.min_len else []) + ([np.zeros(self.min_len - 1)] if self.min_len > 1 else [])
        out += ([] if math.isfinite(self.hi) else [math.inf]) + _mismatched(valid, self.like)
        if self.rows_of is not None:  # one value too many (and a column) for the partner's rows
            m = len(np.atleast_2d(np.asarray(valid[self.rows_of], dtype=float)))
            out += [np.full(m + 1, lo), np.full((m, 1), lo)]
        return self._finite_only(out)

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        lo, hi = self._edges()
        if not (self.min_len or self.like or self.rows_of):
            return [lo, hi, np.array([lo, min(hi, 10.0 * max(1.0, abs(lo)))]), np.array([])]
        # arrays of the valid value's own shape (or the partner's), so that every shape relation still holds
        shape = np.shape(valid[name]) if name in valid else np.shape(valid[self.like]) if self.like else ()
        if self.rows_of is not None and not shape:
            shape = (len(np.atleast_2d(np.asarray(valid[self.rows_of], dtype=float))),)
        shape = shape or (max(2, self.min_len),)
        mixed = np.full(shape, min(hi, 10.0 * max(1.0, abs(lo))))
        mixed[..., 0] = lo
        return [np.full(shape, lo), np.full(shape, hi), mixed]


@dataclass(frozen=True)
class Integer(Constraint):
    """A Python or numpy integer in [lo, hi] (``hi=None``: no upper limit); bools and floats are rejected.

    ``costly``: the work grows with the value (a horizon, a number of replicates), so the generated extremes stop at
    ``lo``: ``hi`` is a valid call that takes as long as it takes, and a time box would measure the machine, not the
    code (``hi + 1`` is still generated as invalid)."""

    lo: int
    hi: int | None = None
    costly: bool = False

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> int:
        return integer_in(value, name, self.lo, self.hi)

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        out: list[Any] = [*NOT_A_NUMBER, 1.5, float(self.lo), math.nan, [self.lo], self.lo - 1]
        return out + ([self.hi + 1] if self.hi is not None else [])

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [self.lo] + ([self.hi] if self.hi is not None and not self.costly else [])


@dataclass(frozen=True)
class Options(Constraint):
    """One of a few strings."""

    choices: tuple[str, ...]

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> str:
        return option(value, name, self.choices)

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [None, 1, "", "no such option", self.choices[0].upper() + "?", [self.choices[0]]]


@dataclass(frozen=True)
class Scores(Constraint):
    """A batch of score vectors: finite floats of shape (m, K) or (K,) (one vector), K classes in [2, max_classes];
    canonical form: a float array of shape (m, K)."""

    max_classes: int

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> np.ndarray:
        f = np.atleast_2d(as_finite_array(value, name, ndim=(1, 2)))
        if not 2 <= f.shape[1] <= self.max_classes:
            raise ValueError(
                f"{name} must have K classes with 2 <= K <= {self.max_classes} along the last axis; got {f.shape[1]}"
            )
        return f

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [
            *NOT_A_NUMBER,
            1.0,
            [[1.0, 2.0], [3.0]],
            np.array([[math.nan, 0.0]]),
            np.array([[math.inf, 0.0]]),
            np.zeros((1, 1)),
            np.zeros((1, self.max_classes + 1)),
            np.zeros((1, 2, 2)),
            np.array([]),
        ]

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [np.array([[1e4, -1e4, 0.0]]), np.array([[1e-300, 0.0, -1e-300]])]


@dataclass(frozen=True)
class Labels(Constraint):
    """Integer class labels, one per row of the score batch ``of`` (declared before), each in [0, K); integral
    floats are accepted; canonical form: an int array of shape (m,)."""

    of: str

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> np.ndarray:
        m, K = checked[self.of].shape
        yy = np.atleast_1d(as_finite_array(value, name))
        if yy.shape != (m,) or np.any(yy != np.round(yy)):
            raise ValueError(f"{name} must hold {m} integer labels (one per score vector); got {np.shape(value)}")
        if np.any((yy < 0) | (yy >= K)):
            raise ValueError(f"{name} must hold labels in [0, {K - 1}]; got values from {yy.min():g} to {yy.max():g}")
        return yy.astype(int)

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        m, K = np.atleast_2d(np.asarray(valid[self.of], dtype=float)).shape
        return [None, "0", [-1] * m, [K] * m, [0.5] * m, [0] * (m + 1), [math.nan] * m, np.zeros((m, 1))]

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        m, K = np.atleast_2d(np.asarray(valid[self.of], dtype=float)).shape
        return [[0] * m, [K - 1] * m]


@dataclass(frozen=True)
class ProbabilityRows(Constraint):
    """Label distributions, one per row of the score batch ``like`` (declared before) and of its shape: non-negative
    rows summing to 1 (within 1e-9); canonical form: a float array of shape (m, K)."""

    like: str

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> np.ndarray:
        P = probability_vectors(np.atleast_2d(value) if value is not None else value, name)
        if P.shape != checked[self.like].shape:
            raise ValueError(f"{name} must have the shape of {self.like} {checked[self.like].shape}; got {P.shape}")
        return P

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        m, K = np.atleast_2d(np.asarray(valid[self.like], dtype=float)).shape
        u = np.full((m, K), 1.0 / K)
        return [None, "p", u * 2, -u, u + math.nan, np.full((m, K + 1), 1.0 / (K + 1)), [[1.0], [0.0, 1.0]]]

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        m, K = np.atleast_2d(np.asarray(valid[self.like], dtype=float)).shape
        one_hot = np.zeros((m, K))
        one_hot[:, 0] = 1.0
        return [one_hot]


@dataclass(frozen=True)
class Distributions(Constraint):
    """Probability vectors along the last axis (any leading axes): finite, non-negative, each summing to 1 within
    1e-9, with at least ``min_len`` entries; ``positive``: every entry > 0 (full support); ``like``: an earlier
    argument the array must broadcast against. Canonical form: a float array of the input's shape."""

    min_len: int = 2
    positive: bool = False
    like: str | None = None

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> np.ndarray:
        if isinstance(value, str | bytes) or value is None:
            raise TypeError(f"{name} must be an array of probabilities; got {type(value).__name__} {value!r:.40}")
        P = probability_vectors(value, name)
        if P.shape[-1] < self.min_len:
            raise ValueError(f"{name} must have at least {self.min_len} entries along its last axis; got {P.shape}")
        if self.positive and np.any(P <= 0):
            raise ValueError(f"{name} must be positive everywhere (full support); got a minimum of {P.min():g}")
        _broadcast_with(P, name, self.like, checked)
        return P

    def _k(self, valid: dict[str, Any], name: str | None) -> int:
        for arg in (name, self.like):  # the valid value's own number of entries, else its partner's
            if arg in valid and np.ndim(valid[arg]):
                return int(np.shape(valid[arg])[-1])
        return self.min_len

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        K = self._k(valid, name)
        u = np.full(K, 1.0 / K)
        out: list[Any] = [None, "p", 1.0, u * 2, -u, u + math.nan, np.r_[np.inf, u[1:]], [[1.0], [0.0, 1.0]], []]
        out += [np.array([1.0])] if self.min_len > 1 else []
        out += [np.r_[1.0, np.zeros(K - 1)]] if self.positive else []
        return out + _mismatched(valid, self.like)

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        K = self._k(valid, name)
        tiny = np.full(K, 1e-300)
        tiny[0] = 1.0 - (K - 1) * 1e-300
        return [tiny] + ([] if self.positive else [np.r_[1.0, np.zeros(K - 1)]])


def _reject_non_array(value: Any, name: str, what: str) -> None:
    """A TypeError naming the argument for what numpy would turn into an array silently or unhelpfully: None, a
    string, a single bool (shared by the data-set constraints)."""
    if value is None or isinstance(value, str | bytes | bool | np.bool_):
        raise TypeError(f"{name} must be {what}; got {type(value).__name__} {value!r:.40}")


@dataclass(frozen=True)
class Matrix(Constraint):
    """A data matrix: finite floats of shape (n, d) with n >= ``min_rows`` and d >= ``min_cols``; canonical form: a
    float array. Its extremes are the valid matrix scaled by 1e6 and 1e-6 (features of any scale)."""

    min_rows: int = 1
    min_cols: int = 1

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> np.ndarray:
        _reject_non_array(value, name, "an (n, d) array of numbers")
        A = as_finite_array(value, name, ndim=2)
        if A.shape[0] < self.min_rows or A.shape[1] < self.min_cols:
            raise ValueError(
                f"{name} must be an (n, d) array with n >= {self.min_rows} rows and d >= {self.min_cols} columns; "
                f"got shape {A.shape}"
            )
        return A

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        A = np.asarray(valid[name], dtype=float) if name in valid else np.ones((2, 2))
        bad_nan, bad_inf = A.copy(), A.copy()
        bad_nan[0, 0], bad_inf[-1, -1] = math.nan, math.inf
        return [None, "A", True, 1.0, A[0], A[None], bad_nan, bad_inf, np.zeros((0, A.shape[1])), [[1.0], [1.0, 2.0]]]

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        A = np.asarray(valid[name], dtype=float)
        return [A * 1e6, A * 1e-6]


@dataclass(frozen=True)
class SignLabels(Constraint):
    """Binary labels in {-1, +1}, one per row of the matrix ``rows_of`` (declared before); canonical form: a float
    array of shape (n,)."""

    rows_of: str

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> np.ndarray:
        n = checked[self.rows_of].shape[0]
        if value is None or isinstance(value, str | bytes):
            raise TypeError(
                f"{name} must be an array of labels in {{-1, +1}}; got {type(value).__name__} {value!r:.40}"
            )
        y = as_finite_array(value, name)
        if y.shape != (n,):
            raise ValueError(f"{name} must have shape ({n},), one label per row of {self.rows_of}; got {y.shape}")
        if not np.all((y == 1.0) | (y == -1.0)):
            raise ValueError(f"{name} must hold labels in {{-1, +1}}; got values {np.unique(y)[:5]}")
        return y.astype(float)

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        n = np.shape(valid[self.rows_of])[0]
        return [
            None,
            "y",
            np.zeros(n),
            np.full(n, 0.5),
            np.full(n, 2.0),
            np.ones(n + 1),
            np.ones((n, 1)),
            [math.nan] * n,
        ]

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        n = np.shape(valid[self.rows_of])[0]
        return [np.ones(n), -np.ones(n)]


@dataclass(frozen=True)
class Weights(Constraint):
    """A parameter vector with one entry per column of the matrix ``cols_of`` (declared before): finite, shape (d,),
    or (k, d) for a batch where ``batch``; canonical form: a float array. Extremes: entries of +-1e12 (the step sizes
    the theory talks about produce them)."""

    cols_of: str
    batch: bool = False

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> np.ndarray:
        d = checked[self.cols_of].shape[1]
        _reject_non_array(value, name, "an array of numbers")
        th = as_finite_array(value, name, ndim=(1, 2) if self.batch else 1)
        if th.shape[-1] != d:
            shapes = f"({d},) or (k, {d})" if self.batch else f"({d},)"
            raise ValueError(f"{name} must have shape {shapes}, one entry per column of {self.cols_of}; got {th.shape}")
        return th

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        d = np.shape(valid[self.cols_of])[1]
        out: list[Any] = ["theta", np.zeros(d + 1), np.full(d, math.nan), np.full(d, math.inf), np.zeros((1, 1, d))]
        return out + ([] if self.batch else [np.zeros((2, d))])

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        d = np.shape(valid[self.cols_of])[1]
        return [np.full(d, 1e12), np.full(d, -1e12), np.zeros(d)] + ([np.full((3, d), 1e12)] if self.batch else [])


@dataclass(frozen=True)
class Tensor(Constraint):
    """A finite float array with exactly ``ndim`` axes, at least ``min_size`` entries, and axes tied to earlier
    arguments: ``match`` holds (axis, argument, its axis, offset), meaning shape[axis] == that argument's
    shape[its axis] + offset (a batch of prompts (m, n, d) with its responses (m, n) and queries (m, d); attention
    weights of size d + 1). Canonical form: a float array. Extremes: the valid array x 1e6 and x 1e-6 (data of
    any scale)."""

    ndim: int
    match: tuple[tuple[int, str, int, int], ...] = ()
    min_size: int = 0

    def _expected(self, shape: tuple[int, ...], checked: dict[str, Any]) -> tuple[Any, ...]:
        want: list[Any] = list(shape) if len(shape) == self.ndim else ["?"] * self.ndim
        for axis, arg, other_axis, offset in self.match:
            want[axis] = np.shape(checked[arg])[other_axis] + offset
        return tuple(want)

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> np.ndarray:
        _reject_non_array(value, name, "an array of numbers")
        if isinstance(value, np.ndarray) and value.dtype == bool:
            raise TypeError(f"{name} must be numeric; got booleans")
        arr = as_finite_array(value, name, ndim=self.ndim, min_size=self.min_size)
        want = self._expected(arr.shape, checked)
        if arr.shape != want:
            ties = ", ".join(sorted({arg for _, arg, _, _ in self.match}))
            raise ValueError(f"{name} must have shape {want} to match {ties}; got {arr.shape}")
        return arr

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        arr = np.asarray(valid[name], dtype=float)
        out: list[Any] = [None, "X", True, np.full(arr.shape, math.nan), np.full(arr.shape, math.inf), arr[..., None]]
        out += [np.zeros((0,) * self.ndim)] if self.min_size else []
        for axis, _, _, _ in self.match:  # one tied axis one longer
            shape = list(arr.shape)
            shape[axis] += 1
            out.append(np.zeros(shape))
        return out + ([arr.ravel()[:1]] if self.ndim > 1 else [arr.reshape(1, -1)])

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        arr = np.asarray(valid[name], dtype=float)
        return [arr * 1e6, arr * 1e-6]


@dataclass(frozen=True)
class Flag(Constraint):
    """A bool (Python or numpy); 0/1, strings and None are rejected, so that a misplaced positional argument
    (a count where a flag was meant) is caught."""

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> bool:
        if not isinstance(value, bool | np.bool_):
            raise TypeError(f"{name} must be True or False; got {type(value).__name__} {value!r:.40}")
        return bool(value)

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [None, 1, 0, "True", 1.0, [True]]

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [True, False]


@dataclass(frozen=True)
class SPDMatrix(Constraint):
    """A symmetric positive-definite (d, d) matrix, 1 <= d <= ``max_dim``, symmetric to 1e-10 relative, with
    condition number at most ``max_condition`` (beyond it float64 cannot solve with it to a useful accuracy);
    canonical form: its symmetric part, a float array."""

    max_dim: int
    max_condition: float = 1e12
    like: str | None = None  # an earlier argument whose last axis fixes d (a partner covariance, a mean)

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> np.ndarray:
        if value is None or isinstance(value, str | bytes):
            raise TypeError(f"{name} must be a (d, d) symmetric positive-definite matrix; got {value!r:.40}")
        S = as_finite_array(value, name, ndim=2)
        if S.shape[0] != S.shape[1] or not 1 <= S.shape[0] <= self.max_dim:
            raise ValueError(f"{name} must be a square d x d matrix with 1 <= d <= {self.max_dim}; got {S.shape}")
        if self.like is not None and S.shape[0] != np.shape(checked[self.like])[-1]:
            d = np.shape(checked[self.like])[-1]
            raise ValueError(f"{name} must be {d} x {d} to match {self.like}; got {S.shape}")
        scale = max(1.0, float(np.abs(S).max())) if S.size else 1.0
        if not np.allclose(S, S.T, rtol=1e-10, atol=1e-12 * scale):
            raise ValueError(
                f"{name} must be symmetric; got an asymmetric matrix (max |S - S'| = {np.abs(S - S.T).max():.3g})"
            )
        S = (S + S.T) / 2
        lam = np.linalg.eigvalsh(S / scale) * scale  # scaled, so that entries of 1e300 do not overflow
        if lam.min() <= 0:
            raise ValueError(f"{name} must be positive definite; got eigenvalues down to {lam.min():.3g}")
        if lam.max() / lam.min() > self.max_condition:  # a ratio: max_condition x 1e300 would overflow
            raise ValueError(
                f"{name} must be positive definite with condition number <= {self.max_condition:g} (float64 "
                f"cannot solve with it beyond); got eigenvalues {lam.min():.3g} to {lam.max():.3g}"
            )
        return S

    def _d(self, valid: dict[str, Any], name: str | None) -> int:
        return int(np.shape(valid[name])[0]) if name in valid and np.ndim(valid[name]) == 2 else 2

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        d = self._d(valid, name)
        eye = np.eye(d)
        asym = eye.copy()
        if d > 1:
            asym[0, 1] = 0.5
        ill = np.diag(np.r_[1.0, np.full(d - 1, 1.0 / (10 * self.max_condition))]) if d > 1 else -eye
        out: list[Any] = [None, "I", 1.0, np.ones(d), -eye, 0 * eye, eye + math.nan, np.where(eye > 0, math.inf, 0)]
        out += [np.ones((d, d + 1)), np.zeros((0, 0)), np.eye(self.max_dim + 1)] + ([asym, ill] if d > 1 else [])
        return out + ([np.eye(d + 1)] if self.like is not None and d + 1 <= self.max_dim else [])

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        d = self._d(valid, name)
        return [np.eye(d) * 1e300, np.eye(d) * 1e-300, np.diag(np.r_[1.0, np.full(d - 1, 1.0 / self.max_condition)])]


def _labels_in(y: np.ndarray, name: str, n_classes: int) -> np.ndarray:
    """Integral labels in [0, n_classes) as an int array (integral floats accepted, as class indices)."""
    if np.any(y != np.round(y)) or np.any((y < 0) | (y >= n_classes)):
        bad = y[(y != np.round(y)) | (y < 0) | (y >= n_classes)]
        raise ValueError(f"{name} must hold integer class labels in [0, {n_classes - 1}]; got {bad[:3]}")
    return y.astype(int)


@dataclass(frozen=True)
class DataBatch(Constraint):
    """A data matrix or a batch of them: finite floats of shape (n, d) or (R, n, d) (R replicates of n samples),
    n >= ``min_rows``, 1 <= d <= ``max_cols``; canonical form: a float array of shape (R, n, d) (R = 1 for one
    matrix). Extremes: the valid data x 1e6 and x 1e-6 (features of any scale)."""

    min_rows: int = 1
    max_cols: int = 4096

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> np.ndarray:
        _reject_non_array(value, name, "an (n, d) or (R, n, d) array of numbers")
        A = as_finite_array(value, name, ndim=(2, 3))
        A = A[None] if A.ndim == 2 else A
        if A.shape[0] < 1 or A.shape[1] < self.min_rows or not 1 <= A.shape[2] <= self.max_cols:
            raise ValueError(
                f"{name} must have n >= {self.min_rows} rows and 1 <= d <= {self.max_cols} columns per replicate; "
                f"got shape {np.shape(value)}"
            )
        return A

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        A = np.asarray(valid[name], dtype=float)
        bad_nan, bad_inf = A.copy(), A.copy()
        bad_nan.flat[0], bad_inf.flat[-1] = math.nan, math.inf
        out: list[Any] = [None, "X", True, 1.0, A.reshape(-1), A[None, None], bad_nan, bad_inf, [[1.0], [1.0, 2.0]]]
        return [*out, np.zeros((*A.shape[:-2], self.min_rows - 1, A.shape[-1])), np.zeros((1, 1, 0))]

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        A = np.asarray(valid[name], dtype=float)
        return [A * 1e6, A * 1e-6]


@dataclass(frozen=True)
class ClassLabels(Constraint):
    """Class labels in {0, ..., n_classes - 1}, one per sample of the data batch ``of`` (declared before): shape
    (n,) for one matrix or (R, n) for a batch (an (n,) vector is shared by every replicate); integral floats are
    accepted. ``all_present``: every class occurs in every replicate (a per-class estimate needs one sample).
    Canonical form: an int array of shape (R, n)."""

    of: str
    n_classes: int = 2
    all_present: bool = False

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> np.ndarray:
        R, n = checked[self.of].shape[:2]
        _reject_non_array(value, name, f"an array of class labels in [0, {self.n_classes - 1}]")
        y = as_finite_array(value, name)
        if y.shape not in ((n,), (R, n)):
            raise ValueError(
                f"{name} must have shape ({n},) or ({R}, {n}), one label per row of {self.of}; got {y.shape}"
            )
        y = np.broadcast_to(_labels_in(y, name, self.n_classes), (R, n))
        if self.all_present:
            counts = np.stack([(y == k).sum(axis=1) for k in range(self.n_classes)], axis=1)
            if np.any(counts == 0):
                r = int(np.nonzero(counts.min(axis=1) == 0)[0][0])
                raise ValueError(
                    f"{name} must hold every class in every replicate; replicate {r} has counts {counts[r]}"
                )
        return y

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        n = np.shape(valid[self.of])[-2]
        out: list[Any] = [None, "y", np.full(n, -1), np.full(n, self.n_classes), np.full(n, 0.5), np.zeros(n + 1)]
        return out + [np.zeros((n, 1, 1)), [math.nan] * n] + ([np.zeros(n)] if self.all_present else [])

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        n = np.shape(valid[self.of])[-2]
        y = np.arange(n) % self.n_classes
        return [y, y.astype(float)] + ([] if self.all_present else [np.zeros(n, dtype=int)])


@dataclass(frozen=True)
class SampleWeights(Constraint):
    """Non-negative finite weights, one per sample of the data batch ``of`` (declared before), shape (n,) or
    (R, n), not all zero in a replicate; canonical form: a float array of shape (R, n). Extremes: weights of 1e-300
    and 1e300 (scale-free estimators must not care)."""

    of: str

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> np.ndarray:
        R, n = checked[self.of].shape[:2]
        _reject_non_array(value, name, "an array of non-negative weights")
        w = in_interval(value, name, 0.0, math.inf)
        if w.shape not in ((n,), (R, n)):
            raise ValueError(
                f"{name} must have shape ({n},) or ({R}, {n}), one weight per row of {self.of}; got {w.shape}"
            )
        w = np.broadcast_to(w, (R, n))
        if np.any(w.max(axis=1) == 0):
            raise ValueError(f"{name} must not be all zero in a replicate; got all-zero weights")
        return w

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        n = np.shape(valid[self.of])[-2]
        return [None, "w", -np.ones(n), np.zeros(n), np.full(n, math.nan), np.full(n, math.inf), np.ones(n + 1)]

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        n = np.shape(valid[self.of])[-2]
        return [np.full(n, 1e-300), np.full(n, 1e300), np.r_[1.0, np.zeros(n - 1)] + 1e-3]


@dataclass(frozen=True)
class InstanceOf(Constraint):
    """An object of the class ``cls`` (or one of a tuple of classes): a distribution, a hypothesis class, a policy."""

    cls: type | tuple[type, ...]

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> Any:
        return instance_of(value, name, self.cls)

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        candidates = [None, "x", 1.0, object(), [valid[name]] if name in valid else []]
        return [v for v in candidates if not isinstance(v, self.cls)]


class Seed(Constraint):
    """What ``numpy.random.default_rng`` accepts (None, an int >= 0, a SeedSequence, a Generator); canonical form: a
    Generator."""

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> np.random.Generator:
        return rng_from(value, name)

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [1.5, "0", -1, True, object()]

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [0, 2**63]


@dataclass(frozen=True)
class Optional(Constraint):
    """None (the documented default, e.g. a tuned step), or a value that satisfies ``inner``."""

    inner: Constraint

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> Any:
        return None if value is None else self.inner.check(value, name, checked)

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [v for v in self.inner.invalid(valid, name) if v is not None]

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [None, *self.inner.extremes(valid, name)]


@dataclass(frozen=True)
class OnlyFor(Constraint):
    """An argument that applies only when the earlier argument ``of`` equals ``value`` (an exponent that only one
    divergence has): there it must satisfy ``then``; otherwise it must be None."""

    of: str
    value: str
    then: Constraint

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> Any:
        if checked[self.of] == self.value:
            if value is None:
                raise ValueError(f"{name} is required when {self.of}={self.value!r}; got None")
            return self.then.check(value, name, checked)
        if value is not None:
            raise ValueError(
                f"{name} applies only when {self.of}={self.value!r} (got {self.of}={checked[self.of]!r}); "
                f"got {name}={value!r:.40}"
            )
        return None

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [None, *self.then.invalid(valid, name)] if valid[self.of] == self.value else [0.5, "x"]

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return self.then.extremes(valid, name) if valid[self.of] == self.value else []


# Constraints of result records' fields: arrays of flags and counts, tuples and tables of values, callables.


def _rectangular(value: Any, name: str, what: str) -> np.ndarray:
    """``np.asarray(value)``, with a message naming the argument for a ragged nesting (numpy's names neither)."""
    try:
        return np.asarray(value)
    except ValueError:
        raise ValueError(f"{name} must be a rectangular array of {what}; got {value!r:.40}") from None


@dataclass(frozen=True)
class Bools(Constraint):
    """An array of booleans (a per-replicate "converged", a per-class "collapsed"); 0/1 integers are rejected;
    canonical form: a bool array."""

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> np.ndarray:
        _reject_non_array(value, name, "an array of booleans")
        arr = _rectangular(value, name, "booleans")
        if arr.dtype != bool:
            raise TypeError(f"{name} must be an array of booleans; got dtype {arr.dtype} {value!r:.40}")
        return arr

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [None, "True", True, np.array([1, 0]), np.array([0.5]), [[True], [False, True]]]


_INT64_MAX = int(np.iinfo(np.int64).max)


@dataclass(frozen=True)
class Integers(Constraint):
    """An array of integers >= ``lo`` (counts, recorded steps, labels); floats and bools are rejected; canonical
    form: an int64 array."""

    lo: int = 0

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> np.ndarray:
        _reject_non_array(value, name, "an array of integers")
        arr = _rectangular(value, name, "integers")
        if arr.dtype == bool or (arr.dtype.kind not in "iu" and arr.size):
            raise TypeError(f"{name} must be an array of integers; got dtype {arr.dtype} {value!r:.40}")
        if arr.size and arr.min() < self.lo:
            raise ValueError(f"{name} must hold integers >= {self.lo}; got a minimum of {arr.min()}")
        if arr.size and arr.dtype.kind == "u" and arr.max() > _INT64_MAX:  # astype would wrap them to negatives
            raise ValueError(f"{name} must hold integers <= {_INT64_MAX} (int64); got a maximum of {arr.max()}")
        return arr.astype(np.int64, copy=False)

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        too_big = np.array([_INT64_MAX + 1], dtype=np.uint64)
        return [None, "1", True, np.array([0.5]), np.array([True]), [self.lo - 1], [[1], [1, 2]], [math.nan], too_big]


@dataclass(frozen=True)
class Each(Constraint):
    """A tuple or list whose every element satisfies ``inner`` (checked as ``name[i]``), with ``length`` elements
    if given; canonical form: a tuple of the elements' canonical forms."""

    inner: Constraint
    length: int | None = None

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> tuple[Any, ...]:
        if not isinstance(value, tuple | list):
            raise TypeError(f"{name} must be a tuple or list; got {type(value).__name__} {value!r:.40}")
        if self.length is not None and len(value) != self.length:
            raise ValueError(f"{name} must hold {self.length} elements; got {len(value)}")
        return tuple(self.inner.check(v, f"{name}[{i}]", checked) for i, v in enumerate(value))

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        out: list[Any] = [None, "ab", 1.0]
        given = list(valid.get(name, ()))
        if self.length is not None:
            out.append(given + given[:1] if given else [None] * (self.length + 1))
        if given:  # the first element replaced by each value its constraint rejects
            out += [[bad, *given[1:]] for bad in self.inner.invalid(valid | {name: given[0]}, name)]
        return out


@dataclass(frozen=True)
class MappingOf(Constraint):
    """A dict from strings to values that each satisfy ``inner`` (checked as ``name['key']``); canonical form: a
    dict of the values' canonical forms."""

    inner: Constraint

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise TypeError(f"{name} must be a dict; got {type(value).__name__} {value!r:.40}")
        for k in value:
            if not isinstance(k, str):
                raise TypeError(f"{name} must have string keys; got {type(k).__name__} {k!r:.40}")
        return {k: self.inner.check(v, f"{name}[{k!r}]", checked) for k, v in value.items()}

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        out: list[Any] = [None, [1.0], "x"]
        given = dict(valid.get(name, {}))
        if given:
            key, first = next(iter(given.items()))
            out.append({1: first})
            out += [given | {key: bad} for bad in self.inner.invalid(valid | {name: first}, name)]
        return out


class Function(Constraint):
    """A callable (a divergence's generator, a convex K and its conjugate)."""

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> Any:
        if not callable(value):
            raise TypeError(f"{name} must be callable; got {type(value).__name__} {value!r:.40}")
        return value

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [None, 1.0, "f", [len]]


def constrain_fields(obj: Any) -> None:
    """For a frozen dataclass's ``__post_init__``: check each field named in the class's ``__constraints__`` (a dict
    of constraints, in order, so that a relation sees the fields before it) and store its canonical value. The
    class then declares its constraints as data, as ``constrained`` functions do."""
    constraints = type(obj).__constraints__
    for name, value in checked_fields(constraints, {n: getattr(obj, n) for n in constraints}).items():
        object.__setattr__(obj, name, value)


def checked_fields(constraints: dict[str, Constraint], values: dict[str, Any]) -> dict[str, Any]:
    """The canonical value of each constrained entry of ``values``, checked in the declared order (so that a relation
    sees the values before it): what ``constrain_fields`` stores, for a record that is not a dataclass (a
    NamedTuple checks its fields in ``__new__``)."""
    done: dict[str, Any] = {}
    for name, c in constraints.items():
        done[name] = c.check(values[name], name, done)
    return done


def record(**constraints: Constraint) -> Callable[[type], type]:
    """Declare the constraints of a dataclass's fields, next to them, as ``constrained`` does for a function's
    arguments: sets ``__constraints__`` and a ``__post_init__`` that calls ``constrain_fields`` (then the class's
    own ``__post_init__``, if it has one, for relations on the checked fields). Goes *below* ``@dataclass``, so that
    the dataclass's ``__init__`` sees the ``__post_init__``::

        @dataclass(frozen=True)
        @record(lower=Real(0.0, 1.0), upper=Real(0.0, 1.0))
        class Interval: ...
    """

    def decorate(cls: type) -> type:
        if "__dataclass_fields__" in cls.__dict__:
            raise TypeError(f"@record must come below @dataclass on {cls.__qualname__} (it runs first)")
        unknown = set(constraints) - set(inspect.get_annotations(cls))
        if unknown:
            raise TypeError(f"{cls.__qualname__} has no field(s) {sorted(unknown)} to constrain")
        # the class's own hook, or an inherited one (a base's shape checks), but never a base record's field check
        own = cls.__dict__.get("__post_init__") or getattr(cls, "__post_init__", None)
        own = getattr(own, "__record_own__", own)

        def __post_init__(self: Any) -> None:
            constrain_fields(self)
            if own is not None:
                own(self)

        __post_init__.__record_own__ = own  # type: ignore[attr-defined]
        cls.__constraints__ = dict(constraints)  # type: ignore[attr-defined]
        cls.__post_init__ = __post_init__  # type: ignore[attr-defined]
        return cls

    return decorate


def constrained(**constraints: Constraint) -> Callable[[Callable], Callable]:
    """Check the named arguments of the decorated function against their constraints, in the order declared, and
    call it with their canonical values; the constraints are kept as ``__constraints__``."""

    def decorate(fn: Callable) -> Callable:
        sig = inspect.signature(fn)
        unknown = set(constraints) - set(sig.parameters)
        if unknown:
            raise TypeError(f"{fn.__qualname__} has no argument(s) {sorted(unknown)} to constrain")
        order = list(constraints.items())
        names = tuple(sig.parameters)
        defaults = {n: p.default for n, p in sig.parameters.items() if p.default is not p.empty}
        # Binding by hand where every parameter is positional-or-keyword (the decorator costs ~3-4 us a call, where
        # ``Signature.bind`` alone cost ~8 us, 1.5% of ``ldr_kl_loss`` on a 1000 x 10 batch); anything else, and
        # every malformed call, goes through ``Signature.bind``, which raises the usual TypeError.
        simple = all(p.kind is p.POSITIONAL_OR_KEYWORD for p in sig.parameters.values())
        known = frozenset(names)

        def check_all(values: dict[str, Any]) -> None:
            done: dict[str, Any] = {}
            for name, c in order:
                values[name] = done[name] = c.check(values[name], name, done)

        @functools.wraps(fn)
        def checked_call(*args: Any, **kwargs: Any) -> Any:
            if (
                simple
                and len(args) <= len(names)
                and known.issuperset(kwargs)
                and not any(k in names[: len(args)] for k in kwargs)
            ):
                values = defaults | dict(zip(names, args, strict=False)) | kwargs
                if len(values) == len(names):  # every argument given or defaulted: the call binds
                    check_all(values)
                    return fn(**values)
            bound = sig.bind(*args, **kwargs)  # the general path, and the usual TypeError of a malformed call
            bound.apply_defaults()
            check_all(bound.arguments)
            return fn(*bound.args, **bound.kwargs)

        checked_call.__constraints__ = dict(order)  # type: ignore[attr-defined]
        return checked_call

    return decorate
