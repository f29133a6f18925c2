"""The report's summary of the optimisers area: the findings that matter and its figure.

Prose with placeholders ``{claim id}`` filled from the report's rows (see ``sims.engine.areas``).
"""

FINDINGS = (
    (
        "Lion with decoupled weight decay $\\lambda$ enters the box $\\|\\lambda x\\|_\\infty \\le 1$ at rate "
        "$1 - \\eta\\lambda$ (worst observed ratio {lion_box_entry.contraction}) and stays there; at "
        "$\\eta\\lambda = 1.5$ it leaves it (amplitude {lion_box_entry.amplitude_above_one}). Its averaged iterates "
        "solve $\\min f$ s.t. $\\|x\\|_\\infty \\le 1/\\lambda$ with excess $O(\\eta^2)$ (slope "
        "{lion_box_limit.excess_slope}); $K = \\|\\cdot\\|_2$ gives the $\\ell_2$ ball instead."
    ),
    (
        "The Lyapunov function of the continuous-time Lion-K never increases when $\\epsilon\\gamma \\le 1$, on "
        "non-convex objectives (worst rise {lion_lyapunov.logcosh.non_increasing}); its closed-form rate matches "
        "finite differences ({lion_lyapunov.logcosh.rate_formula}); with $\\epsilon\\gamma > 1$ it rises "
        "({lion_lyapunov.logcosh.negative_control_eps_gamma_above_one}). Discrete Lion is forward Euler of that ODE "
        "and is not monotone: its increases scale like $\\eta^2$ (slope {lion_lyapunov.discrete.increase_slope})."
    ),
    (
        "EF21 runs on the arithmetic mean of the smoothness constants: with the step $1/(L + L_{AM}\\sqrt{\\beta/"
        "\\theta})$ a weighted Lyapunov function decreases every step (worst slack "
        "{ef21_rate.logistic.top_k.lyapunov_descent}) and the rate bound holds (ratio at most "
        "{ef21_rate.quadratic.top_k.rate_bound})."
    ),
)
FIGURE = "lion_box_limit/lion_box_limit.png"
