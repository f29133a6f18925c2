"""The ``ldr_label_noise`` sim (observations): cross-entropy vs LDR-KL for a linear model on noisy digits labels

A multinomial linear model on scikit-learn's bundled digits (8 x 8 images, 10 classes), trained by L-BFGS on labels
corrupted by uniform noise (with probability 0.6 the label is replaced by one of the other classes at random) or
class-dependent noise (with probability 0.3 the label y becomes y + 1 mod 10), and tested on clean labels. The paper
reports LDR losses to be robust to label noise (qualitatively, on other data and models); these rows report what a
linear model shows, with standard errors over seeds, without judging.

The adaptive loss (ALDR-KL) is the released code's (DixianZhu/LDR, ``loss.py``, ``ALDRLoss_V1``) without its L1
rescaling of the scores (``theory.ldr.ALDRState`` with ``rescale="none"``; a linear model's scale is its own), with
the defaults of the code's ``experiment.py``: margin 0.1, alpha 2, lambda_0 chosen from {0.1, 1, 10} by validation
accuracy on held-out *noisy* labels. The code runs 5-fold cross-validation on its noisy training set; here one fold
is used, and each candidate is fitted with a quarter of the iterations, to keep the cost near two fits per seed. The
code updates each example's temperature at every mini-batch call and takes a gradient step at the new temperatures.
Full-batch L-BFGS needs a fixed objective, so here the temperatures of all examples are updated from the current
scores, then L-BFGS runs at those temperatures, for ``aldr_rounds`` rounds sharing the iteration budget.
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
from theory.ldr import ALDRState, aldr_kl_grad, aldr_kl_loss, ldr_kl_grad, ldr_kl_loss

LOSSES = ("cross_entropy", "ldr_kl", "aldr_kl")
NOISES = {"uniform": 0.6, "class_dependent": 0.3}


@dataclass(frozen=True)
class LDRLabelNoiseConfig:
    n_seeds: int = 5
    l2: float = 1e-3
    lam: float = 1.0
    margin: float = 0.5
    max_iter: int = 2000  # L-BFGS iterations (the quick preset stops early: its rows are a smoke test)
    # ALDR-KL, the released experiments' defaults
    aldr_margin: float = 0.1
    aldr_alpha: float = 2.0
    aldr_lam0s: tuple[float, ...] = (0.1, 1.0, 10.0)
    aldr_rounds: int = 10  # temperature updates, each followed by max_iter / aldr_rounds L-BFGS iterations

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


def _fit(
    X: np.ndarray,
    y: np.ndarray,
    K: int,
    loss: str,
    config: LDRLabelNoiseConfig,
    lam: np.ndarray | None = None,
    w0: np.ndarray | None = None,
    max_iter: int | None = None,
) -> np.ndarray:
    """L-BFGS on the mean loss plus l2 / 2 ||w||^2; for ``aldr_kl`` at the fixed per-example temperatures ``lam``."""
    n, d = X.shape

    def f(w):
        W = w.reshape(d, K)
        S = X @ W
        if loss == "cross_entropy":
            val = -log_softmax(S, axis=1)[np.arange(n), y]
            G = softmax(S, axis=1)
            G[np.arange(n), y] -= 1.0
        elif loss == "ldr_kl":
            val = ldr_kl_loss(S, y, config.lam, config.margin)
            G = ldr_kl_grad(S, y, config.lam, config.margin)
        else:  # the penalty is constant at fixed temperatures: lambda_0 and alpha do not move the minimiser
            val = aldr_kl_loss(S, y, lam, 1.0, config.aldr_alpha, config.aldr_margin)
            G = aldr_kl_grad(S, y, lam, config.aldr_margin)
        return float(val.mean() + config.l2 / 2 * w @ w), (X.T @ G / n).ravel() + config.l2 * w

    start = np.zeros(d * K) if w0 is None else w0.ravel()
    r = minimize(f, start, jac=True, method="L-BFGS-B", options={"maxiter": max_iter or config.max_iter})
    return r.x.reshape(d, K)


def _fit_aldr(X: np.ndarray, y: np.ndarray, K: int, lam0: float, config: LDRLabelNoiseConfig, budget: int):
    """Rounds of (update every temperature from the current scores, as the released code does; L-BFGS at them),
    ``budget`` L-BFGS iterations in all; returns the weights and the final temperatures."""
    state = ALDRState(len(y), lam0, config.aldr_alpha, config.aldr_margin)
    ids = np.arange(len(y))
    W = np.zeros((X.shape[1], K))
    for _ in range(config.aldr_rounds):
        state.update(X @ W, ids)
        W = _fit(X, y, K, "aldr_kl", config, state.lam, W, max(budget // config.aldr_rounds, 1))
    return W, state.lam


def _select_lam0(X: np.ndarray, y: np.ndarray, K: int, config: LDRLabelNoiseConfig, rng) -> float:
    """lambda_0 from ``aldr_lam0s`` by accuracy on a held-out fifth of the noisy training labels (first best), each
    candidate fitted with a quarter of the iteration budget (the ranking needs no converged fit)."""
    perm = rng.permutation(len(y))
    val, fit = perm[: len(y) // 5], perm[len(y) // 5 :]
    scores = []
    for lam0 in config.aldr_lam0s:
        W, _ = _fit_aldr(X[fit], y[fit], K, lam0, config, config.max_iter // 4)
        scores.append(float(np.mean(np.argmax(X[val] @ W, axis=1) == y[val])))
    return config.aldr_lam0s[int(np.argmax(scores))]


def compute(config: LDRLabelNoiseConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = np.c_[X / 16.0, np.ones(len(X))]  # pixels in [0, 1] and an intercept
    K = 10
    acc, chosen, lam_clean, lam_flipped = [], [], [], []
    for ss in seed.spawn(config.n_seeds):
        rng = np.random.default_rng(ss)
        test = rng.permutation(len(y))[: len(y) // 3]
        train = np.setdiff1d(np.arange(len(y)), test)
        noisy = corrupt(y[train], cell["noise"], NOISES[cell["noise"]], K, rng)
        if cell["loss"] == "aldr_kl":
            # a generator of its own, so that the split and the noise (drawn above) stay those of the other losses
            lam0 = _select_lam0(X[train], noisy, K, config, np.random.default_rng(ss.spawn(1)[0]))
            W, lam = _fit_aldr(X[train], noisy, K, lam0, config, config.max_iter)
            flipped = noisy != y[train]
            chosen.append(lam0)
            lam_clean.append(float(np.mean(lam[~flipped]) / lam0))
            lam_flipped.append(float(np.mean(lam[flipped]) / lam0))
        else:
            W = _fit(X[train], noisy, K, cell["loss"], config)
        acc.append(float(np.mean(np.argmax(X[test] @ W, axis=1) == y[test])))
    out = {"accuracy": np.array(acc)}
    if cell["loss"] == "aldr_kl":
        out |= {"lam0": np.array(chosen), "lam_clean": np.array(lam_clean), "lam_flipped": np.array(lam_flipped)}
    return out


def check(config: LDRLabelNoiseConfig, results: Results) -> list[Claim]:
    claims = []
    for nz in NOISES:
        a = {lo: results[cell_key({"noise": nz, "loss": lo})]["accuracy"] for lo in LOSSES}
        ra = results[cell_key({"noise": nz, "loss": "aldr_kl"})]
        for other in ("cross_entropy", "ldr_kl"):
            diff = a["aldr_kl"] - a[other]
            se_text = f"+- {mean_se(diff)[1]:.3f} (SE over seeds)" if len(diff) > 1 else "(one seed)"
            short = {"cross_entropy": "ce", "ldr_kl": "ldr"}[other]
            claims.append(
                Claim.observation(
                    id=f"ldr_label_noise.{nz}.aldr_minus_{short}_accuracy",
                    statement=f"Observation: clean test accuracy of ALDR-KL (the released code's defaults: c = "
                    f"{config.aldr_margin:g}, alpha = {config.aldr_alpha:g}, lambda_0 by validation from "
                    f"{list(config.aldr_lam0s)}) minus {other.replace('_', '-')}, linear model on digits with "
                    f"{nz.replace('_', '-')} label noise ({NOISES[nz]:g}).",
                    method=f"{config.n_seeds} seeds, paired; {config.aldr_rounds} rounds of temperature update + "
                    f"L-BFGS (l2 = {config.l2:g})",
                    quantity=f"mean accuracy difference (ALDR-KL - {other.replace('_', '-')})",
                    measured=float(diff.mean()),
                    figure="ldr_label_noise",
                    details=f"{se_text}; ALDR-KL {a['aldr_kl'].mean():.3f}; lambda_0 chosen "
                    f"{', '.join(f'{v:g}' for v in ra['lam0'])}",
                )
            )
        claims.append(
            Claim.observation(
                id=f"ldr_label_noise.{nz}.aldr_temperature_flipped_vs_clean",
                statement="Observation: the final ALDR-KL temperature (relative to lambda_0) of training examples "
                "whose label was flipped, against those left clean (the update sees the scores, not the label).",
                method=f"{config.n_seeds} seeds; mean lambda_i / lambda_0 over each group",
                quantity="mean lambda_i / lambda_0 on flipped examples minus on clean ones",
                measured=float(np.mean(ra["lam_flipped"] - ra["lam_clean"])),
                figure="ldr_label_noise",
                details=f"clean {np.mean(ra['lam_clean']):.3f}, flipped {np.mean(ra['lam_flipped']):.3f}",
            )
        )
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
            width = 0.8 / len(LOSSES)
            x = i + width * (j - (len(LOSSES) - 1) / 2)
            ax.bar(x, a.mean(), width * 0.95, yerr=2 * se, color=f"C{j}", label=lo if i == 0 else None)
    ax.set(
        xticks=range(len(NOISES)),
        xticklabels=[f"{k} ({v:g})" for k, v in NOISES.items()],
        ylabel="clean test accuracy (bars: 2 SE)",
        title="Linear model on digits with noisy training labels",
    )
    ax.legend(fontsize=8)
    return {"ldr_label_noise": fig}


CLAIMS = (
    ClaimSpec("ldr_label_noise.*.ldr_minus_ce_accuracy", "LDR-KL vs CE accuracy (observation)"),
    ClaimSpec("ldr_label_noise.*.aldr_minus_ce_accuracy", "ALDR-KL vs CE accuracy (observation)"),
    ClaimSpec("ldr_label_noise.*.aldr_minus_ldr_accuracy", "ALDR-KL vs LDR-KL accuracy (observation)"),
    ClaimSpec(
        "ldr_label_noise.*.aldr_temperature_flipped_vs_clean", "ALDR temperatures: flipped vs clean (observation)"
    ),
)

SIM = register(
    Sim(
        name="ldr_label_noise",
        area=AREA,
        description="CE, LDR-KL and ALDR-KL on digits with uniform and class-dependent label noise (observations)",
        config_cls=LDRLabelNoiseConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
