"""The report's summary of in-context learning with linear self-attention: the findings that matter and its figure.

Prose with placeholders ``{claim id}`` filled from the report's rows (see ``sims.engine.areas``).
"""

FINDINGS = (
    (
        "One step of gradient descent from zero, the solution Mahankali et al. (2024) give for one layer "
        "of linear self-attention, has risk $R(\\eta)$ minimised at $\\eta^* = n/(n + d + 1 + \\sigma^2)$ "
        "(derived here); Monte Carlo over $10^6$ prompts agrees within {icl_optimal_step.risk_curve} "
        "standard errors (tolerance 4)."
    ),
    (
        "The fully trained layer reaches the one-step-GD risk (excess "
        "{icl_lsa_global.n=10.d=3.s2=0.5.reaches_gd_risk} at $n = 10$, $d = 3$) and never goes below it, "
        "but training is not benign: at $n = 20$, $d = 2$ only a fraction "
        "{icl_lsa_global.n=20.d=2.s2=0.random_starts_reaching_the_optimum} of random starts reach the "
        "optimum."
    ),
)
FIGURE = "icl_optimal_step/risk_curve.png"
