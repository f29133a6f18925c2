"""Neural-collapse geometry of unconstrained-feature models (Dang et al. 2023; Garrod and Keating 2024) and a real MLP
(theory/neural_collapse.py).

The room of one area: one module per sim (named as the sim), the area's public helpers (``common``), where each
claim comes from (``sources``) and the report's summary (``findings``). Importing it registers its sims and the area.
"""

from sims.engine.areas import Area, register_area
from sims.neural_collapse import (  # noqa: F401  (each registers its sim)
    nc_balanced,
    nc_deep_ce_optimality,
    nc_imbalanced_ce,
    nc_imbalanced_mse,
    nc_mlp_digits,
    nc_stationary_windows,
)
from sims.neural_collapse.common import AREA
from sims.neural_collapse.findings import FIGURE, FINDINGS
from sims.neural_collapse.sources import SOURCES

register_area(Area(title=AREA, package=__name__, sources=SOURCES, findings=FINDINGS, figure=FIGURE))
