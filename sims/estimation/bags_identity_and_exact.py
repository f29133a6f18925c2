"""The ``bags_identity_and_exact`` sim: the instance-level loss as a regularised bag-level loss, and the exact
finite-sample risks of bag-level and instance-level least squares.

1. The identity L_ins = L_bag + t'S_w t (``bag_losses``) on 20 random instances (random sizes, bags of unequal
   sizes, several t each), to rounding; negative control: without the penalty.
2. The interpolating estimator's end points (``interpolating_estimator``) against ``numpy.linalg.lstsq`` on the bag
   means (rho = 0) and on the instances with their bags' responses (rho = 1).
3. ``bag_risk_exact`` and ``instance_risk_exact`` against Monte Carlo (20 000 draws per cell, bags and fits computed
   directly); negative controls: the bag-level formula with n in place of n/k, and the instance-level formula with
   the fixed-d bias (1 - 1/k)^2 ||theta||^2.
4. The instance-level estimator's mean is theta / k (inconsistent at fixed d): its Monte Carlo mean at d = 3, k = 4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.engine.claims import Claim, ClaimSpec, Tol, bound, equality, negative_control
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from sims.engine.plotting import figure
from sims.engine.stats import mean_se
from sims.estimation.common import AREA, N_SE, SE_REASON, bagged_fits, se_tol
from theory.estimation import bag_losses, bag_risk_exact, instance_risk_exact, interpolating_estimator

NOISE_VAR = 0.5
ROUNDING = Tol(1e-10, "rounding of sums of n squares and of d x d solves, relative")
EXACT_CELLS = ((40, 3, 2), (60, 5, 3), (90, 4, 5), (48, 6, 2), (120, 10, 4))


@dataclass(frozen=True)
class BagsIdentityAndExactConfig:
    replicates: int = 20_000
    instances: int = 20
    mean_sizes: tuple[int, ...] = (400, 4000)
    mean_replicates: int = 4000

    @classmethod
    def quick(cls) -> BagsIdentityAndExactConfig:
        return cls(replicates=4000, instances=5, mean_sizes=(400,), mean_replicates=1000)

    @classmethod
    def full(cls) -> BagsIdentityAndExactConfig:
        return cls()


def cells(config: BagsIdentityAndExactConfig) -> list[Cell]:
    return (
        [{"part": "identity"}]
        + [{"part": "risk", "n": n, "d": d, "k": k} for n, d, k in EXACT_CELLS]
        + [{"part": "mean", "n": n} for n in config.mean_sizes]
    )


def _theta(d: int) -> np.ndarray:
    t = np.random.default_rng(77 + d).standard_normal(d)
    return t / np.linalg.norm(t)  # signal2 = 1


def _identity(config: BagsIdentityAndExactConfig, rng: np.random.Generator) -> Arrays:
    gaps, no_pen, ends = [], [], []
    for _ in range(config.instances):
        n, d = int(rng.integers(10, 200)), int(rng.integers(1, 6))
        X, y = rng.standard_normal((n, d)) * rng.uniform(0.1, 10), rng.standard_normal(n)
        bags = rng.integers(0, max(2, n // int(rng.integers(2, 6))), size=n)
        L = bag_losses(X, y, bags, rng.standard_normal((5, d)))
        gaps.append(np.max(np.abs(L.instance - L.bag - L.penalty) / L.instance))
        no_pen.append(np.max(np.abs(L.instance - L.bag) / L.instance))
        _, inv, k = np.unique(bags, return_inverse=True, return_counts=True)
        xbar = np.stack([X[inv == b].mean(0) for b in range(len(k))])
        ybar = np.array([y[inv == b].mean() for b in range(len(k))])
        if len(k) > d:
            t0 = np.linalg.lstsq(np.sqrt(k)[:, None] * xbar, np.sqrt(k) * ybar, rcond=None)[0]
            t1 = np.linalg.lstsq(X, ybar[inv], rcond=None)[0]
            est = interpolating_estimator(X, y, bags, np.array([0.0, 1.0]))
            ends.append(max(np.abs(est[0] - t0).max(), np.abs(est[1] - t1).max()) / max(1.0, np.abs(t0).max()))
    return {"identity_gap": np.array(gaps), "no_penalty_gap": np.array(no_pen), "end_gap": np.array(ends)}


def compute(config: BagsIdentityAndExactConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    rng = np.random.default_rng(seed)
    if cell["part"] == "identity":
        return _identity(config, rng)
    if cell["part"] == "risk":
        n, d, k = cell["n"], cell["d"], cell["k"]
        return {"risk": bagged_fits(n, d, k, _theta(d), NOISE_VAR, np.array([0.0, 1.0]), config.replicates, rng)}
    d, k, n = 3, 4, cell["n"]
    th = _theta(d)
    est = np.empty((config.mean_replicates, d))
    for r in range(config.mean_replicates):  # instance-level least squares on X with its bags' responses
        X = rng.standard_normal((n, d))
        ybar = (X @ th + np.sqrt(NOISE_VAR) * rng.standard_normal(n)).reshape(-1, k).mean(1)
        est[r] = np.linalg.lstsq(X, np.repeat(ybar, k), rcond=None)[0]
    return {"estimate": est}


def _risk_claims(config: BagsIdentityAndExactConfig, results: Results) -> list[Claim]:
    claims, nc_bag, nc_ins = [], 0.0, 0.0
    for n, d, k in EXACT_CELLS:
        r = results[cell_key({"part": "risk", "n": n, "d": d, "k": k})]["risk"]
        (mb, sb), (mi, si) = mean_se(r[:, 0]), mean_se(r[:, 1])
        ins = instance_risk_exact(n, d, k, NOISE_VAR, 1.0)
        method = f"{config.replicates} draws, n = {n}, d = {d}, k = {k}, ||theta|| = 1, noise variance {NOISE_VAR}"
        claims += [
            equality(
                id=f"bags_identity_and_exact.n{n}.d{d}.k{k}.bag_risk",
                statement="E||theta_0 - theta||^2 = sigma^2 d / (n/k - d - 1) for bag-level least squares.",
                method=method,
                quantity="MC mean",
                predicted=bag_risk_exact(n, d, k, NOISE_VAR),
                measured=mb,
                tol=se_tol(sb),
                figure="bags_exact",
            ),
            equality(
                id=f"bags_identity_and_exact.n{n}.d{d}.k{k}.instance_risk",
                statement="E||theta_1 - theta||^2 = the exact instance-level risk (bias + variance).",
                method=method,
                quantity="MC mean",
                predicted=ins.risk,
                measured=mi,
                tol=se_tol(si),
                figure="bags_exact",
                details=f"bias {ins.bias:.4g}, variance {ins.variance:.4g}",
            ),
        ]
        nc_bag = max(nc_bag, abs(mb - NOISE_VAR * d / (n - d - 1)) / sb)
        nc_ins = max(nc_ins, abs(mi - ((1 - 1 / k) ** 2 + ins.variance)) / si)
    for name, val, form in (
        ("bag_risk_with_n", nc_bag, "sigma^2 d / (n - d - 1) (n samples, not n/k bags)"),
        ("instance_fixed_d_bias", nc_ins, "(1 - 1/k)^2 ||theta||^2 + variance (the fixed-d bias)"),
    ):
        claims.append(
            negative_control(
                id=f"bags_identity_and_exact.negative_control_{name}",
                statement=f"Negative control: the risk is {form}. False.",
                method="the same cells",
                quantity="max over cells of |MC mean - formula| / SE",
                predicted=0.0,
                measured=val,
                tol=Tol(N_SE, SE_REASON),
                figure="bags_exact",
            )
        )
    return claims


def check(config: BagsIdentityAndExactConfig, results: Results) -> list[Claim]:
    ident = results[cell_key({"part": "identity"})]
    method = f"{config.instances} random instances (n 10..200, d 1..5, bags of unequal sizes, 5 theta each)"
    claims = [
        bound(
            id="bags_identity_and_exact.identity",
            statement="L_ins(t) = L_bag(t) + t'S_w t exactly.",
            method=method,
            quantity="max |L_ins - L_bag - penalty| / L_ins",
            predicted=0.0,
            measured=float(ident["identity_gap"].max()),
            tol=ROUNDING,
        ),
        negative_control(
            id="bags_identity_and_exact.negative_control_no_penalty",
            statement="Negative control: L_ins = L_bag (no penalty). False.",
            method=method,
            quantity="max |L_ins - L_bag| / L_ins",
            predicted=0.0,
            measured=float(ident["no_penalty_gap"].max()),
            tol=ROUNDING,
        ),
        bound(
            id="bags_identity_and_exact.end_points_are_least_squares",
            statement="theta_rho at rho = 0 and 1 is least squares on the bag means and on the instances.",
            method=method + ", against numpy.linalg.lstsq",
            quantity="max relative difference",
            predicted=0.0,
            measured=float(ident["end_gap"].max()),
            tol=ROUNDING,
        ),
    ]
    claims += _risk_claims(config, results)
    th = _theta(3)
    for n in config.mean_sizes:
        est = results[cell_key({"part": "mean", "n": n})]["estimate"]
        m, se = est.mean(0), est.std(0, ddof=1) / np.sqrt(len(est))
        z = float(np.max(np.abs(m - th / 4) / se))
        claims.append(
            bound(
                id=f"bags_identity_and_exact.n{n}.instance_mean_is_theta_over_k",
                statement="The instance-level estimator's mean is theta / k (d = 3, k = 4).",
                method=f"{len(est)} draws at n = {n}",
                quantity="max over coordinates of |mean - theta/k| / SE",
                predicted=0.0,
                measured=z,
                tol=Tol(N_SE, SE_REASON),
                details=f"mean {np.round(m, 4).tolist()}, theta/k {np.round(th / 4, 4).tolist()}",
            )
        )
    return claims


def figures(config: BagsIdentityAndExactConfig, results: Results) -> dict:
    fig, ax = figure()
    labels = [f"n={n}, d={d}, k={k}" for n, d, k in EXACT_CELLS]
    x = np.arange(len(EXACT_CELLS))
    for j, (key, c) in enumerate((("bag", "C0"), ("instance", "C1"))):
        mc = [
            mean_se(results[cell_key({"part": "risk", "n": n, "d": d, "k": k})]["risk"][:, j])
            for n, d, k in EXACT_CELLS
        ]
        ex = [
            bag_risk_exact(n, d, k, NOISE_VAR) if j == 0 else instance_risk_exact(n, d, k, NOISE_VAR, 1.0).risk
            for n, d, k in EXACT_CELLS
        ]
        ax.errorbar(
            x + 0.1 * j, [m for m, _ in mc], yerr=[N_SE * s for _, s in mc], fmt="o", color=c, label=f"{key}: MC"
        )
        ax.plot(x + 0.1 * j, ex, "_", ms=18, color=c, label=f"{key}: exact")
    ax.set_xticks(x, labels, rotation=20, fontsize=7)
    ax.set(ylabel="E ||theta_hat - theta||^2", title="Exact risks of bag- and instance-level least squares")
    ax.legend(fontsize=7)
    return {"bags_exact": fig}


CLAIMS = (
    ClaimSpec("bags_identity_and_exact.identity", "the instance loss is the bag loss plus a within-bag penalty"),
    ClaimSpec("bags_identity_and_exact.negative_control_no_penalty", "without the penalty: detected"),
    ClaimSpec("bags_identity_and_exact.end_points_are_least_squares", "rho = 0 and 1 are the two least squares"),
    ClaimSpec("bags_identity_and_exact.n*.d*.k*.bag_risk", "the exact bag-level risk"),
    ClaimSpec("bags_identity_and_exact.n*.d*.k*.instance_risk", "the exact instance-level risk"),
    ClaimSpec("bags_identity_and_exact.negative_control_bag_risk_with_n", "n in place of n/k: detected"),
    ClaimSpec("bags_identity_and_exact.negative_control_instance_fixed_d_bias", "the fixed-d bias: detected"),
    ClaimSpec("bags_identity_and_exact.n*.instance_mean_is_theta_over_k", "the instance-level mean is theta/k"),
)

SIM = register(
    Sim(
        name="bags_identity_and_exact",
        area=AREA,
        description="Aggregate responses: the loss identity, the estimator's end points and the exact risks",
        config_cls=BagsIdentityAndExactConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
