"""Width scaling: the maximal update parametrisation (Yang and Hu 2021; Yang et al. 2022; theory/width_scaling/).

The room of one area: one module per sim (named as the sim), the area's public helpers (``common``), where each
claim comes from (``sources``) and the report's summary (``findings``). Importing it registers its sims and the area.
"""

from sims.engine.areas import Area, register_area
from sims.width_scaling import (  # noqa: F401  (each registers its sim)
    mup_coordinate_check,
    mup_equivalence,
    mup_lr_transfer,
    mup_random_parametrizations,
)
from sims.width_scaling.common import AREA
from sims.width_scaling.findings import FIGURE, FINDINGS
from sims.width_scaling.sources import SOURCES

register_area(Area(title=AREA, package=__name__, sources=SOURCES, findings=FINDINGS, figure=FIGURE))
