"""Sims for logistic regression with large-step gradient descent and its perceptron limit (Tyurin 2024)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sims.core import Arrays, Cell, Claim, ClaimSpec, Results, Sim, cell_key, register
from sims.report import figure
from theory.logistic_gd import (
    TYURIN2024,
    batch_perceptron,
    batch_perceptron_iteration_bound,
    logistic_loss,
    lr_gd,
    margin,
    normalized_lr_gd_iteration_bound,
    normalized_perceptron_iteration_bound,
    perceptron_worst_case_dataset,
    perceptron_worst_case_iterations,
    planted_margin_dataset,
    step_size_paradox_dataset,
)

AREA = "Logistic regression, large steps and the perceptron"
EPS = float(np.finfo(float).eps)


def degenerate_dataset() -> tuple[NDArray, NDArray]:
    """Separable data violating Assumption 3.1: the perceptron's first iterate has a zero margin.

    Signed points (1, 0) and (-1, 1): theta_1 = (0, 1/4), so y_1 a_1^T theta_1 = 0 exactly. LR+GD then weighs
    that point by sigma(0) = 1/2 for every gamma, the perceptron by 1.
    """
    return np.array([[1.0, 0.0], [-1.0, 1.0]]), np.array([1.0, 1.0])


# ---------------------------------------------------------------------------------------------------------
# perceptron_limit: theta_t / gamma -> batch perceptron (Thm 3.2), and how fast
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LimitConfig:
    n_datasets: int = 12
    n: int = 40
    d: int = 5
    mu: float = 0.1
    gammas: tuple[float, ...] = tuple(float(g) for g in np.logspace(0, 12, 37))
    extra_steps: int = 3

    @classmethod
    def quick(cls) -> LimitConfig:
        return cls(n_datasets=3, gammas=tuple(float(g) for g in np.logspace(0, 12, 13)))

    @classmethod
    def full(cls) -> LimitConfig:
        return cls()


def _limit_cells(config: LimitConfig) -> list[Cell]:
    return [{"data": f"planted{i}"} for i in range(config.n_datasets)] + [{"data": "degenerate"}]


def _limit_compute(config: LimitConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    if cell["data"] == "degenerate":
        A, y = degenerate_dataset()
    else:
        A, y = planted_margin_dataset(config.n, config.d, config.mu, np.random.default_rng(seed))
    bp = batch_perceptron(A, y, 100_000)
    t_sep = bp.first_separated
    T = t_sep + config.extra_steps
    hat = bp.iterates[: T + 1]
    margins = np.abs((hat[1:] @ A.T) * y)  # |y_i a_i^T theta_hat_t|, t >= 1: what sigma(-gamma m) is judged on
    nonzero = margins[margins > 0]

    def error(g: float) -> float:
        return float(np.max(np.abs(lr_gd(A, y, g, T).iterates / g - hat)))

    c = float(nonzero.min()) if nonzero.size else np.nan
    # the decay exp(-c gamma) happens within gamma ~ 5/c..40/c: a linear grid there measures the rate
    g_rate = np.arange(2, 41, 2) / c if np.isfinite(c) else np.zeros(0)
    return {
        "gammas": np.array(config.gammas),
        "err": np.array([error(g) for g in config.gammas]),
        "gammas_rate": g_rate,
        "err_rate": np.array([error(g) for g in g_rate]),
        "t_sep": np.array(t_sep),
        "rate_pred": np.array(c),
        "has_zero_margin": np.array(bool((margins == 0).any())),
        "scale": np.array(np.abs(hat).max()),
        "R": np.array(np.linalg.norm(A, axis=1).max()),
    }


def _machine_tol(r: Arrays) -> float:
    # theta_T/gamma accumulates T + extra steps, each a sum of n terms of size <= R, rounded to relative eps;
    # 16 eps per step and term is a generous constant for the sum and the division by gamma
    return float(16 * EPS * (int(r["t_sep"]) + 3) * max(float(r["R"]), 1.0) * max(float(r["scale"]), 1.0))


def _limit_check(config: LimitConfig, results: Results) -> list[Claim]:
    planted = [results[cell_key({"data": f"planted{i}"})] for i in range(config.n_datasets)]
    final = np.array([r["err"][-1] for r in planted])
    tols = np.array([_machine_tol(r) for r in planted])
    worst = int(np.argmax(final / tols))
    claims = [
        Claim(
            id="perceptron_limit.machine_precision_at_1e12",
            statement="Thm 3.2: with theta_0 = 0, theta_t/gamma -> the batch-perceptron iterate for every t as "
            "gamma -> infinity; at gamma = 1e12 the difference is at machine precision.",
            source=TYURIN2024 + ", Thm 3.2 (under Assumption 3.1)",
            method=f"{config.n_datasets} random data sets with planted margin {config.mu} (n={config.n}, "
            f"d={config.d}); max over t <= t_sep + 3 of ||theta_t/gamma - theta_hat_t||_inf",
            quantity="max error / machine tolerance (worst data set)",
            predicted=1.0,
            measured=float(final[worst] / tols[worst]),
            tolerance=0.0,
            tolerance_reason="per data set, tolerance 16 eps (t_sep + 3) max(R, 1) max(||theta_hat||, 1): rounding of "
            "t sums of n terms; the ratio must be <= 1",
            figure="limit",
            details=f"errors at 1e12: {np.array2string(final, precision=2)}",
        )
    ]
    # the rate: error ~ K exp(-gamma c), c the smallest |margin| of the perceptron path (predicted here)
    ratios = []
    for r in planted:
        g, e = r["gammas_rate"], r["err_rate"]
        tol = _machine_tol(r)
        decay = (e > 1e3 * tol) & (e < 1e-2 * float(r["scale"]))  # clear of the start and of rounding
        if decay.sum() >= 3:
            slope = np.polyfit(g[decay], np.log(e[decay]), 1)[0]
            ratios.append(float(-slope / r["rate_pred"]))
    ratios = np.array(ratios)
    claims.append(
        Claim(
            id="perceptron_limit.exponential_rate",
            statement="The error of the limit decays like exp(-c gamma) with c = min_{t,i} |y_i a_i^T theta_hat_t| "
            "(the smallest nonzero margin along the perceptron path; derived here from sigma(-gamma m) - 1[m <= 0]).",
            source="this project (rate of Thm 3.2's limit)",
            method="least-squares slope of ln(error) on gamma over gamma in [2/c, 40/c] where 1e3 tol < error < "
            "1e-2 ||theta_hat||, divided by c",
            quantity="max |measured rate / predicted c - 1| over data sets",
            predicted=0.0,
            measured=float(np.max(np.abs(ratios - 1))) if ratios.size else float("nan"),
            tolerance=0.25,
            tolerance_reason="asymptotic form: subleading terms exp(-c' gamma) with c' close to c bias the "
            "fitted slope; 25% still separates exp(-c gamma) from exp(-2c gamma) or polynomial decay",
            relation="<=",
            figure="limit",
            details=f"rate/c per data set: {np.array2string(ratios, precision=3)}",
        )
    )
    deg = results[cell_key({"data": "degenerate"})]
    claims.append(
        Claim(
            id="perceptron_limit.negative_control_assumption_3_1",
            statement="Negative control: the limit of Thm 3.2 on data violating Assumption 3.1 (a zero margin "
            "along the perceptron path). The limit is then sigma(0) = 1/2 instead of 1 for that point, so the "
            "error must not vanish.",
            source=TYURIN2024 + ", Assumption 3.1 violated",
            method="signed points (1, 0) and (-1, 1); theta_hat_1 = (0, 1/4) has a zero margin",
            quantity="error at gamma = 1e12",
            predicted=0.0,
            measured=float(deg["err"][-1]),
            tolerance=_machine_tol(deg),
            tolerance_reason="machine precision, as for the main claim",
            relation="<=",
            expect="violated",
            role="negative_control",
            figure="limit",
        )
    )
    return claims


def _limit_figures(config: LimitConfig, results: Results) -> dict:
    fig, ax = figure()
    for i in range(config.n_datasets):
        r = results[cell_key({"data": f"planted{i}"})]
        ax.loglog(
            r["gammas"],
            np.maximum(r["err"], 1e-18),
            "-",
            lw=1,
            alpha=0.7,
            color="C0",
            label="planted-margin data" if i == 0 else None,
        )
        g = r["gammas"]
        e0 = r["err"][np.argmax(r["err"] < 1e-3)] if np.any(r["err"] < 1e-3) else None
        if e0 is not None and i == 0:
            g0 = g[np.argmax(r["err"] < 1e-3)]
            gg = g[(g >= g0) & (g <= g0 * 50)]
            ax.loglog(gg, e0 * np.exp(-float(r["rate_pred"]) * (gg - g0)), "k--", lw=1, label="exp(−c γ), c predicted")
    deg = results[cell_key({"data": "degenerate"})]
    ax.loglog(deg["gammas"], deg["err"], "C3-", lw=2, label="Assumption 3.1 violated")
    ax.axhline(1e3 * EPS, color="gray", ls=":", lw=1, label="~1000 ε")
    ax.set(
        xlabel="step size γ",
        ylabel="max_t ‖θ_t/γ − θ̂_t‖∞  (floored at 1e-18)",
        title="LR+GD iterates / γ → batch perceptron (Tyurin 2024, Thm 3.2)",
        ylim=(1e-18, 10),
    )
    ax.legend()
    return {"limit": fig}


PERCEPTRON_LIMIT = register(
    Sim(
        name="perceptron_limit",
        area=AREA,
        description="theta_t/gamma of LR+GD vs the batch perceptron for gamma in [1, 1e12]",
        config_cls=LimitConfig,
        cells=_limit_cells,
        compute=_limit_compute,
        check=_limit_check,
        figures=_limit_figures,
        claims=(
            ClaimSpec("perceptron_limit.machine_precision_at_1e12", "Thm 3.2 limit to machine precision"),
            ClaimSpec("perceptron_limit.exponential_rate", "error ~ exp(-c gamma), c predicted"),
            ClaimSpec("perceptron_limit.negative_control_assumption_3_1", "zero margin breaks the limit"),
        ),
    )
)


# ---------------------------------------------------------------------------------------------------------
# step_size_paradox: f(theta_1) -> infinity, f(theta_2) -> 0 (Thm 4.1); iterations to separate vs gamma
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParadoxConfig:
    gammas: tuple[float, ...] = tuple(float(g) for g in np.logspace(-2, 12, 29))
    n_random: int = 8
    n: int = 40
    d: int = 5
    mu: float = 0.1
    max_iters: int = 20_000

    @classmethod
    def quick(cls) -> ParadoxConfig:
        return cls(gammas=tuple(float(g) for g in np.logspace(-1, 12, 14)), n_random=2, max_iters=5_000)

    @classmethod
    def full(cls) -> ParadoxConfig:
        return cls()


def _paradox_cells(config: ParadoxConfig) -> list[Cell]:
    return [{"data": "thm4.1"}] + [{"data": f"planted{i}"} for i in range(config.n_random)]


def iterations_to_separate(A: NDArray, y: NDArray, gamma: float, max_iters: int, normalized: bool = False) -> int:
    """First t with all margins positive under (Normalized) LR+GD, or -1 if not within max_iters.

    Runs in doubling chunks, so an early separation costs little and memory stays O(chunk x d).
    """
    theta = np.zeros(A.shape[1])
    done, chunk = 0, 32
    while done < max_iters:
        k = min(chunk, max_iters - done)
        p = lr_gd(A, y, gamma, k, theta0=theta, normalized=normalized)
        if p.first_separated is not None:
            return done + p.first_separated
        theta, done, chunk = p.iterates[-1], done + k, chunk * 2
    return -1


def _paradox_compute(config: ParadoxConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    if cell["data"] == "thm4.1":
        A, y = step_size_paradox_dataset()
    else:
        A, y = planted_margin_dataset(config.n, config.d, config.mu, np.random.default_rng(seed))
    g = np.array(config.gammas)
    f1, f2, th2 = [], [], []
    for gamma in g:
        it = lr_gd(A, y, gamma, 2).iterates
        f = logistic_loss(it, A, y)
        f1.append(f[1])
        f2.append(f[2])
        th2.append(it[2] / gamma)
    iters = np.array([iterations_to_separate(A, y, gamma, config.max_iters) for gamma in g])
    return {"gammas": g, "f1": np.array(f1), "f2": np.array(f2), "theta2_over_gamma": np.array(th2), "iters": iters}


def _paradox_check(config: ParadoxConfig, results: Results) -> list[Claim]:
    r = results[cell_key({"data": "thm4.1"})]
    src = TYURIN2024 + ", Thm 4.1"
    claims = [
        Claim(
            id="step_size_paradox.f_theta1_grows",
            statement="Thm 4.1 data: f(theta_1) -> infinity as gamma -> "
            "infinity; precisely f(theta_1)/gamma -> 1/8 (theta_1 = gamma (1/2, 3/4), margin -gamma/4 on point 1).",
            source=src,
            method="LR+GD from theta_0 = 0, gamma = 1e12",
            quantity="f(theta_1)/gamma at gamma = 1e12",
            predicted=0.125,
            measured=float(r["f1"][-1] / r["gammas"][-1]),
            tolerance=1e-12,
            tolerance_reason="f(theta_1)/gamma = 1/8 + log(2)/(2 gamma) + O(exp(-gamma)): 3.5e-13 at 1e12, plus "
            "rounding 1e-16",
            relation="==",
            figure="paradox",
        ),
        Claim(
            id="step_size_paradox.f_theta2_vanishes",
            statement="Thm 4.1 data: f(theta_2) -> 0 as gamma -> infinity.",
            source=src,
            method="LR+GD, gamma = 1e12",
            quantity="f(theta_2) at gamma = 1e12",
            predicted=0.0,
            measured=float(r["f2"][-1]),
            tolerance=1e-300,
            tolerance_reason="f(theta_2) = O(exp(-0.75 gamma)), below the smallest float already at gamma ~ 1e3",
            relation="<=",
            figure="paradox",
        ),
        Claim(
            id="step_size_paradox.theta2_limit",
            statement="Thm 4.1 data: theta_2/gamma -> (1, 1/4).",
            source=src,
            method="LR+GD, gamma = 1e12",
            quantity="||theta_2/gamma - (1, 1/4)||_inf at gamma = 1e12",
            predicted=0.0,
            measured=float(np.abs(r["theta2_over_gamma"][-1] - [1.0, 0.25]).max()),
            tolerance=1e-12,
            tolerance_reason="sigma(0)=1/2 exact; remaining terms exp(-gamma/4) and rounding 1e-16",
            relation="==",
            figure="paradox",
        ),
    ]
    rows = [results[cell_key({"data": f"planted{i}"})] for i in range(config.n_random)]
    small, large = np.array([x["iters"][0] for x in rows]), np.array([x["iters"][-1] for x in rows])
    claims.append(
        Claim.observation(
            id="step_size_paradox.iterations_vs_gamma",
            statement="Observation: on random separable data, LR+GD separates in fewer iterations with larger steps "
            "although the loss is not monotone.",
            source=src,
            method=f"{config.n_random} planted-margin data sets; -1 means not separated in {config.max_iters}",
            quantity=f"median iterations at gamma = {config.gammas[0]:g} (at 1e12: {np.median(large):g})",
            predicted=float("nan"),
            measured=float(np.median(small)),
            figure="paradox",
            details=f"iterations at smallest gamma {small.tolist()}, at largest {large.tolist()}",
        )
    )
    return claims


def _paradox_figures(config: ParadoxConfig, results: Results) -> dict:
    r = results[cell_key({"data": "thm4.1"})]
    fig, (ax, ax2) = figure(1, 2)
    g = r["gammas"]
    ax.loglog(g, r["f1"], "o-", ms=3, label="f(θ₁)")
    ax.loglog(g, np.maximum(r["f2"], 1e-320), "s-", ms=3, label="f(θ₂) (floored at 1e-320)")
    ax.loglog(g, g / 8, "k--", lw=1, label="γ/8 (limit of f(θ₁))")
    ax.set(xlabel="step size γ", ylabel="logistic loss f", title="Thm 4.1 data: the step-size paradox")
    ax.legend()
    for i in range(config.n_random):
        x = results[cell_key({"data": f"planted{i}"})]
        it = np.where(x["iters"] < 0, np.nan, x["iters"])
        ax2.loglog(x["gammas"], it, ".-", lw=1, alpha=0.7, color="C0", label="planted-margin data" if i == 0 else None)
    ax2.loglog(g, np.where(r["iters"] < 0, np.nan, r["iters"]), "C1s-", ms=3, label="Thm 4.1 data")
    ax2.set(xlabel="step size γ", ylabel="iterations until all margins > 0", title="Iterations to separate")
    ax2.legend()
    return {"paradox": fig}


STEP_SIZE_PARADOX = register(
    Sim(
        name="step_size_paradox",
        area=AREA,
        description="f(theta_1), f(theta_2), theta_2/gamma and iterations vs gamma",
        config_cls=ParadoxConfig,
        cells=_paradox_cells,
        compute=_paradox_compute,
        check=_paradox_check,
        figures=_paradox_figures,
        claims=(
            ClaimSpec("step_size_paradox.f_theta1_grows", "f(theta_1)/gamma -> 1/8"),
            ClaimSpec("step_size_paradox.f_theta2_vanishes", "f(theta_2) -> 0"),
            ClaimSpec("step_size_paradox.theta2_limit", "theta_2/gamma -> (1, 1/4)"),
            ClaimSpec("step_size_paradox.iterations_vs_gamma", "observation"),
        ),
    )
)


# ---------------------------------------------------------------------------------------------------------
# worst_case_scaling: Omega(n) vs O(1) iterations on the Thm 5.1 data
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScalingConfig:
    ns: tuple[int, ...] = (10, 30, 100, 300, 1000, 3000, 10000)
    gamma: float = 1e12

    @classmethod
    def quick(cls) -> ScalingConfig:
        return cls(ns=(10, 100, 300, 1000))

    @classmethod
    def full(cls) -> ScalingConfig:
        return cls()


def _scaling_cells(config: ScalingConfig) -> list[Cell]:
    return [{"n": n} for n in config.ns]


def _scaling_compute(config: ScalingConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    n = int(cell["n"])
    A, y = perceptron_worst_case_dataset(n)
    cap = n + 10  # > 0.3 n + 2, the exact count
    mu, R = margin(A, y)
    counts = [
        batch_perceptron(A, y, cap).first_separated,
        batch_perceptron(A, y, 20, normalized=True).first_separated,
        lr_gd(A, y, config.gamma, cap).first_separated,
        lr_gd(A, y, config.gamma, 20, normalized=True).first_separated,
    ]
    return {"counts": np.array([-1 if c is None else c for c in counts]), "mu": np.array(mu), "R": np.array(R)}


METHODS = ("batch perceptron", "normalized batch perceptron", "LR+GD (γ=1e12)", "Normalized LR+GD (γ=1e12)")


def _slope_ci(x: NDArray, y: NDArray) -> tuple[float, float]:
    """Least-squares slope of log y on log x and its 95% half-width (t quantile, n - 2 dof)."""
    from scipy import stats

    res = stats.linregress(np.log(x), np.log(y))
    if len(x) < 3:
        raise ValueError("a slope with a confidence interval needs at least 3 points")
    half = float(stats.t.ppf(0.975, len(x) - 2) * res.stderr)
    return float(res.slope), half


def _scaling_check(config: ScalingConfig, results: Results) -> list[Claim]:
    ns = np.array(config.ns)
    C = np.array([results[cell_key({"n": int(n)})]["counts"] for n in ns])
    mu = np.array([float(results[cell_key({"n": int(n)})]["mu"]) for n in ns])
    R = np.array([float(results[cell_key({"n": int(n)})]["R"]) for n in ns])
    exact = np.array([perceptron_worst_case_iterations(int(n)) for n in ns])
    big = ns >= 100  # the exact count is 0.3 n + O(1): the offset bends the log-log line at small n
    slope, half = _slope_ci(ns[big], C[big, 0].astype(float))
    classical = normalized_perceptron_iteration_bound(R, mu)
    src = TYURIN2024 + ", Thm 5.1"
    return [
        Claim(
            id="worst_case_scaling.batch_exact_count",
            statement="On the Thm 5.1 data the batch perceptron separates "
            "at t = 1 + floor((3n - 8)/10) + 1 (derived here: perceptron_worst_case_iterations).",
            source="this project (exact count behind Thm 5.1's Omega(n))",
            method=f"batch perceptron, n in {ns.tolist()}",
            quantity="max |count - formula|",
            predicted=0.0,
            measured=float(np.abs(C[:, 0] - exact).max()),
            tolerance=0.0,
            tolerance_reason="integer counts",
            relation="==",
            figure="scaling",
        ),
        Claim(
            id="worst_case_scaling.lr_gd_matches_perceptron",
            statement="LR+GD with gamma = 1e12 separates at the same "
            "iteration as the batch perceptron (its gamma -> infinity limit).",
            source=src,
            method="LR+GD from theta_0 = 0",
            quantity="max |count LR+GD - count perceptron|",
            predicted=0.0,
            measured=float(np.abs(C[:, 2] - C[:, 0]).max()),
            tolerance=0.0,
            tolerance_reason="integer counts",
            relation="==",
            figure="scaling",
        ),
        Claim(
            id="worst_case_scaling.linear_in_n",
            statement="Batch perceptron / LR+GD with large steps need Omega(n) "
            "iterations on this data: log-log slope of the count in n is 1.",
            source=src,
            method=f"least squares on log count vs log n, n in {ns.tolist()}",
            quantity="slope",
            predicted=1.0,
            measured=slope,
            tolerance=max(half, 0.05),
            tolerance_reason=f"95% CI half-width of the slope ({half:.3g}), at least 0.05 for the +O(1) offset",
            relation="==",
            figure="scaling",
        ),
        Claim(
            id="worst_case_scaling.normalized_constant",
            statement="The normalized variants need O(1) iterations: at "
            "most 2 for every n here (derived: t = 2 for n >= 6).",
            source=TYURIN2024 + ", Thm 5.1 / 5.3",
            method="normalized batch perceptron and Normalized LR+GD (gamma = 1e12)",
            quantity="max count",
            predicted=2.0,
            measured=float(C[:, [1, 3]].max()),
            tolerance=0.0,
            tolerance_reason="integer counts",
            relation="<=",
            figure="scaling",
        ),
        Claim(
            id="worst_case_scaling.batch_bound_holds",
            statement="Thm 3.3: batch perceptron iterations <= n R^2/mu^2.",
            source=TYURIN2024 + ", Thm 3.3",
            method="mu from the max-margin program (cvxpy)",
            quantity="max count / bound",
            predicted=1.0,
            measured=float((C[:, 0] / batch_perceptron_iteration_bound(ns, R, mu)).max()),
            tolerance=1e-6,
            tolerance_reason="relative accuracy of mu from the conic solver (~1e-9), squared",
            relation="<=",
            figure="scaling",
        ),
        Claim(
            id="worst_case_scaling.negative_control_classical_bound",
            statement="Negative control: the classical "
            "one-sample perceptron bound R^2/mu^2 applied to the batch perceptron. It must be violated for large n.",
            source="Novikoff (1962) bound, misapplied",
            method="batch perceptron counts",
            quantity="max count / (R^2/mu^2)",
            predicted=1.0,
            measured=float((C[:, 0] / classical).max()),
            tolerance=1e-6,
            tolerance_reason="as above",
            relation="<=",
            expect="violated",
            role="negative_control",
            figure="scaling",
        ),
    ]


def _scaling_figures(config: ScalingConfig, results: Results) -> dict:
    ns = np.array(config.ns)
    C = np.array([results[cell_key({"n": int(n)})]["counts"] for n in ns])
    mu = float(results[cell_key({"n": int(ns[0])})]["mu"])
    R = float(results[cell_key({"n": int(ns[0])})]["R"])
    fig, ax = figure()
    for k, (name, marker) in enumerate(zip(METHODS, "os^v", strict=True)):
        ax.loglog(ns, C[:, k], marker + "-", ms=4, mfc="none", label=name)
    ax.loglog(ns, batch_perceptron_iteration_bound(ns, R, mu), "k--", lw=1, label="n R²/μ² (Thm 3.3)")
    ax.loglog(ns, np.full(len(ns), R**2 / mu**2), "k:", lw=1, label="R²/μ² (Thm 5.3; classical)")
    ax.set(
        xlabel="number of points n",
        ylabel="iterations until separation",
        title="Thm 5.1 data: Ω(n) for the batch perceptron and LR+GD, O(1) when normalized",
    )
    ax.legend()
    return {"scaling": fig}


WORST_CASE_SCALING = register(
    Sim(
        name="worst_case_scaling",
        area=AREA,
        description="Iterations to separate vs n on the Thm 5.1 data",
        config_cls=ScalingConfig,
        cells=_scaling_cells,
        compute=_scaling_compute,
        check=_scaling_check,
        figures=_scaling_figures,
        claims=tuple(
            ClaimSpec(f"worst_case_scaling.{k}", k)
            for k in (
                "batch_exact_count",
                "lr_gd_matches_perceptron",
                "linear_in_n",
                "normalized_constant",
                "batch_bound_holds",
                "negative_control_classical_bound",
            )
        ),
    )
)


# ---------------------------------------------------------------------------------------------------------
# iteration_bounds: Thms 3.3, 5.3, 6.1 on many random separable data sets
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoundsConfig:
    ns: tuple[int, ...] = (20, 100, 500)
    ds: tuple[int, ...] = (2, 10, 50)
    mus: tuple[float, ...] = (0.1, 0.3, 0.6)
    reps: int = 4
    lr_gammas: tuple[float, ...] = (0.1, 1.0, 10.0)
    max_iters: int = 50_000

    @classmethod
    def quick(cls) -> BoundsConfig:
        return cls(ns=(20, 100), ds=(2, 10), mus=(0.1, 0.5), reps=2, max_iters=20_000)

    @classmethod
    def full(cls) -> BoundsConfig:
        return cls()


def _bounds_cells(config: BoundsConfig) -> list[Cell]:
    return [{"n": n, "d": d, "mu": mu} for n in config.ns for d in config.ds for mu in config.mus]


def _bounds_compute(config: BoundsConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(config.reps):
        A, y = planted_margin_dataset(cell["n"], cell["d"], cell["mu"], rng)
        mu, R = margin(A, y)
        cap = config.max_iters
        counts = [
            batch_perceptron(A, y, cap).first_separated,
            batch_perceptron(A, y, cap, normalized=True).first_separated,
        ]
        counts += [iterations_to_separate(A, y, g, cap, normalized=True) for g in config.lr_gammas]
        rows.append([mu, R, *[-1 if c is None else c for c in counts]])
    return {"rows": np.array(rows, dtype=float)}  # columns: mu, R, batch, normalized, nlr(gamma) ...


def _bounds_ratios(config: BoundsConfig, results: Results) -> dict[str, NDArray]:
    out: dict[str, list] = {"batch": [], "normalized": [], **{f"nlr{g:g}": [] for g in config.lr_gammas}}
    censored = 0
    for c in _bounds_cells(config):
        rows = results[cell_key(c)]["rows"]
        for mu, R, *counts in rows:
            n = c["n"]
            bounds = [batch_perceptron_iteration_bound(n, R, mu), normalized_perceptron_iteration_bound(R, mu)]
            bounds += [normalized_lr_gd_iteration_bound(n, R, mu, g) for g in config.lr_gammas]
            for key, cnt, b in zip(out, counts, bounds, strict=True):
                if cnt < 0:  # not separated within the cap: the ratio is at least cap / bound
                    censored += 1
                    cnt = config.max_iters
                out[key].append(cnt / float(b))
    return {k: np.array(v) for k, v in out.items()} | {"censored": np.array(censored)}


def _bounds_check(config: BoundsConfig, results: Results) -> list[Claim]:
    ratios = _bounds_ratios(config, results)
    specs = [
        ("batch", "Thm 3.3: batch perceptron iterations <= n R^2/mu^2", "Thm 3.3"),
        ("normalized", "Thm 5.3: normalized batch perceptron iterations <= R^2/mu^2", "Thm 5.3"),
    ]
    specs += [
        (
            f"nlr{g:g}",
            f"Thm 6.1: Normalized LR+GD (gamma = {g:g}) iterations <= R^2/mu^2 + 2 log(2n-1)/(gamma mu^2)",
            "Thm 6.1",
        )
        for g in config.lr_gammas
    ]
    n_sets = len(ratios["batch"])
    claims = []
    for key, statement, thm in specs:
        r = ratios[key]
        claims.append(
            Claim(
                id=f"iteration_bounds.{key}",
                statement=statement + " on random separable data.",
                source=f"{TYURIN2024}, {thm}",
                method=f"{n_sets} planted-margin data sets (n in {list(config.ns)}, d in {list(config.ds)}, mu in "
                f"{list(config.mus)}); mu from the max-margin program",
                quantity="max count / bound",
                predicted=1.0,
                measured=float(r.max()),
                tolerance=1e-6,
                tolerance_reason="relative accuracy of mu^2 from the conic solver",
                relation="<=",
                figure="bounds",
                details=f"count/bound quantiles 50/90/100%: {np.quantile(r, [0.5, 0.9, 1.0]).round(4).tolist()}; "
                f"censored runs: {int(ratios['censored'])}",
            )
        )
    return claims


def _bounds_figures(config: BoundsConfig, results: Results) -> dict:
    ratios = _bounds_ratios(config, results)
    fig, ax = figure()
    keys = [k for k in ratios if k != "censored"]
    ax.boxplot([np.maximum(ratios[k], 1e-6) for k in keys], tick_labels=keys, whis=(0, 100))
    ax.axhline(1.0, color="C3", lw=1.5, label="bound")
    ax.set(
        yscale="log",
        ylabel="iterations until separation / bound",
        title="Tyurin (2024) iteration bounds on random separable data (whiskers: min, max)",
    )
    ax.legend()
    return {"bounds": fig}


ITERATION_BOUNDS = register(
    Sim(
        name="iteration_bounds",
        area=AREA,
        description="Iteration bounds of Thms 3.3, 5.3, 6.1 on random data",
        config_cls=BoundsConfig,
        cells=_bounds_cells,
        compute=_bounds_compute,
        check=_bounds_check,
        figures=_bounds_figures,
        claims=(
            ClaimSpec("iteration_bounds.batch", "Thm 3.3"),
            ClaimSpec("iteration_bounds.normalized", "Thm 5.3"),
            ClaimSpec("iteration_bounds.nlr*", "Thm 6.1 for several gamma"),
        ),
    )
)


# ---------------------------------------------------------------------------------------------------------
# large_step_rates: beyond the paper, Wu, Bartlett, Telgarsky and Yu (2024)
# ---------------------------------------------------------------------------------------------------------

WBTY2024 = (
    "Wu, Bartlett, Telgarsky, Yu (2024), Large Stepsize Gradient Descent for Logistic Loss: "
    "Non-Monotonicity of the Loss Improves Optimization Efficiency (COLT)"
)


@dataclass(frozen=True)
class RatesConfig:
    n_datasets: int = 6
    n: int = 50
    d: int = 5
    mu: float = 0.1
    gammas: tuple[float, ...] = (1.0, 10.0, 100.0, 1000.0)
    horizon: int = 20_000
    horizons_accel: tuple[int, ...] = (30, 100, 300, 1000, 3000, 10000)

    @classmethod
    def quick(cls) -> RatesConfig:
        return cls(n_datasets=2, gammas=(1.0, 100.0), horizon=2000, horizons_accel=(30, 100, 300, 1000))

    @classmethod
    def full(cls) -> RatesConfig:
        return cls()


def _rates_cells(config: RatesConfig) -> list[Cell]:
    return [{"data": f"planted{i}"} for i in range(config.n_datasets)]


def _checkpoints(T: int) -> NDArray:
    return np.unique(np.round(np.logspace(0, np.log10(T), 40)).astype(int))


def _rates_compute(config: RatesConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    A, y = planted_margin_dataset(config.n, config.d, config.mu, np.random.default_rng(seed))
    ts = _checkpoints(config.horizon)
    curves = np.array([logistic_loss(lr_gd(A, y, g, config.horizon).iterates[ts], A, y) for g in config.gammas])
    # gamma = T: the accelerated regime; loss after exactly T steps
    accel = np.array([logistic_loss(lr_gd(A, y, float(T), T).iterates[-1], A, y) for T in config.horizons_accel])
    return {"ts": ts, "curves": curves, "accel": accel}


def _rates_slopes(config: RatesConfig, results: Results) -> tuple[NDArray, NDArray]:
    per_gamma = []
    for k in range(len(config.gammas)):
        s = []
        for c in _rates_cells(config):
            r = results[cell_key(c)]
            late = r["ts"] >= r["ts"][-1] / 100  # last two decades: past the unstable phase
            loss = r["curves"][k, late]
            ok = loss > 0
            if ok.sum() >= 3:
                s.append(np.polyfit(np.log(r["ts"][late][ok]), np.log(loss[ok]), 1)[0])
        per_gamma.append(s)
    accel = []
    for c in _rates_cells(config):
        r = results[cell_key(c)]
        ok = r["accel"] > 0
        if ok.sum() >= 3:
            accel.append(np.polyfit(np.log(np.array(config.horizons_accel)[ok]), np.log(r["accel"][ok]), 1)[0])
    return np.array(per_gamma, dtype=object), np.array(accel)


def _rates_check(config: RatesConfig, results: Results) -> list[Claim]:
    per_gamma, accel = _rates_slopes(config, results)
    claims = []
    for g, s in zip(config.gammas, per_gamma, strict=True):
        s = np.array(s, dtype=float)
        claims.append(
            Claim(
                id=f"large_step_rates.gamma={g:g}.slope_in_t",
                statement=f"Observation: f(theta_t) = O~(1/(gamma t)) once "
                f"stable: log-log slope of the loss in t for gamma = {g:g} (predicted -1 up to log factors).",
                source=WBTY2024,
                method=f"{config.n_datasets} planted-margin data sets, fit over t in [T/100, T], T = {config.horizon}",
                quantity="mean slope",
                predicted=-1.0,
                measured=float(s.mean()) if s.size else float("nan"),
                tolerance=0.0,
                tolerance_reason="observation (O~ hides log factors: expected a bit flatter than -1)",
                relation="info",
                role="observation",
                figure="rates",
                details=f"slopes: {np.round(s, 3).tolist()}",
            )
        )
    claims.append(
        Claim.observation(
            id="large_step_rates.accelerated_slope",
            statement="Observation: with gamma = T, f(theta_T) = O~(1/T^2): "
            "log-log slope in T (predicted -2 up to log factors).",
            source=WBTY2024,
            method=f"T in {list(config.horizons_accel)}, {config.n_datasets} data sets",
            quantity="mean slope",
            predicted=-2.0,
            measured=float(accel.mean()) if accel.size else float("nan"),
            figure="rates",
            details=f"slopes: {np.round(accel, 3).tolist()}",
        )
    )
    return claims


def _rates_figures(config: RatesConfig, results: Results) -> dict:
    fig, (ax, ax2) = figure(1, 2)
    for c in _rates_cells(config):
        r = results[cell_key(c)]
        for k, g in enumerate(config.gammas):
            ax.loglog(
                r["ts"],
                np.maximum(r["curves"][k], 1e-300),
                "-",
                lw=1,
                color=f"C{k}",
                alpha=0.6,
                label=f"γ={g:g}" if c == _rates_cells(config)[0] else None,
            )
        ax2.loglog(config.horizons_accel, np.maximum(r["accel"], 1e-300), "o-", ms=3, color="C0", alpha=0.6)
    t = np.array([config.horizon / 100, config.horizon])
    ax.loglog(t, 1 / t, "k--", lw=1, label="∝ 1/t")
    T = np.array(config.horizons_accel, dtype=float)
    ax2.loglog(
        T, results[cell_key(_rates_cells(config)[0])]["accel"][0] * (T / T[0]) ** -2.0, "k--", lw=1, label="∝ 1/T²"
    )
    ax.set(xlabel="iteration t", ylabel="logistic loss f(θ_t)", title="LR+GD loss curves (Wu et al. 2024)")
    ax2.set(xlabel="horizon T (with γ = T)", ylabel="f(θ_T)", title="γ = T: accelerated rate")
    ax.legend()
    ax2.legend()
    return {"rates": fig}


LARGE_STEP_RATES = register(
    Sim(
        name="large_step_rates",
        area=AREA,
        description="Loss decay of LR+GD with large steps (Wu et al. 2024)",
        config_cls=RatesConfig,
        cells=_rates_cells,
        compute=_rates_compute,
        check=_rates_check,
        figures=_rates_figures,
        claims=(
            ClaimSpec("large_step_rates.gamma=*.slope_in_t", "observation: slope -1"),
            ClaimSpec("large_step_rates.accelerated_slope", "observation: slope -2"),
        ),
    )
)
