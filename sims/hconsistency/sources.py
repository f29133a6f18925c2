"""Where each H-consistency claim comes from and how surely (see ``sims.engine.provenance``).

The comp-sum transformations of Mao, Mohri and Zhong (2023) are encoded in the forms secondary summaries give: the
theorem text (PMLR v202 ``mao23b``, arXiv:2304.07288) was not read here (the stored copies of the paper give its
abstract, which says the bounds are tight without saying for which tau), so every row about them is ``restated``.
"""

from sims.engine.provenance import cite

MMZ = "mao2023crossentropy"
MMZ_PLACE = "H-consistency bounds of comp-sum losses, symmetric and complete hypothesis sets (theorem not located)"
MMZ_RESTATED = (
    "the forms restated by secondary summaries of the paper (they give the class-count dependence sqrt(n) at "
    "tau = 1.5 and n at tau = 2), encoded in the docstring of theory.hconsistency.comp_sum_transform; the theorem text "
    "(PMLR v202 mao23b, arXiv:2304.07288) was not read: the stored copies give only the abstract"
)

SOURCES = (
    cite(
        "comp_sum_tightness.tau=*.published_valid",
        "comp_sum_tightness.tau=*.published_tight*",
        "comp_sum_budget.n=*",
        refs=MMZ,
        place=MMZ_PLACE,
        status="restated",
        basis=MMZ_RESTATED,
    ),
    cite(
        "comp_sum_tightness.tau=*.corrected_form_equals_tight",
        refs="theorysims",
        place="theory.hconsistency.comp_sum_transform_tight",
        status="derived",
        basis="derivation in the docstring of comp_sum_transform_tight (minimum over j-class tied-softmax "
        "certificates), checked here against the independent global search of tight_transform",
    ),
    cite(
        "comp_sum_tightness.tau=*.two_class_form_valid_all_n",
        refs="theorysims",
        place="a conjecture from the n = 2, 3 numbers",
        status="derived",
        basis="conjectured in this project from the numbers at n = 2, 3 (at tau = 1.5 the tightest transformation "
        "looked free of n); not a published statement",
    ),
    cite(
        "comp_sum_tightness.negative_control.*",
        refs=MMZ,
        place="the tau = 1 transformation replaced by T(t) = t",
        status="derived",
        basis="a deliberately wrong transformation, defined in sims/hconsistency/comp_sum_tightness.py",
    ),
    cite(
        "comp_sum_bounded.*.bound_holds",
        "comp_sum_bounded.*.transformation",
        refs=(MMZ, "theorysims"),
        place="H-consistency bounds for bounded hypothesis sets; the transformation computed numerically",
        status="derived",
        basis="the bounded-class transformation is computed here by theory.hconsistency.tight_transform(..., "
        "score_bound=Lambda) (docstring; equal to the bounded-margin calibration function for n = 2); the paper's "
        "bounded-class theorem text was not read",
    ),
    cite(
        "comp_sum_bounded.negative_control_*",
        refs=MMZ,
        place="the complete-class transformation applied to a norm-bounded class (assumption violated)",
        status="derived",
        basis="a deliberate misuse, defined in sims/hconsistency/comp_sum_bounded.py",
    ),
    cite(
        "hconsistency_bound.tau=*.bound_holds",
        "hconsistency_bound.tau=*.complete_gamma_on_bounded_class",
        refs=MMZ,
        place="H-consistency bound with minimizability gaps for comp-sum losses",
        status="restated",
        basis=MMZ_RESTATED,
    ),
    cite(
        "hconsistency_bound.tau=*.negative_control_*",
        refs=MMZ,
        place="the bound with the minimizability gaps dropped",
        status="derived",
        basis="a deliberately wrong bound, defined in sims/hconsistency/hconsistency_bound.py",
    ),
    cite(
        "minimizability_gaps.*",
        refs=MMZ,
        place="minimizability gaps of comp-sum losses (section on minimizability gaps)",
        status="restated",
        basis="the properties as restated in the docstrings of theory.hconsistency (minimizability_gap and the box "
        "infimum); the paper's text was not read",
    ),
    cite(
        "margin_calibration.hinge.*",
        "margin_calibration.logistic.*",
        "margin_calibration.exponential.*",
        "margin_calibration.squared_hinge.*",
        "margin_calibration.squared.*",
        refs="bartlett2006convexity",
        place="Sec. 2, the psi-transform of the examples",
        status="restated",
        basis="closed forms in the docstring of theory.hconsistency.margin_calibration, written from the standard "
        "statement of the examples; the primary text was not re-read here (the stored copies give its abstract)",
    ),
    cite(
        "margin_calibration.sigmoid.*",
        "margin_calibration.rho_margin.*",
        refs="awasthi2022hconsistency",
        place="calibration functions of the sigmoid and rho-margin losses, complete hypothesis sets",
        status="restated",
        basis="closed forms in the docstring of theory.hconsistency.margin_calibration, written from the standard "
        "statement; the primary text was not re-read here",
    ),
    cite(
        "margin_calibration.negative_control.*",
        refs="bartlett2006convexity",
        place="the logistic psi replaced by psi(t) = t",
        status="derived",
        basis="a deliberately wrong calibration function, defined in sims/hconsistency/margin_calibration.py",
    ),
)

