"""Where each neural-collapse claim comes from and how surely (see ``sims.engine.provenance``).

Dang et al.'s theorems are encoded from their standard statement (the primary text was not re-read here); Garrod and
Keating's Thm 1 was read in arXiv:2410.23169, and so were their remarks on Dang et al.'s Thm A.1 (App. B.3).
"""

from sims.engine.provenance import cite

DANG = "dang2023neural"
PAPYAN = "papyan2020prevalence"
GK = "garrod2024persistence"
DANG_RESTATED = (
    "the statement as encoded in the docstrings of theory.neural_collapse (ufm_mse_solution, nc_metrics), written "
    "from the standard statement of Dang et al. (2023); the primary text was not re-read here"
)
GK_READ = (
    "read in arXiv:2410.23169, Thm 1: deep linear UFM, width d >= K, cross-entropy, no bias, the same weight decay on "
    "every W_l and on H_1; for K >= 4 and L >= 3, or K >= 6 and L = 2, no DNC-structured solution is a global minimum; "
    "their certificate for K = 2m has rank m"
)
DANG_BY_GK = (
    "Dang et al.'s Thm A.1 (cross-entropy, deep linear, with a last-layer bias: the ETF is globally optimal at any "
    "depth) as Garrod and Keating restate it in App. B.3 of arXiv:2410.23169, where they point to a gap in its proof; "
    "Dang et al.'s own text was not read"
)

SOURCES = (
    cite(
        "nc_balanced.*.nc1_collapse",
        refs=(DANG, PAPYAN),
        place="collapse of the features in the balanced UFM; NC1 as defined by Papyan et al.",
        status="restated",
        basis=DANG_RESTATED,
    ),
    cite(
        "nc_balanced.*.geometry_*",
        "nc_balanced.*.objective_matches_closed_form",
        refs=DANG,
        place="balanced UFM geometry: orthogonal frame (MSE, no bias), simplex ETF (MSE with bias, CE)",
        status="restated",
        basis=DANG_RESTATED,
    ),
    cite(
        "nc_balanced.*.nc4_ncc_agreement",
        "nc_mlp_digits.*",
        refs=PAPYAN,
        place="NC1-NC4 (definitions; prevalence in trained networks)",
        status="restated",
        basis="the metrics as defined in the docstring of theory.neural_collapse.nc_metrics, written from the "
        "standard definitions; the primary text was not re-read here",
    ),
    cite(
        "nc_balanced.ce.etf_is_global_minimiser_L=1",
        "nc_balanced.ce.etf_is_global_minimiser_L=2",
        refs=(DANG, GK),
        place="ETF optimality of the balanced CE UFM at depth 1 and 2 (K = 4: outside Garrod and Keating's Thm 1)",
        status="restated",
        basis=DANG_RESTATED + "; K = 4, L <= 2 is outside the conditions of Garrod and Keating's Thm 1 (read)",
    ),
    cite(
        "nc_balanced.ce.etf_is_global_minimiser_L=3",
        refs=(DANG, GK),
        place="Dang et al. Thm A.1 as restated by Garrod and Keating (App. B.3); their Thm 1 (K >= 4, L >= 3)",
        status="restated",
        basis=DANG_BY_GK + ". Checked here without the bias, where Garrod and Keating's Thm 1 (read) predicts the "
        "violation; the setting with the bias is nc_deep_ce_optimality.K=4.L=3.bias",
    ),
    cite(
        "nc_deep_ce_optimality.*.bias.etf_is_global_minimiser",
        refs=(DANG, GK),
        place="Dang et al. Thm A.1 (with a last-layer bias, any depth) as restated by Garrod and Keating, App. B.3",
        status="restated",
        basis=DANG_BY_GK,
    ),
    cite(
        "nc_deep_ce_optimality.K=6.L=2.dnc_not_global",
        "nc_deep_ce_optimality.*.certificate_not_dnc",
        "nc_deep_ce_optimality.K=4.L=2.dnc_global",
        refs=GK,
        place="Thm 1 (K >= 6, L = 2; the rank-m certificate for K = 2m; K = 4, L = 2 lies outside it)",
        status="verbatim",
        basis=GK_READ,
    ),
    cite(
        "nc_imbalanced_mse.closed_form_is_global_min",
        "nc_imbalanced_mse.norms_match_closed_form",
        "nc_imbalanced_mse.phase_diagram_L1",
        refs=(DANG, "theorysims"),
        place="imbalanced MSE UFM closed form (L = 1); depth L >= 2 reduced here to one-dimensional problems",
        status="derived",
        basis="the reduction and the collapse threshold n_k <= b L/(L-1)^((L-1)/L) are derived in the docstrings of "
        "theory.neural_collapse.ufm_mse_solution and collapse_threshold; L = 1 gives Dang et al.'s condition "
        "(restated, primary text not re-read)",
    ),
    cite(
        "nc_imbalanced_mse.closed_form_attained",
        "nc_imbalanced_mse.local_minima_observed",
        "nc_imbalanced_mse.phase_diagram_L[2-9]",
        refs="theorysims",
        place="theory.neural_collapse.ufm_mse_parameters and collapse_threshold",
        status="derived",
        basis="explicit parameters attaining the closed form and the threshold, derived in their docstrings",
    ),
    cite(
        "nc_imbalanced_mse.negative_control_etf",
        refs=DANG,
        place="the simplex-ETF hypothesis for the bias-free imbalanced MSE UFM",
        status="derived",
        basis="a deliberately wrong geometry, defined in sims/neural_collapse/nc_imbalanced_mse.py",
    ),
    cite(
        "nc_imbalanced_ce.*",
        refs=DANG,
        place="imbalanced cross-entropy UFM (no closed form is claimed; observations)",
        status="restated",
        basis=DANG_RESTATED,
    ),
    cite(
        "nc_stationary_windows.*.threshold",
        refs="theorysims",
        place="theory.neural_collapse.stationary_ratio_threshold",
        status="derived",
        basis="derived in the docstring of stationary_ratio_threshold (the peak of L u^(L-1)/(u^L + 1)^2)",
    ),
    cite(
        "nc_stationary_windows.*.code_point_*",
        refs=(DANG, "theorysims"),
        place="the rule of the authors' released code (keep the positive root of b/n_k = L x^(L-1)/(x^L + 1)^2)",
        status="derived",
        basis="the rule was read in the authors' released code (thotranhuu99/Neural-Collapse-in-Deep-Linear-Networks, "
        "synthetic_experiment_imbalanced.py); its comparison with collapse is derived in the docstrings of "
        "theory.neural_collapse.collapse_threshold and stationary_ratio_threshold",
    ),
)
