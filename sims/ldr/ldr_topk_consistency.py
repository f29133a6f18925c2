"""The ``ldr_topk_consistency`` sim: the LDR-KL conditional minimiser preserves the top-k set of q for every k

Over a (lambda, c) grid, label distributions q drawn from Dirichlet distributions and adversarial near-ties (two
classes within 1e-4) are mapped to the exact minimiser of the conditional risk sum_y q_y l(f, y) (damped Newton on a
smooth convex problem), and each k = 1..K-1 is checked with Yang and Koyejo's top-k preservation. Negative control:
the symmetric mean absolute error (comp-sum tau = 2) has minimising sequences that order the classes below the top
one arbitrarily, so it is not top-2 consistent; the certificate is an explicit q and f_t.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.engine.claims import Claim, ClaimSpec, Tol, bound, negative_control
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from sims.engine.plotting import figure
from sims.ldr.common import AREA
from theory.ldr import conditional_minimizer, conditional_risk, mae_loss, topk_preserving


@dataclass(frozen=True)
class LDRTopKConsistencyConfig:
    K: int = 6
    lams: tuple[float, ...] = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0)
    margins: tuple[float, ...] = (0.0, 0.5, 1.0, 2.0, 5.0)
    n_dirichlet: int = 300
    n_ties: int = 100

    @classmethod
    def quick(cls) -> LDRTopKConsistencyConfig:
        return cls(K=4, lams=(0.03, 1.0, 30.0), margins=(0.0, 1.0), n_dirichlet=60, n_ties=20)

    @classmethod
    def full(cls) -> LDRTopKConsistencyConfig:
        return cls()


def cells(config: LDRTopKConsistencyConfig) -> list[Cell]:
    return [{"lam": lam, "margin": c} for lam in config.lams for c in config.margins]


def near_ties(n: int, K: int, rng: np.random.Generator, gap: float = 1e-4) -> np.ndarray:
    """Dirichlet q with two classes (at a random rank) moved within ``gap`` of each other."""
    q = rng.dirichlet(np.ones(K), n)
    for row in q:
        order = np.argsort(-row)
        j = int(rng.integers(K - 1))
        a, b = order[j], order[j + 1]
        mid = (row[a] + row[b]) / 2
        row[a], row[b] = mid + gap / 2, mid - gap / 2
    return q / q.sum(axis=1, keepdims=True)


def compute(config: LDRTopKConsistencyConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    rng = np.random.default_rng(seed)
    K = config.K
    q = np.vstack(
        [
            rng.dirichlet(np.ones(K), config.n_dirichlet // 2),
            rng.dirichlet(np.full(K, 0.3), config.n_dirichlet - config.n_dirichlet // 2),  # peaked
            near_ties(config.n_ties, K, rng),
        ]
    )
    r = conditional_minimizer(q, cell["lam"], cell["margin"])
    ok = np.stack([topk_preserving(r.scores, q, k) for k in range(1, K)], axis=1)  # (m, K-1)
    return {"q": q, "scores": r.scores, "preserved": ok, "converged": r.converged, "grad_norm": r.grad_norm}


def mae_certificate(t: float) -> tuple[np.ndarray, np.ndarray, float, bool]:
    """q = (0.5, 0.3, 0.2) and f_t = (t, 0, 1): the second and third classes in the wrong order. Returns q, f, the
    conditional MAE risk minus its infimum 1 - max q (attained only in the limit of a one-hot softmax), and whether
    f preserves the top 2 of q."""
    q = np.array([[0.5, 0.3, 0.2]])
    f = np.array([[t, 0.0, 1.0]])
    excess = float(conditional_risk(mae_loss, f, q)[0] - (1 - q.max()))
    return q, f, excess, bool(topk_preserving(f, q, 2)[0])


def check(config: LDRTopKConsistencyConfig, results: Results) -> list[Claim]:
    rs = {(c["lam"], c["margin"]): results[cell_key(c)] for c in cells(config)}
    frac = {key: float(r["preserved"].all(axis=1).mean()) for key, r in rs.items()}
    worst = min(frac, key=frac.get)
    n_q = sum(len(r["q"]) for r in rs.values())
    not_conv = sum(int((~r["converged"].astype(bool)).sum()) for r in rs.values())
    _, _, excess, preserved = mae_certificate(40.0)
    claims = [
        bound(
            id="ldr_topk_consistency.preserves_topk_everywhere_on_the_grid",
            statement="The exact minimiser of the LDR-KL conditional risk preserves the top-k set of q for every k = "
            f"1..K-1, at every (lambda, c) of the grid (K = {config.K}).",
            method=f"{n_q} label distributions (Dirichlet(1), Dirichlet(0.3) and near-ties within 1e-4) over "
            f"{len(rs)} (lambda, c) pairs; Newton to a gradient norm of 1e-10",
            quantity="min over (lambda, c) of the fraction of q whose top-k is preserved for all k",
            relation=">=",
            predicted=1.0,
            measured=frac[worst],
            tol=Tol(0.0, "exact: a count of preserved rankings"),
            figure="ldr_topk_map",
            details=f"worst at lambda = {worst[0]:g}, c = {worst[1]:g}; {not_conv} minimisers not converged",
        ),
        bound(
            id="ldr_topk_consistency.minimisers_converged",
            statement="Every conditional minimiser behind the map was found to a gradient norm of 1e-8 or less.",
            method="Newton's final gradient norm per q",
            quantity="number of q whose minimiser did not converge",
            predicted=0.0,
            measured=float(not_conv),
            tol=Tol(0.0, "exact: a count"),
            figure="ldr_topk_map",
        ),
        negative_control(
            id="ldr_topk_consistency.negative_control_mae_top2",
            statement="Negative control: the symmetric MAE loss 1 - softmax(f)_y is top-2 consistent, i.e. every "
            "near-minimiser of its conditional risk preserves the top 2 of q. False: the certificate below is a "
            "near-minimiser that swaps classes 2 and 3.",
            method="q = (0.5, 0.3, 0.2), f_t = (t, 0, 1) at t = 40: conditional risk minus its infimum 1 - max q",
            quantity="conditional MAE excess of f_t, which does not preserve the top 2 (the statement: >= 1e-12)",
            relation=">=",
            predicted=1e-12,
            measured=excess if not preserved else float("inf"),
            tol=Tol(0.0, "1e-12 is already the rounding floor of the excess"),
            figure="ldr_topk_map",
            details=f"excess {excess:.3e}; f_t preserves the top 2 of q: {preserved}",
        ),
    ]
    return claims


def figures(config: LDRTopKConsistencyConfig, results: Results) -> dict:
    fig, axes = figure(1, 2)
    M = np.array(
        [
            [results[cell_key({"lam": lam, "margin": c})]["preserved"].all(axis=1).mean() for lam in config.lams]
            for c in config.margins
        ]
    )
    im = axes[0].imshow(M, vmin=0, vmax=1, cmap="RdYlGn", aspect="auto", origin="lower")
    axes[0].set(
        xticks=range(len(config.lams)),
        xticklabels=[f"{x:g}" for x in config.lams],
        yticks=range(len(config.margins)),
        yticklabels=[f"{x:g}" for x in config.margins],
        xlabel=r"$\lambda$",
        ylabel="margin c",
        title="fraction of q with every top-k preserved",
    )
    fig.colorbar(im, ax=axes[0])
    ts = np.linspace(0, 40, 200)
    axes[1].plot(ts, [mae_certificate(t)[2] for t in ts], "C3-")
    axes[1].set(
        yscale="log",
        xlabel="t",
        ylabel="MAE conditional excess of f_t = (t, 0, 1)",
        title="MAE: a near-minimiser with the wrong top 2",
    )
    return {"ldr_topk_map": fig}


CLAIMS = (
    ClaimSpec("ldr_topk_consistency.preserves_topk_everywhere_on_the_grid", "every top-k preserved"),
    ClaimSpec("ldr_topk_consistency.minimisers_converged", "every minimiser converged"),
    ClaimSpec("ldr_topk_consistency.negative_control_mae_top2", "MAE: a wrong-top-2 near-minimiser"),
)

SIM = register(
    Sim(
        name="ldr_topk_consistency",
        area=AREA,
        description="LDR-KL conditional minimisers preserve every top-k set of q over a (lambda, c) grid; MAE does not",
        config_cls=LDRTopKConsistencyConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
