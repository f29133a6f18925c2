"""The report's summary of the label distributionally robust losses: the findings that matter and its figure.

Prose with placeholders ``{claim id}`` filled from the report's rows (see ``sims.engine.areas``).
"""

FINDINGS = (
    (
        "The LDR-KL loss of Zhu et al. (2023) preserves every top-$k$ set of the label distribution on "
        "the whole $(\\lambda, c)$ grid; its top-1 calibration function for $K = 3$ at $t = 0.5$ is "
        "{ldr_calibration.versus_cross_entropy} times the cross-entropy one for $\\lambda = 0.3$, $c = "
        "1$, and grows with $\\lambda$."
    ),
)
FIGURE = "ldr_topk_consistency/ldr_topk_map.png"
