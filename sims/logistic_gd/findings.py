"""The report's summary of logistic regression, large steps and the perceptron: the findings that matter and its figure.

Prose with placeholders ``{claim id}`` filled from the report's rows (see ``sims.engine.areas``).
"""

FINDINGS = (
    (
        "Gradient descent on the logistic loss with step $\\eta \\to \\infty$ becomes the batch perceptron "
        "(Tyurin 2025, Thm 3.2): the error of $\\theta_t / \\gamma$ decays like $e^{-c\\gamma}$, with the "
        "rate predicted here from the smallest margin along the path, matched on 12 data sets to within "
        "{perceptron_limit.exponential_rate} (largest relative deviation)."
    ),
    (
        "The iteration bounds of the batch and normalised perceptron hold on every random separable "
        "instance; the batch perceptron uses at most a fraction {iteration_bounds.batch} of its bound $n "
        "R^2 / \\mu^2$."
    ),
)
FIGURE = "perceptron_limit/limit.png"
