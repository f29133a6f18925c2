"""Where each statistical-estimation claim comes from and how surely (see ``sims.engine.provenance``)."""

from sims.engine.provenance import cite

GE = "ge2024mle"
ZHENG = "zheng2023revisiting"
ZHENG_CODE = "zheng2023code"
JAV = "javanmard2024aggregate"
NOT_READ = "the theorem texts were not read here"

SOURCES = (
    cite(
        "covshift_ols.d*.n*.exact_risk",
        refs=(GE, "theorysims"),
        place="the linear-regression instance of the abstract's well-specified covariate shift",
        status="derived",
        basis="derived in the docstring of theory.estimation.covariate_shift.ols_covshift_risk (inverse-Wishart mean); "
        + NOT_READ,
    ),
    cite(
        "covshift_weighting.finite.*",
        "covshift_weighting.gauss_markov_per_design",
        "covshift_weighting.infinite.*",
        refs=(GE, "theorysims"),
        place="abstract: plain MLE needs no reweighting and no bound on the density ratio",
        status="derived",
        basis="derived in the docstring of iwls_asymptotic_risk (sandwich covariance, the Gaussian square-ratio tilt; "
        "finite iff S_T < 2 S_S); Gauss-Markov per design; the growth-rate heuristic in the sim's docstring; "
        + NOT_READ,
    ),
    cite(
        "covshift_logistic.i*.*_limit",
        "covshift_logistic.mle_limit_below_weighted",
        refs=(GE, "theorysims"),
        place="abstract: MLE on source data is minimax optimal for covariate shift in the well-specified setting, "
        "instantiated for logistic regression",
        status="derived",
        basis="the asymptotic limits (1/2) tr(I_T I_S^-1) and (1/2) tr(B I_T^-1) derived in the docstrings of "
        "mle_asymptotic_excess and weighted_mle_asymptotic_excess; the abstract's minimax statement restated in this "
        "asymptotic form; " + NOT_READ,
    ),
    cite(
        "covshift_misspecified.*_tends_to_*",
        "covshift_misspecified.weighting_wins_at_every_n",
        "covshift_misspecified.iwls_scaled_excess_against_sandwich",
        refs=(GE, "theorysims"),
        place="abstract: under misspecification MLE is no longer optimal and the maximum weighted likelihood estimator "
        "can be minimax optimal",
        status="derived",
        basis="the instance (a line fitted to x^2) and its limits (excess 5; the sandwich) are derived in the sim's "
        "docstring (sims/estimation/covshift_misspecified.py); " + NOT_READ,
    ),
    cite(
        "nb_vs_lr.nb_grows_at_most_like_log_n",
        "nb_vs_lr.lr_needs_several_times_more",
        refs=(ZHENG, ZHENG_CODE),
        place="abstract: under mild assumptions naive Bayes needs O(log n) samples to approach its asymptotic error, "
        "logistic regression O(n); the data, naive Bayes and logistic regression of data/generate_data.py, "
        "models/gaussnb.py (GaussianNB) and main_simulation.py",
        status="restated",
        basis="the abstract's rates (read), checked on the authors' simulation as defined in their released code "
        "(read, commit 86a0bcc); the theorem's assumptions were not read",
    ),
    cite(
        "nb_vs_lr.newton_fit_is_sklearns",
        refs=(ZHENG_CODE,),
        place="main_simulation.py: LogisticRegression(penalty='l2', C=1, solver='lbfgs')",
        status="verbatim",
        basis="the definition read in the authors' released code (commit 86a0bcc); scikit-learn run beside ours",
    ),
    cite(
        "nb_vs_lr.code_bayes_table_against_exact",
        refs=(ZHENG_CODE, "theorysims"),
        place="main_simulation.py: the dictionary bayes_error[2]",
        status="verbatim",
        basis="the constants read in the authors' released code; the exact value Phi(-Delta/2) of their easy data is "
        "derived in easy_gaussian_classes' docstring",
    ),
    cite(
        "nb_fixed_separation.linear_growth",
        "nb_fixed_separation.constant_against_first_order",
        refs=(ZHENG, "theorysims"),
        place="the abstract's O(log n) rate, outside its assumptions",
        status="derived",
        basis="a counter-example derived here (sims/estimation/nb_fixed_separation.py's docstring): with the "
        "separation fixed the per-feature signal vanishes and naive Bayes needs Theta(n) samples; it contradicts "
        "no statement read, since the theorem's assumptions were not read",
    ),
    cite(
        "bags_identity_and_exact.identity",
        "bags_identity_and_exact.end_points_are_least_squares",
        refs=(JAV, "theorysims"),
        place="abstract: the instance-level loss is a regularised form of the bag-level loss",
        status="derived",
        basis="the abstract's statement (read), in the exact form derived in theory/estimation/aggregate.py's module "
        "docstring; " + NOT_READ,
    ),
    cite(
        "bags_identity_and_exact.n*.d*.k*.*_risk",
        "bags_identity_and_exact.n*.instance_mean_is_theta_over_k",
        refs=(JAV, "theorysims"),
        place="abstract: a bias-variance comparison of the bag-level and instance-level estimators",
        status="derived",
        basis="derived in the docstrings of bag_risk_exact and instance_risk_exact (inverse-Wishart mean; Haar and "
        "Weingarten moments; Gaussian integration by parts); " + NOT_READ,
    ),
    cite(
        "bags_proportional_limit.g*.k*.*",
        refs=(JAV, "theorysims"),
        place="abstract: the interpolating estimator's risk is characterised precisely in the proportional regime",
        status="derived",
        basis="derived in the docstring of interpolating_risk_limit (leave-one-out, a quadratic fixed point); "
        + NOT_READ,
    ),
    cite(
        "*.negative_control_*",
        "*.*.negative_control_*",
        refs="theorysims",
        place="deliberately wrong statements",
        status="derived",
        basis="defined in the sims of sims/estimation/",
    ),
)
