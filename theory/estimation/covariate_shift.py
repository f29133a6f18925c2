"""Maximum likelihood under covariate shift: exact and asymptotic target risks of plain and importance-weighted fits.

Ge, Tang, Fan, Ma and Jin, "Maximum Likelihood Estimation is All You Need for Well-Specified Covariate Shift",
ICLR 2024, arXiv:2311.15961 [1]. Their abstract (read): under a *well-specified* model, plain maximum likelihood on
source data (no reweighting) is minimax optimal for the target risk up to a constant factor, with no boundedness
condition on the density ratio; under *misspecification* the maximum weighted likelihood estimator can be minimax
optimal instead. The theorems themselves were not read here; every formula below is derived here (the derivations
are in the docstrings) and checked by Monte Carlo in ``sims/estimation``.

Conventions, stated once.

- **Shift.** Covariates x in R^d come from the source p_S for training and from the target p_T for evaluation; the
  conditional law of y given x is the same under both. Covariances are symmetric positive definite, d x d.
- **Linear-Gaussian model** (``ols_covshift_risk``, ``iwls_asymptotic_risk``): y = x'beta + e, e ~ N(0, noise_var)
  independent of x, x ~ N(0, S_S) (source) or N(0, S_T) (target), no intercept. The target excess risk of an
  estimate b is E_T[(x'(b - beta))^2] = (b - beta)' S_T (b - beta).
- **Density ratio** w(x) = p_T(x) / p_S(x) (``gaussian_density_ratio``), computed as the exponential of a difference
  of log densities, so that it is exact where each density underflows.
- **Generalised eigenvalues** lambda_i of S_T with respect to S_S (S_T v = lambda S_S v): in the basis where S_S = I
  and S_T = diag(lambda), every quantity below is a product or a sum over coordinates, so it is computed there
  (a congruence leaves traces of S_T S_S^-1 and ratios of determinants unchanged).
- **Logistic model** (``logistic_fisher``): P(y = 1 | x) = sigmoid(beta_0 + beta_1'x), parameters (beta_0, beta_1)
  in R^(d+1) (intercept first), x ~ N(mean, cov); the Fisher information is E[sigmoid'(z) x~ x~'] with
  x~ = (1, x) and z = beta_0 + beta_1'x.

References
----------
.. [1] J. Ge, S. Tang, J. Fan, C. Ma, C. Jin, "Maximum Likelihood Estimation is All You Need for Well-Specified
   Covariate Shift", ICLR 2024, arXiv:2311.15961.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import integrate, linalg, special

from theory._checks import as_finite_array
from theory._constraints import Constraint, Integer, Real, SPDMatrix, Tensor, constrained

__all__ = [
    "MAX_DIM",
    "MAX_NOISE_VAR",
    "gaussian_density_ratio",
    "iwls_asymptotic_risk",
    "logistic_fisher",
    "logistic_weighted_fisher",
    "mle_asymptotic_excess",
    "ols_covshift_risk",
    "weighted_mle_asymptotic_excess",
]

# Valid ranges, as data. Dimensions to 256 (every sim uses d <= 8; beyond, the d x d eigenproblems stop being cheap);
# a noise variance to 1e100 keeps noise_var x a trace of 1e200 finite.
MAX_DIM = 256
MAX_NOISE_VAR = 1e100
# Logits beyond +-40 have sigmoid'(z) < 5e-18 relative to the peak (1/4): the quadrature ignores them.
_LOGIT_SPAN = 40.0

_COV = SPDMatrix(MAX_DIM)
_NOISE = Real(0.0, MAX_NOISE_VAR)


def _relative_eigenvalues(cov_source: NDArray, cov_target: NDArray) -> NDArray:
    """lambda_i with cov_target v = lambda cov_source v, ascending (both already checked SPD)."""
    scale = float(np.abs(cov_source).max())  # scale-free: eigenvalues of (S_T / s, S_S / s) are those of (S_T, S_S)
    return linalg.eigh(cov_target / scale, cov_source / scale, eigvals_only=True)


@constrained(cov_source=_COV, cov_target=SPDMatrix(MAX_DIM, like="cov_source"), n=Integer(1), noise_var=_NOISE)
def ols_covshift_risk(cov_source: ArrayLike, cov_target: ArrayLike, n: int, noise_var: float) -> float:
    """Exact expected target excess risk of ordinary least squares fitted on n source samples.

    .. math::  E\\,(\\hat\\beta - \\beta)' S_T (\\hat\\beta - \\beta)
               = \\sigma^2 \\operatorname{tr}(S_T S_S^{-1}) / (n - d - 1),   n > d + 1,

    and +inf for n <= d + 1 (the expectation diverges; for n < d least squares is not even unique). Derived here:
    given the design X, the error is (X'X)^-1 X'e, of covariance sigma^2 (X'X)^-1; X'X ~ Wishart_d(S_S, n), whose
    inverse has mean S_S^-1 / (n - d - 1) (the inverse-Wishart mean). With S_T = S_S this is the classical
    sigma^2 d / (n - d - 1).

    Parameters
    ----------
    cov_source, cov_target : (d, d) SPD arrays
        S_S and S_T (zero-mean Gaussian covariates; any S_T = E_T[x x'] works, as only the second moment enters).
    n : int >= 1
        Source sample size.
    noise_var : float in [0, 1e100]
        sigma^2.

    Returns
    -------
    float
        The expected excess, or inf for n <= d + 1.

    Examples
    --------
    >>> ols_covshift_risk(np.eye(2), 2 * np.eye(2), n=13, noise_var=1.0)
    0.4
    """
    d = cov_source.shape[0]
    if n <= d + 1:
        return math.inf
    return float(noise_var * _relative_eigenvalues(cov_source, cov_target).sum() / (n - d - 1))


@constrained(cov_source=_COV, cov_target=SPDMatrix(MAX_DIM, like="cov_source"), noise_var=_NOISE)
def iwls_asymptotic_risk(cov_source: ArrayLike, cov_target: ArrayLike, noise_var: float) -> float:
    """The limit of n times the target excess risk of importance-weighted least squares (weights w = p_T / p_S).

    .. math::  n\\,E[\\text{excess}] \\to \\sigma^2 c \\operatorname{tr}(S_T^{-1} M),\\quad
               M = (2 S_T^{-1} - S_S^{-1})^{-1},\\quad
               c = E_S[w^2] = \\frac{|S_S|^{1/2}}{|S_T|\\,|2 S_T^{-1} - S_S^{-1}|^{1/2}},

    finite if and only if S_T < 2 S_S (every generalised eigenvalue lambda_i < 2); +inf otherwise, where E_S[w^2] and
    the weighted estimator's asymptotic variance are infinite (its error then shrinks more slowly than 1/n). In the
    eigenbasis the limit is sigma^2 prod_i (lambda_i (2 - lambda_i))^(-1/2) sum_i 1 / (2 - lambda_i).

    Derived here: the weighted estimator solves sum w_i x_i (y_i - x_i'b) = 0; its sandwich covariance is
    A^-1 B A^-1 / n with A = E_S[w x x'] = S_T and B = sigma^2 E_S[w^2 x x']; p_T^2 / p_S is c times the
    N(0, M) density, so B = sigma^2 c M, and n E[excess] -> tr(S_T A^-1 B A^-1) = sigma^2 c tr(S_T^-1 M). It is
    never below ordinary least squares' limit sigma^2 tr(S_T S_S^-1) (Gauss-Markov; checked in the sims).

    Parameters
    ----------
    cov_source, cov_target : (d, d) SPD arrays
    noise_var : float in [0, 1e100]

    Returns
    -------
    float
        The limit, or inf.

    Examples
    --------
    >>> iwls_asymptotic_risk(np.eye(2), np.eye(2), 1.0)  # no shift: the weights are 1, as for least squares
    2.0
    >>> iwls_asymptotic_risk(np.eye(1), 3 * np.eye(1), 1.0)
    inf
    """
    if noise_var == 0.0:
        return 0.0
    lam = _relative_eigenvalues(cov_source, cov_target)
    if lam.max() >= 2.0:
        return math.inf
    # log c = -1/2 sum log(lambda (2 - lambda)): a sum of logs, so that d = 256 factors do not overflow
    log_c = -0.5 * float(np.sum(np.log(lam) + np.log(2.0 - lam)))
    if log_c >= 700.0:
        return math.inf
    return noise_var * math.exp(log_c) * float(np.sum(1.0 / (2.0 - lam)))


@constrained(
    x=Tensor(2),
    mean_source=Tensor(1, match=((0, "x", 1, 0),)),
    cov_source=SPDMatrix(MAX_DIM, like="x"),
    mean_target=Tensor(1, match=((0, "x", 1, 0),)),
    cov_target=SPDMatrix(MAX_DIM, like="x"),
)
def gaussian_density_ratio(
    x: ArrayLike, mean_source: ArrayLike, cov_source: ArrayLike, mean_target: ArrayLike, cov_target: ArrayLike
) -> NDArray:
    """The density ratio w(x) = N(x; mean_target, cov_target) / N(x; mean_source, cov_source) at each row of x.

    Computed as exp(log p_T(x) - log p_S(x)) with Cholesky factors, so that it is exact where both densities
    underflow; a ratio beyond float64 (log w > 709) is +inf, explicitly.

    Parameters
    ----------
    x : (m, d) array
    mean_source, mean_target : (d,) arrays
    cov_source, cov_target : (d, d) SPD arrays

    Returns
    -------
    (m,) array

    Examples
    --------
    >>> w = gaussian_density_ratio([[0.0], [1.0]], [0.0], [[1.0]], [1.0], [[1.0]])
    >>> np.round(w, 6)  # exp(x - 1/2)
    array([0.606531, 1.648721])
    """
    with np.errstate(over="ignore"):  # documented: a ratio beyond float64 is +inf
        return np.exp(_log_gauss(x, mean_target, cov_target) - _log_gauss(x, mean_source, cov_source))


def _log_gauss(x: NDArray, mean: NDArray, cov: NDArray) -> NDArray:
    L = linalg.cholesky(cov, lower=True)
    z = linalg.solve_triangular(L, (x - mean).T, lower=True)
    return -0.5 * np.sum(z * z, axis=0) - np.sum(np.log(np.diag(L))) - 0.5 * len(mean) * math.log(2 * math.pi)


def _sigmoid_moments(m: float, s: float) -> NDArray:
    """kappa_j = E[sigmoid'(m + s u) u^j], j = 0, 1, 2, u ~ N(0, 1), by adaptive quadrature over the logit."""
    if s < 1e-12:  # the logit is the constant m
        p = special.expit(m)
        return np.array([p * (1 - p), 0.0, p * (1 - p)])
    lo, hi = max(-_LOGIT_SPAN, m - 40 * s), min(_LOGIT_SPAN, m + 40 * s)
    if lo >= hi:  # the logit stays beyond +-40: sigmoid' is below 5e-18 there
        return np.zeros(3)

    def f(z: float, j: int) -> float:
        u = (z - m) / s
        p = special.expit(z)
        return p * (1 - p) * u**j * math.exp(-0.5 * u * u) / (s * math.sqrt(2 * math.pi))

    pts = [p for p in (0.0, m) if lo < p < hi]
    return np.array(
        [
            integrate.quad(f, lo, hi, args=(j,), points=pts or None, epsabs=1e-14, epsrel=1e-10, limit=200)[0]
            for j in range(3)
        ]
    )


@constrained(
    beta=Tensor(1, min_size=2), mean=Tensor(1, match=((0, "beta", 0, -1),)), cov=SPDMatrix(MAX_DIM, like="mean")
)
def logistic_fisher(beta: ArrayLike, mean: ArrayLike, cov: ArrayLike) -> NDArray:
    """Fisher information of the logistic model at ``beta`` under covariates x ~ N(mean, cov).

    .. math::  I = E[\\sigma'(z)\\, \\tilde x \\tilde x'],\\quad \\tilde x = (1, x),\\ z = \\beta_0 + \\beta_1'x.

    Computed by one-dimensional quadrature, independently of any fit: z ~ N(m, s^2) with m = beta_0 + beta_1'mean,
    s^2 = beta_1' cov beta_1, and x = mean + u g + r with u = (z - m)/s, g = cov beta_1 / s and r independent of u
    with covariance cov - g g'; so I needs only kappa_j = E[sigma'(z) u^j], j = 0, 1, 2 (adaptive quadrature over
    the logit, to relative 1e-10; where the logit stays beyond +-40 over mean +- 40 s, sigma' < 5e-18 and the
    information is returned as 0):

        I = kappa_0 [[1, mean'], [mean, mean mean' + cov - g g']] + kappa_1 [[0, g'], [g, mean g' + g mean']]
            + kappa_2 [[0, 0], [0, g g']].

    Parameters
    ----------
    beta : (d + 1,) array
        Intercept first.
    mean : (d,) array
    cov : (d, d) SPD array

    Returns
    -------
    (d + 1, d + 1) array

    Examples
    --------
    >>> np.round(logistic_fisher([0.0, 0.0], [0.0], [[1.0]]), 6)  # beta = 0: sigma' = 1/4 everywhere
    array([[0.25, 0.  ],
           [0.  , 0.25]])
    """
    b0, b = beta[0], beta[1:]
    scale = max(1.0, float(np.abs(b).max()))  # s computed scaled, so that |beta| = 1e300 does not overflow
    s = scale * math.sqrt(max(float((b / scale) @ cov @ (b / scale)), 0.0))
    m = float(b0 + b @ mean)
    k0, k1, k2 = _sigmoid_moments(m, s)
    g = cov @ b / s if s >= 1e-12 else np.zeros_like(mean)
    d = len(mean)
    out = np.empty((d + 1, d + 1))
    out[0, 0] = k0
    out[0, 1:] = out[1:, 0] = k0 * mean + k1 * g
    out[1:, 1:] = k0 * (np.outer(mean, mean) + cov - np.outer(g, g)) + k1 * (np.outer(mean, g) + np.outer(g, mean))
    out[1:, 1:] += k2 * np.outer(g, g)
    return out


@constrained(
    beta=Tensor(1, min_size=2),
    mean_source=Tensor(1, match=((0, "beta", 0, -1),)),
    cov_source=SPDMatrix(MAX_DIM, like="mean_source"),
    mean_target=Tensor(1, match=((0, "beta", 0, -1),)),
    cov_target=SPDMatrix(MAX_DIM, like="mean_source"),
)
def logistic_weighted_fisher(
    beta: ArrayLike, mean_source: ArrayLike, cov_source: ArrayLike, mean_target: ArrayLike, cov_target: ArrayLike
) -> NDArray:
    """B = E_S[w(x)^2 sigma'(z) x~ x~'], the middle of the sandwich of importance-weighted logistic regression.

    p_T^2 / p_S is c times a Gaussian density N(m, Q^-1), with (derived here, completing the square)

        Q = 2 P_T - P_S,   m = Q^-1 (2 P_T mu_T - P_S mu_S)   (P = cov^-1),
        log c = (1/2) log|S_S| - log|S_T| - (1/2) log|Q| + (1/2) h'Q^-1 h - mu_T'P_T mu_T + (1/2) mu_S'P_S mu_S,
        h = 2 P_T mu_T - P_S mu_S,

    so B = c ``logistic_fisher(beta, m, Q^-1)``. Where Q is not positive definite (S_T not < 2 S_S) E_S[w^2] is
    infinite and B is returned as a matrix of +inf, explicitly.

    Parameters
    ----------
    beta : (d + 1,) array
    mean_source, mean_target : (d,) arrays
    cov_source, cov_target : (d, d) SPD arrays

    Returns
    -------
    (d + 1, d + 1) array

    Examples
    --------
    >>> B = logistic_weighted_fisher([0.0, 1.0], [0.0], [[1.0]], [0.0], [[1.0]])  # no shift: w = 1
    >>> bool(np.allclose(B, logistic_fisher([0.0, 1.0], [0.0], [[1.0]])))
    True
    """
    P_S, P_T = np.linalg.inv(cov_source), np.linalg.inv(cov_target)
    Q = 2 * P_T - P_S
    q = np.linalg.eigvalsh((Q + Q.T) / 2)
    if q.min() <= 1e-12 * np.abs(q).max():
        return np.full((len(beta), len(beta)), math.inf)
    h = 2 * P_T @ mean_target - P_S @ mean_source
    m = np.linalg.solve(Q, h)
    logdet = lambda A: np.linalg.slogdet(A)[1]  # noqa: E731
    log_c = 0.5 * logdet(cov_source) - logdet(cov_target) - 0.5 * logdet(Q) + 0.5 * h @ m
    log_c += -mean_target @ P_T @ mean_target + 0.5 * mean_source @ P_S @ mean_source
    if log_c > 700.0:
        return np.full((len(beta), len(beta)), math.inf)
    cov_tilt = np.linalg.inv(Q)
    return math.exp(log_c) * logistic_fisher(beta, m, (cov_tilt + cov_tilt.T) / 2)


@constrained(fisher_target=SPDMatrix(MAX_DIM + 1), fisher_source=SPDMatrix(MAX_DIM + 1, like="fisher_target"))
def mle_asymptotic_excess(fisher_target: ArrayLike, fisher_source: ArrayLike) -> float:
    """The limit of n times the expected target excess log-loss of the (unweighted) MLE: (1/2) tr(I_T I_S^-1).

    Derived here for a well-specified model: sqrt(n) (theta_hat - theta) -> N(0, I_S^-1) (source Fisher
    information), and the target excess log-loss is E_T[KL(p_theta(.|x) || p_theta_hat(.|x))] =
    (1/2) (theta_hat - theta)' I_T (theta_hat - theta) + O(|theta_hat - theta|^3).

    Parameters
    ----------
    fisher_target, fisher_source : (p, p) SPD arrays
        I_T and I_S (``logistic_fisher`` under each distribution, say).

    Returns
    -------
    float

    Examples
    --------
    >>> mle_asymptotic_excess(np.eye(3), np.eye(3))  # no shift: p / 2
    1.5
    """
    return float(0.5 * np.trace(np.linalg.solve(fisher_source, fisher_target)))


@dataclass(frozen=True)
class _PSDOrInfinite(Constraint):
    """A symmetric positive semi-definite matrix of the shape of the earlier argument ``like``, or one that is +inf
    in every entry (an infinite E_S[w^2]); canonical form: a float array."""

    like: str

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> NDArray:
        shape = checked[self.like].shape
        if value is None or isinstance(value, str | bytes | bool):
            raise TypeError(f"{name} must be a {shape} positive semi-definite matrix; got {value!r:.40}")
        B = as_finite_array(value, name, ndim=2, allow_inf=True)
        if B.shape != shape:
            raise ValueError(f"{name} must have the shape of {self.like} {shape}; got {B.shape}")
        if np.any(np.isinf(B)):
            if not np.all(B == math.inf):
                raise ValueError(f"{name} must be finite, or +inf in every entry (an infinite E_S[w^2])")
            return B
        scale = max(float(np.abs(B).max()), 1e-300)
        if (
            not np.allclose(B, B.T, rtol=1e-10, atol=1e-12 * scale)
            or np.linalg.eigvalsh((B + B.T) / (2 * scale)).min() < -1e-10
        ):
            raise ValueError(f"{name} must be symmetric positive semi-definite; got {B.tolist()!r:.60}")
        return (B + B.T) / 2

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        p = np.shape(valid[self.like])[0]
        mixed = np.eye(p)
        mixed[0, 0] = math.inf
        return [None, "B", True, np.full((p, p), math.nan), -np.eye(p), np.eye(p + 1), np.ones(p), mixed]

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        p = np.shape(valid[self.like])[0]
        return [np.full((p, p), math.inf), np.zeros((p, p)), np.eye(p) * 1e-300]


@constrained(fisher_target=SPDMatrix(MAX_DIM + 1), weighted_fisher=_PSDOrInfinite(like="fisher_target"))
def weighted_mle_asymptotic_excess(fisher_target: ArrayLike, weighted_fisher: ArrayLike) -> float:
    """The limit of n times the expected target excess log-loss of the importance-weighted MLE: (1/2) tr(B I_T^-1).

    Derived here: the weighted score equation sum w_i grad log p(y_i | x_i) = 0 has A = E_S[w I(x)] = I_T and
    B = E_S[w^2 I(x)] (``logistic_weighted_fisher``), so the sandwich covariance is I_T^-1 B I_T^-1 and the
    excess (1/2) tr(I_T I_T^-1 B I_T^-1). It is never below ``mle_asymptotic_excess`` (the MLE is efficient among
    regular estimators); +inf where B is infinite (S_T not < 2 S_S).

    Parameters
    ----------
    fisher_target : (p, p) SPD array
        I_T.
    weighted_fisher : (p, p) array
        B, positive semi-definite and symmetric, or all +inf.

    Returns
    -------
    float

    Examples
    --------
    >>> weighted_mle_asymptotic_excess(np.eye(2), 2 * np.eye(2))
    2.0
    """
    if np.any(np.isinf(weighted_fisher)):
        return math.inf
    return float(0.5 * np.trace(np.linalg.solve(fisher_target, weighted_fisher)))
