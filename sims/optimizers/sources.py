"""Where each optimisers claim comes from and how surely (see ``sims.engine.provenance``)."""

from sims.engine.provenance import cite

LION = "chen2024lion"
EF21 = "richtarik2024error"
LION_ABSTRACT = (
    "the abstract of arXiv:2310.05898 (read): Lion with decoupled weight decay solves min f(x) s.t. "
    "||x||_inf <= 1/lambda, and Lion-K a K*-type problem; the theorems' text was not reachable, so the box-entry rate "
    "and the limits are derived in theory/optimizers.py's module docstring"
)
EF21_ABSTRACT = (
    "the abstract of arXiv:2402.10774 (read): EF21's step and complexity improve from the quadratic mean L_QM to the "
    "arithmetic mean L_AM of the smoothness constants; the theorem's text was not reachable, so the weighted "
    "Lyapunov analysis is derived in theory/optimizers.py's module docstring"
)

SOURCES = (
    cite(
        "lion_box_entry.contraction",
        "lion_box_entry.invariant",
        "lion_box_entry.tight_outward",
        "lion_box_entry.amplitude_above_one",
        refs=("theorysims", LION),
        place="theory.optimizers module docstring (box entry)",
        status="derived",
        basis=LION_ABSTRACT,
    ),
    cite(
        "lion_box_limit.excess_slope",
        "lion_box_limit.distance_slope",
        "lion_k_geometry.l2_ball",
        "lion_k_geometry.l2_regularisation",
        refs=LION,
        place="abstract (the constrained problem Lion and Lion-K solve); the O(eta^2) and O(eta) rates derived here",
        status="restated",
        basis=LION_ABSTRACT,
    ),
    cite(
        "lion_lyapunov.*.rate_formula",
        "lion_lyapunov.*.non_increasing",
        "lion_lyapunov.discrete.euler_step",
        "lion_lyapunov.discrete.increase_slope",
        refs=("theorysims", LION),
        place="theory.optimizers module docstring (the Lyapunov function of Lion-K)",
        status="derived",
        basis="the abstract of arXiv:2310.05898 (read) announces a new Lyapunov function for Lion-K; its text was not "
        "reachable, so H's form, the closed-form dH/dt and the Euler map are derived in theory/optimizers.py's "
        "module docstring",
    ),
    cite(
        "ef21_rate.*.lyapunov_descent",
        "ef21_rate.*.rate_bound",
        "ef21_rate.*.top_k.ef21w_equals_ef21",
        "ef21_step_gain.*.am_no_slower",
        refs=("theorysims", EF21),
        place="theory.optimizers module docstring (EF21 with the arithmetic mean)",
        status="derived",
        basis=EF21_ABSTRACT,
    ),
    cite(
        "lion_box_entry.negative_control_*",
        "lion_box_limit.negative_control_*",
        "lion_k_geometry.negative_control_*",
        "lion_lyapunov.*.negative_control_*",
        "ef21_rate.*.negative_control_*",
        "ef21_step_gain.*.negative_control_*",
        refs="theorysims",
        place="sims/optimizers/",
        status="derived",
        basis="deliberately wrong statements, defined in the sims' modules",
    ),
)
