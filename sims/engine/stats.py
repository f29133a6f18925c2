"""The few statistics every area's claims use, written once: a mean with its standard error, and a log-log slope
with its confidence interval.

Conventions: standard errors use the unbiased variance (``ddof=1``), so they need two or more replicates; the slope
interval is the two-sided 95% Student-t interval of the least-squares slope (``n - 2`` degrees of freedom), so it
needs three or more points. Both raise instead of returning NaN.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats


def mean_se(x: ArrayLike, axis: int | None = None) -> tuple[float, float] | tuple[NDArray, NDArray]:
    """The mean of ``x`` and its standard error ``std(x, ddof=1) / sqrt(n)`` (over ``axis``; all of ``x`` by
    default, as two floats).

    >>> mean_se([1.0, 2.0, 3.0])
    (2.0, 0.5773502691896257)
    """
    a = np.asarray(x, dtype=float)
    n = a.size if axis is None else a.shape[axis]
    if n < 2:
        raise ValueError(f"x must hold at least 2 replicates (along axis {axis}) for a standard error; got {n}")
    m, se = a.mean(axis=axis), a.std(axis=axis, ddof=1) / math.sqrt(n)
    return (float(m), float(se)) if axis is None else (m, se)


def loglog_slope(x: ArrayLike, y: ArrayLike, positive_only: bool = False) -> tuple[float, float]:
    """Least-squares slope of ``log y`` on ``log x`` and the half-width of its 95% confidence interval (Student t,
    ``n - 2`` degrees of freedom). With ``positive_only``, points with ``y <= 0`` (a regret that is exactly zero)
    are left out first.

    >>> s, half = loglog_slope([1, 10, 100, 1000], [2.0, 20.0, 200.0, 2000.0])
    >>> round(s, 12), round(half, 12)
    (1.0, 0.0)
    """
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if xa.shape != ya.shape or xa.ndim != 1:
        raise ValueError(f"x and y must be 1-d arrays of one length; got shapes {xa.shape} and {ya.shape}")
    if positive_only:
        ok = ya > 0
        xa, ya = xa[ok], ya[ok]
    if len(xa) < 3:
        raise ValueError(f"a slope with a confidence interval needs at least 3 points; got {len(xa)}")
    res = stats.linregress(np.log(xa), np.log(ya))
    return float(res.slope), float(stats.t.ppf(0.975, len(xa) - 2) * res.stderr)
