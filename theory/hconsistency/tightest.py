"""The tightest H-consistency transformation of a multi-class loss, searched numerically with certificates: for the
comp-sum family (compiled objective, SLSQP on the simplex) and for any callable loss.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from theory._constraints import Constraint, Integer, Optional, Real, Reals, Seed, constrained, record
from theory.hconsistency import _kernels
from theory.hconsistency._base import (
    MAX_CLASSES_SEARCH,
    MAX_CLASSES_TIGHT,
    check_tau,
    comp_sum_bayes_risk_checked,
    comp_sum_risk_and_grad,
)
from theory.hconsistency.comp_sum import comp_sum_bayes_risk, comp_sum_loss, comp_sum_pointwise_f

__all__ = [
    "COLLAPSE_MIN_ITER",
    "COLLAPSE_P",
    "TightTransform",
    "comp_sum_transform_tight",
    "tight_transform",
]


@dataclass(frozen=True)
@record(t=Reals(0.0, 1.0), value=Reals(), p=Reals(0.0, 1.0), scores=Reals(), t_certificate=Reals(0.0, 1.0))
class TightTransform:
    """Numerical tightest transformation with its certificates.

    ``value[i]`` is the smallest conditional surrogate regret found among label distributions p and scores h
    whose conditional 0-1 regret is ``t[i]``; ``p[i]`` and ``scores[i]`` attain it (class 0 is predicted by
    ``scores[i]``, ties broken to the smallest index; class 1 is the most likely label). Every value is
    attained by an explicit (p, h), so it is an upper bound on the true infimum, exact when the search finds
    the global minimum: a closed form above it is *certifiably* invalid.
    """

    t: NDArray
    value: NDArray
    p: NDArray
    scores: NDArray
    t_certificate: NDArray  # max_y p_y - p_{argmax h}, recomputed from the certificate


class _TauOrCallable(Constraint):
    """A comp-sum tau in [0, 2], or a loss function l(h, y) (a callable)."""

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> Any:
        return value if callable(value) else check_tau(value, 2.0, name)

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [None, "ce", -0.5, 2.5, math.nan, [1.0, 2.0], True]

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [0.0, 2.0]


@constrained(
    loss=_TauOrCallable(),
    n_classes=Integer(2, MAX_CLASSES_SEARCH, costly=True),
    t=Reals(0.0, 1.0, min_len=1),
    n_starts=Integer(0, 10_000, costly=True),
    seed=Seed(),
    score_bound=Optional(Real(0.0, math.inf, lo_open=True)),
)
def tight_transform(
    loss: float | Callable[[NDArray, NDArray], NDArray],
    n_classes: int,
    t: ArrayLike,
    *,
    n_starts: int = 12,
    seed: int | np.random.SeedSequence = 0,
    score_bound: float | None = None,
) -> TightTransform:
    """Tightest H-consistency transformation for the complete hypothesis set, computed numerically.

    With ``score_bound`` = Lambda the hypothesis set is the score box H_Lambda = {h : ||h||_inf <= Lambda}: scores and
    both inner infima are restricted to the box (the conditional 0-1 regret is unchanged, since every argmax is
    reachable in the box). This encodes numerically the Lambda-dependent transformations of bounded hypothesis
    sets (MMZ 2023 give closed forms; not re-checked here): the ``comp_sum_bounded`` sim checks the resulting
    bound.

    T*(t) = inf { E_{y~p} l(h, y) - inf_h' E_{y~p} l(h', y) : p in simplex, h in R^n,
                  max_y p_y - p_{argmax h} = t },

    i.e. the largest function with Delta C_{0-1}(h, x) = t  =>  Delta C_l(h, x) >= T*(t) pointwise; by
    Jensen, its convex hull gives the tightest bound of the form R_{0-1} excess <= Gamma(R_l excess).
    This function uses no closed-form transformation; it is the ground truth that ``comp_sum_transform`` is
    checked against.

    Method. For a comp-sum ``loss`` (a float tau in [0, 2]) the loss depends on h only through s = softmax(h),
    via sum_y p_y f_tau(s_y), which is convex in s on the simplex; the search runs over (p, s) jointly by SLSQP
    with analytic gradients (the envelope theorem gives the gradient of the Bayes risk), for every support
    size m = 2..n of p (classes outside the support get s = 0), from structured starts (two-class, and m - 1
    classes tied at the top) and ``n_starts`` random Dirichlet starts; a run whose p collapses onto a face of
    lower support restarts on that face (``COLLAPSE_P``). For a callable loss(scores, y) the
    search is over p (Nelder-Mead from the same starts) with both inner infima over h solved numerically
    (SLSQP with the argmax constraint, L-BFGS for the Bayes risk): slower, meant for small n.

    Parameters
    ----------
    loss
        tau of a comp-sum loss, or a callable (scores of shape (..., n), labels (...)) -> loss values.
    n_classes
        n >= 2.
    t
        Conditional 0-1 regrets in [0, 1].
    n_starts
        Random starts per support size (>= 0).
    seed
        Seed of the random starts.
    score_bound
        Lambda > 0: the score box H_Lambda; None (the default): all scores.

    Returns
    -------
    result : TightTransform
        ``value`` T*(t) per t, recomputed from the certificates ``p`` (label distributions) and ``scores``,
        and ``t_certificate`` (each certificate's own 0-1 regret).

    Raises
    ------
    TypeError
        If ``loss`` is neither a number nor a callable.
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> from theory.hconsistency import comp_sum_transform
    >>> r = tight_transform(1.0, 3, [0.5], n_starts=0)
    >>> round(float(r.value[0]), 6), round(float(comp_sum_transform(0.5, 1.0, 3)), 6)
    (0.130812, 0.130812)
    """
    n, rng = n_classes, seed
    if t.ndim != 1:
        raise ValueError(f"t must be a non-empty 1-d array of values in [0, 1]; got shape {t.shape}")
    if score_bound is not None:
        lam = score_bound
        if callable(loss):
            fn = loss
        else:
            tau_b = loss

            def fn(h: NDArray, y: NDArray) -> NDArray:
                return comp_sum_loss(h, y, tau_b)

        grad = None if callable(loss) else comp_sum_risk_and_grad(tau_b)
        rows = [_tight_callable(fn, n, ti, n_starts, rng, bound=lam, risk_and_grad=grad) for ti in t]
        tau = None
    elif callable(loss):
        rows = [_tight_callable(loss, n, ti, n_starts, rng) for ti in t]
        tau = None
    else:
        tau = loss
        rows = [_tight_comp_sum(tau, n, ti, n_starts, rng) for ti in t]
    p = np.array([r[0] for r in rows])
    h = np.array([r[1] for r in rows])
    if tau is None:
        value = np.array([r[2] for r in rows])
    else:
        # recompute from the certificate with the public loss, not the optimiser's internal objective
        labels = np.arange(n)
        risk = np.sum(p * comp_sum_loss(h[:, None, :], labels[None, :], tau), axis=-1)
        value = risk - comp_sum_bayes_risk(p, tau)
    pred = np.argmax(h, axis=1)
    t_cert = p.max(axis=1) - p[np.arange(len(t)), pred]
    return TightTransform(t=t, value=value, p=p, scores=h, t_certificate=t_cert)


def _structured_starts(m: int, t: float) -> list[NDArray]:
    """Label distributions on m classes with p_1 - p_0 = t and p_1 = max (class 0 predicted)."""
    starts = []
    q = (1.0 + t) / m  # m - 1 classes tied at the top level q, the predicted class at q - t
    if q >= t:
        starts.append(np.r_[q - t, np.full(m - 1, q)])
    rest = 1e-3 if m > 2 else 0.0  # two-class mass plus a sliver elsewhere
    starts.append(np.r_[(1 - t - rest) / 2, (1 + t - rest) / 2, np.full(m - 2, rest / max(m - 2, 1))])
    if m > 2:  # top level in the middle of its feasible range, the rest spread evenly
        top = (max(t, (1 + t) / m) + (1 + t) / 2) / 2
        starts.append(np.r_[top - t, top, np.full(m - 2, (1 + t - 2 * top) / (m - 2))])
    return starts


def _random_start(m: int, t: float, rng: np.random.Generator) -> NDArray:
    top = rng.uniform(max(t, (1 + t) / m), (1 + t) / 2) if m > 2 else (1 + t) / 2
    others = np.minimum((1 + t - 2 * top) * rng.dirichlet(np.ones(m - 2)), top) if m > 2 else np.zeros(0)
    p = np.r_[top - t, top, others]
    return p / p.sum()


def _starts_by_support(n: int, t: float, n_starts: int, rng: np.random.Generator) -> list[tuple[int, NDArray]]:
    """Structured starts for every support size m = 2..n, plus ``n_starts`` random ones of random support size."""
    starts = [(m, p) for m in range(2, n + 1) for p in _structured_starts(m, t)]
    for _ in range(n_starts if n > 2 else 0):
        m = int(rng.integers(3, n + 1))
        starts.append((m, _random_start(m, t, rng)))
    return starts


# A start of support m whose optimum lies on a face of lower support (p_j -> 0 for some class j >= 2) creeps
# towards that face for hundreds of SLSQP iterations (the slope of C* is infinite there for tau < 1). Once such a
# run has taken COLLAPSE_MIN_ITER iterations with some p_j (j >= 2) below COLLAPSE_P, class j is dropped and the
# search restarts from that point on the m - 1 classes left: the reduced problem is the face itself (the dropped
# mass goes to the other non-top classes, the dropped score mass to every score, which lowers each f_tau(s_y)),
# and the value at the point of collapse is kept as a candidate. Measured on the full sim (8 tau x n in
# {2, 3, 5, 10} x 21 t): the same values as the uncut runs to 2.2e-16, in a third of the time.
COLLAPSE_P = 1e-8
COLLAPSE_MIN_ITER = 20
_S_FLOOR = 1e-15  # lower bound of the scores s in the search (log 1e-15 ~ -34.5: any class can be ~ignored)


def _tight_comp_sum(tau: float, n: int, t: float, n_starts: int, rng: np.random.Generator):
    best = (np.inf, None, None)
    for m, p0 in _starts_by_support(n, t, n_starts, rng):
        x = np.r_[p0, np.full(m, 1.0 / m)]
        while True:
            x, collapsed = _slsqp_on_support(tau, m, t, x)
            p, s = _project(x[:m], x[m:], t)
            val = _comp_sum_objective(np.r_[p, s], tau, m)[0]
            if val < best[0]:
                best = (val, p, s)
            if not collapsed:
                break
            keep = np.ones(m, bool)
            keep[2:] = x[2:m] >= COLLAPSE_P
            x, m = np.concatenate(_project(x[:m][keep], x[m:][keep], t)), int(keep.sum())
    _, p, s = best
    pad = n - len(p)
    p = np.r_[p, np.zeros(pad)]
    with np.errstate(divide="ignore"):
        h = np.r_[np.log(s), np.full(pad, np.log(_S_FLOOR) - 40.0)]
    h = np.maximum(h - h.max(), -745.0)  # scores are shift-invariant; keep them finite
    return p, h


def _slsqp_on_support(tau: float, m: int, t: float, x0: NDArray) -> tuple[NDArray, bool]:
    """One SLSQP search over (p, s) on m classes from x0: its last iterate, and whether it was cut because some
    p_j (j >= 2) collapsed towards 0 (see ``COLLAPSE_P``)."""
    from scipy.optimize import minimize

    eq_jac, ineq_jac = _constraint_jacobians(m)  # constant: built once per start, not per iteration
    # compiled residuals (theory.hconsistency._kernels): sum p = 1, sum s = 1, p_1 - p_0 = t; p_1 >= p_j, s_0 >= s_j
    cons = [
        {"type": "eq", "fun": _kernels.comp_sum_equalities, "args": (m, t), "jac": lambda x, m, t, j=eq_jac: j},
        {"type": "ineq", "fun": _kernels.comp_sum_inequalities, "args": (m,), "jac": lambda x, m, j=ineq_jac: j},
    ]
    bounds = [(0.0, 1.0)] * m + [(_S_FLOOR, 1.0)] * m
    state = {"iterations": 0, "cut": None}

    def cut_on_collapse(xk: NDArray) -> None:
        state["iterations"] += 1
        if m > 2 and state["iterations"] >= COLLAPSE_MIN_ITER and xk[2:m].min() < COLLAPSE_P:
            state["cut"] = xk.copy()
            raise StopIteration  # scipy ends the search and returns

    r = minimize(
        _kernels.comp_sum_objective,
        x0,
        args=(tau, m),
        jac=True,
        method="SLSQP",
        bounds=bounds,
        constraints=cons,
        callback=cut_on_collapse,
        options={"maxiter": 500, "ftol": 1e-15},
    )
    return (r.x, False) if state["cut"] is None else (state["cut"], True)


@cache
def _constraint_jacobians(m: int) -> tuple[NDArray, NDArray]:
    """Jacobians of the (linear) constraints of the (p, s) search on m classes: the equalities sum p = 1,
    sum s = 1, p_1 - p_0 = t, and the inequalities p_1 >= p_j (j >= 2), s_0 >= s_j (j >= 1)."""
    eq = np.zeros((3, 2 * m))
    eq[0, :m] = 1.0
    eq[1, m:] = 1.0
    eq[2, :2] = (-1.0, 1.0)
    ineq = np.zeros((2 * m - 3, 2 * m))
    for row, j in enumerate(range(2, m)):
        ineq[row, 1], ineq[row, j] = 1.0, -1.0
    for row, j in enumerate(range(1, m), start=m - 2):
        ineq[row, m], ineq[row, m + j] = 1.0, -1.0
    eq.flags.writeable = ineq.flags.writeable = False  # cached: shared by every call
    return eq, ineq


def _project(p: NDArray, s: NDArray, t: float) -> tuple[NDArray, NDArray]:
    """Snap an SLSQP iterate onto the constraint set exactly (its residuals are ~1e-12)."""
    m = len(p)
    p = np.clip(p, 0.0, None)
    top = float(np.clip(p[1], max(t, (1 + t) / m), (1 + t) / 2))
    others = np.clip(p[2:], 0.0, top)
    rest = 1.0 + t - 2.0 * top  # mass left for the other classes, >= 0 by the clip above
    others = others * (rest / others.sum()) if others.sum() > 0 else np.full(m - 2, rest / max(m - 2, 1))
    p = np.r_[top - t, top, np.minimum(others, top)]
    s = np.clip(s, 1e-300, None)
    s[0] = s.max()
    return p, s / s.sum()


def _comp_sum_objective(x: NDArray, tau: float, m: int) -> tuple[float, NDArray]:
    """E_p f(s) - C*(p) and its gradient, with C* in its homogeneous (unnormalised p) form.

    C*(p) = ((sum_y p_y^a)^(2 - tau) - sum_y p_y) / (1 - tau) with a = 1/(2 - tau) (the entropy form at tau = 1,
    sum p - max p at tau = 2), so that its gradient on the unnormalised p is f_tau of the Bayes scores
    (p^a / sum p^a), the envelope theorem's gradient. The slopes of C* at p_y = 0 (tau < 1) and of f at s -> 0 are
    infinite: they are clipped to +-1e8 to keep SLSQP finite.

    Called tens of thousands of times per t on vectors of length 2m <= 2n: compiled
    (``theory.hconsistency._kernels.comp_sum_objective``, ~4 us a call where the numpy form took ~80 us).
    """
    return _kernels.comp_sum_objective(np.ascontiguousarray(x, dtype=float), float(tau), int(m))


def _tight_callable(
    loss: Callable,
    n: int,
    t: float,
    n_starts: int,
    rng: np.random.Generator,
    bound: float = 30.0,
    risk_and_grad: Callable[[NDArray, NDArray], tuple[float, NDArray]] | None = None,
):
    """The callable-loss search; ``risk_and_grad`` (the risk and its gradient in h, where known in closed form)
    replaces the finite-difference gradients of the inner searches."""
    from scipy.optimize import minimize

    labels = np.arange(n)
    box = [(-bound, bound)] * n
    argmax_jac = np.c_[np.ones(n - 1), -np.eye(n - 1)]  # of h_0 - h_j >= 0, j >= 1

    if risk_and_grad is None:

        def risk(h: NDArray, p: NDArray) -> float:
            return float(np.sum(p * loss(np.broadcast_to(h, (n, n)), labels)))

        objective, jac = risk, None
    else:

        def risk(h: NDArray, p: NDArray) -> float:
            return risk_and_grad(h, p)[0]

        objective, jac = risk_and_grad, True

    def inner(p: NDArray) -> tuple[float, NDArray]:
        # one start each, at the natural point (scores log p, with the predicted class raised to the top)
        h0 = np.clip(np.log(np.maximum(p, 1e-9)), -bound, bound)
        h0[0] = h0.max()
        r = minimize(
            objective,
            h0,
            args=(p,),
            jac=jac,
            method="SLSQP",
            constraints=[{"type": "ineq", "fun": lambda h: h[0] - h[1:], "jac": lambda h: argmax_jac}],
            bounds=box,
            options={"maxiter": 300, "ftol": 1e-14},
        )
        h = np.clip(r.x, -bound, bound)
        h[0] = h.max()
        corner = np.where(np.arange(n) == np.argmax(p), bound, -bound)  # the box optimum for a sure label
        bayes = min(
            minimize(
                objective, x0, args=(p,), jac=jac, method="L-BFGS-B", bounds=box, options={"ftol": 1e-15, "gtol": 1e-10}
            ).fun
            for x0 in (np.clip(np.log(np.maximum(p, 1e-12)), -bound, bound), corner)
        )
        return risk(h, p) - min(bayes, risk(h, p)), h

    def regret_of(z: NDArray) -> float:
        p = _p_from_free(z, n, t)
        return inner(p)[0]

    best = (np.inf, None, None)
    for m, p0 in _starts_by_support(n, t, n_starts, rng):
        p_full = np.r_[p0, np.zeros(n - m)]
        if n > 2:
            r = minimize(
                regret_of,
                _free_from_p(p_full, t),
                method="Nelder-Mead",
                options={"xatol": 1e-6, "fatol": 1e-10, "maxiter": 200},
            )
            p = _p_from_free(r.x, n, t)
        else:
            p = p_full
        val, h = inner(p)
        if val < best[0]:
            best = (val, p, h)
    val, p, h = best
    return p, h, val


def _p_from_free(z: NDArray, n: int, t: float) -> NDArray:
    """Map free coordinates to p with p_1 = max, p_1 - p_0 = t (a smooth, always-feasible parametrisation)."""
    w = np.exp(z[1:] - np.max(z[1:])) if n > 2 else np.zeros(0)
    w = w / w.sum() if n > 2 else w
    lo, hi = max(t, (1 + t) / n), (1 + t) / 2
    top = lo + (hi - lo) / (1 + np.exp(-z[0]))
    others = (1 + t - 2 * top) * w
    others = np.minimum(others, top)
    p = np.r_[top - t, top, others]
    return p / p.sum()


def _free_from_p(p: NDArray, t: float) -> NDArray:
    n = len(p)
    lo, hi = max(t, (1 + t) / n), (1 + t) / 2
    u = np.clip((p[1] - lo) / max(hi - lo, 1e-12), 1e-6, 1 - 1e-6)
    return np.r_[np.log(u / (1 - u)), np.log(np.maximum(p[2:], 1e-12))]


@constrained(t=Reals(0.0, 1.0), tau=Real(0.0, 2.0), n_classes=Integer(2, MAX_CLASSES_TIGHT))
def comp_sum_transform_tight(t: ArrayLike, tau: float, n_classes: int) -> NDArray:
    """Tightest comp-sum transformation as established here: min over j = 2..n of tied-softmax certificates.

    Derived in this project (not a statement of MMZ 2023). For j classes, take scores tied on j classes
    (softmax s uniform on them, the predicted class among them) and the label distribution on those classes
    p = (q - t, q, r, ..., r) with r = (1 + t - 2q)/(j - 2) <= q (predicted class first, the Bayes class
    second). Its conditional surrogate regret is U_j(t) = f_tau(1/j) - max_q C*(p(q)), a concave
    one-dimensional maximisation over q in [max(t, (1+t)/j), (1+t)/2] (C* is ``comp_sum_bayes_risk``). Then

        T*(t) <= min_{j=2..n} U_j(t),

    because each U_j is attained. j = 2 gives exactly the restated tau <= 1 forms and, for tau in (1, 2),
    ((M(t)^(2-tau) - 1)/((tau - 1) 2^(tau - 1))), i.e. the restated form times (n/2)^(tau - 1). For tau = 2
    it is min_j [max(t, (1+t)/j) - 1/j], equal to t/n only for t <= 1/(n - 1).

    Equality with the true infimum is *not proved*; it is checked against the independent global search
    ``tight_transform`` by the ``comp_sum_tightness`` sim (tau in {0, .25, .5, 1, 1.5, 1.75, 1.9, 2},
    n in {2, 3, 5, 10}). Note that for tau near 2 and n >= 3 the minimum is attained at j > 2, so the
    two-class form is then *not* a valid transformation.

    Parameters
    ----------
    t
        Conditional 0-1 regrets in [0, 1].
    tau
        tau in [0, 2].
    n_classes
        n >= 2.

    Returns
    -------
    T : ndarray
        The tightest transformation, the shape of ``t``.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> from theory.hconsistency import comp_sum_transform
    >>> np.round(comp_sum_transform_tight([0.5], 1.5, 4) / comp_sum_transform([0.5], 1.5, 4), 4)  # (n/2)^(tau-1)
    array([1.4142])
    """
    from theory._solvers import golden_section_min

    n = n_classes
    flat = np.atleast_1d(t).ravel()
    out = np.full(flat.shape, np.inf)
    for j in range(2, n + 1):
        lo, hi = np.maximum(flat, (1 + flat) / j), (1 + flat) / 2

        def neg_bayes(q: NDArray, j: int = j) -> NDArray:
            # p(q) on the j classes, every t at once; the clips only absorb rounding at the ends of [lo, hi]
            r = (1 + flat - 2 * q) / (j - 2) if j > 2 else np.zeros_like(q)
            p = np.concatenate(
                [np.maximum(q - flat, 0.0)[:, None], q[:, None], np.repeat(np.maximum(r, 0.0)[:, None], j - 2, 1)],
                axis=1,
            )
            return -comp_sum_bayes_risk_checked(p / p.sum(axis=1, keepdims=True), tau)

        # concave in q, so golden section finds the maximum; the ends are compared too (a maximum on the boundary)
        q = golden_section_min(neg_bayes, lo, hi, 1e-13)
        best = -np.minimum(np.minimum(neg_bayes(q), neg_bayes(lo)), neg_bayes(hi))
        out = np.minimum(out, float(comp_sum_pointwise_f(1.0 / j, tau)) - best)
    return np.maximum(out, 0.0).reshape(np.shape(t))
