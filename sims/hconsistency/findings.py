"""The report's summary of H-consistency and surrogate losses: the findings that matter and its figure.

Prose with placeholders ``{claim id}`` filled from the report's rows (see ``sims.engine.areas``).
"""

FINDINGS = (
    (
        "The comp-sum transformations $\\mathcal{T}_\\tau$ of Mao, Mohri and Zhong (2023), in the forms "
        "restated by secondary sources, are exactly tight for $\\tau \\in [0, 1]$ but not for $\\tau \\in "
        "(1, 2)$ and $n \\ge 3$ classes: the tightest transformation exceeds the restated form by up to "
        "{comp_sum_tightness.tau=1.5.published_tight_n>2} at $\\tau = 1.5$. The tightest form derived "
        "here (`comp_sum_transform_tight`) matches an independent global search to "
        "{comp_sum_tightness.tau=1.5.corrected_form_equals_tight}."
    ),
    (
        "For norm-bounded classes the complete-class transformation with minimizability gaps fails, by "
        "{comp_sum_bounded.negative_control_complete_transformation}: the bounded-class transformations "
        "are needed, and are computed numerically here."
    ),
)
FIGURE = "comp_sum_tightness/tightness.png"
