"""Helpers shared by the sims of one area: predictive multiplicity of L2-regularised logistic regression.

Public, so that each sim module imports them by name; nothing here is a sim.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit

from theory.multiplicity import fit_logistic

AREA = "Predictive multiplicity"


# The regularised logistic objective, written here from its definition rather than taken from theory.multiplicity:
# the references below check theory's extremes and bounds, so they must not run on its internals.


def design_matrix(X: NDArray, fit_intercept: bool = True) -> NDArray:
    """[X, 1] (n, d + 1) with an intercept column, X otherwise: logits are ``design_matrix(X) @ theta``."""
    return np.hstack([X, np.ones((len(X), 1))]) if fit_intercept else X


def penalty_mask(d: int, fit_intercept: bool = True) -> NDArray:
    """The ridge penalty's weights over theta: 1 on the d weights, 0 on the intercept (which is not penalised)."""
    return np.r_[np.ones(d), 0.0] if fit_intercept else np.ones(d)


def logistic_loss_grad_hess(
    theta: NDArray, A: NDArray, z: NDArray, l2: float, mask: NDArray, hess: bool = True
) -> tuple[NDArray, NDArray, NDArray | None]:
    """L(theta) = mean_i log(1 + exp(-z_i a_i . theta)) + (l2/2) sum_j mask_j theta_j^2 for a batch of thetas (P, D),
    with its gradient (P, D) and (``hess``) Hessian (P, D, D); labels z in {-1, +1}, design A (n, D)."""
    n = A.shape[0]
    m = (theta @ A.T) * z
    loss = np.mean(np.logaddexp(0.0, -m), axis=-1) + 0.5 * l2 * np.sum(mask * theta * theta, axis=-1)
    sig = expit(-m)
    grad = -(sig * z) @ A / n + l2 * mask * theta
    if not hess:
        return loss, grad, None
    wts = sig * (1.0 - sig) / n  # (P, n)
    H = np.matmul(A.T[None, :, :] * wts[:, None, :], A) + l2 * np.diag(mask)[None]
    return loss, grad, H


def load_dataset(name: str, seed: int | np.random.SeedSequence = 0) -> tuple[NDArray, NDArray]:
    """``breast_cancer``: scikit-learn's bundled data, standardised (n = 569, d = 30). ``synthetic``: two Gaussian
    classes in R^8 with overlapping means (n = 300), drawn from ``seed``."""
    if name == "breast_cancer":
        from sklearn.datasets import load_breast_cancer
        from sklearn.preprocessing import StandardScaler

        X, y = load_breast_cancer(return_X_y=True)
        return StandardScaler().fit_transform(X), y
    if name == "synthetic":
        rng = np.random.default_rng(seed)
        y = rng.integers(0, 2, 300)
        X = rng.standard_normal((300, 8)) + np.outer(2 * y - 1, np.linspace(0.8, 0.1, 8))
        return X, y
    raise ValueError(f"dataset must be 'breast_cancer' or 'synthetic'; got {name!r}")


def lagrangian_path_extreme(X: NDArray, y: NDArray, c: NDArray, tau: float, l2: float, sign: float) -> float:
    """Independent reference for one end of a viable range: theta(s) = argmin L(theta) - s c.theta (Newton to
    machine precision), with the scalar s fixed by L(theta(s)) = tau through Brent's method on s.

    Uses only the Lagrangian optimality of the extremes, not the KKT Newton system of the fast method.
    """
    from scipy.optimize import brentq

    A = design_matrix(X, True)
    z = 2 * y - 1
    mask = penalty_mask(X.shape[1], True)
    theta0 = fit_logistic(X, y, l2).theta

    def lagrangian(th: NDArray, s: float, hess: bool = False) -> tuple[float, NDArray, NDArray | None]:
        """L(theta) - s sign c.theta, its gradient and (with ``hess``) its Hessian, that of L."""
        f, g, H = logistic_loss_grad_hess(th[None], A, z, l2, mask, hess=hess)
        return f[0] - s * sign * (c @ th), g[0] - s * sign * c, H[0] if hess else None

    last = [theta0]  # the Newton solution of the latest s: Brent's iterates close in, so it is a warm start

    def theta_of(s: float) -> NDArray | None:
        """Damped Newton for argmin L - s sign c.theta; None when it diverges (no minimiser for this s).

        Stops at the rounding floor: when the gradient vanishes to 1e-14, when a step moves theta by less than
        1e-15 relative, or when a full Newton step no longer shrinks the gradient. Far from the solution steps
        are damped by backtracking on the objective; once the predicted decrease is below what the objective
        resolves (1e-12 relative), the gradient is the measure of progress, since the objective's rounding would
        stop the search with theta still ~1e-7 off. Iterating on past the floor only re-evaluated the same point
        (~1,200 loss evaluations per solve).
        """
        th = last[0].copy()
        for _ in range(200):
            obj, g, H = lagrangian(th, s, hess=True)
            if np.linalg.norm(g) < 1e-14:
                break
            try:
                step = np.linalg.solve(H, -g)
            except np.linalg.LinAlgError:
                return None
            if -(g @ step) < 1e-12 * max(1.0, abs(obj)):
                # the predicted decrease is below what the objective resolves: Newton's quadratic region, where
                # the full step is taken and the gradient (not the objective) measures progress
                new = th + step
                if np.linalg.norm(lagrangian(new, s)[1]) >= np.linalg.norm(g):
                    break  # no progress left at machine precision
            else:
                t = 1.0
                while t > 1e-10:
                    new = th + t * step
                    if lagrangian(new, s)[0] <= obj:
                        break
                    t /= 2
                else:  # no decrease at any step length: at the rounding floor
                    break
            th_prev, th = th, new
            if not np.all(np.isfinite(th)) or np.linalg.norm(th) > 1e6:
                return None
            if np.max(np.abs(new - th_prev)) <= 1e-15 * (1.0 + np.max(np.abs(th))):
                break
        last[0] = th
        return th

    def gap(s: float) -> float:
        th = theta_of(s)
        if th is None:  # beyond the unbounded regime the level set is certainly left behind
            return 1.0
        return float(logistic_loss_grad_hess(th[None], A, z, l2, mask, hess=False)[0][0] - tau)

    _, _, H0 = logistic_loss_grad_hess(theta0[None], A, z, l2, mask)
    loss0 = float(logistic_loss_grad_hess(theta0[None], A, z, l2, mask, hess=False)[0][0])
    hi = 2.0 * np.sqrt(2 * (tau - loss0) / float(c @ np.linalg.solve(H0[0], c)))  # twice the 2nd-order scale
    while gap(hi) < 0:
        hi *= 1.5
    s = brentq(gap, 0.0, hi, xtol=1e-15, rtol=1e-15)
    return float(c @ theta_of(s))
