"""Generative against discriminative linear classifiers: exact errors of linear rules, naive Bayes and batched
logistic regression, and sample complexities.

Zheng, Wu, Bao, Cao, Li and Zhu, "Revisiting Discriminative vs. Generative Classifiers: Theory and Implications", ICML
2023 (PMLR 202:42420-42477), arXiv:2302.02334 [1]. Their abstract (read): under mild assumptions, multiclass naive Bayes
requires O(log n) samples to approach its asymptotic error while multiclass logistic regression requires O(n) samples, n
the feature dimension. The theorem's exact conditions were not read here. The definitions follow the authors' released
code [2] (ML-GSAI/Revisiting-Dis-vs-Gen-Classifiers, read): ``data/generate_data.py`` (the "easy" data: class 0 has mean
-1 in every coordinate, class k >= 1 has mean 2^(k-1), covariance diag(n for the first floor(n/2) features, 1 for the
rest)), ``models/gaussnb.py`` (``GaussianNB``: per-class means and population variances plus 1e-9, the variances pooled
over classes with the estimated priors as weights, prediction by the log prior plus the Gaussian log-likelihood) and
``main_simulation.py`` (scikit-learn ``LogisticRegression(penalty="l2", C=1, solver="lbfgs")``; training sets drawn at
random from a pool, redrawn until every class occurs; the sample complexity is the first training size on its grid whose
mean test error is below the Bayes error + 0.01).

Conventions, stated once.

- **Two Gaussian classes** with means mu_0, mu_1 (``means``, shape (2, d)), a common covariance Sigma and equal
  priors. A *linear rule* (w, b) predicts class 1 where w'x + b > 0.
- **Batches.** Data are (R, n, d) arrays: R replicates of n samples (an (n, d) matrix is one replicate); labels are
  (R, n) class indices; every fitted quantity has a leading axis R.
- **Logistic regression** minimises C sum_i s_i l_i(beta) + ||beta_1||^2 / 2 (scikit-learn's convention: the
  intercept is not penalised; C = None is the unpenalised maximum-likelihood fit), with l_i the log-loss and s_i
  optional sample weights.

References
----------
.. [1] C. Zheng, G. Wu, F. Bao, Y. Cao, C. Li, J. Zhu, "Revisiting Discriminative vs. Generative Classifiers: Theory
   and Implications", ICML 2023, arXiv:2302.02334.
.. [2] ML-GSAI/Revisiting-Dis-vs-Gen-Classifiers (commit 86a0bcc): ``data/generate_data.py``,
   ``models/gaussnb.py`` (``GaussianNB``), ``main_simulation.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special, stats

from theory._constraints import (
    Bools,
    ClassLabels,
    DataBatch,
    Flag,
    Integer,
    Integers,
    Optional,
    Real,
    Reals,
    SampleWeights,
    Seed,
    SPDMatrix,
    Tensor,
    constrained,
    record,
)

__all__ = [
    "MAX_FEATURES",
    "GaussianNBFit",
    "LogisticFits",
    "easy_gaussian_classes",
    "gaussian_bayes_error",
    "gaussian_nb_fit",
    "isotropic_gaussian_classes",
    "linear_rule_error",
    "logistic_fit",
    "multiclass_rule_error",
    "sample_complexity",
    "sample_gaussian_classes",
]

# Valid ranges, as data: to 4096 features (a d x d Newton system per replicate stays cheap).
MAX_FEATURES = 4096
_LABELS = ClassLabels(of="X")


@dataclass(frozen=True)
@record(coef=Tensor(2), intercept=Reals(), n_iter=Integers(0), converged=Bools())
class LogisticFits:
    """Batched logistic-regression fits: ``coef`` (R, d), ``intercept`` (R,), Newton iterations ``n_iter`` (R,) and
    ``converged`` (R,) (False where the unpenalised fit has no finite maximiser: separable data)."""

    coef: NDArray
    intercept: NDArray
    n_iter: NDArray
    converged: NDArray


@dataclass(frozen=True)
@record(means=Tensor(3), var=Reals(0.0), priors=Reals(0.0, 1.0), coef=Tensor(3), intercept=Tensor(2))
class GaussianNBFit:
    """Gaussian naive Bayes with pooled variances: ``means`` (R, K, d), pooled ``var`` (R, d), ``priors`` (R, K), and
    the linear class scores x'coef_k + intercept_k it predicts by (``coef`` (R, K, d), ``intercept`` (R, K)); for two
    classes the rule is w = coef_1 - coef_0, b = intercept_1 - intercept_0 (``rule``)."""

    means: NDArray
    var: NDArray
    priors: NDArray
    coef: NDArray
    intercept: NDArray

    def rule(self) -> tuple[NDArray, NDArray]:
        """(w, b) of shapes (R, d) and (R,), the two-class linear rule (class 1 where w'x + b > 0)."""
        return self.coef[:, 1] - self.coef[:, 0], self.intercept[:, 1] - self.intercept[:, 0]


def _objective(Xt: NDArray, y: NDArray, s: NDArray, lam: NDArray, beta: NDArray, pen: NDArray) -> NDArray:
    z = np.matmul(Xt, beta[..., None])[..., 0]
    # log(1 + e^z) - y z, stable for logits of any size
    return np.sum(s * (np.logaddexp(0.0, z) - y * z), axis=1) + 0.5 * lam * np.sum(pen * beta * beta, axis=1)


@constrained(
    X=DataBatch(1, MAX_FEATURES),
    y=_LABELS,
    sample_weight=Optional(SampleWeights(of="X")),
    C=Optional(Real(1e-12, 1e12)),
    fit_intercept=Flag(),
    max_iter=Integer(1, 1000),
    tol=Real(1e-15, 1e-2),
)
def logistic_fit(
    X: ArrayLike,
    y: ArrayLike,
    sample_weight: ArrayLike | None = None,
    C: float | None = None,
    fit_intercept: bool = True,
    max_iter: int = 100,
    tol: float = 1e-12,
) -> LogisticFits:
    """Logistic regression on each of R replicates at once, by damped Newton steps (one batched d x d solve per
    step for all replicates).

    Minimises C sum_i s_i [log(1 + exp(z_i)) - y_i z_i] + ||beta_1||^2 / 2, z_i = beta_0 + beta_1'x_i, which is
    scikit-learn's ``LogisticRegression(C=C)`` objective (``C=None``: no penalty, the maximum-likelihood fit). It is
    rescaled to sum_i (s_i / s_max) l_i + ||beta_1||^2 / (2 C s_max), so that weights of any scale stay finite.
    A replicate stops when its Newton decrement lambda^2 / 2 falls below ``tol`` (1 + |objective|); the step is
    halved until the objective decreases (Armijo, 1e-4). With ``C=None`` on separable data the objective has no
    minimiser: such a replicate reports ``converged = False`` (its loss vanishes along a separating direction, which
    a linear program confirms wherever a fitted logit exceeds 20).

    Parameters
    ----------
    X : (n, d) or (R, n, d) array
    y : (n,) or (R, n) array of labels in {0, 1}
    sample_weight : (n,) or (R, n) array of non-negative weights, optional
    C : float in [1e-12, 1e12], optional
        Inverse penalty strength, on the sum of the losses (None: unpenalised).
    fit_intercept : bool
    max_iter : int in [1, 1000]
    tol : float in [1e-15, 1e-2]

    Returns
    -------
    LogisticFits

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> fit = logistic_fit(X, [0, 1, 0, 1])
    >>> np.round(fit.coef, 6), np.round(fit.intercept, 6), bool(fit.converged[0])
    (array([[0.908184]]), array([-1.362276]), True)
    """
    R, n, _ = X.shape
    Xt = np.concatenate([np.ones((R, n, 1)), X], axis=2) if fit_intercept else X
    p = Xt.shape[2]
    yf = y.astype(float)
    s = np.ones((R, n)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    smax = s.max(axis=1, keepdims=True)
    s = s / smax
    lam = np.zeros(R) if C is None else 1.0 / (C * smax[:, 0])
    pen = np.ones(p)
    if fit_intercept:
        pen[0] = 0.0
    beta = np.zeros((R, p))
    f = _objective(Xt, yf, s, lam, beta, pen)
    done = np.zeros(R, dtype=bool)
    n_iter = np.zeros(R, dtype=int)
    for _ in range(max_iter):
        act = ~done
        if not act.any():
            break
        Xa, beta_a = Xt[act], beta[act]
        mu = special.expit(np.matmul(Xa, beta_a[..., None])[..., 0])
        XaT = Xa.transpose(0, 2, 1)
        grad = np.matmul(XaT, (s[act] * (mu - yf[act]))[..., None])[..., 0] + lam[act, None] * pen * beta_a
        # einsum's optimised path is a BLAS call per replicate block: 5x faster than a batched matmul of p x p blocks
        H = np.einsum("rni,rnj->rij", Xa * (s[act] * mu * (1 - mu))[..., None], Xa, optimize=True)
        H += lam[act, None, None] * np.diag(pen)
        H += 1e-300 * np.eye(p)  # a zero Hessian direction (a constant feature under separation) stays solvable
        step = -np.linalg.solve(H, grad[..., None])[..., 0]
        decrement = -np.sum(grad * step, axis=1)
        t = np.ones(act.sum())
        f_a = f[act]
        for _ in range(60):  # Armijo backtracking, per replicate
            f_new = _objective(Xa, yf[act], s[act], lam[act], beta_a + t[:, None] * step, pen)
            # Armijo, with room for the rounding of a sum of n losses (else a converged replicate halves forever)
            bad = ~(f_new <= f_a - 1e-4 * t * decrement + 1e-13 * (1 + np.abs(f_a)))
            if not bad.any():
                break
            t = np.where(bad, t / 2, t)
        beta[act] = beta_a + t[:, None] * step
        f[act] = np.minimum(f_new, f_a)
        n_iter[act] += 1
        idx = np.nonzero(act)[0]
        done[idx[decrement / 2 <= tol * (1 + np.abs(f_a))]] = True
    done &= np.all(np.isfinite(beta), axis=1)
    if C is None:  # a vanishing loss also makes the decrement vanish: rule out (quasi-)separation explicitly
        z = np.matmul(Xt, beta[..., None])[..., 0]
        for r in np.nonzero(done & (np.max(np.where(s > 0, np.abs(z), 0.0), axis=1) > 20.0))[0]:
            done[r] = not _separable(Xt[r][s[r] > 0], yf[r][s[r] > 0])
    coef, intercept = (beta[:, 1:], beta[:, 0]) if fit_intercept else (beta, np.zeros(R))
    return LogisticFits(coef=coef, intercept=intercept, n_iter=n_iter, converged=done)


def _separable(Xt: NDArray, y: NDArray) -> bool:
    """Whether some direction v has (2y - 1) x'v >= 0 for every sample with a positive sum: then the log-likelihood
    increases without bound along v and no finite maximum-likelihood estimate exists (a linear program)."""
    A = (2 * y - 1)[:, None] * Xt
    res = optimize.linprog(
        np.zeros(Xt.shape[1]),
        A_ub=np.vstack([-A, -A.sum(0)]),
        b_ub=np.r_[np.zeros(len(A)), -1.0],
        bounds=[(None, None)] * Xt.shape[1],
        method="highs",
    )
    return bool(res.status == 0)


@constrained(
    X=DataBatch(2, MAX_FEATURES),
    y=ClassLabels(of="X", n_classes=2, all_present=True),
    var_smoothing=Real(0.0, 1e6),
)
def gaussian_nb_fit(X: ArrayLike, y: ArrayLike, var_smoothing: float = 1e-9) -> GaussianNBFit:
    """Gaussian naive Bayes with one variance per feature pooled over the classes, as in the authors' released
    ``GaussianNB`` (``models/gaussnb.py``), on each of R replicates at once.

    Per class k: the mean mu_k, the population variance (ddof 0) plus ``var_smoothing`` (absolute, as in that code;
    scikit-learn's ``GaussianNB`` scales it by the largest variance instead) and the prior pi_k = n_k / n; the
    pooled variance v = sum_k pi_k var_k. Class scores (up to a constant common to all classes):
    log pi_k - sum_j (x_j - mu_kj)^2 / (2 v_j) = x'(mu_k / v) - sum_j mu_kj^2 / (2 v_j) + log pi_k.

    Parameters
    ----------
    X : (n, d) or (R, n, d) array
    y : (n,) or (R, n) array of labels in {0, 1}, both classes in every replicate
    var_smoothing : float in [0, 1e6]

    Returns
    -------
    GaussianNBFit

    Examples
    --------
    >>> fit = gaussian_nb_fit([[-1.0], [-3.0], [1.0], [3.0]], [0, 0, 1, 1])
    >>> w, b = fit.rule()
    >>> np.round(w, 6), np.round(b, 6)  # means -2 and 2, pooled variance 1
    (array([[4.]]), array([0.]))
    """
    K = 2
    onehot = (y[..., None] == np.arange(K)).astype(float)  # (R, n, K)
    counts = onehot.sum(axis=1)  # (R, K)
    means = np.einsum("rnk,rnd->rkd", onehot, X) / counts[..., None]
    resid = X[:, :, None, :] - means[:, None, :, :]  # (R, n, K, d)
    var_k = np.einsum("rnk,rnkd->rkd", onehot, resid**2) / counts[..., None] + var_smoothing
    priors = counts / counts.sum(axis=1, keepdims=True)
    var = np.einsum("rk,rkd->rd", priors, var_k)
    if np.any(var <= 0):
        raise ValueError(
            "X has a feature that is constant within every class and var_smoothing = 0: naive Bayes "
            "divides by a zero variance; use var_smoothing > 0"
        )
    coef = means / var[:, None, :]
    intercept = np.log(priors) - 0.5 * np.sum(means * coef, axis=2)
    return GaussianNBFit(means=means, var=var, priors=priors, coef=coef, intercept=intercept)


@constrained(
    w=Reals(min_len=1),
    b=Reals(),
    means=Tensor(2, match=((1, "w", -1, 0),)),
    cov=SPDMatrix(MAX_FEATURES, like="w"),
)
def linear_rule_error(w: ArrayLike, b: ArrayLike, means: ArrayLike, cov: ArrayLike) -> NDArray:
    """Exact error of linear rules under two Gaussian classes (equal priors, common covariance).

    .. math::  \\operatorname{err}(w, b) = \\tfrac12 \\Phi\\Big(-\\frac{w'\\mu_1 + b}{\\sqrt{w'\\Sigma w}}\\Big)
               + \\tfrac12 \\Phi\\Big(\\frac{w'\\mu_0 + b}{\\sqrt{w'\\Sigma w}}\\Big),

    since w'x ~ N(w'mu_k, w'Sigma w) in class k. A rule with w = 0 predicts one class everywhere: error 1/2. Each
    rule is first divided by max(|w|, |b|) (the rule is unchanged), so that weights of any scale do not overflow.
    Sample-complexity curves computed with it carry no test-set noise.

    Parameters
    ----------
    w : (..., d) array
    b : array broadcasting against w[..., 0]
    means : (2, d) array
        mu_0 and mu_1.
    cov : (d, d) SPD array

    Returns
    -------
    array of the broadcast shape of w[..., 0] and b

    Examples
    --------
    >>> float(linear_rule_error([1.0], 0.0, [[-1.0], [1.0]], [[1.0]]))  # Phi(-1)
    0.15865525393145707
    """
    if means.shape[0] != 2:
        raise ValueError(f"means must have shape (2, d), the two class means; got {means.shape}")
    shape = np.broadcast_shapes(w.shape[:-1], b.shape)
    w = np.broadcast_to(w, (*shape, w.shape[-1]))
    b = np.broadcast_to(b, shape)
    scale = np.maximum(np.abs(w).max(axis=-1), np.abs(b))
    scale = np.where(scale > 0, scale, 1.0)
    w, b = w / scale[..., None], b / scale
    sd = np.sqrt(np.maximum(np.einsum("...i,ij,...j->...", w, cov, w), 0.0))
    m0, m1 = w @ means[0] + b, w @ means[1] + b
    with np.errstate(divide="ignore", invalid="ignore"):
        err = 0.5 * special.ndtr(-m1 / sd) + 0.5 * special.ndtr(m0 / sd)
    return np.where(sd > 0, err, 0.5)


def _orthant(m: NDArray, C: NDArray) -> float:
    """P(D > 0) for D ~ N(m, C): margins with zero variance are constants (certainly won if positive, lost
    otherwise: a tie counts as an error); one margin by ndtr, more by Genz's algorithm."""
    constant = np.diag(C) <= 1e-14 * max(1.0, float(np.abs(C).max()))
    if np.any(constant & (m <= 0)):
        return 0.0
    keep = ~constant
    m, C = m[keep], C[np.ix_(keep, keep)]
    if len(m) == 0:
        return 1.0
    if len(m) == 1:
        return float(special.ndtr(m[0] / np.sqrt(C[0, 0])))
    p = stats.multivariate_normal.cdf(
        np.zeros(len(m)),
        mean=-m,
        cov=C,
        allow_singular=True,
        maxpts=200_000 * len(m),
        abseps=1e-7,
        releps=0.0,
        rng=0,
    )
    return float(p)


@constrained(
    W=Reals(min_len=1),
    b=Reals(min_len=2),
    means=Tensor(2, min_size=2),
    cov=SPDMatrix(MAX_FEATURES, like="means"),
)
def multiclass_rule_error(W: ArrayLike, b: ArrayLike, means: ArrayLike, cov: ArrayLike) -> NDArray:
    """Error of linear rules under K Gaussian classes (equal priors, common covariance), by orthant probabilities.

    The rule predicts argmax_k W_k'x + b_k. In class k the K - 1 margins D_j = (W_k - W_j)'x + b_k - b_j are jointly
    Gaussian with mean (W_k - W_j)'mu_k + b_k - b_j and covariance (W_k - W_i)' Sigma (W_k - W_j), so

    .. math::  \\operatorname{err} = 1 - \frac1K \\sum_k P(D > 0 \\mid \text{class } k),

    an orthant probability of a (K - 1)-dimensional Gaussian: exact (``scipy.special.ndtr``) for K = 2, by Genz's
    quasi-Monte Carlo algorithm (``scipy.stats.multivariate_normal.cdf``, absolute error 1e-7, a fixed seed, so the
    same rule gives the same number) for K >= 3. Each rule is first divided by max(|W|, |b|) (unchanged rule); a tie
    between two identical class scores counts as an error.

    Parameters
    ----------
    W : (..., K, d) array
    b : (..., K) array
    means : (K, d) array
    cov : (d, d) SPD array

    Returns
    -------
    array of shape W.shape[:-2]

    Examples
    --------
    >>> means = np.array([[-1.0], [1.0]])
    >>> e2 = multiclass_rule_error([[-1.0], [1.0]], [0.0, 0.0], means, [[1.0]])
    >>> bool(np.isclose(e2, linear_rule_error([2.0], 0.0, means, [[1.0]])))
    True
    """
    K, d = means.shape
    if W.shape[-2:] != (K, d) or b.shape != W.shape[:-1]:
        raise ValueError(
            f"W must have shape (..., {K}, {d}) and b shape (..., {K}) to match means {means.shape}; got "
            f"{W.shape} and {b.shape}"
        )
    batch = W.shape[:-2]
    Wf, bf = W.reshape(-1, K, d), b.reshape(-1, K)
    scale = np.maximum(np.abs(Wf).max(axis=(1, 2)), np.abs(bf).max(axis=1))
    scale = np.where(scale > 0, scale, 1.0)
    Wf, bf = Wf / scale[:, None, None], bf / scale[:, None]
    out = np.empty(len(Wf))
    for r in range(len(Wf)):
        correct = 0.0
        for k in range(K):
            others = [j for j in range(K) if j != k]
            A = Wf[r, k] - Wf[r, others]  # (K - 1, d)
            m = A @ means[k] + bf[r, k] - bf[r, others]
            C = A @ cov @ A.T
            correct += _orthant(m, C)
        out[r] = 1.0 - correct / K
    return out.reshape(batch)


@constrained(means=Tensor(2), cov=SPDMatrix(MAX_FEATURES, like="means"))
def gaussian_bayes_error(means: ArrayLike, cov: ArrayLike) -> float:
    """Bayes error Phi(-Delta / 2) of two Gaussian classes with equal priors, Delta^2 = (mu_1 - mu_0)'Sigma^-1
    (mu_1 - mu_0); the Bayes rule is linear, w = Sigma^-1 (mu_1 - mu_0).

    Parameters
    ----------
    means : (2, d) array
    cov : (d, d) SPD array

    Returns
    -------
    float

    Examples
    --------
    >>> round(gaussian_bayes_error([[-1.0], [1.0]], [[1.0]]), 10)  # Phi(-1)
    0.1586552539
    """
    if means.shape[0] != 2:
        raise ValueError(f"means must have shape (2, d), the two class means; got {means.shape}")
    diff = means[1] - means[0]
    delta2 = float(diff @ np.linalg.solve(cov, diff))
    return float(special.ndtr(-0.5 * math.sqrt(max(delta2, 0.0))))


@constrained(n_features=Integer(1, MAX_FEATURES))
def easy_gaussian_classes(n_features: int) -> tuple[NDArray, NDArray]:
    """The authors' "easy" two-class data (``data/generate_data.py``, mode "easy", K = 2): means -1 and +1 in every
    coordinate, covariance diag(n for the first floor(n/2) features, 1 for the rest). Returns (means (2, n),
    cov (n, n)).

    Its Bayes error is Phi(-sqrt(2 floor(n/2) / n + 2 ceil(n/2))) (derived): 0.110 at n = 2, 0.0095 at n = 10.

    Parameters
    ----------
    n_features : int in [1, 4096]

    Returns
    -------
    means : (2, n) array
    cov : (n, n) array

    Examples
    --------
    >>> means, cov = easy_gaussian_classes(4)
    >>> means[:, 0], np.diag(cov)
    (array([-1.,  1.]), array([4., 4., 1., 1.]))
    """
    half = n_features // 2
    means = np.stack([-np.ones(n_features), np.ones(n_features)])
    return means, np.diag(np.r_[np.full(half, float(n_features)), np.ones(n_features - half)])


@constrained(n_features=Integer(1, MAX_FEATURES), bayes_error=Real(1e-6, 0.49))
def isotropic_gaussian_classes(n_features: int, bayes_error: float) -> tuple[NDArray, NDArray]:
    """Two isotropic classes with the total separation held fixed: means -+ (Delta / (2 sqrt(n))) in every
    coordinate, covariance I, Delta = -2 Phi^-1(bayes_error), so the Bayes error is ``bayes_error`` for every n
    while each feature's standardised mean difference Delta / sqrt(n) vanishes. Returns (means, cov).

    Parameters
    ----------
    n_features : int in [1, 4096]
    bayes_error : float in [1e-6, 0.49]

    Returns
    -------
    means : (2, n) array
    cov : (n, n) array

    Examples
    --------
    >>> means, cov = isotropic_gaussian_classes(4, 0.1)
    >>> round(gaussian_bayes_error(means, cov), 12)
    0.1
    """
    delta = -2.0 * float(special.ndtri(bayes_error))
    mu = np.full(n_features, delta / (2.0 * math.sqrt(n_features)))
    return np.stack([-mu, mu]), np.eye(n_features)


@constrained(
    means=Tensor(2),
    cov=SPDMatrix(MAX_FEATURES, like="means"),
    n_samples=Integer(2, 10**6, costly=True),
    replicates=Integer(1, 10**5, costly=True),
    rng=Seed(),
)
def sample_gaussian_classes(
    means: ArrayLike, cov: ArrayLike, n_samples: int, replicates: int = 1, rng: Any = None
) -> tuple[NDArray, NDArray]:
    """R training sets of n samples: each label uniform over the classes (the authors' random draw from a balanced
    pool), x ~ N(means[y], cov); a replicate missing a class is redrawn, as in ``main_simulation.py``. Returns
    (X (R, n, d), y (R, n)).

    Parameters
    ----------
    means : (K, d) array
    cov : (d, d) SPD array
    n_samples : int in [2, 10^6]
    replicates : int in [1, 10^5]
    rng : seed or Generator

    Returns
    -------
    X : (R, n, d) array
    y : (R, n) int array

    Examples
    --------
    >>> X, y = sample_gaussian_classes([[-1.0], [1.0]], [[1.0]], 5, replicates=3, rng=0)
    >>> X.shape, y.shape, bool(np.all(y.min(1) == 0) and np.all(y.max(1) == 1))
    ((3, 5, 1), (3, 5), True)
    """
    gen = rng
    K, d = means.shape
    L = np.linalg.cholesky(cov)
    y = gen.integers(0, K, size=(replicates, n_samples))
    for _ in range(1000):
        missing = np.array([len(np.unique(r)) < K for r in y])
        if not missing.any():
            break
        y[missing] = gen.integers(0, K, size=(int(missing.sum()), n_samples))
    X = means[y] + gen.standard_normal((replicates, n_samples, d)) @ L.T
    return X, y


@constrained(
    sizes=Reals(1.0, 1e12, min_len=1),
    mean_errors=Reals(0.0, 1.0, min_len=1),
    asymptotic_error=Reals(0.0, 1.0),
    eps=Real(0.0, 1.0, lo_open=True),
)
def sample_complexity(
    sizes: ArrayLike, mean_errors: ArrayLike, asymptotic_error: ArrayLike, eps: float = 0.01
) -> NDArray:
    """The smallest training size on the grid whose mean error is below the asymptotic error plus ``eps`` (strictly,
    as in the authors' ``main_simulation.py``); +inf where no size on the grid reaches it.

    Parameters
    ----------
    sizes : (S,) increasing array
    mean_errors : (..., S) array of errors in [0, 1]
    asymptotic_error : array broadcasting against mean_errors[..., 0]
    eps : float in (0, 1]

    Returns
    -------
    array of the broadcast shape

    Examples
    --------
    >>> sample_complexity([10, 20, 40], [0.3, 0.12, 0.105], 0.1, eps=0.01)
    array(40.)
    """
    if sizes.ndim != 1 or mean_errors.shape[-1] != len(sizes):
        raise ValueError(
            f"mean_errors must have {len(sizes)} entries (one per size) along its last axis; got {mean_errors.shape}"
        )
    if np.any(np.diff(sizes) <= 0):
        raise ValueError(f"sizes must be strictly increasing; got {sizes[:5]}")
    below = mean_errors < np.asarray(asymptotic_error)[..., None] + eps
    first = np.argmax(below, axis=-1)
    return np.where(below.any(axis=-1), sizes[first], math.inf)
