"""Optimisers with provable structure: Lion-K and EF21 (theory/optimizers.py).

The room of one area: one module per sim (named as the sim), the area's public helpers (``common``), where each
claim comes from (``sources``) and the report's summary (``findings``). Importing it registers its sims and the area.
"""

from sims.engine.areas import Area, register_area
from sims.optimizers import (  # noqa: F401  (each registers its sim)
    ef21_rate,
    ef21_step_gain,
    lion_box_entry,
    lion_box_limit,
    lion_k_geometry,
    lion_lyapunov,
)
from sims.optimizers.common import AREA
from sims.optimizers.findings import FIGURE, FINDINGS
from sims.optimizers.sources import SOURCES

register_area(Area(title=AREA, package=__name__, sources=SOURCES, findings=FINDINGS, figure=FIGURE))
