"""Bandits: regret guarantees checked by Monte Carlo on stochastic, adversarial and streaming instances
(theory/bandits).

The room of one area: one module per sim (named as the sim), the area's public helpers (``common``), where each
claim comes from (``sources``) and the report's summary (``findings``). Importing it registers its sims and the area.
"""

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

register_area(Area(title=AREA, package=__name__, sources=SOURCES, findings=FINDINGS, figure=FIGURE))
