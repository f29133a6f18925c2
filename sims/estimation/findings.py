"""The report's summary of the statistical-estimation area: the findings that matter and its figure.

Prose with placeholders ``{claim id}`` filled from the report's rows (see ``sims.engine.areas``).
"""

FINDINGS = (
    (
        "Under well-specified covariate shift plain fits need no reweighting: least squares' target risk is exactly "
        "$\\sigma^2 \\mathrm{tr}(S_T S_S^{-1})/(n-d-1)$ (e.g. {covshift_ols.d4.n20.exact_risk}), importance "
        "weighting only adds variance ({covshift_weighting.finite.iwls_limit}; never better given the design, "
        "{covshift_weighting.gauss_markov_per_design}) and, where $S_T \\not< 2 S_S$, converges slower than $1/n$ "
        "({covshift_weighting.infinite.risk_grows_faster_than_1_over_n}); for logistic regression the MLE's limit "
        "$\\frac12\\mathrm{tr}(I_T I_S^{-1})$ ({covshift_logistic.i0.mle_limit}) is below the weighted one on every "
        "random instance ({covshift_logistic.mle_limit_below_weighted})."
    ),
    (
        "Under misspecification reweighting wins: a line fitted to $x^2$ keeps a target excess of 5 "
        "({covshift_misspecified.ols_excess_tends_to_5}) while the weighted fit converges "
        "({covshift_misspecified.iwls_excess_tends_to_0})."
    ),
    (
        "On the authors' easy data naive Bayes' sample complexity stays flat while logistic regression needs "
        "several times more ({nb_vs_lr.lr_needs_several_times_more}); with the total separation held fixed naive "
        "Bayes needs samples linear in $n$ ({nb_fixed_separation.linear_growth}), so the $O(\\log n)$ rate needs a "
        "per-feature signal that does not vanish."
    ),
    (
        "With aggregate responses the instance-level loss is the bag-level loss plus a within-bag penalty "
        "({bags_identity_and_exact.identity}); the exact risks hold "
        "({bags_identity_and_exact.n40.d3.k2.instance_risk}) and the proportional limit of the interpolating "
        "estimator matches Monte Carlo at every mixing parameter "
        "({bags_proportional_limit.g0.2.k4.rho_opt.limit}), once centred at its proportional mean "
        "({bags_proportional_limit.negative_control_fixed_d_centring})."
    ),
)
FIGURE = "bags_proportional_limit/bags_proportional_limit.png"
