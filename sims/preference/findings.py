"""The report's summary of preference optimisation and unlearning: the findings that matter and its figure.

Prose with placeholders ``{claim id}`` filled from the report's rows (see ``sims.engine.areas``).
"""

FINDINGS = (
    (
        "The f-regularised optimum $\\pi_i = \\pi_{\\mathrm{ref},i} (f')^{-1}((r_i - \\lambda)/\\beta)$ is exact for "
        "reverse KL, forward KL, Jensen-Shannon and $\\alpha$-divergences: it agrees with a conic solver to "
        "{fdpo_optimum.jensen_shannon.matches_conic_solver} and keeps full support, while $\\chi^2$ (0 in the "
        "domain of $f'$) truncates and its unclipped closed form is off by "
        "{fdpo_optimum.chi2.negative_control_unclipped}; the f-DPO Bradley-Terry loss recovers that optimum (to "
        "{fdpo_bradley_terry.alpha_03.recovers_optimum})."
    ),
    (
        "NPO is gradient ascent on a slower clock: it follows GA's path (to {npo_vs_ga.beta=1.same_path}), and its "
        "time to reach a divergence grows like $e^{2\\beta T_{\\mathrm{GA}}}$ (slope "
        "{npo_vs_ga.beta=1.exponentially_slower} at $\\beta = 1$); as $\\beta \\to 0$ its loss tends to GA's within "
        "$\\beta z^2/4$, a bound that is tight."
    ),
    (
        "On a logistic model (Theorem 2's setting), GA's distance from the start grows linearly with slope "
        "$\\|XX^\\top y\\|/n_f$ (to {npo_vs_ga.logistic.ga_linear_rate}) and NPO's by $\\sqrt{n_f}\\ln 10/\\beta$ "
        "per decade (off by {npo_vs_ga.logistic.beta=1.npo_log_rate} at $\\beta = 1$)."
    ),
)
FIGURE = "npo_vs_ga/npo_vs_ga.png"
