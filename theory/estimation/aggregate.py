"""Learning from aggregate responses: bag-level and instance-level least squares, the interpolating estimator, and
their exact and proportional-limit risks.

Javanmard, Chen, Mirrokni, Badanidiyuru and Fu, "Learning from Aggregate Responses: Instance Level versus Bag Level
Loss Functions", ICLR 2024, arXiv:2401.11081 [1]. Their abstract (read, restated): the instance-level loss is a
regularised form of the bag-level loss; this allows comparing the two by bias and variance and motivates an
interpolating estimator; for linear regression the interpolating estimator's risk is characterised exactly in the
proportional regime (sample size growing with the dimension). The paper's theorems were not read here: the identity,
the exact finite-sample risks and the limit below are derived here (in the docstrings) and checked by Monte Carlo in
``sims/estimation``.

Conventions, stated once.

- **Model.** y_i = x_i'theta + e_i, x_i ~ N(0, I_d), e_i ~ N(0, noise_var), i = 1..n; signal2 = ||theta||^2.
- **Bags.** The n samples are partitioned into bags (``bags``: one integer id per sample); bag b has size k_b, mean
  covariate xbar_b and aggregate response ybar_b (the mean of its y). Only ybar is observed. *Random bags of size k*
  (``random_bags``): a uniformly random partition into m = n / k bags of k.
- **Losses** (``bag_losses``): the bag-level loss L_bag(t) = (1/n) sum_b k_b (ybar_b - xbar_b't)^2 (the mean over
  bags for equal sizes) and the instance-level loss L_ins(t) = (1/n) sum_i (ybar_b(i) - x_i't)^2. Identity (exact,
  derived: expand x_i = xbar_b + (x_i - xbar_b) in each bag, the cross term sums to 0):
  L_ins(t) = L_bag(t) + t' S_w t, S_w = (1/n) sum_b sum_(i in b) (x_i - xbar_b)(x_i - xbar_b)' (within-bag scatter).
- **Interpolating estimator** (``interpolating_estimator``): the minimiser of L_bag(t) + rho t'S_w t,
  theta_rho = (sum_b k_b xbar_b xbar_b' + rho W)^-1 sum_b k_b xbar_b ybar_b, W = n S_w; rho = 0 is bag-level least
  squares, rho = 1 instance-level least squares, rho > 1 is allowed.
- **Risk** E||theta_hat - theta||^2 = bias + variance, split conditionally on the covariates: *bias* is the part
  that does not depend on the noise (the risk at noise_var = 0), *variance* the part proportional to noise_var.

References
----------
.. [1] A. Javanmard, L. Chen, V. Mirrokni, A. Badanidiyuru, G. Fu, "Learning from Aggregate Responses: Instance Level
   versus Bag Level Loss Functions", ICLR 2024, arXiv:2401.11081.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize

from theory._constraints import (
    Constraint,
    Integer,
    Matrix,
    Real,
    Reals,
    Seed,
    Tensor,
    Weights,
    checked_fields,
    constrained,
    record,
)

__all__ = [
    "MAX_BAG",
    "MAX_RHO",
    "BagLosses",
    "RiskDecomposition",
    "bag_losses",
    "bag_risk_exact",
    "instance_risk_exact",
    "interpolating_estimator",
    "interpolating_risk_limit",
    "optimal_rho",
    "random_bags",
]

# Valid ranges, as data: bags of up to 10^4 samples; rho up to 10^6 (beyond, theta_rho is 0 to rounding).
MAX_BAG = 10_000
MAX_RHO = 1e6
MAX_SIGNAL = 1e100


class _RiskParts(NamedTuple):
    risk: float
    bias: float
    variance: float


class _RiskPart(Constraint):
    """A risk or one of its parts: >= 0, +inf where the expectation diverges, never NaN; a float, or a float array
    where the function was vectorised."""

    _values = Reals(0.0, allow_inf=True)

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> float | NDArray:
        arr = self._values.check(value, name, checked)
        return float(arr) if arr.ndim == 0 else arr

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return self._values.invalid(valid, name)


class RiskDecomposition(_RiskParts):
    """risk = bias + variance (see the module's conventions); unpacks as a tuple (risk, bias, variance)."""

    __slots__ = ()
    __constraints__: ClassVar[dict[str, Constraint]] = {
        "risk": _RiskPart(),
        "bias": _RiskPart(),
        "variance": _RiskPart(),
    }

    def __new__(cls, risk: Any, bias: Any, variance: Any) -> RiskDecomposition:
        values = {"risk": risk, "bias": bias, "variance": variance}
        return super().__new__(cls, **checked_fields(cls.__constraints__, values))


@dataclass(frozen=True)
@record(instance=Reals(0.0), bag=Reals(0.0, like="instance"), penalty=Reals(0.0, like="instance"))
class BagLosses:
    """The two losses at theta and the within-bag penalty: ``instance == bag + penalty`` (module docstring)."""

    instance: NDArray
    bag: NDArray
    penalty: NDArray


@dataclass(frozen=True)
class _BagIds(Constraint):
    """One integer bag id per row of the matrix ``rows_of`` (any integers; integral floats accepted); canonical
    form: ids relabelled 0..m-1 (an int array of shape (n,))."""

    rows_of: str

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> NDArray:
        n = checked[self.rows_of].shape[0]
        if value is None or isinstance(value, str | bytes | bool):
            raise TypeError(f"{name} must be an array of integer bag ids; got {type(value).__name__} {value!r:.40}")
        ids = Reals().check(value, name, checked)
        if ids.shape != (n,) or np.any(ids != np.round(ids)):
            raise ValueError(f"{name} must hold {n} integer bag ids, one per row of {self.rows_of}; got {ids.shape}")
        return np.unique(ids, return_inverse=True)[1].reshape(n)

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        n = np.shape(valid[self.rows_of])[0]
        return [None, "b", np.full(n, 0.5), np.zeros(n + 1), np.zeros((n, 1)), [math.nan] * n, True]

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        n = np.shape(valid[self.rows_of])[0]
        return [np.zeros(n, dtype=int), np.arange(n), np.arange(n) * 10**12]


def _bag_sums(X: NDArray, y: NDArray, bags: NDArray) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """(sizes k_b, bag means xbar (m, d), bag responses ybar (m,), within scatter W = sum (x - xbar)(x - xbar)')."""
    m = int(bags.max()) + 1
    k = np.bincount(bags, minlength=m).astype(float)
    xbar = np.zeros((m, X.shape[1]))
    np.add.at(xbar, bags, X)
    xbar /= k[:, None]
    ybar = np.bincount(bags, weights=y, minlength=m) / k
    dev = X - xbar[bags]
    return k, xbar, ybar, dev.T @ dev


_XY = {"X": Matrix(min_rows=2), "y": Tensor(1, match=((0, "X", 0, 0),)), "bags": _BagIds(rows_of="X")}


@constrained(**_XY, theta=Weights(cols_of="X", batch=True))
def bag_losses(X: ArrayLike, y: ArrayLike, bags: ArrayLike, theta: ArrayLike) -> BagLosses:
    """The instance-level loss, the bag-level loss and the within-bag penalty at theta (module conventions), with
    ``instance = bag + penalty`` exactly (up to rounding).

    Parameters
    ----------
    X : (n, d) array
    y : (n,) array
        Instance responses; only their bag means enter.
    bags : (n,) array of integer bag ids
    theta : (d,) or (q, d) array

    Returns
    -------
    BagLosses
        Arrays of shape () or (q,).

    Examples
    --------
    >>> X = np.array([[1.0], [3.0], [0.0], [2.0]])
    >>> r = bag_losses(X, [1.0, 3.0, 0.0, 2.0], [0, 0, 1, 1], [1.0])
    >>> float(r.instance), float(r.bag), float(r.penalty)
    (1.0, 0.0, 1.0)
    """
    k, xbar, ybar, W = _bag_sums(X, y, bags)
    n = X.shape[0]
    th = np.atleast_2d(theta)
    ins = np.mean((ybar[bags][None, :] - th @ X.T) ** 2, axis=1)
    bag = np.sum(k[None, :] * (ybar[None, :] - th @ xbar.T) ** 2, axis=1) / n
    pen = np.einsum("qi,ij,qj->q", th, W, th) / n
    shape = () if theta.ndim == 1 else (len(th),)
    return BagLosses(instance=ins.reshape(shape), bag=bag.reshape(shape), penalty=pen.reshape(shape))


@constrained(**_XY, rho=Reals(0.0, MAX_RHO))
def interpolating_estimator(X: ArrayLike, y: ArrayLike, bags: ArrayLike, rho: ArrayLike) -> NDArray:
    """theta_rho = (sum_b k_b xbar_b xbar_b' + rho W)^-1 sum_b k_b xbar_b ybar_b, the minimiser of
    L_bag + rho t'S_w t (module conventions): rho = 0 bag-level, rho = 1 instance-level least squares.

    Parameters
    ----------
    X : (n, d) array
    y : (n,) array
    bags : (n,) array of integer bag ids
    rho : float or (q,) array in [0, 1e6]

    Returns
    -------
    (d,) or (q, d) array

    Raises
    ------
    ValueError
        Where the system is singular (rho = 0 with fewer bags than d, say).

    Examples
    --------
    >>> X = np.array([[1.0], [3.0], [0.0], [2.0]])
    >>> np.round(interpolating_estimator(X, [2.0, 6.0, 0.0, 4.0], [0, 0, 1, 1], [0.0, 1.0]), 6)
    array([[2.      ],
           [1.428571]])
    """
    k, xbar, ybar, W = _bag_sums(X, y, bags)
    A = (xbar * k[:, None]).T @ xbar
    rhs = (xbar * k[:, None]).T @ ybar
    r = np.atleast_1d(rho)
    M = A[None] + r[:, None, None] * W[None]
    scale = np.abs(M).max(axis=(1, 2), keepdims=True)
    cond = np.linalg.cond(M / np.where(scale > 0, scale, 1.0))
    if np.any(~np.isfinite(cond) | (cond > 1e13)):
        bad = float(r[np.argmax(~np.isfinite(cond) | (cond > 1e13))])
        raise ValueError(
            f"rho = {bad:g} gives a singular system for these X and bags (condition number > 1e13: with rho = 0 "
            f"there must be at least d = {X.shape[1]} bags with distinct means)"
        )
    out = np.linalg.solve(M, np.broadcast_to(rhs, (len(r), len(rhs)))[..., None])[..., 0]
    return out[0] if rho.ndim == 0 else out


def _divides(n: int, k: int) -> None:
    if n % k:
        raise ValueError(f"k must divide n (random bags of equal size k); got n = {n}, k = {k}")


@constrained(n=Integer(1, 10**8, costly=True), k=Integer(1, MAX_BAG), rng=Seed())
def random_bags(n: int, k: int, rng: Any = None) -> NDArray:
    """A uniformly random partition of n samples into n / k bags of size k: bag ids of shape (n,).

    Parameters
    ----------
    n : int >= 1
        Number of samples; k must divide it.
    k : int in [1, 10000]
        Bag size.
    rng : seed or Generator

    Returns
    -------
    (n,) int array
        Bag ids 0 .. n/k - 1, each used k times.

    Examples
    --------
    >>> np.bincount(random_bags(6, 3, rng=0)).tolist()
    [3, 3]
    """
    _divides(n, k)
    return rng.permutation(n) // k


_SIZES = {"n": Integer(2, 10**12), "d": Integer(1, 10**6), "k": Integer(1, 10**6)}


@constrained(**_SIZES, noise_var=Real(0.0, MAX_SIGNAL))
def bag_risk_exact(n: int, d: int, k: int, noise_var: float) -> float:
    """Exact E||theta_hat - theta||^2 of bag-level least squares (rho = 0) on n samples in random bags of size k.

    .. math::  \\sigma^2 d / (n/k - d - 1),\\qquad n/k > d + 1,

    +inf otherwise (with m = n / k bags, m <= d + 1 makes the expectation diverge). Derived here: sqrt(k) xbar_b ~
    N(0, I) and sqrt(k) ebar_b ~ N(0, sigma^2) independently, so the bag-level fit is least squares on m samples with
    noise variance sigma^2 / k: unbiased, risk (sigma^2 / k) E tr((Xbar'Xbar)^-1) = sigma^2 d / (m - d - 1), the
    inverse-Wishart mean. It does not depend on theta. k must divide n.

    Parameters
    ----------
    n : int >= 2
    d : int >= 1
    k : int >= 1, dividing n
    noise_var : float in [0, 1e100]

    Returns
    -------
    float
        The risk, or inf.

    Examples
    --------
    >>> bag_risk_exact(200, 3, 4, 1.0)  # 50 bags
    0.06521739130434782
    """
    _divides(n, k)
    m = n // k
    return float(noise_var * d / (m - d - 1)) if m > d + 1 else math.inf


def _instance_signal_factor(n: int, d: int, k: int) -> float:
    """c with bias = c ||theta||^2 for instance-level least squares (derivation in ``instance_risk_exact``)."""
    p = n - n // k  # the number of within-bag directions
    alpha = p * (p + 2) / (n * (n + 2))
    if d == 1:
        return alpha
    c1 = d * (n - d) / (n * (n + 2) * (n - 1))
    c2 = d * (d + 2) / (n * (n + 2)) - c1
    beta = (c1 * p * p + c2 * p - d * alpha) / (d * (d - 1))
    return alpha + beta * ((n * d - 2) / (n - d - 1) - 1)


@constrained(**_SIZES, noise_var=Real(0.0, MAX_SIGNAL), signal2=Real(0.0, MAX_SIGNAL))
def instance_risk_exact(n: int, d: int, k: int, noise_var: float, signal2: float) -> RiskDecomposition:
    """Exact E||theta_hat - theta||^2 of instance-level least squares (rho = 1), random bags of size k, n > d + 1.

    Returns (risk, bias, variance), with (derived here)

        variance = sigma^2 d / (k (n - d - 1)),
        bias = c ||theta||^2,  c = alpha + beta ((n d - 2)/(n - d - 1) - 1),
        alpha = p (p + 2) / (n (n + 2)),  p = n - n/k,
        beta = (c1 p^2 + c2 p - d alpha) / (d (d - 1))   (0 for d = 1),
        c1 = d (n - d) / (n (n + 2) (n - 1)),  c2 = d (d + 2) / (n (n + 2)) - c1,

    and +inf for n <= d + 1. Its mean is theta / k, so under random bagging it is inconsistent even at fixed d:
    bias -> (1 - 1/k)^2 ||theta||^2. Derivation: stack z_j = sqrt(k) xbar_b (m of them) and an orthonormal
    rotation of the within-bag deviations (n - m more), all iid N(0, I); then X'X = S = Z'Z, X'P X = A = Z'DZ with D
    the projection on the m bag rows, and theta_hat - theta = -S^-1 W theta + S^-1 X'P e, W = S - A. Exchangeability
    of the rows gives E[S^-1 A] = (m/n) I (the mean) and the variance (m/n) sigma^2 E tr(S^-1). For the bias, write
    Z = U Lambda V' (U, Lambda, V independent, U Haar): ||S^-1 W theta||^2 averages to (||theta||^2 / d) E
    sum_ij C_ij^2 lambda_j^2 / lambda_i^2 with C = U'(I - D)U; E C_ii^2 = alpha (a Beta(p/2, m/2) second moment),
    sum_ij E C_ij^2 = E tr(Pi D' Pi D') = c1 p^2 + c2 p for the random rank-d projection Pi = UU' (two Weingarten
    coefficients, fixed by e'Pi e ~ Beta(d/2, (n - d)/2)), and E[tr S tr S^-1] = (n d - 2) d / (n - d - 1)
    (Gaussian integration by parts). At k = 1 it is least squares: bias 0, variance sigma^2 d / (n - d - 1).

    Parameters
    ----------
    n : int >= 2
    d : int >= 1
    k : int >= 1, dividing n
    noise_var, signal2 : floats in [0, 1e100]
        sigma^2 and ||theta||^2.

    Returns
    -------
    RiskDecomposition
        (risk, bias, variance), or three inf for n <= d + 1.

    Examples
    --------
    >>> r = instance_risk_exact(100, 5, 2, 1.0, 1.0)
    >>> round(r.bias, 4), round(r.variance, 4)
    (0.2655, 0.0266)
    """
    _divides(n, k)
    if n <= d + 1:
        return RiskDecomposition(math.inf, math.inf, math.inf)
    bias = signal2 * _instance_signal_factor(n, d, k)
    var = noise_var * d / (k * (n - d - 1))
    return RiskDecomposition(float(bias + var), float(bias), float(var))


def _limit(gamma: NDArray, k: float, rho: NDArray, noise_var: float, signal2: float) -> tuple[NDArray, ...]:
    """(risk, bias, variance) of the proportional limit, vectorised over gamma and rho (see the public function)."""
    g, r = np.broadcast_arrays(np.asarray(gamma, dtype=float), np.asarray(rho, dtype=float))
    f = 1.0 / k  # the fraction of bag directions
    rbar = f + (1 - f) * r
    qa, qb = g * r * (g - 1), g * (1 + r) - rbar  # qa e^2 + qb e + 1 = 0, one positive root
    with np.errstate(divide="ignore", invalid="ignore"):
        e = 2.0 / (-qb + np.sqrt(qb * qb - 4 * qa))
        ua, ub = 1 + g * e, 1 + g * r * e
        mprime = 1.0 / (1 / e**2 - g * (f / ua**2 + (1 - f) * r**2 / ub**2))
        a = e / (k * ua)  # E theta_rho -> a theta (the limit of tr(M^-1 A) / d); 1 / (1 + rho (k - 1)) as gamma -> 0
        bias = signal2 * ((1 - a) ** 2 + g * mprime * (f * (1 - a) ** 2 / ua**2 + (1 - f) * (r * a) ** 2 / ub**2))
        var = noise_var * g * mprime * f / ua**2
    finite = (g < 1) & ((r > 0) | (g * k < 1)) & np.isfinite(e) & (e > 0)
    inf = np.full(g.shape, math.inf)
    bias, var = np.where(finite, bias, inf), np.where(finite, var, inf)
    return bias + var, bias, var


_LIMIT_ARGS = {
    "gamma": Reals(0.0, 1e3, lo_open=True),
    "k": Integer(1, MAX_BAG),
    "rho": Reals(0.0, MAX_RHO, like="gamma"),
    "noise_var": Real(0.0, MAX_SIGNAL),
    "signal2": Real(0.0, MAX_SIGNAL),
}


@constrained(**_LIMIT_ARGS)
def interpolating_risk_limit(
    gamma: ArrayLike, k: int, rho: ArrayLike, noise_var: float, signal2: float
) -> RiskDecomposition:
    """The proportional limit (n, d -> inf, d / n -> gamma, bag size k fixed) of E||theta_rho - theta||^2.

    With f = 1/k, e > 0 the root of the fixed-point equation (the limit of tr((Z'Delta Z / n)^-1) / d, the
    weights Delta being 1 on the m = n/k bag directions and rho on the n - m within-bag ones)

        1/e = f / (1 + gamma e) + (1 - f) rho / (1 + gamma rho e)

    (a quadratic: gamma rho (gamma - 1) e^2 + (gamma (1 + rho) - f - (1 - f) rho) e + 1 = 0), its derivative
    e' = 1 / (1/e^2 - gamma (f / (1 + gamma e)^2 + (1 - f) rho^2 / (1 + gamma rho e)^2)) and the mean shrinkage
    a = e / (k (1 + gamma e)) (E theta_rho -> a theta):

        bias = ||theta||^2 [(1 - a)^2 + gamma e' (f (1 - a)^2 / (1 + gamma e)^2
                                                 + (1 - f) rho^2 a^2 / (1 + gamma rho e)^2)],
        variance = sigma^2 gamma e' f / (1 + gamma e)^2.

    Finite where gamma < 1 (and gamma k < 1 when rho = 0); +inf elsewhere. Derived here. Write M = A + rho W =
    Z'Delta Z. Rotational invariance gives E[M^-1 A] = a_n I, and a_n -> a by the leave-one-out (Sherman-Morrison)
    limit z_j'M^-1 z_j -> gamma e / (1 + Delta_j gamma e). The noise-free error M^-1 A theta - a theta is
    M^-1 sum_j Delta_j z_j xi_j with xi_j = z_j'theta (1[j a bag row] / Delta_j - a), i.e. residuals of variance
    (1 - a)^2 ||theta||^2 on bag rows and a^2 ||theta||^2 on within-bag rows; leave-one-out again gives
    gamma e' sum_j weight_j^2 var_j / (1 + gamma weight_j e)^2 for its squared norm, the cross terms between rows
    vanishing exactly because sum_j Delta_j c_j / (1 + Delta_j gamma e) = 0 at this a (the fixed-point equation).
    (Centring at the fixed-d limit 1/(1 + rho (k - 1)) instead leaves those cross terms in: it is right only at
    rho = 0 and rho = 1.) The noise enters on bag rows only, with variance sigma^2. At rho = 0 the risk is
    sigma^2 gamma k / (1 - gamma k), the limit of ``bag_risk_exact``; at rho = 1 the limits of
    ``instance_risk_exact`` (checked in the tests); the sims check it against Monte Carlo for d >= 100 (at d = 40
    the finite-d gap is a few per cent).

    Parameters
    ----------
    gamma : float or array, d / n in (0, 1000]
    k : int in [1, 10000]
    rho : float or array broadcasting against gamma, in [0, 1e6]
    noise_var, signal2 : floats in [0, 1e100]

    Returns
    -------
    RiskDecomposition
        Arrays of the broadcast shape (floats for scalar inputs).

    Examples
    --------
    >>> r = interpolating_risk_limit(0.1, 2, 0.0, 1.0, 1.0)  # bag level: gamma k / (1 - gamma k)
    >>> round(float(r.risk), 12)
    0.25
    """
    risk, bias, var = _limit(gamma, float(k), rho, noise_var, signal2)
    if risk.ndim == 0:
        return RiskDecomposition(float(risk), float(bias), float(var))
    return RiskDecomposition(risk, bias, var)


@constrained(
    gamma=Real(0.0, 1.0, lo_open=True, hi_open=True),
    k=Integer(1, MAX_BAG),
    noise_var=Real(0.0, MAX_SIGNAL),
    signal2=Real(0.0, MAX_SIGNAL),
)
def optimal_rho(gamma: float, k: int, noise_var: float, signal2: float) -> float:
    """The rho in [0, 1e6] that minimises ``interpolating_risk_limit`` at (gamma, k): a log-spaced grid
    (rho = 0 and 10^-4 to 10^6, 201 points), refined by bounded Brent between the grid neighbours of the best point.

    Parameters
    ----------
    gamma : float in (0, 1)
    k : int in [1, 10000]
    noise_var, signal2 : floats in [0, 1e100]

    Returns
    -------
    float
        The minimising rho.

    Examples
    --------
    >>> rho = optimal_rho(0.2, 2, 1.0, 1.0)
    >>> r = lambda x: float(interpolating_risk_limit(0.2, 2, x, 1.0, 1.0).risk)
    >>> r(rho) <= min(r(0.0), r(1.0))
    True
    """
    grid = np.r_[0.0, np.logspace(-4, 6, 201)]
    risks = _limit(np.full(grid.shape, gamma), float(k), grid, noise_var, signal2)[0]
    j = int(np.argmin(risks))
    if not np.isfinite(risks[j]):
        raise ValueError(f"the risk is infinite for every rho at gamma = {gamma:g}, k = {k}")
    lo, hi = grid[max(j - 1, 0)], grid[min(j + 1, len(grid) - 1)]
    if lo == hi:
        return float(grid[j])

    def risk(x: float) -> float:  # finite stand-in where the risk is infinite, so that Brent's steps stay finite
        r = float(_limit(np.asarray(gamma), float(k), np.asarray(x), noise_var, signal2)[0])
        return r if math.isfinite(r) else 1e300

    res = optimize.minimize_scalar(
        risk,
        bounds=(lo, hi),
        method="bounded",
        options={"xatol": 1e-10 * max(1.0, hi)},
    )
    return float(res.x) if res.fun <= risks[j] else float(grid[j])
