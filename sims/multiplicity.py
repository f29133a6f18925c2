"""Sims for predictive multiplicity of L2-regularised logistic regression (Watson-Daniels, Parkes, Ustun 2023)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit

from sims.core import Arrays, Cell, Claim, ClaimSpec, Results, Sim, cell_key, register
from sims.report import figure
from theory.multiplicity import (
    MCU2020,
    WPU2023,
    _design,
    _loss_grad_hess,
    _penalty_mask,
    fit_logistic,
    level_set_threshold,
    logistic_objective,
    multiplicity_profile,
    small_eps_half_width,
    viable_logit_range,
)

AREA = "Predictive multiplicity"


def _single_cell(config) -> list[Cell]:
    return [{}]


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

    A = _design(X, True)
    z = 2 * y - 1
    mask = _penalty_mask(X.shape[1], True)
    theta0 = fit_logistic(X, y, l2).theta

    def theta_of(s: float) -> NDArray | None:
        """Damped Newton for argmin L - s sign c.theta; None when it diverges (no minimiser for this s)."""
        th = theta0.copy()
        for _ in range(200):
            f, g, H = _loss_grad_hess(th[None], A, z, l2, mask)
            g = g[0] - s * sign * c
            if np.linalg.norm(g) < 1e-14:
                return th
            try:
                step = np.linalg.solve(H[0], -g)
            except np.linalg.LinAlgError:
                return None
            obj = f[0] - s * sign * (c @ th)
            t = 1.0
            while t > 1e-10:
                new = th + t * step
                if _loss_grad_hess(new[None], A, z, l2, mask, hess=False)[0][0] - s * sign * (c @ new) <= obj:
                    break
                t /= 2
            th = th + t * step
            if not np.all(np.isfinite(th)) or np.linalg.norm(th) > 1e6:
                return None
        return th

    def gap(s: float) -> float:
        th = theta_of(s)
        if th is None:  # beyond the unbounded regime the level set is certainly left behind
            return 1.0
        return float(_loss_grad_hess(th[None], A, z, l2, mask, hess=False)[0][0] - tau)

    _, _, H0 = _loss_grad_hess(theta0[None], A, z, l2, mask)
    loss0 = float(_loss_grad_hess(theta0[None], A, z, l2, mask, hess=False)[0][0])
    hi = 2.0 * np.sqrt(2 * (tau - loss0) / float(c @ np.linalg.solve(H0[0], c)))  # twice the 2nd-order scale
    while gap(hi) < 0:
        hi *= 1.5
    s = brentq(gap, 0.0, hi, xtol=1e-15, rtol=1e-15)
    return float(c @ theta_of(s))


# ---------------------------------------------------------------------------------------------------------
# multiplicity_exactness: fast vs cvxpy vs the Lagrangian-path reference
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExactnessConfig:
    datasets: tuple[str, ...] = ("breast_cancer", "synthetic")
    l2: float = 1e-2
    eps: float = 0.01
    n_cvxpy: int = 569
    n_path: int = 25

    @classmethod
    def quick(cls) -> ExactnessConfig:
        return cls(n_cvxpy=4, n_path=2)

    @classmethod
    def full(cls) -> ExactnessConfig:
        return cls()


def _exact_cells(config: ExactnessConfig) -> list[Cell]:
    return [{"data": d} for d in config.datasets]


def _exact_compute(config: ExactnessConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    X, y = load_dataset(cell["data"], seed)
    rng = np.random.default_rng(seed)
    lo, hi = viable_logit_range(X, y, X, config.eps, config.l2)
    idx_c = np.sort(rng.choice(len(X), min(config.n_cvxpy, len(X)), replace=False))
    clo, chi = viable_logit_range(X, y, X[idx_c], config.eps, config.l2, method="cvxpy")
    idx_p = np.sort(rng.choice(len(X), min(config.n_path, len(X)), replace=False))
    tau = level_set_threshold(fit_logistic(X, y, config.l2), config.eps)
    A = _design(X, True)
    plo = np.array([lagrangian_path_extreme(X, y, A[i], tau, config.l2, -1.0) for i in idx_p])
    phi = np.array([lagrangian_path_extreme(X, y, A[i], tau, config.l2, 1.0) for i in idx_p])
    return {
        "lo": lo,
        "hi": hi,
        "idx_cvxpy": idx_c,
        "cvx_lo": clo,
        "cvx_hi": chi,
        "idx_path": idx_p,
        "path_lo": plo,
        "path_hi": phi,
    }


def _exact_check(config: ExactnessConfig, results: Results) -> list[Claim]:
    claims = []
    for d in config.datasets:
        r = results[cell_key({"data": d})]
        ic, ip = r["idx_cvxpy"], r["idx_path"]
        d_path = float(max(np.abs(r["lo"][ip] - r["path_lo"]).max(), np.abs(r["hi"][ip] - r["path_hi"]).max()))
        d_cvx = float(max(np.abs(r["lo"][ic] - r["cvx_lo"]).max(), np.abs(r["hi"][ic] - r["cvx_hi"]).max()))
        claims.append(
            Claim(
                id=f"multiplicity_exactness.{d}.fast_vs_high_accuracy_reference",
                statement="method='fast' (KKT Newton) gives the exact viable logit ranges: it agrees with an "
                "independent high-accuracy reference (Lagrangian path: Newton solves with a Brent root-find) to 1e-6.",
                source=WPU2023 + " (range definition); exactness target from issue 5",
                method=f"{len(ip)} random points of {d}, both ends, l2={config.l2}, eps={config.eps}",
                quantity="max |fast - reference| (logit)",
                predicted=0.0,
                measured=d_path,
                tolerance=1e-6,
                tolerance_reason="issue 5 target; both methods converge to ~1e-10",
                relation="==",
                figure="exactness",
            )
        )
        claims.append(
            Claim(
                id=f"multiplicity_exactness.{d}.fast_vs_cvxpy",
                statement="method='fast' agrees with the parametrised cvxpy/Clarabel reference.",
                source=WPU2023,
                method=f"{len(ic)} points of {d}, both ends (Clarabel default tolerances, SCS fallback)",
                quantity="max |fast - cvxpy| (logit)",
                predicted=0.0,
                measured=d_cvx,
                tolerance=1e-4,
                tolerance_reason="Clarabel's default feasibility/gap tolerances (1e-8) move the optimum of a "
                "constraint with curvature ~1e-3 by up to ~1e-5 in logit",
                relation="==",
                figure="exactness",
            )
        )
    return claims


def _exact_figures(config: ExactnessConfig, results: Results) -> dict:
    fig, ax = figure()
    for i, d in enumerate(config.datasets):
        r = results[cell_key({"data": d})]
        ic = r["idx_cvxpy"]
        ax.semilogy(
            np.r_[r["lo"][ic], r["hi"][ic]],
            np.maximum(np.abs(np.r_[r["lo"][ic] - r["cvx_lo"], r["hi"][ic] - r["cvx_hi"]]), 1e-16),
            ".",
            color=f"C{i}",
            label=f"{d}: |fast − cvxpy|",
        )
        ip = r["idx_path"]
        ax.semilogy(
            np.r_[r["lo"][ip], r["hi"][ip]],
            np.maximum(np.abs(np.r_[r["lo"][ip] - r["path_lo"], r["hi"][ip] - r["path_hi"]]), 1e-16),
            "x",
            color=f"C{i}",
            label=f"{d}: |fast − Lagrangian path|",
        )
    ax.axhline(1e-6, color="k", ls="--", lw=1, label="1e-6 target")
    ax.set(
        xlabel="range end (logit)",
        ylabel="absolute difference (floored at 1e-16)",
        title="Viable logit ranges: fast method vs references",
    )
    ax.legend(fontsize=7)
    return {"exactness": fig}


MULTIPLICITY_EXACTNESS = register(
    Sim(
        name="multiplicity_exactness",
        area=AREA,
        description="Fast viable ranges vs cvxpy and a Lagrangian-path reference",
        config_cls=ExactnessConfig,
        cells=_exact_cells,
        compute=_exact_compute,
        check=_exact_check,
        figures=_exact_figures,
        claims=(
            ClaimSpec("multiplicity_exactness.*.fast_vs_high_accuracy_reference", "agreement to 1e-6"),
            ClaimSpec("multiplicity_exactness.*.fast_vs_cvxpy", "agreement with Clarabel"),
        ),
    )
)


# ---------------------------------------------------------------------------------------------------------
# multiplicity_soundness: Monte Carlo models in S_eps never leave the ranges; the extremes are attained
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SoundnessConfig:
    l2: float = 1e-2
    eps: float = 0.01
    n_query: int = 60
    n_directions: int = 4000
    n_combinations: int = 2000

    @classmethod
    def quick(cls) -> SoundnessConfig:
        return cls(n_query=15, n_directions=300, n_combinations=200)

    @classmethod
    def full(cls) -> SoundnessConfig:
        return cls()


def _boundary_step(A, z, l2, mask, theta_star, u, tau) -> float:
    """t > 0 with L(theta* + t u) = tau, by bisection (L is convex along the ray and >= L* at t = 0)."""
    lo, hi = 0.0, 1.0
    while _loss_grad_hess((theta_star + hi * u)[None], A, z, l2, mask, hess=False)[0][0] < tau:
        hi *= 2
    for _ in range(80):
        mid = (lo + hi) / 2
        if _loss_grad_hess((theta_star + mid * u)[None], A, z, l2, mask, hess=False)[0][0] <= tau:
            lo = mid
        else:
            hi = mid
    return lo


def _sound_compute(config: SoundnessConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    rng = np.random.default_rng(seed)
    X, y = load_dataset("breast_cancer")
    q = np.sort(rng.choice(len(X), config.n_query, replace=False))
    lo, hi, th_lo, th_hi = viable_logit_range(X, y, X[q], config.eps, config.l2, return_models=True)
    fit = fit_logistic(X, y, config.l2)
    tau = level_set_threshold(fit, config.eps)
    A, z, mask = _design(X, True), 2 * y - 1.0, _penalty_mask(X.shape[1], True)
    _, _, H = _loss_grad_hess(fit.theta[None], A, z, config.l2, mask)
    # random directions, whitened by the Hessian so the samples spread over the (nearly ellipsoidal) set
    Lc = np.linalg.cholesky(np.linalg.inv(H[0]))
    models = []
    for _ in range(config.n_directions):
        u = Lc @ rng.standard_normal(A.shape[1])
        t = _boundary_step(A, z, config.l2, mask, fit.theta, u, tau)
        models.append(fit.theta + t * rng.uniform(0.0, 1.0) ** (1 / A.shape[1]) * u)  # interior
        models.append(fit.theta + t * u)  # boundary
    ext = np.vstack([th_lo, th_hi])
    for _ in range(config.n_combinations):  # convex combinations of extreme models stay in the convex set
        w = rng.dirichlet(np.ones(3))
        models.append(w @ ext[rng.choice(len(ext), 3, replace=False)])
    models = np.array(models)
    return {
        "q": q,
        "lo": lo,
        "hi": hi,
        "sample_logits": models @ _design(X[q], True).T,
        "sample_loss": logistic_objective(models, X, y, config.l2),
        "tau": np.array(tau),
        "extreme_loss": logistic_objective(ext, X, y, config.l2),
        "extreme_logits": np.r_[np.sum(th_lo * _design(X[q], True), 1), np.sum(th_hi * _design(X[q], True), 1)],
    }


SOUND_TOL = 1e-9
SOUND_TOL_REASON = "fast-method accuracy (~1e-10 in logit, KKT residuals 1e-14) plus rounding of c.theta (~1e-14)"


def _sound_check(config: SoundnessConfig, results: Results) -> list[Claim]:
    r = results[cell_key({})]
    inside = r["sample_loss"] <= r["tau"] + 1e-12
    S = r["sample_logits"][inside]
    outside = max(float((S - r["hi"]).max()), float((r["lo"] - S).max()))
    attained = float(np.abs(r["extreme_logits"] - np.r_[r["lo"], r["hi"]]).max())
    feas = float((r["extreme_loss"] - r["tau"]).max())
    width = r["hi"] - r["lo"]
    lo_n, hi_n = r["lo"] + 0.05 * width, r["hi"] - 0.05 * width
    narrowed = max(float((S - hi_n).max()), float((lo_n - S).max()))
    coverage = float(np.median(np.maximum((S.max(0) - r["lo"]) / width, (r["hi"] - S.min(0)) / width)))
    src = WPU2023 + " (viable prediction range)"
    n_s = int(inside.sum())
    return [
        Claim(
            id="multiplicity_soundness.samples_inside_ranges",
            statement="Every model sampled in S_eps predicts "
            "inside the computed viable range at every query point (a range that is too narrow fails).",
            source=src,
            method=f"{n_s} models in S_eps (Hessian-whitened random rays: interior and boundary by "
            "bisection; convex combinations of extreme models)",
            quantity="max excursion outside [lo, hi] (logit)",
            predicted=0.0,
            measured=outside,
            tolerance=SOUND_TOL,
            tolerance_reason=SOUND_TOL_REASON,
            figure="soundness",
            details=f"median coverage of the range by the samples: {coverage:.3f}",
        ),
        Claim(
            id="multiplicity_soundness.extremes_attained",
            statement="The range ends are attained by explicit "
            "models in S_eps (returned by the fast method): L(model) <= tau and c.model = the end.",
            source=src,
            method="evaluate the returned models",
            quantity="max(|c.model - end|, L(model) - tau)",
            predicted=0.0,
            measured=max(attained, feas),
            tolerance=SOUND_TOL,
            tolerance_reason=SOUND_TOL_REASON,
            figure="soundness",
        ),
        Claim(
            id="multiplicity_soundness.negative_control_narrowed_ranges",
            statement="Negative control: ranges "
            "narrowed by 5% of their width at each end. Too narrow; the Monte Carlo check must catch it.",
            source="deliberately wrong",
            method="same samples",
            quantity="max excursion outside the narrowed range",
            predicted=0.0,
            measured=narrowed,
            tolerance=SOUND_TOL,
            tolerance_reason=SOUND_TOL_REASON,
            expect="violated",
            role="negative_control",
            figure="soundness",
        ),
    ]


def _sound_figures(config: SoundnessConfig, results: Results) -> dict:
    r = results[cell_key({})]
    S = r["sample_logits"][r["sample_loss"] <= r["tau"] + 1e-12]
    order = np.argsort((r["lo"] + r["hi"]) / 2)
    fig, ax = figure()
    x = np.arange(len(order))
    ax.vlines(x, expit(r["lo"][order]), expit(r["hi"][order]), color="C0", lw=3, alpha=0.5, label="viable range")
    for j, i in enumerate(order):
        ax.plot(np.full(min(len(S), 200), j), expit(S[:200, i]), ".", ms=1, color="C1", alpha=0.5)
    ax.plot([], [], ".", color="C1", label="sampled models in S_ε")
    ax.set(
        xlabel="query point (sorted by range midpoint)",
        ylabel="predicted probability",
        title=f"Breast cancer, ε = {config.eps}: Monte Carlo models never leave the ranges",
    )
    ax.legend()
    return {"soundness": fig}


MULTIPLICITY_SOUNDNESS = register(
    Sim(
        name="multiplicity_soundness",
        area=AREA,
        description="Monte Carlo soundness and tightness of viable ranges",
        config_cls=SoundnessConfig,
        cells=_single_cell,
        compute=_sound_compute,
        check=_sound_check,
        figures=_sound_figures,
        claims=(
            ClaimSpec("multiplicity_soundness.samples_inside_ranges", "sound"),
            ClaimSpec("multiplicity_soundness.extremes_attained", "tight"),
            ClaimSpec("multiplicity_soundness.negative_control_narrowed_ranges", "narrowed ranges caught"),
        ),
    )
)


# ---------------------------------------------------------------------------------------------------------
# multiplicity_small_eps: half-width -> sqrt(2 eps c^T H^-1 c)
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmallEpsConfig:
    l2: float = 1e-2
    eps: tuple[float, ...] = tuple(float(e) for e in np.logspace(-9, -1, 17))
    n_query: int = 40

    @classmethod
    def quick(cls) -> SmallEpsConfig:
        return cls(eps=tuple(float(e) for e in np.logspace(-8, -2, 7)), n_query=10)

    @classmethod
    def full(cls) -> SmallEpsConfig:
        return cls()


def _small_compute(config: SmallEpsConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    rng = np.random.default_rng(seed)
    X, y = load_dataset("breast_cancer")
    q = np.sort(rng.choice(len(X), config.n_query, replace=False))
    ratios = []
    for e in config.eps:
        lo, hi = viable_logit_range(X, y, X[q], e, config.l2)
        ratios.append((hi - lo) / 2 / small_eps_half_width(X, y, X[q], e, config.l2))
    return {"eps": np.array(config.eps), "ratio": np.array(ratios)}  # (n_eps, n_query)


def _small_check(config: SmallEpsConfig, results: Results) -> list[Claim]:
    from scipy import stats

    r = results[cell_key({})]
    dev = np.abs(r["ratio"] - 1).max(axis=1)
    fit_rows = (dev > 1e-7) & (r["eps"] <= 1e-3)  # above rounding noise, inside the asymptotic regime
    res = stats.linregress(np.log(r["eps"][fit_rows]), np.log(dev[fit_rows]))
    half = float(stats.t.ppf(0.975, fit_rows.sum() - 2) * res.stderr)
    return [
        Claim(
            id="multiplicity_small_eps.ratio_to_one",
            statement="Small-eps law: the logit half-width of the viable "
            "range approaches sqrt(2 eps c^T H^-1 c) (H the Hessian of L at theta*) as eps -> 0.",
            source="issue 5 (second-order expansion of the level set)",
            method=f"{config.n_query} breast-cancer points, eps in [{r['eps'][0]:.0e}, {r['eps'][-1]:.0e}]",
            quantity=f"max_i |ratio - 1| at eps = {r['eps'][0]:.0e}",
            predicted=0.0,
            measured=float(dev[0]),
            tolerance=1e-3,
            tolerance_reason="the deviation is O(eps) (next claim); at eps <= 1e-8 it is < 1e-6 "
            "plus the fast method's relative accuracy ~1e-6 at tiny widths",
            figure="small_eps",
        ),
        Claim(
            id="multiplicity_small_eps.correction_order",
            statement="The correction to the law is O(eps), not "
            "O(sqrt(eps)): the O(sqrt(eps)) shifts of the two ends (from the third derivative of L) are equal and "
            "cancel in the half-width (derived here).",
            source="this project",
            method="least-squares slope of log max|ratio - 1| on log eps, eps <= 1e-3",
            quantity="slope",
            predicted=1.0,
            measured=float(res.slope),
            tolerance=max(half, 0.1),
            tolerance_reason=f"95% CI half-width {half:.3g} (at least 0.1 for the next-order term)",
            relation="==",
            figure="small_eps",
        ),
    ]


def _small_figures(config: SmallEpsConfig, results: Results) -> dict:
    r = results[cell_key({})]
    fig, ax = figure()
    dev = np.abs(r["ratio"] - 1)
    ax.loglog(r["eps"], np.maximum(dev, 1e-16), "-", color="C0", alpha=0.3, lw=1)
    ax.loglog(r["eps"], np.maximum(dev.max(1), 1e-16), "o-", color="C0", label="max over points")
    ax.loglog(r["eps"], r["eps"] * dev.max(1)[-1] / r["eps"][-1], "k--", lw=1, label="∝ ε")
    ax.set(xlabel="ε", ylabel="|half-width / sqrt(2 ε cᵀH⁻¹c) − 1|", title="Small-ε law of the viable logit range")
    ax.legend()
    return {"small_eps": fig}


MULTIPLICITY_SMALL_EPS = register(
    Sim(
        name="multiplicity_small_eps",
        area=AREA,
        description="Half-width of viable ranges vs sqrt(2 eps c'H^-1 c)",
        config_cls=SmallEpsConfig,
        cells=_single_cell,
        compute=_small_compute,
        check=_small_check,
        figures=_small_figures,
        claims=(
            ClaimSpec("multiplicity_small_eps.ratio_to_one", "ratio -> 1"),
            ClaimSpec("multiplicity_small_eps.correction_order", "correction O(eps)"),
        ),
    )
)


# ---------------------------------------------------------------------------------------------------------
# multiplicity_measures: ambiguity and discrepancy vs eps and delta
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasuresConfig:
    l2: float = 1e-2
    eps: tuple[float, ...] = (0.001, 0.003, 0.01, 0.03, 0.1)
    deltas: tuple[float, ...] = (0.01, 0.05, 0.1, 0.2)
    greedy_rounds: int = 30

    @classmethod
    def quick(cls) -> MeasuresConfig:
        return cls(eps=(0.003, 0.03), deltas=(0.05, 0.2), greedy_rounds=5)

    @classmethod
    def full(cls) -> MeasuresConfig:
        return cls()


def _measures_cells(config: MeasuresConfig) -> list[Cell]:
    return [{"eps": e} for e in config.eps]


def _measures_compute(config: MeasuresConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    X, y = load_dataset("breast_cancer")
    p = multiplicity_profile(X, y, cell["eps"], config.deltas, config.l2, greedy_rounds=config.greedy_rounds)
    models = np.vstack([d.model for d in p.discrepancy] + [p.discrepancy_01.model])
    return {
        "baseline": p.baseline,
        "lo": p.lo,
        "hi": p.hi,
        "ambiguity": p.ambiguity,
        "disc_lower": np.array([d.lower for d in p.discrepancy]),
        "disc_upper": np.array([d.upper for d in p.discrepancy]),
        "ambiguity_01": np.array(p.ambiguity_01),
        "disc01": np.array([p.discrepancy_01.lower, p.discrepancy_01.upper]),
        "model_loss_minus_tau": logistic_objective(models, X, y, config.l2) - p.tau,
    }


def _measures_check(config: MeasuresConfig, results: Results) -> list[Claim]:
    rows = [results[cell_key({"eps": e})] for e in config.eps]
    amb = np.array([r["ambiguity"] for r in rows])
    mono = float(np.max(-np.diff(amb, axis=0), initial=0.0))
    cert = float(max(r["model_loss_minus_tau"].max() for r in rows))
    order_ok = float(max(np.max(r["disc_lower"] - r["disc_upper"]) for r in rows))
    gaps = np.array([r["disc_upper"] - r["disc_lower"] for r in rows])
    src = WPU2023
    claims = [
        Claim(
            id="multiplicity_measures.ambiguity_monotone_in_eps",
            statement="Ambiguity is non-decreasing in eps (the level sets are nested).",
            source=src,
            method=f"breast cancer, eps in {list(config.eps)}, delta in {list(config.deltas)}",
            quantity="max decrease between consecutive eps",
            predicted=0.0,
            measured=mono,
            tolerance=0.0,
            tolerance_reason="exact counts",
            relation="<=",
            figure="measures",
        ),
        Claim(
            id="multiplicity_measures.discrepancy_certificates",
            statement="The lower end of every discrepancy interval is attained by a model inside S_eps.",
            source=src + "; " + MCU2020,
            method="L(model) recomputed for every reported discrepancy model",
            quantity="max L(model) - tau",
            predicted=0.0,
            measured=cert,
            tolerance=1e-12,
            tolerance_reason="float64 evaluation of L",
            figure="measures",
        ),
        Claim(
            id="multiplicity_measures.discrepancy_interval_ordered",
            statement="Certified discrepancy lower <= upper (= ambiguity).",
            source=src,
            method="all eps and delta",
            quantity="max (lower - upper)",
            predicted=0.0,
            measured=order_ok,
            tolerance=0.0,
            tolerance_reason="exact counts",
            figure="measures",
        ),
        Claim.observation(
            id="multiplicity_measures.discrepancy_gap",
            statement="Observation: width of the certified discrepancy "
            "intervals (upper from the ranges, lower from models found by greedy search).",
            source=src,
            method="all eps and delta",
            quantity="max gap",
            predicted=float("nan"),
            measured=float(gaps.max()),
            figure="measures",
            details=f"gap per eps (rows) and delta (cols): {np.round(gaps, 3).tolist()}; 0-1 ambiguity per eps: "
            f"{[round(float(r['ambiguity_01']), 4) for r in rows]}; 0-1 discrepancy intervals: "
            f"{[np.round(r['disc01'], 4).tolist() for r in rows]}",
        ),
    ]
    return claims


def _measures_figures(config: MeasuresConfig, results: Results) -> dict:
    rows = [results[cell_key({"eps": e})] for e in config.eps]
    fig, (ax, ax2) = figure(1, 2)
    for j, delta in enumerate(config.deltas):
        amb = [r["ambiguity"][j] for r in rows]
        lo = [r["disc_lower"][j] for r in rows]
        ax.semilogx(config.eps, amb, "o-", color=f"C{j}", label=f"ambiguity, δ={delta}")
        ax.fill_between(config.eps, lo, amb, color=f"C{j}", alpha=0.15)
        ax.semilogx(config.eps, lo, "v--", color=f"C{j}", ms=3)
    ax.semilogx(config.eps, [float(r["ambiguity_01"]) for r in rows], "ks-", label="0-1 ambiguity")
    ax.set(
        xlabel="ε (absolute)",
        ylabel="fraction of points",
        title="Ambiguity (solid) and certified discrepancy (band: [lower, upper])",
    )
    ax.legend(fontsize=7)
    r = rows[len(rows) // 2]
    order = np.argsort(r["baseline"])
    x = np.arange(len(order))
    ax2.vlines(x, expit(r["lo"][order]), expit(r["hi"][order]), lw=0.6, color="C0")
    ax2.plot(x, r["baseline"][order], "k-", lw=1, label="baseline g0")
    ax2.set(
        xlabel="point (sorted by baseline probability)",
        ylabel="probability",
        title=f"Viable prediction ranges, ε = {config.eps[len(rows) // 2]}",
    )
    ax2.legend()
    return {"measures": fig}


MULTIPLICITY_MEASURES = register(
    Sim(
        name="multiplicity_measures",
        area=AREA,
        description="Ambiguity and discrepancy vs eps and delta (breast cancer)",
        config_cls=MeasuresConfig,
        cells=_measures_cells,
        compute=_measures_compute,
        check=_measures_check,
        figures=_measures_figures,
        claims=(
            ClaimSpec("multiplicity_measures.ambiguity_monotone_in_eps", "monotone"),
            ClaimSpec("multiplicity_measures.discrepancy_certificates", "certified"),
            ClaimSpec("multiplicity_measures.discrepancy_interval_ordered", "lower <= upper"),
            ClaimSpec("multiplicity_measures.discrepancy_gap", "observation"),
        ),
    )
)
