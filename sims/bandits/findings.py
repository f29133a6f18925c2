"""The report's summary of bandits: the findings that matter and its figure.

Prose with placeholders ``{claim id}`` filled from the report's rows (see ``sims.engine.areas``).
"""

FINDINGS = (
    (
        "Exp3, Tsallis-INF, UCB1 and Hedge stay within their regret guarantees on every instance, also "
        "at $T = 10^6$ with 1000 arms; the negative controls (a bound divided by 10, follow-the-leader "
        "on its killer sequence) are detected."
    ),
    (
        "Streaming with one arm of memory: the worst-case regret of uniform exploration grows with "
        "exponent {streaming_bandits.K100.uniform.slope} in $T$ ($2/3$ plus a $\\log^{1/3} T$ factor) up "
        "to $T = 10^8$."
    ),
)
FIGURE = "bandit_stochastic/stochastic_linspace.png"