LDR = "zhu2023label"
LDR_ABSTRACT = (
    "the abstract of arXiv:2112.14869 (read) states top-k consistency of LDR losses for every k >= 1 and that a top-1 "
    "consistent symmetric robust loss cannot be top-k consistent for all k >= 2; the paper's exact definitions and "
    "conditions on lambda and c could not be read, so the LDR-KL loss is encoded in the form of the authors' released "
    "code (LDRLoss_V1, without its softplus rescaling of the scores), in the docstring of theory/ldr.py"
)

SOURCES += (
    cite(
        "ldr_dual_form.closed_form_equals_max_over_simplex",
        "ldr_dual_form.limit_lambda_to_*",
        refs=(LDR, "theorysims"),
        place="the LDR-KL loss as the worst case over label distributions with a KL regulariser",
        status="derived",
        basis=LDR_ABSTRACT + "; the dual form (Donsker-Varadhan) and the two limits (with the Hoeffding and log K "
        "bounds) are derived in the docstrings of theory/ldr.py and sims/hconsistency/ldr_dual_form.py",
    ),
    cite(
        "ldr_dual_form.negative_control_*",
        refs="theorysims",
        place="the LDR-KL loss without its KL term",
        status="derived",
        basis="a deliberately wrong statement, defined in sims/hconsistency/ldr_dual_form.py",
    ),
    cite(
        "ldr_topk_consistency.preserves_topk_everywhere_on_the_grid",
        "ldr_topk_consistency.minimisers_converged",
        refs=(LDR, "yang2020topk"),
        place="top-k consistency of LDR losses for every k (conditions on lambda and c not located)",
        status="restated",
        basis=LDR_ABSTRACT + "; top-k preservation as defined by Yang and Koyejo (2020), restated in the docstring of "
        "theory/ldr.py (the paper's own tie convention was not read)",
    ),
    cite(
        "ldr_topk_consistency.negative_control_mae_top2",
        refs=(LDR, "theorysims"),
        place="a top-1 consistent symmetric loss (MAE) is not top-k consistent for all k >= 2",
        status="derived",
        basis=LDR_ABSTRACT + "; the certificate q = (0.5, 0.3, 0.2), f_t = (t, 0, 1) is constructed in "
        "sims/hconsistency/ldr_topk_consistency.py",
    ),
    cite(
        "ldr_calibration.*.matches_brute_force",
        "ldr_calibration.*.positive",
        "ldr_calibration.versus_cross_entropy",
        refs=(LDR, "theorysims"),
        place="top-1 (top-k, k = 1) consistency of LDR losses; the calibration function for K = 3",
        status="derived",
        basis=LDR_ABSTRACT + "; the reduction to one free score is derived in the docstring of "
        "theory.ldr.ldr_top1_calibration and checked by a two-score brute force",
    ),
    cite(
        "ldr_calibration.negative_control_*",
        refs="theorysims",
        place="LDR-KL claimed not top-1 calibrated",
        status="derived",
        basis="a deliberately wrong statement, defined in sims/hconsistency/ldr_calibration.py",
    ),
    cite(
        "ldr_label_noise.*",
        refs=LDR,
        place="robustness of LDR losses to label noise (qualitative, on the paper's benchmarks)",
        status="derived",
        basis="this project's comparison on a linear model (observations, not judged); the paper's abstract (read) "
        "reports stable performance of its adaptive loss under noisy labels on other benchmarks",
    ),
)
