"""The ``aldr_temperature`` sim: the adaptive LDR-KL loss's temperature update, its floor, and the joint maximum

The released code (DixianZhu/LDR, ``loss.py``, class ``ALDRLoss_V1``) keeps one temperature lambda_i per example and
sets it to lambda_0 - lambda_0 KL(softmax(f / lambda_i) || u) / (alpha log K) at each call. Checked here on random
instances (scores of every scale from 0.01 to 100, stored temperatures, lambda_0 and alpha drawn):

- the update is the maximiser over lambda of -lambda KL - (alpha log K / (2 lambda_0)) (lambda - lambda_0)^2, against
  bounded Brent on that objective written here, with KL from scipy's ``rel_entr`` (derived; ``aldr_optimal_lambda``);
- it never falls below lambda_0 (1 - 1/alpha), and one-hot scores reach that floor; with the code's 1e-5 smoothing
  the floor is the smoothed vertex's (``aldr_lambda_floor``), positive even at the code's default alpha = 1;
- negative control: for alpha < 1 the temperature goes below 0;
- the loss as the max over lambda *and* p of sum_k p_k a_k - lambda KL(p || u) - penalty: its maximiser lambda* (found
  by maximising the value g(lambda) = LDR-KL_lambda(a) - penalty(lambda), no derivative used) lies in
  [lambda_0 (1 - 1/alpha), lambda_0] and is a fixed point of the update applied to p = softmax(a / lambda), the margin
  included (envelope theorem: g'(lambda) = -KL(softmax(a / lambda)) - 2 beta (lambda - lambda_0)); derived here. How far
  the code's one step (p without the margin, from the stored lambda) is from lambda* is reported as an observation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import logsumexp, rel_entr, softmax

from sims.engine.claims import Claim, ClaimSpec, Tol, bound, negative_control
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from sims.engine.plotting import figure
from sims.ldr.common import AREA
from theory.ldr import aldr_lambda_floor, aldr_lambda_update

EPS = float(np.finfo(float).eps)
RELEASED_SMOOTHING = 1e-5  # ALDRLoss_V1: softmax + 1e-5, renormalised
LOCATION_TOL = Tol(
    1.0,
    "per draw, the tolerance is how well a maximiser is located from values: scipy's fminbound stops with a bracket "
    "of half-width <= 2 tol1 around its point, tol1 = sqrt(eps) |x| + xatol / 3, plus the flat top "
    "sqrt(2 eps max(|g*|, 1) / |g''|) where rounding hides the value's change",
)


def _location_tol(x: float, value: float, curvature: float, xatol: float) -> float:
    """How far bounded Brent's answer may be from the true maximiser (``LOCATION_TOL``)."""
    return 2 * (np.sqrt(EPS) * abs(x) + xatol / 3) + np.sqrt(2 * EPS * max(abs(value), 1.0) / max(curvature, 1e-300))


@dataclass(frozen=True)
class ALDRTemperatureConfig:
    Ks: tuple[int, ...] = (3, 10, 100)
    n_draws: int = 300
    margins: tuple[float, ...] = (0.1, 1.0)  # the code's experiments use 0.1; its class default is 1

    @classmethod
    def quick(cls) -> ALDRTemperatureConfig:
        return cls(Ks=(3, 10), n_draws=40)

    @classmethod
    def full(cls) -> ALDRTemperatureConfig:
        return cls()


def cells(config: ALDRTemperatureConfig) -> list[Cell]:
    return [{"K": K} for K in config.Ks]


def _kl_scipy(f: np.ndarray, lam: float) -> float:
    """KL(softmax(f / lam) || uniform) by scipy's softmax and rel_entr (not theory's code)."""
    p = softmax(f / lam)
    return float(rel_entr(p, np.full_like(p, 1.0 / len(p))).sum())


def _g(lam: np.ndarray, a: np.ndarray, lam0: float, alpha: float) -> np.ndarray:
    """g(lambda) = lambda log((1/K) sum_k exp(a_k / lambda)) - (alpha log K / (2 lambda_0)) (lambda - lambda_0)^2,
    written here from the definition, for an array of lambdas."""
    K = len(a)
    lam = np.atleast_1d(lam)[:, None]
    return (lam * (logsumexp(a[None, :] / lam, axis=1)[:, None] - np.log(K)))[:, 0] - alpha * np.log(K) / (2 * lam0) * (
        lam[:, 0] - lam0
    ) ** 2


