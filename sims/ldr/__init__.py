"""Label distributionally robust (LDR) losses and top-k consistency (Zhu, Ying, Yang 2023; theory/ldr.py).

The room of one area: one module per sim (named as the sim), the area's public helpers (``common``), where each
claim comes from (``sources``) and the report's summary (``findings``). Importing it registers its sims and the area.
"""

from sims.engine.areas import Area, register_area
from sims.ldr import (  # noqa: F401  (each registers its sim)
    ldr_calibration,
    ldr_dual_form,
    ldr_label_noise,
    ldr_topk_consistency,
)
from sims.ldr.common import AREA
from sims.ldr.findings import FIGURE, FINDINGS
from sims.ldr.sources import SOURCES

register_area(Area(title=AREA, package=__name__, sources=SOURCES, findings=FINDINGS, figure=FIGURE))
