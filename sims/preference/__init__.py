"""Preference optimisation and unlearning: f-divergence DPO and NPO in closed form (theory/preference.py).

The room of one area: one module per sim (named as the sim), the area's public helpers (``common``), where each
claim comes from (``sources``) and the report's summary (``findings``). Importing it registers its sims and the area.
"""

from sims.engine.areas import Area, register_area
from sims.preference import (  # noqa: F401  (each registers its sim)
    fdpo_bradley_terry,
    fdpo_optimum,
    fdpo_support,
    npo_limit,
    npo_vs_ga,
)
from sims.preference.common import AREA
from sims.preference.findings import FIGURE, FINDINGS
from sims.preference.sources import SOURCES

register_area(Area(title=AREA, package=__name__, sources=SOURCES, findings=FINDINGS, figure=FIGURE))
