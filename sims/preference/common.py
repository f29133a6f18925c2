"""Helpers shared by the sims of one area: preference optimisation and unlearning (theory/preference.py).

Public, so that each sim module imports them by name; nothing here is a sim. ``conic_optimum`` is the independent
computation the closed forms are checked against: a conic solver that knows only the objective, not the KKT form
(a general-purpose L-BFGS over softmax logits was tried first and stopped at the wrong vertex on instances with
beta = 1e-2, where the policy saturates; ``tests/test_preference.py`` keeps it for moderate draws).
"""

from __future__ import annotations

import warnings

import cvxpy as cp
import numpy as np
from numpy.typing import NDArray

from theory.preference import f_divergence

AREA = "Preference optimisation and unlearning"

# Clarabel asked for 1e-12 (its defaults are 1e-8): it stops at its reduced accuracy where it cannot reach that
# ("optimal_inaccurate", which the sims count and keep); measured on drawn instances, pi is then within ~2e-6
CLARABEL_TIGHT = {"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12, "max_iter": 500}

# The divergences the sims sweep, by cell name: (divergence, alpha).
DIVERGENCE_CELLS: dict[str, tuple[str, float | None]] = {
    "reverse_kl": ("reverse_kl", None),
    "forward_kl": ("forward_kl", None),
    "jensen_shannon": ("jensen_shannon", None),
    "alpha_03": ("alpha", 0.3),
    "alpha_07": ("alpha", 0.7),
}
# ... and chi2, the negative control (0 in the domain of f'), for the sims that check its truncation.
ALL_DIVERGENCE_CELLS: dict[str, tuple[str, float | None]] = {**DIVERGENCE_CELLS, "chi2": ("chi2", None)}


def draw_instance(rng: np.random.Generator, k_max: int = 8) -> tuple[NDArray, NDArray, float]:
    """(r, pi_ref, beta) drawn: K uniform in [2, k_max], beta log-uniform in [1e-2, 1e2], rewards N(0, s^2) with s
    log-uniform in [0.1, 10], pi_ref Dirichlet(0.5) (so that small reference masses occur)."""
    K = int(rng.integers(2, k_max + 1))
    beta = float(10 ** rng.uniform(-2.0, 2.0))
    r = rng.normal(size=K) * 10 ** rng.uniform(-1.0, 1.0)
    p = rng.dirichlet(np.full(K, 0.5))
    p = np.maximum(p, 1e-12)  # Dirichlet(0.5) can return masses that underflow to 0: keep the support full
    return r, p / p.sum(), beta


def objective(pi: NDArray, r: NDArray, p: NDArray, beta: float, name: str, alpha: float | None) -> float:
    """``(sum pi r - beta D_f(pi || p)) / beta`` (divided by beta so that its scale does not depend on beta)."""
    fd = f_divergence(name, alpha=alpha)
    with np.errstate(divide="ignore", invalid="ignore"):  # 0 log 0 terms of a truncated chi2 policy are 0
        div = np.where(pi > 0, p * fd.f(np.maximum(pi, 1e-300) / p), p * fd.f(np.zeros(1) + 1e-300))
    return float(pi @ r / beta - div.sum())


def conic_optimum(r: NDArray, p: NDArray, beta: float, name: str, alpha: float | None) -> tuple[NDArray, str]:
    """The maximiser by a conic solver (cvxpy with Clarabel), which sees only the divergence written with cvxpy's
    atoms (relative entropy, power cones, a square), never a KKT form; returns (pi renormalised onto the simplex,
    the solver's status). JS is written as ``rel_entr(pi, m) + rel_entr(pi_ref, m)``, m the midpoint, which equals
    the generator form of ``theory.preference`` term by term."""
    x = cp.Variable(len(r), nonneg=True)
    if name == "reverse_kl":
        div = cp.sum(cp.rel_entr(x, p))
    elif name == "forward_kl":
        div = cp.sum(cp.rel_entr(p, x))
    elif name == "jensen_shannon":
        m = (x + p) / 2
        div = cp.sum(cp.rel_entr(x, m) + cp.rel_entr(p, m))
    elif name == "alpha":
        a = float(alpha)
        div = cp.sum(cp.multiply(p**a, cp.power(x, 1 - a, approx=False)) - (1 - a) * x - a * p) / (a * (a - 1))
    else:
        div = cp.sum(cp.multiply(p, cp.square(x / p - 1)))
    prob = cp.Problem(cp.Maximize(x @ r / beta - div), [cp.sum(x) == 1])
    with warnings.catch_warnings():  # an inaccurate solve is reported through the status, not a warning
        warnings.simplefilter("ignore", UserWarning)
        prob.solve(solver="CLARABEL", **CLARABEL_TIGHT)
    v = np.clip(np.asarray(x.value, dtype=float), 0.0, None)
    return v / v.sum(), str(prob.status)
