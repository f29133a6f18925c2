"""The ``ldr_label_noise`` sim (observations): cross-entropy vs LDR-KL for a linear model on noisy digits labels

A multinomial linear model on scikit-learn's bundled digits (8 x 8 images, 10 classes), trained by L-BFGS on labels
corrupted by uniform noise (with probability 0.6 the label is replaced by one of the other classes at random) or
class-dependent noise (with probability 0.3 the label y becomes y + 1 mod 10), and tested on clean labels. The paper
reports LDR losses to be robust to label noise (qualitatively, on other data and models); these rows report what a
linear model shows, with standard errors over seeds, without judging. The adaptive ALDR-KL loss is not included: its
definition could not be confirmed against the paper.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax, softmax

from sims.engine.claims import Claim, ClaimSpec
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from sims.engine.plotting import figure
from sims.engine.stats import mean_se
from sims.ldr.common import AREA
from theory.ldr import ldr_kl_grad, ldr_kl_loss

LOSSES = ("cross_entropy", "ldr_kl")
NOISES = {"uniform": 0.6, "class_dependent": 0.3}


@dataclass(frozen=True)
class LDRLabelNoiseConfig:
    n_seeds: int = 5
    l2: float = 1e-3
    lam: float = 1.0
    margin: float = 0.5
    max_iter: int = 2000  # L-BFGS iterations (the quick preset stops early: its rows are a smoke test)

    @classmethod
    def quick(cls) -> LDRLabelNoiseConfig:
        return cls(n_seeds=1, max_iter=300)

    @classmethod
    def full(cls) -> LDRLabelNoiseConfig:
        return cls()


def cells(config: LDRLabelNoiseConfig) -> list[Cell]:
    return [{"noise": nz, "loss": lo} for nz in NOISES for lo in LOSSES]


def corrupt(y: np.ndarray, kind: str, rate: float, K: int, rng: np.random.Generator) -> np.ndarray:
    """Uniform: with probability ``rate`` a label becomes one of the K - 1 others at random; class-dependent: it
    becomes y + 1 mod K."""
    flip = rng.random(len(y)) < rate
    if kind == "uniform":
        other = (y + rng.integers(1, K, size=len(y))) % K
    else:
        other = (y + 1) % K
    return np.where(flip, other, y)


def _fit(X: np.ndarray, y: np.ndarray, K: int, loss: str, config: LDRLabelNoiseConfig) -> np.ndarray:
    n, d = X.shape

    def f(w):
        W = w.reshape(d, K)
        S = X @ W
        if loss == "cross_entropy":
            val = -log_softmax(S, axis=1)[np.arange(n), y]
            G = softmax(S, axis=1)
            G[np.arange(n), y] -= 1.0
        else:
            val = ldr_kl_loss(S, y, config.lam, config.margin)
            G = ldr_kl_grad(S, y, config.lam, config.margin)
        return float(val.mean() + config.l2 / 2 * w @ w), (X.T @ G / n).ravel() + config.l2 * w

    r = minimize(f, np.zeros(d * K), jac=True, method="L-BFGS-B", options={"maxiter": config.max_iter})
    return r.x.reshape(d, K)


def compute(config: LDRLabelNoiseConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = np.c_[X / 16.0, np.ones(len(X))]  # pixels in [0, 1] and an intercept
    K = 10
    acc = []
    for ss in seed.spawn(config.n_seeds):
        rng = np.random.default_rng(ss)
        test = rng.permutation(len(y))[: len(y) // 3]
        train = np.setdiff1d(np.arange(len(y)), test)
        noisy = corrupt(y[train], cell["noise"], NOISES[cell["noise"]], K, rng)
        W = _fit(X[train], noisy, K, cell["loss"], config)
        acc.append(float(np.mean(np.argmax(X[test] @ W, axis=1) == y[test])))
    return {"accuracy": np.array(acc)}


def check(config: LDRLabelNoiseConfig, results: Results) -> list[Claim]:
    claims = []
    for nz in NOISES:
        a = {lo: results[cell_key({"noise": nz, "loss": lo})]["accuracy"] for lo in LOSSES}
        diff = a["ldr_kl"] - a["cross_entropy"]  # paired by seed: the same split and the same noisy labels
        se_text = f"+- {mean_se(diff)[1]:.3f} (SE over seeds)" if len(diff) > 1 else "(one seed)"
        claims.append(
            Claim.observation(
                id=f"ldr_label_noise.{nz}.ldr_minus_ce_accuracy",
                statement=f"Observation: clean test accuracy of LDR-KL (lambda = {config.lam:g}, c = "
                f"{config.margin:g}) minus cross-entropy, linear model on digits with {nz.replace('_', '-')} label "
                f"noise ({NOISES[nz]:g}).",
                method=f"{config.n_seeds} seeds (split and noise), paired; L-BFGS, l2 = {config.l2:g}",
                quantity="mean accuracy difference (LDR-KL - CE)",
                measured=float(diff.mean()),
                figure="ldr_label_noise",
                details=f"{se_text}; CE {a['cross_entropy'].mean():.3f}, LDR-KL {a['ldr_kl'].mean():.3f}",
            )
        )
    return claims


def figures(config: LDRLabelNoiseConfig, results: Results) -> dict:
    fig, ax = figure()
    for i, nz in enumerate(NOISES):
        for j, lo in enumerate(LOSSES):
            a = results[cell_key({"noise": nz, "loss": lo})]["accuracy"]
            se = mean_se(a)[1] if len(a) > 1 else 0.0
            ax.bar(i + 0.35 * (j - 0.5), a.mean(), 0.33, yerr=2 * se, color=f"C{j}", label=lo if i == 0 else None)
    ax.set(
        xticks=range(len(NOISES)),
        xticklabels=[f"{k} ({v:g})" for k, v in NOISES.items()],
        ylabel="clean test accuracy (bars: 2 SE)",
        title="Linear model on digits with noisy training labels",
    )
    ax.legend(fontsize=8)
    return {"ldr_label_noise": fig}


CLAIMS = (ClaimSpec("ldr_label_noise.*.ldr_minus_ce_accuracy", "LDR-KL vs CE accuracy (observation)"),)

SIM = register(
    Sim(
        name="ldr_label_noise",
        area=AREA,
        description="Cross-entropy vs LDR-KL on digits with uniform and class-dependent label noise (observations)",
        config_cls=LDRLabelNoiseConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
