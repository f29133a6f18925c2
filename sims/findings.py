"""The report's summary: per area, the findings that matter and the figure that shows them.

Findings are prose with placeholders ``{claim id}`` (the claim's measured value) or ``{claim id:field}`` (``predicted``,
``slack``, ``verdict``), filled from the claims of the report being built: the numbers in the summary are always
those of the rows below them, never typed in by hand. A placeholder whose claim is missing (a sim not run, a claim
renamed) shows as "(not computed: id)", and the report test fails on it. Maths between ``$...$`` is LaTeX: the
markdown report leaves it to the viewer, the HTML report renders it as MathML.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AreaSummary:
    """The findings of one area (``area`` as the sims name it) and the one figure (``sim/figure.png``) to show."""

    area: str
    findings: tuple[str, ...]
    figure: str


SUMMARIES: tuple[AreaSummary, ...] = (
    AreaSummary(
        "H-consistency and surrogate losses",
        (
            "The comp-sum transformations $\\mathcal{T}_\\tau$ of Mao, Mohri and Zhong (2023), in the forms restated "
            "by secondary sources, are exactly tight for $\\tau \\in [0, 1]$ but not for $\\tau \\in (1, 2)$ and "
            "$n \\ge 3$ classes: the tightest transformation exceeds the restated form by up to "
            "{comp_sum_tightness.tau=1.5.published_tight_n>2} at $\\tau = 1.5$. The tightest form derived here "
            "(`comp_sum_transform_tight`) matches an independent global search to "
            "{comp_sum_tightness.tau=1.5.corrected_form_equals_tight}.",
            "For norm-bounded classes the complete-class transformation with minimizability gaps fails, by "
            "{comp_sum_bounded.negative_control_complete_transformation}: the bounded-class transformations are "
            "needed, and are computed numerically here.",
            "The LDR-KL loss of Zhu et al. (2023) preserves every top-$k$ set of the label distribution on the whole "
            "$(\\lambda, c)$ grid; its top-1 calibration function for $K = 3$ at $t = 0.5$ is "
            "{ldr_calibration.versus_cross_entropy} times the cross-entropy one for $\\lambda = 0.3$, $c = 1$, and "
            "grows with $\\lambda$.",
        ),
        "comp_sum_tightness/tightness.png",
    ),
    AreaSummary(
        "Logistic regression, large steps and the perceptron",
        (
            "Gradient descent on the logistic loss with step $\\eta \\to \\infty$ becomes the batch perceptron "
            "(Tyurin 2025, Thm 3.2): the error of $\\theta_t / \\gamma$ decays like $e^{-c\\gamma}$, with the rate "
            "predicted here from the smallest margin along the path, matched on 12 data sets to within "
            "{perceptron_limit.exponential_rate} (largest relative deviation).",
            "The iteration bounds of the batch and normalised perceptron hold on every random separable instance; "
            "the batch perceptron uses at most a fraction {iteration_bounds.batch} of its bound $n R^2 / \\mu^2$.",
        ),
        "perceptron_limit/limit.png",
    ),
    AreaSummary(
        "Neural collapse",
        (
            "Deep neural collapse is not the global minimum of the deep cross-entropy UFM where Garrod and Keating "
            "(2024, Thm 1) say so: at $K = 6$, $L = 2$ a rank-3 configuration is "
            "{nc_deep_ce_optimality.K=6.L=2.dnc_not_global} below the best collapsed stationary point; at $K = 4$, "
            "$L = 2$, outside their theorem, it is not beaten.",
            "For the deep MSE UFM, the released code's rule keeps a stationary point that is not the global minimum "
            "for $n_k / b$ between {nc_stationary_windows.L=2.threshold} and 2 ($L = 2$): there it is an exact "
            "stationary point whose objective exceeds the global minimum's by at least "
            "{nc_stationary_windows.L=2.code_point_worse_in_window}.",
        ),
        "nc_deep_ce_optimality/deep_ce_optimality.png",
    ),
    AreaSummary(
        "Online learning and bandits",
        (
            "Exp3, Tsallis-INF, UCB1 and Hedge stay within their regret guarantees on every instance, also at "
            "$T = 10^6$ with 1000 arms; the negative controls (a bound divided by 10, follow-the-leader on its "
            "killer sequence) are detected.",
            "FTRL and OMD coincide for the negentropy, 1/2-Tsallis and log-barrier regularisers (to "
            "{online_ftrl.tsallis.omd_equals_ftrl}); optimistic OMD in the SEA model realises the "
            "$O(\\sqrt{\\sigma^2_{1:T}} + \\sqrt{\\Sigma^2_{1:T}})$ rate with a constant near "
            "{sea_optimistic_omd.ball.optimistic.constant}.",
            "Streaming with one arm of memory: the worst-case regret of uniform exploration grows with exponent "
            "{streaming_bandits.K100.uniform.slope} in $T$ ($2/3$ plus a $\\log^{1/3} T$ factor) up to $T = 10^8$.",
        ),
        "bandit_stochastic/stochastic_linspace.png",
    ),
    AreaSummary(
        "Predictive multiplicity",
        (
            "The viable prediction ranges of $\\ell_2$-regularised logistic regression are computed exactly by a "
            "batched KKT Newton method: on all 569 breast-cancer points they agree with a high-accuracy reference "
            "to {multiplicity_exactness.breast_cancer.fast_vs_high_accuracy_reference} and with cvxpy to "
            "{multiplicity_exactness.breast_cancer.fast_vs_cvxpy}.",
            "For small $\\varepsilon$ the half-width follows $\\sqrt{2\\varepsilon\\, c^\\top H^{-1} c}$: the ratio "
            "is 1 within {multiplicity_small_eps.ratio_to_one}, with an $O(\\varepsilon)$ correction.",
        ),
        "multiplicity_exactness/exactness.png",
    ),
    AreaSummary(
        "In-context learning with linear self-attention",
        (
            "One step of gradient descent from zero, the solution Mahankali et al. (2024) give for one layer of "
            "linear self-attention, has risk $R(\\eta)$ minimised at $\\eta^* = n/(n + d + 1 + \\sigma^2)$ (derived "
            "here); Monte Carlo over $10^6$ prompts agrees within {icl_optimal_step.risk_curve} standard errors "
            "(tolerance 4).",
            "The fully trained layer reaches the one-step-GD risk (excess "
            "{icl_lsa_global.n=10.d=3.s2=0.5.reaches_gd_risk} at $n = 10$, $d = 3$) and never goes below it, but "
            "training is not benign: at $n = 20$, $d = 2$ only a fraction "
            "{icl_lsa_global.n=20.d=2.s2=0.random_starts_reaching_the_optimum} of random starts reach the optimum.",
        ),
        "icl_optimal_step/risk_curve.png",
    ),
)

# a claim id has at least one dot, which LaTeX groups such as {1:T} or {T} never have
_ID = r"[A-Za-z0-9_=><+-]+(?:\.[A-Za-z0-9_=><+-]+)+"
_PLACEHOLDER = re.compile(r"\{(" + _ID + r")(?::(measured|predicted|slack|verdict))?\}")


def _fmt(x: Any) -> str:
    if isinstance(x, str):
        return x
    x = float(x)
    if math.isnan(x):
        return "n/a"
    return f"{x:.3g}"


def fill(text: str, claims: Mapping[str, Any]) -> str:
    """``text`` with each placeholder replaced by the named claim's field (see the module docstring)."""

    def sub(m: re.Match[str]) -> str:
        c = claims.get(m.group(1))
        if c is None:
            return f"(not computed: {m.group(1)})"
        field = m.group(2) or "measured"
        return _fmt(getattr(c, field))

    return _PLACEHOLDER.sub(sub, text)


def placeholders(text: str) -> list[str]:
    """The claim ids a finding refers to."""
    return [m.group(1) for m in _PLACEHOLDER.finditer(text)]
