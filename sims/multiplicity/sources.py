"""Where each predictive-multiplicity claim comes from and how surely (see ``sims.engine.provenance``)."""

from sims.engine.provenance import cite

WPU = "watsondaniels2023multiplicity"
WPU_RESTATED = (
    "the definitions (epsilon-level set of the logistic loss, viable prediction range, ambiguity, discrepancy) as "
    "encoded in the docstrings of theory.multiplicity, written from the paper's standard statement; the primary text "
    "was not re-read here"
)

SOURCES = (
    cite(
        "multiplicity_exactness.*",
        refs=(WPU, "theorysims"),
        place="viable prediction range (definition); the exactness target is this project's",
        status="restated",
        basis=WPU_RESTATED,
    ),
    cite(
        "multiplicity_measures.ambiguity_monotone_in_eps",
        "multiplicity_measures.discrepancy_interval_ordered",
        "multiplicity_measures.discrepancy_gap",
        refs=WPU,
        place="ambiguity and discrepancy over the epsilon-level set",
        status="restated",
        basis=WPU_RESTATED,
    ),
    cite(
        "multiplicity_measures.discrepancy_certificates",
        refs=(WPU, "marx2020multiplicity"),
        place="discrepancy (Marx et al. 2020) of probabilistic classifiers",
        status="restated",
        basis=WPU_RESTATED,
    ),
    cite(
        "multiplicity_small_eps.*",
        refs="theorysims",
        place="theory.multiplicity.small_eps_half_width",
        status="derived",
        basis="the second-order expansion of the level set around the baseline model, derived in the docstring of "
        "small_eps_half_width (half-width sqrt(2 eps c'H^-1 c) with an O(eps) correction)",
    ),
    cite(
        "multiplicity_soundness.samples_inside_ranges",
        "multiplicity_soundness.extremes_attained",
        refs=WPU,
        place="viable prediction range (definition)",
        status="restated",
        basis=WPU_RESTATED,
    ),
    cite(
        "multiplicity_soundness.negative_control_*",
        refs=WPU,
        place="viable prediction ranges narrowed on purpose",
        status="derived",
        basis="a deliberately wrong range, defined in sims/multiplicity/multiplicity_soundness.py",
    ),
)
