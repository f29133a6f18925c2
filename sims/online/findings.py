"""The report's summary of online learning: the findings that matter and its figure.

Prose with placeholders ``{claim id}`` filled from the report's rows (see ``sims.engine.areas``).
"""

FINDINGS = (
    (
        "FTRL and OMD coincide for the negentropy, 1/2-Tsallis and log-barrier regularisers (to "
        "{online_ftrl.tsallis.omd_equals_ftrl}); optimistic OMD in the SEA model realises the "
        "$O(\\sqrt{\\sigma^2_{1:T}} + \\sqrt{\\Sigma^2_{1:T}})$ rate with a constant near "
        "{sea_optimistic_omd.ball.optimistic.constant}."
    ),
)
FIGURE = "sea_rates/sea_rates.png"
