"""In-context linear regression with one layer of linear self-attention (LSA) and one step of gradient descent.

Mahankali, Hashimoto and Ma, "One Step of Gradient Descent is Provably the Optimal In-Context Learner with One Layer
of Linear Self-Attention", ICLR 2024 (arXiv:2307.03576; bib key ``mahankali2024onestep``). Their abstract (read):
with standard Gaussian covariates the one-layer LSA that minimises the pre-training loss implements one step of GD on
the in-context least-squares loss; with non-isotropic Gaussian covariates *and weight vector* it implements one step
of preconditioned GD; with nonlinear responses it still implements one step of plain GD. The exact setting (the
parametrisation, how w is scaled, the noise) could not be read here, so the forms below are **derived in this
project**, in the setting stated next, and checked numerically against independent computations in the sims.

Conventions, stated once. A prompt is (x_1, y_1, ..., x_n, y_n, x_q) with x_i, x_q ~ N(0, S) (S = ``cov``, identity
by default), w ~ N(0, I_d), y_i = w.x_i + e_i, e_i ~ N(0, s2) (s2 = ``noise_var``); the target is y_q = w.x_q + e_q.
Batches of m prompts are arrays X (m, n, d), y (m, n), x_query (m, d), y_query (m,). One step of GD from zero on the
in-context loss (1/2n) sum_i (y_i - x_i.v)^2 with preconditioner G predicts

    y_hat = x_q' G g,   g = (1/n) sum_i y_i x_i.

With E[x x' A x x'] = S (A + A') S + tr(A S) S (Isserlis), E[g g'] = ((n+1)/n) S^2 + ((tr S + s2)/n) S, and

    R(G) = E(y_hat - y_q)^2 = tr(S G E[gg'] G') - 2 tr(S G S) + tr S + s2,

minimised by G* = n ((n + 1) S + (tr S + s2) I)^(-1); for S = I the scalar step eta* = n/(n + d + 1 + s2) with
R(eta) = d [eta^2 (n + d + 1)/n - 2 eta + 1] + eta^2 s2 d/n + s2.

LSA parametrisation: tokens z_i = (x_i, y_i) in R^(d+1), the query token z_q = (x_q, 0); the prediction is the last
coordinate of W_pv ((1/n) sum_i z_i z_i') W_kq z_q, with W_pv, W_kq of shape (d+1, d+1). Writing v = (v_x, v_y) for
the last row of W_pv and [A; b'] for the first d columns of W_kq (A: d x d, b in R^d),

    y_hat = v_x' C A x_q + (v_x' g)(b' x_q) + v_y g' A x_q + v_y s (b' x_q),   C = X'X/n, s = y'y/n,

so the model is one step of preconditioned GD, x_q' G g with G = v_y A' + b v_x', exactly when v_x' C A and v_y b
vanish. Every LSA prediction lies in the span of the monomials C_jk x_ql, g_j x_ql and s x_ql (``lsa_span_fit``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from theory._checks import as_finite_array, finite_result, rng_from
from theory._constraints import (
    Each,
    Integer,
    Optional,
    Real,
    Reals,
    Seed,
    SPDMatrix,
    Tensor,
    constrained,
    record,
)

__all__ = [
    "MAX_CONDITION",
    "MAX_CONTEXT",
    "MAX_DIM",
    "MAX_ENTRIES",
    "MAX_NOISE",
    "LSAFit",
    "SpanFit",
    "bayes_ridge_predict",
    "best_scalar_step",
    "fit_lsa",
    "fit_preconditioner",
    "gd_statistic",
    "lsa_forward",
    "lsa_span_coefficients",
    "lsa_span_features",
    "lsa_span_fit",
    "one_step_gd_predict",
    "one_step_gd_risk",
    "optimal_gd_step",
    "optimal_preconditioner",
    "preconditioned_gd_risk",
    "sample_prompts",
    "span_weights",
]

# Valid ranges, as data. A batch holds m n d floats: beyond MAX_ENTRIES (160 MB) sample in chunks instead.
MAX_ENTRIES = 20_000_000
MAX_DIM = 200  # d: the monomial span has d^3 + d^2 + d columns
MAX_CONTEXT = 1_000_000  # n
MAX_NOISE = 1e6  # noise variance: beyond it the signal is invisible at any useful m
MAX_CONDITION = 1e12  # of cov: G* solves with (n+1) S + (tr S + s2) I, and float64 keeps ~4 digits at 1e12


_N = Integer(1, MAX_CONTEXT)
_ND = {"n": _N, "d": Integer(1, MAX_DIM)}
_NOISE = Real(0.0, MAX_NOISE)
_COV = SPDMatrix(MAX_DIM, MAX_CONDITION)


def _covariance(cov: ArrayLike | None, d: int) -> NDArray:
    """The identity when ``cov`` is None; else ``cov`` checked as the SPD constraint ``_COV`` and of shape (d, d)."""
    if cov is None:
        return np.eye(d)
    S = _COV.check(cov, "cov", {})
    if S.shape[0] != d:
        raise ValueError(f"cov must be of shape ({d}, {d}) (d = {d}); got shape {S.shape}")
    return S


# ---------------------------------------------------------------------------------------------------------
# Closed forms (derived here; see the module docstring)
# ---------------------------------------------------------------------------------------------------------


@constrained(**_ND, noise_var=_NOISE)
def optimal_gd_step(n: int, d: int, noise_var: float = 0.0) -> float:
    """eta* = n/(n + d + 1 + s2): the risk-minimising step of one-step GD from zero, isotropic covariates.

    Parameters
    ----------
    n
        Examples per prompt, an integer >= 1.
    d
        Dimension, an integer >= 1.
    noise_var
        Noise variance s2 >= 0.

    Returns
    -------
    eta : float
        The optimal step.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), not finite, or of
        the wrong shape.

    Examples
    --------
    >>> optimal_gd_step(20, 5)
    0.7692307692307693
    """
    return n / (n + d + 1 + noise_var)


@constrained(eta=Reals(), **_ND, noise_var=_NOISE)
def one_step_gd_risk(eta: ArrayLike, n: int, d: int, noise_var: float = 0.0) -> NDArray:
    """R(eta) = d [eta^2 (n+d+1)/n - 2 eta + 1] + eta^2 s2 d/n + s2, isotropic covariates; vectorised in eta.

    Parameters
    ----------
    eta
        Steps (array-like, finite).
    n
        Examples per prompt, an integer >= 1.
    d
        Dimension, an integer >= 1.
    noise_var
        Noise variance s2 >= 0.

    Returns
    -------
    R : ndarray
        The risk, the shape of ``eta``.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), not finite, or of
        the wrong shape.

    Examples
    --------
    >>> float(one_step_gd_risk(0.0, 20, 5))  # predicting 0: the signal variance d
    5.0
    """
    s2 = noise_var
    with np.errstate(over="ignore", invalid="ignore"):
        R = d * (eta**2 * (n + d + 1) / n - 2 * eta + 1) + eta**2 * s2 * d / n + s2
    return finite_result(R, "the risk R(eta)", "eta, n, d and noise_var")


@constrained(cov=_COV, n=_N, noise_var=_NOISE)
def optimal_preconditioner(cov: ArrayLike, n: int, noise_var: float = 0.0) -> NDArray:
    """G* = n ((n + 1) S + (tr S + s2) I)^(-1), (d, d): the risk-minimising preconditioner of one-step GD.

    Parameters
    ----------
    cov
        Covariance S of the covariates, (d, d), symmetric positive definite (condition number <= 1e12).
    n
        Examples per prompt, an integer >= 1.
    noise_var
        Noise variance s2 >= 0.

    Returns
    -------
    G : ndarray
        G*, (d, d), symmetric positive definite.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), not finite, or of
        the wrong shape.

    Examples
    --------
    >>> G = optimal_preconditioner(np.eye(5), 20)
    >>> bool(np.allclose(G, optimal_gd_step(20, 5) * np.eye(5)))
    True
    """
    S, d = cov, cov.shape[0]
    return n * np.linalg.inv((n + 1) * S + (np.trace(S) + noise_var) * np.eye(d))


@constrained(cov=_COV, n=_N, noise_var=_NOISE)
def best_scalar_step(cov: ArrayLike, n: int, noise_var: float = 0.0) -> float:
    """argmin over eta of R(eta I): tr(S^2)/tr(S M), M = E[g g'] (module docstring); eta* when S = I.

    Parameters
    ----------
    cov
        Covariance S of the covariates, (d, d), symmetric positive definite (condition number <= 1e12).
    n
        Examples per prompt, an integer >= 1.
    noise_var
        Noise variance s2 >= 0.

    Returns
    -------
    eta : float
        The best scalar step for covariance S.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), not finite, or of
        the wrong shape.

    Examples
    --------
    >>> bool(np.isclose(best_scalar_step(np.eye(5), 20), optimal_gd_step(20, 5)))
    True
    """
    # in the scaled form S = c S1 (c = max |S|): tr(S^2)/tr(S M) = tr(S1^2) / (c ((n+1)/n tr(S1^3) + tr(S1)/n
    # tr(S1^2)) + s2/n tr(S1^2)), so that a covariance of 1e300 (or 1e-300) neither overflows nor underflows
    c = float(np.abs(cov).max())
    S1 = cov / c
    t2, t3 = np.trace(S1 @ S1), np.trace(S1 @ S1 @ S1)
    return float(t2 / (c * ((n + 1) / n * t3 + np.trace(S1) / n * t2) + noise_var / n * t2))


@constrained(cov=_COV, n=_N, noise_var=_NOISE)
def preconditioned_gd_risk(G: ArrayLike, cov: ArrayLike, n: int, noise_var: float = 0.0) -> NDArray:
    """R(G) = tr(S G M G') - 2 tr(S G S) + tr S + s2, M = ((n+1)/n) S^2 + ((tr S + s2)/n) S; G of shape
    (..., d, d) (vectorised over leading axes).

    Parameters
    ----------
    G
        Preconditioners, (..., d, d).
    cov
        Covariance S of the covariates, (d, d), symmetric positive definite (condition number <= 1e12).
    n
        Examples per prompt, an integer >= 1.
    noise_var
        Noise variance s2 >= 0.

    Returns
    -------
    R : ndarray
        The risk, shape ``G.shape[:-2]``.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), not finite, or of
        the wrong shape.

    Examples
    --------
    >>> S = np.diag([1.0, 4.0])
    >>> best = preconditioned_gd_risk(optimal_preconditioner(S, 10), S, 10)
    >>> bool(best < preconditioned_gd_risk(0.5 * np.eye(2), S, 10))
    True
    """
    S, d, s2 = cov, cov.shape[0], noise_var
    G = as_finite_array(G, "G")
    if G.ndim < 2 or G.shape[-2:] != (d, d):
        raise ValueError(f"G must have shape (..., {d}, {d}) to match cov; got {G.shape}")
    with np.errstate(over="ignore", invalid="ignore"):  # an unrepresentable risk is the ValueError below
        M = (n + 1) / n * S @ S + (np.trace(S) + s2) / n * S
        SG = S @ G
        R = np.einsum("...ij,jk,...ik->...", SG, M, G) - 2 * np.einsum("...ij,ji->...", SG, S) + np.trace(S) + s2
    return finite_result(R, "the risk R(G)", "G, cov, n and noise_var")


# ---------------------------------------------------------------------------------------------------------
# Prompts, predictors and fits
# ---------------------------------------------------------------------------------------------------------


@constrained(m=Integer(1), **_ND, noise_var=_NOISE)
def sample_prompts(
    m: int,
    n: int,
    d: int,
    rng: np.random.Generator | int | None = None,
    cov: ArrayLike | None = None,
    noise_var: float = 0.0,
    target: Callable[[NDArray], NDArray] | None = None,
) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """m prompts: X (m, n, d), y (m, n), x_query (m, d), y_query (m,), in the setting of the module docstring.

    ``target``: a vectorised callable applied to the linear response w.x before the noise is added (e.g.
    ``lambda u: np.maximum(u, 0)``); None for the linear model.

    Parameters
    ----------
    m
        Number of prompts, an integer >= 1.
    n
        Examples per prompt, an integer >= 1.
    d
        Dimension, an integer >= 1.
    rng
        Seed or generator.
    cov
        Covariance of the covariates, (d, d) SPD, or None for I.
    noise_var
        Noise variance s2 >= 0.
    target
        Nonlinearity applied to w.x, or None.

    Returns
    -------
    X, y, x_query, y_query : ndarray
        Shapes (m, n, d), (m, n), (m, d), (m,).

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), not finite, or of
        the wrong shape.

    Examples
    --------
    >>> X, y, xq, yq = sample_prompts(1000, 10, 3, rng=0)
    >>> X.shape, y.shape, xq.shape, yq.shape
    ((1000, 10, 3), (1000, 10), (1000, 3), (1000,))
    """
    if m * (n + 1) * d > MAX_ENTRIES:
        raise ValueError(f"m x (n + 1) x d must be <= {MAX_ENTRIES} (memory); got {m * (n + 1) * d}: sample in chunks")
    S, s2 = _covariance(cov, d), noise_var
    if target is not None and not callable(target):
        raise TypeError(f"target must be a callable (e.g. np.tanh) or None; got {type(target).__name__}")
    gen = rng_from(rng, "rng")
    L = np.linalg.cholesky(S)
    # one (m (n + 1), d) x (d, d) product (a batched 3-d matmul with small d is ~20% slower); Z = N(0, I) when S = I
    Z = gen.standard_normal((m, n + 1, d))
    if not np.array_equal(S, np.eye(d)):
        Z = (Z.reshape(-1, d) @ L.T).reshape(Z.shape)
    w = gen.standard_normal((m, d))
    u = np.einsum("mnd,md->mn", Z, w)
    if target is not None:
        u = np.asarray(target(u), dtype=float)
        if u.shape != (m, n + 1) or not np.all(np.isfinite(u)):
            raise ValueError("target must map an array to finite values of the same shape")
    if s2 > 0:
        u = u + np.sqrt(s2) * gen.standard_normal(u.shape)
    return Z[:, :n], u[:, :n], Z[:, n], u[:, n]


_NO_TARGET = object()  # _prompts without y_query (a predictor's inputs); None is a bad y_query, not its absence


# A batch of m prompts: n examples (x_i, y_i) in d dimensions and one query each (declared once, used by every
# function that takes prompts).
PROMPTS = {
    "X": Tensor(3, min_size=1),
    "y": Tensor(2, match=((0, "X", 0, 0), (1, "X", 1, 0))),
    "x_query": Tensor(2, match=((0, "X", 0, 0), (1, "X", 2, 0))),
}
_QUERY_TARGETS = {"y_query": Tensor(1, match=((0, "X", 0, 0),))}
_ATTENTION = Tensor(2, match=((0, "X", 2, 1), (1, "X", 2, 1)))  # (d + 1, d + 1)


def _prompts(X: ArrayLike, y: ArrayLike, x_query: ArrayLike, y_query: ArrayLike | object = _NO_TARGET):
    X = as_finite_array(X, "X", ndim=3, min_size=1)
    m, n, d = X.shape
    y = as_finite_array(y, "y", ndim=2)
    xq = as_finite_array(x_query, "x_query", ndim=2)
    if y.shape != (m, n):
        raise ValueError(f"y must have shape (m, n) = {(m, n)} to match X; got {y.shape}")
    if xq.shape != (m, d):
        raise ValueError(f"x_query must have shape (m, d) = {(m, d)} to match X; got {xq.shape}")
    if y_query is _NO_TARGET:
        return X, y, xq, None
    yq = as_finite_array(y_query, "y_query", ndim=1)
    if yq.shape != (m,):
        raise ValueError(f"y_query must have shape (m,) = {(m,)} to match X; got {yq.shape}")
    return X, y, xq, yq


@constrained(X=PROMPTS["X"], y=PROMPTS["y"])
def gd_statistic(X: ArrayLike, y: ArrayLike) -> NDArray:
    """g = (1/n) sum_i y_i x_i per prompt, (m, d): the negative gradient of the in-context loss at zero.

    Parameters
    ----------
    X
        Prompts' inputs, (m, n, d).
    y
        Prompts' responses, (m, n).

    Returns
    -------
    g : ndarray
        (m, d).

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), not finite, or of
        the wrong shape.

    Examples
    --------
    >>> X, y, xq, yq = sample_prompts(4, 10, 3, rng=0)
    >>> gd_statistic(X, y).shape
    (4, 3)
    """
    return np.einsum("mnd,mn->md", X, y) / X.shape[1]


@constrained(**PROMPTS)  # G (a scalar or d x d) is checked below
def one_step_gd_predict(G: ArrayLike, X: ArrayLike, y: ArrayLike, x_query: ArrayLike) -> NDArray:
    """x_q' G g per prompt, (m,); G a (d, d) matrix or a scalar step.

    Parameters
    ----------
    G
        A (d, d) preconditioner or a scalar step.
    X
        Prompts' inputs, (m, n, d).
    y
        Prompts' responses, (m, n).
    x_query
        Query inputs, (m, d).

    Returns
    -------
    y_hat : ndarray
        Predictions, (m,).

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), not finite, or of
        the wrong shape.

    Examples
    --------
    >>> X, y, xq, yq = sample_prompts(200_000, 10, 3, rng=0)
    >>> eta = optimal_gd_step(10, 3)
    >>> mc = float(np.mean((one_step_gd_predict(eta, X, y, xq) - yq) ** 2))
    >>> bool(abs(mc - float(one_step_gd_risk(eta, 10, 3))) < 0.05)  # Monte Carlo against the formula
    True
    """
    xq, d = x_query, X.shape[2]
    G = as_finite_array(G, "G")
    if G.ndim == 0:
        G = G * np.eye(d)
    if G.shape != (d, d):
        raise ValueError(f"G must be a scalar or of shape ({d}, {d}); got {G.shape}")
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.einsum("md,de,me->m", xq, G, gd_statistic.__wrapped__(X, y))
    return finite_result(out, "the prediction x_q' G g", "G, X, y and x_query")


@constrained(**PROMPTS, W_kq=_ATTENTION, W_pv=_ATTENTION)
def lsa_forward(W_kq: ArrayLike, W_pv: ArrayLike, X: ArrayLike, y: ArrayLike, x_query: ArrayLike) -> NDArray:
    """The one-layer LSA prediction for a batch of prompts, (m,): last coordinate of W_pv Zbar W_kq z_q.

    Parameters
    ----------
    W_kq
        Key-query matrix, (d + 1, d + 1).
    W_pv
        Projection-value matrix, (d + 1, d + 1) (only its last row is read).
    X
        Prompts' inputs, (m, n, d).
    y
        Prompts' responses, (m, n).
    x_query
        Query inputs, (m, d).

    Returns
    -------
    y_hat : ndarray
        Predictions, (m,).

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), not finite, or of
        the wrong shape.

    Examples
    --------
    >>> X, y, xq, yq = sample_prompts(5, 10, 2, rng=0)
    >>> W_kq = np.zeros((3, 3)); W_kq[:2, :2] = np.eye(2)
    >>> W_pv = np.zeros((3, 3)); W_pv[2, 2] = 0.5
    >>> # an LSA that is one GD step with eta = 0.5
    >>> bool(np.allclose(lsa_forward(W_kq, W_pv, X, y, xq), one_step_gd_predict(0.5, X, y, xq)))
    True
    """
    xq = x_query
    with np.errstate(over="ignore", invalid="ignore"):
        out = _lsa(W_kq, W_pv[-1], X, y, xq)[0]
    return finite_result(out, "the LSA prediction", "W_kq, W_pv, X, y and x_query")


def _tokens(X: NDArray, y: NDArray, xq: NDArray) -> tuple[NDArray, NDArray]:
    Z = np.concatenate([X, y[..., None]], axis=2)  # (m, n, d+1)
    Zbar = np.einsum("mni,mnj->mij", Z, Z) / X.shape[1]
    zq = np.concatenate([xq, np.zeros((len(xq), 1))], axis=1)
    return Zbar, zq


def _lsa(W_kq: NDArray, v: NDArray, X: NDArray, y: NDArray, xq: NDArray, cache=None):
    Zbar, zq = cache if cache is not None else _tokens(X, y, xq)
    u = zq @ W_kq.T  # W_kq z_q, (m, D)
    t = np.einsum("mij,mj->mi", Zbar, u)  # Zbar W_kq z_q
    return t @ v, (Zbar, zq, t)


@dataclass(frozen=True)
@record(
    W_kq=Tensor(2),
    W_pv=Tensor(2),
    risk=Real(0.0),
    preconditioner=Optional(Tensor(2)),
    outside_ratio=Real(0.0, allow_inf=True),
    n_starts=Integer(1),
    restarts_risk=Each(Real(0.0)),
)
class LSAFit:
    """A trained one-layer LSA. ``preconditioner`` is G = v_y A' + b v_x' when the model acts as x_q' G g (the
    terms outside that block, |v_x| |A| and |v_y| |b|, below ``gd_tol`` times |G|), else None."""

    W_kq: NDArray
    W_pv: NDArray
    risk: float  # mean squared error on the training prompts
    preconditioner: NDArray | None
    outside_ratio: float  # max(|v_x| |A|, |v_y| |b|) / |G| (Frobenius norms)
    n_starts: int
    restarts_risk: tuple[float, ...]


@constrained(
    **PROMPTS,
    **_QUERY_TARGETS,
    n_starts=Integer(1, 1000, costly=True),
    rng=Seed(),
    max_iter=Integer(1, 10_000_000, costly=True),
    gd_tol=Real(0.0, 1.0, lo_open=True),
)
def fit_lsa(
    X: ArrayLike,
    y: ArrayLike,
    x_query: ArrayLike,
    y_query: ArrayLike,
    n_starts: int = 4,
    rng: np.random.Generator | int | None = None,
    max_iter: int = 5000,
    gd_tol: float = 0.05,
) -> LSAFit:
    """Train every parameter of the LSA (W_kq and the last row of W_pv, the only one the prediction reads) by
    L-BFGS with analytic gradients from ``n_starts`` random starts on the empirical squared error; keep the best.

    Parameters
    ----------
    X
        Prompts' inputs, (m, n, d).
    y
        Prompts' responses, (m, n).
    x_query
        Query inputs, (m, d).
    y_query
        Query responses, (m,).
    n_starts
        Random starts of L-BFGS (>= 1).
    rng
        Seed or generator of the starts.
    max_iter
        L-BFGS iterations per start.
    gd_tol
        Largest weight outside the GD block, relative to it, for the fit to report a preconditioner.

    Returns
    -------
    fit : LSAFit
        The best start's matrices, its training risk, and the preconditioner it implements (or None).

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), not finite, or of
        the wrong shape.

    Examples
    --------
    >>> X, y, xq, yq = sample_prompts(5000, 8, 2, rng=1)
    >>> fit = fit_lsa(X, y, xq, yq, n_starts=2, rng=0)
    >>> fit.risk < float(one_step_gd_risk(0.0, 8, 2))
    True
    """
    from scipy.optimize import minimize

    xq, yq = x_query, y_query
    gen = rng
    m, _, d = X.shape
    D = d + 1
    cache = _tokens(X, y, xq)
    # The prediction is bilinear: y_hat = sum_{ijk} v_i W_jk phi_ijk with phi_ijk = Zbar_ij (z_q)_k, and z_q's last
    # coordinate is 0, so k < d. The empirical risk is therefore the quadratic form u'Mu - 2 b'u + c in u = v (x) W
    # with the prompts' second moments M = E phi phi', b = E y_q phi, c = E y_q^2, accumulated once: every L-BFGS
    # step then costs O((D^2 d)^2) instead of O(m D^2), with no change to the function minimised (its rounding is
    # ~1e-15 of the risk). The reported risks are recomputed from the prompts directly (``risk_of``).
    Zbar, zq = cache
    M, b = np.zeros((D * D * d, D * D * d)), np.zeros(D * D * d)
    for lo in range(0, m, 4096):  # chunks bound the (rows, D^2 d) feature workspace
        phi = np.einsum("mij,mk->mijk", Zbar[lo : lo + 4096], zq[lo : lo + 4096, :d]).reshape(-1, D * D * d)
        M += phi.T @ phi
        b += phi.T @ yq[lo : lo + 4096]
    M, b, c = M / m, b / m, float(yq @ yq) / m

    def f(theta: NDArray) -> tuple[float, NDArray]:
        W, v = theta[: D * D].reshape(D, D), theta[D * D :]
        u = (v[:, None, None] * W[None, :, :d]).ravel()
        Mu = M @ u
        g = (2.0 * (Mu - b)).reshape(D, D, d)
        grad_W = np.zeros((D, D))
        grad_W[:, :d] = np.einsum("ijk,i->jk", g, v)
        grad_v = np.einsum("ijk,jk->i", g, W[:, :d])
        return float(u @ Mu - 2.0 * (b @ u) + c), np.concatenate([grad_W.ravel(), grad_v])

    def risk_of(theta: NDArray) -> float:
        r = _lsa(theta[: D * D].reshape(D, D), theta[D * D :], X, y, xq, cache)[0] - yq
        return float(r @ r / m)

    best, best_risk, risks = None, np.inf, []
    for _ in range(n_starts):
        x0 = gen.normal(scale=1.0 / np.sqrt(D), size=D * D + D)
        res = minimize(f, x0, jac=True, method="L-BFGS-B", options={"maxiter": max_iter, "gtol": 1e-12, "ftol": 1e-15})
        risks.append(risk_of(res.x))
        if risks[-1] < best_risk:
            best, best_risk = res, risks[-1]
    W_kq, v = best.x[: D * D].reshape(D, D), best.x[D * D :]
    W_pv = np.zeros((D, D))
    W_pv[-1] = v
    A, b, vx, vy = W_kq[:d, :d], W_kq[d, :d], v[:d], v[d]
    G = vy * A.T + np.outer(b, vx)
    g_norm = float(np.linalg.norm(G))
    outside = max(float(np.linalg.norm(vx) * np.linalg.norm(A)), abs(float(vy)) * float(np.linalg.norm(b)))
    ratio = outside / g_norm if g_norm > 0 else float("inf")
    return LSAFit(W_kq, W_pv, best_risk, G if ratio <= gd_tol else None, ratio, n_starts, tuple(risks))


def _lstsq(F: NDArray, yq: NDArray) -> tuple[NDArray, float]:
    coef, *_ = np.linalg.lstsq(F, yq, rcond=None)
    r = F @ coef - yq
    return coef, float(r @ r / len(yq))


@constrained(**PROMPTS, **_QUERY_TARGETS)
def fit_preconditioner(X: ArrayLike, y: ArrayLike, x_query: ArrayLike, y_query: ArrayLike) -> tuple[NDArray, float]:
    """The least-squares preconditioner: regress y_q on vec(x_q g') (a convex problem); returns (G (d, d), risk).

    Parameters
    ----------
    X
        Prompts' inputs, (m, n, d).
    y
        Prompts' responses, (m, n).
    x_query
        Query inputs, (m, d).
    y_query
        Query responses, (m,).

    Returns
    -------
    G, risk : ndarray, float
        The least-squares preconditioner (d, d) and its in-sample risk.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), not finite, or of
        the wrong shape.

    Examples
    --------
    >>> X, y, xq, yq = sample_prompts(100_000, 10, 2, rng=0)
    >>> G, risk = fit_preconditioner(X, y, xq, yq)
    >>> bool(np.allclose(G, optimal_preconditioner(np.eye(2), 10), atol=0.05))
    True
    """
    xq, yq, d = x_query, y_query, X.shape[2]
    F = np.einsum("mi,mj->mij", xq, gd_statistic.__wrapped__(X, y)).reshape(len(yq), d * d)
    coef, risk = _lstsq(F, yq)
    return coef.reshape(d, d), risk


@dataclass(frozen=True)
@record(cubic=Tensor(3), gd_block=Tensor(2), scale=Reals(), risk=Real(0.0))
class SpanFit:
    """Least squares over the monomial span of every LSA prediction: weights on C_jk x_ql (``cubic``, (d, d, d),
    symmetric in j, k as C is), on g_j x_ql (``gd_block``, as the (d, d) matrix G of x_q' G g) and on s x_ql
    (``scale``, (d,)), and the in-sample risk."""

    cubic: NDArray
    gd_block: NDArray
    scale: NDArray
    risk: float


def _upper(d: int) -> tuple[NDArray, NDArray]:
    return np.triu_indices(d)


@constrained(**PROMPTS)
def lsa_span_features(X: ArrayLike, y: ArrayLike, x_query: ArrayLike) -> NDArray:
    """The monomials spanning every LSA prediction, (m, p) with p = d^2 (d+1)/2 + d^2 + d: C_jk x_ql for j <= k
    (C = X'X/n is symmetric, so C_kj adds nothing), then x_ql g_j (row-major in (l, j): the entries of G in
    x_q' G g), then s x_ql, s = y'y/n.

    Parameters
    ----------
    X
        Prompts' inputs, (m, n, d).
    y
        Prompts' responses, (m, n).
    x_query
        Query inputs, (m, d).

    Returns
    -------
    F : ndarray
        (m, p), p = d^2 (d+1)/2 + d^2 + d.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), not finite, or of
        the wrong shape.

    Examples
    --------
    >>> X, y, xq, yq = sample_prompts(4, 10, 2, rng=0)
    >>> lsa_span_features(X, y, xq).shape  # p = 6 + 4 + 2
    (4, 12)
    """
    xq = x_query
    m, n, d = X.shape
    C = np.einsum("mni,mnj->mij", X, X) / n
    j, k = _upper(d)
    s = np.einsum("mn,mn->m", y, y) / n
    return np.concatenate(
        [
            (C[:, j, k][:, :, None] * xq[:, None, :]).reshape(m, -1),
            np.einsum("ml,mj->mlj", xq, gd_statistic.__wrapped__(X, y)).reshape(m, d * d),
            s[:, None] * xq,
        ],
        axis=1,
    )


@constrained(d=Integer(1, MAX_DIM))
def span_weights(coef: ArrayLike, d: int) -> tuple[NDArray, NDArray, NDArray]:
    """Split a coefficient vector over ``lsa_span_features`` into its blocks: cubic (d, d, d), GD block (d, d), scale
    (d,), as in :class:`SpanFit`.

    Parameters
    ----------
    coef
        Coefficients over ``lsa_span_features``, (p,).
    d
        Dimension, an integer >= 1.

    Returns
    -------
    cubic, gd, scale : ndarray
        Shapes (d, d, d), (d, d), (d,).

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), not finite, or of
        the wrong shape.

    Examples
    --------
    >>> [a.shape for a in span_weights(np.zeros(12), 2)]
    [(2, 2, 2), (2, 2), (2,)]
    """
    coef = as_finite_array(coef, "coef", ndim=1)
    n_c = d * d * (d + 1) // 2
    if coef.size != n_c + d * d + d:
        raise ValueError(
            f"coef must have d^2 (d+1)/2 + d^2 + d = {n_c + d * d + d} entries for d = {d}; got {coef.size}"
        )
    j, k = _upper(d)
    upper = coef[:n_c].reshape(len(j), d)
    cubic = np.zeros((d, d, d))
    cubic[j, k] += upper / 2  # the weight of C_jk (j <= k) split evenly between C_jk and C_kj
    cubic[k, j] += upper / 2
    return cubic, coef[n_c : n_c + d * d].reshape(d, d), coef[-d:].copy()


@constrained(**PROMPTS, **_QUERY_TARGETS)
def lsa_span_fit(X: ArrayLike, y: ArrayLike, x_query: ArrayLike, y_query: ArrayLike) -> SpanFit:
    """Least squares over ``lsa_span_features`` (convex): its in-sample risk bounds from below the risk, on the same
    prompts, of every LSA (each LSA prediction is one element of that span, module docstring).

    Parameters
    ----------
    X
        Prompts' inputs, (m, n, d).
    y
        Prompts' responses, (m, n).
    x_query
        Query inputs, (m, d).
    y_query
        Query responses, (m,).

    Returns
    -------
    fit : SpanFit
        The least-squares coefficients, their blocks and the in-sample risk.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), not finite, or of
        the wrong shape.

    Examples
    --------
    >>> X, y, xq, yq = sample_prompts(20_000, 8, 2, rng=0)
    >>> lsa_span_fit(X, y, xq, yq).risk <= fit_preconditioner(X, y, xq, yq)[1] + 1e-12
    True
    """
    coef, risk = _lstsq(lsa_span_features.__wrapped__(X, y, x_query), y_query)
    return SpanFit(*span_weights(coef, X.shape[2]), risk)


@constrained(W_kq=Tensor(2, min_size=4), W_pv=Tensor(2, match=((0, "W_kq", 0, 0), (1, "W_kq", 1, 0))))
def lsa_span_coefficients(W_kq: ArrayLike, W_pv: ArrayLike) -> NDArray:
    """The coefficients of an LSA over ``lsa_span_features``: its prediction is features @ coefficients.

    Parameters
    ----------
    W_kq
        Key-query matrix, (d + 1, d + 1).
    W_pv
        Projection-value matrix, (d + 1, d + 1).

    Returns
    -------
    coef : ndarray
        (p,).

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), not finite, or of
        the wrong shape.

    Examples
    --------
    >>> X, y, xq, yq = sample_prompts(5, 10, 2, rng=0)
    >>> W_kq, W_pv = np.eye(3), np.eye(3)
    >>> span = lsa_span_features(X, y, xq) @ lsa_span_coefficients(W_kq, W_pv)
    >>> bool(np.allclose(span, lsa_forward(W_kq, W_pv, X, y, xq)))
    True
    """
    D = W_kq.shape[0]
    if W_kq.shape != (D, D) or W_pv.shape != (D, D) or D < 2:
        raise ValueError(f"W_kq and W_pv must both be (d + 1, d + 1) with d >= 1; got {W_kq.shape} and {W_pv.shape}")
    d = D - 1
    v = W_pv[-1]
    A, b, vx, vy = W_kq[:d, :d], W_kq[d, :d], v[:d], v[d]
    full = np.einsum("j,kl->jkl", vx, A)  # weight of C_jk x_ql
    j, k = _upper(d)
    upper = np.where((j == k)[:, None], full[j, k], full[j, k] + full[k, j])
    G = vy * A.T + np.outer(b, vx)
    return np.concatenate([upper.ravel(), G.ravel(), vy * b])


@constrained(**PROMPTS, noise_var=Real(0.0, MAX_NOISE, lo_open=True))
def bayes_ridge_predict(X: ArrayLike, y: ArrayLike, x_query: ArrayLike, noise_var: float) -> NDArray:
    """The Bayes-optimal prediction E[y_q | prompt] for w ~ N(0, I), noise s2 > 0: x_q' (X'X + s2 I)^(-1) X'y.

    Parameters
    ----------
    X
        Prompts' inputs, (m, n, d).
    y
        Prompts' responses, (m, n).
    x_query
        Query inputs, (m, d).
    noise_var
        Noise variance s2 > 0.

    Returns
    -------
    y_hat : ndarray
        Predictions, (m,).

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), not finite, or of
        the wrong shape.

    Examples
    --------
    >>> X, y, xq, yq = sample_prompts(50_000, 5, 3, rng=0, noise_var=1.0)
    >>> ridge = np.mean((bayes_ridge_predict(X, y, xq, 1.0) - yq) ** 2)
    >>> bool(ridge < one_step_gd_risk(optimal_gd_step(5, 3, 1.0), 5, 3, 1.0))  # Bayes beats one GD step
    True
    """
    xq = x_query
    s2 = noise_var
    d = X.shape[2]
    A = np.einsum("mni,mnj->mij", X, X) + s2 * np.eye(d)
    w_hat = np.linalg.solve(A, np.einsum("mnd,mn->md", X, y)[..., None])[..., 0]
    return np.einsum("md,md->m", xq, w_hat)
