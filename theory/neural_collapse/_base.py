"""Valid ranges and label checks shared by the neural-collapse modules."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from theory._checks import (
    as_finite_array,
)
from theory._constraints import (
    Constraint,
    Integer,
    Reals,
)

# Valid ranges, as data. K x K (and d x K) matrices: beyond MAX_CLASSES a Gram matrix alone is gigabytes.
MAX_CLASSES = 10_000
_CLASSES = Integer(2, MAX_CLASSES, costly=True)  # a K x K (or d x K) answer: the work grows with K
# u^L and products of L layers overflow float64 long before depth 100 at any useful scale.
MAX_DEPTH = 100
# Weight decay: beyond 1e4 the regulariser outweighs the data term by >= 1e4 at any non-trivial scale, every
# minimiser is the zero model, and L-BFGS from a random start overflows before it gets there.
MAX_LAMBDA = 1e4
# Below 1e-12 a weight decay is 0 to float64 against losses of order 1, and the closed forms divide by it: the
# unregularised problem has no minimiser (the features grow without bound), so a smaller value is a unit mistake.
MIN_LAMBDA = 1e-12
MAX_FEATURES = 2048  # the certificate builds d x d layers
# Which stationary point of the per-class MSE problem a closed form returns (see ``ufm_mse_solution``).
RULES = ("global", "positive_root")
_DEPTH = Integer(1, MAX_DEPTH)
_POSITIVE = Reals(0.0, math.inf, lo_open=True)


def _labels(labels: ArrayLike, N: int) -> NDArray:
    """Integer labels of shape (N,) (floats holding integers are accepted)."""
    y = as_finite_array(labels, "labels")
    if y.shape != (N,) or np.any(y != np.round(y)):
        raise ValueError(f"labels must be integers of shape ({N},); got shape {y.shape}")
    return y.astype(np.int64)


@dataclass(frozen=True)
class _SampleLabels(Constraint):
    """Integer labels, one per sample: shape (N,) with N = ``n_of(checked)`` (the columns of H, say); integral
    floats accepted; canonical form: an int64 array."""

    n_of: Callable[[dict[str, Any]], int]

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> NDArray:
        if value is None or isinstance(value, str | bytes | bool):
            raise TypeError(f"{name} must be an array of integer labels; got {type(value).__name__} {value!r:.40}")
        return _labels(value, self.n_of(checked))

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        n = len(np.asarray(valid[name]))
        return [None, "y", np.full(n, 0.5), np.zeros(n + 1), np.zeros((n, 1)), [math.nan] * n]

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [np.asarray(valid[name], dtype=float)]
