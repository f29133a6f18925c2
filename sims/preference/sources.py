"""Where each preference-optimisation claim comes from and how surely (see ``sims.engine.provenance``)."""

from sims.engine.provenance import cite

FDPO = "wang2024beyond"
NPO = "zhang2024negative"
NPO_RESTATED = (
    "the loss L_NPO = (2/beta) log(1 + (pi/pi_ref)^beta) and the weight W = 2 pi^beta / (pi^beta + pi_ref^beta) as "
    "written in theory.preference from the paper's Eq. 3 and its gradient identity; the primary text was not "
    "re-read here"
)
FDPO_ABSTRACT = (
    "the abstract of arXiv:2309.16240 (read): for Jensen-Shannon, forward KL and alpha-divergences the "
    "reward-policy relation 'can also be simplified by addressing the Karush-Kuhn-Tucker conditions'; the theorem's "
    "statement was not reachable, so the closed form is the one written in theory.preference's module docstring"
)
DERIVED_OPTIMUM = (
    "derived in theory/preference.py (_optimum: the bracket; optimum_ratio_bounds: the bounds; off_support_mass: "
    "the perspective limit), from the KKT conditions of the concave problem on the simplex"
)

SOURCES = (
    cite(
        "fdpo_optimum.[!c]*.matches_conic_solver",  # every cell but chi2, which is outside the abstract's condition
        "fdpo_optimum.[!c]*.no_better_point",
        "fdpo_optimum.*.implied_reward_constant",
        refs=FDPO,
        place="abstract; the KKT form of the optimal policy (Sec. 4 per the abstract, not read)",
        status="restated",
        basis=FDPO_ABSTRACT,
    ),
    cite(
        "fdpo_optimum.*.ratio_bounds",
        refs=("theorysims", FDPO),
        place="theory.preference.optimum_ratio_bounds",
        status="derived",
        basis=DERIVED_OPTIMUM,
    ),
    cite(
        "fdpo_optimum.chi2.matches_conic_solver",
        "fdpo_optimum.chi2.no_better_point",
        refs="theorysims",
        place="theory.preference.f_regularized_optimum (chi2: the ratios clipped at 0)",
        status="derived",
        basis="the KKT conditions with the multiplier of pi_i >= 0, derived in the module docstring of "
        "theory/preference.py (chi2 is outside the condition of the f-DPO abstract)",
    ),
    cite(
        "fdpo_optimum.chi2.negative_control_unclipped",
        refs=("theorysims", FDPO),
        place="chi2 has 0 in the domain of f' (f'(0) = -2), outside the abstract's condition",
        status="derived",
        basis="a deliberately wrong statement (the KKT form without the multiplier of pi >= 0), defined in "
        "sims/preference/fdpo_optimum.py",
    ),
    cite(
        "fdpo_support.*.full_support",
        refs=FDPO,
        place="abstract: the admissible divergences (0 not in the domain of f')",
        status="restated",
        basis=FDPO_ABSTRACT,
    ),
    cite(
        "fdpo_support.*.off_support_limit_rate",
        "fdpo_support.reverse_kl.no_off_support_mass",
        refs="theorysims",
        place="theory.preference.off_support_mass (the perspective limit) and sims/preference/fdpo_support.py (_rate)",
        status="derived",
        basis=DERIVED_OPTIMUM,
    ),
    cite(
        "fdpo_support.chi2.negative_control_full_support",
        refs=("theorysims", FDPO),
        place="chi2: f'(0) = -2 is finite",
        status="derived",
        basis="a deliberately wrong statement, defined in sims/preference/fdpo_support.py",
    ),
    cite(
        "fdpo_bradley_terry.*.recovers_optimum",
        "fdpo_bradley_terry.*.recovers_reward_differences",
        refs=FDPO,
        place="abstract: the f-DPO loss needs no normalising constant of the Bradley-Terry model",
        status="restated",
        basis=FDPO_ABSTRACT + "; the population minimiser's identity with pi*_f is derived in "
        "sims/preference/fdpo_bradley_terry.py (a cross-entropy in the pairwise margins, minimal at s_i - s_j = "
        "r_i - r_j)",
    ),
    cite(
        "fdpo_bradley_terry.*.negative_control_reverse_kl_optimum",
        refs="theorysims",
        place="sims/preference/fdpo_bradley_terry.py",
        status="derived",
        basis="a deliberately wrong statement (another divergence's optimum)",
    ),
    cite(
        "npo_limit.gradient_is_w_times_ga",
        refs=NPO,
        place="the gradient identity grad L_NPO = W grad L_GA (Sec. 3, as restated)",
        status="restated",
        basis=NPO_RESTATED,
    ),
    cite(
        "npo_limit.gap_bound",
        "npo_limit.gap_bound_is_tight",
        "npo_limit.weight_bound",
        "npo_limit.loss_accurate_at_any_log_ratio",
        refs=("theorysims", NPO),
        place="theory.preference.npo_loss and npo_weight (the beta -> 0 limit with explicit bounds)",
        status="derived",
        basis="derived in the docstrings of theory.preference.npo_loss (the gap is (2/beta) log cosh(beta z/2)) "
        "and npo_weight (W - 1 = tanh(beta z/2)); the limit itself is the paper's Proposition 1 as restated",
    ),
    cite(
        "npo_limit.negative_control_half_bound",
        "npo_vs_ga.*.negative_control_linear_clock",
        "npo_vs_ga.logistic.*.negative_control_npo_linear",
        refs="theorysims",
        place="sims/preference/npo_limit.py, npo_vs_ga.py",
        status="derived",
        basis="deliberately wrong statements",
    ),
    cite(
        "npo_vs_ga.logistic.ga_linear_rate",
        "npo_vs_ga.logistic.*.npo_log_rate",
        refs=("theorysims", NPO),
        place="Theorem 2 (logistic regression on n_f <= d near-orthogonal forget points: GA's distance linear in "
        "eta t, NPO's like log(C eta t / n_f + 1)), as restated in theory.preference's module docstring; the "
        "constants (slope ||X X'y|| / n_f, sqrt(n_f) ln 10 / beta per decade) derived there",
        status="derived",
        basis="the theorem's statement is restated, its text not read here; the sharper asymptotics are a fixed-point "
        "argument written in theory/preference.py's module docstring",
    ),
    cite(
        "npo_vs_ga.*.same_path",
        "npo_vs_ga.*.exponentially_slower",
        "npo_vs_ga.*.npo_keeps_more_entropy",
        refs=("theorysims", NPO),
        place="abstract: 'the progression toward catastrophic collapse by minimizing the NPO loss is exponentially "
        "slower than GA'; the tabular form (clock ds = W dt, rate 2 beta) derived in theory.preference."
        "tabular_unlearning_flow and sims/preference/npo_vs_ga.py",
        status="derived",
        basis="the abstract of arXiv:2404.05868 was read; its theorem (logistic regression, Thm 2) is a different "
        "setting and its text was not re-read; the tabular statements are derived here",
    ),
)
