"""Online learning: FTRL/OMD on the simplex, and optimistic OMD in the SEA model (theory/online.py).

The room of one area: one module per sim (named as the sim), the area's public helpers (``common``), where each
claim comes from (``sources``) and the report's summary (``findings``). Importing it registers its sims and the area.
"""

from sims.engine.areas import Area, register_area
from sims.engine.deprecation import alias_names
from sims.online import (  # noqa: F401  (each registers its sim)
    online_ftrl,
    sea_optimistic_omd,
    sea_rates,
)
from sims.online.common import AREA
from sims.online.findings import FIGURE, FINDINGS
from sims.online.sources import SOURCES

register_area(Area(title=AREA, package=__name__, sources=SOURCES, findings=FINDINGS, figure=FIGURE))

# The names and modules of the earlier layout keep working, with a DeprecationWarning naming the new ones.
for _module, _moved in {
    "sims.online.online_ftrl": {"FTRLConfig": "OnlineFTRLConfig", "ONLINE_FTRL": "SIM"},
    "sims.online.sea_optimistic_omd": {"SEAConfig": "SEAOptimisticOMDConfig", "SEA_OMD": "SIM"},
    "sims.online.sea_rates": {"SEA_RATES": "SIM"},
}.items():
    alias_names(_module, _moved)
