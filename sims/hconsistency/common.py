"""Helpers shared by the sims of one area: H-consistency and surrogate losses.

Public, so that each sim module imports them by name; nothing here is a sim.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sims.engine.claims import Tol
from theory._solvers import golden_section_min
from theory.hconsistency import (
    FiniteDistribution,
    conditional_margin_risk,
)


def refined_min(loss: str, e: NDArray, a: NDArray, hi_cap: float) -> tuple[NDArray, NDArray]:
    """Grid minimum of C_e(a) over the grid ``a`` (rows of ``e``), refined by golden-section search.

    The refinement runs on [a_min - 2 step, a_min + 2 step] around each row's grid minimum, every row at once:
    each of the ~50 steps is one vectorised evaluation of the loss, where a scalar Brent search per row cost a
    Python-level optimiser call per row (16,000 rows in ``margin_calibration``: ~90% of its time). Golden section
    shrinks the bracket by 0.618 per step, to 1e-11 (the former Brent ``xatol``); a refinement is kept only where it
    improves on the grid value, so the result is never worse than the grid.
    """
    step = a[1] - a[0] if len(a) > 1 else 1.0
    best_v = np.empty(len(e))
    best_a = np.empty(len(e))
    for start in range(0, len(e), 256):  # chunks keep the (rows x grid) array small
        rows = e[start : start + 256]
        vals = conditional_margin_risk(loss, rows[:, None], a[None, :])
        idx = np.argmin(vals, axis=1)
        best_v[start : start + 256] = vals[np.arange(len(rows)), idx]
        best_a[start : start + 256] = a[idx]
    lo, hi = np.maximum(best_a - 2 * step, a[0]), np.minimum(best_a + 2 * step, hi_cap)
    x = golden_section_min(lambda a_: conditional_margin_risk(loss, e, a_), lo, hi, 1e-11)
    v = conditional_margin_risk(loss, e, x)
    better = v < best_v
    return np.where(better, v, best_v), np.where(better, x, best_a)


def numerical_conditional_infima(
    loss: str, eta: NDArray, a_max: float, n_a: int, wrong_side: bool = True
) -> tuple[NDArray, ...]:
    """inf over all scores (and over wrong-side scores) of C_eta(a), with the minimisers.

    Returns ``(inf_all, argmin_all)`` or, with ``wrong_side``, ``(inf_all, argmin_all, inf_wrong,
    argmin_wrong)``. The wrong side for eta >= 1/2 is a <= 0 (a score of 0 is a wrong prediction);
    for eta < 1/2 the problem is mirrored, since C_eta(a) = C_{1-eta}(-a).
    """
    eta = np.asarray(eta, dtype=float)
    flip = eta < 0.5
    e = np.where(flip, 1.0 - eta, eta)
    a = np.linspace(-a_max, a_max, n_a)
    v_all, a_all = refined_min(loss, e, a, a_max)
    out = [v_all, np.where(flip, -a_all, a_all)]
    if wrong_side:
        a_neg = np.append(a[a < 0], 0.0)  # 0 itself is on the wrong side
        v_w, a_w = refined_min(loss, e, a_neg, 0.0)
        out += [v_w, np.where(flip, -a_w, a_w)]
    return tuple(out)


def random_finite_distribution(rng: np.random.Generator, m: int, d: int, n: int) -> FiniteDistribution:
    """m support points in R^d (standard normal), Dirichlet weights, Dirichlet(1/2) label distributions."""
    return FiniteDistribution(
        rng.standard_normal((m, d)), rng.dirichlet(np.ones(m)), rng.dirichlet(np.full(n, 0.5), size=m)
    )


BOUND_TOL = Tol(
    1e-6,
    "conic solver accuracy of R*_l(H) and of the pointwise infima (Clarabel/SCS, ~1e-8) plus the inverse "
    "transformation (machine precision); 1e-6 leaves 100x",
)
BOX_TOL = Tol(
    1e-6,
    "box infima by L-BFGS-B (convex for tau in {0, 1}, ~1e-9) and the transformation's search accuracy (~1e-8); "
    "1e-6 leaves 100x",
)

AREA = "H-consistency and surrogate losses"


def conservative_inverse(t: NDArray, value: NDArray, eps: NDArray) -> NDArray:
    """Gamma from sampled values of a non-decreasing transformation: the largest t with M(t) <= eps, where M is the
    lower convex envelope of the points (t_{i+1}, T(t_i)) and (0, 0) — a convex minorant of T on [0, t_max] (T is
    >= T(t_i) on [t_i, t_{i+1}]), so Jensen's step of the H-consistency argument stays valid."""
    order = np.argsort(t)
    t, v = t[order], np.maximum.accumulate(np.maximum(value[order], 0.0))
    px = np.r_[0.0, t]
    py = np.r_[0.0, 0.0, v[:-1]]
    hull = [(px[0], py[0])]
    for x, y in zip(px[1:], py[1:], strict=True):  # lower convex hull (monotone chain)
        while len(hull) >= 2 and (hull[-1][1] - hull[-2][1]) * (x - hull[-1][0]) >= (y - hull[-1][1]) * (
            hull[-1][0] - hull[-2][0]
        ):
            hull.pop()
        hull.append((x, y))
    hx, hy = np.array(hull).T
    out = np.interp(eps, hy, hx, right=1.0)  # hy is non-decreasing along the lower hull
    flat = hy <= 0
    return np.where(eps <= 0, hx[flat].max() if flat.any() else 0.0, np.clip(out, 0.0, 1.0))
