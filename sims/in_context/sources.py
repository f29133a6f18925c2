"""Where each in-context-learning claim comes from and how surely (see ``sims.engine.provenance``).

Only the abstract of Mahankali, Hashimoto and Ma (arXiv:2307.03576) could be read here; their exact setting (the LSA
parametrisation, the scaling of w, the noise) could not. Every statement is therefore encoded in the setting of the
docstring of ``theory/in_context.py`` and marked ``derived``; the abstract's three statements are what they check.
"""

from sims.engine.provenance import cite

MHM = "mahankali2024onestep"
ABSTRACT = (
    "the abstract of arXiv:2307.03576 (read) states that the pre-training minimiser over one-layer LSA implements one "
    "step of GD with isotropic Gaussian covariates, one step of preconditioned GD with non-isotropic covariates and "
    "weight vector, and still one step of GD with nonlinear responses; "
)
DERIVED = (
    ABSTRACT + "the closed forms (R(eta), eta*, G*, the LSA's monomial span) are derived in the docstring of "
    "theory/in_context.py, in the setting stated there (w ~ N(0, I), which may differ from the paper's)"
)

SOURCES = (
    cite(
        "icl_optimal_step.risk_curve",
        "icl_optimal_step.eta_star_not_beaten",
        refs=(MHM, "theorysims"),
        place="one step of GD with isotropic covariates: R(eta) and eta* = n/(n + d + 1 + s2)",
        status="derived",
        basis=DERIVED,
    ),
    cite(
        "icl_preconditioned.G_star_is_least_squares",
        "icl_preconditioned.risk_of_G_star",
        refs=(MHM, "theorysims"),
        place="one step of preconditioned GD: G* = n ((n + 1) S + (tr S + s2) I)^(-1)",
        status="derived",
        basis=DERIVED,
    ),
    cite(
        "icl_lsa_global.*",
        refs=(MHM, "theorysims"),
        place="the one-layer LSA minimiser is one step of GD (isotropic covariates)",
        status="derived",
        basis=DERIVED,
    ),
    cite(
        "icl_nonlinear_targets.*.G_multiple_of_identity",
        refs=(MHM, "theorysims"),
        place="nonlinear responses: still one step of plain GD",
        status="derived",
        basis=ABSTRACT + "the rotation-invariance argument is in the docstring of "
        "sims/in_context/icl_nonlinear_targets.py; checked on the GD block (least squares over x_q g')",
    ),
    cite(
        "icl_optimal_step.negative_control_*",
        "icl_preconditioned.negative_control_*",
        "icl_nonlinear_targets.negative_control_*",
        refs="theorysims",
        place="deliberately wrong steps and preconditioners",
        status="derived",
        basis="deliberately wrong statements (the unit step; the best scalar step under anisotropic covariates; a "
        "multiple of I under anisotropic covariates), defined in the sim modules of sims/in_context/",
    ),
)