def _joint_max(a: np.ndarray, lam0: float, alpha: float) -> tuple[float, float, float]:
    """argmax and max over lambda > 0 of g, by a grid on (0, 1.5 lambda_0] and bounded Brent around its best point
    (values only), and |g''| there by central differences."""
    grid = np.linspace(1e-6, 1.5, 301) * lam0
    vals = _g(grid, a, lam0, alpha)
    i = int(np.argmax(vals))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    r = minimize_scalar(
        lambda t: -float(_g(t, a, lam0, alpha)[0]), bounds=(lo, hi), method="bounded", options={"xatol": 1e-13 * lam0}
    )
    lam_star, g_star = float(r.x), -float(r.fun)
    h = 1e-4 * lam0
    g2 = (_g(lam_star + h, a, lam0, alpha)[0] - 2 * g_star + _g(lam_star - h, a, lam0, alpha)[0]) / h**2
    return lam_star, g_star, _location_tol(lam_star, g_star, abs(float(g2)), 1e-13 * lam0)


def compute(config: ALDRTemperatureConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    K, n = cell["K"], config.n_draws
    rng = np.random.default_rng(seed)
    scale = 10 ** rng.uniform(-2, 2, size=n)
    f = rng.normal(size=(n, K)) * scale[:, None]
    lam_old = 10 ** rng.uniform(-2, 1, size=n)
    lam0 = 10 ** rng.uniform(-1, 1, size=n)
    alpha = rng.uniform(1.01, 10.0, size=n)
    one_hot = np.zeros((1, K))
    one_hot[0, 0] = 1e4  # a score gap of 1e4 / lambda: the softmax is one-hot in float64
    keys = ("new", "kl", "brent", "brent_tol", "floor", "top", "new_s1", "floor_s1", "top_s1", "neg")
    out: dict[str, list] = {k: [] for k in keys}
    for i in range(n):
        new = float(aldr_lambda_update(f[i : i + 1], lam_old[i], lam0[i], alpha[i])[0])
        kl = _kl_scipy(f[i], lam_old[i])
        beta = alpha[i] * np.log(K) / (2 * lam0[i])
        r = minimize_scalar(
            lambda t, kl=kl, beta=beta, l0=lam0[i]: t * kl + beta * (t - l0) ** 2,
            bounds=(-2 * lam0[i], 2 * lam0[i]),
            method="bounded",
            options={"xatol": 1e-12 * lam0[i]},
        )
        out["new"].append(new / lam0[i])
        out["brent"].append(float(r.x) / lam0[i])
        out["kl"].append(kl)
        out["brent_tol"].append(_location_tol(r.x, r.fun, 2 * beta, 1e-12 * lam0[i]) / lam0[i])
        out["floor"].append(aldr_lambda_floor(lam0[i], alpha[i]) / lam0[i])
        out["top"].append(float(aldr_lambda_update(one_hot, lam_old[i], lam0[i], alpha[i])[0]) / lam0[i])
        # the code's class defaults: alpha = 1 with its 1e-5 smoothing
        s = RELEASED_SMOOTHING
        out["new_s1"].append(float(aldr_lambda_update(f[i : i + 1], lam_old[i], lam0[i], 1.0, s)[0]) / lam0[i])
        out["floor_s1"].append(aldr_lambda_floor(lam0[i], 1.0, K, s) / lam0[i])
        out["top_s1"].append(float(aldr_lambda_update(one_hot, lam_old[i], lam0[i], 1.0, s)[0]) / lam0[i])
        a_low = float(rng.uniform(0.3, 0.99))  # the negative control: alpha < 1, no smoothing
        out["neg"].append(float(aldr_lambda_update(one_hot, lam_old[i], lam0[i], a_low)[0]) / lam0[i])
    res: dict[str, np.ndarray] = {k: np.array(v) for k, v in out.items()}
    res["confidence"] = softmax(f / lam_old[:, None], axis=1).max(axis=1)
    res["alpha"] = alpha
    # the joint maximum over (lambda, p), for each margin, on the first third of the draws
    m = max(n // 3, 1)
    y = rng.integers(K, size=m)
    for c in config.margins:
        star, resid, tol, gap, dist, loc, resid_f = [], [], [], [], [], [], []
        for i in range(m):
            a = c * (np.arange(K) != y[i]) + f[i] - f[i, y[i]]
            lam_star, g_star, delta = _joint_max(a, lam0[i], alpha[i])
            fixed = float(aldr_lambda_update(a[None, :], lam_star, lam0[i], alpha[i])[0])
            h = 1e-6 * lam0[i]
            du = (
                aldr_lambda_update(a[None, :], lam_star + h, lam0[i], alpha[i])[0]
                - aldr_lambda_update(a[None, :], lam_star - h, lam0[i], alpha[i])[0]
            ) / (2 * h)
            # Brent locates the maximiser to delta (LOCATION_TOL); the fixed-point residual |U(lambda) - lambda| is
            # then at most (1 + |U'|) delta (plus rounding of U, ~1e-15 lambda_0)
            star.append(lam_star / lam0[i])
            loc.append(delta / lam0[i])
            resid.append(abs(fixed - lam_star))
            resid_f.append(abs(float(aldr_lambda_update(f[i : i + 1], lam_star, lam0[i], alpha[i])[0]) - lam_star))
            tol.append((1 + abs(du)) * delta + 1e-14 * lam0[i])
            code_lam = float(aldr_lambda_update(f[i : i + 1], lam_old[i], lam0[i], alpha[i])[0])
            gap.append((g_star - float(_g(code_lam, a, lam0[i], alpha[i])[0])) / max(abs(g_star), 1.0))
            dist.append(abs(code_lam - lam_star) / lam0[i])
        key = f"c{c:g}"
        res[f"{key}.star"], res[f"{key}.resid"], res[f"{key}.tol"] = np.array(star), np.array(resid), np.array(tol)
        res[f"{key}.gap"], res[f"{key}.dist"] = np.array(gap), np.array(dist)
        res[f"{key}.floor"], res[f"{key}.loc"] = res["floor"][:m], np.array(loc)
        res[f"{key}.resid_without_margin"] = np.array(resid_f)
    return res


def check(config: ALDRTemperatureConfig, results: Results) -> list[Claim]:
    rs = [results[cell_key(c)] for c in cells(config)]
    n = sum(len(r["new"]) for r in rs)
    Ks = list(config.Ks)
    argmax_err = max(float(np.max(np.abs(r["new"] - r["brent"]) / r["brent_tol"])) for r in rs)
    claims = [
        bound(
            id="aldr_temperature.update_is_the_argmax",
            statement="The released code's temperature update lambda_0 - lambda_0 KL(softmax(f / lambda) || u) / "
            "(alpha log K) is the maximiser over lambda of -lambda KL - (alpha log K / (2 lambda_0)) (lambda - "
            "lambda_0)^2.",
            method=f"{n} draws over K in {Ks} (score scales 0.01 to 100, stored lambda 0.01 to 10, lambda_0 0.1 to "
            "10, alpha 1.01 to 10): theory.ldr.aldr_lambda_update against bounded Brent on the objective, KL by "
            "scipy.special.rel_entr",
            quantity="max over draws of |update - Brent's argmax| / tolerance_i",
            predicted=0.0,
            measured=argmax_err,
            tol=LOCATION_TOL,
            figure="aldr_temperature",
        ),
        negative_control(
            id="aldr_temperature.negative_control_update_without_log_k",
            statement="Negative control: lambda_0 (1 - KL / alpha), the update without its log K, is the same "
            "maximiser. False for K != e: the check detects it.",
            method="the same draws and Brent maxima",
            quantity="max over draws of |wrong update - Brent's argmax| / tolerance_i",
            predicted=0.0,
            measured=max(float(np.max(np.abs(1 - r["kl"] / r["alpha"] - r["brent"]) / r["brent_tol"])) for r in rs),
            tol=LOCATION_TOL,
            figure="aldr_temperature",
        ),
    ]
    claims += floor_claims(config, rs)
    for c in config.margins:
        claims += joint_claims(config, rs, c)
    return claims


def floor_claims(config: ALDRTemperatureConfig, rs: list) -> list[Claim]:
    """The claims about the floor of the update, with and without the released smoothing, and alpha < 1."""
    Ks = list(config.Ks)
    below = min(float(np.min(r["new"] - r["floor"])) for r in rs)
    reach = max(float(np.max(np.abs(r["top"] - r["floor"]))) for r in rs)
    below_s1 = min(float(np.min(r["new_s1"] - r["floor_s1"])) for r in rs)
    reach_s1 = max(float(np.max(np.abs(r["top_s1"] - r["floor_s1"]) / r["floor_s1"])) for r in rs)
    floor_s1 = {K: float(r["floor_s1"][0]) for K, r in zip(Ks, rs, strict=True)}
    neg = min(float(np.min(r["neg"])) for r in rs)
    return [
        bound(
            id="aldr_temperature.floor_holds",
            statement="The updated temperature is never below lambda_0 (1 - 1/alpha) (KL(p || u) < log K).",
            method="the same draws; aldr_lambda_floor",
            quantity="min (lambda_new - lambda_0 (1 - 1/alpha)) / lambda_0",
            relation=">=",
            predicted=0.0,
            measured=below,
            tol=Tol(1e-15, "rounding of the update, relative to lambda_0"),
            figure="aldr_temperature",
        ),
        bound(
            id="aldr_temperature.floor_is_reached",
            statement="The floor is the infimum: scores with a gap of 1e4 (a one-hot softmax in float64) reach it.",
            method="f = (1e4, 0, ..., 0) at each drawn (lambda, lambda_0, alpha)",
            quantity="max |lambda_new - floor| / lambda_0",
            predicted=0.0,
            measured=reach,
            tol=Tol(1e-14, "rounding of KL = log K and of the update"),
            figure="aldr_temperature",
        ),
        bound(
            id="aldr_temperature.released_defaults_floor",
            statement="With the code's class defaults (alpha = 1, smoothing 1e-5) the temperature stays at or above "
            "lambda_0 (1 - KL_max / log K), KL_max the KL of the smoothed vertex ((1 + s), s, ..., s)/(1 + K s): "
            "positive, but small ("
            + ", ".join(f"{v:.2g} lambda_0 at K = {K}" for K, v in floor_s1.items())
            + "), and one-hot scores reach it.",
            method="the same draws and the one-hot scores, alpha = 1, smoothing 1e-5; "
            f"min (lambda_new - floor) / lambda_0 = {below_s1:.2e}",
            quantity="max |lambda_new(one-hot) - floor| / floor (inf if any lambda_new fell below the floor)",
            predicted=0.0,
            measured=reach_s1 if below_s1 >= -1e-15 else float("inf"),
            tol=Tol(1e-9, "rounding of the smoothed KL near log K, relative to a floor of ~5e-4"),
            figure="aldr_temperature",
        ),
        negative_control(
            id="aldr_temperature.negative_control_alpha_below_one",
            statement="Negative control: the temperature stays positive for every alpha > 0 without smoothing. False: "
            "the floor lambda_0 (1 - 1/alpha) is negative for alpha < 1, and one-hot scores reach it.",
            method="one-hot scores, alpha ~ U(0.3, 0.99), no smoothing",
            quantity="min lambda_new / lambda_0 (the statement: >= 0)",
            relation=">=",
            predicted=0.0,
            measured=neg,
            tol=Tol(0.0, "a sign"),
            figure="aldr_temperature",
        ),
    ]


def joint_claims(config: ALDRTemperatureConfig, rs: list, c: float) -> list[Claim]:
    """The claims about the joint maximum over (lambda, p) at margin c."""
    claims: list[Claim] = []
    key = f"c{c:g}"
    m = sum(len(r[f"{key}.star"]) for r in rs)
    inside = min(  # distance inside [floor, 1] in units of each draw's location tolerance
        float(np.min(np.minimum(r[f"{key}.star"] - r[f"{key}.floor"], 1.0 - r[f"{key}.star"]) / r[f"{key}.loc"]))
        for r in rs
    )
    ratio = max(float(np.max(r[f"{key}.resid"] / r[f"{key}.tol"])) for r in rs)
    gaps = np.concatenate([r[f"{key}.gap"] for r in rs])
    dists = np.concatenate([r[f"{key}.dist"] for r in rs])
    claims += [
        bound(
            id=f"aldr_temperature.c{c:g}.joint_max_is_a_fixed_point",
            statement=f"With margin c = {c:g}: the lambda maximising LDR-KL_lambda(a) - (alpha log K / (2 "
            "lambda_0)) (lambda - lambda_0)^2 (the max over lambda and p) lies in [lambda_0 (1 - 1/alpha), "
            "lambda_0] and is a fixed point of the update applied to p = softmax(a / lambda), the margin included.",
            method=f"{m} draws: a grid of 301 lambdas and bounded Brent on the value (no derivative), against "
            f"aldr_lambda_update(a, lambda*); min distance of lambda* inside the interval, in location "
            f"tolerances: {inside:.3g} (negative: outside by that many)",
            quantity="max |U(lambda*) - lambda*| / tolerance_i (inf if lambda* left the interval)",
            predicted=1.0,
            measured=ratio if inside >= -1.0 else float("inf"),
            tol=LOCATION_TOL.scaled(1.0, "carried through the update: tolerance_i = (1 + |U'(lambda*)|) delta_i"),
            figure="aldr_temperature",
        ),
        negative_control(
            id=f"aldr_temperature.c{c:g}.negative_control_fixed_point_without_margin",
            statement=f"Negative control (c = {c:g}): the joint maximiser is also a fixed point of the update "
            "applied to p = softmax(f / lambda), the scores without the margin (as the code computes p). False "
            "for c > 0: the check detects it.",
            method="the same draws and maximisers",
            quantity="max |U_f(lambda*) - lambda*| / tolerance_i",
            predicted=1.0,
            measured=max(float(np.max(r[f"{key}.resid_without_margin"] / r[f"{key}.tol"])) for r in rs),
            tol=LOCATION_TOL.scaled(1.0, "the same tolerance as the claim"),
            figure="aldr_temperature",
        ),
        Claim.observation(
            id=f"aldr_temperature.c{c:g}.code_step_gap",
            statement=f"Observation (c = {c:g}): how far the released code's one step (p = softmax(f / "
            "lambda_stored), without the margin) is from the joint maximiser lambda*: the loss it returns "
            "relative to the joint maximum.",
            method=f"{m} draws, the stored lambda drawn independently of lambda_0",
            quantity="median (g* - g(lambda_code)) / max(|g*|, 1)",
            measured=float(np.median(gaps)),
            figure="aldr_temperature",
            details=f"90th percentile {np.quantile(gaps, 0.9):.3g}; median |lambda_code - lambda*| / lambda_0 "
            f"{np.median(dists):.3g}",
        ),
    ]
    return claims


def figures(config: ALDRTemperatureConfig, results: Results) -> dict:
    fig, axes = figure(1, 2)
    r = results[cell_key(cells(config)[-1])]
    K = cells(config)[-1]["K"]
    sc = axes[0].scatter(r["confidence"], r["new"], c=r["alpha"], s=8, cmap="viridis")
    axes[0].scatter(r["confidence"], r["new_s1"], s=6, color="C3", marker="x", label="alpha = 1, smoothing 1e-5")
    axes[0].axhline(0.0, color="k", lw=0.6)
    axes[0].set(
        xlabel="confidence max_k softmax(f / lambda_stored)",
        ylabel=r"$\lambda_{new} / \lambda_0$",
        title=f"the released update (K = {K}); floors 1 - 1/alpha",
    )
    for a in (1.25, 2.0, 5.0):
        axes[0].axhline(1 - 1 / a, color="C7", ls="--", lw=0.7)
    fig.colorbar(sc, ax=axes[0], label="alpha")
    axes[0].legend(fontsize=7, loc="lower left")
    for j, c in enumerate(config.margins):
        key = f"c{c:g}"
        axes[1].scatter(r[f"{key}.dist"], r[f"{key}.gap"] + 1e-16, s=8, color=f"C{j}", label=f"c = {c:g}")
    axes[1].set(
        xscale="log",
        yscale="log",
        xlabel=r"$|\lambda_{code} - \lambda^*| / \lambda_0$",
        ylabel=r"$(g^* - g(\lambda_{code})) / \max(|g^*|, 1)$",
        title="the code's one step vs the joint maximum",
    )
    axes[1].legend(fontsize=8)
    return {"aldr_temperature": fig}


CLAIMS = (
    ClaimSpec("aldr_temperature.update_is_the_argmax", "the update maximises the penalised KL"),
    ClaimSpec("aldr_temperature.negative_control_update_without_log_k", "the update without log K: detected"),
    ClaimSpec("aldr_temperature.floor_holds", "lambda >= lambda_0 (1 - 1/alpha)"),
    ClaimSpec("aldr_temperature.floor_is_reached", "the floor is reached by one-hot scores"),
    ClaimSpec("aldr_temperature.released_defaults_floor", "alpha = 1 with smoothing: a tiny positive floor"),
    ClaimSpec("aldr_temperature.negative_control_alpha_below_one", "alpha < 1: lambda < 0, detected"),
    ClaimSpec("aldr_temperature.*.joint_max_is_a_fixed_point", "the joint maximiser is the update's fixed point"),
    ClaimSpec("aldr_temperature.*.negative_control_fixed_point_without_margin", "p without the margin: detected"),
    ClaimSpec("aldr_temperature.*.code_step_gap", "the code's one step vs the joint maximum (observation)"),
)

SIM = register(
    Sim(
        name="aldr_temperature",
        area=AREA,
        description="The adaptive LDR-KL temperature update: an argmax, its floor, and the joint maximum over lambda",
        config_cls=ALDRTemperatureConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
