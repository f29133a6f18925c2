"""Online learning: FTRL/OMD on the simplex, and optimistic OMD in the SEA model (theory/online.py).

The room of one area: one module per sim (named as the sim), the area's public helpers (``common``), where each
claim comes from (``sources``) and the report's summary (``findings``). Importing it registers its sims and the area.
"""

from sims.engine.areas import Area, register_area
from sims.online import (  # noqa: F401  (each registers its sim)
    online_ftrl,
    sea_optimistic_omd,
    sea_rates,
)
from sims.online.common import AREA
from sims.online.findings import FIGURE, FINDINGS
from sims.online.sources import SOURCES

register_area(Area(title=AREA, package=__name__, sources=SOURCES, findings=FINDINGS, figure=FIGURE))
