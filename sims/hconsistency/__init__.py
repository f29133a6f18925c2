"""H-consistency and surrogate losses: calibration functions and H-consistency transformations checked by brute-force
minimisation and global search (theory/hconsistency).

The room of one area: one module per sim (named as the sim), the area's public helpers (``common``), where each
claim comes from (``sources``) and the report's summary (``findings``). Importing it registers its sims and the area.
"""

from sims.engine.areas import Area, register_area
from sims.hconsistency import (  # noqa: F401  (each registers its sim)
    comp_sum_bounded,
    comp_sum_budget,
    comp_sum_tightness,
    hconsistency_bound,
    margin_calibration,
    minimizability_gaps,
)
from sims.hconsistency.common import AREA
from sims.hconsistency.findings import FIGURE, FINDINGS
from sims.hconsistency.sources import SOURCES

register_area(Area(title=AREA, package=__name__, sources=SOURCES, findings=FINDINGS, figure=FIGURE))
