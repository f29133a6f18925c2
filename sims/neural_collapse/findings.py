"""The report's summary of neural collapse: the findings that matter and its figure.

Prose with placeholders ``{claim id}`` filled from the report's rows (see ``sims.engine.areas``).
"""

FINDINGS = (
    (
        "Deep neural collapse is not the global minimum of the deep cross-entropy UFM where Garrod and "
        "Keating (2024, Thm 1) say so: at $K = 6$, $L = 2$ a rank-3 configuration is "
        "{nc_deep_ce_optimality.K=6.L=2.dnc_not_global} below the best collapsed stationary point; at $K "
        "= 4$, $L = 2$, outside their theorem, it is not beaten."
    ),
    (
        "For the deep MSE UFM, the released code's rule keeps a stationary point that is not the global "
        "minimum for $n_k / b$ between {nc_stationary_windows.L=2.threshold} and 2 ($L = 2$): there it "
        "is an exact stationary point whose objective exceeds the global minimum's by at least "
        "{nc_stationary_windows.L=2.code_point_worse_in_window}."
    ),
)
FIGURE = "nc_deep_ce_optimality/deep_ce_optimality.png"
