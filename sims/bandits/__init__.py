"""Bandits: regret guarantees checked by Monte Carlo on stochastic, adversarial and streaming instances
(theory/bandits).

The room of one area: one module per sim (named as the sim), the area's public helpers (``common``), where each
claim comes from (``sources``) and the report's summary (``findings``). Importing it registers its sims and the area.
"""

import functools

from sims.bandits import (  # noqa: F401  (each registers its sim)
    bandit_adversarial,
    bandit_extremes,
    bandit_stochastic,
    streaming_bandits,
)
from sims.bandits.common import AREA
from sims.bandits.findings import FIGURE, FINDINGS
from sims.bandits.sources import SOURCES
from sims.engine.areas import Area, register_area
from sims.engine.deprecation import alias_modules, alias_names
from sims.engine.stats import loglog_slope

register_area(Area(title=AREA, package=__name__, sources=SOURCES, findings=FINDINGS, figure=FIGURE))

# The names and modules of the earlier layout keep working, with a DeprecationWarning naming the new ones.


def _slope_ci() -> object:
    """The former ``slope_ci(t, y)``: ``loglog_slope`` without the points where y <= 0."""
    return functools.partial(loglog_slope, positive_only=True)


alias_modules({"sims.bandits._common": "sims.bandits.common"})
for _module, _moved in {
    "sims.bandits.bandit_adversarial": {"AdversarialConfig": "BanditAdversarialConfig", "BANDIT_ADVERSARIAL": "SIM"},
    "sims.bandits.bandit_extremes": {"BANDIT_EXTREMES": "SIM", "ExtremesConfig": "BanditExtremesConfig"},
    "sims.bandits.bandit_stochastic": {"BANDIT_STOCHASTIC": "SIM", "StochasticConfig": "BanditStochasticConfig"},
    "sims.bandits.common": {"curves_figure": "sims.engine.plotting:regret_curves_figure", "slope_ci": _slope_ci},
    "sims.bandits.streaming_bandits": {"STREAMING_BANDITS": "SIM", "StreamingConfig": "StreamingBanditsConfig"},
}.items():
    alias_names(_module, _moved)
