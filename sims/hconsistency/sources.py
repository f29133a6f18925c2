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
        basis="the bounded-class transformation is computed here by theory.hconsistency.tightest(..., "
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
