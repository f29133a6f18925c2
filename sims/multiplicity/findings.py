"""The report's summary of predictive multiplicity: the findings that matter and its figure.

Prose with placeholders ``{claim id}`` filled from the report's rows (see ``sims.engine.areas``).
"""

FINDINGS = (
    (
        "The viable prediction ranges of $\\ell_2$-regularised logistic regression are computed exactly "
        "by a batched KKT Newton method: on random breast-cancer points they agree with a high-accuracy "
        "reference (25 points) to {multiplicity_exactness.breast_cancer.fast_vs_high_accuracy_reference} and "
        "with cvxpy (150 points) to {multiplicity_exactness.breast_cancer.fast_vs_cvxpy}."
    ),
    (
        "For small $\\varepsilon$ the half-width follows $\\sqrt{2\\varepsilon\\, c^\\top H^{-1} c}$: the "
        "ratio is 1 within {multiplicity_small_eps.ratio_to_one}, with an $O(\\varepsilon)$ correction."
    ),
)
FIGURE = "multiplicity_exactness/exactness.png"
